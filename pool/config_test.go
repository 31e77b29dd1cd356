package pool_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/keepconn/keepconn/pool"
)

func TestConfigInvalid(t *testing.T) {
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) { return nil, errors.New("no") }
	for _, tc := range []struct {
		cfg   pool.Config
		field string
		value string
	}{
		{pool.Config{}, "Addr", `""`},
		{pool.Config{Addr: "nohostport"}, "Addr", `"nohostport"`},
		{pool.Config{Addr: "h:"}, "Addr", `"h:"`},
		{pool.Config{Addr: "h:0"}, "Addr", `"h:0"`},
		{pool.Config{Addr: "h:-1"}, "Addr", `"h:-1"`},
		{pool.Config{Addr: "h:65536"}, "Addr", `"h:65536"`},
		{pool.Config{Addr: "h:99999999999999999999"}, "Addr", `"h:99999999999999999999"`},
		{pool.Config{Addr: "h:no-such-service"}, "Addr", `"h:no-such-service"`},
		{pool.Config{Addr: "h:1", Network: "unix"}, "Network", `"unix"`},
		{pool.Config{Addr: "h:1", MaxConns: -1}, "MaxConns", "-1"},
		{pool.Config{Addr: "h:1", MaxConns: math.MinInt}, "MaxConns", fmt.Sprint(math.MinInt)},
		{pool.Config{Addr: "h:1", MaxConns: pool.MaxMaxConns + 1}, "MaxConns", "2147483648"},
		{pool.Config{Addr: "h:1", MaxConns: math.MaxInt}, "MaxConns", fmt.Sprint(math.MaxInt)},
		{pool.Config{Addr: "h:1", MinIdle: -2}, "MinIdle", "-2"},
		{pool.Config{Addr: "h:1", MinIdle: math.MaxInt}, "MinIdle", fmt.Sprint(math.MaxInt)},
		{pool.Config{Addr: "h:1", MaxIdle: -3}, "MaxIdle", "-3"},
		{pool.Config{Addr: "h:1", MaxIdle: math.MaxInt}, "MaxIdle", fmt.Sprint(math.MaxInt)},
		{pool.Config{Addr: "h:1", MaxConns: 10, MaxIdle: 11}, "MaxIdle", "11"},
		{pool.Config{Addr: "h:1", MaxIdle: pool.DefaultMaxConns + 1}, "MaxIdle", "17"},
		{pool.Config{Addr: "h:1", MaxIdle: 4, MinIdle: 5}, "MinIdle", "5"},
		{pool.Config{Addr: "h:1", IdleTimeout: -time.Second}, "IdleTimeout", "-1s"},
		{pool.Config{Addr: "h:1", IdleTimeout: math.MinInt64}, "IdleTimeout", time.Duration(math.MinInt64).String()},
		{pool.Config{Addr: "h:1", MaxLifetime: -time.Second}, "MaxLifetime", "-1s"},
		{pool.Config{Addr: "h:1", MaxLifetimeJitter: time.Second}, "MaxLifetimeJitter", "1s"},
		{pool.Config{Addr: "h:1", MaxLifetime: time.Second, MaxLifetimeJitter: -1}, "MaxLifetimeJitter", "-1ns"},
		{pool.Config{Addr: "h:1", DialTimeout: -1}, "DialTimeout", "-1ns"},
		{pool.Config{Addr: "h:1", DialBackoff: -1}, "DialBackoff", "-1ns"},
		{pool.Config{Addr: "h:1", DialBackoffMax: -1}, "DialBackoffMax", "-1ns"},
		{pool.Config{Addr: "h:1", DialBackoff: time.Second, DialBackoffMax: time.Millisecond}, "DialBackoffMax", "1ms"},
		{pool.Config{Addr: "h:1", DialBackoff: math.MaxInt64, DialBackoffMax: time.Hour}, "DialBackoffMax", "1h0m0s"},
		{pool.Config{Addr: "h:1", HealthCheckPeriod: -1}, "HealthCheckPeriod", "-1ns"},
	} {
		_, err := pool.New(tc.cfg)
		var ce *pool.ConfigError
		if !errors.As(err, &ce) || ce.Field != "pool.Config."+tc.field {
			t.Errorf("%+v: error %v, want a ConfigError on pool.Config.%s", tc.cfg, err, tc.field)
			continue
		}
		if want := "pool.Config." + tc.field + " = " + tc.value + ":"; !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	// Other networks are fine with a Dial of one's own.
	p, err := pool.New(pool.Config{Network: "unix", Addr: "/tmp/sock", Dial: dial})
	if err != nil {
		t.Fatal(err)
	}
	p.Close()
	for _, addr := range []string{"127.0.0.1:65535", "[::1]:1", ":80", "localhost:http"} {
		p, err := pool.New(pool.Config{Addr: addr})
		if err != nil {
			t.Errorf("Addr %q: %v", addr, err)
			continue
		}
		p.Close()
	}
}

// Every numeric field at its zero value and at the maximum of its type
// (where that is valid) works: connections are dialed, reused, and not
// closed by an overflowing expiry or idle deadline; the maintenance does
// not spin or panic.
func TestConfigExtremes(t *testing.T) {
	srv := startServer(t)
	const forever = time.Duration(math.MaxInt64)
	for name, cfg := range map[string]pool.Config{
		"zero":                 {},
		"DialTimeout":          {DialTimeout: forever},
		"DialBackoff":          {DialBackoff: forever},
		"DialBackoffMax":       {DialBackoffMax: forever},
		"MaxConns":             {MaxConns: pool.MaxMaxConns},
		"MaxIdle":              {MaxConns: pool.MaxMaxConns, MaxIdle: pool.MaxMaxConns},
		"MinIdle":              {MaxConns: 2, MinIdle: 2},
		"IdleTimeout":          {IdleTimeout: forever},
		"MaxLifetime":          {MaxLifetime: forever},
		"MaxLifetimeJitter":    {MaxLifetime: forever, MaxLifetimeJitter: forever},
		"MaxLifetimeJitterMin": {MaxLifetime: 1, MaxLifetimeJitter: forever},
		"LivenessCheckAfter":   {LivenessCheckAfter: forever},
		"LivenessCheckMin":     {LivenessCheckAfter: math.MinInt64},
		"HealthCheckPeriod":    {HealthCheckPeriod: forever, IdleTimeout: forever, MaxLifetime: forever},
	} {
		t.Run(name, func(t *testing.T) {
			cfg.Addr = srv.addr()
			p := newPool(t, cfg)
			if cfg.MinIdle > 0 {
				eventually(t, "MinIdle to be dialed", func() bool { return p.Stats().Idle == int64(cfg.MinIdle) })
			}
			for i := range 3 {
				c, err := p.Acquire(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				if err := roundTrip(c, "x"); err != nil {
					t.Fatal(err)
				}
				c.Release()
				if i == 1 {
					time.Sleep(60 * time.Millisecond) // the maintenance runs, the clock ticks
				}
			}
			s := p.Stats()
			wantOpened := int64(1)
			if cfg.MinIdle > 0 {
				wantOpened = int64(cfg.MinIdle)
			}
			if cfg.MaxLifetime == 1 { // jitter may give any lifetime from 1 ns
				if s.Opened < 1 || s.TotalClosed() != s.MaxLifetimeClosed {
					t.Fatalf("Opened %d, closes %+v", s.Opened, s.ConnStats)
				}
				return
			}
			if s.Opened != wantOpened || s.TotalClosed() != 0 || s.Acquisitions != 3 {
				t.Fatalf("Opened %d TotalClosed %d Acquisitions %d, want %d, 0, 3: %+v", s.Opened, s.TotalClosed(), s.Acquisitions, wantOpened, s)
			}
		})
	}
}

func TestConfigDefaults(t *testing.T) {
	p := newPool(t, pool.Config{Addr: "127.0.0.1:1", MaxConns: 7})
	got := p.Config()
	if got.Network != "tcp" || got.MaxIdle != 7 || got.Name != "127.0.0.1:1" || got.DialTimeout != pool.DefaultDialTimeout ||
		got.DialBackoff != pool.DefaultDialBackoff || got.DialBackoffMax != pool.DefaultDialBackoffMax {
		t.Fatalf("defaults: %+v", got)
	}
	if d := newPool(t, pool.Config{Addr: "127.0.0.1:1"}).Config(); d.MaxConns != pool.DefaultMaxConns || d.MaxIdle != pool.DefaultMaxConns ||
		d.LivenessCheckAfter != pool.DefaultLivenessCheckAfter {
		t.Fatalf("MaxConns %d MaxIdle %d LivenessCheckAfter %v", d.MaxConns, d.MaxIdle, d.LivenessCheckAfter)
	}
	if d := newPool(t, pool.Config{Addr: "127.0.0.1:1", LivenessCheckAfter: -time.Hour}).Config(); d.LivenessCheckAfter != pool.CheckEveryReuse {
		t.Fatalf("negative LivenessCheckAfter became %v, want CheckEveryReuse", d.LivenessCheckAfter)
	}
}

// Connections dialed ahead for MinIdle count as idle from their dial: with
// a long IdleTimeout they are handed out, not closed as timed out; their
// first acquisition is not a reuse.
func TestMinIdleConnsServe(t *testing.T) {
	srv := startServer(t)
	p := newPool(t, pool.Config{Addr: srv.addr(), MaxConns: 4, MinIdle: 2, IdleTimeout: time.Minute})
	eventually(t, "MinIdle to be dialed", func() bool { return p.Stats().Idle == 2 })
	burst(t, p, 2)
	s := p.Stats()
	if s.Opened != 2 || s.MaxIdleTimeClosed != 0 || s.Acquisitions != 2 || s.Reused != 0 {
		t.Fatalf("Opened %d MaxIdleTimeClosed %d Acquisitions %d Reused %d, want 2, 0, 2, 0", s.Opened, s.MaxIdleTimeClosed, s.Acquisitions, s.Reused)
	}
	burst(t, p, 2)
	if s := p.Stats(); s.Opened != 2 || s.Acquisitions != 4 || s.Reused != 2 {
		t.Fatalf("second burst: Opened %d Acquisitions %d Reused %d, want 2, 4, 2", s.Opened, s.Acquisitions, s.Reused)
	}
}

// IdleTimeout closes idle connections in the background, keeping MinIdle.
func TestIdleTimeoutReaps(t *testing.T) {
	srv := startServer(t)
	p := newPool(t, pool.Config{Addr: srv.addr(), MaxConns: 5, MinIdle: 1, IdleTimeout: 50 * time.Millisecond})
	eventually(t, "MinIdle to be dialed", func() bool { return p.Stats().Idle == 1 })
	burst(t, p, 5)
	eventually(t, "idle connections to be reaped", func() bool { return p.Stats().MaxIdleTimeClosed == 4 })
	time.Sleep(100 * time.Millisecond) // MinIdle is kept: nothing more is reaped
	s := p.Stats()
	if s.Idle != 1 || s.MaxIdleTimeClosed != 4 || s.Opened != 5 {
		t.Fatalf("Idle %d MaxIdleTimeClosed %d Opened %d, want 1, 4, 5", s.Idle, s.MaxIdleTimeClosed, s.Opened)
	}
	checkBalance(t, s)
}

// Released connections are reused last in, first out: a surplus ages out.
func TestLIFO(t *testing.T) {
	srv := startServer(t)
	p := newPool(t, pool.Config{Addr: srv.addr(), MaxConns: 3})
	var cs []pool.Conn
	for range 3 {
		c, err := p.Acquire(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		cs = append(cs, c)
	}
	last := cs[2].LocalAddr().String()
	for _, c := range cs {
		c.Release()
	}
	for range 5 {
		c, err := p.Acquire(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if c.LocalAddr().String() != last {
			t.Fatal("Acquire did not return the most recently released connection")
		}
		c.Release()
	}
}

package pool_test

import (
	"context"
	"errors"
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
		{pool.Config{Addr: "h:1", Network: "unix"}, "Network", `"unix"`},
		{pool.Config{Addr: "h:1", MaxConns: -1}, "MaxConns", "-1"},
		{pool.Config{Addr: "h:1", MaxConns: 1 << 40}, "MaxConns", "1099511627776"},
		{pool.Config{Addr: "h:1", MinIdle: -2}, "MinIdle", "-2"},
		{pool.Config{Addr: "h:1", MaxIdle: -3}, "MaxIdle", "-3"},
		{pool.Config{Addr: "h:1", MaxConns: 10, MaxIdle: 11}, "MaxIdle", "11"},
		{pool.Config{Addr: "h:1", MaxIdle: pool.DefaultMaxConns + 1}, "MaxIdle", "17"},
		{pool.Config{Addr: "h:1", MaxIdle: 4, MinIdle: 5}, "MinIdle", "5"},
		{pool.Config{Addr: "h:1", IdleTimeout: -time.Second}, "IdleTimeout", "-1s"},
		{pool.Config{Addr: "h:1", MaxLifetime: -time.Second}, "MaxLifetime", "-1s"},
		{pool.Config{Addr: "h:1", MaxLifetimeJitter: time.Second}, "MaxLifetimeJitter", "1s"},
		{pool.Config{Addr: "h:1", MaxLifetime: time.Second, MaxLifetimeJitter: -1}, "MaxLifetimeJitter", "-1ns"},
		{pool.Config{Addr: "h:1", DialTimeout: -1}, "DialTimeout", "-1ns"},
		{pool.Config{Addr: "h:1", DialBackoff: -1}, "DialBackoff", "-1ns"},
		{pool.Config{Addr: "h:1", DialBackoffMax: -1}, "DialBackoffMax", "-1ns"},
		{pool.Config{Addr: "h:1", DialBackoff: time.Second, DialBackoffMax: time.Millisecond}, "DialBackoffMax", "1ms"},
	} {
		_, err := pool.New(tc.cfg)
		var ce *pool.ConfigError
		if !errors.As(err, &ce) || ce.Field != tc.field {
			t.Errorf("%+v: error %v, want a ConfigError on %s", tc.cfg, err, tc.field)
			continue
		}
		if want := "Config." + tc.field + " = " + tc.value + ":"; !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	// Other networks are fine with a Dial of one's own.
	p, err := pool.New(pool.Config{Network: "unix", Addr: "/tmp/sock", Dial: dial})
	if err != nil {
		t.Fatal(err)
	}
	p.Close()
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
// a long IdleTimeout they are handed out, not closed as timed out, and
// their first acquisition counts as reuse.
func TestMinIdleConnsServe(t *testing.T) {
	srv := startServer(t)
	p := newPool(t, pool.Config{Addr: srv.addr(), MaxConns: 4, MinIdle: 2, IdleTimeout: time.Minute})
	eventually(t, "MinIdle to be dialed", func() bool { return p.Stats().Idle == 2 })
	burst(t, p, 2)
	s := p.Stats()
	if s.Opened != 2 || s.MaxIdleTimeClosed != 0 || s.Acquires != 2 || s.Reused != 2 {
		t.Fatalf("Opened %d MaxIdleTimeClosed %d Acquires %d Reused %d, want 2, 0, 2, 2", s.Opened, s.MaxIdleTimeClosed, s.Acquires, s.Reused)
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
	var cs []*pool.Conn
	for range 3 {
		c, err := p.Acquire(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		cs = append(cs, c)
	}
	for _, c := range cs {
		c.Release()
	}
	for range 5 {
		c, err := p.Acquire(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if c != cs[2] {
			t.Fatal("Acquire did not return the most recently released connection")
		}
		c.Release()
	}
}

package redisx

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/keepconn/keepconn/dialer"
	"github.com/redis/go-redis/v9"
)

func TestBadSettingsAreConfigErrors(t *testing.T) {
	cases := []struct {
		field string
		opt   redis.Options
		cfg   Config
	}{
		{"redisx.Config.ReaperInterval", redis.Options{}, Config{ReaperInterval: -1}},
		{"redisx.Config.ReaperInterval", redis.Options{}, Config{ReaperInterval: time.Millisecond}},
		{"redisx.Config.FallbackIdleTime", redis.Options{}, Config{FallbackIdleTime: -time.Second}},
		{"redisx.Config.WarmupInterval", redis.Options{}, Config{WarmupInterval: math.MinInt64}},
		{"redisx.Config.Dialer.Farewell", redis.Options{}, Config{Dialer: dialer.Config{Farewell: []byte("BYE\r\n")}}},
		{"redis.Options.PoolSize", redis.Options{PoolSize: -1}, Config{}},
		{"redis.Options.PoolSize", redis.Options{PoolSize: math.MaxInt}, Config{}},
		{"redis.Options.MinIdleConns", redis.Options{MinIdleConns: -1}, Config{}},
		{"redis.Options.MinIdleConns", redis.Options{PoolSize: 4, MinIdleConns: 5}, Config{}},
		{"redis.Options.MaxIdleConns", redis.Options{MaxIdleConns: -2}, Config{}},
		{"redis.Options.MaxIdleConns", redis.Options{MaxIdleConns: math.MaxInt}, Config{}},
		{"redis.Options.PipelinePoolSize", redis.Options{PipelinePoolSize: math.MaxInt}, Config{}},
		{"redis.Options.ConnMaxIdleTime", redis.Options{ConnMaxIdleTime: -2}, Config{}},
		{"redis.Options.ConnMaxLifetime", redis.Options{ConnMaxLifetime: math.MinInt64}, Config{}},
		{"redis.Options.ConnMaxLifetimeJitter", redis.Options{ConnMaxLifetimeJitter: -1}, Config{}},
		{"redis.Options.Network", redis.Options{Network: "unix"}, Config{}},
		{"redis.Options.Dialer", redis.Options{Dialer: (&dialer.Dialer{}).DialContext}, Config{}},
	}
	for _, tc := range cases {
		c, err := NewClient(&tc.opt, tc.cfg)
		if err == nil {
			c.Close()
			t.Errorf("%s: no error", tc.field)
			continue
		}
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Field != tc.field {
			t.Errorf("%s: got %v", tc.field, err)
		}
	}
}

// Extreme values that are valid work without overflow.
func TestExtremeSettingsWork(t *testing.T) {
	opt := &redis.Options{Addr: "127.0.0.1:1", ConnMaxLifetime: math.MaxInt64, ConnMaxLifetimeJitter: math.MaxInt64,
		ConnMaxIdleTime: math.MaxInt64}
	c, err := NewClient(opt, Config{ReaperInterval: math.MaxInt64, FallbackIdleTime: math.MaxInt64, WarmupInterval: math.MaxInt64})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	m := c.h.m
	for range 100 {
		if now, e := m.now(), m.expiry(m.now()); e != 0 && e < now {
			t.Fatalf("expiry %d before now %d: overflowed", e, now)
		}
	}
	h, err := NewClient(&redis.Options{Addr: "127.0.0.1:1", ConnMaxLifetime: time.Hour, ConnMaxLifetimeJitter: 6 * time.Minute}, Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	for range 1000 {
		if life := time.Duration(h.h.m.expiry(0)); life < 54*time.Minute || life > 66*time.Minute {
			t.Fatalf("lifetime %v outside 1h ± 6min", life)
		}
	}
	if tu := c.Tuning(); tu.ConnMaxIdleTime <= 0 || tu.ConnMaxLifetimeJitter != math.MaxInt64 {
		t.Fatalf("tuning %+v", tu)
	}
	if opt.ConnMaxIdleTime != math.MaxInt64 || opt.Dialer != nil {
		t.Fatal("NewClient modified the caller's options")
	}
}

func TestTuningRaisesIdleCapAndJitters(t *testing.T) {
	c, err := NewClient(&redis.Options{Addr: "127.0.0.1:1", PoolSize: 20, MaxIdleConns: 2, PipelinePoolSize: 30,
		ConnMaxLifetime: time.Hour}, Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	tu := c.Tuning()
	if tu.MaxIdleConns != 30 || tu.ConnMaxLifetimeJitter != 6*time.Minute || tu.ConnMaxIdleTime != DefaultFallbackIdleTime {
		t.Errorf("tuning %+v", tu)
	}
	if o := c.Options(); o.MaxIdleConns != 30 || o.ConnMaxIdleTime != -1 && o.ConnMaxIdleTime != 0 || o.ConnMaxLifetime != 0 {
		t.Errorf("go-redis options: MaxIdleConns %d ConnMaxIdleTime %v ConnMaxLifetime %v", o.MaxIdleConns, o.ConnMaxIdleTime, o.ConnMaxLifetime)
	}
	k, err := NewClient(&redis.Options{Addr: "127.0.0.1:1", PoolSize: 20, MaxIdleConns: 2}, Config{KeepPoolSettings: true})
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	if tu := k.Tuning(); tu.MaxIdleConns != 2 || tu.ConnMaxIdleTime != 30*time.Minute {
		t.Errorf("kept tuning %+v", tu)
	}
}

func TestIdleTimeBelowServerTimeout(t *testing.T) {
	for _, tc := range []struct{ timeout, want time.Duration }{
		{time.Second, 500 * time.Millisecond},
		{2 * time.Second, time.Second},
		{4 * time.Second, 3 * time.Second},
		{300 * time.Second, 225 * time.Second},
	} {
		if got := belowServerTimeout(tc.timeout); got != tc.want {
			t.Errorf("belowServerTimeout(%v) = %v, want %v", tc.timeout, got, tc.want)
		}
	}
	cfg := Config{}.withDefaults()
	var base Tuning
	if got := base.withServerTimeout(&cfg, 0, errors.New("blocked"), 30*time.Minute); got.ConnMaxIdleTime != DefaultFallbackIdleTime {
		t.Errorf("CONFIG blocked: idle %v", got.ConnMaxIdleTime)
	}
	if got := base.withServerTimeout(&cfg, 0, nil, 30*time.Minute); got.ConnMaxIdleTime != 30*time.Minute {
		t.Errorf("no server timeout: idle %v", got.ConnMaxIdleTime)
	}
	if got := base.withServerTimeout(&cfg, 10*time.Second, nil, 5*time.Second); got.ConnMaxIdleTime != 5*time.Second {
		t.Errorf("user idle below the server's: idle %v", got.ConnMaxIdleTime)
	}
}

func TestPoolCountersWrap(t *testing.T) {
	var p poolCounters
	for _, h := range []uint32{1 << 30, 2 << 30, 3 << 30} { // counted up in steps
		p.add(&redis.PoolStats{Hits: h})
	}
	p.add(&redis.PoolStats{Hits: math.MaxUint32 - 5, WaitCount: 10})
	p.add(&redis.PoolStats{Hits: 5, WaitCount: 12}) // wrapped: +11
	if p.hits != math.MaxUint32-5+11 || p.waits != 12 {
		t.Fatalf("hits %d waits %d", p.hits, p.waits)
	}
	p.add(&redis.PoolStats{Hits: 2, WaitCount: 12}) // a node left: no subtraction
	p.add(&redis.PoolStats{Hits: 7, WaitCount: 13})
	if p.hits != math.MaxUint32-5+11+5 || p.waits != 13 {
		t.Fatalf("after a node left: hits %d waits %d", p.hits, p.waits)
	}
}

package pool_test

import (
	"context"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/jackc/puddle/v2"
	"github.com/keepconn/keepconn/dialer"
	"github.com/keepconn/keepconn/pool"
)

// Acquire+Release against a raw puddle.Pool of the same kind of
// connections (keepconn dialer, same server, same size), serial and
// parallel, with context.Background() and with a deadline context (one
// context.WithTimeout for the whole run: the per-request cost of making
// one is the caller's, alike for both). "keepconn" is the default Config:
// in this steady state every connection was used within
// LivenessCheckAfter (1 s), so none is peeked at. "idle-timeout" adds
// IdleTimeout's bookkeeping; "every-reuse" peeks at the socket on every
// reuse (one recvfrom system call); "no-check" turns the checks off.
// "contended" is 64 goroutines on a pool of 4: acquirers wait at
// MaxConns, and both pools allocate in x/sync/semaphore.
//
// For interleaved ratios, one baseline per mode:
//
//	go run ./internal/benchratio -pkg ./pool -bench AcquireRelease -baseline serial/puddle -match '^serial/'
func BenchmarkAcquireRelease(b *testing.B) {
	srv := startServer(b)
	for _, mode := range []string{"serial", "serial-deadline", "parallel", "parallel-deadline", "contended"} {
		size := int32(8)
		if mode == "contended" {
			size = 4
		}
		b.Run(mode+"/puddle", func(b *testing.B) {
			pp := newPuddle(b, srv.addr(), size)
			run(b, mode, func(ctx context.Context) {
				res, err := pp.Acquire(ctx)
				if err != nil {
					b.Fatal(err)
				}
				res.Release()
			})
		})
		for _, v := range []struct {
			name string
			cfg  pool.Config
		}{
			{"keepconn", pool.Config{}},
			{"keepconn-idle-timeout", pool.Config{IdleTimeout: time.Minute}},
			{"keepconn-every-reuse", pool.Config{LivenessCheckAfter: pool.CheckEveryReuse}},
			{"keepconn-no-check", pool.Config{DisableLivenessCheck: true}},
		} {
			if mode == "contended" && v.name != "keepconn" {
				continue
			}
			b.Run(mode+"/"+v.name, func(b *testing.B) {
				cfg := v.cfg
				cfg.Addr, cfg.MaxConns = srv.addr(), int(size)
				p := newPool(b, cfg)
				run(b, mode, func(ctx context.Context) {
					c, err := p.Acquire(ctx)
					if err != nil {
						b.Fatal(err)
					}
					c.Release()
				})
			})
		}
	}
}

func run(b *testing.B, mode string, op func(context.Context)) {
	ctx := context.Background()
	if strings.HasSuffix(mode, "-deadline") {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Hour)
		defer cancel()
	}
	for range 100 { // warm: connections dialed, idle list grown
		op(ctx)
	}
	b.ReportAllocs()
	b.ResetTimer()
	switch {
	case strings.HasPrefix(mode, "serial"):
		for range b.N {
			op(ctx)
		}
		return
	case mode == "contended":
		b.SetParallelism(64 / max(runtime.GOMAXPROCS(0), 1))
	}
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			op(ctx)
		}
	})
}

func newPuddle(b *testing.B, addr string, size int32) *puddle.Pool[net.Conn] {
	d, err := dialer.New(dialer.Config{})
	if err != nil {
		b.Fatal(err)
	}
	pp, err := puddle.NewPool(&puddle.Config[net.Conn]{
		Constructor: func(ctx context.Context) (net.Conn, error) { return d.DialContext(ctx, "tcp", addr) },
		Destructor:  func(c net.Conn) { c.Close() },
		MaxSize:     size,
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { pp.Close(); d.Close() })
	return pp
}

// The steady-state Acquire+Release allocates nothing, with and without
// the liveness check, with and without a deadline context.
func TestAcquireReleaseAllocs(t *testing.T) {
	srv := startServer(t)
	for _, cfg := range []pool.Config{{}, {LivenessCheckAfter: pool.CheckEveryReuse}, {IdleTimeout: time.Hour, MaxIdle: 2, MaxConns: 4}} {
		cfg.Addr = srv.addr()
		p := newPool(t, cfg)
		ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
		defer cancel()
		op := func() {
			c, err := p.Acquire(ctx)
			if err != nil {
				t.Fatal(err)
			}
			c.Release()
		}
		op()
		if n := testing.AllocsPerRun(1000, op); n != 0 {
			t.Errorf("%+v: %v allocations per Acquire+Release", cfg, n)
		}
	}
}

package pool_test

import (
	"context"
	"testing"
	"time"

	"github.com/keepconn/keepconn/internal/benchpair"
	"github.com/keepconn/keepconn/pool"
)

// BenchmarkLivenessCheckOff measures, in one process, what turning the
// liveness checks off saves on a serial Acquire+Release: a default pool
// and one with DisableLivenessCheck, in alternating blocks (benchpair),
// reported as each one's median ns per operation and the median ratio
// off/default. The default skips the check for a connection used within
// LivenessCheckAfter, as every one is here: the difference is what that
// skip costs. "default-again" is a second default pool: its ratio to the
// first shows what no difference measures as.
//
//	go run ./internal/benchratio -pkg ./pool -bench LivenessCheckOff -paired -n 20 -benchtime 4000000x
func BenchmarkLivenessCheckOff(b *testing.B) {
	srv := startServer(b)
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	op := func(p *pool.Pool) func() {
		return func() {
			c, err := p.Acquire(ctx)
			if err != nil {
				b.Fatal(err)
			}
			c.Release()
		}
	}
	on := newPool(b, pool.Config{Addr: srv.addr(), MaxConns: 8})
	off := newPool(b, pool.Config{Addr: srv.addr(), MaxConns: 8, DisableLivenessCheck: true})
	b.ReportAllocs()
	again := newPool(b, pool.Config{Addr: srv.addr(), MaxConns: 8})
	benchpair.Run(b, 20000, benchpair.Serial("default", op(on)), benchpair.Serial("default-again", op(again)),
		benchpair.Serial("off", op(off)))
}

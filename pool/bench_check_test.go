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
// skip costs.
//
//	go test ./pool -run '^$' -bench LivenessCheckOff -benchtime 4000000x -count 10
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
	benchpair.Run(b, 20000, benchpair.Serial("default", op(on)), benchpair.Serial("off", op(off)))
}

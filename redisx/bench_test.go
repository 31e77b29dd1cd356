package redisx

import (
	"context"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/keepconn/keepconn/internal/redistest"
	"github.com/redis/go-redis/v9"
)

// benchClients gives each sub-benchmark its client on one server.
func benchClients(b *testing.B) (srv *redistest.Server, clients map[string]func() (redis.UniversalClient, error)) {
	srv = redistest.StartT(b, redistest.Options{})
	opt := func() *redis.Options { return &redis.Options{Addr: srv.Addr(), PoolSize: 64} }
	clients = map[string]func() (redis.UniversalClient, error){
		"go-redis": func() (redis.UniversalClient, error) { return redis.NewClient(opt()), nil },
		"redisx": func() (redis.UniversalClient, error) {
			c, err := NewClient(opt(), Config{})
			return c, err
		},
	}
	return srv, clients
}

func benchGet(b *testing.B, parallel bool) {
	_, clients := benchClients(b)
	for _, name := range []string{"go-redis", "redisx"} {
		b.Run(name, func(b *testing.B) {
			c, err := clients[name]()
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
			defer cancel()
			if err := c.Set(ctx, "bench", strings.Repeat("v", 100), 0).Err(); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			if !parallel {
				for b.Loop() {
					if err := c.Get(ctx, "bench").Err(); err != nil {
						b.Fatal(err)
					}
				}
				return
			}
			b.SetParallelism(max(64/runtime.GOMAXPROCS(0), 1))
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := c.Get(ctx, "bench").Err(); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// BenchmarkGet measures one GET of a 100-byte value at a time through
// plain go-redis and through redisx, on the same server, with a deadline
// context:
//
//	go run ./internal/benchratio -pkg ./redisx -bench Get -baseline go-redis
func BenchmarkGet(b *testing.B) { benchGet(b, false) }

// BenchmarkGetParallel64 is BenchmarkGet with 64 goroutines at once
// (PoolSize 64).
func BenchmarkGetParallel64(b *testing.B) { benchGet(b, true) }

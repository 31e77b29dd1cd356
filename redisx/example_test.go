package redisx_test

import (
	"context"
	"fmt"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/keepconn/keepconn/redisx"
	"github.com/redis/go-redis/v9"
)

func ExampleNewClient() {
	mr, err := miniredis.Run() // any Redis server; miniredis runs in process
	if err != nil {
		panic(err)
	}
	defer mr.Close()

	c, err := redisx.NewClient(&redis.Options{Addr: mr.Addr()}, redisx.Config{})
	if err != nil {
		panic(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c.Set(ctx, "greeting", "hello", 0)
	fmt.Println(c.Get(ctx, "greeting").Val())

	c.Close()
	s := c.Stats()
	fmt.Println("every connection closed:", s.Opened == s.TotalClosed() && s.Open == 0)
	fmt.Println("closed by Close:", s.Closed == s.Opened)
	// Output:
	// hello
	// every connection closed: true
	// closed by Close: true
}

func ExampleClient_Stats() {
	mr, err := miniredis.Run()
	if err != nil {
		panic(err)
	}
	defer mr.Close()

	// The go-redis default of MaxIdleConns 2 under 20 concurrent commands
	// churns; KeepPoolSettings keeps it, to show the evictions.
	c, err := redisx.NewClient(&redis.Options{Addr: mr.Addr(), PoolSize: 10, MaxIdleConns: 2},
		redisx.Config{KeepPoolSettings: true})
	if err != nil {
		panic(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for range 10 {
		done := make(chan struct{})
		for range 20 {
			go func() { c.Ping(ctx); done <- struct{}{} }()
		}
		for range 20 {
			<-done
		}
	}
	s := c.Stats()
	fmt.Println("evictions seen:", s.MaxIdleClosed > 0)
	fmt.Println("every close an eviction:", s.MaxIdleClosed == s.TotalClosed())
	// Output:
	// evictions seen: true
	// every close an eviction: true
}

// A cluster client dials every node through one keepconn dialer; the pool
// settings apply per node.
func ExampleNewClusterClient() {
	c, err := redisx.NewClusterClient(&redis.ClusterOptions{
		Addrs:    []string{"10.0.0.1:6379", "10.0.0.2:6379", "10.0.0.3:6379"},
		PoolSize: 20,
	}, redisx.Config{})
	if err != nil {
		panic(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := c.Set(ctx, "key", "value", 0).Err(); err != nil {
		fmt.Println("set:", err)
	}
	s := c.Stats()
	fmt.Println(s.Opened, s.MaxIdleClosed, s.ActiveCloses)
}

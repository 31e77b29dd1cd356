package main

import (
	"context"
	"fmt"

	"github.com/alicebob/miniredis/v2"
	"github.com/keepconn/keepconn/dialer"
	"github.com/keepconn/keepconn/redisx"
	"github.com/redis/go-redis/v9"
)

// redisName is the redisx client's db.client.connection.pool.name.
const redisName = "cache"

// startRedis starts miniredis (the Redis protocol in Go, inside the
// process, on loopback) and a redisx client of it. redisx dials through a
// dialer of its own, configured by redisx.Config.Dialer, so that dialer
// gets its own WatchTimeWait. Steady: redisx's tuning (idle cap = pool
// size, QUIT before closing, so the server closes first). Churning: the
// go-redis settings kept as given with an idle cap of 1 and no QUIT, so
// this side closes and keeps the TIME_WAIT.
func (s *service) startRedis() error {
	mr := miniredis.NewMiniRedis()
	if err := mr.StartAddr("127.0.0.1:0"); err != nil {
		return fmt.Errorf("miniredis: %w", err)
	}
	s.redisSrv = mr
	s.onClose(mr.Close)
	opt := &redis.Options{Addr: mr.Addr(), PoolSize: s.burst}
	cfg := redisx.Config{PoolName: redisName, MeterProvider: s.mp, Dialer: dialer.Config{MeterProvider: s.mp}}
	if s.churn {
		opt.MaxIdleConns = 1
		cfg.KeepPoolSettings, cfg.DisableQuit = true, true
	}
	c, err := redisx.NewClient(opt, cfg)
	if err != nil {
		return err
	}
	s.redis = c
	s.onClose(func() { _ = c.Close() })
	watch, err := dialer.WatchTimeWait(c.Dialer())
	if err != nil {
		return err
	}
	s.onClose(func() { _ = watch.Unregister() })
	return nil
}

// redisRequest sends one PING.
func (s *service) redisRequest(ctx context.Context) error {
	return s.redis.Ping(ctx).Err()
}

package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// tally counts one client's requests and failures.
type tally struct {
	requests, errors atomic.Int64
	lastErr          atomic.Value // string
}

func (t *tally) done(err error) {
	t.requests.Add(1)
	if err != nil {
		t.errors.Add(1)
		t.lastErr.Store(err.Error())
	}
}

// load is what the three clients did.
type load struct {
	pool, api, legacy, redis, sql tally
}

// run drives the clients until ctx is done: each sends bursts of
// s.burst concurrent requests separated by s.gap. Every request has a
// deadline, so the loops end within a request timeout of ctx.
func (s *service) run(ctx context.Context) *load {
	l := new(load)
	var wg sync.WaitGroup
	for _, c := range []struct {
		t   *tally
		req func(context.Context) error
	}{
		{&l.pool, s.poolRequest},
		{&l.api, func(ctx context.Context) error { return s.httpRequest(ctx, s.api, s.apiSrv.addr(), true) }},
		{&l.legacy, func(ctx context.Context) error { return s.httpRequest(ctx, s.legacy, s.legacySrv.addr(), !s.churn) }},
		{&l.redis, s.redisRequest},
		{&l.sql, s.sqlRequest},
	} {
		if c.t == &l.sql && s.db == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.bursts(ctx, c.t, c.req)
		}()
	}
	wg.Wait()
	return l
}

func (s *service) bursts(ctx context.Context, t *tally, req func(context.Context) error) {
	for ctx.Err() == nil {
		var wg sync.WaitGroup
		for range s.burst {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
				defer cancel()
				t.done(req(rctx))
			}()
		}
		wg.Wait()
		select {
		case <-ctx.Done():
		case <-time.After(s.gap):
		}
	}
}

// poolRequest sends one PING through the pool.
func (s *service) poolRequest(ctx context.Context) error {
	c, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	}
	if _, err := c.Write([]byte("PING\n")); err != nil {
		c.Destroy()
		return err
	}
	line, err := bufio.NewReaderSize(c, 16).ReadString('\n')
	if err != nil || line != "PONG\n" {
		c.Destroy()
		return fmt.Errorf("pool: reply %q: %v", line, err)
	}
	_ = c.SetDeadline(time.Time{})
	c.Release()
	return nil
}

// httpRequest GETs / from addr; readBody false closes the body unread, as
// careless callers do.
func (s *service) httpRequest(ctx context.Context, c *http.Client, addr string, readBody bool) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/", nil)
	if err != nil {
		return err
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	if readBody {
		_, err = io.Copy(io.Discard, resp.Body)
	}
	if cerr := resp.Body.Close(); err == nil {
		err = cerr
	}
	return err
}

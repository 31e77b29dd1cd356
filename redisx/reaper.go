package redisx

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/keepconn/keepconn/internal/telemetry"
	"github.com/redis/go-redis/v9"
)

// probeTimeout bounds the CONFIG GET that reads the server's timeout.
const probeTimeout = 5 * time.Second

// background is what the reaper goroutine needs of a client.
type background struct {
	// config reads the server's timeout.
	config func(ctx context.Context) (map[string]string, error)
	// warm opens n idle connections on every server, pace apart.
	warm func(ctx context.Context, n int, pace time.Duration)
}

// run reads the server's timeout, opens the MinIdleConns connections,
// and then, every ReaperInterval, closes idle connections the server
// closed and samples go-redis's pool counters, until stop.
func (m *monitor) run(bg background) {
	defer close(m.done)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-m.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	m.readServerTimeout(ctx, bg.config)
	m.warm(ctx, bg)
	t := time.NewTicker(m.cfg.ReaperInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			m.reap()
			m.samplePool()
			if m.stats().InUse == 0 { // quiet: top MinIdleConns up again
				m.warm(ctx, bg)
			}
		}
	}
}

// warm opens idle connections up to MinIdleConns on every server that has
// fewer, WarmupInterval apart (go-redis's MinIdleConns is set to 0: it
// would dial them all at once, at start and after every removal).
func (m *monitor) warm(ctx context.Context, bg background) {
	if n := m.Tuning().MinIdleConns; n > 0 && !m.cfg.KeepPoolSettings && bg.warm != nil {
		bg.warm(ctx, n, m.cfg.WarmupInterval)
	}
}

// reap closes the connections the server closed while they were idle.
// A connection counts as idle when nothing is in progress on it and its
// last read ended half an interval ago or more, so a command between its
// write and its read is never taken for idle. Once marked dead, a
// connection fails every later Read, Write and reuse check with an error
// wrapping io.EOF (go-redis retries elsewhere); it is closed here only
// when nothing is in progress on it.
func (m *monitor) reap() {
	now, idle := m.now(), int64(m.cfg.ReaperInterval/2)
	for _, c := range m.snapshot() {
		if !c.dead.Load() && !(c.idleFor(now, idle) && c.peerClosed()) {
			continue
		}
		c.dead.Store(true)
		if c.busy.Load() != 0 {
			continue // closed by go-redis, or on the next round
		}
		if c.closed.CompareAndSwap(false, true) {
			m.reaped.Add(1)
			m.zombies.Add(1)
			m.finishClose(c, telemetry.ReasonPeerClosed)
		}
	}
}

// readServerTimeout reads the server's timeout once and derives the idle
// time from it.
func (m *monitor) readServerTimeout(ctx context.Context, config func(context.Context) (map[string]string, error)) {
	if config == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	timeout, err := serverTimeout(ctx, config)
	if ctx.Err() != nil && m.isStopping() {
		return
	}
	m.tuneMu.Lock()
	m.tuning = m.tuning.withServerTimeout(&m.cfg, timeout, err, m.userIdle)
	m.idleTimeout.Store(int64(m.tuning.ConnMaxIdleTime))
	m.tuneMu.Unlock()
}

func serverTimeout(ctx context.Context, config func(context.Context) (map[string]string, error)) (time.Duration, error) {
	vals, err := config(ctx)
	if err != nil {
		return 0, fmt.Errorf("keepconn/redisx: CONFIG GET timeout: %w", err)
	}
	v, ok := vals["timeout"]
	if !ok {
		return 0, fmt.Errorf("keepconn/redisx: CONFIG GET timeout: no value")
	}
	secs, err := strconv.ParseInt(v, 10, 64)
	if err != nil || secs < 0 || secs > int64(1<<63-1)/int64(time.Second) {
		return 0, fmt.Errorf("keepconn/redisx: CONFIG GET timeout: %q is not a number of seconds", v)
	}
	return time.Duration(secs) * time.Second, nil
}

func (m *monitor) isStopping() bool {
	select {
	case <-m.stop:
		return true
	default:
		return false
	}
}

// Tuning returns the settings in force.
func (m *monitor) Tuning() Tuning {
	m.tuneMu.Lock()
	defer m.tuneMu.Unlock()
	return m.tuning
}

// warmClient opens idle connections of c up to n, pace apart, when it has
// fewer: it holds up to n connections at once (each dials only when no
// idle one is left), then returns them all to the pool. It gives up as
// soon as a command of the application had to wait for a connection
// meanwhile, so a warm-up holds back the application for at most one pace.
func warmClient(ctx context.Context, c *redis.Client, n int, pace time.Duration) {
	st := c.PoolStats()
	if int(st.IdleConns) >= n {
		return
	}
	waits := st.WaitCount
	held := make([]*redis.Conn, 0, n)
	defer func() {
		for _, cn := range held {
			cn.Close()
		}
	}()
	for i := range n {
		cn := c.Conn()
		if err := cn.Ping(ctx).Err(); err != nil {
			cn.Close()
			return
		}
		held = append(held, cn)
		if i == n-1 {
			break
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(pace):
		}
		if c.PoolStats().WaitCount != waits {
			return
		}
	}
}

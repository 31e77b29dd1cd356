package pool

import (
	"context"
	"errors"
	"sync"

	"github.com/keepconn/keepconn/dialer"
	"go.opentelemetry.io/otel/metric/noop"
)

// Group keeps one Pool per address, for clients of many backends. Pools
// are created on first use with the Group's Config, its Addr replaced by
// the address and its Name, when set, suffixed with "/" and the address.
// A Group is safe for concurrent use.
type Group struct {
	cfg   Config
	owned *dialer.Dialer // shared default dialer

	mu       sync.RWMutex
	pools    map[string]*Pool
	closed   bool
	removing sync.WaitGroup // pools Remove is closing, which Close waits for
}

// NewGroup validates cfg (Addr may be empty) and returns a Group. Pools use
// one shared default dialer when cfg.Dial is nil.
func NewGroup(cfg Config) (*Group, error) {
	probe := cfg
	if probe.Addr == "" {
		probe.Addr = "localhost:1"
	}
	if _, err := probe.withDefaults(); err != nil {
		return nil, err
	}
	g := &Group{cfg: cfg, pools: make(map[string]*Pool)}
	if cfg.Dial == nil {
		d, err := dialer.New(dialer.Config{MeterProvider: noop.NewMeterProvider()})
		if err != nil {
			return nil, err
		}
		g.owned, g.cfg.Dial = d, d.DialContext
	}
	return g, nil
}

// Acquire acquires a connection to addr from its pool, creating the pool
// first if needed; see Pool.Acquire for how ctx is used. An addr that is
// not host:port with a valid port is a *ConfigError on pool.Config.Addr,
// returned before any dial; a closed Group gives ErrClosed. An Acquire
// waiting on a pool that Remove closes goes on with a new pool for addr.
func (g *Group) Acquire(ctx context.Context, addr string) (Conn, error) {
	for {
		p, err := g.Pool(addr)
		if err != nil {
			return Conn{}, err
		}
		c, err := p.Acquire(ctx)
		if errors.Is(err, ErrClosed) && g.removed(addr, p) {
			continue
		}
		return c, err
	}
}

// Remove closes the pool for addr, if there is one, and forgets it. Call
// it when a backend leaves service discovery: a Group never drops a pool by
// itself, so without Remove the pool, its metrics and its idle connections
// stay until Close. Like Pool.Close, Remove blocks until the pool's
// connections are released and closed.
//
// A later Acquire for addr, or one that was waiting on the removed pool,
// starts a new pool, whose counters start from zero under the same pool
// name. On a closed Group, Remove does nothing.
func (g *Group) Remove(addr string) {
	g.mu.Lock()
	p, ok := g.pools[addr]
	if g.closed || !ok {
		g.mu.Unlock()
		return
	}
	delete(g.pools, addr)
	g.removing.Add(1)
	g.mu.Unlock()
	defer g.removing.Done()
	p.Close()
}

// removed reports whether p is no longer addr's pool in an open Group.
func (g *Group) removed(addr string, p *Pool) bool {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return !g.closed && g.pools[addr] != p
}

// Pool returns the pool for addr, creating it if needed. It does not dial
// unless MinIdle is set.
func (g *Group) Pool(addr string) (*Pool, error) {
	g.mu.RLock()
	p, ok := g.pools[addr]
	closed := g.closed
	g.mu.RUnlock()
	if ok {
		return p, nil
	}
	if closed {
		return nil, ErrClosed
	}
	return g.create(addr)
}

func (g *Group) create(addr string) (*Pool, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return nil, ErrClosed
	}
	if p, ok := g.pools[addr]; ok {
		return p, nil
	}
	cfg := g.cfg
	cfg.Addr = addr
	if cfg.Name != "" {
		cfg.Name += "/" + addr
	}
	p, err := New(cfg)
	if err != nil {
		return nil, err
	}
	g.pools[addr] = p
	return p, nil
}

// Stats returns a snapshot of every pool, by address.
func (g *Group) Stats() map[string]Stats {
	g.mu.RLock()
	defer g.mu.RUnlock()
	out := make(map[string]Stats, len(g.pools))
	for addr, p := range g.pools {
		out[addr] = p.Stats()
	}
	return out
}

// Close closes every pool, as Pool.Close does, and blocks until all their
// connections are closed, those of pools Remove is closing included. Later
// Acquire calls get ErrClosed.
func (g *Group) Close() {
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return
	}
	g.closed = true
	pools := make([]*Pool, 0, len(g.pools))
	for _, p := range g.pools {
		pools = append(pools, p)
	}
	g.mu.Unlock()
	var wg sync.WaitGroup
	for _, p := range pools {
		wg.Go(p.Close)
	}
	wg.Wait()
	g.removing.Wait() // their dials use the shared dialer too
	if g.owned != nil {
		g.owned.Close()
	}
}

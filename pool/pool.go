package pool

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"

	"github.com/jackc/puddle/v2"
	"github.com/keepconn/keepconn/dialer"
	"github.com/keepconn/keepconn/internal/dialgate"
	"github.com/keepconn/keepconn/internal/telemetry"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
)

// ErrClosed is returned by Acquire on a closed pool or group, and to
// acquirers still waiting when the pool is closed.
var ErrClosed = errors.New("keepconn/pool: closed")

// Pool keeps connections to one address for reuse. It is safe for
// concurrent use. puddle does the acquiring, waiting and sizing; Pool adds
// liveness checks, idle and lifetime limits, MinIdle and MaxIdle, dial
// backoff and the close accounting of Stats.
type Pool struct {
	cfg   Config
	pp    *puddle.Pool[*conn]
	dial  DialFunc
	owned *dialer.Dialer // the default dialer, closed with the pool

	capIdle   bool  // MaxIdle < MaxConns: count idle connections
	trackIdle bool  // IdleTimeout > 0: connections keep their idle time
	idleDue   int64 // IdleTimeout plus a tick: a coarse idle time this long is a true one of IdleTimeout
	checkLive bool  // the liveness check is on
	skipBelow int64 // idle time (coarse clock) under which the check is skipped; 0: never
	usesClock bool  // subscribed to the coarse clock

	idle        atomic.Int64 // idle connections, counted only with capIdle
	slots       atomic.Int64 // connections open or being dialed
	dialing     atomic.Int64 // dials in progress
	lateOrphans atomic.Int64 // dialed connections put with the idle ones outside MaxIdle
	reports     sync.WaitGroup
	gate        dialgate.Gate
	reg         registry
	count       counters
	nextHealth  int64   // pool clock: the next background health check (maintenance only)
	healthBuf   []*conn // the connections being checked (maintenance only)

	ctx       context.Context // canceled by Close: stops maintenance
	cancel    context.CancelFunc
	wake      chan struct{}
	maintDone chan struct{}
	closeOnce sync.Once
	metrics   metric.Registration
	inst      *telemetry.PoolInstruments
}

type counters struct {
	dials        telemetry.Dials
	closes       telemetry.Closes
	dialWaits    atomic.Int64
	dialBackoffs atomic.Int64
	checks       atomic.Int64
	healthChecks atomic.Int64
	timeouts     atomic.Int64
	waits        atomic.Int64
	waitNanos    atomic.Int64
}

// usage counts the acquisitions of the connections already closed; those
// of open connections are counted on the connections themselves, so that
// concurrent acquirers do not contend for one counter. It is guarded by
// registry.mu, which Stats holds while it adds both.
type usage struct {
	acquires int64
	reused   int64
}

// New validates cfg and returns a pool. It dials nothing itself unless
// MinIdle asks for ready connections, which are dialed in the background.
// Every invalid field is reported as a *ConfigError naming the field and
// the value. The pool runs a maintenance goroutine until Close.
func New(cfg Config) (*Pool, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	p := &Pool{cfg: cfg, dial: cfg.Dial, wake: make(chan struct{}, 1)}
	if p.dial == nil {
		d, err := dialer.New(dialer.Config{MeterProvider: noop.NewMeterProvider()})
		if err != nil {
			return nil, err
		}
		p.owned, p.dial = d, d.DialContext
	}
	return p.start(), nil
}

func (p *Pool) start() *Pool {
	p.capIdle = p.cfg.MaxIdle < p.cfg.MaxConns
	p.trackIdle = p.cfg.IdleTimeout > 0
	p.idleDue = int64(p.cfg.IdleTimeout + clockTick)
	p.checkLive = !p.cfg.DisableLivenessCheck
	p.skipBelow = max(int64(p.cfg.LivenessCheckAfter-clockTick), 0)
	p.usesClock = p.trackIdle || (p.checkLive && p.skipBelow > 0)
	if p.usesClock {
		ticks.subscribe()
	}
	p.gate = dialgate.Gate{Base: p.cfg.DialBackoff, Max: p.cfg.DialBackoffMax,
		OnWait: func() { p.count.dialWaits.Add(1) }, OnBackoff: func() { p.count.dialBackoffs.Add(1) }}
	p.reg.conns = make(map[*conn]struct{})
	p.pp, _ = puddle.NewPool(&puddle.Config[*conn]{
		Constructor: p.construct,
		Destructor:  p.destruct,
		MaxSize:     int32(p.cfg.MaxConns),
	}) // MaxSize ≥ 1 was validated
	p.ctx, p.cancel = context.WithCancel(context.Background())
	p.registerMetrics()
	p.nextHealth = satAdd(preciseNow(), int64(p.cfg.HealthCheckPeriod))
	p.maintDone = make(chan struct{})
	go p.maintain()
	return p
}

// Config returns the pool's configuration with every default filled in.
func (p *Pool) Config() Config { return p.cfg }

// Close closes the pool: later calls to Acquire get ErrClosed, idle
// connections are closed at once, and connections still acquired are
// closed when they are released or destroyed. Acquirers waiting while
// every connection is in use get ErrClosed at the next release (puddle
// wakes them only then) or when their context ends. Close blocks
// until every connection is closed and its close counted, so it waits for
// the holders to give theirs back. Later calls do nothing; concurrent
// calls wait for the first.
func (p *Pool) Close() {
	p.closeOnce.Do(func() {
		p.cancel()
		<-p.maintDone
		p.pp.Close()
		p.reports.Wait()
		if p.metrics != nil {
			p.metrics.Unregister()
		}
		if p.usesClock {
			ticks.unsubscribe()
		}
		if p.owned != nil {
			p.owned.Close()
		}
	})
}

// signalMaintenance wakes the background maintenance, if it runs.
func (p *Pool) signalMaintenance() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// registry holds every open connection, for background maintenance and
// Stats, and the usage of those already closed.
type registry struct {
	mu      sync.Mutex
	conns   map[*conn]struct{}
	retired usage
}

func (r *registry) add(c *conn) {
	r.mu.Lock()
	r.conns[c] = struct{}{}
	r.mu.Unlock()
}

func (r *registry) remove(c *conn) {
	r.mu.Lock()
	delete(r.conns, c)
	r.retired.add(c.usage())
	r.mu.Unlock()
}

// usage adds up the acquisitions of every connection, open or closed.
func (r *registry) usage() usage {
	r.mu.Lock()
	defer r.mu.Unlock()
	total := r.retired
	for c := range r.conns {
		total.add(c.usage())
	}
	return total
}

func (u *usage) add(v usage) {
	u.acquires += v.acquires
	u.reused += v.reused
}

func (r *registry) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.conns)
}

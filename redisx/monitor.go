package redisx

import (
	"context"
	"crypto/tls"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/keepconn/keepconn/dialer"
	"github.com/keepconn/keepconn/internal/telemetry"
	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/metric"
)

// quitWriteTimeout bounds the QUIT written through TLS before a close.
const quitWriteTimeout = 100 * time.Millisecond

// monitor is what every redisx client shares: the dialer, the evidence of
// each connection, the counters and the reaper.
type monitor struct {
	cfg     Config
	d       *dialer.Dialer
	tlsConf *tls.Config   // nil: plain TCP
	await   time.Duration // the dialer's AwaitPeerClose
	start   time.Time

	idleTimeout       atomic.Int64 // ns; 0: none
	lifetime, jitter  int64        // ns; 0: none
	unexplainedReason telemetry.Reason
	closing           atomic.Bool

	dials   telemetry.Dials
	closes  telemetry.Closes
	pending atomic.Int64 // closes whose side is not reported yet
	reaped  atomic.Int64
	zombies atomic.Int64 // reaped, not yet dropped by go-redis

	mu    sync.Mutex
	conns map[*conn]struct{}

	tuneMu   sync.Mutex
	tuning   Tuning
	userIdle time.Duration // the idle time before the server's timeout is known

	poolMu    sync.Mutex
	pool      poolCounters
	poolStats func() *redis.PoolStats
	poolName  string

	metrics metric.Registration
	inst    *instruments
	stop    chan struct{}
	done    chan struct{}
}

func newMonitor(cfg Config, f poolFields, tlsConf *tls.Config, name string) (*monitor, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if err := f.validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	dc := cfg.dialerConfig(tlsConf != nil)
	if dc.MeterProvider == nil {
		dc.MeterProvider = cfg.MeterProvider
	}
	d, err := dialer.New(dc)
	if err != nil {
		return nil, err
	}
	m := &monitor{cfg: cfg, d: d, await: dc.AwaitPeerClose, start: time.Now(), conns: map[*conn]struct{}{},
		stop: make(chan struct{}), done: make(chan struct{}), poolName: name}
	if tlsConf != nil {
		m.tlsConf = tlsConf.Clone()
	}
	if cfg.PoolName != "" {
		m.poolName = cfg.PoolName
	}
	m.applyTuning(f)
	m.registerMetrics() // before go-redis can dial (MinIdleConns kept as given)
	return m, nil
}

// applyTuning sets go-redis's pool fields and the limits redisx enforces.
func (m *monitor) applyTuning(f poolFields) {
	m.userIdle = goRedisIdleTime(*f.idleTime)
	t := f.apply(&m.cfg)
	m.tuning = t
	m.idleTimeout.Store(int64(t.ConnMaxIdleTime))
	m.lifetime, m.jitter = int64(t.ConnMaxLifetime), int64(t.ConnMaxLifetimeJitter)
	m.unexplainedReason = telemetry.ReasonClosed
	if t.MaxIdleConns > 0 && t.MaxIdleConns < t.PoolSize {
		// A close with no other evidence is go-redis returning a
		// connection to a full idle list.
		m.unexplainedReason = telemetry.ReasonMaxIdle
	}
}

// now is monotonic nanoseconds since the monitor started.
func (m *monitor) now() int64 { return int64(time.Since(m.start)) }

// expiry is when a connection dialed now reaches its lifetime, jittered
// uniformly in ±jitter (jitter ≤ lifetime); 0 means never. It saturates
// instead of overflowing.
func (m *monitor) expiry(now int64) int64 {
	if m.lifetime <= 0 {
		return 0
	}
	life := m.lifetime
	if m.jitter > 0 {
		off := rand.Int64N(m.jitter) + 1 // 1…jitter, no overflow
		if rand.IntN(2) == 0 {
			life -= off
		} else if life > math.MaxInt64-off {
			return 0 // beyond any process's life
		} else {
			life += off
		}
	}
	if life > math.MaxInt64-now {
		return 0
	}
	return now + max(life, 1)
}

// dial opens a connection for go-redis: through the keepconn dialer,
// under telemetry.Claim (redisx reports it), then TLS when configured.
func (m *monitor) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	began := time.Now()
	nc, err := m.d.DialContext(telemetry.Claim(ctx), network, addr)
	if err != nil {
		m.dials.Failed(err, false)
		return nil, err
	}
	m.dials.Opened()
	kc := nc.(*dialer.Conn)
	c := &conn{Conn: kc, kc: kc, m: m}
	c.raw, _ = kc.SyscallConn()
	if m.tlsConf != nil {
		tc := tls.Client(kc, m.tlsFor(addr))
		if err := tc.HandshakeContext(ctx); err != nil {
			m.pending.Add(1)
			dialer.CloseConn(kc, telemetry.ReasonBroken, m.reporter(telemetry.ReasonBroken))
			return nil, fmt.Errorf("keepconn/redisx: TLS handshake with %s: %w", addr, err)
		}
		c.Conn, c.tls = tc, true
	}
	m.recordDial(ctx, time.Since(began))
	now := m.now()
	c.lastRead.Store(now)
	c.expires = m.expiry(now)
	m.mu.Lock()
	m.conns[c] = struct{}{}
	m.mu.Unlock()
	return c, nil
}

// tlsFor is the TLS configuration for addr: ServerName from the address
// when not set, as tls.Dial does.
func (m *monitor) tlsFor(addr string) *tls.Config {
	if m.tlsConf.ServerName != "" {
		return m.tlsConf
	}
	cfg := m.tlsConf.Clone()
	if host, _, err := net.SplitHostPort(addr); err == nil {
		cfg.ServerName = host
	}
	return cfg
}

// reporter counts one close of reason r once the dialer knows its side.
func (m *monitor) reporter(r telemetry.Reason) func(telemetry.Side) {
	return func(s telemetry.Side) {
		m.closes.Add(r, s)
		m.pending.Add(-1)
	}
}

// closeConn closes c once, with reason r: QUIT through TLS when that is
// the goodbye (over plain TCP the dialer writes it), then through the
// dialer, which waits for the server to close first.
func (m *monitor) closeConn(c *conn, r telemetry.Reason) error {
	if !c.closed.CompareAndSwap(false, true) {
		return net.ErrClosed
	}
	return m.finishClose(c, r)
}

// finishClose closes c, whose closed flag its caller set.
func (m *monitor) finishClose(c *conn, r telemetry.Reason) error {
	m.mu.Lock()
	delete(m.conns, c)
	m.mu.Unlock()
	if c.tls && !m.cfg.DisableQuit && r != telemetry.ReasonPeerClosed {
		c.Conn.SetWriteDeadline(time.Now().Add(quitWriteTimeout))
		c.Conn.Write([]byte(Quit))
	}
	m.pending.Add(1)
	return dialer.CloseConn(c.Conn, r, m.reporter(r))
}

// zombieClosed notes that go-redis dropped a connection the reaper had
// closed.
func (m *monitor) zombieClosed(c *conn) {
	if c.dropped.CompareAndSwap(false, true) {
		m.zombies.Add(-1)
	}
}

// snapshot returns the open connections.
func (m *monitor) snapshot() []*conn {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]*conn, 0, len(m.conns))
	for c := range m.conns {
		out = append(out, c)
	}
	return out
}

package sqlx

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/keepconn/keepconn/internal/telemetry"
)

// Dialect says which SQL server a Connector talks to, for the queries sqlx
// makes itself (idle-timeout discovery).
type Dialect uint8

const (
	// DialectUnknown: sqlx makes no query of its own.
	DialectUnknown Dialect = iota
	// DialectPostgres: PostgreSQL (idle_session_timeout).
	DialectPostgres
	// DialectMySQL: MySQL or MariaDB (@@wait_timeout).
	DialectMySQL
)

// ServerInfo describes the server behind a Connector.
type ServerInfo struct {
	// Driver names the driver ("pgx", "mysql", "pq").
	Driver string
	// Dialect is the server's SQL dialect.
	Dialect Dialect
	// Address is the server's host:port, for the default pool name. Never
	// put a user or password here.
	Address string
}

func (i ServerInfo) name() string {
	if i.Address == "" {
		return i.Driver
	}
	return i.Driver + " " + i.Address
}

// Connector is a driver.Connector whose connections are dialed through a
// Dialer and tracked: make one with Dialer.Connector or a driver
// sub-package, and give it to Open. It serves one DB.
type Connector struct {
	inner  driver.Connector
	dialer *Dialer
	info   ServerInfo
	tr     *tracker

	bound   atomic.Bool // Open took it
	db      atomic.Pointer[sql.DB]
	closing atomic.Bool

	// pendingMu orders closeLater against Close: once Close has set
	// closing under it, no close starts in the background, so pending's
	// Wait sees every one that did.
	pendingMu sync.Mutex
	pending   sync.WaitGroup // closes running in the background (conn.Close)

	lifetime time.Duration
	jitter   time.Duration
	checkAge int64        // liveness check from this idle time (nanos)
	idleTime atomic.Int64 // ConnMaxIdleTime in force (nanos), for close reasons

	acquisitions, reused atomic.Int64
	using, peakUsing     atomic.Int64
	createTime           atomic.Pointer[telemetry.PoolInstruments] // records each Connect's duration, once metrics are on

	discover atomic.Bool // the next Connect reads the server's idle timeout
	server   serverTimeout
	name     string
	log      *slog.Logger
}

func (c *Connector) logger() *slog.Logger {
	if c.log == nil {
		return slog.Default()
	}
	return c.log
}

var (
	_ driver.Connector = (*Connector)(nil)
	_ io.Closer        = (*Connector)(nil)
)

// Info returns what the Connector knows of its server.
func (c *Connector) Info() ServerInfo { return c.info }

// Dialer returns the Dialer the connections are dialed through.
func (c *Connector) Dialer() *Dialer { return c.dialer }

// Driver returns the driver's Driver.
func (c *Connector) Driver() driver.Driver { return c.inner.Driver() }

// Connect opens a connection through the driver and wraps it.
func (c *Connector) Connect(ctx context.Context) (driver.Conn, error) {
	s := &slot{tr: c.tr}
	start := time.Now()
	c.inUse(1) // a connection being opened is wanted by a caller now
	dc, err := c.inner.Connect(withSlot(ctx, s))
	if err != nil {
		c.inUse(-1)
		c.tr.connectErrors.Add(1)
		return nil, err
	}
	sock := s.live()
	if sock == nil {
		c.inUse(-1)
		dc.Close()
		c.tr.connectErrors.Add(1)
		return nil, ErrUntracked
	}
	if r := c.createTime.Load(); r != nil {
		r.RecordCreate(ctx, time.Since(start))
	}
	c.discoverOn(ctx, dc)
	w := newConn(dc, c, sock, c.deadline())
	w.out.Store(true)              // counted in use since the Connect began
	w.returnedAt.Store(nanotime()) // idle from now, if database/sql pools it unused
	return w, nil
}

// deadline draws a connection's end of life: now + lifetime + a uniform
// share of the jitter.
func (c *Connector) deadline() int64 {
	if c.lifetime <= 0 {
		return 0
	}
	life := c.lifetime
	if c.jitter > 0 {
		life = lifetimeAdd(life, rand.N(lifetimeAdd(c.jitter, 1))) // [0, jitter]
	}
	return int64(lifetimeAdd(time.Duration(nanotime()), life))
}

// Close is called by sql.DB.Close after it closed the idle connections;
// connections still in use are closed as they come back, counted as
// Closed. If the Dialer made its keepconn dialer, Close shuts it down,
// letting the closes already made wait for the server's FIN for up to
// DefaultAwaitPeerClose (dialer.Dialer.Shutdown); connections closed
// later close at once.
func (c *Connector) Close() error {
	c.pendingMu.Lock()
	c.closing.Store(true)
	c.pendingMu.Unlock()
	c.pending.Wait()
	if !c.dialer.owned {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), DefaultAwaitPeerClose+100*time.Millisecond)
	defer cancel()
	if err := c.dialer.d.Shutdown(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}

// closeLater runs close in the background, and Close waits for it. Once
// the Connector is closing it runs nothing and reports false: the caller
// then closes in place, for ReasonClosed, which needs no lock.
func (c *Connector) closeLater(close func()) bool {
	c.pendingMu.Lock()
	defer c.pendingMu.Unlock()
	if c.closing.Load() {
		return false
	}
	c.pending.Add(1)
	go func() {
		defer c.pending.Done()
		close()
	}()
	return true
}

func (c *Connector) checkDue(returnedAt int64) bool {
	return nanotime()-returnedAt >= c.checkAge
}

func (c *Connector) acquired(reused bool) {
	c.acquisitions.Add(1)
	if reused {
		c.reused.Add(1)
	}
}

// inUse moves the count of connections in use and its peak.
func (c *Connector) inUse(d int64) {
	n := c.using.Add(d)
	for {
		p := c.peakUsing.Load()
		if n <= p || c.peakUsing.CompareAndSwap(p, n) {
			return
		}
	}
}

// takePeak returns the peak in use since the last call and starts a new
// period at the current count.
func (c *Connector) takePeak() int64 {
	return c.peakUsing.Swap(c.using.Load())
}

type claimKind uint8

const (
	claimMaxIdle claimKind = iota
	claimIdleTime
	claimLifetime
	claimKinds // how many kinds there are
)

// counted is database/sql's count of closes of kind k.
func (k claimKind) counted(st sql.DBStats) int64 {
	switch k {
	case claimIdleTime:
		return st.MaxIdleTimeClosed
	case claimLifetime:
		return st.MaxLifetimeClosed
	}
	return st.MaxIdleClosed
}

// claim attributes one close to database/sql's MaxIdleClosed,
// MaxIdleTimeClosed or MaxLifetimeClosed (a lifetime set on the embedded
// *sql.DB itself), if that counter has an increment no close has been
// attributed to yet.
func (c *Connector) claim(k claimKind) bool {
	db := c.db.Load()
	if db == nil {
		return false
	}
	return claimOne(&c.tr.claimed[k], func() int64 { return k.counted(db.Stats()) })
}

// testHookClaimBetweenReads, if set, runs in claimOne between its read of
// the claims and its read of database/sql's counter (tests). Atomic, so
// that a close still running from an earlier test may read it.
var testHookClaimBetweenReads atomic.Pointer[func()]

// claimOne takes one of the increments counted() reports that have no
// claim yet; have holds the claims taken.
//
// database/sql counts a close before it makes it, so every claim already
// made had its increment before it was made. claimOne therefore reads the
// claims first and the counter after: a close counted after this one's
// read of the counter could otherwise claim first and use up this close's
// increment.
func claimOne(have *atomic.Int64, counted func() int64) bool {
	for {
		old := have.Load()
		if hook := testHookClaimBetweenReads.Load(); hook != nil {
			(*hook)()
		}
		if old >= counted() {
			return false
		}
		if have.CompareAndSwap(old, old+1) {
			return true
		}
	}
}

var epoch = time.Now()

// nanotime is a monotonic clock in nanoseconds, never 0.
func nanotime() int64 { return int64(time.Since(epoch)) + 1 }

package sqlx

import (
	"context"
	"database/sql/driver"
	"errors"
	"sync/atomic"

	"github.com/keepconn/keepconn/internal/telemetry"
)

// conn wraps the driver's connection. It adds what database/sql lacks: a
// per-connection lifetime with jitter, a liveness check before reuse, and
// the evidence for why database/sql closes it. Its methods forward to the
// driver's; where the driver lacks an optional interface they answer as
// database/sql expects of a driver without it (driver.ErrSkip).
//
// Code that needs the driver's own connection (sql.Conn.Raw) gets a
// conn: DriverConn unwraps it.
type conn struct {
	inner driver.Conn
	c     *Connector
	sock  *trackedConn

	execer    driver.ExecerContext
	queryer   driver.QueryerContext
	preparer  driver.ConnPrepareContext
	beginner  driver.ConnBeginTx
	pinger    driver.Pinger
	resetter  driver.SessionResetter
	validator driver.Validator
	checker   driver.NamedValueChecker

	deadline   int64        // clock nanos after which the lifetime is over; 0: none
	returnedAt atomic.Int64 // clock nanos of the last return (or of the Connect, before the first)
	parked     atomic.Bool  // back in the pool, not taken since
	expired    atomic.Bool  // closed for its lifetime
	uses       atomic.Int64
	out        atomic.Bool // handed out by database/sql, not yet returned
	handed     atomic.Bool // database/sql has called one of its methods besides Close
}

var (
	_ driver.Conn               = (*conn)(nil)
	_ driver.ExecerContext      = (*conn)(nil)
	_ driver.QueryerContext     = (*conn)(nil)
	_ driver.ConnPrepareContext = (*conn)(nil)
	_ driver.ConnBeginTx        = (*conn)(nil)
	_ driver.Pinger             = (*conn)(nil)
	_ driver.SessionResetter    = (*conn)(nil)
	_ driver.Validator          = (*conn)(nil)
	_ driver.NamedValueChecker  = (*conn)(nil)
)

func newConn(inner driver.Conn, c *Connector, sock *trackedConn, deadline int64) *conn {
	w := &conn{inner: inner, c: c, sock: sock, deadline: deadline}
	w.execer, _ = inner.(driver.ExecerContext)
	w.queryer, _ = inner.(driver.QueryerContext)
	w.preparer, _ = inner.(driver.ConnPrepareContext)
	w.beginner, _ = inner.(driver.ConnBeginTx)
	w.pinger, _ = inner.(driver.Pinger)
	w.resetter, _ = inner.(driver.SessionResetter)
	w.validator, _ = inner.(driver.Validator)
	w.checker, _ = inner.(driver.NamedValueChecker)
	return w
}

// DriverConn returns the driver's own connection behind dc, the value
// sql.Conn.Raw passes to its function; any other value is returned as is.
//
//	conn.Raw(func(dc any) error {
//		pc := sqlx.DriverConn(dc).(*stdlib.Conn).Conn() // *pgx.Conn
//		...
//	})
func DriverConn(dc any) any {
	if w, ok := dc.(*conn); ok {
		return w.inner
	}
	return dc
}

func (w *conn) Prepare(query string) (driver.Stmt, error) {
	w.markHanded()
	return w.inner.Prepare(query)
}

func (w *conn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	w.markHanded()
	if w.preparer != nil {
		return w.preparer.PrepareContext(ctx, query)
	}
	return w.inner.Prepare(query)
}

// Begin is driver.Conn's deprecated method; database/sql calls BeginTx.
func (w *conn) Begin() (driver.Tx, error) {
	w.markHanded()
	return w.inner.Begin()
}

func (w *conn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	w.markHanded()
	if w.beginner != nil {
		return w.beginner.BeginTx(ctx, opts)
	}
	if opts.ReadOnly || opts.Isolation != 0 {
		return nil, errors.New("keepconn/sqlx: the driver does not support transaction options")
	}
	return w.inner.Begin()
}

func (w *conn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	w.markHanded()
	if w.execer == nil {
		return nil, driver.ErrSkip
	}
	return w.execer.ExecContext(ctx, query, args)
}

func (w *conn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	w.markHanded()
	if w.queryer == nil {
		return nil, driver.ErrSkip
	}
	return w.queryer.QueryContext(ctx, query, args)
}

func (w *conn) Ping(ctx context.Context) error {
	w.markHanded()
	if w.pinger == nil {
		return nil
	}
	return w.pinger.Ping(ctx)
}

func (w *conn) CheckNamedValue(nv *driver.NamedValue) error {
	w.markHanded()
	if w.checker == nil {
		return driver.ErrSkip
	}
	return w.checker.CheckNamedValue(nv)
}

// ResetSession runs when database/sql takes the connection from the pool:
// an expired connection, or one the server closed, is refused with
// driver.ErrBadConn, and database/sql takes another.
func (w *conn) ResetSession(ctx context.Context) error {
	w.markHanded()
	wasParked := w.parked.Swap(false)
	w.take()
	if w.isExpired() {
		return driver.ErrBadConn
	}
	if wasParked && w.sock != nil && w.c.checkDue(w.returnedAt.Load()) && w.sock.suspect() {
		return driver.ErrBadConn
	}
	if w.resetter != nil {
		return w.resetter.ResetSession(ctx)
	}
	return nil
}

// IsValid runs when a connection comes back to the pool: an expired one
// is refused and closed. A use ends here, and is counted, only if the
// connection was handed out: database/sql also returns a connection it
// had passed to a waiter whose context ended before the waiter took it.
func (w *conn) IsValid() bool {
	w.markHanded()
	if w.giveBack() {
		w.c.acquired(w.uses.Add(1) > 1)
	}
	if w.isExpired() {
		return false
	}
	if w.validator != nil && !w.validator.IsValid() {
		return false
	}
	w.returnedAt.Store(nanotime())
	w.parked.Store(true)
	return true
}

func (w *conn) isExpired() bool {
	if w.deadline == 0 || nanotime() < w.deadline {
		return false
	}
	w.expired.Store(true)
	return true
}

// markHanded records that database/sql has used the connection: it is
// then never closed with the DB's lock held. It loads first so that a
// connection in steady use does not write the flag on every call.
func (w *conn) markHanded() {
	if !w.handed.Load() {
		w.handed.Store(true)
	}
}

// Close closes the driver's connection, telling the socket why.
//
// database/sql closes one kind of connection while holding the DB's
// lock: one it opened for a waiter that had gone by the time the
// connection was up (openNewConnection), when the idle list is full or
// the DB closed meanwhile. Such a connection was never handed out, and
// explaining its close needs the DB's counters, which take that lock; so
// a connection closed before database/sql used it is explained and
// closed in the background, where the lock is free again. Connector.Close
// waits for those closes.
func (w *conn) Close() error {
	w.giveBack()
	if w.sock == nil {
		return w.inner.Close()
	}
	if r, ok := w.settledReason(); ok {
		w.sock.setReason(r)
		return w.inner.Close()
	}
	if !w.handed.Load() && w.c.closeLater(w.closeUnused) {
		return nil
	}
	r, ok := w.closeReason()
	if !ok {
		r = w.sock.unexplainedReason()
	}
	w.sock.setReason(r)
	return w.inner.Close()
}

// closeUnused claims a close count for a connection database/sql never
// used, then closes it; it runs outside database/sql's lock.
func (w *conn) closeUnused() {
	r, ok := w.claimReason()
	if !ok {
		r = w.sock.unexplainedReason()
	}
	w.sock.setReason(r)
	w.inner.Close()
}

// settledReason is a close reason that needs no claim: the DB is closing
// or the lifetime ended.
func (w *conn) settledReason() (telemetry.Reason, bool) {
	switch {
	case w.c.closing.Load():
		return telemetry.ReasonClosed, true
	case w.expired.Load():
		return telemetry.ReasonMaxLifetime, true
	}
	return 0, false
}

// closeReason explains a close from evidence: the DB is closing; the
// lifetime ended; database/sql counted a close at the idle cap or for
// idle time while this connection sat in the pool, or before database/sql
// used it (it opens connections for waiters that may have gone by the
// time the connection is up, and then pools or closes it, never handed
// out). A connection database/sql has used and not given back is in use:
// database/sql counts none of those closes. Otherwise it reports false,
// and the close is the socket's unexplainedReason, read before the
// driver's goodbye.
func (w *conn) closeReason() (telemetry.Reason, bool) {
	if r, ok := w.settledReason(); ok {
		return r, true
	}
	if !w.parked.Load() && w.handed.Load() {
		return 0, false
	}
	return w.claimReason()
}

// claimReason claims one of database/sql's close counts for this close:
// for idle time if the connection sat idle that long, for a lifetime set
// on the *sql.DB, at the idle cap.
func (w *conn) claimReason() (telemetry.Reason, bool) {
	idle := nanotime() - w.returnedAt.Load()
	if t := w.c.idleTime.Load(); t > 0 && idle >= t && w.c.claim(claimIdleTime) {
		return telemetry.ReasonMaxIdleTime, true
	}
	if w.c.claim(claimLifetime) {
		return telemetry.ReasonMaxLifetime, true
	}
	if w.c.claim(claimMaxIdle) {
		return telemetry.ReasonMaxIdle, true
	}
	return 0, false
}

// take and giveBack keep the Connector's count of connections in use.
func (w *conn) take() {
	if !w.out.Swap(true) {
		w.c.inUse(1)
	}
}

// giveBack reports whether the connection was out.
func (w *conn) giveBack() bool {
	if !w.out.Swap(false) {
		return false
	}
	w.c.inUse(-1)
	return true
}

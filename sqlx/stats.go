package sqlx

import (
	"database/sql"
	"time"

	"github.com/keepconn/keepconn"
	"github.com/keepconn/keepconn/internal/telemetry"
)

// Stats is a snapshot of a DB in keepconn's shared churn vocabulary,
// with database/sql's own DBStats beside it.
//
// Every connection the driver dialed is counted: Opened, and once closed
// one close reason and one side. After Close, once the dialer has reported
// every close, Opened == TotalClosed() and Open == 0. The reasons come
// from evidence: MaxIdleClosed and MaxIdleTimeClosed are database/sql's
// own counts, each matched to the connection it closed; MaxLifetimeClosed
// is sqlx's jittered lifetime; PeerClosed a connection the server had
// closed or reset when it was closed; Closed a close by DB.Close;
// BrokenClosed every close database/sql does not explain (after
// driver.ErrBadConn, a failed handshake, a lowered MaxOpen). The sides
// are the keepconn dialer's, measured at the socket.
//
// InUse, Idle, WaitCount and WaitDuration are database/sql's.
// Acquisitions and Reused are counted when a connection handed to a
// caller comes back to the pool (not when database/sql takes one back
// from a waiter that gave up before it took it). There is no Timeouts: database/sql does not tell a wait that its
// context ended from one that got a connection.
type Stats struct {
	keepconn.PoolStats

	// MaxOpen and MaxIdle are the caps in force (AutoTune may have raised
	// MaxIdle).
	MaxOpen, MaxIdle int64
	// ConnMaxIdleTime is the idle timeout in force, discovered or set.
	ConnMaxIdleTime time.Duration
	// ServerIdleTimeout is the server's idle timeout found by discovery;
	// zero if none or not (yet) known.
	ServerIdleTimeout time.Duration
	// PeakInUse is the most connections in use at once since the
	// advisor's last window began.
	PeakInUse int64
	// ConnectErrors counts Connect calls that failed after or without a
	// dial: the dial's own failures are DialErrors.
	ConnectErrors int64

	// DB is database/sql's own snapshot.
	DB sql.DBStats
}

// Stats returns a snapshot of the DB. It is safe to call at any time,
// also after Close.
func (db *DB) Stats() Stats {
	c := db.c
	st := db.DB.Stats()
	s := Stats{
		MaxOpen:           int64(st.MaxOpenConnections),
		MaxIdle:           int64(db.currentMaxIdle()),
		ConnMaxIdleTime:   time.Duration(c.idleTime.Load()),
		ServerIdleTimeout: c.server.get(),
		PeakInUse:         c.peakUsing.Load(),
		ConnectErrors:     c.tr.connectErrors.Load(),
		DB:                st,
	}
	closes := c.tr.closes.Snapshot()
	c.tr.dials.AddTo(&s.ConnStats)
	closes.AddTo(&s.ConnStats)
	s.Open = s.Opened - s.TotalClosed()
	s.InUse, s.Idle = int64(st.InUse), int64(st.Idle)
	s.Acquisitions, s.Reused = c.acquisitions.Load(), c.reused.Load()
	s.WaitCount, s.WaitDuration = st.WaitCount, st.WaitDuration
	return s
}

func (db *DB) churn(s Stats) telemetry.Churn {
	return telemetry.Churn{Opened: s.Opened, DialErrors: s.DialErrors, AddrNotAvail: s.AddrNotAvail,
		Open: s.Open, Closes: db.c.tr.closes.Snapshot()}
}

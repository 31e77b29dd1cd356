package keepconn

import "time"

// ConnStats counts the births and deaths of connections. It is embedded in
// the Stats of every keepconn package (dialer.Stats, pool.Stats,
// httpx.Stats), so each field has exactly the meaning written here
// wherever it appears. Counters only grow; Open is a gauge.
//
// Every close is counted once by reason and once by side: see the package
// doc for the identities that hold between the fields.
type ConnStats struct {
	// Open is the number of connections dialed and not yet closed.
	Open int64

	// Opened counts dials that succeeded.
	Opened int64
	// DialErrors counts dials that failed, for any reason.
	DialErrors int64
	// AddrNotAvail counts the dials among DialErrors that failed with
	// EADDRNOTAVAIL because no local port was left towards the
	// destination: ephemeral port exhaustion.
	AddrNotAvail int64

	// Closes by reason (Reason).

	// MaxIdleClosed counts connections closed because the idle cap was
	// full when they came back.
	MaxIdleClosed int64
	// MaxIdleTimeClosed counts connections closed for being idle longer
	// than the idle timeout.
	MaxIdleTimeClosed int64
	// MaxLifetimeClosed counts connections closed for being older than
	// the lifetime.
	MaxLifetimeClosed int64
	// PeerClosed counts connections the peer closed or reset first.
	PeerClosed int64
	// BrokenClosed counts connections closed after an I/O or protocol
	// error on a connection the peer had not closed.
	BrokenClosed int64
	// Closed counts connections closed by the application, or at
	// shutdown of what owned them.
	Closed int64

	// Closes by side (Side).

	// ActiveCloses counts closes where this host sent the first FIN: each
	// left a TIME_WAIT here for 60 s.
	ActiveCloses int64
	// PassiveCloses counts closes where the peer's FIN or reset came
	// first: no TIME_WAIT here.
	PassiveCloses int64
	// AbortiveCloses counts closes with an RST from this host: no
	// TIME_WAIT anywhere.
	AbortiveCloses int64
}

// TotalClosed returns the connections closed for any reason: the sum of
// the closes by reason, which equals the sum of the closes by side.
func (s ConnStats) TotalClosed() int64 {
	return s.MaxIdleClosed + s.MaxIdleTimeClosed + s.MaxLifetimeClosed +
		s.PeerClosed + s.BrokenClosed + s.Closed
}

// AddClose counts one close of reason r and side s.
func (s *ConnStats) AddClose(r Reason, side Side, n int64) {
	switch r {
	case ReasonClosed:
		s.Closed += n
	case ReasonMaxIdle:
		s.MaxIdleClosed += n
	case ReasonMaxIdleTime:
		s.MaxIdleTimeClosed += n
	case ReasonMaxLifetime:
		s.MaxLifetimeClosed += n
	case ReasonPeerClosed:
		s.PeerClosed += n
	case ReasonBroken:
		s.BrokenClosed += n
	}
	switch side {
	case SideActive:
		s.ActiveCloses += n
	case SidePassive:
		s.PassiveCloses += n
	case SideAbortive:
		s.AbortiveCloses += n
	}
}

// PoolStats is what a pool of connections adds to ConnStats: how its
// connections are used. It is embedded in pool.Stats and httpx.Stats.
// "Acquisition" means one use of a connection by a caller: an Acquire, an
// HTTP request, a query, a command.
type PoolStats struct {
	ConnStats

	// InUse is the number of open connections serving a caller now.
	InUse int64
	// Idle is the number of open connections waiting for a caller.
	// InUse + Idle ≤ Open: the rest are being closed (waiting for the
	// peer's FIN, see dialer.Config.AwaitPeerClose).
	Idle int64

	// Acquisitions counts acquisitions served.
	Acquisitions int64
	// Reused counts acquisitions served by a connection that had served
	// an acquisition before.
	Reused int64
	// WaitCount counts acquisitions that waited because a connection cap
	// was reached (as sql.DBStats.WaitCount): waiting for a dial that
	// was free to start does not count.
	WaitCount int64
	// WaitDuration is the total time those acquisitions waited.
	WaitDuration time.Duration
}

// Timeouts, in the packages whose pools can see it (pool.Stats,
// httpx.Stats, redisx.Stats), counts acquisitions ended by their context
// or timeout before a connection was handed out. It is not part of
// PoolStats because database/sql does not tell a wait its context ended
// from one that got a connection: sqlx.Stats has no such field rather
// than one that is always zero.

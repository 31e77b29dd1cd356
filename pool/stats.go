package pool

import (
	"time"

	"github.com/keepconn/keepconn/internal/telemetry"
)

// Stats is a snapshot of a pool, in keepconn's shared churn vocabulary.
// Each field is read atomically, the snapshot as a whole is not: taken
// while connections come and go, the counters can be a moment apart (a
// destroyed connection is counted closed a moment before puddle stops
// counting it in use). On a quiet pool Opened == Closed() + Open.
type Stats struct {
	// Status.

	// MaxOpen is MaxConns.
	MaxOpen int64
	// Open is the connections open now: InUse + Idle.
	Open int64
	// InUse is the connections acquired now (including those the
	// background maintenance is looking at).
	InUse int64
	// Idle is the connections waiting in the pool.
	Idle int64
	// Dialing is the dials in progress.
	Dialing int64

	// Counters, since New.

	// Opened counts dials that succeeded.
	Opened int64
	// DialErrors counts dials that failed, EADDRNOTAVAIL included.
	DialErrors int64
	// AddrNotAvail counts dials that failed with EADDRNOTAVAIL: no local
	// port left towards the address.
	AddrNotAvail int64
	// DialWaits counts dials that waited for another dial probing an
	// unproven or failing backend instead of dialing at the same time.
	DialWaits int64
	// DialBackoffs counts dials refused during a backoff after failures
	// (the Acquire failed with ErrDialBackoff).
	DialBackoffs int64

	// Acquires counts connections handed out by Acquire.
	Acquires int64
	// Reused counts acquisitions of a connection that had been handed out
	// before or was dialed ahead for MinIdle: every acquisition but the
	// first of each connection dialed on demand.
	Reused int64
	// WaitCount counts acquisitions that found no idle connection and
	// waited for a release or a dial (an Acquire retrying after a dead
	// connection can wait twice).
	WaitCount int64
	// WaitDuration is the total time of those waits.
	WaitDuration time.Duration
	// Timeouts counts Acquire calls ended by their context.
	Timeouts int64
	// LivenessChecks counts MSG_PEEK checks made before handing a
	// connection out.
	LivenessChecks int64

	// Closes by reason. Their sum is Closed().

	// MaxIdleClosed counts connections closed at Release because MaxIdle
	// were idle already.
	MaxIdleClosed int64
	// MaxIdleTimeClosed counts connections closed after IdleTimeout idle.
	MaxIdleTimeClosed int64
	// MaxLifetimeClosed counts connections closed after MaxLifetime.
	MaxLifetimeClosed int64
	// BrokenClosed counts connections the caller destroyed, and idle ones
	// the liveness check found holding unexpected bytes.
	BrokenClosed int64
	// PeerClosed counts idle connections the liveness check found closed
	// or reset by the peer.
	PeerClosed int64
	// PoolClosed counts connections closed by Close.
	PoolClosed int64

	// Closes by side. Their sum is Closed() too.

	// ActiveCloses counts closes made first by this host: each left a
	// TIME_WAIT here for 60 s.
	ActiveCloses int64
	// PassiveCloses counts closes after the peer had closed or reset the
	// connection: no TIME_WAIT here.
	PassiveCloses int64
	// AbortiveCloses counts closes with an RST (AbortIdleClose): no
	// TIME_WAIT anywhere.
	AbortiveCloses int64
}

// Closed returns the connections closed for any reason.
func (s Stats) Closed() int64 {
	return s.MaxIdleClosed + s.MaxIdleTimeClosed + s.MaxLifetimeClosed +
		s.BrokenClosed + s.PeerClosed + s.PoolClosed
}

// Stats returns a snapshot of the pool's state and counters. It is safe to
// call at any time, also after Close; it takes puddle's lock briefly.
func (p *Pool) Stats() Stats {
	c := &p.count
	use := p.reg.usage()
	st := p.pp.Stat()
	closes := c.closes.Snapshot()
	s := Stats{
		MaxOpen:        int64(st.MaxResources()),
		InUse:          int64(st.AcquiredResources()),
		Idle:           int64(st.IdleResources()),
		Dialing:        int64(st.ConstructingResources()),
		Opened:         c.opened.Load(),
		DialErrors:     c.dialErrors.Load(),
		AddrNotAvail:   c.addrNotAvail.Load(),
		DialWaits:      c.dialWaits.Load(),
		DialBackoffs:   c.dialBackoffs.Load(),
		Acquires:       use.acquires,
		Reused:         use.reused,
		WaitCount:      st.EmptyAcquireCount(),
		WaitDuration:   st.EmptyAcquireWaitTime(),
		Timeouts:       st.CanceledAcquireCount(),
		LivenessChecks: c.checks.Load(),

		MaxIdleClosed:     closes.ByReason(telemetry.ReasonMaxIdle),
		MaxIdleTimeClosed: closes.ByReason(telemetry.ReasonMaxIdleTime),
		MaxLifetimeClosed: closes.ByReason(telemetry.ReasonMaxLifetime),
		BrokenClosed:      closes.ByReason(telemetry.ReasonBroken),
		PeerClosed:        closes.ByReason(telemetry.ReasonPeerClosed),
		PoolClosed:        closes.ByReason(telemetry.ReasonClosed),
		ActiveCloses:      closes.BySide(telemetry.SideActive),
		PassiveCloses:     closes.BySide(telemetry.SidePassive),
		AbortiveCloses:    closes.BySide(telemetry.SideAbortive),
	}
	s.Open = s.InUse + s.Idle
	return s
}

func (p *Pool) churn(s Stats) telemetry.Churn {
	return telemetry.Churn{
		Opened:       s.Opened,
		DialErrors:   s.DialErrors,
		AddrNotAvail: s.AddrNotAvail,
		Open:         s.Open,
		Closes:       p.count.closes.Snapshot(),
	}
}

package pool

import (
	"time"

	"github.com/keepconn/keepconn"
	"github.com/keepconn/keepconn/internal/telemetry"
)

// Stats is a snapshot of a pool, in keepconn's shared churn vocabulary:
// the embedded keepconn.PoolStats (and its keepconn.ConnStats) mean what
// their docs say, in every keepconn package. In a pool:
//
//   - Open is Opened minus the closes counted: InUse + Idle, plus the
//     connections the pool let go whose close is not finished yet (a
//     dialer with AwaitPeerClose waits for the peer's FIN). A connection
//     being dialed is not Open yet (see Dialing).
//   - Acquisitions counts Acquire calls that returned a connection;
//     Reused those served by a connection that had served an Acquire
//     before (the first use of a connection dialed ahead for MinIdle is
//     not a reuse).
//   - WaitCount counts Acquire calls that found no idle connection while
//     MaxConns were open or being dialed, whether they then got one or
//     their context ended; WaitDuration is the time they waited, up to a
//     connection or the start of their own dial. An Acquire that finds no
//     idle connection but room to dial does not wait: it dials.
//   - Timeouts counts Acquire calls ended by their context.
//   - PeerClosed counts connections the peer had closed or reset when the
//     pool closed them: found by a liveness check, or destroyed by the
//     caller after the failed reuse.
//   - BrokenClosed counts connections destroyed by the caller while the
//     peer had not closed them, and idle ones found holding bytes nobody
//     asked for.
//   - Closed counts connections closed by Close.
//
// Each field is read atomically, the snapshot as a whole is not: taken
// while connections come and go, the counters can be a moment apart. On a
// quiet pool, and always after Close, Opened == TotalClosed() + Open ==
// ActiveCloses + PassiveCloses + AbortiveCloses + Open.
type Stats struct {
	keepconn.PoolStats

	// Timeouts counts acquisitions ended by their context or timeout
	// before a connection was handed out (keepconn's vocabulary; see
	// keepconn.PoolStats).
	Timeouts int64

	// MaxOpen is MaxConns, the cap on Open plus Dialing.
	MaxOpen int64
	// Dialing is the dials in progress.
	Dialing int64

	// DialWaits counts dials that waited for another dial probing an
	// unproven or failing backend instead of dialing at the same time.
	DialWaits int64
	// DialBackoffs counts dials refused during a backoff after failures
	// (the Acquire failed with ErrDialBackoff).
	DialBackoffs int64
	// LivenessChecks counts MSG_PEEK checks Acquire made before handing a
	// connection out.
	LivenessChecks int64
	// HealthChecks counts MSG_PEEK checks the background maintenance made,
	// every HealthCheckPeriod, of the open connections.
	HealthChecks int64
}

// Stats returns a snapshot of the pool's state and counters. It is safe to
// call at any time, also after Close; it takes puddle's lock briefly.
func (p *Pool) Stats() Stats {
	c := &p.count
	use := p.reg.usage()
	st := p.pp.Stat()
	var s Stats
	c.closes.Snapshot().AddTo(&s.ConnStats) // before the dials: a close never precedes its dial
	c.dials.AddTo(&s.ConnStats)
	s.InUse = int64(st.AcquiredResources())
	s.Idle = int64(st.IdleResources())
	s.Open = s.Opened - s.TotalClosed()
	s.Acquisitions = use.acquires
	s.Reused = use.reused
	s.WaitCount = c.waits.Load()
	s.WaitDuration = time.Duration(c.waitNanos.Load())
	s.Timeouts = c.timeouts.Load()
	s.MaxOpen = int64(p.cfg.MaxConns)
	s.Dialing = p.dialing.Load()
	s.DialWaits = c.dialWaits.Load()
	s.DialBackoffs = c.dialBackoffs.Load()
	s.LivenessChecks = c.checks.Load()
	s.HealthChecks = c.healthChecks.Load()
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

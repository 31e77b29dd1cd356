package dialer

import (
	"sync/atomic"

	"github.com/keepconn/keepconn"
	"github.com/keepconn/keepconn/internal/telemetry"
)

// Stats is a snapshot of a Dialer's counters. The embedded ConnStats has
// keepconn's shared meaning; the fields after it are the dialer's own.
//
// Every connection the dialer made is counted, also those dialed for a
// pool or Transport (under telemetry.Claim) that the dialer leaves out of
// its metrics. A close is counted once its outcome is known: with
// Config.AwaitPeerClose that is when the background wait has ended, so
// Open still includes the AwaitingClose connections.
type Stats struct {
	keepconn.ConnStats

	// SourceRetries counts attempts moved to another source address or
	// port after EADDRNOTAVAIL.
	SourceRetries int64
	// SourceUnavailable counts dials that failed because a configured
	// source address could not be bound: it is gone from this host. They
	// are among DialErrors, never among AddrNotAvail, although the error
	// satisfies errors.Is(err, syscall.EADDRNOTAVAIL).
	SourceUnavailable int64
	// PortWaits counts dials that found no local port free and waited for
	// a connection awaiting its peer's close (Config.AwaitPeerClose) to end
	// and free one, instead of failing.
	PortWaits int64

	// AwaitingClose is the number of connections closed by their user and
	// waiting now, in the background, for the peer's FIN.
	AwaitingClose int64
	// AwaitTimeouts counts waits for the peer's FIN that ended without it
	// (AwaitPeerClose passed, or Dialer.Close cut the wait short): those
	// connections were then closed gracefully from this side.
	AwaitTimeouts int64
	// AwaitOverflows counts closes that would have waited for the peer's
	// FIN but found MaxAwaitingClose connections waiting already, and
	// closed at once.
	AwaitOverflows int64
}

type counters struct {
	dials             telemetry.Dials
	closes            telemetry.Closes
	sourceRetries     atomic.Int64
	sourceUnavailable atomic.Int64
	portWaits         atomic.Int64
	awaitTimeouts     atomic.Int64
	awaitOverflows    atomic.Int64
	roundRobin        atomic.Uint32
}

// Stats returns the dialer's counters. It is safe to call at any time,
// also after Close.
func (d *Dialer) Stats() Stats {
	var s Stats
	d.closes.Snapshot().AddTo(&s.ConnStats) // closes first: Open never below 0
	d.dials.AddTo(&s.ConnStats)
	s.Open = s.Opened - s.TotalClosed()
	s.SourceRetries = d.sourceRetries.Load()
	s.SourceUnavailable = d.sourceUnavailable.Load()
	s.PortWaits = d.portWaits.Load()
	s.AwaitingClose = d.awaits.count.Load()
	s.AwaitTimeouts = d.awaitTimeouts.Load()
	s.AwaitOverflows = d.awaitOverflows.Load()
	return s
}

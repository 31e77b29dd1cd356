package dialer

import (
	"errors"
	"sync/atomic"
	"syscall"

	"github.com/keepconn/keepconn/internal/telemetry"
)

// Stats is a snapshot of a Dialer's counters, in keepconn's shared churn
// vocabulary.
type Stats struct {
	// Open is the number of connections dialed and not yet closed.
	Open int64

	// Opened counts dials that succeeded.
	Opened int64
	// DialErrors counts dials that failed, for any reason.
	DialErrors int64
	// AddrNotAvail counts dials that failed with EADDRNOTAVAIL: no local
	// port was left towards the destination, on any source address.
	AddrNotAvail int64
	// SourceRetries counts attempts moved to another source address or
	// port after EADDRNOTAVAIL.
	SourceRetries int64

	// ActiveCloses counts closes made first by this host: each left a
	// TIME_WAIT here for 60 s.
	ActiveCloses int64
	// PassiveCloses counts closes after the peer had closed (or reset):
	// no TIME_WAIT here.
	PassiveCloses int64
	// AbortiveCloses counts closes with an RST: no TIME_WAIT anywhere.
	AbortiveCloses int64
}

type counters struct {
	opened        atomic.Int64
	dialErrors    atomic.Int64
	addrNotAvail  atomic.Int64
	sourceRetries atomic.Int64
	roundRobin    atomic.Uint32
	closes        telemetry.Closes
}

func (c *counters) countDialError(err error) {
	c.dialErrors.Add(1)
	if errors.Is(err, syscall.EADDRNOTAVAIL) {
		c.addrNotAvail.Add(1)
	}
}

// Stats returns the dialer's counters. It is safe to call at any time.
func (d *Dialer) Stats() Stats {
	closes := d.closes.Snapshot()
	addrNotAvail := d.addrNotAvail.Load() // before DialErrors, which grows first
	s := Stats{
		Opened:         d.opened.Load(),
		DialErrors:     d.dialErrors.Load(),
		AddrNotAvail:   addrNotAvail,
		SourceRetries:  d.sourceRetries.Load(),
		ActiveCloses:   closes.BySide(telemetry.SideActive),
		PassiveCloses:  closes.BySide(telemetry.SidePassive),
		AbortiveCloses: closes.BySide(telemetry.SideAbortive),
	}
	s.Open = s.Opened - closes.Total()
	return s
}

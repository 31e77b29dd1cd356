package httpx

import (
	"sync/atomic"
	"time"

	"github.com/keepconn/keepconn/internal/telemetry"
)

// Stats is a snapshot of a Transport's counters, in keepconn's shared churn
// vocabulary plus what only an HTTP client knows. Connection fields count
// the connections the Transport dialed, over all destinations; they stay
// zero when Wrap wraps a RoundTripper whose dials it cannot see.
type Stats struct {
	// Status.
	Open    int64 // connections open now
	InUse   int64 // open connections serving a request now
	Idle    int64 // open connections waiting for a request
	MaxOpen int   // connection cap per host (0 when unknown)

	// Connection counters.
	Opened       int64 // dials that succeeded
	DialErrors   int64 // dials that failed, EADDRNOTAVAIL included
	AddrNotAvail int64 // dials that failed with EADDRNOTAVAIL (no local port left)

	// Request counters.
	Requests     int64         // round trips finished, failed ones included
	Reused       int64         // connections handed out that had served a request before (httptrace GotConnInfo.Reused)
	WaitCount    int64         // requests that had to wait for a new or freed connection
	WaitDuration time.Duration // total time those requests waited
	Retries      int64         // requests sent again after a reused connection turned out closed

	// ConnectionCloseResponses counts responses after which the connection
	// could not be reused ("Connection: close", HTTP/1.0).
	ConnectionCloseResponses int64
	// Drained counts bodies closed before EOF whose rest was read and
	// discarded, so that their connection went back to the pool.
	Drained int64
	// DrainAborted counts bodies closed before EOF that were larger than
	// the drain limit or slower than the drain timeout: their connection
	// was closed.
	DrainAborted int64

	// Closes by reason.
	Closed            int64 // CloseIdleConnections, Connection: close, or closed by the caller
	MaxIdleClosed     int64 // the idle cap per host was full
	MaxIdleTimeClosed int64 // idle longer than the idle timeout
	MaxLifetimeClosed int64 // always zero: net/http has no connection lifetime
	BrokenClosed      int64 // closed while a request was using it (errors, aborted drains)
	PeerClosed        int64 // the server had closed it first

	// Closes by side.
	ActiveCloses   int64 // this host closed first: a TIME_WAIT stays here 60 s
	PassiveCloses  int64 // the server closed first: no TIME_WAIT here
	AbortiveCloses int64 // closed with an RST: no TIME_WAIT anywhere
}

// counters are the Transport-wide request counters.
type counters struct {
	requests, reused, waitCount, waitNanos, retries atomic.Int64
	closeResponses, drained, drainAborted           atomic.Int64
}

// Stats returns the Transport's counters. Safe to call at any time.
func (t *Transport) Stats() Stats {
	s := Stats{
		Requests:                 t.requests.Load(),
		Reused:                   t.reused.Load(),
		WaitCount:                t.waitCount.Load(),
		WaitDuration:             time.Duration(t.waitNanos.Load()),
		Retries:                  t.retries.Load(),
		ConnectionCloseResponses: t.closeResponses.Load(),
		Drained:                  t.drained.Load(),
		DrainAborted:             t.drainAborted.Load(),
	}
	if t.tuned != nil {
		s.MaxOpen = t.tuned.MaxConnsPerHost
	}
	var closes telemetry.CloseCounts
	for _, h := range t.hosts.all() {
		s.Opened += h.opened.Load()
		s.DialErrors += h.dialErrors.Load()
		s.AddrNotAvail += h.addrNotAvail.Load()
		s.Open += h.open.Load()
		s.InUse += h.inUse.Load()
		c := h.closes.Snapshot()
		for r := range c {
			for side := range c[r] {
				closes[r][side] += c[r][side]
			}
		}
	}
	s.InUse = min(s.InUse, s.Open)
	s.Idle = s.Open - s.InUse
	s.fillCloses(closes)
	return s
}

func (s *Stats) fillCloses(c telemetry.CloseCounts) {
	s.Closed = c.ByReason(telemetry.ReasonClosed)
	s.MaxIdleClosed = c.ByReason(telemetry.ReasonMaxIdle)
	s.MaxIdleTimeClosed = c.ByReason(telemetry.ReasonMaxIdleTime)
	s.MaxLifetimeClosed = c.ByReason(telemetry.ReasonMaxLifetime)
	s.BrokenClosed = c.ByReason(telemetry.ReasonBroken)
	s.PeerClosed = c.ByReason(telemetry.ReasonPeerClosed)
	s.ActiveCloses = c.BySide(telemetry.SideActive)
	s.PassiveCloses = c.BySide(telemetry.SidePassive)
	s.AbortiveCloses = c.BySide(telemetry.SideAbortive)
}

package httpx

import (
	"sync/atomic"
	"time"

	"github.com/keepconn/keepconn"
)

// Stats is a snapshot of a Transport's counters: keepconn's shared churn
// vocabulary (keepconn.PoolStats, whose fields mean the same in every
// keepconn package) plus what only an HTTP client knows. Connection fields
// count the connections the Transport dialed, over all destinations; they
// stay zero when Wrap wraps a RoundTripper whose dials it cannot see.
//
// In HTTP terms, the shared fields mean:
//
//   - Acquisitions: connections handed to requests (httptrace GotConn):
//     one per request that got a connection, and one more for each
//     retry, by net/http or by the Transport, that got one.
//   - Reused: acquisitions served by a connection that had served one
//     before. An HTTP/2 connection serves many requests at once, one
//     stream each: every stream after its first is Reused.
//   - WaitCount, WaitDuration: requests that found their host at
//     MaxConnsPerHost, every HTTP/1 connection busy and none speaking
//     HTTP/2, and so waited for a dial at the cap or for a connection to
//     be freed; the time from then until they got one.
//   - Timeouts: requests ended by their context (deadline or
//     cancellation) before they got a connection: while waiting at the
//     cap, for a dial, or for another request's probe dial.
//   - Closed: connections closed by CloseIdleConnections, Close, an
//     upgraded (101) connection the application closed, or a
//     "Connection: close" response.
//   - PeerClosed: the server's FIN or reset came first, found by the
//     kernel's TCP state at close (an idle connection the server closed,
//     one found closed on reuse, one reset mid-request).
//   - BrokenClosed: net/http closed a connection the server had not
//     closed, after an error on it, an aborted drain, or for a reason it
//     does not tell.
type Stats struct {
	keepconn.PoolStats

	// Timeouts counts acquisitions ended by their context or timeout
	// before a connection was handed out (keepconn's vocabulary; see
	// keepconn.PoolStats).
	Timeouts int64

	// MaxConnsPerHost is the connection cap per host (0 when unknown): a
	// per-host cap, so not the shared MaxOpen.
	MaxConnsPerHost int
	// Retries counts requests sent again: the Transport's own retries
	// (after a reused connection turned out closed) and net/http's,
	// whether or not the new attempt's dial succeeded.
	Retries int64
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
	// DialWaits counts dials that waited for another request's probe dial
	// to a host with no open connection or a failed last dial, instead of
	// dialing too.
	DialWaits int64
	// DialBackoffs counts dials refused during a backoff after repeated
	// failures (the request failed with ErrDialBackoff).
	DialBackoffs int64
	// Hosts is the number of destinations tracked now (see
	// MaxTrackedHosts).
	Hosts int
}

// counters are the Transport-wide request counters.
type counters struct {
	acquisitions, reused, waitCount, waitNanos, retries atomic.Int64
	closeResponses, drained, drainAborted               atomic.Int64
	dialWaits, dialBackoffs, timeouts                   atomic.Int64
}

// Stats returns the Transport's counters. Safe to call at any time.
func (t *Transport) Stats() Stats {
	c := &t.count
	s := Stats{
		Retries:                  c.retries.Load(),
		ConnectionCloseResponses: c.closeResponses.Load(),
		Drained:                  c.drained.Load(),
		DrainAborted:             c.drainAborted.Load(),
		DialWaits:                c.dialWaits.Load(),
		DialBackoffs:             c.dialBackoffs.Load(),
	}
	s.Acquisitions = c.acquisitions.Load()
	s.Reused = c.reused.Load()
	s.WaitCount = c.waitCount.Load()
	s.WaitDuration = time.Duration(c.waitNanos.Load())
	s.Timeouts = c.timeouts.Load()
	s.MaxConnsPerHost = int(t.maxPerHost)
	hosts, retired := t.hosts.all(t)
	s.ConnStats = retired
	for _, h := range hosts {
		h.addTo(&s.ConnStats)
		s.InUse += h.inUse.Load()
	}
	s.Hosts = len(hosts)
	s.InUse = max(min(s.InUse, s.Open), 0)
	s.Idle = s.Open - s.InUse
	return s
}

package keepconn

// Side says which end of a TCP connection closed it first, and so which host
// keeps the TIME_WAIT entry for its 4-tuple.
type Side uint8

const (
	// SideActive: this host sent the first FIN. TIME_WAIT stays here for
	// 60 seconds and blocks the 4-tuple.
	SideActive Side = iota
	// SidePassive: the peer's FIN (or reset) came first. No TIME_WAIT here.
	SidePassive
	// SideAbortive: this host reset the connection (SO_LINGER{on, 0}): no
	// TIME_WAIT on either side.
	SideAbortive

	numSides
)

// String returns the value of the keepconn.close.side metric attribute:
// "active", "passive" or "abortive".
func (s Side) String() string {
	switch s {
	case SideActive:
		return "active"
	case SidePassive:
		return "passive"
	case SideAbortive:
		return "abortive"
	}
	return "unknown"
}

// Reason says why a connection was closed. Each Reason has one counter in
// ConnStats, named in its doc.
type Reason uint8

const (
	// ReasonClosed: the application closed it, or closed what owned it
	// (Pool.Close, CloseIdleConnections). ConnStats.Closed.
	ReasonClosed Reason = iota
	// ReasonMaxIdle: it came back while the idle cap was full.
	// ConnStats.MaxIdleClosed.
	ReasonMaxIdle
	// ReasonMaxIdleTime: it was idle longer than the idle timeout.
	// ConnStats.MaxIdleTimeClosed.
	ReasonMaxIdleTime
	// ReasonMaxLifetime: it was older than the lifetime.
	// ConnStats.MaxLifetimeClosed.
	ReasonMaxLifetime
	// ReasonPeerClosed: the peer closed or reset it first (found by a
	// liveness check, a background read, or a failed reuse).
	// ConnStats.PeerClosed.
	ReasonPeerClosed
	// ReasonBroken: an I/O or protocol error on a connection the peer had
	// not closed; its user destroyed it. ConnStats.BrokenClosed.
	ReasonBroken

	numReasons
)

// String returns the value of the keepconn.close.reason metric attribute.
func (r Reason) String() string {
	switch r {
	case ReasonClosed:
		return "closed"
	case ReasonMaxIdle:
		return "max_idle"
	case ReasonMaxIdleTime:
		return "max_idle_time"
	case ReasonMaxLifetime:
		return "max_lifetime"
	case ReasonPeerClosed:
		return "peer_closed"
	case ReasonBroken:
		return "broken"
	}
	return "unknown"
}

// Sides lists every Side, in order.
func Sides() []Side { return []Side{SideActive, SidePassive, SideAbortive} }

// Reasons lists every Reason, in order.
func Reasons() []Reason {
	return []Reason{ReasonClosed, ReasonMaxIdle, ReasonMaxIdleTime,
		ReasonMaxLifetime, ReasonPeerClosed, ReasonBroken}
}

// NumReasons and NumSides size arrays indexed by Reason and Side.
const (
	NumReasons = int(numReasons)
	NumSides   = int(numSides)
)

package telemetry

// Side says which end of a TCP connection closed it first, and so which host
// keeps the TIME_WAIT entry for its 4-tuple.
type Side uint8

const (
	// SideActive: this host sent the first FIN. TIME_WAIT stays here for
	// 60 seconds and blocks the 4-tuple.
	SideActive Side = iota
	// SidePassive: the peer closed first (the socket was in CLOSE_WAIT),
	// or the connection was already gone. No TIME_WAIT here.
	SidePassive
	// SideAbortive: closed with SO_LINGER{on, 0}: an RST, no TIME_WAIT on
	// either side.
	SideAbortive
	numSides
)

// String returns the attribute value used in metrics.
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

// Reason says why a connection was closed.
type Reason uint8

const (
	// ReasonClosed: the application closed it (no pool decision involved).
	ReasonClosed Reason = iota
	// ReasonMaxIdle: a pool closed it because its idle cap was reached.
	ReasonMaxIdle
	// ReasonMaxIdleTime: a pool closed it after it sat idle too long.
	ReasonMaxIdleTime
	// ReasonMaxLifetime: a pool closed it because it reached its lifetime.
	ReasonMaxLifetime
	// ReasonBroken: the caller reported it broken.
	ReasonBroken
	// ReasonPeerClosed: a liveness check found the peer had closed it.
	ReasonPeerClosed
	// ReasonPoolClosed: the pool itself was closed.
	ReasonPoolClosed
	numReasons
)

// String returns the attribute value used in metrics.
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
	case ReasonBroken:
		return "broken"
	case ReasonPeerClosed:
		return "peer_closed"
	case ReasonPoolClosed:
		return "pool_closed"
	}
	return "unknown"
}

// Sides lists every Side, in order.
func Sides() []Side { return []Side{SideActive, SidePassive, SideAbortive} }

// Reasons lists every Reason, in order.
func Reasons() []Reason {
	return []Reason{ReasonClosed, ReasonMaxIdle, ReasonMaxIdleTime,
		ReasonMaxLifetime, ReasonBroken, ReasonPeerClosed, ReasonPoolClosed}
}

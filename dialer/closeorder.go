package dialer

import "sync/atomic"

// closeLean remembers which side a destination's recent closes went to,
// so that the next close probes in the order that is cheaper for the
// likely outcome (sockopt.Probe): shutdown first costs two system calls
// for an active close, but for a passive one on a fast path (loopback,
// where the peer's ACK comes back within the shutdown) it can cost a
// lookup in the kernel's tables too; peek first tells a passive close in
// one system call and an active one in three (four and a lookup when the
// peer's FIN is back before the state is read, as on loopback). The order
// changes only the cost: both are exact.
//
// It is a saturating counter, like a branch predictor's: each passive
// close moves it up, each active close down, within ±leanLimit, so a few
// closes of the other kind after a long run turn it around. Concurrent
// closes may overshoot the limit by a few; nothing depends on it.
type closeLean struct{ v atomic.Int32 }

const leanLimit = 4

// note records the side a close went to.
func (l *closeLean) note(s Side) {
	switch v := l.v.Load(); {
	case s == SidePassive && v < leanLimit:
		l.v.Add(1)
	case s == SideActive && v > -leanLimit:
		l.v.Add(-1)
	}
}

// peekFirst reports whether recent closes were mostly passive.
func (l *closeLean) peekFirst() bool { return l.v.Load() > 0 }

package telemetry

import (
	"sync/atomic"

	"github.com/keepconn/keepconn"
)

// Closes counts closed connections by reason and side. The zero value is
// ready to use; all methods are safe for concurrent use and allocation-free.
type Closes struct {
	n [numReasons][numSides]atomic.Int64
}

// Add counts one close.
func (c *Closes) Add(r Reason, s Side) {
	if int(r) < numReasons && int(s) < numSides {
		c.n[r][s].Add(1)
	}
}

// Snapshot returns the current counts.
func (c *Closes) Snapshot() CloseCounts {
	var out CloseCounts
	for r := range c.n {
		for s := range c.n[r] {
			out[r][s] = c.n[r][s].Load()
		}
	}
	return out
}

// CloseCounts is a snapshot of Closes, indexed [Reason][Side].
type CloseCounts [numReasons][numSides]int64

// BySide returns the closes of side s, whatever the reason.
func (c CloseCounts) BySide(s Side) int64 {
	var n int64
	for r := range c {
		n += c[r][s]
	}
	return n
}

// ByReason returns the closes for reason r, whatever the side.
func (c CloseCounts) ByReason(r Reason) int64 {
	var n int64
	for _, v := range c[r] {
		n += v
	}
	return n
}

// Total returns all closes.
func (c CloseCounts) Total() int64 {
	var n int64
	for r := range c {
		n += c.ByReason(Reason(r))
	}
	return n
}

// AddTo adds the counts to the closes of s, by reason and by side.
func (c CloseCounts) AddTo(s *keepconn.ConnStats) {
	for r := range c {
		for side, n := range c[r] {
			s.AddClose(Reason(r), Side(side), n)
		}
	}
}

package telemetry

import (
	"errors"
	"sync/atomic"
	"syscall"

	"github.com/keepconn/keepconn"
)

// Dials counts dial outcomes: the one place that decides what counts as
// port exhaustion. The zero value is ready; methods are safe for
// concurrent use.
type Dials struct {
	opened       atomic.Int64
	errors       atomic.Int64
	addrNotAvail atomic.Int64
}

// Opened counts a dial that succeeded.
func (d *Dials) Opened() { d.opened.Add(1) }

// Failed counts a dial that failed with err; an EADDRNOTAVAIL is also
// counted as port exhaustion unless notExhaustion says the cause was
// something else (a configured source address that disappeared).
func (d *Dials) Failed(err error, notExhaustion bool) {
	if !notExhaustion && errors.Is(err, syscall.EADDRNOTAVAIL) {
		d.addrNotAvail.Add(1)
	}
	d.errors.Add(1)
}

// AddTo adds the counts to s. A reader can catch a failure between its
// two increments, so DialErrors is reported as at least AddrNotAvail.
func (d *Dials) AddTo(s *keepconn.ConnStats) {
	anv := d.addrNotAvail.Load()
	errs := max(d.errors.Load(), anv)
	s.Opened += d.opened.Load()
	s.DialErrors += errs
	s.AddrNotAvail += anv
}

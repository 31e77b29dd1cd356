package dialer

import (
	"context"
	"errors"
	"github.com/keepconn/keepconn/internal/telemetry"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/keepconn/keepconn/internal/sockopt"
)

// Peer-first close (Config.AwaitPeerClose).
//
// Conn.Close duplicates the socket's descriptor and closes the
// application's one, so that Reads and Writes of the application end as
// after any Close, while the socket itself stays open: the kernel sends
// no FIN until its last descriptor is closed. One goroutine per waiting
// connection then parks on the runtime's poller (no OS thread) until the
// peer's FIN, the read deadline, or Dialer.Close, reading and dropping
// what arrives without copying it (recv with MSG_TRUNC). Their number is
// bounded by MaxAwaitingClose: a close beyond the cap closes at once and
// is counted in Stats.AwaitOverflows. Each costs a few kilobytes of
// goroutine stack and one descriptor while it waits.

// awaits is the dialer's set of connections waiting for their peer's FIN.
type awaits struct {
	wait     time.Duration // 0: off
	cap      int64
	farewell []byte

	count    atomic.Int64  // waiting now (slots taken)
	watchers atomic.Int32  // dials waiting for a slot to end (portWait)
	ends     atomic.Uint64 // waits ended so far: a dial compares it across its connect

	mu     sync.Mutex
	files  map[*os.File]struct{}
	closed bool // no new waits (Dialer.Close)
	cut    bool // end every wait now
	freed  chan struct{}
	wg     sync.WaitGroup
}

func (a *awaits) init(cfg *Config) {
	a.wait, a.farewell = cfg.AwaitPeerClose, cfg.Farewell
	a.cap = int64(cfg.MaxAwaitingClose)
	if a.cap == 0 {
		a.cap = DefaultMaxAwaitingClose
	}
	a.files = make(map[*os.File]struct{})
	a.freed = make(chan struct{})
}

func (a *awaits) on() bool { return a.wait > 0 }

// begin takes a slot for one wait; false when the cap is reached or the
// dialer is closed.
func (a *awaits) begin(d *Dialer) bool {
	if a.count.Add(1) > a.cap {
		a.count.Add(-1)
		d.awaitOverflows.Add(1)
		return false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		a.count.Add(-1)
		return false
	}
	a.wg.Add(1)
	return true
}

// register makes f reachable by Dialer.Close; a wait that starts after
// the cut ends at once.
func (a *awaits) register(f *os.File) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.files[f] = struct{}{}
	if a.cut {
		f.SetDeadline(time.Now())
	}
}

// end ends a wait whose socket is closed and counted (its slot in count
// already given back).
func (a *awaits) end(f *os.File) {
	a.mu.Lock()
	delete(a.files, f)
	a.ends.Add(1)
	if a.watchers.Load() > 0 {
		close(a.freed)
		a.freed = make(chan struct{})
	}
	a.mu.Unlock()
	a.wg.Done()
}

// freedChan returns a channel closed when the next wait ends.
func (a *awaits) freedChan() <-chan struct{} {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.freed
}

// shutdown refuses new waits, lets the pending ones run until ctx is
// done, then cuts them short, and returns when every one has ended.
func (a *awaits) shutdown(ctx context.Context) error {
	a.mu.Lock()
	a.closed = true
	a.mu.Unlock()
	done := make(chan struct{})
	go func() { a.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	a.mu.Lock()
	a.cut = true
	now := time.Now()
	for f := range a.files {
		f.SetDeadline(now)
	}
	a.mu.Unlock()
	<-done
	return ctx.Err()
}

// startAwait hands the close to a background wait for the peer's FIN, on
// fd, a duplicate of the socket's descriptor. It reports false, having
// closed fd and nothing else, when no wait can start (the cap is reached,
// the dialer is closed).
func (c *Conn) startAwait(fd int, reason Reason, report func(Side)) (bool, error) {
	a := &c.d.awaits
	if !a.begin(c.d) {
		sockopt.CloseFD(fd)
		return false, nil
	}
	err := c.tcpConn.Close() // the socket lives on in fd
	go c.await(fd, reason, report)
	return true, err
}

// await runs in its own goroutine: it writes the Farewell, waits for the
// peer's FIN, closes the socket and counts the close.
func (c *Conn) await(fd int, reason Reason, report func(Side)) {
	a := &c.d.awaits
	f := os.NewFile(uintptr(fd), "keepconn-await")
	f.SetDeadline(time.Now().Add(a.wait))
	a.register(f)
	side := SideActive
	if rc, err := f.SyscallConn(); err == nil {
		side = c.awaitPeer(f, rc, c.mayFarewell(reason))
	} else {
		f.Close()
	}
	a.count.Add(-1)                // the socket is closed: out of AwaitingClose before the owner hears
	c.finish(side, reason, report) // counted before Shutdown can return
	a.end(f)
}

// mayFarewell says whether the Farewell may be written before the wait:
// only at a message boundary, which a connection closed as broken, or
// after a failed write, may not be at; and not to a peer that closed.
func (c *Conn) mayFarewell(reason Reason) bool {
	if len(c.d.awaits.farewell) == 0 || c.writeFailed.Load() {
		return false
	}
	return reason != telemetry.ReasonBroken && reason != telemetry.ReasonPeerClosed
}

// awaitPeer waits for the peer's FIN and closes f: passive when the FIN
// (or a reset) came, else after the deadline a graceful close from this
// side. With farewell it first writes the Farewell.
func (c *Conn) awaitPeer(f *os.File, rc syscall.RawConn, farewell bool) Side {
	if farewell {
		f.Write(c.d.awaits.farewell) // a failure shows in the wait below
	}
	p := getProbe()
	defer putProbe(p)
	eof, err := p.AwaitEOF(rc)
	if eof || (err != nil && !errors.Is(err, os.ErrDeadlineExceeded)) {
		f.Close()
		return SidePassive
	}
	c.d.awaitTimeouts.Add(1)
	discardUnread(rc)
	side := probeClose(p, rc, 0, &c.d.looker, c.LocalAddr(), c.RemoteAddr())
	f.Close()
	return side
}

package dialer

import (
	"math"
	"net"
	"sync"
	"time"
)

// keepAliveArmer switches TCP keepalive on for a dialer's connections once
// they have been open for half of KeepAlive.Idle, instead of at the dial.
//
// A connection closed before then could never have sent a probe: the
// first goes out once nothing has been received for Idle. So the
// short-lived connections keepconn exists for skip the three setsockopt
// calls that switch keepalive on. Nothing is lost for the others: Linux
// counts the idle time that has already passed when TCP_KEEPIDLE is set
// on a socket whose SO_KEEPALIVE is on (tcp_sock_set_keepidle_locked), so
// a connection idle since its dial sends its first probe Idle after the
// dial, as if keepalive had been on from the start, as long as it is
// switched on before Idle has passed. (Elsewhere the dialer sets keepalive at the
// dial: see lazyKeepAlive.)
//
// Connections wait in a list in dial order, which is also the order of
// their due times; one timer, set while the list is not empty, switches
// the due ones on. A close takes its connection off the list.
type keepAliveArmer struct {
	cfg   net.KeepAliveConfig
	after time.Duration // how long a connection waits: Idle/2

	// mu guards the fields below and every Conn's ka field.
	mu      sync.Mutex
	head    *Conn // the oldest waiting connection
	tail    *Conn
	timer   *time.Timer
	pending bool // timer is set
	eager   bool // the dialer was closed: switch on at the dial
}

// kaLink is a Conn's place in its dialer's keepAliveArmer list, guarded
// by the armer's mu.
type kaLink struct {
	prev, next *Conn
	due        int64 // monoNow at which keepalive is switched on
	listed     bool
}

func newKeepAliveArmer(cfg net.KeepAliveConfig) *keepAliveArmer {
	return &keepAliveArmer{cfg: cfg, after: max(cfg.Idle/2, 0)}
}

// add puts a new connection on the list, or switches its keepalive on at
// once after the dialer was closed.
func (a *keepAliveArmer) add(c *Conn) {
	due := monoNow() + int64(a.after)
	a.mu.Lock()
	if a.eager {
		a.mu.Unlock()
		a.switchOn(c)
		return
	}
	c.ka = kaLink{prev: a.tail, due: due, listed: true}
	if a.tail != nil {
		a.tail.ka.next = c
	} else {
		a.head = c
	}
	a.tail = c
	if !a.pending { // the list was empty: c is its head
		a.pending = true
		if a.timer == nil {
			a.timer = time.AfterFunc(a.after, a.fire)
		} else {
			a.timer.Reset(a.after)
		}
	}
	a.mu.Unlock()
}

// take removes c from the list and reports whether it was on it: its
// keepalive is not on yet. a may be nil (keepalive at the dial, or off).
func (a *keepAliveArmer) take(c *Conn) bool {
	if a == nil {
		return false
	}
	a.mu.Lock()
	listed := c.ka.listed
	if listed {
		a.unlinkLocked(c)
	}
	a.mu.Unlock()
	return listed
}

func (a *keepAliveArmer) unlinkLocked(c *Conn) {
	l := &c.ka
	if l.prev != nil {
		l.prev.ka.next = l.next
	} else {
		a.head = l.next
	}
	if l.next != nil {
		l.next.ka.prev = l.prev
	} else {
		a.tail = l.prev
	}
	*l = kaLink{}
}

// takeUntilLocked takes off the list, oldest first, the connections due
// by until.
func (a *keepAliveArmer) takeUntilLocked(until int64) []*Conn {
	var due []*Conn
	for c := a.head; c != nil && c.ka.due <= until; c = a.head {
		a.unlinkLocked(c)
		due = append(due, c)
	}
	return due
}

// fire switches on the connections that are due, and sets the timer for
// the next one.
func (a *keepAliveArmer) fire() {
	now := monoNow()
	a.mu.Lock()
	due := a.takeUntilLocked(now)
	if a.head != nil {
		a.timer.Reset(time.Duration(a.head.ka.due - now))
	} else {
		a.pending = false
	}
	a.mu.Unlock()
	for _, c := range due {
		a.switchOn(c)
	}
}

// stop switches on every waiting connection now, and every later one at
// its dial; it leaves no timer behind (Dialer.Close).
func (a *keepAliveArmer) stop() {
	if a == nil {
		return
	}
	a.mu.Lock()
	a.eager = true
	waiting := a.takeUntilLocked(math.MaxInt64)
	if a.timer != nil {
		a.timer.Stop()
		a.pending = false
	}
	a.mu.Unlock()
	for _, c := range waiting {
		a.switchOn(c)
	}
}

// switchOn sets the connection's keepalive: SO_KEEPALIVE first, then
// TCP_KEEPIDLE, which counts the idle time already passed (net sets them
// in that order), then the interval and count. A connection closed in
// the meantime returns an error, which is of no consequence.
func (a *keepAliveArmer) switchOn(c *Conn) {
	c.tcpConn.SetKeepAliveConfig(a.cfg)
}

// settleKeepAlive switches keepalive on now if it is still waiting, so
// that what the caller sets next applies on top of the dialer's
// settings, as if they had been set at the dial.
func (c *Conn) settleKeepAlive() {
	if a := c.d.keepAlive; a.take(c) {
		a.switchOn(c)
	}
}

// SetKeepAlive is net.TCPConn's, applied after the dialer's keepalive
// settings, which a connection younger than half of KeepAlive.Idle does
// not have yet (see Config.KeepAlive).
func (c *Conn) SetKeepAlive(keepalive bool) error {
	c.settleKeepAlive()
	return c.tcpConn.SetKeepAlive(keepalive)
}

// SetKeepAlivePeriod is net.TCPConn's, applied after the dialer's
// keepalive settings, as SetKeepAlive.
func (c *Conn) SetKeepAlivePeriod(d time.Duration) error {
	c.settleKeepAlive()
	return c.tcpConn.SetKeepAlivePeriod(d)
}

// SetKeepAliveConfig is net.TCPConn's, applied after the dialer's
// keepalive settings, as SetKeepAlive.
func (c *Conn) SetKeepAliveConfig(config net.KeepAliveConfig) error {
	c.settleKeepAlive()
	return c.tcpConn.SetKeepAliveConfig(config)
}

package redisx

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync/atomic"
	"syscall"

	"github.com/keepconn/keepconn/dialer"
	"github.com/keepconn/keepconn/internal/sockopt"
	"github.com/keepconn/keepconn/internal/telemetry"
)

// errServerClosed is what a connection the reaper closed returns from Read,
// Write and SyscallConn. It wraps io.EOF, so go-redis retries the command
// on another connection, as for any connection the server closed.
var errServerClosed = fmt.Errorf("keepconn/redisx: the server had closed the connection: %w", io.EOF)

// errUnread is what SyscallConn returns for a TLS connection with bytes
// waiting in the socket while idle.
var errUnread = errors.New("keepconn/redisx: idle TLS connection holds unread bytes")

// errExpired is what SyscallConn returns, in go-redis's check before
// reusing an idle connection, for a connection past its idle time or
// lifetime: go-redis then closes it and takes another.
var errExpired = errors.New("keepconn/redisx: connection expired")

// Why the last I/O of a connection failed.
const (
	ioOK uint32 = iota
	ioPeerGone
	ioFailed
)

// conn is what go-redis gets from redisx's dialer: the connection (a
// *dialer.Conn, or a *tls.Conn over one) with the evidence redisx needs
// to say why go-redis closes it. It stays a syscall.Conn, so go-redis's
// check before reuse still peeks at the socket.
type conn struct {
	net.Conn              // top layer: *dialer.Conn or *tls.Conn
	kc       *dialer.Conn // the TCP connection
	raw      syscall.RawConn
	m        *monitor
	tls      bool

	expires  int64        // monotonic ns when the lifetime ends; 0: never
	lastRead atomic.Int64 // monotonic ns of the last completed Read
	busy     atomic.Int32 // Reads, Writes and checks in progress
	dead     atomic.Bool  // the server closed it; the reaper may close it
	closed   atomic.Bool  // closed exactly once, through close
	dropped  atomic.Bool  // go-redis closed it after the reaper did
	ioState  atomic.Uint32
	reason   atomic.Uint32 // reason+1 decided by redisx (expiry); 0: none
}

var (
	_ net.Conn     = (*conn)(nil)
	_ syscall.Conn = (*conn)(nil)
)

// NetConn returns the layer below: the *tls.Conn or the *dialer.Conn.
func (c *conn) NetConn() net.Conn { return c.Conn }

// Read reads from the connection and notes when and how it ended.
func (c *conn) Read(b []byte) (int, error) {
	c.busy.Add(1)
	if c.dead.Load() {
		c.busy.Add(-1)
		return 0, errServerClosed
	}
	n, err := c.Conn.Read(b)
	c.lastRead.Store(c.m.now())
	c.noteIO(err)
	c.busy.Add(-1)
	return n, err
}

// Write writes to the connection and notes how it ended.
func (c *conn) Write(b []byte) (int, error) {
	c.busy.Add(1)
	if c.dead.Load() {
		c.busy.Add(-1)
		return 0, errServerClosed
	}
	n, err := c.Conn.Write(b)
	c.noteIO(err)
	c.busy.Add(-1)
	return n, err
}

func (c *conn) noteIO(err error) {
	if err == nil {
		return
	}
	state := ioFailed
	if errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		state = ioPeerGone
	}
	c.ioState.Store(state)
}

// SyscallConn returns the TCP connection's raw connection, for go-redis's
// check before reuse. That check is where redisx ends connections past
// their idle time or lifetime: SyscallConn then fails, and go-redis
// closes the connection and takes another one. A connection the server
// closed fails likewise. (go-redis also peeks for RESP3 push data after
// a command; a failure there only skips the peek, and the connection is
// ended at its next reuse check.)
func (c *conn) SyscallConn() (syscall.RawConn, error) {
	c.busy.Add(1)
	defer c.busy.Add(-1)
	if c.dead.Load() {
		return nil, errServerClosed
	}
	now := c.m.now()
	reason := telemetry.Reason(0)
	switch idle := c.m.idleTimeout.Load(); {
	case c.expires != 0 && now >= c.expires:
		reason = telemetry.ReasonMaxLifetime
	case idle > 0 && now-c.lastRead.Load() >= idle:
		reason = telemetry.ReasonMaxIdleTime
	default:
		return c.rawForCheck()
	}
	if c.peerClosed() { // the server was first: not redisx's decision
		c.dead.Store(true)
		return nil, errServerClosed
	}
	c.reason.Store(uint32(reason) + 1)
	return nil, errExpired
}

// Close closes the connection through the dialer with the reason the
// evidence gives. A connection the reaper closed already closes without
// error; any other second Close returns net.ErrClosed.
func (c *conn) Close() error {
	if c.closed.Load() {
		if c.dead.Load() {
			c.m.zombieClosed(c)
			return nil
		}
		return net.ErrClosed
	}
	return c.m.closeConn(c, c.closeReason())
}

// closeReason says why go-redis closes the connection now, from the
// evidence: the client being closed, redisx's own expiry decision, the
// socket's state (the server's FIN or reset arrived; bytes nobody asked
// for wait unread), the last I/O error, and otherwise the idle cap.
func (c *conn) closeReason() telemetry.Reason {
	if c.m.closing.Load() {
		return telemetry.ReasonClosed
	}
	if r := c.reason.Load(); r != 0 {
		return telemetry.Reason(r - 1)
	}
	peer, unread := c.probe()
	switch {
	case c.dead.Load() || peer:
		return telemetry.ReasonPeerClosed
	case c.ioState.Load() == ioPeerGone:
		return telemetry.ReasonPeerClosed
	case c.ioState.Load() == ioFailed || unread:
		return telemetry.ReasonBroken
	}
	return c.m.unexplainedReason
}

// probe reads the kernel's TCP state: whether the server has closed its
// end (its FIN or reset arrived), and whether bytes wait unread.
func (c *conn) probe() (peerClosed, unread bool) {
	if c.raw == nil {
		return false, false
	}
	state, n, err := sockopt.StateAndUnread(c.raw)
	if err != nil {
		return errors.Is(err, os.ErrClosed) || errors.Is(err, net.ErrClosed), false
	}
	return sockopt.PeerClosed(state), n > 0
}

// peerClosed reports whether the server has closed its end.
func (c *conn) peerClosed() bool {
	peer, _ := c.probe()
	return peer
}

// idleFor reports whether nothing is in progress on the connection and
// its last read ended at least d ago.
func (c *conn) idleFor(now, d int64) bool {
	return c.busy.Load() == 0 && now-c.lastRead.Load() >= d
}

// rawForCheck is what go-redis's reuse check peeks at. Over plain TCP it
// is the socket itself. Under TLS the socket holds records, not replies:
// go-redis would take a post-handshake record for a reply and block
// reading it (its own TLS connections are not checked at all). So redisx
// checks the TLS connection's socket itself (the server's FIN or reset,
// bytes waiting) and hands go-redis a raw connection whose reads see
// nothing.
func (c *conn) rawForCheck() (syscall.RawConn, error) {
	if !c.tls {
		return c.raw, nil
	}
	switch peer, unread := c.probe(); {
	case peer:
		c.dead.Store(true)
		return nil, errServerClosed
	case unread:
		return nil, errUnread
	}
	return checkedRaw{c.raw}, nil
}

// checkedRaw is a raw connection already checked: Read reports nothing
// to read without calling f.
type checkedRaw struct{ syscall.RawConn }

func (checkedRaw) Read(func(fd uintptr) bool) error { return nil }

package dialer

import (
	"io"
	"sync/atomic"

	"github.com/keepconn/keepconn/internal/sockopt"
)

// ioTrack is what a Conn's reads tell its close, so that the close asks
// the kernel as little as it can. Reads update it, possibly concurrently
// with Close, hence the atomics; every field only saves a system call,
// the side is never guessed from them.
type ioTrack struct {
	// consumed counts the bytes Read and WriteTo returned: the kernel's
	// count of bytes received, read at close, tells from it whether any
	// are unread without a peek (sockopt.Probe.Counted).
	consumed atomic.Int64
	// peerFIN: a Read returned io.EOF (or WriteTo reached it), so the
	// peer's FIN is in and nothing can be unread: the close is passive
	// and needs no probe. Not set after CloseRead, whose EOF is ours.
	peerFIN  atomic.Bool
	readShut atomic.Bool // CloseRead was called
}

func (t *ioTrack) read(n int64, err error) {
	if n > 0 {
		t.consumed.Add(n)
	}
	if err == io.EOF && !t.readShut.Load() {
		t.peerFIN.Store(true)
	}
}

// prepare sets the close's probe: shutdown first with the bytes read,
// unless peekFirst (closeLean) says the peers have been closing first.
func (t *ioTrack) prepare(p *sockopt.Probe, peekFirst bool) {
	p.Counted, p.Consumed = !peekFirst, t.consumed.Load()
}

// Read reads from the connection, as *net.TCPConn does.
func (c *Conn) Read(b []byte) (int, error) {
	n, err := c.tcpConn.Read(b)
	c.io.read(int64(n), err)
	return n, err
}

// WriteTo copies the connection to w (splice where the kernel can), as
// *net.TCPConn does.
func (c *Conn) WriteTo(w io.Writer) (int64, error) {
	n, err := c.tcpConn.WriteTo(w)
	if err == nil {
		c.io.read(n, io.EOF) // WriteTo returns nil at the reader's EOF
	} else {
		c.io.read(n, err)
	}
	return n, err
}

// CloseRead shuts down the reading side, as *net.TCPConn does. The EOF
// that reads return afterwards is this side's, not the peer's FIN.
func (c *Conn) CloseRead() error {
	c.io.readShut.Store(true)
	return c.tcpConn.CloseRead()
}

// Write writes to the connection, as *net.TCPConn does. A failed write
// (a deadline, a reset) may have sent part of b: the Farewell, if any, is
// then not written at close, so that it cannot complete a cut message.
func (c *Conn) Write(b []byte) (int, error) {
	n, err := c.tcpConn.Write(b)
	if err != nil {
		c.writeFailed.Store(true)
	}
	return n, err
}

// ReadFrom copies r to the connection (sendfile or splice where the kernel
// can), as *net.TCPConn does; a failure counts as a failed Write.
func (c *Conn) ReadFrom(r io.Reader) (int64, error) {
	n, err := c.tcpConn.ReadFrom(r)
	if err != nil {
		c.writeFailed.Store(true)
	}
	return n, err
}

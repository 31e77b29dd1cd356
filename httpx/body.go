package httpx

import (
	"io"
	"math"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/keepconn/keepconn/internal/telemetry"
)

// body wraps a response body. Reading it to EOF releases the connection;
// closing it before EOF drains what is left, up to the drain limit and
// timeout, so that net/http can put the connection back in its pool.
type body struct {
	rc       io.ReadCloser
	t        *Transport
	conn     *conn // nil when the connection is not one we dialed
	length   int64 // Content-Length, -1 when unknown
	h1       bool  // HTTP/1.x: unread bytes block the connection
	sawEOF   atomic.Bool
	closing  atomic.Bool
	finished atomic.Bool
}

var _ io.ReadCloser = (*body)(nil)

// wrapBody makes resp.Body release c when it is done, or releases c now
// when the response has no body. The body of a protocol switch (101) is
// the connection itself, an io.ReadWriteCloser: it stays one. room, when
// not nil, is where the wrapper goes (allocated with the request's
// context).
func wrapBody(t *Transport, c *conn, resp *http.Response, room *body) {
	if resp.Body == nil || resp.Body == http.NoBody {
		if c != nil {
			c.release()
		}
		return
	}
	if resp.StatusCode == http.StatusSwitchingProtocols { // before the type assertion, which costs
		if rwc, ok := resp.Body.(io.ReadWriteCloser); ok {
			if c != nil {
				c.markReason(telemetry.ReasonClosed, false) // the application's connection now
			}
			resp.Body = &upgraded{ReadWriteCloser: rwc, conn: c}
			return
		}
	}
	if room == nil {
		room = new(body)
	}
	room.rc, room.t, room.conn = resp.Body, t, c
	room.length, room.h1 = resp.ContentLength, resp.ProtoMajor < 2
	resp.Body = room
}

// upgraded is the body of a 101 response: the connection, handed to the
// application, which closes it when done.
type upgraded struct {
	io.ReadWriteCloser
	conn *conn
	done atomic.Bool
}

// Close closes the connection.
func (u *upgraded) Close() error {
	err := u.ReadWriteCloser.Close()
	if u.done.CompareAndSwap(false, true) && u.conn != nil {
		u.conn.release()
	}
	return err
}

// Read reads from the response body.
func (b *body) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if err == io.EOF && b.sawEOF.CompareAndSwap(false, true) {
		b.finish()
	}
	return n, err
}

// Close drains the body if it was not read to EOF, then closes it. It
// blocks for at most the drain timeout (plus the base's own Close). The
// drain sets a read deadline on the connection: a Read still running in
// another goroutine ends with a timeout rather than net/http's closed-body
// error.
func (b *body) Close() error {
	if !b.closing.CompareAndSwap(false, true) {
		return b.rc.Close()
	}
	if !b.sawEOF.Load() && b.h1 {
		b.drain()
	}
	err := b.rc.Close()
	b.finish()
	return err
}

// finish releases the connection once the body is done with it.
func (b *body) finish() {
	if b.finished.CompareAndSwap(false, true) && b.conn != nil {
		b.conn.release()
	}
}

// drain reads and discards the rest of the body when it fits the limit.
// The drain succeeds when it reaches EOF within the limit; anything else
// (too long, too slow, an error) aborts it and the connection is closed.
func (b *body) drain() {
	t := b.t
	limit := t.cfg.DrainLimit
	if t.cfg.DisableDrain || b.length > limit {
		b.abortDrain()
		return
	}
	clear := b.deadline(t.cfg.DrainTimeout)
	n, err := io.CopyN(io.Discard, b.rc, min(limit, math.MaxInt64-1)+1)
	clear()
	if err == io.EOF && n <= limit {
		b.sawEOF.Store(true)
		t.count.drained.Add(1)
		return
	}
	b.abortDrain()
}

func (b *body) abortDrain() {
	b.t.count.drainAborted.Add(1)
	if c := b.conn; c != nil {
		c.markReason(telemetry.ReasonBroken, false)
	}
}

// deadline bounds the drain's reads from the network with a read deadline
// d from now on the connection, and returns the function that lifts it.
// Bytes net/http has already buffered are read whatever the time, so a
// drain that needs no network read never fails on time. Without a
// connection of ours (a base other than *http.Transport) a timer closes the
// body when the time is up, which ends the drain.
func (b *body) deadline(d time.Duration) (clear func()) {
	c := b.conn
	if c == nil || c.SetReadDeadline(time.Now().Add(d)) != nil {
		// Not a connection we dialed: bound the drain by closing the body.
		timer := time.AfterFunc(d, func() { b.rc.Close() })
		return func() { timer.Stop() }
	}
	return func() { c.SetReadDeadline(time.Time{}) }
}

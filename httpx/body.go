package httpx

import (
	"io"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/keepconn/keepconn/internal/telemetry"
)

// body wraps a response body. Reading it to EOF releases the connection;
// closing it before EOF drains what is left, up to the drain limit and
// timeout, so that net/http can put the connection back in its pool.
type body struct {
	rc      io.ReadCloser
	x       *exchange
	length  int64 // Content-Length, -1 when unknown
	h1      bool  // HTTP/1.x: unread bytes block the connection
	sawEOF  atomic.Bool
	closing atomic.Bool
}

var _ io.ReadCloser = (*body)(nil)

func (x *exchange) wrapBody(resp *http.Response) {
	if resp.Body == nil || resp.Body == http.NoBody {
		x.finish()
		return
	}
	x.body = body{rc: resp.Body, x: x, length: resp.ContentLength, h1: resp.ProtoMajor < 2}
	resp.Body = &x.body
}

// Read reads from the response body.
func (b *body) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if err == io.EOF && b.sawEOF.CompareAndSwap(false, true) {
		b.x.finish()
	}
	return n, err
}

// Close drains the body if it was not read to EOF, then closes it. It
// blocks for at most the drain timeout (plus the base's own Close).
func (b *body) Close() error {
	if !b.closing.CompareAndSwap(false, true) {
		return b.rc.Close()
	}
	if !b.sawEOF.Load() && b.h1 {
		b.drain()
	}
	err := b.rc.Close()
	b.x.finish()
	return err
}

// drain reads and discards the rest of the body when it fits the limit.
// The drain succeeds when it reaches EOF within the limit; anything else
// (too long, too slow, an error) aborts it and the connection is closed.
func (b *body) drain() {
	t := b.x.t
	limit := t.cfg.drainLimit
	if limit == 0 || b.length > limit {
		b.abortDrain()
		return
	}
	clear := b.deadline(t.cfg.drainTimeout)
	n, err := io.CopyN(io.Discard, b.rc, limit+1)
	clear()
	if err == io.EOF && n <= limit {
		b.sawEOF.Store(true)
		t.drained.Add(1)
		return
	}
	b.abortDrain()
}

func (b *body) abortDrain() {
	b.x.t.drainAborted.Add(1)
	if c := b.x.conn; c != nil {
		c.markReason(telemetry.ReasonBroken)
	}
}

// deadline bounds the drain's reads from the network with a read deadline
// d from now on the connection, and returns the function that lifts it.
// Bytes net/http has already buffered are read whatever the time, so a
// drain that needs no network read never fails on time. Without a
// connection of ours there is no deadline: the limit still bounds the
// bytes read.
func (b *body) deadline(d time.Duration) (clear func()) {
	c := b.x.conn
	if c == nil || c.SetReadDeadline(time.Now().Add(d)) != nil {
		return func() {}
	}
	return func() { c.SetReadDeadline(time.Time{}) }
}

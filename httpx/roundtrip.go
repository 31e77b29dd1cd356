package httpx

import (
	"context"
	"net/http"
	"net/http/httptrace"
	"sync"
	"sync/atomic"
	"time"

	"github.com/keepconn/keepconn/internal/telemetry"
)

// exchange is the per-attempt state of one RoundTrip call: the trace hooks
// and the connection they saw. The response body wrapper (body) takes the
// connection over once RoundTrip returns.
//
// An exchange may be recycled through exchangePool, and then its trace
// (which the request's context keeps pointing to after RoundTrip returns)
// must stay valid and unchanged forever: it is set once when the exchange is
// created and never written again. Only exchanges whose hooks provably run
// inside the base's RoundTrip are recycled (see pooled).
type exchange struct {
	t            *Transport
	trace        httptrace.ClientTrace
	getConnAt    time.Time
	conn         *conn // nil when the connection is not one we dialed
	gotConns     int32 // GotConn calls: above 1 means the base retried
	reused       bool  // the last connection handed out had been used before
	wroteHeaders atomic.Bool

	// bgCtx is context.Background() with the trace, built once for a
	// recycled exchange, whose trace never changes.
	bgCtx context.Context
}

// exchangePool recycles exchanges with their trace hooks, which saves the
// exchange and its hook closures on most requests.
var exchangePool = sync.Pool{New: func() any { return newExchange(false) }}

// RoundTrip sends req through the base transport with the hooks that count
// reuse, and wraps the response body so that Close drains it. A request
// that failed on a reused connection the server had closed is sent once
// more when it is replayable (see shouldRetry). RoundTrip does not modify
// req; it honours req's context like the base transport does.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	x, pooled := t.getExchange(req)
	sent, traced := req, x.withTrace(req)
	resp, err := t.base.RoundTrip(traced)
	if err != nil && t.shouldRetry(req, x, err) {
		if retryReq, ok := replay(req); ok {
			x.retry()
			t.retries.Add(1)
			sent, traced = retryReq, x.withTrace(retryReq)
			resp, err = t.base.RoundTrip(traced)
		}
	}
	t.requests.Add(1)
	if x.gotConns > 1 {
		t.retries.Add(int64(x.gotConns - 1))
	}
	c := x.conn
	if pooled {
		// The tuned base calls GetConn and GotConn only from within its
		// RoundTrip, and WroteHeaders is not set: nothing touches x now.
		x.conn = nil
		exchangePool.Put(x)
	}
	if err != nil {
		if c != nil {
			c.markReason(telemetry.ReasonBroken)
			c.release()
		}
		return nil, err
	}
	if resp.Close {
		t.closeResponses.Add(1)
		if c != nil {
			c.markReason(telemetry.ReasonClosed)
		}
	}
	if resp.Request == traced {
		// The request as the caller sent it, as http.Transport returns it:
		// the context with our trace stays inside RoundTrip.
		resp.Request = sent
	}
	wrapBody(t, c, resp)
	return resp, nil
}

// getExchange returns the exchange for req, and whether it comes from (and
// goes back to) exchangePool. It is recycled only when its hooks cannot
// run once RoundTrip has returned: the base is the tuned *http.Transport,
// which calls GetConn and GotConn from within RoundTrip only; the request
// does not need WroteHeaders, which net/http may call after RoundTrip
// returned; and the context has no trace of its own, which WithClientTrace
// would compose into ours (changing it, and calling it from dials that
// outlive the request).
func (t *Transport) getExchange(req *http.Request) (*exchange, bool) {
	if t.tuned == nil {
		// Another base may call any hook, set or not, at any time.
		x := newExchange(true)
		x.t = t
		return x, false
	}
	needWrote := t.needWroteHeaders(req)
	if ctx := req.Context(); needWrote || ctx != context.Background() && httptrace.ContextClientTrace(ctx) != nil {
		x := newExchange(needWrote)
		x.t = t
		return x, false
	}
	x := exchangePool.Get().(*exchange)
	x.t = t
	x.getConnAt = time.Time{}
	x.conn = nil
	x.gotConns = 0
	x.reused = false
	if x.bgCtx == nil {
		x.bgCtx = httptrace.WithClientTrace(context.Background(), &x.trace)
	}
	return x, true
}

// needWroteHeaders reports whether shouldRetry may need to know if the
// request's headers were written: only for a request that may be retried
// and is not idempotent.
func (t *Transport) needWroteHeaders(req *http.Request) bool {
	return !t.cfg.noRetry && hasReplayableBody(req) && !isIdempotent(req)
}

func newExchange(wroteHeaders bool) *exchange {
	x := &exchange{}
	x.trace.GetConn = x.onGetConn
	x.trace.GotConn = x.onGotConn
	if wroteHeaders {
		x.trace.WroteHeaders = x.onWroteHeaders
	}
	return x
}

func (x *exchange) withTrace(req *http.Request) *http.Request {
	parent := req.Context()
	if x.bgCtx != nil && parent == context.Background() {
		return req.WithContext(x.bgCtx)
	}
	return req.WithContext(httptrace.WithClientTrace(parent, &x.trace))
}

func (x *exchange) onGetConn(string) { x.getConnAt = time.Now() }

func (x *exchange) onWroteHeaders() { x.wroteHeaders.Store(true) }

// onGotConn runs when the base hands out a connection, before the request
// is written.
func (x *exchange) onGotConn(info httptrace.GotConnInfo) {
	x.gotConns++
	x.reused = info.Reused
	t := x.t
	if info.Reused {
		t.reused.Add(1)
	} else if !x.getConnAt.IsZero() {
		t.waitCount.Add(1)
		t.waitNanos.Add(int64(time.Since(x.getConnAt)))
	}
	if x.conn != nil {
		x.conn.release() // the base retried on another connection
	}
	x.conn = connOf(info.Conn)
	if x.conn != nil {
		x.conn.acquire()
	}
}

// retry resets the per-attempt state before a second attempt.
func (x *exchange) retry() {
	if x.conn != nil {
		x.conn.release()
	}
	x.conn = nil
	x.gotConns = 0
	x.reused = false
	x.wroteHeaders.Store(false)
}

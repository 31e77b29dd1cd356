package httpx

import (
	"context"
	"crypto/tls"
	"net/http"
	"net/http/httptrace"
	"sync"
	"sync/atomic"
	"time"

	"github.com/keepconn/keepconn/internal/netconn"
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
// inside the base's RoundTrip are recycled (see getExchange).
type exchange struct {
	t            *Transport
	trace        httptrace.ClientTrace
	sent         *http.Request // the request given to the base
	waitStart    time.Time     // set when GetConn found the host at its cap
	waitHost     *hostStats    // the host waited for, while waiting
	conn         *conn         // nil when the connection is not one we dialed
	getConns     int32         // GetConn calls: above 1 means the base retried
	gotConns     int32         // GotConn calls
	reused       bool          // the last connection handed out had served before
	wroteHeaders atomic.Bool
	pooled       bool    // from exchangePool: its trace never changes
	state        *reqCtx // the context the last attempt was sent with
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
	sent := req
	x.sent = x.withTrace(req)
	resp, err := t.base.RoundTrip(x.sent)
	if err != nil && t.shouldRetry(req, x, err) {
		if retryReq, ok := replay(req); ok {
			x.retry()
			t.count.retries.Add(1)
			sent, x.sent = retryReq, x.withTrace(retryReq)
			resp, err = t.base.RoundTrip(x.sent)
		}
	}
	if x.getConns > 1 {
		t.count.retries.Add(int64(x.getConns - 1)) // the base's own retries
	}
	if err != nil && x.gotConns == 0 && req.Context().Err() != nil {
		t.count.timeouts.Add(1) // ended by its context before it got a connection
	}
	x.endWait()
	c, traced, state := x.conn, x.sent, x.state
	if pooled {
		// The tuned base calls GetConn and GotConn only from within its
		// RoundTrip, and WroteHeaders is not set: nothing touches x now.
		x.conn, x.sent, x.state = nil, nil, nil
		exchangePool.Put(x)
	}
	if err != nil {
		t.failed(c)
		return nil, err
	}
	t.responded(c, resp)
	if resp.Request == traced {
		// The request as the caller sent it, as http.Transport returns it:
		// the context with our trace stays inside RoundTrip.
		resp.Request = sent
	}
	var room *body
	if state != nil {
		room = &state.body
	}
	wrapBody(t, c, resp, room)
	return resp, nil
}

// failed ends a failed attempt on c. An HTTP/1 connection is closed by
// net/http after an error on it: broken, unless the peer had closed it
// first. An HTTP/2 connection serves other streams and lives on.
func (t *Transport) failed(c *conn) {
	if c == nil {
		return
	}
	if !c.h2.Load() {
		c.markReason(telemetry.ReasonBroken, false)
	}
	c.release()
}

// responded notes what the response says of its connection.
func (t *Transport) responded(c *conn, resp *http.Response) {
	if resp.Close {
		t.count.closeResponses.Add(1)
		if c != nil && !c.h2.Load() {
			// net/http closes it after the body: at the server's request.
			c.markReason(telemetry.ReasonClosed, false)
		}
	}
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
	x.waitStart, x.waitHost = time.Time{}, nil
	x.getConns, x.gotConns = 0, 0
	x.reused = false
	x.pooled = true
	return x, true
}

// needWroteHeaders reports whether shouldRetry may need to know if the
// request's headers were written: only for a request that may be retried
// and is not idempotent.
func (t *Transport) needWroteHeaders(req *http.Request) bool {
	return !t.cfg.DisableRetry && hasReplayableBody(req) && !isIdempotent(req)
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

// withTrace returns req with the exchange's trace in its context. A
// pooled exchange (whose context has no trace of its own) uses a reqCtx,
// which also holds the response body wrapper: one allocation for both.
func (x *exchange) withTrace(req *http.Request) *http.Request {
	parent := req.Context()
	if x.pooled && traceKey != nil {
		x.state = &reqCtx{Context: parent, trace: &x.trace, done: parent.Done()}
		return req.WithContext(x.state)
	}
	x.state = nil
	return req.WithContext(httptrace.WithClientTrace(parent, &x.trace))
}

// traceKey is the key under which httptrace keeps a ClientTrace in a
// context, learnt once by having httptrace look one up in a context that
// records the key it is asked for, and kept only if httptrace then finds a
// trace stored under it; nil otherwise, and every request's trace is then
// set with httptrace.WithClientTrace (one allocation more). This saves
// that allocation without depending on how httptrace stores its key.
var traceKey any

func init() { traceKey = learnTraceKey() }

func learnTraceKey() any {
	var k keyRecorder
	httptrace.ContextClientTrace(&k)
	if k.key == nil {
		return nil
	}
	traceKey = k.key // for reqCtx.Value in the check below
	probe := &httptrace.ClientTrace{}
	if httptrace.ContextClientTrace(&reqCtx{Context: context.Background(), trace: probe}) != probe {
		return nil
	}
	return k.key
}

type keyRecorder struct {
	context.Context
	key any
}

func (k *keyRecorder) Value(key any) any { k.key = key; return nil }

// reqCtx is a request's context with the exchange's trace, as
// httptrace.WithClientTrace makes it for a parent without a trace of its
// own (the trace has no network hooks), and room for the body wrapper.
type reqCtx struct {
	context.Context
	trace *httptrace.ClientTrace
	done  <-chan struct{} // the parent's: net/http asks for it many times per request
	body  body
}

// Done returns the parent's Done channel, which a Context returns the same
// on every call.
func (c *reqCtx) Done() <-chan struct{} { return c.done }

// Value returns the trace for httptrace's key, else the parent's value.
func (c *reqCtx) Value(key any) any {
	if key == traceKey {
		return c.trace
	}
	return c.Context.Value(key)
}

// onGetConn runs when the base looks for a connection. A request that
// finds its host at the connection cap with no connection free will wait
// for one: only then is the clock read.
func (x *exchange) onGetConn(hostPort string) {
	x.getConns++
	if h := x.t.hosts.find(hostPort); h != nil && h.atCap(x.t.maxPerHost) {
		x.endWait()
		x.waitStart, x.waitHost = time.Now(), h
		h.waiters.Add(1)
	}
}

// endWait ends a wait at the cap, if any: the request got a connection or
// gave up.
func (x *exchange) endWait() {
	if x.waitHost != nil {
		x.waitHost.waiters.Add(-1)
		x.waitHost = nil
	}
}

func (x *exchange) onWroteHeaders() { x.wroteHeaders.Store(true) }

// onGotConn runs when the base hands out a connection, before the request
// is written.
func (x *exchange) onGotConn(info httptrace.GotConnInfo) {
	x.gotConns++
	t := x.t
	if !x.waitStart.IsZero() {
		t.count.waitCount.Add(1)
		t.count.waitNanos.Add(int64(time.Since(x.waitStart)))
		x.waitStart = time.Time{}
		x.endWait()
	}
	if x.conn != nil {
		x.conn.release() // the base retried on another connection
	}
	c, _ := netconn.Find[*conn](info.Conn)
	x.conn = c
	x.reused = info.Reused
	if c != nil {
		if c.served.Load() == 0 {
			c.learnProtocol(info)
		}
		x.reused = c.acquire()
		if c.expired.Load() && !c.h2.Load() && x.sent != nil {
			x.sent.Close = true // the server closes it after this response
		}
	}
	t.count.acquisitions.Add(1)
	if x.reused {
		t.count.reused.Add(1)
	}
}

// learnProtocol notes, at the connection's first use, whether it speaks
// HTTP/2 (ALPN "h2"), whose streams share it.
func (c *conn) learnProtocol(info httptrace.GotConnInfo) {
	if tc, ok := info.Conn.(*tls.Conn); ok && tc.ConnectionState().NegotiatedProtocol == "h2" {
		if c.h2.CompareAndSwap(false, true) {
			c.h.h2.Add(1)
		}
	}
}

// retry resets the per-attempt state before a second attempt.
func (x *exchange) retry() {
	x.endWait()
	if x.getConns > 1 {
		x.t.count.retries.Add(int64(x.getConns - 1)) // the base's own retries
	}
	if x.conn != nil {
		x.conn.release()
	}
	x.conn = nil
	x.getConns, x.gotConns = 0, 0
	x.reused = false
	x.wroteHeaders.Store(false)
}

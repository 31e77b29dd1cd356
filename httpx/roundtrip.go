package httpx

import (
	"net/http"
	"net/http/httptrace"
	"sync/atomic"
	"time"

	"github.com/keepconn/keepconn/internal/telemetry"
)

// exchange is the state of one RoundTrip call: the trace hooks, the
// connection it got, and the response body wrapper, in one allocation.
type exchange struct {
	t            *Transport
	trace        httptrace.ClientTrace
	getConnAt    time.Time
	conn         *conn // nil when the connection is not one we dialed
	gotConns     int32 // GotConn calls: above 1 means the base retried
	reused       bool  // the last connection handed out had been used before
	wroteHeaders atomic.Bool
	finished     atomic.Bool
	body         body
}

// RoundTrip sends req through the base transport with the hooks that count
// reuse, and wraps the response body so that Close drains it. A request
// that failed on a reused connection the server had closed is sent once
// more when it is replayable (see shouldRetry). RoundTrip does not modify
// req; it honours req's context like the base transport does.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	x := t.newExchange()
	resp, err := t.base.RoundTrip(x.withTrace(req))
	if err != nil && t.shouldRetry(req, x, err) {
		if retryReq, ok := replay(req); ok {
			x.retry()
			t.retries.Add(1)
			resp, err = t.base.RoundTrip(x.withTrace(retryReq))
		}
	}
	t.requests.Add(1)
	if x.gotConns > 1 {
		t.retries.Add(int64(x.gotConns - 1))
	}
	if err != nil {
		x.fail()
		return nil, err
	}
	if resp.Close {
		t.closeResponses.Add(1)
		if x.conn != nil {
			x.conn.markReason(telemetry.ReasonClosed)
		}
	}
	x.wrapBody(resp)
	return resp, nil
}

func (t *Transport) newExchange() *exchange {
	x := &exchange{t: t}
	x.trace.GetConn = x.onGetConn
	x.trace.GotConn = x.onGotConn
	x.trace.WroteHeaders = x.onWroteHeaders
	return x
}

func (x *exchange) withTrace(req *http.Request) *http.Request {
	return req.WithContext(httptrace.WithClientTrace(req.Context(), &x.trace))
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
	x.releaseConn() // the base retried on another connection
	x.conn = connOf(info.Conn)
	if x.conn != nil {
		x.conn.acquire()
	}
}

// retry resets the per-attempt state before a second attempt.
func (x *exchange) retry() {
	x.releaseConn()
	x.conn = nil
	x.gotConns = 0
	x.reused = false
	x.wroteHeaders.Store(false)
}

// fail ends an exchange without a response.
func (x *exchange) fail() {
	if x.conn != nil {
		x.conn.markReason(telemetry.ReasonBroken)
	}
	x.finish()
}

// finish releases the connection once the response body is done with it.
func (x *exchange) finish() {
	if x.finished.CompareAndSwap(false, true) {
		x.releaseConn()
	}
}

func (x *exchange) releaseConn() {
	if x.conn != nil {
		x.conn.release()
	}
}

package httpx

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"syscall"
)

// shouldRetry reports whether a failed attempt may be sent again: only
// when it failed on a reused connection in a way that says the server had
// closed it, the request's context is still live, the base did not retry
// already, and the request is safe to send twice — the rule of net/http's
// persistConn.shouldRetryRequest: an idempotent request whose body can be
// replayed, or any request of which nothing was written yet and whose body
// (if any) can be replayed. A POST without GetBody is never sent twice.
func (t *Transport) shouldRetry(req *http.Request, x *exchange, err error) bool {
	if t.cfg.DisableRetry || !x.reused || x.getConns > 1 || x.gotConns != 1 || req.Context().Err() != nil {
		return false
	}
	if !closedByPeer(err) {
		return false
	}
	if !hasReplayableBody(req) {
		return false
	}
	return isIdempotent(req) || !x.wroteHeaders.Load()
}

// replay returns the request to send again, with a fresh body from
// GetBody when it has one.
func replay(req *http.Request) (*http.Request, bool) {
	if req.Body == nil || req.Body == http.NoBody {
		return req, true
	}
	b, err := req.GetBody()
	if err != nil {
		return nil, false
	}
	r2 := *req
	r2.Body = b
	return &r2, true
}

func hasReplayableBody(req *http.Request) bool {
	return req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
}

// isIdempotent is net/http's Request.isReplayable test on the method and
// the idempotency-key headers.
func isIdempotent(req *http.Request) bool {
	switch req.Method {
	case "", http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return true
	}
	_, k1 := req.Header["Idempotency-Key"]
	_, k2 := req.Header["X-Idempotency-Key"]
	return k1 || k2
}

// closedByPeer reports errors that mean the connection was closed under
// the request: EOF, reset, broken pipe, or net/http's words for them.
func closedByPeer(err error) bool {
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, syscall.ECONNABORTED):
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "server closed idle connection") ||
		strings.Contains(msg, "transport connection broken") ||
		strings.Contains(msg, "server closed connection")
}

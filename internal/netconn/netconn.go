// Package netconn walks the layers of a wrapped net.Conn. Connections
// reach keepconn wrapped in each other's types (a *tls.Conn over an httpx
// connection over a *dialer.Conn over a *net.TCPConn); each layer that
// wraps another says so with a NetConn() net.Conn method, as *tls.Conn
// does. This is the one place that walks them.
package netconn

import "net"

// MaxDepth bounds the walk, so a wrapper that returns itself cannot loop.
const MaxDepth = 8

// Unwrapper is a connection that wraps another.
type Unwrapper interface{ NetConn() net.Conn }

// Find returns the first layer of c, c itself included, that is a T.
func Find[T any](c net.Conn) (T, bool) {
	var zero T
	for range MaxDepth {
		if c == nil {
			return zero, false
		}
		if v, ok := c.(T); ok {
			return v, true
		}
		u, ok := c.(Unwrapper)
		if !ok {
			return zero, false
		}
		c = u.NetConn()
	}
	return zero, false
}

// Walk calls visit for c and each layer below it, top first, until visit
// returns false or the layers end.
func Walk(c net.Conn, visit func(net.Conn) bool) {
	for range MaxDepth {
		if c == nil || !visit(c) {
			return
		}
		u, ok := c.(Unwrapper)
		if !ok {
			return
		}
		c = u.NetConn()
	}
}

// Package redisdemo is the Redis part of the timewait demo (go run
// ./examples/timewait -proto redis): a connection per command, go-redis
// with PoolSize 10 / MaxIdleConns 2, and keepconn's redisx with the same
// options, side by side on one server under bursts of concurrent GETs,
// with the demo's common table (new connections, TIME_WAIT on each side
// from the kernel, commands per second, latency, errors).
//
// The server is, in this order: the user's (Options.Addr); an installed
// redis-server started the way the tests start it (internal/redistest:
// Debian package redis-server, a temporary directory, 127.0.0.1 only);
// or miniredis in process, a Go implementation of the protocol, labelled
// as such. Inside the demo's private network namespace (-port-range) the
// server runs in the namespace too.
package redisdemo

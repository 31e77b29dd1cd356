// Package redistest starts real Redis servers for tests and demos: a
// single redis-server, a TLS redis-server with a generated self-signed
// certificate, and a cluster of three masters, from the installed Debian
// package redis-server, each in a fresh temporary directory, listening on
// 127.0.0.1 only, without persistence (no snapshots, no append-only file), and
// stops them again.
//
// Ports are fixed (BasePort, BaseClusterPort and the next few), outside
// the tiny ephemeral ranges that namespace tests set, so a server started
// inside a private network namespace never takes a port under test. A
// cluster node's bus port is its port + 10000, below the kernel's default
// ephemeral range. Several test binaries running at once each take the
// next free port.
//
// Without the binary, tests skip with a message naming the Debian package,
// unless KEEPCONN_REQUIRE_SERVERS=1 makes that a failure. A test that runs
// in its own network namespace (internal/netnstest) starts its server
// inside its body: the server then runs inside the namespace, and the
// kernel's counts of both ends are exact.
//
// Do sends one command over a connection of its own and ends it with QUIT,
// so the server closes first and no TIME_WAIT is left on the client side.
package redistest

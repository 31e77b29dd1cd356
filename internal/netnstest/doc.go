// Package netnstest runs a test or benchmark inside a fresh Linux network
// namespace, so that it can shrink the ephemeral port range, turn
// tcp_tw_reuse off and add loopback addresses without touching the host.
//
// The whole test process has to be inside the namespace, because net/http
// Transports and database drivers dial from goroutines of their own, on any
// OS thread. So Run re-executes the test binary with CLONE_NEWNET, asking it
// to run only the current test; in that child Run sets the namespace up and
// calls the test body.
//
// Where namespaces cannot be made (not root, not Linux) Run skips the test,
// unless KEEPCONN_REQUIRE_NETNS=1, which turns the skip into a failure.
package netnstest

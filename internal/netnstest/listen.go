package netnstest

import (
	"net"
	"testing"
)

// Listen opens a TCP listener on addr and closes it when the test ends.
// Inside a namespace with a tiny ephemeral range, listen on a fixed port
// outside that range: a ":0" listener would take one of the ports under test.
func Listen(t testing.TB, addr string) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen %s: %v", addr, err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

package sockdiag

import (
	"io"
	"net"
	"net/netip"
	"strconv"
	"testing"
	"time"
)

func TestLookupFindsEachStateAndTimeWait(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			accepted <- c
		}
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	srv := <-accepted
	local := c.LocalAddr().(*net.TCPAddr).AddrPort()
	remote := c.RemoteAddr().(*net.TCPAddr).AddrPort()
	assertLookup(t, local, remote, StateEstablished, true)

	c.Close() // the client closes first
	io.Copy(io.Discard, srv)
	srv.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		state, found, err := Lookup(local, remote)
		if err != nil {
			t.Fatal(err)
		}
		if found && state == StateTimeWait {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Lookup = %d, %v; want TIME_WAIT after the client closed first", state, found)
		}
		time.Sleep(time.Millisecond)
	}
	other := netip.AddrPortFrom(remote.Addr(), 1)
	assertLookup(t, local, other, 0, false)

	var l Looker
	for range 3 { // one socket, reused
		if state, found, err := l.Lookup(local, remote); err != nil || !found || state != StateTimeWait {
			t.Fatalf("Looker.Lookup = %d, %v, %v; want TIME_WAIT", state, found, err)
		}
		if _, found, err := l.Lookup(local, other); err != nil || found {
			t.Fatalf("Looker.Lookup of no socket = %v, %v", found, err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, found, err := l.Lookup(local, remote); err != nil || !found {
		t.Fatalf("Lookup after Close = %v, %v; want a socket of its own", found, err)
	}
}

func assertLookup(t *testing.T, local, remote netip.AddrPort, want uint8, wantFound bool) {
	t.Helper()
	state, found, err := Lookup(local, remote)
	if err != nil || found != wantFound || state != want {
		t.Fatalf("Lookup(%v, %v) = %d, %v, %v; want %d, %v", local, remote, state, found, err, want, wantFound)
	}
}

// An AF_INET socket's pair (4-byte addresses, as Go reports them) is
// looked up in AF_INET alone: a miss costs one request, not two. An
// IPv4-mapped pair is also looked up as AF_INET6, where an AF_INET6
// socket's connection to an IPv4 address is, and is found there.
func TestLookupAsksTheSocketsFamily(t *testing.T) {
	local := netip.MustParseAddrPort("127.0.0.1:1")
	remote := netip.MustParseAddrPort("127.0.0.1:2")
	before := lookupRequests.Load()
	if _, found, err := Lookup(local, remote); err != nil || found {
		t.Fatalf("Lookup of no socket = %v, %v", found, err)
	}
	if n := lookupRequests.Load() - before; n != 1 {
		t.Errorf("a miss on an IPv4 pair sent %d requests, want 1", n)
	}

	ln, err := net.Listen("tcp", "[::]:0") // dual-stack
	if err != nil {
		t.Skipf("no IPv6 listener: %v", err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv6unspecified}} // an AF_INET6 socket
	c, err := d.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		t.Skipf("no IPv4-mapped dial: %v", err)
	}
	defer c.Close()
	l, r := c.LocalAddr().(*net.TCPAddr).AddrPort(), c.RemoteAddr().(*net.TCPAddr).AddrPort()
	if !l.Addr().Is4In6() {
		t.Fatalf("local address %v of a tcp6 socket, want IPv4-mapped", l)
	}
	assertLookup(t, l, r, StateEstablished, true)
}

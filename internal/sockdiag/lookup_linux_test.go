package sockdiag

import (
	"io"
	"net"
	"net/netip"
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

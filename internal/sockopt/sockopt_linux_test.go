package sockopt

import (
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// pair returns a connected client and server on loopback.
func pair(t *testing.T) (client, server *net.TCPConn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	acc := make(chan net.Conn, 1)
	go func() { c, _ := ln.Accept(); acc <- c }()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	s := <-acc
	t.Cleanup(func() { c.Close(); s.Close() })
	return c.(*net.TCPConn), s.(*net.TCPConn)
}

func rawOf(t *testing.T, c syscall.Conn) syscall.RawConn {
	t.Helper()
	rc, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	return rc
}

func waitPeer(t *testing.T, p *Probe, rc syscall.RawConn, want uint8) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if err := p.Run(rc); err != nil {
			t.Fatal(err)
		}
		if p.Peer == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("Probe.Peer = %d, want %d", p.Peer, want)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestProbe(t *testing.T) {
	c, s := pair(t)
	rc := rawOf(t, c)
	var p Probe
	waitPeer(t, &p, rc, PeerOpen)
	s.Write([]byte("x"))
	waitPeer(t, &p, rc, PeerData)
	if unread, _, err := Queues(rc); err != nil || unread != 1 {
		t.Fatalf("Queues unread = %d, %v; want 1: the peek must not consume", unread, err)
	}
	if err := DiscardUnread(rc, 1); err != nil {
		t.Fatal(err)
	}
	s.Close()
	waitPeer(t, &p, rc, PeerEOF)

	c2, s2 := pair(t)
	p2 := Probe{Shutdown: true, Dup: true}
	if err := p2.Run(rawOf(t, c2)); err != nil || !p2.ShutDown || p2.DupFD < 0 {
		t.Fatalf("Probe = %+v, %v; want shut down and duplicated", p2, err)
	}
	defer CloseFD(p2.DupFD)
	if p2.State != StateFinWait1 && p2.State != StateFinWait2 {
		t.Fatalf("state after shutdown %d, want FIN_WAIT", p2.State)
	}
	if n, err := s2.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Fatalf("peer read %d, %v; want EOF after the shutdown", n, err)
	}
}

func TestAwaitEOFDiscardsUntilFIN(t *testing.T) {
	c, s := pair(t)
	go func() {
		s.Write(make([]byte, 3<<20)) // more than one wake-up's worth
		s.Close()
	}()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	var p Probe
	eof, err := p.AwaitEOF(rawOf(t, c))
	if !eof || err != nil {
		t.Fatalf("AwaitEOF = %v, %v; want EOF", eof, err)
	}
	c2, _ := pair(t)
	c2.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	if eof, err := p.AwaitEOF(rawOf(t, c2)); eof || err == nil {
		t.Fatalf("AwaitEOF on a silent peer = %v, %v; want the deadline", eof, err)
	}
}

package dialer

import (
	"io"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"
)

// testServer accepts connections on a fixed address and handles each with
// handle, closing it afterwards. Close waits for every handler.
type testServer struct {
	ln     net.Listener
	wg     sync.WaitGroup
	mu     sync.Mutex // guards conns and closed
	conns  []net.Conn
	closed bool // close began: a connection accepted from now on is closed at once
	handle func(net.Conn)
}

func startServer(t testing.TB, addr string, handle func(net.Conn)) *testServer {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen %s: %v", addr, err)
	}
	s := &testServer{ln: ln, handle: handle}
	s.wg.Add(1)
	go s.serve()
	t.Cleanup(s.close)
	return s
}

func (s *testServer) serve() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.closed { // accepted while close ran: its handler would wait forever
			s.mu.Unlock()
			c.Close()
			continue
		}
		s.conns = append(s.conns, c)
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.handle(c)
			c.Close()
		}()
	}
}

func (s *testServer) close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.ln.Close()
	s.mu.Lock()
	for _, c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

func (s *testServer) addr() string { return s.ln.Addr().String() }

// drainUntilEOF reads until the client closes: the client closes first.
func drainUntilEOF(c net.Conn) { io.Copy(io.Discard, c) }

// closeAtOnce closes as soon as accepted: the server closes first.
func closeAtOnce(net.Conn) {}

// waitFor polls cond for up to five seconds.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func mustNew(t testing.TB, cfg Config) *Dialer {
	t.Helper()
	d, err := New(cfg)
	if err != nil {
		t.Fatalf("New(%+v): %v", cfg, err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func addrs(ss ...string) []netip.Addr {
	out := make([]netip.Addr, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParseAddr(s)
	}
	return out
}

func dialOrFail(t *testing.T, d *Dialer, addr string) net.Conn {
	t.Helper()
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

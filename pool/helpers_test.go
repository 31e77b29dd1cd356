package pool_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keepconn/keepconn/pool"
)

// lineServer answers every line with the same line, on loopback.
type lineServer struct {
	ln       net.Listener
	mu       sync.Mutex
	conns    map[net.Conn]time.Time // open connections and when accepted
	stopped  bool                   // stop began: a connection accepted from now on is closed at once
	ends     []time.Time            // when the client's close arrived
	accepted atomic.Int64
	wg       sync.WaitGroup
}

func startServer(t testing.TB) *lineServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return serve(t, ln)
}

func serve(t testing.TB, ln net.Listener) *lineServer {
	s := &lineServer{ln: ln, conns: make(map[net.Conn]time.Time)}
	s.wg.Add(1)
	go s.accept()
	t.Cleanup(s.stop)
	return s
}

func (s *lineServer) addr() string { return s.ln.Addr().String() }
func (s *lineServer) port() int    { return s.ln.Addr().(*net.TCPAddr).Port }

func (s *lineServer) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.accepted.Add(1)
		s.mu.Lock()
		if s.stopped { // accepted while stop ran: its echo would wait forever
			s.mu.Unlock()
			c.Close()
			continue
		}
		s.conns[c] = time.Now()
		s.mu.Unlock()
		s.wg.Add(1)
		go s.echo(c)
	}
}

func (s *lineServer) echo(c net.Conn) {
	defer s.wg.Done()
	r := bufio.NewReader(c)
	for {
		line, err := r.ReadBytes('\n')
		if err != nil {
			s.mu.Lock()
			if _, ok := s.conns[c]; ok {
				delete(s.conns, c)
				if errors.Is(err, io.EOF) {
					s.ends = append(s.ends, time.Now())
				}
			}
			s.mu.Unlock()
			c.Close()
			return
		}
		if _, err := c.Write(line); err != nil {
			c.Close()
			return
		}
	}
}

// closeConns closes up to n of the server's connections, with an RST when
// rst is set, and returns the client addresses of those it closed.
func (s *lineServer) closeConns(n int, rst bool) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var closed []string
	for c := range s.conns {
		if len(closed) == n {
			break
		}
		if rst {
			c.(*net.TCPConn).SetLinger(0)
		}
		delete(s.conns, c)
		c.Close()
		closed = append(closed, c.RemoteAddr().String())
	}
	return closed
}

// send writes b to up to n of the server's connections.
func (s *lineServer) send(n int, b []byte) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var sent []string
	for c := range s.conns {
		if len(sent) == n {
			break
		}
		c.Write(b)
		sent = append(sent, c.RemoteAddr().String())
	}
	return sent
}

func (s *lineServer) open() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

func (s *lineServer) endTimes() []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Time(nil), s.ends...)
}

func (s *lineServer) stop() {
	s.mu.Lock()
	s.stopped = true
	s.mu.Unlock()
	s.ln.Close()
	s.mu.Lock()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// roundTrip sends one line and reads the echo, keeping a bufio.Reader with
// the connection.
func roundTrip(c pool.Conn, msg string) error {
	r, _ := c.Value().(*bufio.Reader)
	if r == nil {
		r = bufio.NewReader(c.NetConn())
		c.SetValue(r)
	}
	if _, err := io.WriteString(c, msg+"\n"); err != nil {
		return err
	}
	line, err := r.ReadString('\n')
	if err != nil {
		return err
	}
	if line != msg+"\n" {
		return fmt.Errorf("echo %q, want %q", line, msg)
	}
	return nil
}

func newPool(t testing.TB, cfg pool.Config) *pool.Pool {
	t.Helper()
	p, err := pool.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// eventually polls cond until it holds or a generous deadline passes.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// checkBalance asserts the accounting identity of a quiet pool.
func checkBalance(t testing.TB, s pool.Stats) {
	t.Helper()
	if s.Opened != s.TotalClosed()+s.Open {
		t.Errorf("Opened %d != Closed %d + Open %d (%+v)", s.Opened, s.TotalClosed(), s.Open, s)
	}
	if sides := s.ActiveCloses + s.PassiveCloses + s.AbortiveCloses; sides != s.TotalClosed() {
		t.Errorf("closes by side %d != by reason %d", sides, s.TotalClosed())
	}
}

package dialer

import (
	"bytes"
	"errors"
	"io"
	"net"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/keepconn/keepconn/internal/netnstest"
	"github.com/keepconn/keepconn/internal/sockopt"
)

// recordingServer keeps, per connection, every byte received and the error
// that ended the read.
type recordingServer struct {
	*testServer
	mu       sync.Mutex
	got      [][]byte
	endErr   []error
	greeting []byte        // written to each client on accept
	hold     chan struct{} // reading starts when this is closed
	done     chan struct{} // closed when a connection has been read to its end
}

func startRecordingServer(t *testing.T, greeting []byte) *recordingServer {
	rs := &recordingServer{greeting: greeting, hold: make(chan struct{}), done: make(chan struct{})}
	rs.testServer = startServer(t, "127.0.0.1:5000", rs.handle)
	return rs
}

func (rs *recordingServer) handle(c net.Conn) {
	if len(rs.greeting) > 0 { // even an empty write would consume a pending reset
		c.Write(rs.greeting)
	}
	<-rs.hold
	var buf bytes.Buffer
	_, err := io.Copy(&buf, c)
	rs.mu.Lock()
	rs.got = append(rs.got, buf.Bytes())
	rs.endErr = append(rs.endErr, err)
	rs.mu.Unlock()
	close(rs.done)
}

func (rs *recordingServer) result(t *testing.T) ([]byte, error) {
	t.Helper()
	select {
	case <-rs.done:
	case <-time.After(10 * time.Second):
		t.Fatal("the server did not finish reading")
	}
	rs.close()
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if len(rs.got) != 1 {
		t.Fatalf("server saw %d connections, want 1", len(rs.got))
	}
	return rs.got[0], rs.endErr[0]
}

func queues(t *testing.T, c net.Conn) (unread, unacked int) {
	t.Helper()
	raw, err := c.(syscall.Conn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	unread, unacked, err = sockopt.Queues(raw)
	if err != nil {
		t.Fatal(err)
	}
	return unread, unacked
}

func TestCloseIdle(t *testing.T) {
	payload := bytes.Repeat([]byte("keepconn"), 1<<17) // 1 MiB: more than the peer's window
	t.Run("unread bytes: graceful, nothing lost", func(t *testing.T) {
		netnstest.Run(t, hundredPorts, func(t *testing.T) {
			srv := startRecordingServer(t, []byte("unread greeting"))
			d := mustNew(t, Config{})
			c := dialOrFail(t, d, srv.addr())
			waitFor(t, "the greeting in the receive queue", func() bool { u, _ := queues(t, c); return u > 0 })
			mustWrite(t, c, []byte("request"))
			assertCloseIdle(t, c, false)
			close(srv.hold)
			got, err := srv.result(t)
			if err != nil || string(got) != "request" {
				t.Fatalf("server read %q, %v; want %q, EOF", got, err, "request")
			}
			if s := d.Stats(); s.AbortiveCloses != 0 || s.ActiveCloses != 1 {
				t.Fatalf("stats %+v, want one active close", s)
			}
		})
	})
	t.Run("unsent bytes: graceful, peer gets every byte", func(t *testing.T) {
		netnstest.Run(t, hundredPorts, func(t *testing.T) {
			srv := startRecordingServer(t, nil)
			d := mustNew(t, Config{})
			c := dialOrFail(t, d, srv.addr())
			written := writeInBackground(t, c, payload, func() {
				waitFor(t, "bytes in the send queue", func() bool { _, o := queues(t, c); return o > 0 })
			})
			assertCloseIdle(t, c, false)
			close(srv.hold)
			got, err := srv.result(t)
			if err != nil || !bytes.Equal(got, written) {
				t.Fatalf("server read %d bytes, %v; want all %d written, EOF", len(got), err, len(written))
			}
		})
	})
	t.Run("empty queues: abortive, no TIME_WAIT", func(t *testing.T) {
		netnstest.Run(t, hundredPorts, func(t *testing.T) {
			srv := startRecordingServer(t, nil)
			close(srv.hold)
			d := mustNew(t, Config{})
			c := dialOrFail(t, d, srv.addr())
			assertCloseIdle(t, c, true)
			if _, err := srv.result(t); !errors.Is(err, syscall.ECONNRESET) {
				t.Fatalf("server read ended with %v, want ECONNRESET", err)
			}
			for _, e := range kernelSockets(t) {
				if e.state == sockopt.StateTimeWait {
					t.Fatalf("TIME_WAIT %v → %v after CloseIdle on empty queues", e.local, e.remote)
				}
			}
			if s := d.Stats(); s.AbortiveCloses != 1 {
				t.Fatalf("stats %+v, want AbortiveCloses 1", s)
			}
		})
	})
}

func TestCloseIdlePlainTCPConn(t *testing.T) {
	srv := startServer(t, "127.0.0.1:0", drainUntilEOF)
	c, err := net.Dial("tcp", srv.addr())
	if err != nil {
		t.Fatal(err)
	}
	assertCloseIdle(t, c, true)
}

func mustWrite(t *testing.T, c net.Conn, b []byte) {
	t.Helper()
	if _, err := c.Write(b); err != nil {
		t.Fatal(err)
	}
}

// writeInBackground writes b while ready runs, then waits for the write
// to be taken by the kernel or to stall on a full send buffer, and returns
// the bytes the kernel took.
func writeInBackground(t *testing.T, c net.Conn, b []byte, ready func()) []byte {
	t.Helper()
	type result struct {
		n   int
		err error
	}
	done := make(chan result, 1)
	c.SetWriteDeadline(time.Now().Add(200 * time.Millisecond))
	go func() { n, err := c.Write(b); done <- result{n, err} }()
	ready()
	r := <-done
	if r.err != nil && !errors.Is(r.err, syscall.EAGAIN) && !isTimeout(r.err) {
		t.Fatal(r.err)
	}
	return b[:r.n]
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func assertCloseIdle(t *testing.T, c net.Conn, wantAborted bool) {
	t.Helper()
	aborted, err := CloseIdle(c)
	if err != nil || aborted != wantAborted {
		t.Fatalf("CloseIdle = %v, %v; want %v, nil", aborted, err, wantAborted)
	}
}

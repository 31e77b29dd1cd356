package pool_test

import (
	"context"
	"net"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/keepconn/keepconn/dialer"
	"github.com/keepconn/keepconn/internal/sockopt"
	"github.com/keepconn/keepconn/pool"
)

// recordingDial dials with a keepconn dialer and remembers every
// connection by local address, so a test can watch the client side.
type recordingDial struct {
	d     *dialer.Dialer
	mu    sync.Mutex
	conns map[string]net.Conn
}

func newRecordingDial(t *testing.T) *recordingDial {
	d, err := dialer.New(dialer.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return &recordingDial{d: d, conns: make(map[string]net.Conn)}
}

func (r *recordingDial) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := r.d.DialContext(ctx, network, addr)
	if err == nil {
		r.mu.Lock()
		r.conns[c.LocalAddr().String()] = c
		r.mu.Unlock()
	}
	return c, err
}

// waitState waits until the client sockets with the given local addresses
// have left ESTABLISHED: the server's FIN or RST has arrived.
func (r *recordingDial) waitState(t *testing.T, locals []string) {
	t.Helper()
	for _, a := range locals {
		r.mu.Lock()
		c := r.conns[a]
		r.mu.Unlock()
		raw, err := c.(syscall.Conn).SyscallConn()
		if err != nil {
			t.Fatal(err)
		}
		eventually(t, "the peer's close to arrive", func() bool {
			st, err := sockopt.State(raw)
			return err != nil || st != sockopt.StateEstablished
		})
	}
}

// Item 3: the server closes idle connections between rounds; every Acquire
// still gets a live connection and PeerClosed counts exactly those closed.
func TestPeerClosesIdle(t *testing.T) {
	for _, rst := range []bool{false, true} {
		t.Run(map[bool]string{false: "FIN", true: "RST"}[rst], func(t *testing.T) {
			const holders, rounds = 6, 30
			srv := startServer(t)
			rd := newRecordingDial(t)
			p := newPool(t, pool.Config{Addr: srv.addr(), Dial: rd.Dial, MaxConns: holders, LivenessCheckAfter: pool.CheckEveryReuse})
			var closed int64
			for r := range rounds {
				burst(t, p, holders) // every idle connection is taken and checked
				if s := p.Stats(); s.PeerClosed != closed || s.PassiveCloses != closed {
					t.Fatalf("round %d: PeerClosed %d PassiveCloses %d, want %d", r, s.PeerClosed, s.PassiveCloses, closed)
				}
				gone := srv.closeConns(r%holders+1, rst)
				rd.waitState(t, gone)
				closed += int64(len(gone))
			}
			burst(t, p, holders)
			eventually(t, "closes counted", func() bool { return p.Stats().Closed() >= closed })
			s := p.Stats()
			t.Logf("%d rounds: server closed %d, PeerClosed %d, Opened %d, LivenessChecks %d", rounds, closed, s.PeerClosed, s.Opened, s.LivenessChecks)
			if s.PeerClosed != closed || s.Closed() != closed || s.PassiveCloses != closed {
				t.Fatalf("PeerClosed %d Closed %d PassiveCloses %d, want %d", s.PeerClosed, s.Closed(), s.PassiveCloses, closed)
			}
			if s.Opened != holders+closed {
				t.Fatalf("Opened %d, want %d", s.Opened, holders+closed)
			}
			checkBalance(t, s)
		})
	}
}

// Unexpected bytes on an idle connection: destroyed before reuse, counted
// as broken, invisible to the caller.
func TestUnexpectedBytes(t *testing.T) {
	srv := startServer(t)
	rd := newRecordingDial(t)
	p := newPool(t, pool.Config{Addr: srv.addr(), Dial: rd.Dial, MaxConns: 3, LivenessCheckAfter: pool.CheckEveryReuse})
	burst(t, p, 3)
	sent := srv.send(2, []byte("surprise\n"))
	for _, a := range sent {
		rd.mu.Lock()
		c := rd.conns[a]
		rd.mu.Unlock()
		raw, _ := c.(syscall.Conn).SyscallConn()
		eventually(t, "bytes to arrive", func() bool {
			n, _, err := sockopt.Queues(raw)
			return err != nil || n > 0
		})
	}
	burst(t, p, 3)
	eventually(t, "closes counted", func() bool { return p.Stats().BrokenClosed >= 2 })
	if s := p.Stats(); s.BrokenClosed != 2 || s.PeerClosed != 0 || s.Opened != 5 {
		t.Fatalf("BrokenClosed %d PeerClosed %d Opened %d, want 2, 0, 5", s.BrokenClosed, s.PeerClosed, s.Opened)
	}
}

// With the default LivenessCheckAfter, a connection used within the last
// second is handed out unchecked, so a close that just arrived reaches the
// caller; once idle longer, it is checked and replaced invisibly.
func TestLivenessCheckAfterDefault(t *testing.T) {
	srv := startServer(t)
	rd := newRecordingDial(t)
	p := newPool(t, pool.Config{Addr: srv.addr(), Dial: rd.Dial, MaxConns: 1})
	burst(t, p, 1)
	rd.waitState(t, srv.closeConns(1, false))
	c, err := p.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	err = roundTrip(c, "x")
	c.Destroy()
	if err == nil {
		t.Fatal("round trip on a connection the server closed succeeded")
	}
	if s := p.Stats(); s.LivenessChecks != 0 || s.PeerClosed != 0 {
		t.Fatalf("LivenessChecks %d PeerClosed %d, want 0 and 0", s.LivenessChecks, s.PeerClosed)
	}

	burst(t, p, 1) // dials a new connection
	rd.waitState(t, srv.closeConns(1, false))
	time.Sleep(pool.DefaultLivenessCheckAfter + 100*time.Millisecond)
	burst(t, p, 1)
	if s := p.Stats(); s.LivenessChecks != 1 || s.PeerClosed != 1 {
		t.Fatalf("after a long idle: LivenessChecks %d PeerClosed %d, want 1 and 1", s.LivenessChecks, s.PeerClosed)
	}
}

// The threshold errs towards checking by one step of the 50 ms clock:
// with 200 ms, a connection idle 50 ms is not checked and one idle 250 ms
// is, however the clock's ticks fall.
func TestLivenessCheckAfterThreshold(t *testing.T) {
	srv := startServer(t)
	p := newPool(t, pool.Config{Addr: srv.addr(), MaxConns: 1, LivenessCheckAfter: 200 * time.Millisecond})
	burst(t, p, 1)
	for _, c := range []struct {
		idle   time.Duration
		checks int64
	}{{50 * time.Millisecond, 0}, {250 * time.Millisecond, 1}, {50 * time.Millisecond, 1}} {
		time.Sleep(c.idle)
		burst(t, p, 1)
		if got := p.Stats().LivenessChecks; got != c.checks {
			t.Fatalf("after %v idle: LivenessChecks %d, want %d", c.idle, got, c.checks)
		}
	}
}

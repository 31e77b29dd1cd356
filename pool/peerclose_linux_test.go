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
			eventually(t, "closes counted", func() bool { return p.Stats().TotalClosed() >= closed })
			s := p.Stats()
			t.Logf("%d rounds: server closed %d, PeerClosed %d, Opened %d, LivenessChecks %d", rounds, closed, s.PeerClosed, s.Opened, s.LivenessChecks)
			if s.PeerClosed != closed || s.TotalClosed() != closed || s.PassiveCloses != closed {
				t.Fatalf("PeerClosed %d Closed %d PassiveCloses %d, want %d", s.PeerClosed, s.TotalClosed(), s.PassiveCloses, closed)
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
	eventually(t, "the close to be counted", func() bool { return p.Stats().TotalClosed() == 1 })
	if s := p.Stats(); s.LivenessChecks != 0 || s.PeerClosed != 1 || s.PassiveCloses != 1 {
		t.Fatalf("LivenessChecks %d PeerClosed %d PassiveCloses %d, want 0, 1 (the failed reuse), 1", s.LivenessChecks, s.PeerClosed, s.PassiveCloses)
	}

	burst(t, p, 1) // dials a new connection
	rd.waitState(t, srv.closeConns(1, false))
	time.Sleep(pool.DefaultLivenessCheckAfter + 300*time.Millisecond) // errs towards checking by a 50 ms tick; the margin covers a late tick
	burst(t, p, 1)
	if s := p.Stats(); s.LivenessChecks != 1 || s.PeerClosed != 2 {
		t.Fatalf("after a long idle: LivenessChecks %d PeerClosed %d, want 1 and 2", s.LivenessChecks, s.PeerClosed)
	}
}

// Idle connections that died (the server closed them with a FIN, or reset
// them) stop counting as Open and Idle within one HealthCheckPeriod, with
// no Acquire to find them: the background health check closes them as
// PeerClosed.
func TestHealthCheckDropsDeadIdle(t *testing.T) {
	const period = 200 * time.Millisecond
	for _, rst := range []bool{false, true} {
		t.Run(map[bool]string{false: "FIN", true: "RST"}[rst], func(t *testing.T) {
			srv := startServer(t)
			rd := newRecordingDial(t)
			p := newPool(t, pool.Config{Addr: srv.addr(), Dial: rd.Dial, MaxConns: 4, HealthCheckPeriod: period})
			burst(t, p, 4)
			if s := p.Stats(); s.Idle != 4 {
				t.Fatalf("Idle %d, want 4", s.Idle)
			}
			rd.waitState(t, srv.closeConns(3, rst))
			dead := time.Now()
			eventually(t, "the dead connections to leave", func() bool { return p.Stats().Open == 1 })
			took := time.Since(dead)
			eventually(t, "the closes to be counted", func() bool { return p.Stats().TotalClosed() == 3 })
			s := p.Stats()
			t.Logf("gone %v after the peer's close; HealthChecks %d", took, s.HealthChecks)
			if took > period+time.Second {
				t.Errorf("dead idle connections counted for %v, period %v", took, period)
			}
			if s.Idle != 1 || s.PeerClosed != 3 || s.PassiveCloses != 3 || s.HealthChecks == 0 || s.LivenessChecks != 0 {
				t.Fatalf("Idle %d PeerClosed %d PassiveCloses %d HealthChecks %d LivenessChecks %d, want 1, 3, 3, > 0, 0",
					s.Idle, s.PeerClosed, s.PassiveCloses, s.HealthChecks, s.LivenessChecks)
			}
			burst(t, p, 1) // the live one is still there, and first in line
			if s := p.Stats(); s.Opened != 4 || s.Reused != 1 {
				t.Fatalf("Opened %d Reused %d, want 4 and 1", s.Opened, s.Reused)
			}
			checkBalance(t, p.Stats())
		})
	}
}

package dialer

import (
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/keepconn/keepconn/internal/netnstest"
	"github.com/keepconn/keepconn/internal/telemetry"
)

// Farewell says goodbye for a client that does not: the server closes on
// it, so the close is passive; without it the wait runs out.
func TestAwaitPeerCloseFarewell(t *testing.T) {
	for _, tc := range []struct {
		name     string
		farewell string
		side     Side
	}{{"with QUIT", "QUIT\n", SidePassive}, {"without", "", SideActive}} {
		t.Run(tc.name, func(t *testing.T) {
			netnstest.Run(t, hundredPorts, func(t *testing.T) {
				startServer(t, quitServerAddr, byeServer)
				d := mustNew(t, Config{AwaitPeerClose: 300 * time.Millisecond, Farewell: []byte(tc.farewell)})
				c := dialOrFail(t, d, quitServerAddr)
				side, err := c.(*Conn).CloseSide()
				if err != nil || side != tc.side {
					t.Fatalf("CloseSide = %v, %v; want %v", side, err, tc.side)
				}
				s := d.Stats()
				wantTimeouts := int64(0)
				if tc.side == SideActive {
					wantTimeouts = 1
				}
				if s.AwaitTimeouts != wantTimeouts || s.TotalClosed() != 1 {
					t.Fatalf("stats %+v, want %d wait timed out of 1 close", s, wantTimeouts)
				}
			})
		})
	}
}

// Close with AwaitPeerClose ends the application's pending Read at once,
// as any Close does.
func TestAwaitPeerCloseEndsPendingRead(t *testing.T) {
	netnstest.Run(t, hundredPorts, func(t *testing.T) {
		startServer(t, quitServerAddr, quitServer)
		d := mustNew(t, Config{AwaitPeerClose: time.Minute})
		c := dialOrFail(t, d, quitServerAddr)
		readErr := make(chan error, 1)
		go func() { _, err := c.Read(make([]byte, 1)); readErr <- err }()
		time.Sleep(20 * time.Millisecond) // the Read is parked
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-readErr:
			if !errors.Is(err, net.ErrClosed) {
				t.Fatalf("pending Read ended with %v, want net.ErrClosed", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("pending Read still blocked after Close")
		}
		if _, err := c.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
			t.Fatalf("Write after Close: %v, want net.ErrClosed", err)
		}
		if s := d.Stats(); s.AwaitingClose != 1 || s.Open != 1 {
			t.Fatalf("stats %+v, want the socket waiting for the peer and still open", s)
		}
	})
}

// CloseIdleConn resets an idle connection without waiting; one with bytes
// in flight waits for the peer.
func TestAwaitPeerCloseWithCloseIdle(t *testing.T) {
	netnstest.Run(t, hundredPorts, func(t *testing.T) {
		startServer(t, quitServerAddr, quitServer)
		d := mustNew(t, Config{AwaitPeerClose: time.Minute})
		idle := dialOrFail(t, d, quitServerAddr)
		var got Side = 99
		if err := CloseIdleConn(idle, telemetry.ReasonMaxIdle, func(s Side) { got = s }); err != nil || got != SideAbortive {
			t.Fatalf("CloseIdleConn of an idle connection: report %v, %v; want abortive at once", got, err)
		}
		busy := dialOrFail(t, d, quitServerAddr)
		mustWrite(t, busy, []byte("GET\n"))
		if _, err := io.ReadFull(busy, make([]byte, 3)); err != nil {
			t.Fatal(err)
		}
		mustWrite(t, busy, []byte("QUIT\n")) // the server closes on it
		done := make(chan Side, 1)
		if err := CloseIdleConn(quitConnNoop{busy}, telemetry.ReasonMaxIdle, func(s Side) { done <- s }); err != nil {
			t.Fatal(err)
		}
		select {
		case s := <-done:
			if s != SidePassive {
				t.Fatalf("side %v, want passive: the server closed after QUIT", s)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("no outcome")
		}
		if s := d.Stats(); s.MaxIdleClosed != 2 || s.AbortiveCloses != 1 || s.PassiveCloses != 1 {
			t.Fatalf("stats %+v", s)
		}
	})
}

// quitConnNoop is a wrapper that does not declare itself silent: CloseIdle
// must close it gracefully, and so the wait applies.
type quitConnNoop struct{ net.Conn }

func (q quitConnNoop) NetConn() net.Conn { return q.Conn }

// A peer that resets during the wait ends it: passive, no TIME_WAIT here.
func TestAwaitPeerCloseReset(t *testing.T) {
	netnstest.Run(t, hundredPorts, func(t *testing.T) {
		startServer(t, quitServerAddr, func(c net.Conn) {
			c.Read(make([]byte, 5))
			c.(*net.TCPConn).SetLinger(0) // answer the goodbye with a reset
		})
		d := mustNew(t, Config{AwaitPeerClose: time.Minute, Farewell: []byte("QUIT\n")})
		side, err := dialOrFail(t, d, quitServerAddr).(*Conn).CloseSide()
		if err != nil || side != SidePassive {
			t.Fatalf("CloseSide = %v, %v; want passive", side, err)
		}
	})
}

// What must be shown, 4 (allocations): the wait adds a small constant
// number of allocations per close.
func TestAwaitPeerCloseAllocations(t *testing.T) {
	netnstest.Run(t, quitNamespace, func(t *testing.T) {
		startServer(t, quitServerAddr, quitServer)
		perClose := func(await time.Duration) float64 {
			d := mustNew(t, Config{AwaitPeerClose: await})
			ctx := context.Background()
			n := testing.AllocsPerRun(300, func() {
				if err := request(ctx, d, quitServerAddr); err != nil {
					t.Fatal(err)
				}
			})
			shutdown(t, d)
			return n
		}
		plain, await := perClose(0), perClose(time.Second)
		t.Logf("allocations per request and close: plain %.1f, with AwaitPeerClose %.1f", plain, await)
		if await > plain+8 {
			t.Fatalf("the wait adds %.1f allocations per close, want at most 8", await-plain)
		}
	})
}

// After Dialer.Close, connections still close, at once, and are counted.
func TestCloseStopsPeerFirstWaits(t *testing.T) {
	netnstest.Run(t, hundredPorts, func(t *testing.T) {
		startServer(t, quitServerAddr, drainUntilEOF) // never closes first
		d := mustNew(t, Config{AwaitPeerClose: time.Hour})
		waiting := dialOrFail(t, d, quitServerAddr)
		held := dialOrFail(t, d, quitServerAddr)
		waiting.Close()
		if s := d.Stats(); s.AwaitingClose != 1 {
			t.Fatalf("stats %+v, want one close waiting", s)
		}
		start := time.Now()
		if err := d.Close(); err != nil || time.Since(start) > 5*time.Second {
			t.Fatalf("Close = %v after %v, want the wait cut short at once", err, time.Since(start))
		}
		side, err := held.(*Conn).CloseSide()
		if err != nil || side != SideActive {
			t.Fatalf("CloseSide after Dialer.Close = %v, %v; want an immediate active close", side, err)
		}
		if s := d.Stats(); s.AwaitTimeouts != 1 || s.ActiveCloses != 2 || s.Open != 0 || s.AwaitingClose != 0 {
			t.Fatalf("stats %+v, want both closed actively, one wait cut short", s)
		}
		c, err := d.Dial("tcp", quitServerAddr)
		if err != nil {
			t.Fatalf("dial after Close: %v; the dialer still dials", err)
		}
		c.Close()
	})
}

// A peer that never stops sending cannot hold a wait past its deadline.
func TestAwaitPeerCloseStreamingPeer(t *testing.T) {
	netnstest.Run(t, hundredPorts, func(t *testing.T) {
		chunk := make([]byte, 64<<10)
		startServer(t, quitServerAddr, func(c net.Conn) {
			for {
				if _, err := c.Write(chunk); err != nil {
					return
				}
			}
		})
		d := mustNew(t, Config{AwaitPeerClose: 200 * time.Millisecond})
		c := dialOrFail(t, d, quitServerAddr)
		time.Sleep(20 * time.Millisecond) // the stream is flowing
		done := make(chan Side, 1)
		go func() { s, _ := c.(*Conn).CloseSide(); done <- s }()
		select {
		case s := <-done:
			if s == SidePassive {
				t.Fatalf("side %v: the peer never closed", s)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the wait outlived its 200ms deadline against a streaming peer")
		}
		if s := d.Stats(); s.AwaitTimeouts != 1 {
			t.Fatalf("stats %+v, want the wait timed out", s)
		}
	})
}

// The Farewell is written only at a message boundary: not when the owner
// closes the connection as broken, nor after a write that failed (it may
// have sent part of a message, which "QUIT\r\n" would complete and the
// server run). Without it the peer does not close and the wait runs out.
func TestAwaitPeerCloseNoFarewellAfterBrokenOrFailedWrite(t *testing.T) {
	for _, tc := range []struct {
		name  string
		close func(t *testing.T, c net.Conn)
		side  Side
	}{
		{"owner's idle close says goodbye", func(t *testing.T, c net.Conn) { CloseConn(c, telemetry.ReasonMaxIdle, nil) }, SidePassive},
		{"broken", func(t *testing.T, c net.Conn) { CloseConn(c, telemetry.ReasonBroken, nil) }, SideActive},
		{"after a failed write", func(t *testing.T, c net.Conn) {
			c.SetWriteDeadline(time.Now().Add(-time.Second))
			if _, err := c.Write([]byte("*3\r\n$3\r\nSET")); err == nil {
				t.Fatal("a write past its deadline succeeded")
			}
			c.Close()
		}, SideActive},
	} {
		t.Run(tc.name, func(t *testing.T) {
			netnstest.Run(t, hundredPorts, func(t *testing.T) {
				startServer(t, quitServerAddr, byeServer)
				d := mustNew(t, Config{AwaitPeerClose: 300 * time.Millisecond, Farewell: []byte("QUIT\n")})
				c := dialOrFail(t, d, quitServerAddr)
				tc.close(t, c)
				if err := d.Shutdown(context.Background()); err != nil {
					t.Fatal(err)
				}
				s := d.Stats()
				var got Side = SidePassive
				if s.ActiveCloses == 1 {
					got = SideActive
				}
				if s.TotalClosed() != 1 || got != tc.side {
					t.Fatalf("stats %+v: want one %v close", s, tc.side)
				}
			})
		})
	}
}

package dialer

import (
	"bytes"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/keepconn/keepconn/internal/netnstest"
	"github.com/keepconn/keepconn/internal/sockopt"
)

// The close tells unread bytes from the kernel's count of bytes received
// and the bytes the application has read, with no peek when they agree;
// bytes read around the count (through NetConn) cost a peek, never a
// wrong side. Each case checks the side against the kernel. The servers
// that stay open hold their side until the client's close is counted:
// a FIN of theirs arriving first would make the close passive.
func TestCloseCountsReadsInsteadOfPeeking(t *testing.T) {
	cases := []struct {
		name      string
		server    func(c net.Conn, release <-chan struct{})
		read      func(t *testing.T, c *Conn)
		side      Side
		wantPeeks int64
	}{
		{"all read, server open", writeThenHold("hello"), readN(5), SideActive, 0},
		{"all read to EOF", writeThenClose("bye"), readAll, SidePassive, 0},
		{"WriteTo to EOF", writeThenClose("bye"), copyOut, SidePassive, 0},
		{"read around the count", writeThenHold("hello"), readAroundN(5), SideActive, 1},
		{"part unread", writeThenHold("hello"), readN(2), SideAbortive, 1},
		{"CloseRead's EOF is not the peer's", writeThenHold(""), closeReadToEOF, SideActive, 0},
		{"goodbye written, server closed", closeOnGoodbye, writeGoodbye, SidePassive, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			netnstest.Run(t, hundredPorts, func(t *testing.T) {
				hold := make(chan struct{})
				srv := startServer(t, "127.0.0.1:5000", func(c net.Conn) { tc.server(c, hold) })
				release := sync.OnceFunc(func() { close(hold) })
				t.Cleanup(release) // before the server's cleanup, which waits for the handler
				d := mustNew(t, Config{})
				c := dialOrFail(t, d, srv.addr()).(*Conn)
				tc.read(t, c)
				if tc.side == SidePassive {
					waitFor(t, "the server's FIN", func() bool { return stateOf(t, c.LocalAddr(), c.RemoteAddr()) == sockopt.StateCloseWait })
				} else {
					waitFor(t, "the server's bytes", func() bool { return stateOf(t, c.LocalAddr(), c.RemoteAddr()) != 0 })
				}
				local, remote := c.LocalAddr(), c.RemoteAddr()
				peeks := sockopt.Peeks.Load()
				side, err := c.CloseSide()
				if got := sockopt.Peeks.Load() - peeks; err != nil || side != tc.side || got != tc.wantPeeks {
					t.Fatalf("CloseSide = %v, %v with %d peeks; want %v with %d", side, err, got, tc.side, tc.wantPeeks)
				}
				release()
				srv.close()
				assertKernelSide(t, local, remote, side)
			})
		})
	}
}

// assertKernelSide checks what the kernel kept of a closed connection:
// a TIME_WAIT on the client for an active close, none for the others.
func assertKernelSide(t *testing.T, local, remote net.Addr, side Side) {
	t.Helper()
	if side == SideActive {
		waitFor(t, "TIME_WAIT on the client's 4-tuple", func() bool {
			return stateOf(t, local, remote) == sockopt.StateTimeWait
		})
		return
	}
	waitFor(t, "the client's socket to go", func() bool { return stateOf(t, local, remote) == 0 })
}

// writeThenHold writes s, reads to the client's FIN and closes once
// released.
func writeThenHold(s string) func(net.Conn, <-chan struct{}) {
	return func(c net.Conn, release <-chan struct{}) { c.Write([]byte(s)); drainUntilEOF(c); <-release }
}

func writeThenClose(s string) func(net.Conn, <-chan struct{}) {
	return func(c net.Conn, _ <-chan struct{}) { c.Write([]byte(s)) }
}

func readN(n int) func(*testing.T, *Conn) {
	return func(t *testing.T, c *Conn) {
		if _, err := io.ReadFull(c, make([]byte, n)); err != nil {
			t.Fatal(err)
		}
	}
}

// readAroundN reads through the *net.TCPConn under the Conn, which the
// Conn does not count.
func readAroundN(n int) func(*testing.T, *Conn) {
	return func(t *testing.T, c *Conn) {
		if _, err := io.ReadFull(c.NetConn(), make([]byte, n)); err != nil {
			t.Fatal(err)
		}
	}
}

func readAll(t *testing.T, c *Conn) {
	if _, err := io.ReadAll(c); err != nil {
		t.Fatal(err)
	}
}

// copyOut reads to EOF through WriteTo, as io.Copy does.
func copyOut(t *testing.T, c *Conn) {
	var b bytes.Buffer
	if _, err := c.WriteTo(&b); err != nil || b.Len() == 0 {
		t.Fatalf("WriteTo: %d bytes, %v", b.Len(), err)
	}
}

func closeReadToEOF(t *testing.T, c *Conn) {
	if err := c.CloseRead(); err != nil {
		t.Fatal(err)
	}
	if n, err := c.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Fatalf("Read after CloseRead = %d, %v; want EOF", n, err)
	}
}

func closeOnGoodbye(c net.Conn, _ <-chan struct{}) { io.ReadFull(c, make([]byte, 5)) }

func writeGoodbye(t *testing.T, c *Conn) {
	if _, err := c.Write([]byte("QUIT\n")); err != nil {
		t.Fatal(err)
	}
}

// A destination whose server closes first gets closes that peek first
// (one system call tells the peer's FIN), once a few closes have shown
// it; a client-first destination keeps the shutdown-first order, which
// needs no peek. The sides stay exact either way.
func TestCloseOrderFollowsTheDestination(t *testing.T) {
	netnstest.Run(t, hundredPorts, func(t *testing.T) {
		first := startServer(t, "127.0.0.1:5000", closeAtOnce)
		d := mustNew(t, Config{})
		for i := range 2 * leanLimit {
			c := dialOrFail(t, d, first.addr()).(*Conn)
			waitFor(t, "the server's FIN", func() bool { return stateOf(t, c.LocalAddr(), c.RemoteAddr()) == sockopt.StateCloseWait })
			peeks := sockopt.Peeks.Load()
			side, err := c.CloseSide()
			got := sockopt.Peeks.Load() - peeks
			if err != nil || side != SidePassive {
				t.Fatalf("close %d: %v, %v; want passive", i, side, err)
			}
			if i > 0 && got != 1 {
				t.Fatalf("close %d, after %d passive closes: %d peeks, want 1 (peek first)", i, i, got)
			}
		}
		held := startServer(t, "127.0.0.1:5001", drainUntilEOF)
		for i := range 2 {
			c := dialOrFail(t, d, held.addr()).(*Conn)
			peeks := sockopt.Peeks.Load()
			if side, err := c.CloseSide(); err != nil || side != SideActive || sockopt.Peeks.Load() != peeks {
				t.Fatalf("client-first close %d: %v, %v with %d peeks; want active with none", i, side, err, sockopt.Peeks.Load()-peeks)
			}
		}
	})
}

// A peer's FIN that came long before the close (its delayed ACK timed out
// and ended ping-pong mode) is still a passive close on the
// shutdown-first order, where on loopback the socket reaches CLOSE within
// the shutdown: the kernel's TIME_WAIT table decides, not TCP_QUICKACK.
func TestCloseLongAfterThePeersFINIsPassive(t *testing.T) {
	netnstest.Run(t, hundredPorts, func(t *testing.T) {
		srv := startServer(t, "127.0.0.1:5000", closeAtOnce)
		for i := range 3 {
			d := mustNew(t, Config{}) // a new destination: shutdown first
			c := dialOrFail(t, d, srv.addr()).(*Conn)
			waitFor(t, "the server's FIN", func() bool { return stateOf(t, c.LocalAddr(), c.RemoteAddr()) == sockopt.StateCloseWait })
			time.Sleep(300 * time.Millisecond) // past any delayed ACK
			local, remote := c.LocalAddr(), c.RemoteAddr()
			if side, err := c.CloseSide(); err != nil || side != SidePassive {
				t.Fatalf("close %d: %v, %v; want passive", i, side, err)
			}
			assertKernelSide(t, local, remote, SidePassive)
		}
	})
}

// A peer's FIN that slips in between the peek and the shutdown of the
// peek-first order, longer ago than a delayed ACK by the time the state
// is read (a thread descheduled between the two system calls), leaves
// the socket in CLOSE out of ping-pong mode, as a FIN that came after
// this side's would: the kernel's TIME_WAIT table decides, and the close
// is passive.
func TestPeersFINBetweenPeekAndShutdownIsPassive(t *testing.T) {
	netnstest.Run(t, hundredPorts, func(t *testing.T) {
		release, stop := make(chan struct{}, 1), make(chan struct{})
		srv := startServer(t, "127.0.0.1:5000", func(net.Conn) {
			select {
			case <-release:
			case <-stop:
			}
		})
		t.Cleanup(func() { close(stop) }) // before the server's cleanup
		t.Cleanup(func() { sockopt.TestHookBeforeShutdown.Store(nil) })
		d := mustNew(t, Config{})
		for i := range 3 {
			c := dialOrFail(t, d, srv.addr()).(*Conn)
			c.dest.lean.v.Store(leanLimit) // the destination has been closing first: peek first
			local, remote := c.LocalAddr(), c.RemoteAddr()
			stall := func() {
				release <- struct{}{}
				waitFor(t, "the server's FIN", func() bool { return stateOf(t, local, remote) == sockopt.StateCloseWait })
				time.Sleep(300 * time.Millisecond) // past any delayed ACK
			}
			sockopt.TestHookBeforeShutdown.Store(&stall)
			peeks := sockopt.Peeks.Load()
			side, err := c.CloseSide()
			sockopt.TestHookBeforeShutdown.Store(nil)
			if got := sockopt.Peeks.Load() - peeks; got != 1 {
				t.Fatalf("close %d: %d peeks, want 1 (peek first)", i, got)
			}
			if err != nil || side != SidePassive {
				t.Fatalf("close %d: %v, %v; want passive", i, side, err)
			}
			assertKernelSide(t, local, remote, SidePassive)
		}
	})
}

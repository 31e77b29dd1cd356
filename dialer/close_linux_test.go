package dialer

import (
	"bytes"
	"io"
	"net"
	"sync"
	"testing"

	"github.com/keepconn/keepconn"
	"github.com/keepconn/keepconn/internal/netnstest"
	"github.com/keepconn/keepconn/internal/sockopt"
)

// closedConn is a connection made and closed under one close scenario.
type closedConn struct {
	local, remote net.Addr
	side          Side
	stats         Stats
}

func TestCloseAccountingMatchesKernel(t *testing.T) {
	t.Run("client closes first: TIME_WAIT here", func(t *testing.T) {
		netnstest.Run(t, hundredPorts, func(t *testing.T) {
			srv := startServer(t, "127.0.0.1:5000", drainUntilEOF)
			cc := dialAndClose(t, Config{}, srv, false)
			waitFor(t, "TIME_WAIT on the client's 4-tuple", func() bool {
				return stateOf(t, cc.local, cc.remote) == sockopt.StateTimeWait
			})
			assertCloses(t, cc, SideActive, Stats{ConnStats: keepconn.ConnStats{Opened: 1, Closed: 1, ActiveCloses: 1}})
		})
	})
	t.Run("server closes first: no TIME_WAIT here", func(t *testing.T) {
		netnstest.Run(t, hundredPorts, func(t *testing.T) {
			srv := startServer(t, "127.0.0.1:5000", closeAtOnce)
			cc := dialAndClose(t, Config{}, srv, true)
			waitFor(t, "TIME_WAIT on the server's side", func() bool {
				return stateOf(t, cc.remote, cc.local) == sockopt.StateTimeWait
			})
			if st := stateOf(t, cc.local, cc.remote); st != 0 {
				t.Fatalf("client socket still in state %d, want gone", st)
			}
			assertCloses(t, cc, SidePassive, Stats{ConnStats: keepconn.ConnStats{Opened: 1, PeerClosed: 1, PassiveCloses: 1}})
		})
	})
	t.Run("abortive: no TIME_WAIT anywhere", func(t *testing.T) {
		netnstest.Run(t, hundredPorts, func(t *testing.T) {
			srv := startServer(t, "127.0.0.1:5000", drainUntilEOF)
			cc := dialAndClose(t, Config{Close: CloseAbortive}, srv, false)
			srv.close() // handlers done: the server saw the reset
			for _, e := range kernelSockets(t) {
				if e.state == sockopt.StateTimeWait {
					t.Fatalf("TIME_WAIT socket %v → %v after an abortive close", e.local, e.remote)
				}
			}
			assertCloses(t, cc, SideAbortive, Stats{ConnStats: keepconn.ConnStats{Opened: 1, Closed: 1, AbortiveCloses: 1}})
		})
	})
}

func TestCloseWithUnreadBytesIsAReset(t *testing.T) {
	netnstest.Run(t, hundredPorts, func(t *testing.T) {
		hold := make(chan struct{}) // the server's FIN must not come first
		srv := startServer(t, "127.0.0.1:5000", func(c net.Conn) { c.Write([]byte("hi")); drainUntilEOF(c); <-hold })
		release := sync.OnceFunc(func() { close(hold) })
		t.Cleanup(release)
		d := mustNew(t, Config{})
		c := dialOrFail(t, d, srv.addr())
		waitFor(t, "unread bytes", func() bool { u, _ := queues(t, c); return u > 0 })
		local, remote := c.LocalAddr(), c.RemoteAddr()
		side, err := c.(*Conn).CloseSide()
		if err != nil || side != SideAbortive {
			t.Fatalf("CloseSide = %v, %v; want abortive: Linux resets a socket closed with unread data", side, err)
		}
		release()
		srv.close()
		if st := stateOf(t, local, remote); st != 0 {
			t.Fatalf("client socket in state %d after the reset, want gone", st)
		}
	})
}

// dialAndClose dials srv, optionally waits for the server's FIN, closes and
// reports what happened.
func dialAndClose(t *testing.T, cfg Config, srv *testServer, awaitPeerFIN bool) closedConn {
	t.Helper()
	d := mustNew(t, cfg)
	c, err := d.Dial("tcp", srv.addr())
	if err != nil {
		t.Fatal(err)
	}
	if awaitPeerFIN {
		if n, err := c.Read(make([]byte, 1)); err != io.EOF {
			t.Fatalf("read %d, %v; want EOF from the server's close", n, err)
		}
	}
	cc := closedConn{local: c.LocalAddr(), remote: c.RemoteAddr()}
	if cc.side, err = c.(*Conn).CloseSide(); err != nil {
		t.Fatal(err)
	}
	cc.stats = d.Stats()
	return cc
}

func assertCloses(t *testing.T, cc closedConn, side Side, want Stats) {
	t.Helper()
	if cc.side != side {
		t.Errorf("CloseSide = %v, want %v", cc.side, side)
	}
	if cc.stats != want {
		t.Errorf("Stats = %+v, want %+v", cc.stats, want)
	}
}

func TestCloseTwiceCountsOnce(t *testing.T) {
	srv := startServer(t, "127.0.0.1:0", drainUntilEOF)
	d := mustNew(t, Config{})
	c, err := d.Dial("tcp", srv.addr())
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err == nil {
		t.Fatal("second Close returned nil, want the closed-connection error")
	}
	if s := d.Stats(); s.ActiveCloses+s.PassiveCloses+s.AbortiveCloses != 1 || s.Open != 0 {
		t.Fatalf("stats %+v after two Close calls, want one close counted and Open 0", s)
	}
}

func TestCloseSideOfPlainTCPConn(t *testing.T) {
	passive := startServer(t, "127.0.0.1:0", closeAtOnce)
	c, err := net.Dial("tcp", passive.addr())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("read: %v, want EOF", err)
	}
	if side, err := CloseSide(c); side != SidePassive || err != nil {
		t.Fatalf("CloseSide after the peer's FIN = %v, %v; want passive", side, err)
	}
	active := startServer(t, "127.0.0.1:0", drainUntilEOF)
	if c, err = net.Dial("tcp", active.addr()); err != nil {
		t.Fatal(err)
	}
	if side, err := CloseSide(c); side != SideActive || err != nil {
		t.Fatalf("CloseSide of an open connection = %v, %v; want active", side, err)
	}
}

func TestCloseAfterCloseWriteIsActive(t *testing.T) {
	netnstest.Run(t, hundredPorts, func(t *testing.T) {
		srv := startServer(t, "127.0.0.1:5000", drainUntilEOF) // closes on our FIN
		d := mustNew(t, Config{})
		c := dialOrFail(t, d, srv.addr())
		if err := c.(*Conn).CloseWrite(); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Read(make([]byte, 1)); err != io.EOF {
			t.Fatalf("read: %v, want EOF after the server's FIN", err)
		}
		local, remote := c.LocalAddr(), c.RemoteAddr()
		side, err := c.(*Conn).CloseSide()
		if err != nil || side != SideActive {
			t.Fatalf("CloseSide after CloseWrite = %v, %v; want active", side, err)
		}
		if st := stateOf(t, local, remote); st != sockopt.StateTimeWait {
			t.Fatalf("kernel state %d, want TIME_WAIT here", st)
		}
	})
}

func TestCloseAbortiveNeverDropsData(t *testing.T) {
	netnstest.Run(t, hundredPorts, func(t *testing.T) {
		srv := startRecordingServer(t, nil) // reads only after hold
		d := mustNew(t, Config{Close: CloseAbortive})
		c := dialOrFail(t, d, srv.addr())
		payload := bytes.Repeat([]byte("x"), 1<<20)
		written := writeInBackground(t, c, payload, func() {
			waitFor(t, "bytes in the send queue", func() bool { _, o := queues(t, c); return o > 0 })
		})
		side, err := c.(*Conn).CloseSide()
		if err != nil || side != SideActive {
			t.Fatalf("CloseSide with unsent bytes = %v, %v; want a graceful, active close", side, err)
		}
		close(srv.hold)
		got, err := srv.result(t)
		if err != nil || !bytes.Equal(got, written) {
			t.Fatalf("server read %d bytes, %v; want all %d written, EOF", len(got), err, len(written))
		}
	})
}

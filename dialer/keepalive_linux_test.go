package dialer

import (
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/keepconn/keepconn/internal/netnstest"
	"golang.org/x/sys/unix"
)

// segsOut is the connection's count of segments sent (tcpi_segs_out).
func segsOut(t *testing.T, c net.Conn) uint32 {
	t.Helper()
	raw, err := c.(syscall.Conn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var info *unix.TCPInfo
	var gerr error
	raw.Control(func(fd uintptr) { info, gerr = unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO) })
	if gerr != nil {
		t.Fatal(gerr)
	}
	return info.Segs_out
}

// TestKeepAliveWaitsHalfTheIdleTime: keepalive is off for the first half
// of Idle (no setsockopt at the dial), on after it with the dialer's
// settings, and the first probe of a connection idle since its dial still
// leaves Idle after the dial, not Idle after keepalive was switched on
// (which would be 4.5 s here).
func TestKeepAliveWaitsHalfTheIdleTime(t *testing.T) {
	netnstest.Run(t, netnstest.Config{}, func(t *testing.T) {
		srv := startServer(t, "127.0.0.1:5000", drainUntilEOF)
		d := mustNew(t, Config{KeepAlive: KeepAlive{Idle: 3 * time.Second, Interval: 5 * time.Second, Count: 4}})
		start := time.Now()
		c := dialOrFail(t, d, srv.addr())
		defer c.Close()
		base := segsOut(t, c)
		assertOpts(t, c, []optCheck{{"SO_KEEPALIVE", unix.SOL_SOCKET, unix.SO_KEEPALIVE, 0}})
		time.Sleep(time.Until(start.Add(2 * time.Second)))
		assertOpts(t, c, []optCheck{
			{"SO_KEEPALIVE", unix.SOL_SOCKET, unix.SO_KEEPALIVE, 1},
			{"TCP_KEEPIDLE", unix.IPPROTO_TCP, unix.TCP_KEEPIDLE, 3},
			{"TCP_KEEPINTVL", unix.IPPROTO_TCP, unix.TCP_KEEPINTVL, 5},
			{"TCP_KEEPCNT", unix.IPPROTO_TCP, unix.TCP_KEEPCNT, 4},
		})
		// Poll the count of segments sent: the probe went out between the
		// last read that saw none and the first that saw it.
		var quiet, seen time.Duration
		for seen == 0 && time.Since(start) < 6*time.Second {
			at, n := time.Since(start), segsOut(t, c)-base
			switch {
			case n == 0:
				quiet = at
			case n == 1:
				seen = at
			default:
				t.Fatalf("%d segments sent by %v after the dial, want one probe", n, at)
			}
			time.Sleep(20 * time.Millisecond)
		}
		if seen == 0 || seen < 2900*time.Millisecond || quiet > 3600*time.Millisecond {
			t.Fatalf("first probe between %v and %v after the dial, want at 3 s", quiet, seen)
		}
	})
}

// TestKeepAliveCloseTakesOffTheList: a connection closed before its
// keepalive is due leaves the dialer's list; Dialer.Close switches on
// those still waiting, and later dials at once.
func TestKeepAliveCloseTakesOffTheList(t *testing.T) {
	srv := startServer(t, "127.0.0.1:0", drainUntilEOF)
	d := mustNew(t, Config{})
	a, b := dialOrFail(t, d, srv.addr()), dialOrFail(t, d, srv.addr())
	defer b.Close()
	a.Close()
	ka := d.keepAlive
	ka.mu.Lock()
	head, tail := ka.head, ka.tail
	ka.mu.Unlock()
	if head != b.(*Conn) || tail != b.(*Conn) {
		t.Fatalf("list after a close: head %p, tail %p; want only the open connection %p", head, tail, b)
	}
	d.Close()
	assertOpts(t, b, []optCheck{{"SO_KEEPALIVE", unix.SOL_SOCKET, unix.SO_KEEPALIVE, 1}})
	c := dialOrFail(t, d, srv.addr())
	defer c.Close()
	assertOpts(t, c, []optCheck{{"SO_KEEPALIVE", unix.SOL_SOCKET, unix.SO_KEEPALIVE, 1}})
	if ka.head != nil || ka.pending {
		t.Fatalf("after Dialer.Close: head %p, timer pending %v", ka.head, ka.pending)
	}
}

// TestKeepAliveCallerSettingsStay: what the caller sets through Conn's
// keepalive methods is not undone when the dialer's keepalive falls due,
// and applies on top of the dialer's settings.
func TestKeepAliveCallerSettingsStay(t *testing.T) {
	srv := startServer(t, "127.0.0.1:0", drainUntilEOF)
	d := mustNew(t, Config{KeepAlive: KeepAlive{Idle: 200 * time.Millisecond, Interval: 7 * time.Second}})
	off := dialOrFail(t, d, srv.addr())
	defer off.Close()
	period := dialOrFail(t, d, srv.addr())
	defer period.Close()
	if err := off.(*Conn).SetKeepAlive(false); err != nil {
		t.Fatal(err)
	}
	if err := period.(*Conn).SetKeepAliveConfig(net.KeepAliveConfig{Enable: true, Idle: 9 * time.Second, Interval: -1, Count: -1}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // past the dialer's due time
	assertOpts(t, off, []optCheck{{"SO_KEEPALIVE", unix.SOL_SOCKET, unix.SO_KEEPALIVE, 0}})
	assertOpts(t, period, []optCheck{
		{"SO_KEEPALIVE", unix.SOL_SOCKET, unix.SO_KEEPALIVE, 1},
		{"TCP_KEEPIDLE", unix.IPPROTO_TCP, unix.TCP_KEEPIDLE, 9},
		{"TCP_KEEPINTVL", unix.IPPROTO_TCP, unix.TCP_KEEPINTVL, 7}, // the dialer's, left unchanged
	})
}

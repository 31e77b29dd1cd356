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

// sleepUntil sleeps until d after start.
func sleepUntil(start time.Time, d time.Duration) { time.Sleep(time.Until(start.Add(d))) }

// TestKeepAliveWaitsHalfTheIdleTime: keepalive is off for the first half
// of Idle (no setsockopt at the dial), on after it with the dialer's
// settings, and the first probe of a connection idle since its dial still
// leaves Idle after the dial, not Idle after keepalive was switched on.
func TestKeepAliveWaitsHalfTheIdleTime(t *testing.T) {
	netnstest.Run(t, netnstest.Config{}, func(t *testing.T) {
		srv := startServer(t, "127.0.0.1:5000", drainUntilEOF)
		d := mustNew(t, Config{KeepAlive: KeepAlive{Idle: 2 * time.Second, Interval: 3 * time.Second, Count: 4}})
		start := time.Now()
		c := dialOrFail(t, d, srv.addr())
		defer c.Close()
		base := segsOut(t, c)
		assertOpts(t, c, []optCheck{{"SO_KEEPALIVE", unix.SOL_SOCKET, unix.SO_KEEPALIVE, 0}})
		sleepUntil(start, 1500*time.Millisecond)
		assertOpts(t, c, []optCheck{
			{"SO_KEEPALIVE", unix.SOL_SOCKET, unix.SO_KEEPALIVE, 1},
			{"TCP_KEEPIDLE", unix.IPPROTO_TCP, unix.TCP_KEEPIDLE, 2},
			{"TCP_KEEPINTVL", unix.IPPROTO_TCP, unix.TCP_KEEPINTVL, 3},
			{"TCP_KEEPCNT", unix.IPPROTO_TCP, unix.TCP_KEEPCNT, 4},
		})
		sleepUntil(start, 1800*time.Millisecond)
		if n := segsOut(t, c) - base; n != 0 {
			t.Fatalf("%d segments sent within 1.8 s of the dial, before the 2 s idle time", n)
		}
		sleepUntil(start, 2700*time.Millisecond)
		if n := segsOut(t, c) - base; n != 1 {
			t.Fatalf("%d segments sent by 2.7 s after the dial, want the first probe at 2 s", n)
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

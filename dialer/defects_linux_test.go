package dialer

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/netip"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/keepconn/keepconn/internal/netnstest"
	"github.com/keepconn/keepconn/internal/sockopt"
	"github.com/keepconn/keepconn/internal/telemetry"
)

// The peer closes first, then this side half-closes: no TIME_WAIT stays
// here, so the close is passive, whatever order CloseWrite and Close came in.
func TestCloseWriteAfterPeerClosedIsPassive(t *testing.T) {
	netnstest.Run(t, hundredPorts, func(t *testing.T) {
		srv := startServer(t, "127.0.0.1:5000", closeAtOnce)
		d := mustNew(t, Config{})
		c := dialOrFail(t, d, srv.addr())
		if _, err := c.Read(make([]byte, 1)); err != io.EOF {
			t.Fatalf("read: %v, want EOF: the server closes first", err)
		}
		if err := c.(*Conn).CloseWrite(); err != nil {
			t.Fatal(err)
		}
		local, remote := c.LocalAddr(), c.RemoteAddr()
		waitFor(t, "the server's TIME_WAIT", func() bool { return stateOf(t, remote, local) == sockopt.StateTimeWait })
		side, err := c.(*Conn).CloseSide()
		if err != nil || side != SidePassive {
			t.Fatalf("CloseSide = %v, %v; want passive", side, err)
		}
		if st := stateOf(t, local, remote); st != 0 {
			t.Fatalf("client socket in state %d, want none: no TIME_WAIT here", st)
		}
		if s := d.Stats(); s.PassiveCloses != 1 || s.ActiveCloses != 0 || s.PeerClosed != 1 {
			t.Fatalf("stats %+v, want one passive close for reason peer_closed", s.ConnStats)
		}
	})
}

// CloseLinger blocks Close up to LingerTimeout and then does not reset:
// the peer still receives every byte, then EOF.
func TestCloseLingerBlocksThenDelivers(t *testing.T) {
	netnstest.Run(t, hundredPorts, func(t *testing.T) {
		srv := startRecordingServer(t, nil) // reads only after hold
		d := mustNew(t, Config{Close: CloseLinger, LingerTimeout: time.Second})
		c := dialOrFail(t, d, srv.addr())
		payload := bytes.Repeat([]byte("l"), 4<<20)
		written := writeInBackground(t, c, payload, func() {
			waitFor(t, "bytes in the send queue", func() bool { _, o := queues(t, c); return o > 0 })
		})
		start := time.Now()
		side, err := c.(*Conn).CloseSide()
		if took := time.Since(start); took < 900*time.Millisecond {
			t.Fatalf("Close returned after %v with unacknowledged data, want it to block up to the 1s linger", took)
		}
		if err != nil || side != SideActive {
			t.Fatalf("CloseSide = %v, %v; want active", side, err)
		}
		close(srv.hold)
		got, err := srv.result(t)
		if err != nil || !bytes.Equal(got, written) {
			t.Fatalf("server read %d of %d bytes, then %v; want every byte, then EOF (no reset at the timeout)", len(got), len(written), err)
		}
	})
}

func TestLingerTimeoutNeverTruncated(t *testing.T) {
	for _, lt := range []time.Duration{(1 << 32) * time.Second, MaxLingerTimeout + time.Second} {
		if d, err := New(Config{Close: CloseLinger, LingerTimeout: lt}); err == nil {
			d.Close()
			t.Fatalf("LingerTimeout %v accepted: SO_LINGER takes an int of seconds", lt)
		}
	}
	srv := startServer(t, "127.0.0.1:0", drainUntilEOF)
	d := mustNew(t, Config{Close: CloseLinger, LingerTimeout: MaxLingerTimeout})
	c := dialOrFail(t, d, srv.addr())
	defer c.Close()
	if l := sockLinger(t, c); l.Onoff != 1 || l.Linger != 1<<31-1 {
		t.Fatalf("SO_LINGER = %+v, want on, %d s", l, 1<<31-1)
	}
}

// quitConn is a wrapper whose Close writes a goodbye, as buffered writers
// and protocol clients do.
type quitConn struct{ net.Conn }

func (q quitConn) NetConn() net.Conn { return q.Conn }
func (q quitConn) Close() error {
	q.Conn.Write([]byte("QUIT\r\n"))
	return q.Conn.Close()
}

// silentConn declares that its Close writes nothing.
type silentConn struct{ net.Conn }

func (s silentConn) NetConn() net.Conn           { return s.Conn }
func (s silentConn) KeepconnCloseWritesNothing() {}

func TestCloseIdleNeverResetsAWrapperThatWrites(t *testing.T) {
	for _, tc := range []struct {
		name      string
		wrap      func(net.Conn) net.Conn
		wantReset bool
		wantRead  string
	}{
		{"writes on Close", func(c net.Conn) net.Conn { return quitConn{c} }, false, "QUIT\r\n"},
		{"SilentCloser", func(c net.Conn) net.Conn { return silentConn{c} }, true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			netnstest.Run(t, hundredPorts, func(t *testing.T) {
				srv := startRecordingServer(t, nil)
				close(srv.hold)
				d := mustNew(t, Config{})
				c := tc.wrap(dialOrFail(t, d, srv.addr()))
				var got Side = 99
				if err := CloseIdleConn(c, telemetry.ReasonMaxIdleTime, func(s Side) { got = s }); err != nil {
					t.Fatal(err)
				}
				read, err := srv.result(t)
				if tc.wantReset != errors.Is(err, syscall.ECONNRESET) || string(read) != tc.wantRead {
					t.Fatalf("server read %q, then %v; want %q and reset %v", read, err, tc.wantRead, tc.wantReset)
				}
				if want := map[bool]Side{true: SideAbortive, false: SideActive}[tc.wantReset]; got != want {
					t.Fatalf("report(%v), want %v", got, want)
				}
				if s := d.Stats(); s.MaxIdleTimeClosed != 1 {
					t.Fatalf("stats %+v, want the owner's reason max_idle_time", s.ConnStats)
				}
			})
		})
	}
}

// goneSource has a server address outside 127.0.0.0/8, all of which is
// local on lo whatever addresses it has.
var goneSource = netnstest.Config{PortLow: 40000, PortHigh: 40099,
	Addrs: []netip.Prefix{netip.MustParsePrefix("10.9.9.1/32")}}

// A source address removed from the host makes bind fail with
// EADDRNOTAVAIL: that is not port exhaustion, and is counted apart.
func TestRemovedSourceIsNotPortExhaustion(t *testing.T) {
	netnstest.Run(t, goneSource, func(t *testing.T) {
		srv := startServer(t, "10.9.9.1:5000", drainUntilEOF)
		p := netip.MustParsePrefix("10.9.9.9/32")
		addAddr(t, p)
		d := mustNew(t, Config{SourceAddrs: addrs("10.9.9.9")})
		dialOrFail(t, d, srv.addr()).Close()
		deleteAddr(t, p)
		_, err := d.Dial("tcp", srv.addr())
		if !errors.Is(err, syscall.EADDRNOTAVAIL) || !errors.Is(err, ErrSourceUnavailable) ||
			!strings.Contains(err.Error(), "10.9.9.9") || !strings.Contains(err.Error(), "not port exhaustion") {
			t.Fatalf("dial from a removed source: %v; want EADDRNOTAVAIL naming the source, not port exhaustion", err)
		}
		if s := d.Stats(); s.AddrNotAvail != 0 || s.DialErrors != 1 || s.SourceUnavailable != 1 {
			t.Fatalf("stats %+v; want DialErrors 1, SourceUnavailable 1, AddrNotAvail 0", s)
		}
		// With a second source the dial moves on to it.
		two := mustNew(t, Config{SourceAddrs: addrs("10.9.9.1")})
		dialOrFail(t, two, srv.addr()).Close()
	})
}

func TestRemovedSourceWithAnotherLeft(t *testing.T) {
	netnstest.Run(t, goneSource, func(t *testing.T) {
		srv := startServer(t, "10.9.9.1:5000", drainUntilEOF)
		p := netip.MustParsePrefix("10.9.9.9/32")
		addAddr(t, p)
		d := mustNew(t, Config{SourceAddrs: addrs("10.9.9.9", "10.9.9.1")})
		deleteAddr(t, p)
		for range 4 {
			c := dialOrFail(t, d, srv.addr())
			if src := c.LocalAddr().(*net.TCPAddr).IP.String(); src != "10.9.9.1" {
				t.Fatalf("dialed from %s, want the source still present", src)
			}
			c.Close()
		}
		if s := d.Stats(); s.DialErrors != 0 || s.SourceRetries != 2 {
			t.Fatalf("stats %+v; want no dial error and 2 retries (one per turn of 10.9.9.9)", s)
		}
	})
}

func TestNonUnicastSourcesRejected(t *testing.T) {
	netnstest.Run(t, netnstest.Config{Addrs: []netip.Prefix{netip.MustParsePrefix("10.1.2.3/24")}}, func(t *testing.T) {
		for _, a := range []string{"255.255.255.255", "10.1.2.255", "224.0.0.1", "ff02::1", "0.0.0.0", "::"} {
			d, err := New(Config{SourceAddrs: addrs(a)})
			var ce *ConfigError
			if !errors.As(err, &ce) || ce.Field != "dialer.Config.SourceAddrs[0]" {
				if d != nil {
					d.Close()
				}
				t.Errorf("New with source %s: %v; want a ConfigError for dialer.Config.SourceAddrs[0]", a, err)
			}
		}
		d := mustNew(t, Config{SourceAddrs: addrs("10.1.2.3")})
		_ = d
	})
}

// A dialer without SourceAddrs never blames them.
func TestDialErrorNamesTheRealCause(t *testing.T) {
	d := mustNew(t, Config{})
	_, err := d.Dial("tcp6", "127.0.0.1:1")
	if err == nil || strings.Contains(err.Error(), "source address") {
		t.Fatalf("tcp6 dial of an IPv4 address: %v; want the resolver's error, not one about source addresses", err)
	}
	_, err = d.Dial("tcp", "127.0.0.1:1")
	if err == nil || !errors.Is(err, syscall.ECONNREFUSED) || strings.Contains(err.Error(), "source address") {
		t.Fatalf("refused dial: %v", err)
	}
}

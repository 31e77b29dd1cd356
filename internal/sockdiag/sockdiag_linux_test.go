package sockdiag

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keepconn/keepconn/internal/netnstest"
	"github.com/keepconn/keepconn/internal/sockdiag/twtest"
	"golang.org/x/sys/unix"
)

// nsConfig is the tests' namespace; like every netnstest namespace it sets
// tcp_rfc1337=1, so no stray RST ends a TIME_WAIT early and counts stay
// exact.
var nsConfig = netnstest.Config{PortLow: 40000, PortHigh: 40999}

// TestDumpAndProcAgree makes 7 TIME_WAIT sockets towards an IPv4 server, 5
// towards an IPv6 one, 3 through IPv4-mapped IPv6 sockets and keeps 2
// connections open, then checks that netlink and /proc list exactly the
// same sockets with exactly those counts.
func TestDumpAndProcAgree(t *testing.T) {
	netnstest.Run(t, nsConfig, func(t *testing.T) {
		ctx := context.Background()
		v4, v6 := timeWaitScene(t, 7, 5, 3)
		open := dialOpen(t, v4, 2)
		got, err := twtest.Await(10*time.Second, 15, func() (int, error) { return countDump(ctx, TimeWait) })
		if err != nil || got != 15 {
			t.Fatalf("netlink TIME_WAIT count = %d, %v; want 15", got, err)
		}
		nl, proc := list(t, Dump, TimeWait), list(t, ReadProc, TimeWait)
		if !slices.Equal(nl, proc) {
			t.Fatalf("netlink and /proc differ:\nnetlink %v\nproc    %v", nl, proc)
		}
		assertPeers(t, nl, map[netip.AddrPort]int{v4: 10, v6: 5})
		conn := list(t, Dump, Connected)
		if !slices.Equal(conn, list(t, ReadProc, Connected)) {
			t.Fatal("netlink and /proc differ on connected sockets")
		}
		// 15 TIME_WAIT + 2 client ends + 2 server ends.
		if len(conn) != 19 {
			t.Fatalf("connected sockets = %d, want 19: %v", len(conn), conn)
		}
		st, err := ReadSockstat()
		if err != nil || st.TimeWait != 15 {
			t.Fatalf("sockstat = %+v, %v; want tw 15", st, err)
		}
		for _, c := range open {
			c.Close()
		}
	})
}

// TestCompatAndV2Agree makes IPv4, IPv6 and IPv4-mapped IPv6 sockets in
// states TIME_WAIT, ESTABLISHED, FIN_WAIT2, CLOSE_WAIT and LISTEN, and
// checks that the compat request, the two v2 requests, and the v2 requests
// Dump falls back to when the kernel refuses the first one, list exactly
// the same sockets, each in the message types expected.
func TestCompatAndV2Agree(t *testing.T) {
	netnstest.Run(t, nsConfig, func(t *testing.T) {
		v4, v6 := timeWaitScene(t, 4, 3, 2)
		open := append(dialOpen(t, v4, 2), dialOpen(t, v6, 1)...)
		open = append(open, halfClosed(t, "[::1]:5002")...)
		defer func() {
			for _, c := range open {
				c.Close()
			}
		}()
		mapped := dialMapped(t, v4)
		defer unix.Close(mapped)
		all := Connected | 1<<StateListen
		awaitSettled(t, all, map[uint8]int{StateTimeWait: 9, StateEstablished: 8,
			StateFinWait2: 1, StateCloseWait: 1, StateListen: 3})
		compat, compatTypes := listFirst(t, compatRequest, all)
		v2, v2Types := listFirst(t, nil, all)
		refused, refusedTypes := listFirst(t, unknownRequest, all)
		if !slices.Equal(compat, v2) || !slices.Equal(compat, refused) {
			t.Fatalf("requests list different sockets:\ncompat  %v\nv2      %v\nrefused %v", compat, v2, refused)
		}
		for _, c := range []struct {
			name      string
			got, want []uint16
		}{
			{"compat", compatTypes, []uint16{tcpDiagGetSock}},
			{"v2", v2Types, []uint16{sockDiagByFamily}},
			{"refused compat", refusedTypes, []uint16{nlmsgError, sockDiagByFamily}},
		} {
			if !slices.Equal(c.got, c.want) {
				t.Errorf("%s: message types %v, want %v", c.name, c.got, c.want)
			}
		}
	})
}

// unknownRequest is a compat request of a message type sock_diag does not
// know, which the kernel refuses with EINVAL, as a kernel without the
// compat request refuses TCPDIAG_GETSOCK.
func unknownRequest(mask StateMask, seq uint32) []byte {
	b := compatRequest(mask, seq)
	binary.NativeEndian.PutUint16(b[4:6], 99)
	return b
}

// listFirst lists the sockets whose state is in mask through Dump with
// first as firstRequest, sorted, and the sorted message types other than
// NLMSG_DONE that the kernel answered with.
func listFirst(t *testing.T, first func(StateMask, uint32) []byte, mask StateMask) ([]Socket, []uint16) {
	t.Helper()
	var socks []Socket
	var types []uint16
	for _, g := range captureDump(t, first, mask) {
		if _, err := ParseDump(g, func(s Socket) { socks = append(socks, s) }); err != nil && !errors.Is(err, unix.EINVAL) {
			t.Fatal(err)
		}
		scanHeaders(g, func(typ uint16) {
			if typ != nlmsgDone && !slices.Contains(types, typ) {
				types = append(types, typ)
			}
		})
	}
	sortSockets(socks)
	slices.Sort(types)
	return socks, types
}

// awaitSettled waits until the sockets whose state is in mask number want
// per state, and every one but the TIME_WAIT entries has an inode (a server
// end gets one when it is accepted), so that listings taken one after the
// other agree.
func awaitSettled(t *testing.T, mask StateMask, want map[uint8]int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		socks := list(t, Dump, mask)
		settled := maps.Equal(countStates(socks), want)
		for _, s := range socks {
			settled = settled && (s.State == StateTimeWait || s.Inode != 0)
		}
		if settled {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("sockets per state = %v, want %v, all with an inode: %v", countStates(socks), want, socks)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func countStates(socks []Socket) map[uint8]int {
	n := map[uint8]int{}
	for _, s := range socks {
		n[s.State]++
	}
	return n
}

// TestCompatRefused: the answers of a kernel without the compat request
// make Dump try the v2 requests; failures of a dump under way do not.
func TestCompatRefused(t *testing.T) {
	for _, err := range []error{unix.EINVAL, unix.EOPNOTSUPP, unix.ENOENT, unix.EPERM, unix.EACCES} {
		if !compatRefused(fmt.Errorf("kernel: %w", err)) {
			t.Errorf("compatRefused(%v) = false, want true", err)
		}
	}
	for _, err := range []error{unix.ENOBUFS, ErrTruncated, context.Canceled} {
		if compatRefused(err) {
			t.Errorf("compatRefused(%v) = true, want false", err)
		}
	}
}

// TestDumpHonoursContext: a cancelled context stops the dump with the
// context's error.
func TestDumpHonoursContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := Dump(ctx, TimeWait, func(Socket) {})
	if errors.Is(err, ErrRefused) {
		t.Skip("netlink refused here")
	}
	// The kernel may answer before the first wait; then there is no error.
	if err != nil && !errors.Is(err, context.Canceled) {
		t.Fatalf("Dump with a cancelled context = %v, want nil or context.Canceled", err)
	}
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, unix.NETLINK_SOCK_DIAG)
	if err != nil {
		t.Skip(err)
	}
	defer unix.Close(fd)
	dctx, cancel2 := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel2()
	start := time.Now()
	// Nothing was requested: the wait can only end through the context.
	_, err = recvDatagram(dctx, fd, make([]byte, 1024))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("recvDatagram = %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("recvDatagram took %v past a 30 ms deadline", d)
	}
}

// TestReadProcMissingFile: a missing /proc file is an error naming it.
func TestReadProcMissingFile(t *testing.T) {
	old := procTCP
	procTCP = filepath.Join(t.TempDir(), "absent")
	defer func() { procTCP = old }()
	err := ReadProc(context.Background(), TimeWait, func(Socket) {})
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), procTCP) {
		t.Fatalf("ReadProc of a missing file = %v, want ErrNotExist naming %s", err, procTCP)
	}
}

// TestCollectFallsBackToProc makes netlink refuse and checks that Collect
// answers from /proc, and that other netlink errors are not hidden.
func TestCollectFallsBackToProc(t *testing.T) {
	old := dump
	defer func() { dump = old }()
	dump = func(context.Context, StateMask, func(Socket)) error {
		return fmt.Errorf("%w: %w", ErrRefused, unix.EPERM)
	}
	src, err := Collect(context.Background(), TimeWait, func(Socket) {})
	if err != nil || src != SourceProc {
		t.Fatalf("Collect with netlink refused = %v, %v; want proc, nil", src, err)
	}
	dump = func(context.Context, StateMask, func(Socket)) error { return ErrTruncated }
	if _, err := Collect(context.Background(), TimeWait, func(Socket) {}); !errors.Is(err, ErrTruncated) {
		t.Fatalf("Collect with a broken dump = %v, want ErrTruncated", err)
	}
}

func mustClose(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func countDump(ctx context.Context, m StateMask) (int, error) {
	n := 0
	err := Dump(ctx, m, func(Socket) { n++ })
	return n, err
}

func list(t *testing.T, read func(context.Context, StateMask, func(Socket)) error, m StateMask) []Socket {
	t.Helper()
	var out []Socket
	if err := read(context.Background(), m, func(s Socket) { out = append(out, s) }); err != nil {
		t.Fatal(err)
	}
	sortSockets(out)
	return out
}

func sortSockets(socks []Socket) {
	slices.SortFunc(socks, func(a, b Socket) int {
		if c := a.Local.Compare(b.Local); c != 0 {
			return c
		}
		return a.Remote.Compare(b.Remote)
	})
}

func assertPeers(t *testing.T, socks []Socket, want map[netip.AddrPort]int) {
	t.Helper()
	got := map[netip.AddrPort]int{}
	for _, s := range socks {
		if s.State != StateTimeWait {
			t.Fatalf("socket %+v not in TIME_WAIT", s)
		}
		got[s.Remote]++
	}
	if !maps.Equal(got, want) {
		t.Fatalf("TIME_WAIT per peer = %v, want %v", got, want)
	}
}

func dialOpen(t *testing.T, dst netip.AddrPort, n int) []net.Conn {
	t.Helper()
	var out []net.Conn
	for range n {
		c, err := net.Dial("tcp", dst.String())
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	return out
}

// halfClosed listens on addr, dials it and shuts the client's sending side
// down: the client end waits in FIN_WAIT2, the server end in CLOSE_WAIT.
// It returns both ends.
func halfClosed(t *testing.T, addr string) []net.Conn {
	t.Helper()
	ln := netnstest.Listen(t, addr)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ln.Accept()
	if err != nil {
		c.Close()
		t.Fatal(err)
	}
	if err := c.(*net.TCPConn).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	return []net.Conn{c, s}
}

// dialMapped connects an AF_INET6 socket to the IPv4-mapped form of dst
// and returns it open.
func dialMapped(t *testing.T, dst netip.AddrPort) int {
	t.Helper()
	fd, err := unix.Socket(unix.AF_INET6, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Connect(fd, mappedSockaddr(dst)); err != nil {
		unix.Close(fd)
		t.Fatal(err)
	}
	return fd
}

func mappedSockaddr(dst netip.AddrPort) *unix.SockaddrInet6 {
	return &unix.SockaddrInet6{Port: int(dst.Port()), Addr: netip.AddrFrom16(dst.Addr().As16()).As16()}
}

// closeFirstMapped connects AF_INET6 sockets to the IPv4-mapped form of
// dst (package net would use AF_INET) and closes them first.
func closeFirstMapped(dst netip.AddrPort, n int) error {
	sa := mappedSockaddr(dst)
	for range n {
		fd, err := unix.Socket(unix.AF_INET6, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return err
		}
		err = unix.Connect(fd, sa)
		unix.Close(fd)
		if err != nil {
			return err
		}
	}
	return nil
}

// timeWaitScene serves on 127.0.0.1:5000 and [::1]:5001 and leaves TIME_WAIT
// sockets towards them: n4 from IPv4 sockets, n6 from IPv6 ones, and
// mapped from IPv4-mapped IPv6 sockets towards the IPv4 server.
func timeWaitScene(t *testing.T, n4, n6, mapped int) (v4, v6 netip.AddrPort) {
	t.Helper()
	ctx := context.Background()
	v4 = twtest.Serve(t, "127.0.0.1:5000")
	v6 = twtest.Serve(t, "[::1]:5001")
	mustClose(t, twtest.CloseFirst(ctx, nil, v4, n4, 2))
	mustClose(t, twtest.CloseFirst(ctx, nil, v6, n6, 2))
	mustClose(t, closeFirstMapped(v4, mapped))
	return v4, v6
}

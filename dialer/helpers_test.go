package dialer

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// testServer accepts connections on a fixed address and handles each with
// handle, closing it afterwards. Close waits for every handler.
type testServer struct {
	ln     net.Listener
	wg     sync.WaitGroup
	mu     sync.Mutex
	conns  []net.Conn
	handle func(net.Conn)
}

func startServer(t testing.TB, addr string, handle func(net.Conn)) *testServer {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen %s: %v", addr, err)
	}
	s := &testServer{ln: ln, handle: handle}
	s.wg.Add(1)
	go s.serve()
	t.Cleanup(s.close)
	return s
}

func (s *testServer) serve() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns = append(s.conns, c)
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.handle(c)
			c.Close()
		}()
	}
}

func (s *testServer) close() {
	s.ln.Close()
	s.mu.Lock()
	for _, c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

func (s *testServer) addr() string { return s.ln.Addr().String() }

// drainUntilEOF reads until the client closes: the client closes first.
func drainUntilEOF(c net.Conn) { io.Copy(io.Discard, c) }

// closeAtOnce closes as soon as accepted: the server closes first.
func closeAtOnce(net.Conn) {}

// tcpEntry is one socket of /proc/net/tcp{,6}.
type tcpEntry struct {
	local, remote netip.AddrPort
	state         uint8
}

// kernelSockets lists the TCP sockets of this network namespace.
func kernelSockets(t testing.TB) []tcpEntry {
	t.Helper()
	var out []tcpEntry
	for _, path := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		f, err := os.Open(path)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Scan() // header
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			st, _ := strconv.ParseUint(fields[3], 16, 8)
			out = append(out, tcpEntry{procAddr(t, fields[1]), procAddr(t, fields[2]), uint8(st)})
		}
		f.Close()
	}
	return out
}

// procAddr decodes "0100007F:1388" (address words in host byte order).
func procAddr(t testing.TB, s string) netip.AddrPort {
	hexAddr, hexPort, _ := strings.Cut(s, ":")
	raw, err := hex.DecodeString(hexAddr)
	if err != nil {
		t.Fatalf("bad /proc address %q", s)
	}
	for i := 0; i+4 <= len(raw); i += 4 {
		binary.BigEndian.PutUint32(raw[i:], binary.NativeEndian.Uint32(raw[i:]))
	}
	addr, _ := netip.AddrFromSlice(raw)
	port, _ := strconv.ParseUint(hexPort, 16, 16)
	return netip.AddrPortFrom(addr.Unmap(), uint16(port))
}

// stateOf returns the kernel state of the socket with this local and remote
// address, or 0 when there is none.
func stateOf(t testing.TB, local, remote net.Addr) uint8 {
	t.Helper()
	l, r := toAddrPort(local), toAddrPort(remote)
	for _, e := range kernelSockets(t) {
		if e.local == l && e.remote == r {
			return e.state
		}
	}
	return 0
}

func toAddrPort(a net.Addr) netip.AddrPort {
	ap := a.(*net.TCPAddr).AddrPort()
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

// waitFor polls cond for up to five seconds.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func mustNew(t testing.TB, cfg Config) *Dialer {
	t.Helper()
	d, err := New(cfg)
	if err != nil {
		t.Fatalf("New(%+v): %v", cfg, err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func addrs(ss ...string) []netip.Addr {
	out := make([]netip.Addr, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParseAddr(s)
	}
	return out
}

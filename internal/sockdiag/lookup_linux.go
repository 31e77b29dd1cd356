package sockdiag

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"
)

// Lookup asks the kernel for the TCP socket with this local and remote
// address and port, in any state, TIME_WAIT included, and returns its
// state; found is false when no such socket exists. It is one exact
// netlink request, not a dump: its cost does not grow with the number of
// sockets. Pass the addresses as the socket reports them
// (net.TCPAddr.AddrPort): a pair of 4-byte IPv4 addresses is an AF_INET
// socket's and is looked up as one; an IPv4-mapped pair, or one of each,
// as an AF_INET socket, then as an IPv4-mapped AF_INET6 one. It opens a
// netlink socket for the call; a Looker keeps one open across calls,
// which is several times cheaper.
func Lookup(local, remote netip.AddrPort) (state uint8, found bool, err error) {
	fd, err := openDiag()
	if err != nil {
		return 0, false, err
	}
	defer unix.Close(fd)
	return lookupOn(fd, 0, local, remote)
}

// Looker makes Lookups through one netlink socket kept open until Close.
// It is safe for concurrent use: a Lookup that finds the socket busy uses
// a socket of its own. The zero value is ready; Close releases the
// descriptor, and later Lookups open one per call.
type Looker struct {
	mu     sync.Mutex
	fd     int // 0: not open yet (fd 0 is never a netlink socket here)
	seq    uint32
	closed bool
}

// Lookup is the package's Lookup, on l's socket.
func (l *Looker) Lookup(local, remote netip.AddrPort) (state uint8, found bool, err error) {
	if !l.mu.TryLock() {
		return Lookup(local, remote)
	}
	defer l.mu.Unlock()
	if l.closed {
		return Lookup(local, remote)
	}
	if l.fd == 0 {
		if l.fd, err = openDiag(); err != nil {
			l.fd = 0
			return 0, false, err
		}
	}
	l.seq += 2
	state, found, err = lookupOn(l.fd, l.seq, local, remote)
	if err != nil { // the socket may hold a stale answer: start afresh
		unix.Close(l.fd)
		l.fd = 0
	}
	return state, found, err
}

// Close closes l's socket.
func (l *Looker) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	if l.fd == 0 {
		return nil
	}
	err := unix.Close(l.fd)
	l.fd = 0
	return err
}

func openDiag() (int, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_SOCK_DIAG)
	if err != nil {
		return -1, fmt.Errorf("%w: socket(AF_NETLINK, NETLINK_SOCK_DIAG): %w", ErrRefused, err)
	}
	// The kernel answers an exact request before sendto returns; the
	// timeout only bounds a wait for an answer that never comes.
	unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &unix.Timeval{Sec: 1})
	return fd, nil
}

func lookupOn(fd int, seq uint32, local, remote netip.AddrPort) (state uint8, found bool, err error) {
	families := [2]uint8{afInet6, 0}
	switch {
	case local.Addr().Is4() && remote.Addr().Is4():
		families = [2]uint8{afInet, 0} // Go reports an AF_INET socket's addresses in 4 bytes
	case local.Addr().Unmap().Is4() && remote.Addr().Unmap().Is4():
		families = [2]uint8{afInet, afInet6}
	}
	for i, fam := range families {
		if fam == 0 {
			break
		}
		state, found, err = lookupOne(fd, lookupRequest(fam, local, remote, seq+uint32(i)+1))
		if err != nil || found {
			return state, found, err
		}
	}
	return 0, false, nil
}

// lookupOne sends one exact request and reads its answer, an
// inet_diag_msg or NLMSG_ERROR (ENOENT: no such socket), skipping any
// message of another sequence number.
func lookupOne(fd int, req []byte) (state uint8, found bool, err error) {
	seq := binary.NativeEndian.Uint32(req[8:12])
	lookupRequests.Add(1)
	if err := unix.Sendto(fd, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return 0, false, fmt.Errorf("keepconn/sockdiag: sending the lookup: %w", err)
	}
	var buf [2048]byte
	for range 8 {
		n, err := recvTrunc(fd, buf[:])
		if err != nil {
			return 0, false, fmt.Errorf("keepconn/sockdiag: receiving the lookup: %w", err)
		}
		done, state, found, err := parseLookup(buf[:min(n, len(buf))], seq)
		if done || err != nil {
			return state, found, err
		}
	}
	return 0, false, fmt.Errorf("keepconn/sockdiag: no answer to the lookup")
}

// lookupRequests counts the requests lookups have sent (tests).
var lookupRequests atomic.Int64

// parseLookup reads the answer to request seq from one datagram.
func parseLookup(b []byte, seq uint32) (done bool, state uint8, found bool, err error) {
	for off := 0; off+nlmsgHdrLen <= len(b); {
		m := b[off:]
		l := int(binary.NativeEndian.Uint32(m[0:4]))
		if l < nlmsgHdrLen || l > len(m) {
			return false, 0, false, fmt.Errorf("%w: lookup answer of %d bytes", ErrTruncated, len(m))
		}
		typ, mseq := binary.NativeEndian.Uint16(m[4:6]), binary.NativeEndian.Uint32(m[8:12])
		payload := m[nlmsgHdrLen:l]
		off += align4(l)
		if mseq != seq {
			continue
		}
		switch typ {
		case nlmsgError:
			if len(payload) >= 4 && int32(binary.NativeEndian.Uint32(payload)) == -int32(syscall.ENOENT) {
				return true, 0, false, nil
			}
			return true, 0, false, errorCode(payload)
		case sockDiagByFamily:
			err := decodeDiagMsg(payload, func(s Socket) { state, found = s.State, true })
			return true, state, found, err
		}
	}
	return false, 0, false, nil
}

package sockdiag

import (
	"errors"
	"fmt"
	"net/netip"

	"golang.org/x/sys/unix"
)

// Lookup asks the kernel for the TCP socket with this local and remote
// address and port, in any state, TIME_WAIT included, and returns its
// state; found is false when no such socket exists. It is one exact
// netlink request, not a dump: it costs a few system calls whatever the
// number of sockets. An IPv4 pair is looked up as an AF_INET socket, then
// as an IPv4-mapped AF_INET6 one.
func Lookup(local, remote netip.AddrPort) (state uint8, found bool, err error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_SOCK_DIAG)
	if err != nil {
		return 0, false, fmt.Errorf("%w: socket(AF_NETLINK, NETLINK_SOCK_DIAG): %w", ErrRefused, err)
	}
	defer unix.Close(fd)
	families := []uint8{afInet6}
	if local.Addr().Unmap().Is4() && remote.Addr().Unmap().Is4() {
		families = []uint8{afInet, afInet6}
	}
	for i, fam := range families {
		state, found, err = lookupOne(fd, lookupRequest(fam, local, remote, uint32(i+1)))
		if err != nil || found {
			return state, found, err
		}
	}
	return 0, false, nil
}

// lookupOne sends one exact request and reads its one answer: an
// inet_diag_msg, or NLMSG_ERROR with ENOENT when there is no such socket.
func lookupOne(fd int, req []byte) (state uint8, found bool, err error) {
	if err := unix.Sendto(fd, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return 0, false, fmt.Errorf("keepconn/sockdiag: sending the lookup: %w", err)
	}
	var buf [1024]byte
	n, err := recvTrunc(fd, buf[:])
	if err != nil {
		return 0, false, fmt.Errorf("keepconn/sockdiag: receiving the lookup: %w", err)
	}
	if n > len(buf) {
		n = len(buf) // only the first message matters
	}
	_, perr := ParseDump(buf[:n], func(s Socket) { state, found = s.State, true })
	if perr != nil && !found {
		if errors.Is(perr, unix.ENOENT) {
			return 0, false, nil
		}
		if errors.Is(perr, ErrTruncated) && n == len(buf) {
			return 0, false, nil
		}
		return 0, false, perr
	}
	return state, found, nil
}

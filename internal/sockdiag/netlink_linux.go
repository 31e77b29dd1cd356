package sockdiag

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// recvBufSize holds the largest datagram the kernel builds for a dump
// (it grows dump skbs up to 32 KiB); a larger one is reported truncated.
const recvBufSize = 64 << 10

// pollSlice is how long one wait for the kernel lasts before the context is
// checked again, when the context has no nearer deadline.
const pollSlice = 100 * time.Millisecond

// captureHook, when set (by tests only), sees every datagram received.
var captureHook func(datagram []byte)

var bufPool = sync.Pool{New: func() any { b := make([]byte, recvBufSize); return &b }}

// firstRequest builds the request Dump sends before the SOCK_DIAG_BY_FAMILY
// ones: compatRequest, which lists both families in one walk of the
// kernel's TCP hash table. Tests set it to nil to force the two v2
// requests, or to a request the kernel refuses.
var firstRequest = compatRequest

// Dump asks the kernel, through NETLINK_SOCK_DIAG, for the TCP sockets of
// this network namespace whose state is in mask, IPv4 and IPv6, and calls
// visit for each. The kernel applies the state filter. ctx bounds the whole
// dump: its cancellation or deadline stops the wait for the next datagram.
//
// Dump sends one compat TCPDIAG_GETSOCK request, which makes the kernel
// walk its TCP hash table once for both families rather than once per
// family: on a host with a large table that walk is the main fixed cost of
// a dump. A kernel that refuses the request before any socket was visited
// is asked again with one SOCK_DIAG_BY_FAMILY request per family, IPv4
// then IPv6. A refusal costs a round trip and no walk, so it is not
// remembered from one Dump to the next.
//
// When the kernel refuses netlink before any socket was visited, the error
// wraps ErrRefused, and the caller may fall back to ReadProc. A kernel
// without IPv6 sock_diag support yields the IPv4 sockets alone.
func Dump(ctx context.Context, mask StateMask, visit func(Socket)) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("keepconn/sockdiag: netlink dump not started: %w", err)
	}
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, unix.NETLINK_SOCK_DIAG)
	if err != nil {
		return fmt.Errorf("%w: socket(AF_NETLINK, NETLINK_SOCK_DIAG): %w", ErrRefused, err)
	}
	defer unix.Close(fd)
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	d := &dumper{ctx: ctx, fd: fd, buf: *bp, visit: visit}
	if firstRequest != nil {
		err := d.dump(firstRequest(mask, 1))
		if err == nil {
			return nil
		}
		if d.visited > 0 || !compatRefused(err) {
			return fmt.Errorf("keepconn/sockdiag: netlink dump: %w", err)
		}
	}
	return d.dumpFamilies(mask)
}

// dumper reads the answers to the requests of one Dump. It counts the
// sockets it passes on: an error before the first one is a refusal, after
// it a failure half way.
type dumper struct {
	ctx     context.Context
	fd      int
	buf     []byte
	visit   func(Socket)
	visited int
}

// dumpFamilies sends one SOCK_DIAG_BY_FAMILY request per family.
func (d *dumper) dumpFamilies(mask StateMask) error {
	for i, family := range [2]uint8{afInet, afInet6} {
		err := d.dump(dumpRequest(family, mask, uint32(i+2)))
		if err == nil {
			continue
		}
		if family == afInet6 && noFamily(err) {
			return nil
		}
		if d.visited == 0 && refusal(err) {
			return fmt.Errorf("%w: %w", ErrRefused, err)
		}
		return fmt.Errorf("keepconn/sockdiag: netlink dump of family %d: %w", family, err)
	}
	return nil
}

// dump sends one request and reads datagrams until NLMSG_DONE.
func (d *dumper) dump(req []byte) error {
	if err := unix.Sendto(d.fd, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return fmt.Errorf("sending the dump request: %w", err)
	}
	for {
		n, err := recvDatagram(d.ctx, d.fd, d.buf)
		if err != nil {
			return err
		}
		if captureHook != nil {
			captureHook(d.buf[:n])
		}
		done, err := ParseDump(d.buf[:n], d.count)
		if err != nil || done {
			return err
		}
	}
}

func (d *dumper) count(s Socket) {
	d.visited++
	d.visit(s)
}

// recvDatagram reads one whole datagram into buf, waiting at most as long
// as ctx allows. A datagram larger than buf is ErrTruncated.
func recvDatagram(ctx context.Context, fd int, buf []byte) (int, error) {
	for {
		n, err := recvTrunc(fd, buf)
		switch {
		case err == nil && n > len(buf):
			return 0, fmt.Errorf("%w: datagram of %d bytes, buffer of %d", ErrTruncated, n, len(buf))
		case err == nil:
			return n, nil
		case err == unix.EINTR:
			continue
		case err != unix.EAGAIN:
			return 0, fmt.Errorf("receiving the dump: %w", err)
		}
		if err := waitReadable(ctx, fd); err != nil {
			return 0, err
		}
	}
}

// recvTrunc is recv(fd, buf, MSG_TRUNC): for netlink it returns the
// datagram's real length even when buf was too short. It allocates nothing.
func recvTrunc(fd int, buf []byte) (int, error) {
	n, _, errno := unix.Syscall6(unix.SYS_RECVFROM, uintptr(fd),
		uintptr(unsafe.Pointer(unsafe.SliceData(buf))), uintptr(len(buf)), unix.MSG_TRUNC, 0, 0)
	if errno != 0 {
		return 0, errno
	}
	return int(n), nil
}

// waitReadable polls fd in slices of at most pollSlice, checking ctx
// between them.
func waitReadable(ctx context.Context, fd int) error {
	for {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("waiting for the kernel's dump: %w", err)
		}
		wait := pollSlice
		if dl, ok := ctx.Deadline(); ok {
			wait = min(wait, max(time.Until(dl), time.Millisecond))
		}
		fds := [1]unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		n, err := unix.Poll(fds[:], int(wait.Milliseconds())+1)
		if n > 0 {
			return nil
		}
		if err != nil && err != unix.EINTR {
			return fmt.Errorf("polling the netlink socket: %w", err)
		}
	}
}

// refusal reports errors that mean "no netlink for you" rather than a
// failure half way.
func refusal(err error) bool {
	return errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) ||
		errors.Is(err, unix.EPROTONOSUPPORT) || errors.Is(err, unix.ENOENT) ||
		errors.Is(err, unix.EAFNOSUPPORT) || errors.Is(err, unix.EOPNOTSUPP)
}

// compatRefused reports the answers of a kernel that will not take the
// compat request, so that the v2 requests should be tried: EINVAL for a
// message type its sock_diag does not know, EOPNOTSUPP when no inet_diag
// compat handler is registered, and every refusal of netlink, which the v2
// requests then confirm or not.
func compatRefused(err error) bool {
	return errors.Is(err, unix.EINVAL) || refusal(err)
}

// noFamily reports the errors of a kernel without inet6 sock_diag.
func noFamily(err error) bool {
	return errors.Is(err, unix.ENOENT) || errors.Is(err, unix.EAFNOSUPPORT)
}

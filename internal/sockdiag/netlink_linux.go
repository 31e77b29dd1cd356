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

// Dump asks the kernel, through NETLINK_SOCK_DIAG, for the TCP sockets of
// this network namespace whose state is in mask, IPv4 then IPv6, and calls
// visit for each. The kernel applies the state filter. ctx bounds the whole
// dump: its cancellation or deadline stops the wait for the next datagram.
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
	visited := 0
	count := func(s Socket) { visited++; visit(s) }
	for i, family := range [2]uint8{afInet, afInet6} {
		err := dumpFamily(ctx, fd, *bp, dumpRequest(family, mask, uint32(i+1)), count)
		if err == nil {
			continue
		}
		if family == afInet6 && noFamily(err) {
			return nil
		}
		if visited == 0 && refusal(err) {
			return fmt.Errorf("%w: %w", ErrRefused, err)
		}
		return fmt.Errorf("keepconn/sockdiag: netlink dump of family %d: %w", family, err)
	}
	return nil
}

// dumpFamily sends one request and reads datagrams until NLMSG_DONE.
func dumpFamily(ctx context.Context, fd int, buf, req []byte, visit func(Socket)) error {
	if err := unix.Sendto(fd, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return fmt.Errorf("sending the dump request: %w", err)
	}
	for {
		n, err := recvDatagram(ctx, fd, buf)
		if err != nil {
			return err
		}
		if captureHook != nil {
			captureHook(buf[:n])
		}
		done, err := ParseDump(buf[:n], visit)
		if err != nil || done {
			return err
		}
	}
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

// noFamily reports the errors of a kernel without inet6 sock_diag.
func noFamily(err error) bool {
	return errors.Is(err, unix.ENOENT) || errors.Is(err, unix.EAFNOSUPPORT)
}

package pool

import (
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// peekFD reads one byte with MSG_PEEK|MSG_DONTWAIT. recvfrom is called
// directly: unix.Recvfrom would allocate a sockaddr on every check.
func (s *probeState) peekFD(fd uintptr) {
	for {
		n, _, errno := unix.Syscall6(unix.SYS_RECVFROM, fd, uintptr(unsafe.Pointer(&s.buf[0])), 1,
			unix.MSG_PEEK|unix.MSG_DONTWAIT, 0, 0)
		if errno == unix.EINTR {
			continue
		}
		s.n, s.err = int(n), nil
		if errno != 0 {
			s.n, s.err = 0, syscall.Errno(errno)
		}
		return
	}
}

//go:build darwin || freebsd || netbsd || openbsd || dragonfly

package pool

import "golang.org/x/sys/unix"

// peekFD reads one byte with MSG_PEEK|MSG_DONTWAIT.
func (s *probeState) peekFD(fd uintptr) {
	for {
		s.n, _, s.err = unix.Recvfrom(int(fd), s.buf[:], unix.MSG_PEEK|unix.MSG_DONTWAIT)
		if s.err != unix.EINTR {
			return
		}
	}
}

//go:build darwin || freebsd || netbsd || openbsd || dragonfly

package pool

import "golang.org/x/sys/unix"

// peekFD reads one byte with MSG_PEEK|MSG_DONTWAIT.
func (c *Conn) peekFD(fd uintptr) {
	for {
		c.peekN, _, c.peekErr = unix.Recvfrom(int(fd), c.peekBuf[:], unix.MSG_PEEK|unix.MSG_DONTWAIT)
		if c.peekErr != unix.EINTR {
			return
		}
	}
}

//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package pool

import (
	"errors"

	"golang.org/x/sys/unix"
)

const livenessSupported = true

// probe makes one non-blocking MSG_PEEK read of a byte: nothing to read
// means alive, end of file or an error means closed, a byte means data.
func (c *Conn) probe() probeResult {
	c.peekN, c.peekErr = 0, nil
	if err := c.raw.Control(c.peek); err != nil {
		return probeClosed
	}
	switch {
	case c.peekErr == nil && c.peekN > 0:
		return probeData
	case c.peekErr == nil:
		return probeClosed // n == 0: end of file
	case errors.Is(c.peekErr, unix.EAGAIN) || errors.Is(c.peekErr, unix.EWOULDBLOCK):
		return probeAlive
	}
	return probeClosed
}

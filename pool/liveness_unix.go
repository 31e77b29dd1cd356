//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package pool

import (
	"errors"

	"golang.org/x/sys/unix"
)

const livenessSupported = true

// probe makes one non-blocking MSG_PEEK read of a byte: nothing to read
// means alive, end of file or an error means closed, a byte means data.
func (s *probeState) probe(c *conn) probeResult {
	s.n, s.err = 0, nil
	if err := c.raw.Control(s.fn); err != nil {
		return probeClosed
	}
	switch {
	case s.err == nil && s.n > 0:
		return probeData
	case s.err == nil:
		return probeClosed // n == 0: end of file
	case errors.Is(s.err, unix.EAGAIN) || errors.Is(s.err, unix.EWOULDBLOCK):
		return probeAlive
	}
	return probeClosed
}

package pool

// probeState is what one liveness check needs, kept with the connection
// and bound once so that a check allocates nothing. A connection has two:
// its owner's, and the background health check's, which peeks without
// owning the connection.
type probeState struct {
	fn  func(fd uintptr)
	n   int
	err error
	buf [1]byte
}

func (s *probeState) init() { s.fn = s.peekFD }

type probeResult uint8

const (
	probeAlive  probeResult = iota // nothing to read: the connection is idle and open
	probeClosed                    // end of file or an error: the peer closed or reset it
	probeData                      // bytes nobody asked for: out of step with the protocol
)

// probe checks c's socket as its owner.
func (c *conn) probe() probeResult { return c.ps.probe(c) }

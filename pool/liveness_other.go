//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package pool

const livenessSupported = false

// probe is not available on this system: connections are assumed alive.
func (s *probeState) probe(*conn) probeResult { return probeAlive }

func (s *probeState) peekFD(uintptr) {}

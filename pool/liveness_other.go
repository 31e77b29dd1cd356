//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package pool

const livenessSupported = false

// probe is not available on this system: connections are assumed alive.
func (c *Conn) probe() probeResult { return probeAlive }

func (c *Conn) peekFD(uintptr) {}

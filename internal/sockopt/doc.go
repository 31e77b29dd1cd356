// Package sockopt reads and sets the TCP socket state keepconn needs beyond
// what package net offers: the TCP state (to tell who closed first), the
// send and receive queue lengths (to know an abortive close loses nothing),
// source binding without reserving a port, per-socket port ranges and
// TCP_USER_TIMEOUT. Linux is the target; elsewhere every function reports
// ErrUnsupported.
package sockopt

import "errors"

// ErrUnsupported is returned for options this operating system lacks.
var ErrUnsupported = errors.New("not supported on this operating system")

// TCP states, as in the Linux kernel's include/net/tcp_states.h.
const (
	StateEstablished = 1
	StateSynSent     = 2
	StateSynRecv     = 3
	StateFinWait1    = 4
	StateFinWait2    = 5
	StateTimeWait    = 6
	StateClose       = 7
	StateCloseWait   = 8
	StateLastAck     = 9
	StateListen      = 10
	StateClosing     = 11
)

// PeerClosed reports the states in which the peer's FIN (or reset) has
// come: a close now is passive.
func PeerClosed(state uint8) bool {
	switch state {
	case StateCloseWait, StateLastAck, StateClose:
		return true
	}
	return false
}

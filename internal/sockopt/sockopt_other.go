//go:build !linux

package sockopt

import "syscall"

// State is not supported outside Linux.
func State(syscall.RawConn) (uint8, error) { return 0, ErrUnsupported }

// Queues is not supported outside Linux.
func Queues(syscall.RawConn) (int, int, error) { return 0, 0, ErrUnsupported }

// DiscardUnread is not supported outside Linux.
func DiscardUnread(syscall.RawConn, int) error { return ErrUnsupported }

// StateAndUnread is not supported outside Linux.
func StateAndUnread(syscall.RawConn) (uint8, int, error) { return 0, 0, ErrUnsupported }

// AwaitEOF is not supported outside Linux.
func AwaitEOF(syscall.RawConn) (bool, error) { return false, ErrUnsupported }

// ShutdownWrite is not supported outside Linux.
func ShutdownWrite(syscall.RawConn) error { return ErrUnsupported }

// Dup is not supported outside Linux.
func Dup(syscall.RawConn) (int, error) { return -1, ErrUnsupported }

// What Probe finds in the receive direction.
const (
	PeerOpen = iota
	PeerData
	PeerEOF
	PeerGone
)

// Probe is not supported outside Linux.
type Probe struct {
	Shutdown bool
	Dup      bool
	Counted  bool
	Consumed int64
	Peer     uint8
	State    uint8
	ShutDown bool
	Reset    bool
	DupFD    int
	Err      error
}

// Clear resets every field.
func (p *Probe) Clear() { *p = Probe{} }

// AwaitEOF reports ErrUnsupported outside Linux.
func (p *Probe) AwaitEOF(syscall.RawConn) (bool, error) { return false, ErrUnsupported }

// Run reports ErrUnsupported outside Linux.
func (p *Probe) Run(syscall.RawConn) error { return ErrUnsupported }

// CloseFD is not supported outside Linux.
func CloseFD(int) error { return ErrUnsupported }

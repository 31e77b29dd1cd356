package sockopt

import (
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// State returns the kernel's TCP state of the socket (TCP_INFO tcpi_state).
func State(rc syscall.RawConn) (uint8, error) {
	var state uint8
	var serr error
	err := rc.Control(func(fd uintptr) { serr = getState(int(fd), &state) })
	if err != nil {
		return 0, err
	}
	return state, serr
}

// StateAndUnread returns the TCP state and the bytes not yet read, in one
// pass.
func StateAndUnread(rc syscall.RawConn) (state uint8, unread int, err error) {
	var serr error
	err = rc.Control(func(fd uintptr) {
		if serr = getState(int(fd), &state); serr == nil {
			unread, serr = unix.IoctlGetInt(int(fd), unix.SIOCINQ)
		}
	})
	if err != nil {
		return 0, 0, err
	}
	return state, unread, serr
}

// What Probe finds in the receive direction.
const (
	PeerOpen = iota // nothing unread, no FIN: the peer has not closed
	PeerData        // bytes unread: a close now is answered with an RST
	PeerEOF         // the peer's FIN came, nothing unread
	PeerGone        // the connection was reset or failed
)

// Probe looks at a socket just before it is closed, in one pass through
// the descriptor and without blocking: a recv with MSG_PEEK tells unread
// bytes, the peer's FIN, or neither; then, if Shutdown is set and the
// peer has sent neither, shutdown(SHUT_WR) sends this side's FIN and the
// TCP state is read right after it. A Probe is reused across calls, of
// one connection or, after Clear, of another: after the first, Run
// allocates nothing.
//
// With Shutdown and Counted (and not Dup), the peek is left out where it
// can be: shutdown comes first, then one TCP_INFO read gives the state
// and tcpi_bytes_received, the bytes the kernel has taken in order (the
// peer's FIN counts one). Their excess over Consumed, the bytes the
// application has read, bounds the unread bytes from above: bytes read
// past the counter (through the raw descriptor, say) only make the bound
// too high, never too low. A bound of zero needs no peek; otherwise, or
// on a kernel whose tcp_info has no tcpi_bytes_received (before Linux
// 4.1), the peek tells. Peer then reports PeerOpen, PeerData, or
// PeerGone when the shutdown is refused (the state tells the peer's FIN),
// and the FIN goes out even when bytes are unread: the close that follows
// resets the connection all the same.
type Probe struct {
	Shutdown bool  // in: send the FIN when the peer is still open
	Dup      bool  // in: duplicate the descriptor unless the peer closed or reset
	Counted  bool  // in: Consumed is kept: shut down first, peek only if needed
	Consumed int64 // in: the bytes the application has read, with Counted

	Peer     uint8 // out: PeerOpen, PeerData, PeerEOF or PeerGone
	State    uint8 // out: the TCP state after the shutdown, if made
	ShutDown bool  // out: the shutdown was made and succeeded
	// Reset (out), read when State is CLOSE: SO_ERROR was set, the peer
	// reset the connection.
	Reset bool
	DupFD int   // out: the duplicate (close-on-exec), or -1
	Err   error // out: a failure to read the state or to duplicate

	fn     func(uintptr)
	readFn func(uintptr) bool
	eof    bool
	more   bool // readEOF stopped with bytes left
}

// Clear resets every field, keeping what Run and AwaitEOF made on their
// first call, so that the Probe can serve another connection.
func (p *Probe) Clear() { *p = Probe{fn: p.fn, readFn: p.readFn} }

// Run probes the socket of rc.
func (p *Probe) Run(rc syscall.RawConn) error {
	if p.fn == nil {
		p.fn = p.run
	}
	p.Peer, p.State, p.ShutDown, p.DupFD, p.Err = PeerOpen, 0, false, -1, nil
	p.Reset = false
	if err := rc.Control(p.fn); err != nil {
		return err
	}
	return p.Err
}

func (p *Probe) run(fd uintptr) {
	if p.Shutdown && p.Counted && !p.Dup {
		p.shutdownFirst(fd)
		return
	}
	p.Peer = peek(fd)
	if p.Dup && (p.Peer == PeerOpen || p.Peer == PeerData) {
		p.DupFD, p.Err = unix.FcntlInt(fd, unix.F_DUPFD_CLOEXEC, 0)
	}
	if !p.Shutdown || p.Peer != PeerOpen {
		return
	}
	if hook := TestHookBeforeShutdown.Load(); hook != nil {
		(*hook)()
	}
	p.shutdown(fd)
}

// TestHookBeforeShutdown, set by tests only, is called between a probe's
// peek and its shutdown: a test stalls there as a descheduled thread
// would, to let the peer's FIN in.
var TestHookBeforeShutdown atomic.Pointer[func()]

// shutdownFirst is the counted probe (see Probe): shutdown, one TCP_INFO
// read, and a peek only when the bytes received exceed those consumed.
func (p *Probe) shutdownFirst(fd uintptr) {
	if p.ShutDown = unix.Shutdown(int(fd), unix.SHUT_WR) == nil; !p.ShutDown {
		p.Peer = PeerGone // ENOTCONN: the connection was reset or gone
		return
	}
	received, ok, err := stateAndReceived(int(fd), &p.State)
	if p.Err = err; err != nil {
		return
	}
	switch p.State {
	case StateClose:
		// Left to the caller's lookup of the TIME_WAIT table, which also
		// tells a reset (no TIME_WAIT). Nothing in tcp_info tells it
		// here: the peer's FIN may have come before the shutdown, long
		// enough ago for a delayed ACK to end ping-pong mode, and then
		// every field reads as after a FIN that came after it.
		return // tcp_close sends no reset from CLOSE, unread or not
	case StateLastAck, StateClosing:
		received = max(received, 1) - 1 // the peer's FIN
	}
	if !ok || received > uint64(p.Consumed) {
		if peek(fd) == PeerData {
			p.Peer = PeerData
		}
	}
}

// shutdown sends this side's FIN and reads the state right after it.
func (p *Probe) shutdown(fd uintptr) {
	p.ShutDown = unix.Shutdown(int(fd), unix.SHUT_WR) == nil
	if p.Err = getState(int(fd), &p.State); p.Err == nil && p.State == StateClose {
		p.Reset = resetErr(int(fd))
	}
}

// resetErr reports whether SO_ERROR is set (or unreadable): the peer
// reset the connection.
func resetErr(fd int) bool {
	soErr, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR)
	return err != nil || soErr != 0
}

// Peeks counts the peeks Probe has made, for tests and benchmarks that
// show which closes need one.
var Peeks atomic.Int64

// peek is recv(MSG_PEEK|MSG_DONTWAIT) of one byte: what waits in the
// receive direction.
func peek(fd uintptr) uint8 {
	Peeks.Add(1)
	var b [1]byte
	n, _, errno := unix.Syscall6(unix.SYS_RECVFROM, fd, uintptr(unsafe.Pointer(&b[0])), 1,
		unix.MSG_PEEK|unix.MSG_DONTWAIT, 0, 0)
	switch {
	case errno == unix.EAGAIN:
		return PeerOpen
	case errno != 0:
		return PeerGone
	case n == 0:
		return PeerEOF
	}
	return PeerData
}

// AwaitEOF is the package's AwaitEOF, with no allocation after the first
// call on p.
func (p *Probe) AwaitEOF(rc syscall.RawConn) (eof bool, err error) {
	if p.readFn == nil {
		p.readFn = p.readEOF
	}
	p.eof, p.Err = false, nil
	for {
		p.more = false
		if err := rc.Read(p.readFn); err != nil { // checks the deadline first
			return false, err
		}
		if !p.more {
			return p.eof, p.Err
		}
	}
}

func (p *Probe) readEOF(fd uintptr) bool {
	for range maxDiscardRounds {
		got, e := discard(int(fd), len(discardBuf))
		switch {
		case e == unix.EINTR:
			continue
		case e == unix.EAGAIN:
			return false
		case e != nil:
			p.Err = e
			return true
		case got == 0:
			p.eof = true
			return true
		}
	}
	p.more = true // a peer that keeps sending: Read again, which checks the deadline
	return true
}

// maxDiscardRounds bounds the bytes one wake-up drops (1 MiB), so a peer
// that never stops sending cannot keep a wait past its deadline.
const maxDiscardRounds = 16

// Queues returns the bytes waiting in the receive queue (unread) and in the
// send queue (unsent or unacknowledged).
func Queues(rc syscall.RawConn) (unread, unacked int, err error) {
	var serr error
	err = rc.Control(func(fd uintptr) {
		unread, serr = unix.IoctlGetInt(int(fd), unix.SIOCINQ)
		if serr == nil {
			unacked, serr = unix.IoctlGetInt(int(fd), unix.SIOCOUTQ)
		}
	})
	if err != nil {
		return 0, 0, err
	}
	return unread, unacked, serr
}

// SetReuseAddr sets SO_REUSEADDR.
func SetReuseAddr(fd int) error {
	return unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1)
}

// SetUserTimeout sets TCP_USER_TIMEOUT: how long sent data may stay
// unacknowledged before the kernel drops the connection.
func SetUserTimeout(fd int, d time.Duration) error {
	return unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_USER_TIMEOUT, int(d.Milliseconds()))
}

// SetBindNoPort sets IP_BIND_ADDRESS_NO_PORT: a later bind(ip, 0) picks no
// port; connect() picks one that only has to be unique for the 4-tuple.
func SetBindNoPort(fd int) error {
	return unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_BIND_ADDRESS_NO_PORT, 1)
}

// SetLocalPortRange sets IP_LOCAL_PORT_RANGE (Linux 6.3 and later): this
// socket's ephemeral ports come from [low, high] within the system range.
func SetLocalPortRange(fd int, low, high uint16) error {
	return unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_LOCAL_PORT_RANGE, int(uint32(high)<<16|uint32(low)))
}

// DiscardUnread drops up to n bytes already in the receive queue, without
// blocking and without copying them (recv with MSG_TRUNC, which TCP
// honours by discarding). A socket closed with unread bytes sends an RST
// and drops its own unsent data; emptying the queue first keeps the close
// a FIN.
func DiscardUnread(rc syscall.RawConn, n int) error {
	var serr error
	err := rc.Control(func(fd uintptr) {
		for n > 0 {
			got, e := discard(int(fd), n)
			if e != nil || got == 0 {
				if e != unix.EAGAIN {
					serr = e
				}
				return
			}
			n -= got
		}
	})
	if err != nil {
		return err
	}
	return serr
}

// discardBuf is handed to recv with MSG_TRUNC, which TCP never writes to:
// its length bounds one discard, its content is never touched.
var discardBuf [64 << 10]byte

// discard is recv(fd, at most n bytes, MSG_TRUNC|MSG_DONTWAIT): bytes
// dropped from the receive queue, 0 at the peer's FIN.
func discard(fd, n int) (int, error) {
	n = min(n, len(discardBuf))
	got, _, errno := unix.Syscall6(unix.SYS_RECVFROM, uintptr(fd), uintptr(unsafe.Pointer(&discardBuf[0])),
		uintptr(n), unix.MSG_TRUNC|unix.MSG_DONTWAIT, 0, 0)
	if errno != 0 {
		return 0, errno
	}
	return int(got), nil
}

// AwaitEOF reads and drops every byte that arrives until the peer's FIN
// (eof true), an error such as a reset (eof false, err the cause), or the
// read deadline of rc's descriptor (err the deadline error), waiting on
// the runtime's poller: no thread is held while nothing arrives, and no
// byte is copied.
func AwaitEOF(rc syscall.RawConn) (eof bool, err error) {
	var p Probe
	return p.AwaitEOF(rc)
}

// ShutdownWrite is shutdown(SHUT_WR): the FIN goes out now, the socket
// stays open for reading.
func ShutdownWrite(rc syscall.RawConn) error {
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = unix.Shutdown(int(fd), unix.SHUT_WR) }); err != nil {
		return err
	}
	return serr
}

// Dup returns a new close-on-exec descriptor of the same socket. The
// socket stays open, and sends no FIN, until every descriptor of it is
// closed.
func Dup(rc syscall.RawConn) (int, error) {
	nfd := -1
	var serr error
	if err := rc.Control(func(fd uintptr) { nfd, serr = unix.FcntlInt(fd, unix.F_DUPFD_CLOEXEC, 0) }); err != nil {
		return -1, err
	}
	return nfd, serr
}

// getState reads only the first byte of struct tcp_info, tcpi_state; the
// kernel copies no more than the length asked for.
func getState(fd int, state *uint8) error {
	size := uint32(1)
	_, _, errno := unix.Syscall6(unix.SYS_GETSOCKOPT, uintptr(fd), unix.IPPROTO_TCP, unix.TCP_INFO,
		uintptr(unsafe.Pointer(state)), uintptr(unsafe.Pointer(&size)), 0)
	if errno != 0 {
		return errno
	}
	return nil
}

// infoReceivedEnd is the length of struct tcp_info up to the end of
// tcpi_bytes_received.
const infoReceivedEnd = uint32(unsafe.Offsetof(unix.TCPInfo{}.Bytes_received) + unsafe.Sizeof(unix.TCPInfo{}.Bytes_received))

// stateAndReceived reads tcpi_state and tcpi_bytes_received in one
// TCP_INFO read; ok is false when the kernel's tcp_info is too short to
// have the second.
func stateAndReceived(fd int, state *uint8) (received uint64, ok bool, err error) {
	var info unix.TCPInfo
	size := infoReceivedEnd
	_, _, errno := unix.Syscall6(unix.SYS_GETSOCKOPT, uintptr(fd), unix.IPPROTO_TCP, unix.TCP_INFO,
		uintptr(unsafe.Pointer(&info)), uintptr(unsafe.Pointer(&size)), 0)
	if errno != 0 {
		return 0, false, errno
	}
	*state = info.State
	return info.Bytes_received, size >= infoReceivedEnd, nil
}

// CloseFD closes a descriptor made by Dup or Probe.
func CloseFD(fd int) error { return unix.Close(fd) }

package dialer

import (
	"net"
	"net/netip"
	"time"

	"go.opentelemetry.io/otel/metric"
)

// Defaults for TCP keepalive, the same as net.Dialer's. The count of
// unanswered probes has no default of its own: see KeepAlive.Count.
const (
	DefaultKeepAliveIdle     = 15 * time.Second
	DefaultKeepAliveInterval = 15 * time.Second
)

// Config says how a Dialer opens and closes connections. The zero value is a
// dialer that behaves like net.Dialer{}: system source address and port
// range, TCP keepalive on (with the kernel's count of probes: on Linux
// net.Dialer's 9, unless the host changed it), TCP_NODELAY on, graceful
// close.
type Config struct {
	// ConnectTimeout bounds each dial, name resolution included. Zero means
	// no limit other than the context's and the operating system's.
	ConnectTimeout time.Duration

	// KeepAlive tunes TCP keepalive probes; zero fields take the defaults
	// above, and a zero Count the kernel's. DisableKeepAlive turns probes
	// off.
	//
	// On Linux keepalive is switched on when a connection has been open
	// for half of Idle, not at the dial: a connection closed sooner could
	// not have sent a probe, and saves the three system calls. The first
	// probe still goes out once nothing has been received for Idle,
	// counted from the dial for a connection idle since then, because
	// Linux counts the idle time already passed when TCP_KEEPIDLE is set.
	// Conn's SetKeepAlive, SetKeepAlivePeriod and SetKeepAliveConfig
	// switch the dialer's keepalive on first and then apply theirs; a
	// setsockopt made through SyscallConn or NetConn in that first half
	// of Idle is overwritten when it ends. Dialer.Close switches it on for
	// the connections still waiting.
	KeepAlive        KeepAlive
	DisableKeepAlive bool

	// UserTimeout sets TCP_USER_TIMEOUT (Linux): a connection whose sent
	// data stays unacknowledged this long is dropped, so a dead peer is
	// noticed within that time. Zero leaves the kernel default (off).
	UserTimeout time.Duration

	// DisableNoDelay clears TCP_NODELAY (Nagle's algorithm on). The zero
	// value keeps Go's default: TCP_NODELAY set.
	DisableNoDelay bool

	// Close says how Close ends a connection. The zero value, CloseGraceful,
	// sends a FIN; if this side closes first it holds the TIME_WAIT.
	Close CloseMode
	// LingerTimeout is the SO_LINGER time for CloseLinger, in whole
	// seconds, from 1s to MaxLingerTimeout; only valid with CloseLinger.
	// See CloseLinger for what it does (Linux does not reset at its end).
	LingerTimeout time.Duration

	// AwaitPeerClose, when positive, lets the peer keep the TIME_WAIT
	// (Linux): Close returns at once, the application's descriptor is
	// closed (its pending Reads and Writes end with net.ErrClosed), and
	// the socket stays open in the background until the peer's FIN
	// arrives, the close is then passive and leaves no TIME_WAIT here, or
	// until AwaitPeerClose has passed, the close is then made from this
	// side, gracefully, never a reset. Bytes that arrive meanwhile are
	// read and discarded; every byte the application wrote is still
	// delivered. The close is counted, and CloseConn's report called,
	// when the outcome is known. Only connections the peer has not
	// closed yet wait; CloseIdle's resets, CloseAbortive's resets and
	// connections half-closed with CloseWrite do not. Use it with
	// protocols whose server closes after a goodbye (PostgreSQL
	// Terminate, MySQL COM_QUIT, Redis QUIT, or Farewell); against a
	// peer that never closes, every close waits the full time. Any
	// duration up to math.MaxInt64 works; some hundreds of milliseconds
	// suit a server on the same network. Zero turns it off: Close closes
	// at once. It cannot be combined with CloseLinger.
	AwaitPeerClose time.Duration
	// Farewell, with AwaitPeerClose, is written just before the wait: a
	// goodbye for protocols whose client does not send one (Redis's
	// "QUIT\r\n"), after which the server closes. It is written within
	// the wait's deadline; its reply is discarded. It is written only
	// where the stream may be at a message boundary: not when the owner
	// closes the connection as broken or peer-closed (CloseConn with
	// keepconn.ReasonBroken or ReasonPeerClosed), nor after a Write that
	// failed, which may have sent part of a message the Farewell would
	// complete. Empty: nothing is written. Setting it without
	// AwaitPeerClose is a ConfigError.
	Farewell []byte
	// MaxAwaitingClose caps the connections waiting for their peer's FIN
	// at once (each costs one parked goroutine and one descriptor); a
	// Close beyond it closes at once and is counted in
	// Stats.AwaitOverflows. Zero means DefaultMaxAwaitingClose; any
	// positive int is taken as it is. Only valid with AwaitPeerClose.
	MaxAwaitingClose int

	// ReuseAddr sets SO_REUSEADDR on outgoing sockets (Linux).
	ReuseAddr bool

	// SourceAddrs are local addresses to spread new connections over,
	// round robin (Linux). Each is bound with IP_BIND_ADDRESS_NO_PORT, so a
	// source port only has to be unique per 4-tuple and every source has
	// the whole port range towards every destination. When one source has
	// no port left towards a destination (EADDRNOTAVAIL) the dial moves on
	// to the next before failing. Sources of the other IP family than the
	// destination are skipped. Empty: the kernel picks the source.
	SourceAddrs []netip.Addr

	// PortRange confines local ports (Linux). The zero value uses the
	// system range (net.ipv4.ip_local_port_range). A range inside the
	// system range is applied with IP_LOCAL_PORT_RANGE (Linux 6.3 and
	// later), so the kernel picks the port; otherwise each dial binds a
	// port of the range itself, with SO_REUSEADDR, starting at a random
	// port and moving on when a port's 4-tuple is taken.
	PortRange PortRange

	// Resolver resolves host names; nil means net.DefaultResolver.
	Resolver *net.Resolver

	// MeterProvider receives the dialer's metrics; nil means the global
	// provider (otel.GetMeterProvider).
	MeterProvider metric.MeterProvider

	// forcePortBind makes PortRange use explicit binds even where
	// IP_LOCAL_PORT_RANGE exists (tests).
	forcePortBind bool
}

// DefaultMaxAwaitingClose caps the connections waiting for their peer to
// close first when Config.MaxAwaitingClose is 0: 4096 parked goroutines
// of a few KiB each, and as many descriptors.
const DefaultMaxAwaitingClose = 4096

// KeepAlive holds TCP keepalive settings. A zero Idle or Interval means
// its default (DefaultKeepAliveIdle, DefaultKeepAliveInterval).
type KeepAlive struct {
	Idle     time.Duration // time idle before the first probe
	Interval time.Duration // time between probes
	// Count is how many unanswered probes drop the connection. Zero leaves
	// the kernel's count (on Linux net.ipv4.tcp_keepalive_probes: 9, the
	// count net.Dialer sets, unless the host changed it; other systems
	// have their own) and saves each dial the system call that would set
	// it.
	Count int
}

// PortRange is an inclusive range of local ports. Both zero means the
// system range; otherwise 1 ≤ Low ≤ High ≤ 65535.
type PortRange struct {
	Low, High uint16
}

// IsZero reports whether r is the zero value (the system range).
func (r PortRange) IsZero() bool { return r.Low == 0 && r.High == 0 }

// Size is the number of ports in the range.
func (r PortRange) Size() int {
	if r.IsZero() {
		return 0
	}
	return int(r.High) - int(r.Low) + 1
}

// CloseMode says how Close ends a connection.
type CloseMode uint8

const (
	// CloseGraceful sends a FIN and lets the kernel deliver what is left.
	CloseGraceful CloseMode = iota
	// CloseAbortive makes Close reset the connection (SO_LINGER{on, 0}:
	// an RST, no TIME_WAIT on either side) when nothing is queued in either
	// direction, as CloseIdle does; with bytes still unsent or unread it
	// closes gracefully, so no data is lost. Meant for protocols that close
	// at a message boundary.
	CloseAbortive
	// CloseLinger sets SO_LINGER{on, LingerTimeout}: Close blocks the
	// calling goroutine, and the OS thread it runs on, until the data
	// still unsent has been acknowledged and the FIN sent, or until
	// LingerTimeout has passed. Linux does not reset the connection at the
	// timeout: Close then returns and the kernel goes on delivering the
	// rest in the background, as after a graceful close. The side that
	// closes first keeps the TIME_WAIT as with CloseGraceful. Use it only
	// when the caller must not return before its data is acknowledged.
	CloseLinger
)

// String names the mode.
func (m CloseMode) String() string {
	switch m {
	case CloseGraceful:
		return "graceful"
	case CloseAbortive:
		return "abortive"
	case CloseLinger:
		return "linger"
	}
	return "CloseMode(" + itoa(int(m)) + ")"
}

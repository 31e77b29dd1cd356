// Package dialer opens TCP connections the way a service that makes many of
// them needs: with the socket options set before connect, spread over the
// whole 4-tuple space, with every close classified by who closed first, and
// optionally with the peer left to close first.
//
// A TCP connection's 4-tuple (source IP, source port, destination IP,
// destination port) stays blocked for 60 seconds in TIME_WAIT on the host
// that closed first. Towards one destination, one source address has only
// the ephemeral port range (28,232 ports by default) to draw from, so a
// client that opens and closes more than about 470 connections a second
// towards one destination runs out and connect fails with EADDRNOTAVAIL
// ("cannot assign requested address").
//
// A Dialer helps in four ways:
//
//   - Config.SourceAddrs spreads connections over several local addresses,
//     bound with IP_BIND_ADDRESS_NO_PORT so each one has the whole port
//     range towards every destination (net.Dialer.LocalAddr reserves a port
//     across all destinations instead). When one source is used up towards
//     a destination the dial moves on to the next; a source removed from
//     the host is skipped and reported as ErrSourceUnavailable, not as
//     port exhaustion.
//   - Config.AwaitPeerClose lets the peer keep the TIME_WAIT. Protocols
//     that end with a goodbye (PostgreSQL Terminate, MySQL COM_QUIT, Redis
//     QUIT, or Config.Farewell) have the server close right after it; a
//     client that closes at once usually sends its FIN first and keeps the
//     TIME_WAIT. With AwaitPeerClose, Close returns at once and the socket
//     waits in the background, on the runtime's poller, for the peer's FIN
//     (bounded by MaxAwaitingClose); the close is then passive, and the
//     server's TIME_WAIT blocks nothing, since its 4-tuples differ by the
//     client's port and a new SYN may take one over.
//   - Config.Close and CloseIdle choose how connections end: gracefully
//     (FIN; the closer keeps the TIME_WAIT), abortively (RST, no TIME_WAIT,
//     unsafe while data is in flight), or, with CloseIdle, abortively only
//     when the socket's queues are empty and no wrapper writes on Close
//     (SilentCloser), so that nothing is lost.
//   - Every Conn classifies its own close from the kernel: it sends its
//     FIN with shutdown and reads the TCP state right after it, which says
//     whose FIN went first (FIN_WAIT: this side's, a TIME_WAIT here;
//     LAST_ACK: the peer's), and in the same TCP_INFO read the bytes
//     received, which against the bytes the application has read tell
//     whether any are unread (the close is then a reset). So the counts
//     match the kernel's TIME_WAIT census exactly, for two system calls
//     per close. A Read that returned io.EOF has seen the peer's FIN: that
//     close is passive and asks the kernel nothing. Towards a destination
//     whose peers have been closing first, the close peeks at the receive
//     queue first instead, which tells a peer-first close in one system
//     call. Stats and the OpenTelemetry
//     metrics report the counts.
//
// # Counting and metrics
//
// Stats embeds keepconn.ConnStats, the vocabulary every keepconn package
// shares. A close is counted once with its reason (the owner's, given
// through CloseConn or CloseIdleConn; else ReasonPeerClosed when the peer
// closed first; else ReasonClosed) and once with its side. The metrics
// (keepconn.connection.opened, .closed{keepconn.close.reason,
// keepconn.close.side}, .dial_errors{error.type}, .open) carry
// server.address and server.port, one series per destination; the
// tracked destinations follow those in use (DestinationIdleTimeout,
// MaxTrackedDestinations). Connections dialed for a keepconn pool or
// Transport (which mark their dials) are counted in Stats but left out of
// the dialer's metrics, since their owner reports them.
//
// # Configuration
//
// Like every keepconn type that owns sockets, a Dialer is configured by a
// Config struct whose zero value works (options are kept for wrappers);
// New rejects every invalid field with a *ConfigError naming the field
// ("dialer.Config.LingerTimeout") and the value.
//
// # Lifetime
//
// Dialer.Close stops the metrics and ends the pending peer-first waits at
// once; Dialer.Shutdown lets them finish first. Either returns once every
// socket the dialer closes in the background is closed. The dialer can
// still dial afterwards.
//
// DialContext has the signature http.Transport, pgconn and go-redis take,
// so a Dialer drops into any of them. Reusing connections (package pool,
// httpx, sqlx, redisx) is still the real cure; the dialer makes the
// connections that must be opened cheap for the host.
//
// Linux is the target. On other systems the package builds; the options
// that need Linux make New return a *ConfigError saying so.
package dialer

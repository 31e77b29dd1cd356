// Package dialer opens TCP connections the way a service that makes many of
// them needs: with the socket options set before connect, spread over the
// whole 4-tuple space, and with every close classified by who closed first.
//
// A TCP connection's 4-tuple (source IP, source port, destination IP,
// destination port) stays blocked for 60 seconds in TIME_WAIT on the host
// that closed first. Towards one destination, one source address has only
// the ephemeral port range (28,232 ports by default) to draw from, so a
// client that opens and closes more than about 470 connections a second
// towards one destination runs out and connect fails with EADDRNOTAVAIL
// ("cannot assign requested address").
//
// A Dialer helps in three ways:
//
//   - Config.SourceAddrs spreads connections over several local addresses,
//     bound with IP_BIND_ADDRESS_NO_PORT so each one has the whole port
//     range towards every destination (net.Dialer.LocalAddr reserves a port
//     across all destinations instead). When one source is used up towards
//     a destination the dial moves on to the next.
//   - Config.Close and CloseIdle choose how connections end: gracefully
//     (FIN; the closer keeps the TIME_WAIT), abortively (RST, no TIME_WAIT,
//     unsafe while data is in flight), or, with CloseIdle, abortively only
//     when the socket's queues are empty so that nothing is lost.
//   - Every Conn classifies its own close from the kernel's TCP state:
//     CLOSE_WAIT means the peer closed first and no TIME_WAIT stays here;
//     ESTABLISHED means this side closes first and keeps one. Stats and the
//     OpenTelemetry metrics report the counts.
//
// DialContext has the signature http.Transport, pgconn and go-redis take,
// so a Dialer drops into any of them. Reusing connections (package pool,
// httpx, sqlx, redisx) is still the real cure; the dialer makes the
// connections that must be opened cheap for the host.
//
// Linux is the target. On other systems the package builds; the options
// that need Linux make New return a *ConfigError saying so.
package dialer

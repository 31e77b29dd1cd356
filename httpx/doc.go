// Package httpx gives Go HTTP clients connections that are kept and reused
// instead of opened and closed per request, the most common source of
// TIME_WAIT storms and ephemeral port exhaustion in Go services.
//
// Three net/http habits churn connections:
//
//   - http.DefaultTransport keeps at most 2 idle connections per host
//     (http.DefaultMaxIdleConnsPerHost): with more than 2 requests in
//     flight to one host, every connection above 2 is closed as soon as
//     its request ends, and the next request dials a new one. This side
//     closes first, so each such connection leaves a TIME_WAIT here for
//     60 s, blocking its local port towards that server.
//   - A response body closed before it was read to EOF cannot be reused:
//     net/http closes its connection.
//   - Clients that disable keep-alive open one connection per request.
//
// New and NewClient make the right behaviour the default: the idle cap
// per host equals the connection cap per host, response bodies closed
// early are drained (up to a byte and a time limit) so their connection
// goes back to the pool, a replayable request that failed on a reused
// connection the server had just closed is sent once more, dials have a
// connect timeout, and a host that refuses connections is probed by one
// dial at a time with a backoff instead of a dial per request. Every
// connection's birth, use and close — by reason and by which side closed
// first — is counted in Stats (keepconn's shared vocabulary) and reported
// as OpenTelemetry metrics (http.client.open_connections,
// http.client.connection.duration, keepconn.connection.opened,
// keepconn.connection.closed{keepconn.close.reason, keepconn.close.side},
// each with server.address and server.port). Wrap gives an existing
// RoundTripper the same guarantees. ConfigureServer sets up an
// *http.Server so that clients, not the server, close idle connections.
//
// # Configuration
//
// keepconn's packages that own sockets take a Config struct (as
// database/sql, pgx and go-redis users expect); wrappers take options.
// httpx's Config documents every zero value; the defaults are exported
// constants, and an invalid value is a *ConfigError (keepconn.ConfigError)
// from New, Wrap or NewClient naming the field, "httpx.Config.<name>".
//
// # Counting from evidence
//
// A close's side comes from the kernel's TCP state at the close; its
// reason from what the Transport did (a lifetime, CloseIdleConnections, a
// drain it gave up), for an idle connection net/http closes on its own
// from the net/http code that closes it (its idle timer, its idle cap),
// and otherwise from the peer (its FIN or reset already received:
// PeerClosed). Over TLS the client's close_notify makes the server close
// at once, just before the socket is closed, so a FIN then is no evidence:
// net/http's decision comes first, and over HTTP/1 the peer's FIN is read
// before the close_notify is written. The other way round, a TLS
// server's close_notify comes before its FIN, and net/http closes an idle
// connection on it, often before the FIN is in: an HTTP/1 connection that
// net/http's read loop closes while waiting for its next response counts
// PeerClosed. A
// connection older than Config.MaxConnLifetime is not reused: its next
// request asks the server to close it, and an idle one is closed at its
// deadline.
package httpx

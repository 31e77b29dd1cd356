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
// NewTransport and NewClient make the right behaviour the default: the
// idle cap per host equals the connection cap per host, response bodies
// closed early are drained (up to a byte and a time limit) so their
// connection goes back to the pool, a replayable request that failed on a
// reused connection the server had just closed is sent once more, and
// every connection's birth, use and close — by reason and by which side
// closed first — is counted in Stats and reported as OpenTelemetry
// metrics (http.client.open_connections, http.client.connection.duration,
// keepconn.connection.closed{reason, side}). Wrap gives an existing
// RoundTripper the same guarantees. ConfigureServer sets up an
// *http.Server so that clients, not the server, close idle connections.
package httpx

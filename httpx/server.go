package httpx

import (
	"net/http"
	"time"
)

// DefaultServerIdleTimeout is the idle timeout ConfigureServer gives a
// server: longer than the idle timeouts of common clients (net/http's and
// httpx's 90 s, nginx's upstream 60 s), so that the client closes an idle
// connection first.
const DefaultServerIdleTimeout = 120 * time.Second

// ConfigureServer sets srv up so that its clients, not the server, close
// idle connections: keep-alive on, and an IdleTimeout of at least
// DefaultServerIdleTimeout. It returns srv. Call it before serving.
//
// The trade-off: the side that closes a connection first holds its
// TIME_WAIT for 60 s. A server that closes idle connections (a short
// IdleTimeout) collects a TIME_WAIT per client connection it closes, and
// races clients that send a request on a connection the server is just
// closing (the client sees a reset or EOF and must retry). A server that
// waits longer leaves the close, and the TIME_WAIT, to each client, which
// spreads them over many hosts and ports; it costs the server one idle
// connection (a socket and a goroutine) per keep-alive client until the
// client's idle timeout ends it. Servers facing very many idle clients may
// want a shorter IdleTimeout and accept the TIME_WAITs.
func ConfigureServer(srv *http.Server) *http.Server {
	srv.SetKeepAlivesEnabled(true)
	if srv.IdleTimeout < DefaultServerIdleTimeout {
		srv.IdleTimeout = DefaultServerIdleTimeout
	}
	return srv
}

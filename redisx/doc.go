// Package redisx makes go-redis v9 clients keep their connections, and
// makes their churn visible in keepconn's shared vocabulary.
//
// Redis clients churn in two ways. A connection per command (a script, a
// fresh client per request) leaves a TIME_WAIT on the client for every
// command: towards one server a source address has about 28,000
// ephemeral ports, so beyond roughly 470 commands a second connect()
// fails with EADDRNOTAVAIL. And go-redis's pool churns whenever its idle
// cap is below its concurrency: with PoolSize 10 and MaxIdleConns 2,
// bursts of 50 commands close and re-dial a connection every few
// commands, each close a TIME_WAIT on the client. go-redis also has no
// background idle reaper (connections the server closed sit in CLOSE_WAIT
// until reused), counts every removal as StaleConns, keeps uint32
// counters that wrap, skips Options.TLSConfig when a custom Dialer is set,
// and closes its connections without a goodbye, so the client always
// holds the TIME_WAIT.
//
// NewClient, NewClusterClient, NewFailoverClient, NewFailoverClusterClient,
// NewRing and NewUniversalClient take go-redis's own options and return
// the go-redis client, embedded (Client.Client is the *redis.Client), with:
//
//   - Every connection dialed through a keepconn dialer (package dialer)
//     and left out of that dialer's metrics (redisx reports it), TLS done
//     by redisx when TLSConfig is set. The connection stays a
//     syscall.Conn, so go-redis's check before reuse
//     still peeks at the socket. Under TLS the socket holds records, not
//     replies, so redisx makes that check itself (the server's FIN or
//     reset, bytes waiting) and go-redis's peek sees nothing; go-redis's
//     client-side caching then gets no socket probe after reads over TLS.
//   - Pool settings that do not churn (see Tuning): MaxIdleConns raised to
//     PoolSize, MinIdleConns opened one at a time (at start, and again
//     when the client is quiet after removals),
//     ConnMaxLifetime jittered, ConnMaxIdleTime kept below the server's
//     timeout, read once with CONFIG GET timeout (managed services refuse
//     CONFIG: Config.FallbackIdleTime then caps it, and
//     Tuning.ServerTimeoutErr says why). Config.KeepPoolSettings keeps the
//     settings as given, for measuring them.
//   - A goodbye: QUIT before each close, after which the dialer waits (up
//     to its AwaitPeerClose, DefaultAwaitPeerClose) for the server to
//     close first, so the TIME_WAIT lands on the server, where it blocks
//     nothing. Over plain TCP the dialer writes it (dialer.Config.Farewell);
//     over TLS redisx writes it through the TLS connection. (A Sentinel of
//     Redis 7.0 refuses QUIT: a failover client's closes of its sentinel
//     connections wait the whole AwaitPeerClose and stay active.)
//   - A reaper that closes, every Config.ReaperInterval, the idle
//     connections the server closed (its timeout, CLIENT KILL, a restart),
//     so none waits in CLOSE_WAIT for longer than an interval. go-redis
//     meets such a connection at its next reuse check, which fails, and
//     takes another one.
//   - Stats in the shared vocabulary, from evidence, and OpenTelemetry
//     metrics observed from them.
//
// # How closes are attributed
//
// go-redis closes a connection by calling Close on the net.Conn redisx's
// dialer returned; it says nothing about why. redisx's connection knows
// what it needs to tell: redisx enforces the idle time and the lifetime
// itself (go-redis's are turned off) at go-redis's check before reuse,
// which calls SyscallConn, so those closes are MaxIdleTimeClosed and
// MaxLifetimeClosed by decision, not guess. A close that finds the
// server's FIN or reset in the kernel's TCP state, or follows a read that
// met it, is PeerClosed; one after another I/O error, or with bytes
// nobody asked for waiting unread, is BrokenClosed; one made by
// Client.Close is Closed. What remains are the closes go-redis makes when
// a connection comes back to a full idle list, or was dialed beyond the
// pool's room: MaxIdleClosed when the idle cap is below the pool size,
// Closed otherwise. The side of every close (active: a TIME_WAIT here) is
// what the dialer reports once the close has happened. No go-redis hook
// and nothing process-wide (redis.SetOTelRecorder) is used, so redisx
// works beside redisotel and the application's own hooks.
//
// # Configuration
//
// As in every keepconn package, what owns sockets takes a Config struct:
// here go-redis's options keep go-redis's settings, and Config holds
// redisx's own. Every invalid value, of either, is a *ConfigError naming
// the field ("redisx.Config.ReaperInterval", "redis.Options.PoolSize")
// and the value. The caller's options are not modified.
//
// # Metrics
//
// Through the OpenTelemetry metrics API (Config.MeterProvider, default the
// global one), observed from Stats in one callback, every data point
// carrying db.client.connection.pool.name (Config.PoolName, default the
// address): db.client.connection.count{db.client.connection.state},
// db.client.connection.max (PoolSize), db.client.connection.idle.max
// (MaxIdleConns), db.client.connection.idle.min, db.client.connection.timeouts,
// keepconn.connection.opened, keepconn.connection.closed{keepconn.close.reason,
// keepconn.close.side}, keepconn.connection.dial_errors{error.type},
// keepconn.connection.open, keepconn.pool.acquisitions{keepconn.pool.reused},
// keepconn.pool.waits, keepconn.pool.wait.duration and
// keepconn.redis.reaped; db.client.connection.create_time is a histogram
// recorded per dial. The dialer leaves these connections out of its own
// metrics (they are claimed), so nothing is counted twice.
//
// # Cost
//
// A command pays two atomic additions and a clock read per read, one
// atomic addition pair per write, and a clock read at each reuse check:
// GET of a 100-byte value measured within a few percent of plain go-redis
// on the same server, with one allocation fewer. Each client runs one
// goroutine (the reaper) until Close.
package redisx

// Package pool keeps connections of any TCP protocol for reuse: what
// database/sql and pgxpool give SQL clients, for RPC, cache, broker and
// line protocols that have no pool of their own.
//
// A client that opens a connection per call closes it first, so every call
// leaves a TIME_WAIT entry on the client host for 60 seconds. Towards one
// server a source address has about 28,000 ephemeral ports, so beyond
// roughly 470 calls a second connect() fails with EADDRNOTAVAIL. A pool
// sized to the real concurrency dials once per connection instead of once
// per call.
//
// Pool is built on github.com/jackc/puddle/v2, which does the waiting and
// sizing. Pool adds what a pool of sockets needs on top:
//
//   - A liveness check before reusing a connection that sat idle for a
//     second or more (LivenessCheckAfter): one non-blocking MSG_PEEK read.
//     A connection the server closed (FIN or RST) while idle is closed and
//     skipped, invisibly to the caller, and counted in Stats.PeerClosed.
//   - A background health check of the idle connections every
//     HealthCheckPeriod (5 s by default), so that connections that died
//     while idle (the peer closed or reset them, the kernel timed them
//     out) stop counting as Open and Idle within one period.
//   - MaxIdle enforced at Release, and for dials whose acquirer gave up.
//     Its zero value is MaxConns: an idle cap below the open cap
//     (database/sql's default is 2) closes and re-dials connections on
//     every burst, which is the churn behind TIME_WAIT storms.
//     Stats.MaxIdleClosed shows it.
//   - IdleTimeout and MaxLifetime reaped actively in the background, with
//     a per-connection lifetime jitter so connections dialed together do not
//     reconnect together; MinIdle connections kept ready.
//   - Idle connections reused last-in first-out, so a surplus ages out.
//   - No dial storm against a backend that is down: while nothing is open
//     or after a failure, one dial probes and the others wait for it; after
//     a failure dials back off exponentially and Acquire fails fast with
//     ErrDialBackoff.
//   - Every close counted by reason and by side (Stats, in keepconn's
//     shared vocabulary, and the keepconn.connection.closed metric): an
//     active close leaves a TIME_WAIT on this host, a passive one does
//     not, an abortive one (AbortIdleClose, through dialer.CloseIdleConn)
//     leaves none anywhere. Connections are closed through
//     dialer.CloseConn, so a keepconn dialer beneath counts the pool's
//     reason too.
//
// Group keeps a Pool per address for clients of many backends; Remove
// drops the pool of a backend that has left.
//
// # Acquisitions
//
// Acquire returns a Conn, a small value that stands for one acquisition:
// exactly one Release or Destroy ends it. A Conn carries the generation
// of its acquisition, so a stale copy kept after Release can never reach
// the next acquirer of the same socket: its I/O methods return
// ErrReleased and a second Release or Destroy panics, as puddle's do.
// Per-connection state kept with SetValue (a *bufio.Reader) wraps
// NetConn(), not the Conn.
//
// # Configuration
//
// One rule holds across keepconn: what owns sockets is configured with a
// Config struct (dialer.Config, pool.Config), as pgx, go-redis and
// database/sql users expect, and wrappers of someone else's type take
// options. Every zero value is documented on its field and means a
// default, exported as a constant (DefaultMaxConns, DefaultDialTimeout,
// ...). New rejects invalid values, including 0, negatives and the
// maximum of each type where they make no sense, with a
// *keepconn.ConfigError (ConfigError here) naming the field, as
// "pool.Config.MaxIdle", and the value. Nothing is truncated: MaxConns
// above MaxMaxConns is an error, and durations up to math.MaxInt64 work,
// their deadlines saturating rather than overflowing. New and NewGroup
// return errors; the package has no panicking constructor.
//
// # Metrics
//
// A Pool reports through the OpenTelemetry metrics API, observed from Stats
// in one callback: db.client.connection.count{db.client.connection.state},
// db.client.connection.max, db.client.connection.timeouts,
// keepconn.connection.opened,
// keepconn.connection.closed{keepconn.close.reason, keepconn.close.side},
// keepconn.connection.dial_errors{error.type}, keepconn.connection.open,
// keepconn.pool.acquisitions{keepconn.pool.reused}, keepconn.pool.waits
// and keepconn.pool.wait.duration, all with db.client.connection.pool.name.
// db.client.connection.create_time is a histogram recorded per dial. Waits
// are cumulative counters rather than the semantic-convention histogram
// because a histogram would cost a clock read and a recording on every
// Acquire. The pool dials under telemetry's claim, so a keepconn dialer
// beneath it leaves these connections out of its own metrics: summed over
// series, each connection is counted once.
//
// # Cost
//
// An Acquire served by an idle connection, and its Release, read no clock
// and allocate nothing: puddle's TryAcquire and ReleaseUnused, which skip
// puddle's own idle stamps, with keepconn's bookkeeping on top, cost less
// than puddle's Acquire and Release. Idle times come from a process-wide
// copy of the clock that one goroutine refreshes every 50 ms while a pool
// that needs it is open (a clock read costs as much as the rest of
// Acquire+Release on a virtual machine). Acquisitions are counted on the
// connection itself, so that parallel acquirers share no counter (with
// MaxIdle below MaxConns, the idle count is one). An Acquire that finds
// no idle connection allocates: keepconn's record of the acquisition, and,
// when it waits at MaxConns, x/sync/semaphore's waiter (2 allocations), as
// with puddle alone. The liveness check, when due, costs one recvfrom
// system call, ten times the rest; CheckEveryReuse makes it due on every
// reuse.
//
// A Pool holds that clock and a maintenance goroutine until Close: close
// every Pool and Group.
package pool

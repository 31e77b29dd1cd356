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
// Pool is built on github.com/jackc/puddle/v2, which does the acquiring,
// waiting and sizing. Pool adds what a pool of sockets needs on top:
//
//   - A liveness check before reusing a connection that sat idle for a
//     second or more (LivenessCheckAfter): one non-blocking MSG_PEEK read.
//     A connection the server closed (FIN or RST) while idle is closed and
//     skipped, invisibly to the caller, and counted in Stats.PeerClosed.
//   - MaxIdle enforced at Release. Its zero value is MaxConns: an idle cap
//     below the open cap (database/sql's default is 2) closes and re-dials
//     connections on every burst, which is the churn behind TIME_WAIT
//     storms. Stats.MaxIdleClosed shows it.
//   - IdleTimeout and MaxLifetime reaped actively in the background, with
//     a per-connection lifetime jitter so connections dialed together do not
//     reconnect together; MinIdle connections kept ready.
//   - Idle connections reused last-in first-out, so a surplus ages out.
//   - No dial storm against a backend that is down: while nothing is open
//     or after a failure, one dial probes and the others wait for it; after
//     a failure dials back off exponentially and Acquire fails fast with
//     ErrDialBackoff.
//   - Every close counted by reason and by side (Stats, and the
//     keepconn.connection.closed metric): an active close leaves a
//     TIME_WAIT on this host, a passive one does not, an abortive one
//     (AbortIdleClose, through dialer.CloseIdle) leaves none anywhere.
//
// Group keeps a Pool per address for clients of many backends; Remove
// drops the pool of a backend that has left.
//
// # Metrics
//
// A Pool reports through the OpenTelemetry metrics API, observed from Stats
// in one callback: db.client.connection.count{db.client.connection.state},
// db.client.connection.max, db.client.connection.timeouts,
// keepconn.connection.opened, keepconn.connection.closed{reason, side},
// keepconn.connection.dial_errors, keepconn.connection.open,
// keepconn.pool.acquires{reused}, keepconn.pool.waits and
// keepconn.pool.wait.duration, all with db.client.connection.pool.name.
// db.client.connection.create_time is a histogram recorded per dial. Waits
// are cumulative counters rather than the semantic-convention histogram
// because a histogram would cost a clock read and a recording on every
// Acquire.
//
// # Cost
//
// Acquire and Release allocate nothing in the steady state and add about
// a tenth to puddle's own cost. They add no clock read to puddle's: idle
// times come from a process-wide copy of the clock that one goroutine
// refreshes every 50 ms while a pool that needs it is open (a clock read
// costs as much as the rest of Acquire+Release on a virtual machine). They
// count acquisitions on the connection itself, so that parallel acquirers
// share no counter (with MaxIdle below MaxConns, the idle count is one).
// The liveness check, when due, costs one recvfrom system call, ten times
// the rest; CheckEveryReuse makes it due on every reuse.
//
// A Pool holds that clock, and with IdleTimeout, MaxLifetime or MinIdle a
// maintenance goroutine, until Close: close every Pool and Group.
package pool

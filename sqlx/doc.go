// Package sqlx makes database/sql pools that do not churn, and says why
// their connections die.
//
// The most common TIME_WAIT storm in Go services is a *sql.DB whose idle
// cap is below its real concurrency. database/sql keeps 2 idle
// connections unless told otherwise, and the idle cap does not follow
// SetMaxOpenConns: with MaxOpen 100 and MaxIdle 10 under 50 concurrent
// workers, every burst closes 40 connections when they come back and
// dials 40 new ones for the next burst. Each close by this host leaves a
// TIME_WAIT entry for 60 s; towards one server a source address has about
// 28,000 ephemeral ports, so beyond roughly 470 such closes a second
// connect() fails with EADDRNOTAVAIL. Each new PostgreSQL connection also
// forks a backend: measured on a 2-core machine, the setting above
// served 330 queries a second where the same pool with MaxIdle 100
// served 10,800.
//
// DBStats cannot show this alone: it counts no dials and no sides, and
// closes after driver.ErrBadConn, a failed ResetSession or IsValid, or
// numOpen > maxOpen are counted nowhere. sqlx fills the gaps:
//
//   - Open returns a *sql.DB (embedded in DB) sized by Config: MaxIdle
//     defaults to MaxOpen, and a zero MaxOpen is DefaultMaxOpen, not
//     database/sql's unlimited (which with its idle cap of 2 is the churn
//     bug).
//   - ConnMaxLifetime with a per-connection jitter, which database/sql
//     lacks, enforced by the connection wrapper: an expired connection
//     reports itself invalid when it comes back (driver.Validator) and
//     refuses reuse (driver.SessionResetter, driver.ErrBadConn), so
//     database/sql closes it and takes another, invisibly to the caller.
//   - A liveness check before reusing a connection idle for
//     LivenessCheckAfter: one that the server closed or terminated is
//     refused the same way, so the query goes to another connection.
//   - MinIdle connections kept open, dialed one at a time.
//   - The server's idle timeout (MySQL/MariaDB @@wait_timeout,
//     PostgreSQL idle_session_timeout) read on the first connection, and
//     ConnMaxIdleTime kept below it, so this side closes idle connections
//     before the server does: no "invalid connection" or "unexpected EOF".
//   - Stats in keepconn's shared vocabulary: every dial, every close by
//     reason from evidence and by side from the socket (see Stats).
//   - An advisor (DB.Advice) that compares, each AdvisorWindow, the closes
//     at the idle cap with the peak number of connections in use and the
//     local-close rate with the port budget, and says which field to
//     change to what; with AutoTune it raises MaxIdle itself and logs it
//     with log/slog.
//   - Watch, for a *sql.DB someone else opened: the same advisor and
//     metrics from DBStats alone.
//
// # Connectors
//
// Connections are dialed through a keepconn dialer, so that each one is
// counted with its side: the driver sub-packages pgxdriver (pgx v5),
// mysqldriver (go-sql-driver/mysql) and pqdriver (lib/pq) make the
// Connector; this package imports no driver. For another driver, or a
// driver configured by hand, give the driver a Dialer's DialContext and
// pair the two:
//
//	sd, _ := sqlx.NewDialer(nil)
//	cfg.DialFunc = sd.DialContext // pgconn.Config, mysql.Config
//	db, err := sqlx.Open(sd.Connector(stdlib.GetConnector(*cfg), info), sqlx.Config{})
//
// The Dialer's keepconn dialer, unless given one, waits for the server's
// FIN after the driver's goodbye (PostgreSQL Terminate, MySQL COM_QUIT)
// before closing (dialer.Config.AwaitPeerClose), so the server keeps the
// TIME_WAIT, where it blocks no port of this host.
//
// sql.Conn.Raw passes sqlx's wrapper to its function: DriverConn returns
// the driver's own connection.
//
// Only TCP connections are dialed through keepconn: a DSN naming a Unix
// socket fails to connect (the keepconn dialer refuses the network
// "unix"); use the driver without sqlx there, where TIME_WAIT does not
// arise.
//
// # Configuration style
//
// What owns sockets takes a Config struct whose zero values are
// documented defaults (as database/sql, pgx and go-redis users expect);
// every invalid value is a *ConfigError naming the field
// ("sqlx.Config.MaxIdle") and the value, at Open.
//
// # Metrics
//
// A DB reports through the OpenTelemetry metrics API, observed from Stats
// in one callback, every series with db.client.connection.pool.name
// (Config.Name, by default the driver and server address, never a DSN or
// password): db.client.connection.count{db.client.connection.state},
// db.client.connection.max, db.client.connection.idle.max,
// db.client.connection.idle.min, db.client.connection.create_time (a
// histogram of Connect times), db.client.connection.timeouts,
// keepconn.pool.waits and keepconn.pool.wait.duration (database/sql gives
// only totals), keepconn.pool.acquisitions{keepconn.pool.reused},
// and keepconn's churn counters keepconn.connection.opened,
// keepconn.connection.closed{keepconn.close.reason, keepconn.close.side},
// keepconn.connection.dial_errors and keepconn.connection.open.
//
// # Background work
//
// A DB runs one goroutine (MinIdle, the advisor) until Close.
package sqlx

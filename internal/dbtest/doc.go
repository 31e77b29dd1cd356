// Package dbtest starts real database servers for tests and demos: a
// PostgreSQL 15 and a MariaDB from the installed Debian packages
// (postgresql, mariadb-server), each in a fresh temporary directory,
// listening on 127.0.0.1 only, and stops them again.
//
// PostgreSQL runs as the user postgres (initdb with trust authentication,
// user postgres, database postgres); MariaDB drops to the user mysql and
// gets a password-less user keepconn@127.0.0.1 with every privilege. Both
// are tuned for throwaway use (no fsync, no binary log) and allow enough
// connections for churn tests (Options.MaxConnections).
//
// Ports are fixed (BasePostgresPort, BaseMariaDBPort and the next few),
// outside the tiny ephemeral ranges that namespace tests set, so a server
// started inside a private network namespace never takes a port under
// test. Several test binaries running at once each take the next free
// port.
//
// Tests call Postgres(t) or MariaDB(t), which start one shared server per
// process on first use; without the binaries (or without root, which
// starting them as their own users needs) they skip with a message naming
// the Debian package, unless KEEPCONN_REQUIRE_SERVERS=1 makes that a
// failure. TestMain calls StopAll after the tests. A test that runs in its
// own network namespace (internal/netnstest) calls them inside its body:
// the server then starts inside the namespace, and the kernel's counts of
// both ends are exact.
package dbtest

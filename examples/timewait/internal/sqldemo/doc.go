// Package sqldemo is the SQL part of the timewait demo (go run
// ./examples/timewait -proto sql): the seed scenario of a database/sql
// pool whose idle cap is below its concurrency, side by side with
// database/sql's defaults and with keepconn's sqlx, on one server, with
// the demo's common table (dials, TIME_WAIT on each side from the
// kernel, q/s, latency, errors).
//
// The server is, in this order: the user's (Options.DSN); an installed
// PostgreSQL 15 or MariaDB started the way the tests start them
// (internal/dbtest: Debian packages postgresql, mariadb-server, run as
// root); or, with nothing installed, an in-process server that speaks
// the real MySQL client/server protocol to go-sql-driver/mysql but runs
// no SQL engine: its output is labelled as such, and its figures show the
// dials and TIME_WAITs, not a real server's cost per connection.
package sqldemo

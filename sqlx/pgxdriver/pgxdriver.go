// Package pgxdriver makes pgx v5 (through its database/sql driver,
// github.com/jackc/pgx/v5/stdlib) dial through a keepconn dialer, for
// sqlx.Open. Only programs that import it compile pgx.
//
//	db, err := pgxdriver.Open("postgres://app@db:5432/app", sqlx.Config{MaxOpen: 50})
//
// The connector sets pgconn.Config.DialFunc, which pgx also uses for
// cancel requests: those go through the same keepconn dialer but are not
// tracked by sqlx (the dialer's own Stats and metrics count them).
//
// pgx's default sslmode=prefer tries TLS first and, against a server
// without TLS, dials a second time for each connection: the first dial is
// then counted as a BrokenClosed connection. Say sslmode=disable (or
// require) when you know which.
package pgxdriver

import (
	"net"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/keepconn/keepconn/dialer"
	"github.com/keepconn/keepconn/sqlx"
)

// Connector returns a sqlx.Connector for cfg whose connections are dialed
// through d (nil: a dialer with sqlx.DefaultDialerConfig, peer-first
// close on). cfg is copied; its DialFunc is replaced. opts are passed to
// stdlib.GetConnector.
func Connector(cfg *pgx.ConnConfig, d *dialer.Dialer, opts ...stdlib.OptionOpenDB) (*sqlx.Connector, error) {
	sd, err := sqlx.NewDialer(d)
	if err != nil {
		return nil, err
	}
	c := cfg.Copy()
	c.DialFunc = sd.DialContext
	info := sqlx.ServerInfo{Driver: "pgx", Dialect: sqlx.DialectPostgres,
		Address: net.JoinHostPort(c.Host, strconv.Itoa(int(c.Port)))}
	return sd.Connector(stdlib.GetConnector(*c, opts...), info), nil
}

// Open parses dsn (a pgx connection string or URL) and opens a sqlx.DB
// over it with a dialer of its own.
func Open(dsn string, cfg sqlx.Config) (*sqlx.DB, error) {
	pc, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, err
	}
	c, err := Connector(pc, nil)
	if err != nil {
		return nil, err
	}
	return sqlx.Open(c, cfg)
}

// Package mysqldriver makes github.com/go-sql-driver/mysql dial through a
// keepconn dialer, for sqlx.Open. Only programs that import it compile
// the MySQL driver.
//
//	db, err := mysqldriver.Open("app:secret@tcp(db:3306)/app", sqlx.Config{MaxOpen: 50})
//
// The connector sets mysql.Config.DialFunc (go-sql-driver/mysql v1.9 and
// later). The driver's check of a connection before reuse needs a
// syscall.Conn, which the tracked connection is.
package mysqldriver

import (
	"github.com/go-sql-driver/mysql"
	"github.com/keepconn/keepconn/dialer"
	"github.com/keepconn/keepconn/sqlx"
)

// Connector returns a sqlx.Connector for cfg whose connections are dialed
// through d (nil: a dialer with sqlx.DefaultDialerConfig, peer-first
// close on). cfg is cloned; its DialFunc is replaced. Only TCP addresses
// (Net "tcp") are dialed through d.
func Connector(cfg *mysql.Config, d *dialer.Dialer) (*sqlx.Connector, error) {
	sd, err := sqlx.NewDialer(d)
	if err != nil {
		return nil, err
	}
	c := cfg.Clone()
	c.DialFunc = sd.DialContext
	mc, err := mysql.NewConnector(c)
	if err != nil {
		return nil, err
	}
	return sd.Connector(mc, sqlx.ServerInfo{Driver: "mysql", Dialect: sqlx.DialectMySQL, Address: c.Addr}), nil
}

// Open parses dsn (go-sql-driver/mysql's DSN) and opens a sqlx.DB over it
// with a dialer of its own.
func Open(dsn string, cfg sqlx.Config) (*sqlx.DB, error) {
	mc, err := mysql.ParseDSN(dsn)
	if err != nil {
		return nil, err
	}
	c, err := Connector(mc, nil)
	if err != nil {
		return nil, err
	}
	return sqlx.Open(c, cfg)
}

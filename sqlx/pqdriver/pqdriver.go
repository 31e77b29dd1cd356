// Package pqdriver makes github.com/lib/pq dial through a keepconn
// dialer, for sqlx.Open. Only programs that import it compile lib/pq.
//
//	db, err := pqdriver.Open("postgres://app@db:5432/app", sqlx.Config{MaxOpen: 50})
//
// The connector sets pq's Connector.Dialer.
package pqdriver

import (
	"net"
	"strconv"

	"github.com/keepconn/keepconn/dialer"
	"github.com/keepconn/keepconn/sqlx"
	"github.com/lib/pq"
)

// Connector returns a sqlx.Connector for dsn whose connections are dialed
// through d (nil: a dialer with sqlx.DefaultDialerConfig, peer-first
// close on).
func Connector(dsn string, d *dialer.Dialer) (*sqlx.Connector, error) {
	sd, err := sqlx.NewDialer(d)
	if err != nil {
		return nil, err
	}
	pcfg, err := pq.NewConfig(dsn)
	if err != nil {
		return nil, err
	}
	pc, err := pq.NewConnectorConfig(pcfg)
	if err != nil {
		return nil, err
	}
	pc.Dialer(sd)
	info := sqlx.ServerInfo{Driver: "pq", Dialect: sqlx.DialectPostgres}
	if pcfg.Host != "" && pcfg.Host[0] != '/' {
		info.Address = net.JoinHostPort(pcfg.Host, strconv.Itoa(int(pcfg.Port)))
	}
	return sd.Connector(pc, info), nil
}

// Open opens a sqlx.DB over dsn with a dialer of its own.
func Open(dsn string, cfg sqlx.Config) (*sqlx.DB, error) {
	c, err := Connector(dsn, nil)
	if err != nil {
		return nil, err
	}
	return sqlx.Open(c, cfg)
}

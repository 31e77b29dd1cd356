package main

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/keepconn/keepconn/sqlx"
	"github.com/keepconn/keepconn/sqlx/pgxdriver"
)

// sqlName is the sqlx DB's db.client.connection.pool.name.
const sqlName = "pg"

// startPostgres starts a throwaway PostgreSQL 15 from the Debian binaries
// (package postgresql) on 127.0.0.1 and opens a sqlx DB over it through
// the service's dialer. Steady, the idle cap follows MaxOpen (sqlx's
// default); churning, it is 1, the database/sql picture of the seed.
func (s *service) startPostgres() error {
	addr, url, stop, err := startPostgresServer()
	if err != nil {
		return fmt.Errorf("-postgres: %w", err)
	}
	s.pgAddr = addr
	s.onClose(func() { _ = stop() })
	pc, err := pgx.ParseConfig(url)
	if err != nil {
		return err
	}
	c, err := pgxdriver.Connector(pc, s.dialer)
	if err != nil {
		return err
	}
	cfg := sqlx.Config{MaxOpen: s.burst, Name: sqlName, MeterProvider: s.mp}
	if s.churn {
		cfg.MaxIdle = 1
	}
	db, err := sqlx.Open(c, cfg)
	if err != nil {
		return err
	}
	s.db = db
	s.onClose(func() { _ = db.Close() })
	return nil
}

// sqlRequest runs one query.
func (s *service) sqlRequest(ctx context.Context) error {
	var n int
	if err := s.db.QueryRowContext(ctx, "SELECT 1").Scan(&n); err != nil {
		return err
	}
	if n != 1 {
		return fmt.Errorf("SELECT 1 returned %d", n)
	}
	return nil
}

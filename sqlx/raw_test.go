package sqlx_test

import (
	"context"
	"database/sql/driver"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5/stdlib"
	"github.com/keepconn/keepconn/internal/dbtest"
	"github.com/keepconn/keepconn/sqlx"
)

// TestDriverConn: sql.Conn.Raw hands out sqlx's wrapper; DriverConn gives
// the driver's own connection (pgx's *stdlib.Conn, for CopyFrom and the
// like).
func TestDriverConn(t *testing.T) {
	tg := targets[0].start(t, false, dbtest.Options{})
	db := tg.openSqlx(t, nil, sqlx.Config{MaxOpen: 1})
	c, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	err = c.Raw(func(dc any) error {
		pc, ok := sqlx.DriverConn(dc).(*stdlib.Conn)
		if !ok {
			t.Fatalf("DriverConn gave %T, want *stdlib.Conn", sqlx.DriverConn(dc))
		}
		var one int
		return pc.Conn().QueryRow(context.Background(), "SELECT 1").Scan(&one)
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := sqlx.DriverConn(42); got != 42 {
		t.Errorf("DriverConn(42) = %v", got)
	}
}

// TestRawBadConn: a Raw function that returns driver.ErrBadConn makes
// database/sql close a healthy connection: counted once, as broken
// (database/sql counts it under none of its reasons), leaving nothing
// open. pgx says Terminate on close and PostgreSQL then closes first, so
// the side is passive, and the reason is read before that goodbye: after
// it, the server's answer would pass for a server that closed first.
// "fresh": database/sql never called the connection before (sqlx closes
// such a connection in the background); "used": after a query.
func TestRawBadConn(t *testing.T) {
	tg := targets[0].start(t, false, dbtest.Options{})
	for _, used := range []bool{false, true} {
		name := "fresh"
		if used {
			name = "used"
		}
		t.Run(name, func(t *testing.T) {
			db := tg.openSqlx(t, nil, sqlx.Config{MaxOpen: 1})
			ctx := context.Background()
			c, err := db.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if used {
				if _, err := c.ExecContext(ctx, "SELECT 1"); err != nil {
					t.Fatal(err)
				}
			}
			err = c.Raw(func(any) error { return driver.ErrBadConn })
			if !errors.Is(err, driver.ErrBadConn) {
				t.Fatalf("Raw returned %v, want driver.ErrBadConn", err)
			}
			c.Close()
			s := quiet(t, db)
			if s.Opened != 1 || s.Open != 0 || s.BrokenClosed != 1 || s.TotalClosed() != 1 || s.PassiveCloses != 1 {
				t.Fatalf("after a bad Raw: Opened %d, Open %d, BrokenClosed %d, TotalClosed %d, PassiveCloses %d; want 1, 0, 1, 1, 1\n%+v",
					s.Opened, s.Open, s.BrokenClosed, s.TotalClosed(), s.PassiveCloses, s.ConnStats)
			}
			if s.DB.OpenConnections != 0 {
				t.Fatalf("database/sql has %d connections open, want 0", s.DB.OpenConnections)
			}
		})
	}
}

package sqlx_test

import (
	"context"
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

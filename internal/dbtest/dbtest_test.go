package dbtest_test

import (
	"context"
	"database/sql"
	"os"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/keepconn/keepconn/internal/dbtest"
	"github.com/keepconn/keepconn/internal/netnstest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if err := dbtest.StopAll(); err != nil && code == 0 {
		println("stopping servers:", err.Error())
		code = 1
	}
	if code == 0 {
		if err := goleak.Find(); err != nil {
			println("goleak:", err.Error())
			code = 1
		}
	}
	os.Exit(code)
}

func query(t *testing.T, driver, dsn, q string) string {
	t.Helper()
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var v string
	if err := db.QueryRowContext(ctx, q).Scan(&v); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return v
}

func TestPostgres(t *testing.T) {
	s := dbtest.Postgres(t)
	if v := query(t, "pgx", s.PostgresURL(), "SHOW fsync"); v != "off" {
		t.Errorf("fsync = %q, want off", v)
	}
	if s2 := dbtest.Postgres(t); s2 != s {
		t.Errorf("second Postgres(t) started another server")
	}
}

func TestMariaDB(t *testing.T) {
	s := dbtest.MariaDB(t)
	if v := query(t, "mysql", s.MySQLDSN(), "SELECT CURRENT_USER()"); v != "keepconn@127.0.0.1" {
		t.Errorf("user = %q", v)
	}
}

func TestSettings(t *testing.T) {
	s := dbtest.StartT(t, dbtest.KindMariaDB, dbtest.Options{Settings: map[string]string{"wait-timeout": "7"}})
	if v := query(t, "mysql", s.MySQLDSN(), "SELECT @@global.wait_timeout"); v != "7" {
		t.Errorf("wait_timeout = %q, want 7", v)
	}
}

// TestInNamespace starts both servers inside a private network namespace:
// their sockets are visible only there.
func TestInNamespace(t *testing.T) {
	netnstest.Run(t, netnstest.Config{PortLow: 40000, PortHigh: 40099}, func(t *testing.T) {
		pg := dbtest.StartT(t, dbtest.KindPostgres, dbtest.Options{})
		my := dbtest.StartT(t, dbtest.KindMariaDB, dbtest.Options{})
		query(t, "pgx", pg.PostgresURL(), "SELECT 1")
		query(t, "mysql", my.MySQLDSN(), "SELECT 1")
	})
}

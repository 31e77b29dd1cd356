package sqlx_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/keepconn/keepconn/internal/dbtest"
	"github.com/keepconn/keepconn/sqlx"
)

// BenchmarkSelect1Postgres and BenchmarkSelect1MariaDB time one SELECT 1
// on one connection, through the driver alone (database/sql, the driver's
// own dialing) and through sqlx (its connector, wrapper and keepconn
// dialer), on the same server in the same run, each query under a
// deadline context. Compare with internal/benchratio:
//
//	go run ./internal/benchratio -pkg ./sqlx -bench Select1Postgres -baseline driver
func BenchmarkSelect1Postgres(b *testing.B) { benchSelect1(b, targets[0]) }

// BenchmarkSelect1MariaDB: see BenchmarkSelect1Postgres.
func BenchmarkSelect1MariaDB(b *testing.B) { benchSelect1(b, targets[1]) }

func benchSelect1(b *testing.B, tg target) {
	tg = tg.start(b, false, dbtest.Options{})
	b.Run("driver", func(b *testing.B) {
		db := directDB(b, tg)
		defer db.Close()
		runSelect1(b, db)
	})
	b.Run("sqlx", func(b *testing.B) {
		db := tg.openSqlx(b, nil, sqlx.Config{MaxOpen: 1})
		runSelect1(b, db.DB)
	})
}

// directDB opens the server with database/sql and the driver as they
// come: the driver's own net.Dialer.
func directDB(b *testing.B, tg target) *sql.DB {
	b.Helper()
	var db *sql.DB
	switch tg.kind {
	case dbtest.KindPostgres:
		pc, err := pgx.ParseConfig(tg.srv.PostgresURL())
		if err != nil {
			b.Fatal(err)
		}
		db = sql.OpenDB(stdlib.GetConnector(*pc))
	case dbtest.KindMariaDB:
		mc, err := mysql.ParseDSN(tg.srv.MySQLDSN())
		if err != nil {
			b.Fatal(err)
		}
		c, err := mysql.NewConnector(mc)
		if err != nil {
			b.Fatal(err)
		}
		db = sql.OpenDB(c)
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	return db
}

func runSelect1(b *testing.B, db *sql.DB) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	var one int
	if err := db.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil { // dial outside the timing
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := db.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
			b.Fatal(err)
		}
	}
}

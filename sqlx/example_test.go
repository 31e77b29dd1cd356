package sqlx_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/keepconn/keepconn/sqlx"
	"github.com/keepconn/keepconn/sqlx/mysqldriver"
	"github.com/keepconn/keepconn/sqlx/pgxdriver"
	"github.com/keepconn/keepconn/sqlx/pqdriver"
)

// Open a PostgreSQL pool with pgx: MaxIdle follows MaxOpen, lifetimes are
// jittered, and the server's idle timeout is kept ahead of.
func ExampleOpen_pgx() {
	db, err := pgxdriver.Open("postgres://app@127.0.0.1:5432/app?sslmode=disable",
		sqlx.Config{MaxOpen: 50, ConnMaxLifetime: 30 * time.Minute})
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	var one int
	if err := db.QueryRowContext(context.Background(), "SELECT 1").Scan(&one); err != nil {
		log.Print(err)
	}
	s := db.Stats()
	fmt.Printf("opened %d, closed at the idle cap %d, TIME_WAIT left here %d\n", s.Opened, s.MaxIdleClosed, s.ActiveCloses)
}

// Open a MariaDB or MySQL pool with go-sql-driver/mysql.
func ExampleOpen_mysql() {
	db, err := mysqldriver.Open("app:secret@tcp(127.0.0.1:3306)/app", sqlx.Config{MaxOpen: 50})
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	db.PingContext(context.Background())
}

// Open a PostgreSQL pool with lib/pq.
func ExampleOpen_pq() {
	db, err := pqdriver.Open("postgres://app@127.0.0.1:5432/app?sslmode=disable", sqlx.Config{MaxOpen: 50})
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	db.PingContext(context.Background())
}

// A driver configured by hand: give it a Dialer's DialContext, and pair
// the driver's connector with the Dialer.
func ExampleDialer_Connector() {
	sd, err := sqlx.NewDialer(nil) // a keepconn dialer with peer-first close
	if err != nil {
		log.Fatal(err)
	}
	cfg, err := pgx.ParseConfig("postgres://app@127.0.0.1:5432/app?sslmode=disable")
	if err != nil {
		log.Fatal(err)
	}
	cfg.DialFunc = sd.DialContext
	c := sd.Connector(stdlib.GetConnector(*cfg), sqlx.ServerInfo{
		Driver: "pgx", Dialect: sqlx.DialectPostgres, Address: "127.0.0.1:5432"})
	db, err := sqlx.Open(c, sqlx.Config{MaxOpen: 20, AutoTune: true, Logger: slog.Default()})
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
}

// Watch a *sql.DB opened elsewhere: the advisor from DBStats alone.
func ExampleWatch() {
	var db *sql.DB // opened by someone else, with SetMaxIdleConns(10)
	if db == nil {
		return
	}
	w, err := sqlx.Watch(db, sqlx.WatchConfig{MaxIdle: 10, ServerAddress: "127.0.0.1:5432"})
	if err != nil {
		log.Fatal(err)
	}
	defer w.Close()
	time.Sleep(sqlx.DefaultAdvisorWindow)
	for _, a := range w.Advice().Advice {
		fmt.Println(a.Message)
	}
}

// Every invalid setting is a ConfigError naming the field and the value.
func ExampleConfigError() {
	sd, _ := sqlx.NewDialer(nil)
	_, err := sqlx.Open(sd.Connector(nil, sqlx.ServerInfo{}), sqlx.Config{MaxOpen: 10, MaxIdle: 20})
	var ce *sqlx.ConfigError
	if errors.As(err, &ce) {
		fmt.Println(ce.Field, ce.Value)
		fmt.Println(err)
	}
	// Output:
	// sqlx.Config.MaxIdle 20
	// keepconn: sqlx.Config.MaxIdle = 20: must be at most 10
}

package sqlx_test

import (
	"testing"

	"github.com/keepconn/keepconn/internal/dbtest"
	"github.com/keepconn/keepconn/sqlx"
	"github.com/keepconn/keepconn/sqlx/pqdriver"
)

// TestPQ: lib/pq dials through sqlx's dialer (pq's Connector.Dialer):
// its connections are tracked, the server's idle timeout is read, and the
// counts agree after Close.
func TestPQ(t *testing.T) {
	srv := dbtest.Postgres(t)
	db, err := pqdriver.Open(srv.PostgresURL(), sqlx.Config{MaxOpen: 4, MaxIdle: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	r := runBursts(db.DB, 4, 10, 0)
	if r.errs != 0 {
		t.Fatalf("%d queries failed: %v", r.errs, r.firstErr)
	}
	s := quiet(t, db)
	if s.Opened == 0 || s.MaxIdleClosed == 0 || s.MaxIdleClosed != s.DB.MaxIdleClosed {
		t.Errorf("Opened %d, MaxIdleClosed %d (database/sql: %d): want dials and churn at MaxIdle 1, counted alike",
			s.Opened, s.MaxIdleClosed, s.DB.MaxIdleClosed)
	}
	if name := db.Connector().Info().Address; name != srv.Addr() {
		t.Errorf("server address %q, want %q", name, srv.Addr())
	}
	db.Close()
	checkIdentities(t, settled(t, db))
}

// TestZeroConfig: the zero Config is a capped pool whose idle cap is its
// open cap, not database/sql's unlimited MaxOpen with 2 idle.
func TestZeroConfig(t *testing.T) {
	sd, err := sqlx.NewDialer(nil)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlx.Open(sd.Connector(nil, sqlx.ServerInfo{}), sqlx.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if s := db.Stats(); s.MaxOpen != sqlx.DefaultMaxOpen || s.MaxIdle != sqlx.DefaultMaxOpen {
		t.Errorf("zero Config: MaxOpen %d, MaxIdle %d; want both %d", s.MaxOpen, s.MaxIdle, sqlx.DefaultMaxOpen)
	}
}

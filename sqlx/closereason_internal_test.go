package sqlx

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"testing"

	"github.com/keepconn/keepconn/internal/telemetry"
)

// A connection database/sql closed at the idle cap before anyone used it
// (it opens connections for waiters that may have gone by the time the
// connection is up) is a MaxIdle close, though it never came back to the
// pool through IsValid; one closed while in use is not.
func TestUnusedConnClosedAtIdleCapIsMaxIdle(t *testing.T) {
	db := sql.OpenDB(stubConnector{})
	defer db.Close()
	db.SetMaxIdleConns(0)
	sc, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	sc.Close() // closed at the idle cap: database/sql counts it
	if n := db.Stats().MaxIdleClosed; n != 1 {
		t.Fatalf("database/sql MaxIdleClosed = %d, want 1", n)
	}
	c := &Connector{tr: newTracker()}
	c.db.Store(db)
	used := &conn{c: c}
	used.handed.Store(true) // in use, not parked: database/sql counted another close
	if r, ok := used.closeReason(); ok {
		t.Fatalf("a connection closed in use: reason %v, want none (the socket decides)", r)
	}
	fresh := &conn{c: c}
	fresh.out.Store(true)
	fresh.returnedAt.Store(nanotime())
	fresh.giveBack()
	if r, ok := fresh.closeReason(); !ok || r != telemetry.ReasonMaxIdle {
		t.Fatalf("an unused connection closed at the idle cap: reason %v, %v; want MaxIdle", r, ok)
	}
}

// stubConnector makes connections that do nothing: enough for database/sql
// to open, pool and close them.
type stubConnector struct{}

func (stubConnector) Connect(context.Context) (driver.Conn, error) { return stubConn{}, nil }
func (stubConnector) Driver() driver.Driver                        { return nil }

type stubConn struct{}

func (stubConn) Prepare(string) (driver.Stmt, error) { return nil, errors.New("stub") }
func (stubConn) Close() error                        { return nil }
func (stubConn) Begin() (driver.Tx, error)           { return nil, errors.New("stub") }

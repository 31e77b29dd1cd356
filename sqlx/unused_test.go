package sqlx_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keepconn/keepconn/sqlx"
)

// TestConnOpenedForAWaiterThatLeft: database/sql opens a connection for a
// waiter in the background; when the waiter has gone by the time it is up
// and the idle list is full, database/sql counts it in MaxIdleClosed and
// closes it while holding the DB's lock. sqlx must not ask the DB for its
// counters from inside that close (a deadlock), and must still count the
// close as MaxIdle, as database/sql does.
func TestConnOpenedForAWaiterThatLeft(t *testing.T) {
	addr := holdingListener(t)
	sd, err := sqlx.NewDialer(nil)
	if err != nil {
		t.Fatal(err)
	}
	inner := &gatedConnector{dial: sd.DialContext, addr: addr, free: 2, gate: make(chan struct{})}
	db, err := sqlx.Open(sd.Connector(inner, sqlx.ServerInfo{Driver: "gated"}), sqlx.Config{MaxOpen: 2, MaxIdle: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	a, b := mustConn(t, db.DB), mustConn(t, db.DB) // the pool is full
	waiterCtx, cancel := context.WithCancel(ctx)
	waiter := make(chan error, 1)
	go func() { _, err := db.Conn(waiterCtx); waiter <- err }()
	awaitWaiters(t, db.DB, 1)
	// a breaks: database/sql opens a connection for the waiter (gated).
	a.Raw(func(any) error { return driver.ErrBadConn })
	inner.awaitBlocked(t)
	cancel()
	if err := <-waiter; !errors.Is(err, context.Canceled) {
		t.Fatalf("waiter: %v, want context.Canceled", err)
	}
	b.Close() // the idle list is full now
	close(inner.gate)

	done := make(chan sql.DBStats, 1)
	go func() {
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
			if st := db.DB.Stats(); st.MaxIdleClosed == 1 && st.OpenConnections == 1 {
				done <- st
				return
			}
		}
		done <- db.DB.Stats()
	}()
	select {
	case st := <-done:
		if st.MaxIdleClosed != 1 || st.OpenConnections != 1 {
			t.Fatalf("database/sql: MaxIdleClosed %d, open %d; want 1 and 1 (the late connection closed at the idle cap)",
				st.MaxIdleClosed, st.OpenConnections)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("database/sql's Stats blocked: the close of the late connection holds the DB's lock")
	}
	s := quiet(t, db)
	if s.MaxIdleClosed != 1 {
		t.Errorf("sqlx MaxIdleClosed %d, want 1 like database/sql's\n%+v", s.MaxIdleClosed, s.ConnStats)
	}
	db.Close()
	checkIdentities(t, settled(t, db))
}

func mustConn(t *testing.T, db *sql.DB) *sql.Conn {
	t.Helper()
	c, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// awaitWaiters waits until n callers wait for a connection.
func awaitWaiters(t *testing.T, db *sql.DB, n int64) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); db.Stats().WaitCount < n; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no %d waiters after 5 s", n)
		}
	}
}

// holdingListener accepts connections on loopback and holds each until
// its peer closes it.
func holdingListener(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { io.Copy(io.Discard, c); c.Close() }()
		}
	}()
	return ln.Addr().String()
}

// gatedConnector is a driver whose connections are real sockets that
// carry nothing: its first free Connects go through, later ones wait for
// gate to close.
type gatedConnector struct {
	dial    func(ctx context.Context, network, address string) (net.Conn, error)
	addr    string
	free    int32
	gate    chan struct{}
	calls   atomic.Int32
	blocked atomic.Int32
}

func (g *gatedConnector) Connect(ctx context.Context) (driver.Conn, error) {
	if g.calls.Add(1) > g.free {
		g.blocked.Add(1)
		<-g.gate
	}
	nc, err := g.dial(ctx, "tcp", g.addr)
	if err != nil {
		return nil, err
	}
	return idleConn{nc}, nil
}

func (g *gatedConnector) Driver() driver.Driver { return nil }

func (g *gatedConnector) awaitBlocked(t *testing.T) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); g.blocked.Load() == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("database/sql opened no connection for the waiter")
		}
	}
}

// idleConn is a driver connection that only closes its socket.
type idleConn struct{ nc net.Conn }

func (c idleConn) Prepare(string) (driver.Stmt, error) {
	return nil, errors.New("idleConn: no statements")
}
func (c idleConn) Close() error              { return c.nc.Close() }
func (c idleConn) Begin() (driver.Tx, error) { return nil, errors.New("idleConn: no transactions") }

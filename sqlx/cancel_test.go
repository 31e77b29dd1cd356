package sqlx_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"github.com/keepconn/keepconn/dialer"
	"github.com/keepconn/keepconn/internal/dbtest"
	"github.com/keepconn/keepconn/sqlx"
)

// TestPgxCancelRequest: a query whose context ends makes pgx dial a
// cancel request through the same DialFunc. That dial goes through the
// keepconn dialer (its Stats count it) but is not one of sqlx's
// connections, and the counts still agree.
func TestPgxCancelRequest(t *testing.T) {
	tg := targets[0].start(t, false, dbtest.Options{})
	d := newDialer(t, dialer.Config{})
	db := tg.openSqlx(t, d, sqlx.Config{MaxOpen: 2})
	if err := db.Ping(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := db.ExecContext(ctx, "SELECT pg_sleep(10)")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the deadline", err)
	}
	if err := db.Ping(); err != nil {
		t.Fatalf("ping after the cancel: %v", err)
	}
	db.Close()
	s := settled(t, db)
	ds := d.Stats()
	t.Logf("sqlx: Opened %d (%+v); dialer: Opened %d", s.Opened, s.ConnStats, ds.Opened)
	checkIdentities(t, s)
	if ds.Opened <= s.Opened {
		t.Errorf("dialer Opened %d, sqlx Opened %d: the cancel request's dial is missing", ds.Opened, s.Opened)
	}
}

// TestCancelledWaiterIsNoAcquisition: a waiter whose context ends just as
// database/sql hands it the connection another caller released gives the
// connection back unused, and that is no acquisition: Acquisitions counts
// exactly the connections handed to a caller.
func TestCancelledWaiterIsNoAcquisition(t *testing.T) {
	tg := targets[0].start(t, false, dbtest.Options{})
	db := tg.openSqlx(t, newDialer(t, dialer.Config{}), sqlx.Config{MaxOpen: 1})
	ctx := context.Background()
	var served int64
	deadline := time.Now().Add(10 * time.Second)
	for i := 0; i < 300 && time.Now().Before(deadline); i++ {
		held, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		served++
		waits := db.Stats().DB.WaitCount
		wctx, cancel := context.WithCancel(ctx)
		got := make(chan *sql.Conn, 1)
		go func() {
			c, _ := db.Conn(wctx)
			got <- c
		}()
		for db.Stats().DB.WaitCount == waits { // the waiter is queued
			time.Sleep(50 * time.Microsecond)
		}
		cancel()     // the waiter's context ends…
		held.Close() // …as the connection comes back, which may still go to it
		if c := <-got; c != nil {
			served++
			c.Close()
		}
		cancel()
	}
	if s := db.Stats(); s.Acquisitions != served {
		t.Fatalf("Acquisitions %d, want the %d connections handed to a caller", s.Acquisitions, served)
	}
}

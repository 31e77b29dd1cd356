package sqlx_test

import (
	"context"
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

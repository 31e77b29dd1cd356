package sqlx_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/keepconn/keepconn/internal/dbtest"
	"github.com/keepconn/keepconn/sqlx"
)

// TestLifetimeJitter: connections opened together expire spread over the
// jitter window, not together; each lives at least ConnMaxLifetime; no
// query sees an expired connection.
func TestLifetimeJitter(t *testing.T) {
	const n, life, jitter = 20, time.Second, time.Second
	tg := targets[0].start(t, false, dbtest.Options{})
	db := tg.openSqlx(t, nil, sqlx.Config{MaxOpen: n, ConnMaxLifetime: life, ConnMaxLifetimeJitter: jitter})
	born := time.Now()
	cycle(t, db.DB, n)
	if s := db.Stats(); s.Opened != n {
		t.Fatalf("opened %d connections together, want %d", s.Opened, n)
	}
	var expiries []time.Duration
	seen := int64(0)
	for len(expiries) < n && time.Since(born) < life+jitter+2*time.Second {
		cycle(t, db.DB, n)
		s := db.Stats()
		for ; seen < s.MaxLifetimeClosed && len(expiries) < n; seen++ {
			expiries = append(expiries, time.Since(born))
		}
		time.Sleep(5 * time.Millisecond)
	}
	if len(expiries) < n {
		t.Fatalf("%d of %d connections expired within %s", len(expiries), n, life+jitter+2*time.Second)
	}
	first, last := expiries[0], expiries[n-1]
	t.Logf("%d connections opened together expired between %s and %s", n, first.Round(time.Millisecond), last.Round(time.Millisecond))
	if first < life {
		t.Errorf("first expiry after %s, before ConnMaxLifetime %s", first, life)
	}
	if spread := last - first; spread < jitter/2 {
		t.Errorf("expiries spread over %s, want at least %s of the %s jitter window", spread, jitter/2, jitter)
	}
	if s := db.Stats(); s.BrokenClosed != 0 || s.PeerClosed != 0 {
		t.Errorf("BrokenClosed %d, PeerClosed %d, want 0", s.BrokenClosed, s.PeerClosed)
	}
}

// cycle takes n connections at once, uses each, and gives them back.
func cycle(t *testing.T, db *sql.DB, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	held := make([]*sql.Conn, 0, n)
	for range n {
		c, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
	}
	for _, c := range held {
		if err := c.PingContext(ctx); err != nil {
			t.Errorf("ping: %v", err)
		}
		c.Close()
	}
}

package sqlx_test

import (
	"testing"
	"time"

	"github.com/keepconn/keepconn/internal/dbtest"
	"github.com/keepconn/keepconn/sqlx"
)

// TestMinIdle: MinIdle connections are opened in the background one at a
// time, DefaultMinIdlePace apart, and no more than that.
func TestMinIdle(t *testing.T) {
	const n = 4
	tg := targets[0].start(t, false, dbtest.Options{})
	db := tg.openSqlx(t, nil, sqlx.Config{MaxOpen: 10, MinIdle: n})
	var opened []time.Duration
	start := time.Now()
	for time.Since(start) < 3*time.Second && len(opened) < n {
		if s := db.Stats(); s.Opened > int64(len(opened)) {
			opened = append(opened, time.Since(start))
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(5 * sqlx.DefaultMinIdlePace)
	s := db.Stats()
	t.Logf("MinIdle %d: dials at %v; Idle %d, Opened %d", n, opened, s.Idle, s.Opened)
	if s.Idle != n || s.Opened != n {
		t.Fatalf("Idle %d, Opened %d: want %d and %d", s.Idle, s.Opened, n, n)
	}
	if spread := opened[n-1] - opened[0]; spread < time.Duration(n-2)*sqlx.DefaultMinIdlePace {
		t.Errorf("%d dials within %s: not paced", n, spread)
	}
}

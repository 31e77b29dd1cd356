package sqlx_test

import (
	"testing"

	"github.com/keepconn/keepconn/dialer"
	"github.com/keepconn/keepconn/internal/dbtest"
	"github.com/keepconn/keepconn/sqlx"
)

// TestSeedScenario runs the classic MaxOpen 100 / MaxIdle 10 setting under
// 50 concurrent workers in bursts (each burst holding 50 connections at
// once: runHeldBursts), first with plain database/sql and then
// through sqlx with its default tuning, on the same server in the same
// run: plain churns; sqlx dials at most once per worker, closes nothing at
// the idle cap, and is many times faster.
func TestSeedScenario(t *testing.T) {
	const workers, maxOpen, plainIdle = 50, 100, 10
	for _, tg := range targets {
		t.Run(tg.name, func(t *testing.T) {
			tg := tg.start(t, false, dbtest.Options{})
			bursts, minRatio := 200, 2.0
			if raceEnabled {
				minRatio = 1.3
			}
			if tg.kind == dbtest.KindPostgres {
				minRatio = 20
				if raceEnabled {
					// The race detector slows the Go side ~5x, which
					// bounds sqlx's rate, not the plain one's (bounded by
					// PostgreSQL forking a backend per connection).
					minRatio = 5
				}
			}
			if testing.Short() {
				bursts = 40
			}

			pd := newDialer(t, dialer.Config{})
			plain := tg.openPlain(t, pd)
			plain.SetMaxOpenConns(maxOpen)
			plain.SetMaxIdleConns(plainIdle)
			tw0 := timeWaitTowards(t, tg.addrPort())
			pr := runHeldBursts(plain, workers, bursts)
			tw := timeWaitTowards(t, tg.addrPort()) - tw0
			ps := plain.Stats()
			t.Logf("plain MaxIdle %d: %d queries, %d errors, %.0f q/s, %d dials, MaxIdleClosed %d, client TIME_WAIT +%d (host namespace: tcp_tw_reuse may hide some)",
				plainIdle, pr.queries, pr.errs, pr.qps(), pd.Stats().Opened, ps.MaxIdleClosed, tw)
			plain.Close()

			db := tg.openSqlx(t, nil, sqlx.Config{MaxOpen: maxOpen})
			sr := runHeldBursts(db.DB, workers, bursts)
			s := db.Stats()
			t.Logf("sqlx defaults: %d queries, %d errors, %.0f q/s, %d dials, MaxIdleClosed %d; %.1fx plain",
				sr.queries, sr.errs, sr.qps(), s.Opened, s.MaxIdleClosed, sr.qps()/pr.qps())

			if pr.errs != 0 || sr.errs != 0 {
				t.Errorf("query errors: plain %d (%v), sqlx %d (%v)", pr.errs, pr.firstErr, sr.errs, sr.firstErr)
			}
			if ps.MaxIdleClosed == 0 {
				t.Errorf("plain database/sql did not churn (MaxIdleClosed 0): the scenario shows nothing")
			}
			if s.MaxIdleClosed != 0 || s.DB.MaxIdleClosed != 0 {
				t.Errorf("sqlx MaxIdleClosed = %d (database/sql: %d), want 0", s.MaxIdleClosed, s.DB.MaxIdleClosed)
			}
			if s.Opened > workers {
				t.Errorf("sqlx dialed %d times, want at most %d (one per worker)", s.Opened, workers)
			}
			if ratio := sr.qps() / pr.qps(); ratio < minRatio {
				t.Errorf("sqlx %.0f q/s is %.1fx plain %.0f q/s, want at least %.0fx", sr.qps(), ratio, pr.qps(), minRatio)
			}
			db.Close()
			s = settled(t, db)
			checkIdentities(t, s)
			if s.Closed != s.Opened {
				t.Errorf("after Close: Closed %d, Opened %d: every close should be the application's", s.Closed, s.Opened)
			}
		})
	}
}

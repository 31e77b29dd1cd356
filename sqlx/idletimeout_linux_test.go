package sqlx_test

import (
	"testing"
	"time"

	"github.com/keepconn/keepconn/internal/dbtest"
	"github.com/keepconn/keepconn/internal/netnstest"
	"github.com/keepconn/keepconn/sqlx"
)

// TestServerIdleTimeout: the server closes sessions idle for 2 s
// (MariaDB wait_timeout, PostgreSQL idle_session_timeout) and the load
// pauses 3 s between bursts. sqlx reads the timeout, closes its idle
// connections first (MaxIdleTimeClosed, not PeerClosed), no query fails,
// and with peer-first close the TIME_WAITs are the server's.
func TestServerIdleTimeout(t *testing.T) {
	const n, bursts, gap = 10, 3, 3 * time.Second
	settings := map[dbtest.Kind]map[string]string{
		dbtest.KindPostgres: {"idle_session_timeout": "2s"},
		dbtest.KindMariaDB:  {"wait-timeout": "2"},
	}
	for _, tg := range targets {
		t.Run(tg.name, func(t *testing.T) {
			netnstest.Run(t, wideNS, func(t *testing.T) {
				tg := tg.start(t, true, dbtest.Options{Settings: settings[tg.kind]})
				db := tg.openSqlx(t, nil, sqlx.Config{MaxOpen: n})
				tw0 := timeWaitTowards(t, tg.addrPort())
				r := runBursts(db.DB, n, bursts, gap)
				s := db.Stats()
				t.Logf("server idle timeout %s, ConnMaxIdleTime %s; %d queries, %d errors; MaxIdleTimeClosed %d, PeerClosed %d",
					s.ServerIdleTimeout, s.ConnMaxIdleTime, r.queries, r.errs, s.MaxIdleTimeClosed, s.PeerClosed)
				if s.ServerIdleTimeout != 2*time.Second || s.ConnMaxIdleTime <= 0 || s.ConnMaxIdleTime >= 2*time.Second {
					t.Errorf("discovered %s, ConnMaxIdleTime %s: want 2s and below it", s.ServerIdleTimeout, s.ConnMaxIdleTime)
				}
				if r.errs != 0 {
					t.Errorf("%d queries failed, first: %v", r.errs, r.firstErr)
				}
				// Every close before Close is sqlx's idle timeout, at least
				// one per gap.
				if s.MaxIdleTimeClosed != s.TotalClosed() || s.MaxIdleTimeClosed < bursts-1 {
					t.Errorf("MaxIdleTimeClosed %d of %d closes (PeerClosed %d, BrokenClosed %d): want all, at least %d",
						s.MaxIdleTimeClosed, s.TotalClosed(), s.PeerClosed, s.BrokenClosed, bursts-1)
				}
				db.Close()
				s = settled(t, db)
				checkIdentities(t, s)
				tw := timeWaitTowards(t, tg.addrPort()) - tw0
				t.Logf("%d closes: %d active, %d passive; kernel: %d TIME_WAIT on the client", s.TotalClosed(), s.ActiveCloses, s.PassiveCloses, tw)
				if int64(tw) != s.ActiveCloses || tw != 0 {
					t.Errorf("client TIME_WAIT %d, ActiveCloses %d: want both 0 (the server closes after the goodbye)", tw, s.ActiveCloses)
				}
			})
		})
	}
}

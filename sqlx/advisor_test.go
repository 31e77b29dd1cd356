package sqlx_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/keepconn/keepconn/internal/dbtest"
	"github.com/keepconn/keepconn/sqlx"
)

// syncBuffer is a log sink safe for the advisor's goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

const window = 500 * time.Millisecond

// churnFor runs bursts of 50 for d.
func churnFor(db *sqlx.DB, d time.Duration) burstResult {
	var total burstResult
	for end := time.Now().Add(d); time.Now().Before(end); {
		r := runBursts(db.DB, 50, 5, 0)
		total.queries += r.queries
		total.errs += r.errs
	}
	return total
}

// TestAdvisorNamesTheFix: the plain MaxIdle 10 setting under 50 workers
// gets advice naming the field, its value and the peak concurrency.
func TestAdvisorNamesTheFix(t *testing.T) {
	tg := targets[1].start(t, false, dbtest.Options{})
	var logs syncBuffer
	db := tg.openSqlx(t, nil, sqlx.Config{MaxOpen: 100, MaxIdle: 10, AdvisorWindow: window,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	churnFor(db, 2*window+100*time.Millisecond)
	r := db.Advice()
	var adv *sqlx.Advice
	for i := range r.Advice {
		if r.Advice[i].Field == "sqlx.Config.MaxIdle" {
			adv = &r.Advice[i]
		}
	}
	if adv == nil {
		t.Fatalf("no MaxIdle advice in %+v", r)
	}
	t.Logf("advice: %s", adv.Message)
	t.Logf("log:\n%s", logs.String())
	if sug, _ := adv.Suggested.(int); adv.Current != 10 || sug < 40 || sug > 50 || adv.Applied {
		t.Errorf("advice %+v: want MaxIdle 10 -> the peak in use, 40 to 50, not applied", adv)
	}
	if !strings.Contains(logs.String(), "set MaxIdle to ") {
		t.Errorf("the advice was not logged")
	}
	if s := db.Stats(); s.MaxIdle != 10 {
		t.Errorf("MaxIdle changed to %d without AutoTune", s.MaxIdle)
	}
}

// TestAutoTune: with AutoTune the same setting has MaxIdle raised within
// the advisor's window, after which MaxIdleClosed stops growing.
func TestAutoTune(t *testing.T) {
	tg := targets[1].start(t, false, dbtest.Options{})
	var logs syncBuffer
	db := tg.openSqlx(t, nil, sqlx.Config{MaxOpen: 100, MaxIdle: 10, AdvisorWindow: window, AutoTune: true,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	churnFor(db, 3*window+100*time.Millisecond)
	s1 := quiet(t, db)
	if s1.MaxIdle < 45 {
		t.Fatalf("MaxIdle = %d after %s of churn, want the 50 in use\nlog:\n%s", s1.MaxIdle, 3*window, logs.String())
	}
	r := churnFor(db, time.Second)
	s2 := quiet(t, db)
	t.Logf("MaxIdleClosed %d before the change took hold, +%d in the next %d queries; log:\n%s",
		s1.MaxIdleClosed, s2.MaxIdleClosed-s1.MaxIdleClosed, r.queries, logs.String())
	if s1.MaxIdleClosed == 0 || s2.MaxIdleClosed != s1.MaxIdleClosed {
		t.Errorf("MaxIdleClosed %d then %d: want growth before, none after", s1.MaxIdleClosed, s2.MaxIdleClosed)
	}
	if !strings.Contains(logs.String(), "auto-tune raised MaxIdle") {
		t.Errorf("the change was not logged")
	}
}

// TestWatchPoolBackedDB: stdlib.OpenDBFromPool sets MaxIdle 0 on purpose,
// so every return counts as MaxIdleClosed while pgxpool keeps the
// connection: no advice. A plain *sql.DB with MaxIdle 2 under 20 workers
// gets some.
func TestWatchPoolBackedDB(t *testing.T) {
	tg := targets[0].start(t, false, dbtest.Options{})
	pool, err := pgxpool.New(context.Background(), tg.srv.PostgresURL())
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	pdb := stdlib.OpenDBFromPool(pool)
	defer pdb.Close()
	w, err := sqlx.Watch(pdb, sqlx.WatchConfig{Window: window, ServerAddress: tg.srv.Addr()})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for end := time.Now().Add(2*window + 100*time.Millisecond); time.Now().Before(end); {
		runBursts(pdb, 20, 5, 0)
	}
	if r := w.Advice(); len(r.Advice) != 0 || r.MaxIdleClosed == 0 {
		t.Errorf("pool-backed DB: MaxIdleClosed +%d, advice %+v: want growth and no advice", r.MaxIdleClosed, r.Advice)
	}

	plain := tg.openPlain(t, newDialerT(t))
	pw, err := sqlx.Watch(plain, sqlx.WatchConfig{Window: window, MaxIdle: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer pw.Close()
	for end := time.Now().Add(2*window + 100*time.Millisecond); time.Now().Before(end); {
		runBursts(plain, 20, 5, 0)
	}
	r := pw.Advice()
	if len(r.Advice) == 0 || r.Advice[0].Field != "sql.DB.SetMaxIdleConns" || r.Advice[0].Current != 2 {
		t.Errorf("plain DB with MaxIdle 2 under 20 workers: advice %+v", r.Advice)
	} else {
		t.Logf("watched plain DB: %s", r.Advice[0].Message)
	}
}

// TestWatchIdleTimeoutAdvice: a watched DB whose server closes idle
// sessions after 60 s, with no ConnMaxIdleTime, is told to set one.
func TestWatchIdleTimeoutAdvice(t *testing.T) {
	tg := targets[1].start(t, true, dbtest.Options{Settings: map[string]string{"wait-timeout": "60"}})
	plain := tg.openPlain(t, newDialerT(t))
	w, err := sqlx.Watch(plain, sqlx.WatchConfig{Window: window, Dialect: sqlx.DialectMySQL,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	time.Sleep(window + 200*time.Millisecond)
	r := w.Advice()
	if len(r.Advice) != 1 || r.Advice[0].Field != "sql.DB.SetConnMaxIdleTime" || r.Advice[0].Suggested != 55*time.Second {
		t.Fatalf("advice %+v: want ConnMaxIdleTime 0 -> 55s", r.Advice)
	}
	t.Logf("advice: %s", r.Advice[0].Message)
}

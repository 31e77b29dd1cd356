package sqlx_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/keepconn/keepconn/dialer"
	"github.com/keepconn/keepconn/internal/dbtest"
	"github.com/keepconn/keepconn/internal/sockdiag"
	"github.com/keepconn/keepconn/sqlx"
	"github.com/keepconn/keepconn/sqlx/mysqldriver"
	"github.com/keepconn/keepconn/sqlx/pgxdriver"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if err := dbtest.StopAll(); err != nil && code == 0 {
		fmt.Println("stopping servers:", err)
		code = 1
	}
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Println("goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// target is a server with the two ways of opening it.
type target struct {
	name string
	srv  *dbtest.Server
	kind dbtest.Kind
}

var targets = []target{{"postgresql-pgx", nil, dbtest.KindPostgres}, {"mariadb-mysql", nil, dbtest.KindMariaDB}}

// start returns tg with its server started (shared, or in the current
// namespace when inNS).
func (tg target) start(t testing.TB, own bool, opts dbtest.Options) target {
	t.Helper()
	if own {
		tg.srv = dbtest.StartT(t, tg.kind, opts)
	} else {
		tg.srv = dbtest.Shared(t, tg.kind)
	}
	return tg
}

// openSqlx opens the server through sqlx with its driver sub-package.
func (tg target) openSqlx(t testing.TB, d *dialer.Dialer, cfg sqlx.Config) *sqlx.DB {
	t.Helper()
	c := tg.sqlxConnector(t, d)
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	db, err := sqlx.Open(c, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func (tg target) sqlxConnector(t testing.TB, d *dialer.Dialer) *sqlx.Connector {
	t.Helper()
	var c *sqlx.Connector
	var err error
	switch tg.kind {
	case dbtest.KindPostgres:
		var pc *pgx.ConnConfig
		if pc, err = pgx.ParseConfig(tg.srv.PostgresURL()); err == nil {
			c, err = pgxdriver.Connector(pc, d)
		}
	case dbtest.KindMariaDB:
		var mc *mysql.Config
		if mc, err = mysql.ParseDSN(tg.srv.MySQLDSN()); err == nil {
			c, err = mysqldriver.Connector(mc, d)
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// openPlain opens the server with database/sql and the driver alone,
// dialing through d so that its dials are counted.
func (tg target) openPlain(t testing.TB, d *dialer.Dialer) *sql.DB {
	t.Helper()
	var db *sql.DB
	switch tg.kind {
	case dbtest.KindPostgres:
		pc, err := pgx.ParseConfig(tg.srv.PostgresURL())
		if err != nil {
			t.Fatal(err)
		}
		pc.DialFunc = d.DialContext
		db = sql.OpenDB(stdlib.GetConnector(*pc))
	case dbtest.KindMariaDB:
		mc, err := mysql.ParseDSN(tg.srv.MySQLDSN())
		if err != nil {
			t.Fatal(err)
		}
		mc.DialFunc = d.DialContext
		c, err := mysql.NewConnector(mc)
		if err != nil {
			t.Fatal(err)
		}
		db = sql.OpenDB(c)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func (tg target) addrPort() netip.AddrPort {
	return netip.MustParseAddrPort(tg.srv.Addr())
}

func newDialer(t testing.TB, cfg dialer.Config) *dialer.Dialer {
	t.Helper()
	d, err := dialer.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// burstResult is what a run of bursts measured.
type burstResult struct {
	queries  int
	errs     int
	firstErr error
	elapsed  time.Duration
}

func (r burstResult) qps() float64 { return float64(r.queries) / r.elapsed.Seconds() }

// runBursts runs bursts of `workers` concurrent SELECT 1, one burst after
// the other: the load pattern that makes an idle cap below the
// concurrency churn.
func runBursts(db *sql.DB, workers, bursts int, gap time.Duration) burstResult {
	return burstsOf(db, workers, bursts, gap, false)
}

// runHeldBursts is runBursts whose workers each hold their connection
// until every worker of the burst has one, so that every burst needs
// `workers` connections at once however the scheduler interleaves the
// workers (on a loaded machine a burst's queries otherwise run partly one
// after the other, and an idle cap churns less). db's MaxOpen must be 0
// or at least workers.
func runHeldBursts(db *sql.DB, workers, bursts int) burstResult {
	if m := db.Stats().MaxOpenConnections; m > 0 && m < workers {
		panic(fmt.Sprintf("runHeldBursts: MaxOpen %d below %d workers would wait forever", m, workers))
	}
	return burstsOf(db, workers, bursts, 0, true)
}

func burstsOf(db *sql.DB, workers, bursts int, gap time.Duration, held bool) burstResult {
	var r burstResult
	var mu sync.Mutex
	count := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		r.queries++
		if err != nil {
			r.errs++
			if r.firstErr == nil {
				r.firstErr = err
			}
		}
	}
	start := time.Now()
	for b := range bursts {
		if b > 0 && gap > 0 {
			time.Sleep(gap)
		}
		var wg, acquired sync.WaitGroup
		acquired.Add(workers)
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				if held {
					count(queryHeld(ctx, db, &acquired))
					return
				}
				var one int
				count(db.QueryRowContext(ctx, "SELECT 1").Scan(&one))
			}()
		}
		wg.Wait()
	}
	r.elapsed = time.Since(start)
	if gap > 0 {
		r.elapsed -= time.Duration(bursts-1) * gap
	}
	return r
}

// queryHeld takes a connection, waits until every worker of the burst has
// one (or failed to get one), then runs SELECT 1 on it.
func queryHeld(ctx context.Context, db *sql.DB, acquired *sync.WaitGroup) error {
	conn, err := db.Conn(ctx)
	acquired.Done()
	acquired.Wait()
	if err != nil {
		return err
	}
	defer conn.Close()
	var one int
	return conn.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

// settled waits until every close of db has been reported (the dialer may
// wait for the server's FIN first) and returns the final Stats.
func settled(t testing.TB, db *sqlx.DB) sqlx.Stats {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		s := db.Stats()
		if s.Open == 0 || time.Now().After(deadline) {
			return s
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// checkIdentities asserts that every connection opened was closed once
// by reason and once by side.
func checkIdentities(t testing.TB, s sqlx.Stats) {
	t.Helper()
	sides := s.ActiveCloses + s.PassiveCloses + s.AbortiveCloses
	if s.Opened != s.TotalClosed()+s.Open || s.Opened != sides+s.Open {
		t.Errorf("Opened %d, closes by reason %d, by side %d, Open %d: the counts do not agree\n%+v",
			s.Opened, s.TotalClosed(), sides, s.Open, s.ConnStats)
	}
}

// timeWaitTowards counts the client's TIME_WAIT towards dst once no
// connection to dst is still closing.
func timeWaitTowards(t testing.TB, dst netip.AddrPort) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := sockdiag.AwaitClosed(ctx, dst); err != nil {
		t.Fatal(err)
	}
	c, err := dialer.TimeWaitCensus(ctx)
	if err != nil {
		t.Logf("TIME_WAIT census: %v", err)
		return -1
	}
	return c.ByPeer[dst]
}

func dbtestOptions() dbtest.Options { return dbtest.Options{} }

func newDialerT(t testing.TB) *dialer.Dialer { return newDialer(t, dialer.Config{}) }

// quiet waits until every connection database/sql closed has been
// counted (closes are reported once the dialer's wait for the server's FIN
// ends, in the background: a slow server can hold one back for longer
// than any fixed pause) and the DB's counters stop moving.
func quiet(t testing.TB, db *sqlx.DB) sqlx.Stats {
	t.Helper()
	prev := db.Stats()
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); {
		time.Sleep(100 * time.Millisecond)
		cur := db.Stats()
		if cur.ConnStats == prev.ConnStats && cur.Open == int64(cur.DB.OpenConnections) {
			return cur
		}
		prev = cur
	}
	t.Fatalf("the counters did not settle: %+v", prev.ConnStats)
	return prev
}

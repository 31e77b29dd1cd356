package sqldemo

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/keepconn/keepconn/dialer"
	"github.com/keepconn/keepconn/examples/timewait/internal/table"
	"github.com/keepconn/keepconn/internal/dbtest"
	"github.com/keepconn/keepconn/sqlx"
	"github.com/keepconn/keepconn/sqlx/mysqldriver"
	"github.com/keepconn/keepconn/sqlx/pgxdriver"
)

// Options say what the demo runs. The zero value runs the seed
// scenario: 200 bursts of 50 concurrent SELECT 1 per case.
type Options struct {
	// Bursts and Concurrency shape the load: Bursts rounds of Concurrency
	// concurrent queries, each round after the previous one ended. Zero
	// means 200 and 50.
	Bursts, Concurrency int
	// DSN points the demo at the user's server: a postgres:// URL (pgx)
	// or a go-sql-driver/mysql DSN. Empty: start one (see the package doc).
	DSN string
	// Server picks what to start without a DSN: "postgresql", "mariadb",
	// "inprocess", or empty for the first available in that order.
	Server string
	// Where describes the network namespace, for the header; empty:
	// nothing.
	Where string
}

// InProcessAddr is where the in-process server listens: a fixed port
// outside the demo namespace's ephemeral range.
const InProcessAddr = "127.0.0.1:23390"

// target is the server the cases run against.
type target struct {
	label    string
	addr     netip.AddrPort
	pgURL    string // pgx, else mysql
	mysqlDSN string
	stop     func()
}

// Run runs the three cases and prints the table to w.
func Run(ctx context.Context, w io.Writer, opts Options) error {
	if opts.Bursts == 0 {
		opts.Bursts = 200
	}
	if opts.Concurrency == 0 {
		opts.Concurrency = 50
	}
	tg, err := pickTarget(opts)
	if err != nil {
		return err
	}
	defer tg.stop()
	fmt.Fprintf(w, "server: %s\n", tg.label)
	table.PrintHeader(w, table.Header{Requests: opts.Bursts * opts.Concurrency, Concurrency: opts.Concurrency,
		Detail: fmt.Sprintf("%d bursts of SELECT 1", opts.Bursts), Where: opts.Where, Unit: "queries", RateTitle: "q/s"})
	cases := []struct {
		name            string
		maxOpen, maxIdl int
		sqlx            bool
	}{
		{"database/sql MaxIdle 10", 100, 10, false},
		{"database/sql defaults", 0, 0, false},
		{"keepconn sqlx defaults", 100, 0, true},
	}
	for i, c := range cases {
		row, err := runCase(ctx, tg, opts, c.maxOpen, c.maxIdl, c.sqlx)
		if err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
		row.Index, row.Name = i+1, c.name
		table.PrintRow(w, row)
		if opts.Where != "" && i+1 < len(cases) {
			drainTimeWait(ctx, w, tg.addr)
		}
	}
	table.PrintFooter(w, table.Footer{Notes: []string{
		"new conns: dials through a keepconn dialer. 1, 2: MaxOpen 100 / MaxIdle 10, and database/sql's zero values (no cap, 2 idle);",
		"3: sqlx.Config{MaxOpen: 100} (MaxIdle follows MaxOpen; the dialer waits for the server's FIN after the driver's goodbye).",
		"TIME_WAIT counts are the growth during each case; outside a private namespace (-port-range) the host's tcp_tw_reuse",
		"lets connect() take over TIME_WAIT ports, so they can read low.",
	}})
	return nil
}

// drainTimeWait waits, in a private namespace with few ports, until the
// client-side TIME_WAITs towards the server have expired, so that the next
// case, which dials the same server, starts with every port free.
func drainTimeWait(ctx context.Context, w io.Writer, srv netip.AddrPort) {
	deadline := time.Now().Add(65 * time.Second)
	for said := false; time.Now().Before(deadline); said = true {
		cli, _, err := table.TimeWait(ctx, srv)
		if err != nil || cli == 0 {
			return
		}
		if !said {
			fmt.Fprintf(w, "  (waiting for this case's %d client TIME_WAITs to expire: the next case dials the same server)\n", cli)
		}
		time.Sleep(time.Second)
	}
}

func pickTarget(opts Options) (*target, error) {
	if opts.DSN != "" {
		return dsnTarget(opts.DSN)
	}
	var tried []string
	for _, kind := range []string{"postgresql", "mariadb", "inprocess"} {
		if opts.Server != "" && opts.Server != kind {
			continue
		}
		tg, err := startTarget(kind)
		if err == nil {
			return tg, nil
		}
		if opts.Server != "" || !dbtest.Unavailable(err) {
			return nil, err
		}
		tried = append(tried, err.Error())
	}
	return nil, fmt.Errorf("no server: %s", strings.Join(tried, "; "))
}

func startTarget(kind string) (*target, error) {
	switch kind {
	case "postgresql":
		s, err := dbtest.StartPostgres(dbtest.Options{})
		if err != nil {
			return nil, err
		}
		return &target{label: "PostgreSQL 15 (installed binaries, temporary cluster) at " + s.Addr(),
			addr: netip.MustParseAddrPort(s.Addr()), pgURL: s.PostgresURL(), stop: func() { s.Stop() }}, nil
	case "mariadb":
		s, err := dbtest.StartMariaDB(dbtest.Options{})
		if err != nil {
			return nil, err
		}
		return &target{label: "MariaDB (installed binaries, temporary data directory) at " + s.Addr(),
			addr: netip.MustParseAddrPort(s.Addr()), mysqlDSN: s.MySQLDSN(), stop: func() { s.Stop() }}, nil
	case "inprocess":
		ws, err := startWire(InProcessAddr)
		if err != nil {
			return nil, err
		}
		return &target{label: "in-process MySQL-protocol server at " + ws.addr() +
			" (real wire protocol, no SQL engine: connection setup costs far less than a real server's)",
			addr: netip.MustParseAddrPort(ws.addr()), mysqlDSN: "demo@tcp(" + ws.addr() + ")/", stop: ws.close}, nil
	}
	return nil, fmt.Errorf("unknown server %q: want postgresql, mariadb or inprocess", kind)
}

func dsnTarget(dsn string) (*target, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		pc, err := pgx.ParseConfig(dsn)
		if err != nil {
			return nil, err
		}
		ap, _ := netip.ParseAddrPort(fmt.Sprintf("%s:%d", pc.Host, pc.Port))
		return &target{label: "your PostgreSQL at " + ap.String(), addr: ap, pgURL: dsn, stop: func() {}}, nil
	}
	mc, err := mysql.ParseDSN(dsn)
	if err != nil {
		return nil, err
	}
	ap, _ := netip.ParseAddrPort(mc.Addr)
	return &target{label: "your MySQL/MariaDB at " + mc.Addr, addr: ap, mysqlDSN: dsn, stop: func() {}}, nil
}

// runCase runs the load on one pool and measures it.
func runCase(ctx context.Context, tg *target, opts Options, maxOpen, maxIdle int, useSqlx bool) (table.Row, error) {
	var db *sql.DB
	var opened func() int64
	var done func()
	if useSqlx {
		sdb, err := tg.openSqlx(maxOpen)
		if err != nil {
			return table.Row{}, err
		}
		db, opened, done = sdb.DB, func() int64 { return sdb.Stats().Opened }, func() { sdb.Close(); waitSettled(sdb) }
	} else {
		d, err := dialer.New(dialer.Config{})
		if err != nil {
			return table.Row{}, err
		}
		if db, err = tg.openPlain(d); err != nil {
			return table.Row{}, err
		}
		db.SetMaxOpenConns(maxOpen)
		if maxIdle > 0 {
			db.SetMaxIdleConns(maxIdle)
		}
		opened, done = func() int64 { return d.Stats().Opened }, func() { db.Close(); d.Close() }
	}
	cli0, srv0, _ := table.TimeWait(ctx, tg.addr)
	row := load(ctx, db, opts)
	row.NewConns = opened()
	done()
	cli, srv, _ := table.TimeWait(ctx, tg.addr)
	// TIME_WAITs of earlier cases can be taken over meanwhile (the host's
	// tcp_tw_reuse): a count going down means nothing of this case.
	row.TimeWaitClient, row.TimeWaitServer = max(0, cli-cli0), max(0, srv-srv0)
	row.Reused = max(0, row.OK-row.NewConns)
	return row, nil
}

func waitSettled(db *sqlx.DB) {
	for end := time.Now().Add(5 * time.Second); db.Stats().Open > 0 && time.Now().Before(end); {
		time.Sleep(10 * time.Millisecond)
	}
}

func (tg *target) openPlain(d *dialer.Dialer) (*sql.DB, error) {
	if tg.pgURL != "" {
		pc, err := pgx.ParseConfig(tg.pgURL)
		if err != nil {
			return nil, err
		}
		pc.DialFunc = d.DialContext
		return sql.OpenDB(stdlib.GetConnector(*pc)), nil
	}
	mc, err := mysql.ParseDSN(tg.mysqlDSN)
	if err != nil {
		return nil, err
	}
	mc.DialFunc = d.DialContext
	c, err := mysql.NewConnector(mc)
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(c), nil
}

func (tg *target) openSqlx(maxOpen int) (*sqlx.DB, error) {
	cfg := sqlx.Config{MaxOpen: maxOpen, AdvisorWindow: time.Hour}
	if tg.pgURL != "" {
		return pgxdriver.Open(tg.pgURL, cfg)
	}
	return mysqldriver.Open(tg.mysqlDSN, cfg)
}

// load runs the bursts of SELECT 1 and returns the row's request figures.
func load(ctx context.Context, db *sql.DB, opts Options) table.Row {
	return table.Bursts(ctx, opts.Bursts, opts.Concurrency, func(ctx context.Context) error {
		var one int
		return db.QueryRowContext(ctx, "SELECT 1").Scan(&one)
	}, nil)
}

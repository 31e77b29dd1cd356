// Command timewait shows, side by side, how clients use TCP connections
// under the same load, and what that costs the host in TIME_WAIT sockets
// and ephemeral ports: four HTTP clients by default, database/sql pools
// with -proto sql, go-redis clients with -proto redis.
//
//	go run ./examples/timewait                      # 20,000 requests, 64 concurrent
//	go run ./examples/timewait -svg timewait.svg    # also chart TIME_WAIT over time
//	go run ./examples/timewait -port-range 1000      # as root: in a private network namespace
//	go run ./examples/timewait -proto sql            # database/sql vs sqlx (-dsn for your server)
//	go run ./examples/timewait -proto redis          # go-redis vs redisx (-addr for your server)
//
// It starts one HTTP server per case on loopback, inside the process, and
// drives it with:
//
//  1. http.DefaultClient (the default Transport: 2 idle connections per host);
//  2. the default Transport, response bodies closed without being read;
//  3. a Transport with keep-alive disabled (one connection per request);
//  4. an httpx.Transport (httpx.Config{}), with the unread bodies of case 2
//     still in the caller.
//
// Each case prints one row: requests, requests per second, new connections
// (accepted by the server), TIME_WAIT sockets the case left on this host
// (client side: towards the server's address; server side: from the
// server's address; both from one kernel listing through sock_diag), reuse
// ratio (httptrace GotConnInfo.Reused), p50/p99 latency and errors. -svg
// charts the namespace's TIME_WAIT total (/proc/net/sockstat) over each
// case. The table itself is printed by package internal/table, which the
// SQL and Redis demos share.
//
// With -port-range N (Linux, root) the program re-executes itself in a new
// network namespace whose ephemeral port range has N ports and whose
// tcp_tw_reuse is 0, so that exhaustion (EADDRNOTAVAIL) shows exactly and
// no other process's sockets are counted.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/keepconn/keepconn/examples/timewait/internal/redisdemo"
	"github.com/keepconn/keepconn/examples/timewait/internal/sqldemo"
	"github.com/redis/go-redis/v9"
)

type options struct {
	n, c, bodySize, portRange int
	svg                       string
	sample                    time.Duration
	timeout                   time.Duration

	proto          string // http, sql or redis
	bursts         int    // sql and redis: rounds of -c concurrent operations
	dsn, addr, srv string // sql: -dsn; redis: -addr; both: -server
}

func main() {
	var o options
	flag.IntVar(&o.n, "n", 20000, "requests per case")
	flag.IntVar(&o.c, "c", 64, "concurrent requests")
	flag.IntVar(&o.bodySize, "body", 2048, "response body size in bytes")
	flag.StringVar(&o.svg, "svg", "", "write a chart of TIME_WAIT over time to this SVG file")
	flag.IntVar(&o.portRange, "port-range", 0, "run in a private network namespace with only this many ephemeral ports and tcp_tw_reuse=0 (Linux, root)")
	flag.DurationVar(&o.sample, "sample", 50*time.Millisecond, "TIME_WAIT sampling interval for -svg")
	flag.DurationVar(&o.timeout, "timeout", 60*time.Second, "time limit of each case")
	flag.StringVar(&o.proto, "proto", "http", "what to compare: http (four HTTP clients), sql (database/sql pools and sqlx), redis (go-redis clients and redisx)")
	flag.IntVar(&o.bursts, "bursts", 0, "sql and redis: rounds of -c concurrent operations (0: 200)")
	flag.StringVar(&o.dsn, "dsn", "", "sql: your server (a postgres:// URL for pgx, or a go-sql-driver/mysql DSN); empty: start one")
	flag.StringVar(&o.addr, "addr", "", "redis: your server's host:port; empty: start one")
	flag.StringVar(&o.srv, "server", "", "sql: postgresql, mariadb or inprocess; redis: redis-server or miniredis; empty: the first available")
	flag.Parse()
	if !flagSet("c") && o.proto != "http" {
		o.c = 50 // the seed scenario: bursts of 50
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "timewait:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	if o.n < 1 || o.c < 1 {
		return fmt.Errorf("-n %d -c %d: both must be at least 1", o.n, o.c)
	}
	if o.portRange > 0 && !inNetns() {
		if o.portRange < 1 || o.portRange > 20000 {
			return fmt.Errorf("-port-range %d: want 1…20000", o.portRange)
		}
		return reexecInNetns(o.portRange)
	}
	if inNetns() {
		if err := setupNetns(o.portRange); err != nil {
			return fmt.Errorf("setting up the network namespace: %w", err)
		}
	}
	switch o.proto {
	case "sql", "redis":
		return runProto(o)
	case "http", "":
	default:
		return fmt.Errorf("-proto %q: want http, sql or redis", o.proto)
	}
	printHeader(o)
	var results []*result
	for i, c := range cases() {
		r, err := runCase(o, i, c)
		if err != nil {
			return fmt.Errorf("case %d (%s): %w", i+1, c.name, err)
		}
		printRow(i+1, r)
		results = append(results, r)
	}
	printFooter(o)
	if o.svg != "" {
		if err := writeSVG(o.svg, o, results); err != nil {
			return err
		}
		fmt.Printf("\nchart written to %s\n", o.svg)
	}
	return nil
}

// runProto runs the SQL or Redis comparison.
func runProto(o options) error {
	ctx := context.Background()
	where := ""
	if inNetns() {
		where = fmt.Sprintf("private network namespace, %d ephemeral ports, tcp_tw_reuse 0", o.portRange)
	}
	if o.proto == "sql" {
		return sqldemo.Run(ctx, os.Stdout, sqldemo.Options{Bursts: o.bursts, Concurrency: o.c, DSN: o.dsn, Server: o.srv, Where: where})
	}
	// go-redis logs every failed dial; in the outage mode that is thousands
	// of lines the table already counts.
	redis.SetLogger(quietRedisLog{})
	return redisdemo.Run(ctx, os.Stdout, redisdemo.Options{Bursts: o.bursts, Concurrency: o.c, Addr: o.addr, Server: o.srv, Where: where})
}

// flagSet reports whether the named flag was given on the command line.
func flagSet(name string) bool {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// quietRedisLog drops go-redis's log lines.
type quietRedisLog struct{}

func (quietRedisLog) Printf(context.Context, string, ...any) {}

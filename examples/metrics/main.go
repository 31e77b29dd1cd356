// Command metrics is a small service that shows keepconn's metrics the way
// an operator sees them: it runs a workload against loopback servers
// inside the process and exports every keepconn instrument on /metrics
// through the OpenTelemetry SDK's Prometheus exporter.
//
//	go run ./examples/metrics                        # steady, 2 minutes, http://127.0.0.1:9464/metrics
//	go run ./examples/metrics -churn                 # the churning configuration
//	go run ./examples/metrics -churn -postgres       # and a sqlx client of a PostgreSQL started here (root)
//	go run ./examples/metrics -churn -duration 20s -svg ops/churn.svg
//
// The clients dial through keepconn dialers with dialer.WatchTimeWait on,
// so TIME_WAIT and the port budget are reported per destination:
//
//   - a pool.Pool of a line protocol (PING/PONG), named "line";
//   - an httpx Transport towards the "api" server;
//   - a plain http.Transport dialing through the dialer, towards the
//     "legacy" server;
//   - a redisx client named "cache" sending PING to miniredis (the Redis
//     protocol in Go, inside the process); redisx dials through a dialer
//     of its own, watched too;
//   - with -postgres, a sqlx DB named "pg" (pgx) running SELECT 1 against
//     a throwaway PostgreSQL 15 started from the Debian binaries
//     (/usr/lib/postgresql/15/bin, package postgresql) on 127.0.0.1.
//
// Each client sends bursts of -burst concurrent requests separated by
// -gap. Steady, every client keeps and reuses its connections. With -churn:
// the pool's MaxIdle is 1 (the seed's misconfiguration: every burst
// re-dials, the releases close, MaxIdleClosed climbs), and so is the sqlx
// DB's, and the redisx client keeps go-redis's settings with an idle cap
// of 1 and sends no QUIT (so it closes first); httpx closes idle
// connections after 10 ms, less than the gap; the plain transport keeps its
// default 2 idle connections per host and its callers close bodies unread.
// The closes are this side's, so TIME_WAIT builds up towards each server,
// as the dashboard in ops/grafana and the alerts in ops/prometheus show.
//
// -postgres needs root: the server runs as the user postgres. The program
// stops after -duration, prints what each client cost, and,
// with -svg, writes a chart of TIME_WAIT per destination and of the
// locally-closed connection rate per client over the run. Everything is on
// loopback.
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"time"
)

type options struct {
	params
	duration time.Duration
	listen   string
	svg      string
	sample   time.Duration
}

func main() {
	var o options
	flag.BoolVar(&o.churn, "churn", false, "run the churning configuration")
	flag.IntVar(&o.burst, "burst", 8, "concurrent requests per burst, per client")
	flag.DurationVar(&o.gap, "gap", 50*time.Millisecond, "pause between bursts")
	flag.BoolVar(&o.postgres, "postgres", false, "also run a sqlx client against a PostgreSQL 15 started here from the Debian binaries (package postgresql)")
	flag.DurationVar(&o.duration, "duration", 2*time.Minute, "how long to run the workload")
	flag.StringVar(&o.listen, "listen", "127.0.0.1:9464", "address to serve /metrics on")
	flag.StringVar(&o.svg, "svg", "", "write a chart of the run to this SVG file")
	flag.DurationVar(&o.sample, "sample", 250*time.Millisecond, "sampling interval of the -svg chart")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "metrics:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	if o.duration <= 0 || o.sample <= 0 {
		return fmt.Errorf("-duration %s -sample %s: both must be positive", o.duration, o.sample)
	}
	s, err := newService(o.params)
	if err != nil {
		return err
	}
	defer s.close()
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return err
	}
	stop := s.serveMetrics(ln)
	defer stop()
	mode := "steady"
	if o.churn {
		mode = "churning"
	}
	fmt.Printf("%s configuration for %s; metrics on http://%s/metrics\n", mode, o.duration, ln.Addr())

	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt)
	defer cancel()
	ctx, cancelRun := context.WithTimeout(ctx, o.duration)
	defer cancelRun()
	var rec *recorder
	if o.svg != "" {
		rec = startRecorder(ctx, s, o.sample)
	}
	start := time.Now()
	l := s.run(ctx)
	elapsed := time.Since(start)
	if err := s.printSummary(os.Stdout, l, elapsed); err != nil {
		return err
	}
	if rec != nil {
		if err := rec.writeSVG(o.svg, o, mode); err != nil {
			return err
		}
		fmt.Printf("chart written to %s\n", o.svg)
	}
	return nil
}

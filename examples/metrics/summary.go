package main

import (
	"fmt"
	"io"
	"net"
	"strings"
	"time"
)

// Prometheus names of the series the summary and the chart read, as the
// OpenTelemetry exporter renders keepconn's instruments.
const (
	promTimeWait  = "keepconn_tcp_time_wait"
	promOpened    = "keepconn_connection_opened_total"
	promClosed    = "keepconn_connection_closed_total"
	labelPool     = "db_client_connection_pool_name"
	labelAddress  = "server_address"
	labelPort     = "server_port"
	labelSide     = "keepconn_close_side"
	labelReason   = "keepconn_close_reason"
	sideActive    = "active"
	reasonMaxIdle = "max_idle"
)

// client names one of the three clients and how its series are found.
type client struct {
	name   string
	tally  *tally
	dest   map[string]string // server_address and server_port of its server
	series map[string]string // the labels of its own keepconn series; nil: none yet
}

// clients lists the clients: four, and sqlx with -postgres. The plain transport has no keepconn
// series of its own but the dialer's, which carry its destination only
// when the dialer labels its series by destination.
func (s *service) clients(l *load) []client {
	if l == nil {
		l = new(load)
	}
	line, api, legacy := destLabels(s.lineSrv.addr()), destLabels(s.apiSrv.addr()), destLabels(s.legacySrv.addr())
	cs := []client{
		{"pool " + poolName, &l.pool, line, map[string]string{labelPool: poolName}},
		{"httpx api", &l.api, api, api},
		{"plain legacy", &l.legacy, legacy, legacy},
		{"redisx " + redisName, &l.redis, destLabels(s.redisSrv.Addr()), map[string]string{labelPool: redisName}},
	}
	if s.db != nil {
		cs = append(cs, client{"sqlx " + sqlName, &l.sql, destLabels(s.pgAddr), map[string]string{labelPool: sqlName}})
	}
	return cs
}

func destLabels(addr string) map[string]string {
	host, port, _ := net.SplitHostPort(addr)
	return map[string]string{labelAddress: host, labelPort: port}
}

// activeCloses returns c's locally-closed connections so far, and whether
// any series of c's was found.
func (c client) activeCloses(f families) (float64, bool) {
	match := with(c.series, labelSide, sideActive)
	n := 0.0
	found := false
	for _, smp := range f.matching(promClosed, match) {
		if c.series[labelPool] == "" && smp.labels[labelPool] != "" {
			continue // a pool towards the same destination
		}
		n += smp.value
		found = true
	}
	return n, found || len(f.matching(promOpened, c.series)) > 0
}

// printSummary prints, per client, what the workload cost, read back from
// the metrics the service exports.
func (s *service) printSummary(w io.Writer, l *load, elapsed time.Duration) error {
	mfs, err := s.registry.Gather()
	if err != nil {
		return err
	}
	f := fromFamilies(mfs)
	fmt.Fprintf(w, "\n%-14s %9s %7s %7s %10s %10s  %s\n", "client", "requests", "req/s", "errors", "opened", "TIME_WAIT", "server")
	for _, c := range s.clients(l) {
		opened := "-"
		if ss := f.matching(promOpened, c.series); len(ss) > 0 {
			var n float64
			for _, smp := range ss {
				if c.series[labelPool] != "" || smp.labels[labelPool] == "" {
					n += smp.value
				}
			}
			opened = fmt.Sprint(n)
		}
		req := c.tally.requests.Load()
		fmt.Fprintf(w, "%-14s %9d %7.0f %7d %10s %10.0f  %s:%s\n", c.name, req, float64(req)/elapsed.Seconds(),
			c.tally.errors.Load(), opened, f.sum(promTimeWait, c.dest), c.dest[labelAddress], c.dest[labelPort])
		if e, ok := c.tally.lastErr.Load().(string); ok {
			fmt.Fprintf(w, "  last error: %s\n", strings.TrimSpace(e))
		}
	}
	return nil
}

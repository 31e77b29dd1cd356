package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/keepconn/keepconn/dialer"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// runService starts a service with p, serves /metrics on loopback and drives the
// workload for d. The service is closed when the test ends.
func runService(t *testing.T, p params, d time.Duration) (*service, *load, string) {
	t.Helper()
	s, err := newService(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.close)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.serveMetrics(ln))
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	l := s.run(ctx)
	for _, c := range s.clients(l) {
		if c.tally.requests.Load() == 0 || c.tally.errors.Load() != 0 {
			t.Fatalf("%s: %d requests, %d errors (last: %v)", c.name, c.tally.requests.Load(), c.tally.errors.Load(), c.tally.lastErr.Load())
		}
	}
	return s, l, "http://" + ln.Addr().String() + "/metrics"
}

// scrape GETs /metrics the way Prometheus does and parses it.
func scrape(t *testing.T, url string) families {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s: %s: %s", url, resp.Status, b)
	}
	f, err := parseText(resp.Body)
	if err != nil {
		t.Fatalf("parsing /metrics: %v", err)
	}
	return f
}

// scrapeWithCensus scrapes while the TIME_WAIT population towards the
// service's in-process servers holds still: a census before and one after the
// scrape must agree on every destination, else it tries again (a TIME_WAIT
// expiring, or a straggling close, moved it).
func scrapeWithCensus(t *testing.T, s *service, url string) (families, dialer.Census) {
	t.Helper()
	dests := s.ownServers(t)
	for try := 0; ; try++ {
		before := census(t)
		f := scrape(t, url)
		after := census(t)
		same := true
		for _, d := range dests {
			same = same && before.ByPeer[d] == after.ByPeer[d]
		}
		if same {
			return f, after
		}
		if try == 10 {
			t.Fatalf("TIME_WAIT towards %v kept changing across scrapes", dests)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// ownServers are the destinations only this process connects to: the
// in-process servers, on ports of their own. (Other tests may use a
// PostgreSQL on the same port as ours and leave TIME_WAIT towards it.)
func (s *service) ownServers(t *testing.T) []netip.AddrPort {
	return []netip.AddrPort{destOf(t, s.lineSrv.addr()), destOf(t, s.apiSrv.addr()), destOf(t, s.legacySrv.addr()), destOf(t, s.redisSrv.Addr())}
}

func census(t *testing.T) dialer.Census {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := dialer.TimeWaitCensus(ctx)
	if err != nil {
		t.Skipf("no TIME_WAIT census on this system: %v", err)
	}
	return c
}

func destOf(t *testing.T, addr string) netip.AddrPort {
	t.Helper()
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	return ap
}

func labelsOf(ap netip.AddrPort) map[string]string {
	return map[string]string{labelAddress: ap.Addr().String(), labelPort: fmt.Sprint(ap.Port())}
}

// TestChurnScrape runs the churning workload in-process, scrapes /metrics
// and checks that every name and label the dashboard and the alert rules
// use is exported with a value that agrees with the kernel and the
// workload.
//
// The sqlx client runs when PostgreSQL 15's Debian binaries are installed
// (package postgresql); with KEEPCONN_REQUIRE_SERVERS=1 it must.
func TestChurnScrape(t *testing.T) {
	p := params{churn: true, burst: 8, gap: 20 * time.Millisecond}
	if err := postgresInstalled(); err != nil {
		if os.Getenv("KEEPCONN_REQUIRE_SERVERS") == "1" {
			t.Fatalf("KEEPCONN_REQUIRE_SERVERS=1: %v", err)
		}
		t.Logf("no sqlx client: %v", err)
	} else {
		p.postgres = true
	}
	s, l, url := runService(t, p, 1500*time.Millisecond)
	time.Sleep(300 * time.Millisecond) // httpx's 10 ms idle timeout closes what is left
	f, c := scrapeWithCensus(t, s, url)
	ran := map[string]bool{"sqlx": s.db != nil}

	t.Run("DashboardNames", func(t *testing.T) { checkNamesExported(t, f, dashboardQueries(t), ran) })
	t.Run("AlertNames", func(t *testing.T) { checkNamesExported(t, f, alertQueries(t), ran) })
	t.Run("TimeWaitMatchesCensus", func(t *testing.T) { checkTimeWait(t, s, f, c) })
	t.Run("PoolValues", func(t *testing.T) { checkPool(t, s, l, f) })
	t.Run("HTTPValues", func(t *testing.T) { checkHTTP(t, s, l, f) })
	t.Run("RedisValues", func(t *testing.T) { checkRedis(t, s, f) })
	t.Run("CloseAttributes", func(t *testing.T) { checkCloseAttributes(t, f) })
	if s.db != nil {
		t.Run("SQLValues", func(t *testing.T) { checkSQL(t, s, f) })
	}
}

// checkSQL: the sqlx DB's series show its idle cap and the churn it causes.
func checkSQL(t *testing.T, s *service, f families) {
	pl := map[string]string{labelPool: sqlName}
	if got := f.sum("db_client_connection_idle_max", pl); got != 1 {
		t.Errorf("db_client_connection_idle_max{pg} = %v, want MaxIdle 1", got)
	}
	if got := f.sum("db_client_connection_max", pl); got != float64(s.burst) {
		t.Errorf("db_client_connection_max{pg} = %v, want MaxOpen %d", got, s.burst)
	}
	opened := f.sum(promOpened, pl)
	maxIdle := f.sum(promClosed, with(pl, labelReason, reasonMaxIdle))
	if opened <= float64(s.burst) || maxIdle == 0 || maxIdle > opened {
		t.Errorf("sqlx pg: %v opened, %v closed for MaxIdle: want more than MaxOpen %d opened (churn), some MaxIdle closes", opened, maxIdle, s.burst)
	}
	pg := labelsOf(destOf(t, s.pgAddr))
	if tw := f.sum(promTimeWait, pg); tw == 0 {
		t.Errorf("%s{%v} = 0 after a churning run", promTimeWait, pg)
	}
}

// checkTimeWait: keepconn_tcp_time_wait per destination is the census's
// figure, measured between two censuses that agree; the churn left some
// towards every server; the port budget is a share.
func checkTimeWait(t *testing.T, s *service, f families, c dialer.Census) {
	dests := s.ownServers(t)
	if got := append(s.dialer.Destinations(), s.redis.Dialer().Destinations()...); len(got) != len(s.clients(nil)) {
		t.Fatalf("dialer destinations %v, want one per client", got)
	}
	var sum float64
	for _, d := range dests {
		got := f.matching(promTimeWait, labelsOf(d))
		if len(got) != 1 {
			t.Fatalf("%s{%s}: %d series, want 1", promTimeWait, d, len(got))
		}
		if got[0].value != float64(c.ByPeer[d]) {
			t.Errorf("%s{%s} = %v, census says %d", promTimeWait, d, got[0].value, c.ByPeer[d])
		}
		if got[0].value == 0 {
			t.Errorf("%s{%s} = 0 after a churning run", promTimeWait, d)
		}
		sum += got[0].value
		u := f.matching("keepconn_port_budget_utilization_ratio", labelsOf(d))
		if len(u) != 1 || u[0].value <= 0 || u[0].value > 1 {
			t.Errorf("keepconn_port_budget_utilization_ratio{%s} = %+v, want one value in (0, 1]", d, u)
		}
	}
	if total := f.sum("keepconn_tcp_time_wait_namespace", nil); total < sum {
		t.Errorf("keepconn_tcp_time_wait_namespace = %v, below the %v towards the servers alone", total, sum)
	}
}

// checkPool: the pool's series agree with the requests made and show the
// idle-cap churn the alert looks for.
func checkPool(t *testing.T, s *service, l *load, f families) {
	pl := map[string]string{labelPool: poolName}
	reused := f.sum("keepconn_pool_acquisitions_total", with(pl, "keepconn_pool_reused", "true"))
	fresh := f.sum("keepconn_pool_acquisitions_total", with(pl, "keepconn_pool_reused", "false"))
	if got, want := reused+fresh, float64(l.pool.requests.Load()); got != want {
		t.Errorf("keepconn_pool_acquisitions_total{%s} = %v reused + %v not, want %v requests", poolName, reused, fresh, want)
	}
	opened := f.sum(promOpened, pl)
	if opened <= float64(s.burst) || fresh > opened || opened > fresh+float64(s.burst) {
		t.Errorf("%s{pool} = %v with %v acquisitions on a new connection: want above MaxConns %d (churn), each used, at most MaxConns dialed ahead", promOpened, opened, fresh, s.burst)
	}
	maxIdle := f.sum(promClosed, map[string]string{labelPool: poolName, labelReason: reasonMaxIdle, labelSide: sideActive})
	if maxIdle == 0 || maxIdle > opened {
		t.Errorf("max_idle active closes %v, opened %v: want some, at most opened", maxIdle, opened)
	}
	if got := f.sum("db_client_connection_max", pl); got != float64(s.burst) {
		t.Errorf("db_client_connection_max = %v, want MaxConns %d", got, s.burst)
	}
	used := f.sum("db_client_connection_count", with(pl, "db_client_connection_state", "used"))
	idle := f.sum("db_client_connection_count", with(pl, "db_client_connection_state", "idle"))
	if used != 0 || idle < 0 || idle > 1 {
		t.Errorf("db_client_connection_count used %v idle %v after the run, want 0 and at most MaxIdle 1", used, idle)
	}
	waits, waited := f.sum("keepconn_pool_waits_total", pl), f.sum("keepconn_pool_wait_duration_seconds_total", pl)
	if waits < 0 || waited < 0 || (waits == 0) != (waited == 0) || waited > 10*waits {
		t.Errorf("pool waits %v, total wait %v s: want both zero or both positive, under 10 s each", waits, waited)
	}
}

// checkHTTP: the httpx host's series agree with otelhttp's request count.
func checkHTTP(t *testing.T, s *service, l *load, f families) {
	api := labelsOf(destOf(t, s.apiSrv.addr()))
	reqs := f.sum("http_client_request_duration_seconds_count", api)
	if want := float64(l.api.requests.Load()); reqs != want {
		t.Errorf("http_client_request_duration_seconds_count{api} = %v, want %v requests", reqs, want)
	}
	var opened, active float64
	for _, smp := range f.matching(promOpened, api) {
		if smp.labels[labelPool] == "" {
			opened += smp.value
		}
	}
	for _, smp := range f.matching(promClosed, with(api, labelSide, sideActive)) {
		active += smp.value
	}
	if opened <= float64(s.burst) || opened > reqs {
		t.Errorf("%s{api} = %v for %v requests: want above MaxConnsPerHost %d (churn) and at most one per request", promOpened, opened, reqs, s.burst)
	}
	if active == 0 || active > opened {
		t.Errorf("active closes towards api %v, opened %v: want some (a 10 ms idle timeout), at most opened", active, opened)
	}
	if len(f.matching("http_client_open_connections", api)) == 0 {
		t.Errorf("no http_client_open_connections for %v", api)
	}
}

// checkRedis: the redisx client's series show its idle-cap churn.
func checkRedis(t *testing.T, s *service, f families) {
	pl := map[string]string{labelPool: redisName}
	if got := f.sum("db_client_connection_max", pl); got != float64(s.burst) {
		t.Errorf("db_client_connection_max{cache} = %v, want PoolSize %d", got, s.burst)
	}
	opened := f.sum(promOpened, pl)
	maxIdle := f.sum(promClosed, map[string]string{labelPool: redisName, labelReason: reasonMaxIdle, labelSide: sideActive})
	if opened <= float64(s.burst) || maxIdle == 0 || maxIdle > opened {
		t.Errorf("redisx cache: %v opened, %v closed first for MaxIdle: want more than PoolSize %d opened (churn), some such closes", opened, maxIdle, s.burst)
	}
}

// checkCloseAttributes: reasons and sides are from the documented sets.
func checkCloseAttributes(t *testing.T, f families) {
	reasons := []string{"closed", "max_idle", "max_idle_time", "max_lifetime", "peer_closed", "broken"}
	sides := []string{"active", "passive", "abortive"}
	for _, smp := range f[promClosed] {
		if !slices.Contains(reasons, smp.labels[labelReason]) || !slices.Contains(sides, smp.labels[labelSide]) {
			t.Errorf("%s with %v", promClosed, smp.labels)
		}
	}
}

// TestSteadyDoesNotChurn: without -churn the same bursts reuse their
// connections, so the panels and alerts the churning run lights stay dark.
func TestSteadyDoesNotChurn(t *testing.T) {
	s, l, url := runService(t, params{burst: 8, gap: 20 * time.Millisecond}, time.Second)
	f := scrape(t, url)
	if n := f.sum(promClosed, map[string]string{labelPool: poolName, labelReason: reasonMaxIdle}); n != 0 {
		t.Errorf("steady pool closed %v connections for MaxIdle", n)
	}
	for _, c := range s.clients(l) {
		var opened float64
		for _, smp := range f.matching(promOpened, c.series) {
			if c.series[labelPool] != "" || smp.labels[labelPool] == "" {
				opened += smp.value
			}
		}
		if opened > float64(2*s.burst) {
			t.Errorf("%s: %v connections opened for bursts of %d: want reuse", c.name, opened, s.burst)
		}
	}
}

// TestDashboardQueriesParse: the dashboard is valid JSON and promtool
// parses every panel's query.
func TestDashboardQueriesParse(t *testing.T) {
	checkPromQL(t, dashboardQueries(t))
}

// TestAlertRules: the shipped rules pass promtool's checks and their unit
// tests.
func TestAlertRules(t *testing.T) {
	dir := filepath.Dir(alertsFile)
	runPromtool(t, dir, "check", "rules", filepath.Base(alertsFile))
	runPromtool(t, dir, "test", "rules", filepath.Base(alertTestsFile))
}

// TestNamesAndLabels pins the extraction the name checks rely on.
func TestNamesAndLabels(t *testing.T) {
	names, labels := namesAndLabels(`sum by (instance, server_address) (rate(keepconn_connection_closed_total{keepconn_close_side="active", x=~"a{b}"}[5m])) / on (instance) group_left max(db_client_connection_max) > bool 28232 / 60 or vector(1)`)
	if !slices.Equal(names, []string{"db_client_connection_max", "keepconn_connection_closed_total"}) {
		t.Errorf("names %v", names)
	}
	if !slices.Equal(labels, []string{"instance", "keepconn_close_side", "server_address", "x"}) {
		t.Errorf("labels %v", labels)
	}
}

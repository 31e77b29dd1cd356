package redisx

import (
	"net/netip"
	"strconv"
	"testing"

	"github.com/keepconn/keepconn/dialer"
	"github.com/keepconn/keepconn/internal/netnstest"
	"github.com/keepconn/keepconn/internal/redistest"
	"github.com/keepconn/keepconn/internal/sockdiag"
	"github.com/redis/go-redis/v9"
)

// churnRun is one client's run of the bursts: its dials as the server
// counted them and the TIME_WAIT left on the client towards its server.
type churnRun struct {
	dials, timeWait int64
	stats           Stats
}

const churnBursts, churnWidth = 100, 50

// What must be shown 2 and 6, in a private namespace with tcp_tw_reuse=0
// (each TIME_WAIT lasts the whole test): PoolSize 10 / MaxIdleConns 2 in
// bursts of 50 churns in plain go-redis; redisx's settings dial at most
// PoolSize; the plain setting through redisx shows its evictions as
// MaxIdleClosed with their TIME_WAIT on the server (≤ 1 % on the client);
// and ActiveCloses equals the kernel's client TIME_WAIT count, with the
// goodbye and without it.
func TestIdleCapChurnInNamespace(t *testing.T) {
	netnstest.Run(t, netnstest.Config{}, func(t *testing.T) {
		ctx := testCtx(t)
		opt := redis.Options{PoolSize: 10, MaxIdleConns: 2}
		run := func(port int, newClient func(*redis.Options) (redis.UniversalClient, func() Stats)) churnRun {
			srv := redistest.StartT(t, redistest.Options{Port: port})
			o := opt
			o.Addr = srv.Addr()
			c, stats := newClient(&o)
			if failed := bursts(ctx, c, churnBursts, churnWidth, 0); failed != 0 {
				t.Fatalf("port %d: %d commands failed", port, failed)
			}
			c.Close()
			var r churnRun
			r.stats = stats()
			n, err := srv.ConnectionsReceived(ctx)
			if err != nil {
				t.Fatal(err)
			}
			r.dials = n - 1 // the harness's readiness PING
			r.timeWait = settledTimeWait(t, netip.MustParseAddrPort(srv.Addr()))
			return r
		}
		redisx := func(cfg Config) func(*redis.Options) (redis.UniversalClient, func() Stats) {
			return func(o *redis.Options) (redis.UniversalClient, func() Stats) {
				c, err := NewClient(o, cfg)
				if err != nil {
					t.Fatal(err)
				}
				return c, c.Stats
			}
		}
		plain := run(6381, func(o *redis.Options) (redis.UniversalClient, func() Stats) {
			return redis.NewClient(o), func() Stats { return Stats{} }
		})
		tuned := run(6382, redisx(Config{}))
		kept := run(6383, redisx(Config{KeepPoolSettings: true}))
		noQuit := run(6384, redisx(Config{KeepPoolSettings: true, DisableQuit: true}))
		cmds := strconv.Itoa(churnBursts * churnWidth)
		t.Logf("%s commands, PoolSize 10 / MaxIdleConns 2, bursts of %d:", cmds, churnWidth)
		t.Logf("  plain go-redis:              %5d dials, %5d client TIME_WAIT", plain.dials, plain.timeWait)
		t.Logf("  redisx:                      %5d dials, %5d client TIME_WAIT", tuned.dials, tuned.timeWait)
		t.Logf("  redisx, setting kept:        %5d dials, %5d client TIME_WAIT, MaxIdleClosed %d, passive %d", kept.dials, kept.timeWait, kept.stats.MaxIdleClosed, kept.stats.PassiveCloses)
		t.Logf("  redisx, kept, without QUIT:  %5d dials, %5d client TIME_WAIT, ActiveCloses %d", noQuit.dials, noQuit.timeWait, noQuit.stats.ActiveCloses)

		if plain.dials < 10*churnBursts/10 || plain.timeWait < plain.dials-10 {
			t.Errorf("plain go-redis did not churn: %d dials, %d TIME_WAIT", plain.dials, plain.timeWait)
		}
		if tuned.dials > 10 || tuned.stats.Opened != tuned.dials || tuned.timeWait != 0 {
			t.Errorf("redisx: %d dials (Opened %d), %d TIME_WAIT; want ≤ PoolSize and none", tuned.dials, tuned.stats.Opened, tuned.timeWait)
		}
		ks := kept.stats
		if ks.Opened != kept.dials || ks.MaxIdleClosed < ks.Opened-10 || ks.MaxIdleClosed+ks.Closed != ks.TotalClosed() {
			t.Errorf("kept setting: %d dials, %+v", kept.dials, ks.ConnStats)
		}
		if kept.timeWait*100 > ks.TotalClosed() {
			t.Errorf("kept setting: %d client TIME_WAIT of %d closes, want ≤ 1 %%", kept.timeWait, ks.TotalClosed())
		}
		for name, r := range map[string]churnRun{"tuned": tuned, "kept": kept, "without QUIT": noQuit} {
			checkIdentities(t, r.stats)
			if r.stats.Open != 0 || r.stats.ActiveCloses != r.timeWait {
				t.Errorf("%s: Open %d; ActiveCloses %d, kernel TIME_WAIT %d", name, r.stats.Open, r.stats.ActiveCloses, r.timeWait)
			}
		}
		if noQuit.stats.ActiveCloses < noQuit.stats.TotalClosed()/2 {
			t.Errorf("without QUIT the client should close first: %+v", noQuit.stats.ConnStats)
		}
	})
}

// settledTimeWait counts the client's TIME_WAIT towards server once no
// connection to it is still closing (sockdiag.AwaitClosed).
func settledTimeWait(t *testing.T, server netip.AddrPort) int64 {
	t.Helper()
	ctx := testCtx(t)
	if err := sockdiag.AwaitClosed(ctx, server); err != nil {
		t.Fatal(err)
	}
	cen, err := dialer.TimeWaitCensus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return int64(cen.ByPeer[server])
}

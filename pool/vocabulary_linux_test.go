package pool_test

import (
	"context"
	"testing"
	"time"

	"github.com/keepconn/keepconn"
	"github.com/keepconn/keepconn/pool"
)

// vocabularyCase drives one churn event through a pool and names the one
// ConnStats close counter, and the side, it must move. The same events
// are driven through every keepconn package (see httpx's mirror of this
// table), so that each counter means the same thing everywhere.
type vocabularyCase struct {
	event  string
	cfg    pool.Config
	drive  func(t *testing.T, v *vocabularyRig) // ends with exactly one connection closed, or Close to come
	reason keepconn.Reason
	side   keepconn.Side
	atStop bool // the close is Close's own
}

// vocabularyRig is what a case drives: a pool on a real loopback server,
// with the client sockets recorded.
type vocabularyRig struct {
	p   *pool.Pool
	srv *lineServer
	rd  *recordingDial
}

func (v *vocabularyRig) acquire(t *testing.T) pool.Conn {
	t.Helper()
	c, err := v.p.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// use makes one round trip on a fresh acquisition and releases it.
func (v *vocabularyRig) use(t *testing.T) {
	t.Helper()
	c := v.acquire(t)
	if err := roundTrip(c, "use"); err != nil {
		t.Fatal(err)
	}
	c.Release()
}

// peerCloses has the server close its connection (FIN, or RST with rst)
// and waits until the client socket has seen it.
func (v *vocabularyRig) peerCloses(t *testing.T, rst bool) {
	t.Helper()
	v.rd.waitState(t, v.srv.closeConns(1, rst))
}

var vocabularyCases = []vocabularyCase{
	{
		event: "idle cap eviction", cfg: pool.Config{MaxConns: 2, MaxIdle: 1},
		drive: func(t *testing.T, v *vocabularyRig) {
			a, b := v.acquire(t), v.acquire(t)
			a.Release()
			b.Release() // MaxIdle full
		},
		reason: keepconn.ReasonMaxIdle, side: keepconn.SideActive,
	},
	{
		event: "idle timeout", cfg: pool.Config{IdleTimeout: 30 * time.Millisecond},
		drive:  func(t *testing.T, v *vocabularyRig) { v.use(t) }, // reaped in the background
		reason: keepconn.ReasonMaxIdleTime, side: keepconn.SideActive,
	},
	{
		event: "lifetime", cfg: pool.Config{MaxLifetime: 30 * time.Millisecond},
		drive:  func(t *testing.T, v *vocabularyRig) { v.use(t) }, // reaped in the background
		reason: keepconn.ReasonMaxLifetime, side: keepconn.SideActive,
	},
	{
		event: "peer FIN, found by the liveness check", cfg: pool.Config{LivenessCheckAfter: pool.CheckEveryReuse},
		drive: func(t *testing.T, v *vocabularyRig) {
			v.use(t)
			v.peerCloses(t, false)
			v.use(t) // the check closes it; a new connection serves
		},
		reason: keepconn.ReasonPeerClosed, side: keepconn.SidePassive,
	},
	{
		event: "peer RST, found by the liveness check", cfg: pool.Config{LivenessCheckAfter: pool.CheckEveryReuse},
		drive: func(t *testing.T, v *vocabularyRig) {
			v.use(t)
			v.peerCloses(t, true)
			v.use(t)
		},
		reason: keepconn.ReasonPeerClosed, side: keepconn.SidePassive,
	},
	{
		event: "peer FIN, failed reuse", cfg: pool.Config{DisableLivenessCheck: true},
		drive: func(t *testing.T, v *vocabularyRig) {
			v.use(t)
			v.peerCloses(t, false)
			c := v.acquire(t)
			if err := roundTrip(c, "after FIN"); err == nil {
				t.Fatal("round trip on a closed connection succeeded")
			}
			c.Destroy()
		},
		reason: keepconn.ReasonPeerClosed, side: keepconn.SidePassive,
	},
	{
		event: "peer RST, failed reuse", cfg: pool.Config{DisableLivenessCheck: true},
		drive: func(t *testing.T, v *vocabularyRig) {
			v.use(t)
			v.peerCloses(t, true)
			c := v.acquire(t)
			if err := roundTrip(c, "after RST"); err == nil {
				t.Fatal("round trip on a reset connection succeeded")
			}
			c.Destroy()
		},
		reason: keepconn.ReasonPeerClosed, side: keepconn.SidePassive,
	},
	{
		event: "broken write", cfg: pool.Config{},
		drive: func(t *testing.T, v *vocabularyRig) {
			c := v.acquire(t)
			c.SetWriteDeadline(time.Now().Add(-time.Second))
			if _, err := c.Write([]byte("never sent\n")); err == nil {
				t.Fatal("write past its deadline succeeded")
			}
			c.Destroy() // the peer is fine: the fault is ours
		},
		reason: keepconn.ReasonBroken, side: keepconn.SideActive,
	},
	{
		event: "application close", cfg: pool.Config{},
		drive:  func(t *testing.T, v *vocabularyRig) { v.use(t) },
		reason: keepconn.ReasonClosed, side: keepconn.SideActive, atStop: true,
	},
	{
		event: "application close, abortive", cfg: pool.Config{AbortIdleClose: true},
		drive:  func(t *testing.T, v *vocabularyRig) { v.use(t) },
		reason: keepconn.ReasonClosed, side: keepconn.SideAbortive, atStop: true,
	},
}

// closeCounts is ConnStats's closes by reason and by side.
func closeCounts(s keepconn.ConnStats) (byReason map[keepconn.Reason]int64, bySide map[keepconn.Side]int64) {
	byReason = map[keepconn.Reason]int64{
		keepconn.ReasonClosed: s.Closed, keepconn.ReasonMaxIdle: s.MaxIdleClosed,
		keepconn.ReasonMaxIdleTime: s.MaxIdleTimeClosed, keepconn.ReasonMaxLifetime: s.MaxLifetimeClosed,
		keepconn.ReasonPeerClosed: s.PeerClosed, keepconn.ReasonBroken: s.BrokenClosed,
	}
	bySide = map[keepconn.Side]int64{
		keepconn.SideActive: s.ActiveCloses, keepconn.SidePassive: s.PassiveCloses, keepconn.SideAbortive: s.AbortiveCloses,
	}
	return byReason, bySide
}

// checkOneClose asserts that s counts exactly one close, of reason r and
// side side.
func checkOneClose(t *testing.T, s keepconn.ConnStats, r keepconn.Reason, side keepconn.Side) {
	t.Helper()
	byReason, bySide := closeCounts(s)
	for _, x := range keepconn.Reasons() {
		if want := map[bool]int64{true: 1}[x == r]; byReason[x] != want {
			t.Errorf("%s closes: %d, want %d", x, byReason[x], want)
		}
	}
	for _, x := range keepconn.Sides() {
		if want := map[bool]int64{true: 1}[x == side]; bySide[x] != want {
			t.Errorf("%s closes: %d, want %d", x, bySide[x], want)
		}
	}
}

// One event, one counter: each churn event moves exactly the counter the
// shared vocabulary names for it, and after Close every connection dialed
// is accounted for by reason and by side.
func TestVocabulary(t *testing.T) {
	for _, tc := range vocabularyCases {
		t.Run(tc.event, func(t *testing.T) {
			srv := startServer(t)
			rd := newRecordingDial(t)
			cfg := tc.cfg
			cfg.Addr, cfg.Dial = srv.addr(), rd.Dial
			p, err := pool.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			tc.drive(t, &vocabularyRig{p: p, srv: srv, rd: rd})
			if tc.atStop {
				if s := p.Stats(); s.TotalClosed() != 0 {
					t.Fatalf("closes before Close: %+v", s.ConnStats)
				}
				opened := p.Stats().Opened
				p.Close()
				s := p.Stats()
				if s.Opened != opened || opened != 1 {
					t.Fatalf("Opened %d, then %d at Close", opened, s.Opened)
				}
				checkOneClose(t, s.ConnStats, tc.reason, tc.side)
				checkDialerAgrees(t, rd, s.ConnStats)
				return
			}
			eventually(t, "the close", func() bool { return p.Stats().TotalClosed() >= 1 })
			time.Sleep(10 * time.Millisecond) // nothing else closes
			before := p.Stats()
			checkOneClose(t, before.ConnStats, tc.reason, tc.side)
			p.Close()
			s := p.Stats()
			sides := s.ActiveCloses + s.PassiveCloses + s.AbortiveCloses
			if s.Open != 0 || s.Opened != s.TotalClosed()+s.Open || s.Opened != sides+s.Open {
				t.Fatalf("after Close: Opened %d, TotalClosed %d, sides %d, Open %d", s.Opened, s.TotalClosed(), sides, s.Open)
			}
			if s.Closed-before.Closed != before.Open {
				t.Fatalf("Close closed %d, want the %d open", s.Closed-before.Closed, before.Open)
			}
			checkDialerAgrees(t, rd, s.ConnStats)
		})
	}
}

// checkDialerAgrees asserts that the keepconn dialer beneath the pool
// counted every close with the pool's reason and the same side: the pool
// closes through dialer.CloseConn, which hands the dialer its reason.
func checkDialerAgrees(t *testing.T, rd *recordingDial, s keepconn.ConnStats) {
	t.Helper()
	var d keepconn.ConnStats
	eventually(t, "the dialer's closes", func() bool {
		d = rd.d.Stats().ConnStats
		return d.TotalClosed() == s.TotalClosed()
	})
	pr, ps := closeCounts(s)
	dr, ds := closeCounts(d)
	for _, r := range keepconn.Reasons() {
		if pr[r] != dr[r] {
			t.Errorf("%s closes: pool %d, dialer %d", r, pr[r], dr[r])
		}
	}
	for _, x := range keepconn.Sides() {
		if ps[x] != ds[x] {
			t.Errorf("%s closes: pool %d, dialer %d", x, ps[x], ds[x])
		}
	}
	if d.Opened != s.Opened || d.Open != 0 {
		t.Errorf("dialer Opened %d Open %d, pool Opened %d", d.Opened, d.Open, s.Opened)
	}
}

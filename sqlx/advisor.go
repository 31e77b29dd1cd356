package sqlx

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"time"

	"github.com/keepconn/keepconn/dialer"
	"github.com/keepconn/keepconn/internal/sockdiag"
)

// Advice is one change the advisor recommends.
type Advice struct {
	// Field is the setting to change, qualified ("sqlx.Config.MaxIdle";
	// for a watched *sql.DB its setter, "sql.DB.SetMaxIdleConns"), or
	// empty for an observation with no setting to change.
	Field string
	// Current and Suggested are its value now and the advised one.
	Current, Suggested any
	// Applied says AutoTune made the change.
	Applied bool
	// Message says what was seen and what to do, in one sentence.
	Message string
}

// Report is the advisor's view of one window.
type Report struct {
	// Window is the time the report covers.
	Window time.Duration
	// MaxIdleClosed, MaxIdleTimeClosed and MaxLifetimeClosed are
	// database/sql's counters' growth in the window.
	MaxIdleClosed, MaxIdleTimeClosed, MaxLifetimeClosed int64
	// Opened is the dials in the window (a watched *sql.DB: unknown, -1).
	Opened int64
	// PeakInUse is the most connections in use at once.
	PeakInUse int64
	// LocalCloseRate is the connections per second closed first by this
	// host (a watched *sql.DB: closes database/sql counted), each holding
	// a local port for 60 s.
	LocalCloseRate float64
	// PortBudget is the sustainable rate of such closes towards the
	// server (dialer.PortBudgetFor), per source address.
	PortBudget float64
	// Advice lists the recommended changes; empty when all is well.
	Advice []Advice
}

// sample is what the advisor reads at the end of a window.
type sample struct {
	at        time.Time
	db        sql.DBStats
	opened    int64 // -1: unknown
	active    int64 // closes by this host first; -1: unknown
	peakInUse int64
	maxIdle   int // -1: unknown
	idleTime  time.Duration
	server    time.Duration
}

type source struct {
	watched bool // a *sql.DB opened elsewhere: advice names its setters
	read    func() sample
	addr    string // server host:port, if known
	maxOpn  func() int
}

type advisor struct {
	src  source
	cfg  Config
	mu   sync.Mutex
	prev sample
	last Report
	seen map[string]bool // advice messages already logged, by field
}

func newAdvisor(src source, cfg Config) *advisor {
	return &advisor{src: src, cfg: cfg, prev: src.read(), seen: map[string]bool{}}
}

func (db *DB) source() source {
	return source{
		addr:   db.c.info.Address,
		maxOpn: db.cfg.maxOpen,
		read: func() sample {
			s := db.Stats()
			return sample{at: time.Now(), db: s.DB, opened: s.Opened, active: s.ActiveCloses,
				peakInUse: db.c.takePeak(), maxIdle: int(s.MaxIdle), idleTime: s.ConnMaxIdleTime,
				server: s.ServerIdleTimeout}
		},
	}
}

// Advice returns the advisor's report on its last complete window
// (Config.AdvisorWindow); before the first one ends, an empty Report.
func (db *DB) Advice() Report {
	db.adv.mu.Lock()
	defer db.adv.mu.Unlock()
	return db.adv.last
}

// adviseNow closes a window: it compares, logs, and with AutoTune applies.
func (db *DB) adviseNow(ctx context.Context) {
	r := db.adv.window(ctx)
	for i, a := range r.Advice {
		if db.cfg.AutoTune && a.Field == field("MaxIdle") {
			db.SetMaxIdleConns(a.Suggested.(int))
			r.Advice[i].Applied = true
			db.log.Info("sqlx: auto-tune raised MaxIdle", "pool", db.cfg.Name, "field", a.Field,
				"from", a.Current, "to", a.Suggested, "reason", a.Message)
			continue
		}
		db.adv.logOnce(db.log, db.cfg.Name, a)
	}
	db.adv.mu.Lock()
	db.adv.last = r
	db.adv.mu.Unlock()
}

func (a *advisor) logOnce(log *slog.Logger, name string, adv Advice) {
	a.mu.Lock()
	defer a.mu.Unlock()
	key := adv.Field + fmt.Sprint(adv.Suggested)
	if a.seen[key] {
		return
	}
	a.seen[key] = true
	if adv.Field == "" {
		log.Warn("sqlx: "+adv.Message, "pool", name)
		return
	}
	log.Warn("sqlx: "+adv.Message, "pool", name, "field", adv.Field, "current", adv.Current, "suggested", adv.Suggested)
}

// window reads a sample and reports on the time since the previous one.
func (a *advisor) window(ctx context.Context) Report {
	cur := a.src.read()
	a.mu.Lock()
	prev := a.prev
	a.prev = cur
	a.mu.Unlock()
	r := evaluate(prev, cur, a.src.maxOpn(), a.budget(ctx))
	if a.src.watched {
		for i := range r.Advice {
			r.Advice[i].Field = setterOf[r.Advice[i].Field]
		}
	}
	return r
}

// budget is the sustainable local-close rate towards the server, from the
// kernel's port range (and listing, when the address is an IP).
func (a *advisor) budget(ctx context.Context) float64 {
	if ap, err := netip.ParseAddrPort(a.src.addr); err == nil {
		if b, err := dialer.PortBudgetFor(ctx, ap); err == nil {
			return b.SustainableRate
		}
	}
	if low, high, err := sockdiag.ReadPortRange(); err == nil {
		return float64(int(high)-int(low)+1) / dialer.TimeWaitLen.Seconds()
	}
	return 28232 / dialer.TimeWaitLen.Seconds()
}

// setterOf names, for a watched *sql.DB, the method that changes a field.
var setterOf = map[string]string{
	field("MaxIdle"):         "sql.DB.SetMaxIdleConns",
	field("ConnMaxIdleTime"): "sql.DB.SetConnMaxIdleTime",
	"":                       "",
}

// evaluate turns two samples into a report with advice.
func evaluate(prev, cur sample, maxOpen int, budget float64) Report {
	w := cur.at.Sub(prev.at)
	r := Report{
		Window:            w,
		MaxIdleClosed:     cur.db.MaxIdleClosed - prev.db.MaxIdleClosed,
		MaxIdleTimeClosed: cur.db.MaxIdleTimeClosed - prev.db.MaxIdleTimeClosed,
		MaxLifetimeClosed: cur.db.MaxLifetimeClosed - prev.db.MaxLifetimeClosed,
		Opened:            -1,
		PeakInUse:         cur.peakInUse,
		PortBudget:        budget,
	}
	if cur.opened >= 0 {
		r.Opened = cur.opened - prev.opened
	}
	secs := max(w.Seconds(), 1e-3)
	if cur.active >= 0 {
		r.LocalCloseRate = float64(cur.active-prev.active) / secs
	} else {
		r.LocalCloseRate = float64(dbStatsLocalCloses(r, cur.maxIdle)) / secs
	}
	if a, ok := adviseMaxIdle(r, cur.maxIdle, maxOpen); ok {
		r.Advice = append(r.Advice, a)
	}
	if a, ok := adviseIdleTime(cur); ok {
		r.Advice = append(r.Advice, a)
	}
	if budget > 0 && r.LocalCloseRate > budget/10 {
		r.Advice = append(r.Advice, Advice{Message: fmt.Sprintf(
			"this host closed %.0f connections/s first over %s: %.0f%% of the port budget towards the server (%.0f/s per source address)",
			r.LocalCloseRate, roundWindow(w), 100*r.LocalCloseRate/budget, budget)})
	}
	return r
}

// dbStatsLocalCloses estimates a watched DB's socket closes from DBStats.
// With no idle cap (0) the "closes" at the cap are taken to be returns to
// a pool behind the driver (stdlib.OpenDBFromPool), not socket closes.
func dbStatsLocalCloses(r Report, maxIdle int) int64 {
	n := r.MaxIdleTimeClosed + r.MaxLifetimeClosed
	if maxIdle > 0 {
		n += r.MaxIdleClosed
	}
	return n
}

// adviseMaxIdle: closes at the idle cap while more were in use than the
// cap keeps. An idle cap of 0 is deliberate (stdlib.OpenDBFromPool keeps
// its connections in pgxpool) and gets no advice.
func adviseMaxIdle(r Report, maxIdle, maxOpen int) (Advice, bool) {
	if r.MaxIdleClosed == 0 || maxIdle <= 0 || r.PeakInUse <= int64(maxIdle) {
		return Advice{}, false
	}
	want := int(r.PeakInUse)
	if maxOpen > 0 {
		want = min(want, maxOpen)
	}
	if want <= maxIdle {
		return Advice{}, false
	}
	return Advice{Field: field("MaxIdle"), Current: maxIdle, Suggested: want, Message: fmt.Sprintf(
		"MaxIdleClosed rose %d in %s while InUse peaked at %d > MaxIdle %d: set MaxIdle to %d",
		r.MaxIdleClosed, roundWindow(r.Window), r.PeakInUse, maxIdle, want)}, true
}

// adviseIdleTime: the server closes idle connections before this side.
func adviseIdleTime(cur sample) (Advice, bool) {
	if cur.server <= 0 || (cur.idleTime > 0 && cur.idleTime < cur.server) {
		return Advice{}, false
	}
	safe := safeIdleTime(cur.server)
	return Advice{Field: field("ConnMaxIdleTime"), Current: cur.idleTime, Suggested: safe, Message: fmt.Sprintf(
		"the server closes idle connections after %s but ConnMaxIdleTime is %s: set ConnMaxIdleTime to %s",
		cur.server, cur.idleTime, safe)}, true
}

func roundWindow(d time.Duration) time.Duration {
	if d >= 10*time.Second {
		return d.Round(time.Second)
	}
	return d.Round(10 * time.Millisecond)
}

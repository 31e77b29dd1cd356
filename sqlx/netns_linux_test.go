package sqlx_test

import (
	"errors"
	"syscall"
	"testing"

	"github.com/keepconn/keepconn/dialer"
	"github.com/keepconn/keepconn/internal/dbtest"
	"github.com/keepconn/keepconn/internal/netnstest"
	"github.com/keepconn/keepconn/sqlx"
)

// A namespace with a large port range away from the servers' fixed ports
// and tcp_tw_reuse=0, so every TIME_WAIT stays countable for 60 s.
var wideNS = netnstest.Config{PortLow: 40000, PortHigh: 59999}

const nsBursts = 40

// TestTimeWaitSide runs the churning setting (MaxIdle 10 under 50
// workers) in a private namespace: plain, with the drivers closing at
// once, ActiveCloses equals the kernel's TIME_WAIT count towards the
// server and most stay on the client; through sqlx's dialer, which waits
// for the server's FIN after the driver's goodbye, at most 1 % stay on
// the client, and ActiveCloses still equals the kernel's count.
func TestTimeWaitSide(t *testing.T) {
	for _, tg := range targets {
		t.Run(tg.name, func(t *testing.T) {
			netnstest.Run(t, wideNS, func(t *testing.T) {
				tg := tg.start(t, true, dbtest.Options{})
				plainTimeWait(t, tg)
				sqlxTimeWait(t, tg)
			})
		})
	}
}

func plainTimeWait(t *testing.T, tg target) {
	d := newDialer(t, dialer.Config{})
	db := tg.openPlain(t, d)
	db.SetMaxOpenConns(100)
	db.SetMaxIdleConns(10)
	tw0 := timeWaitTowards(t, tg.addrPort())
	r := runHeldBursts(db, 50, nsBursts)
	db.Close()
	tw := timeWaitTowards(t, tg.addrPort()) - tw0
	s := d.Stats()
	t.Logf("plain: %d queries, %d dials, %d closes: %d active, %d passive; kernel: %d TIME_WAIT on the client (%.0f%%)",
		r.queries, s.Opened, s.TotalClosed(), s.ActiveCloses, s.PassiveCloses, tw, 100*float64(tw)/float64(s.TotalClosed()))
	if int64(tw) != s.ActiveCloses {
		t.Errorf("plain: dialer ActiveCloses %d, kernel TIME_WAIT %d: they must agree", s.ActiveCloses, tw)
	}
}

func sqlxTimeWait(t *testing.T, tg target) {
	db := tg.openSqlx(t, nil, sqlx.Config{MaxOpen: 100, MaxIdle: 10})
	tw0 := timeWaitTowards(t, tg.addrPort())
	r := runHeldBursts(db.DB, 50, nsBursts)
	db.Close()
	s := settled(t, db)
	tw := timeWaitTowards(t, tg.addrPort()) - tw0
	closes := s.TotalClosed()
	t.Logf("sqlx: %d queries, %d dials, %d closes (MaxIdleClosed %d): %d active, %d passive; kernel: %d TIME_WAIT on the client (%.2f%%)",
		r.queries, s.Opened, closes, s.MaxIdleClosed, s.ActiveCloses, s.PassiveCloses, tw, 100*float64(tw)/float64(closes))
	checkIdentities(t, s)
	if int64(tw) != s.ActiveCloses {
		t.Errorf("sqlx: ActiveCloses %d, kernel TIME_WAIT %d: they must agree", s.ActiveCloses, tw)
	}
	if closes < 100 {
		t.Fatalf("only %d closes: the setting did not churn", closes)
	}
	if float64(tw) > 0.01*float64(closes) {
		t.Errorf("%d of %d TIME_WAIT stayed on the client, want at most 1%%", tw, closes)
	}
}

// TestPortExhaustion: with 100 ephemeral ports and tcp_tw_reuse=0, the
// churning plain setting runs out of ports (EADDRNOTAVAIL through
// errors.Is from a query), while sqlx's default tuning, in a namespace of
// its own with the same range, serves every query.
func TestPortExhaustion(t *testing.T) {
	ns := netnstest.Config{PortLow: 40000, PortHigh: 40099}
	for _, tg := range targets {
		t.Run(tg.name+"/plain", func(t *testing.T) {
			netnstest.Run(t, ns, func(t *testing.T) {
				tg := tg.start(t, true, dbtest.Options{})
				plain := tg.openPlain(t, newDialer(t, dialer.Config{}))
				plain.SetMaxOpenConns(100)
				plain.SetMaxIdleConns(10)
				r := runHeldBursts(plain, 50, 200)
				plain.Close()
				t.Logf("plain MaxIdle 10: %d of %d queries failed; first: %v", r.errs, r.queries, r.firstErr)
				if !errors.Is(r.firstErr, syscall.EADDRNOTAVAIL) {
					t.Errorf("plain: first error %v, want EADDRNOTAVAIL", r.firstErr)
				}
			})
		})
		t.Run(tg.name+"/sqlx", func(t *testing.T) {
			netnstest.Run(t, ns, func(t *testing.T) {
				tg := tg.start(t, true, dbtest.Options{})
				db := tg.openSqlx(t, nil, sqlx.Config{MaxOpen: 100})
				r := runHeldBursts(db.DB, 50, 200)
				s := db.Stats()
				t.Logf("sqlx: %d queries, %d errors, %d dials", r.queries, r.errs, s.Opened)
				if r.errs != 0 || s.AddrNotAvail != 0 {
					t.Errorf("sqlx: %d queries failed (first: %v), %d dials found no port", r.errs, r.firstErr, s.AddrNotAvail)
				}
			})
		})
	}
}

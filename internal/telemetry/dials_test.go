package telemetry

import (
	"context"
	"errors"
	"fmt"
	"syscall"
	"testing"

	"github.com/keepconn/keepconn"
)

func TestDialsCountsExhaustionOnlyWhenItIs(t *testing.T) {
	var d Dials
	d.Opened()
	d.Opened()
	d.Failed(fmt.Errorf("dial: %w", syscall.EADDRNOTAVAIL), false)
	d.Failed(fmt.Errorf("bind: %w", syscall.EADDRNOTAVAIL), true) // a source address gone
	d.Failed(errors.New("refused"), false)
	var s keepconn.ConnStats
	d.AddTo(&s)
	if s.Opened != 2 || s.DialErrors != 3 || s.AddrNotAvail != 1 {
		t.Fatalf("Opened %d DialErrors %d AddrNotAvail %d, want 2 3 1", s.Opened, s.DialErrors, s.AddrNotAvail)
	}
}

func TestClaim(t *testing.T) {
	ctx := context.Background()
	if Claimed(ctx) {
		t.Fatal("a plain context is claimed")
	}
	c := Claim(ctx)
	if !Claimed(c) || !Claimed(context.WithValue(c, struct{}{}, 1)) {
		t.Fatal("a claimed context, or one derived from it, is not claimed")
	}
	if Claim(c) != c {
		t.Fatal("claiming twice wraps the context again")
	}
}

func TestCloseCountsAddTo(t *testing.T) {
	var c Closes
	c.Add(ReasonMaxIdle, SideActive)
	c.Add(ReasonMaxIdle, SideAbortive)
	c.Add(ReasonPeerClosed, SidePassive)
	var s keepconn.ConnStats
	c.Snapshot().AddTo(&s)
	if s.MaxIdleClosed != 2 || s.PeerClosed != 1 || s.ActiveCloses != 1 || s.AbortiveCloses != 1 || s.PassiveCloses != 1 || s.TotalClosed() != 3 {
		t.Fatalf("%+v", s)
	}
}

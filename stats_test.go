package keepconn_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/keepconn/keepconn"
)

func TestAddCloseMovesOneReasonAndOneSide(t *testing.T) {
	reasonField := map[keepconn.Reason]func(keepconn.ConnStats) int64{
		keepconn.ReasonClosed:      func(s keepconn.ConnStats) int64 { return s.Closed },
		keepconn.ReasonMaxIdle:     func(s keepconn.ConnStats) int64 { return s.MaxIdleClosed },
		keepconn.ReasonMaxIdleTime: func(s keepconn.ConnStats) int64 { return s.MaxIdleTimeClosed },
		keepconn.ReasonMaxLifetime: func(s keepconn.ConnStats) int64 { return s.MaxLifetimeClosed },
		keepconn.ReasonPeerClosed:  func(s keepconn.ConnStats) int64 { return s.PeerClosed },
		keepconn.ReasonBroken:      func(s keepconn.ConnStats) int64 { return s.BrokenClosed },
	}
	sideField := map[keepconn.Side]func(keepconn.ConnStats) int64{
		keepconn.SideActive:   func(s keepconn.ConnStats) int64 { return s.ActiveCloses },
		keepconn.SidePassive:  func(s keepconn.ConnStats) int64 { return s.PassiveCloses },
		keepconn.SideAbortive: func(s keepconn.ConnStats) int64 { return s.AbortiveCloses },
	}
	if len(reasonField) != keepconn.NumReasons || len(keepconn.Reasons()) != keepconn.NumReasons {
		t.Fatalf("%d reasons tested, %d listed, NumReasons %d", len(reasonField), len(keepconn.Reasons()), keepconn.NumReasons)
	}
	if len(sideField) != keepconn.NumSides || len(keepconn.Sides()) != keepconn.NumSides {
		t.Fatalf("%d sides tested, %d listed, NumSides %d", len(sideField), len(keepconn.Sides()), keepconn.NumSides)
	}
	for _, r := range keepconn.Reasons() {
		for _, side := range keepconn.Sides() {
			var s keepconn.ConnStats
			s.AddClose(r, side, 3)
			for r2, get := range reasonField {
				if want := map[bool]int64{true: 3}[r2 == r]; get(s) != want {
					t.Errorf("AddClose(%v, %v): reason %v counter = %d, want %d", r, side, r2, get(s), want)
				}
			}
			for s2, get := range sideField {
				if want := map[bool]int64{true: 3}[s2 == side]; get(s) != want {
					t.Errorf("AddClose(%v, %v): side %v counter = %d, want %d", r, side, s2, get(s), want)
				}
			}
			if s.TotalClosed() != 3 {
				t.Errorf("AddClose(%v, %v): TotalClosed = %d, want 3", r, side, s.TotalClosed())
			}
		}
	}
}

func TestNamesAreDistinct(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range keepconn.Reasons() {
		if n := r.String(); n == "unknown" || seen[n] {
			t.Errorf("reason %d named %q", r, n)
		} else {
			seen[n] = true
		}
	}
	for _, s := range keepconn.Sides() {
		if n := s.String(); n == "unknown" || seen[n] {
			t.Errorf("side %d named %q", s, n)
		} else {
			seen[n] = true
		}
	}
	if keepconn.Reason(keepconn.NumReasons).String() != "unknown" || keepconn.Side(keepconn.NumSides).String() != "unknown" {
		t.Error("out-of-range values must be named unknown")
	}
}

func TestConfigErrorNamesFieldAndValue(t *testing.T) {
	cause := errors.New("no such address")
	err := error(&keepconn.ConfigError{Field: "pool.Config.MaxIdle", Value: -1, Reason: "must not be negative", Err: cause})
	msg := err.Error()
	for _, want := range []string{"pool.Config.MaxIdle", "-1", "must not be negative", "no such address"} {
		if !strings.Contains(msg, want) {
			t.Errorf("%q lacks %q", msg, want)
		}
	}
	if !errors.Is(err, cause) {
		t.Error("ConfigError does not unwrap to its cause")
	}
	var ce *keepconn.ConfigError
	if !errors.As(fmt.Errorf("wrapped: %w", err), &ce) || ce.Field != "pool.Config.MaxIdle" {
		t.Error("errors.As does not find the ConfigError")
	}
}

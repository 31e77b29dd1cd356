package telemetry

import (
	"sync"
	"testing"
)

func TestClosesCountsByReasonAndSide(t *testing.T) {
	var c Closes
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 1000 {
				c.Add(ReasonMaxIdle, SideActive)
				c.Add(ReasonPeerClosed, SidePassive)
			}
		}()
	}
	wg.Wait()
	c.Add(ReasonMaxIdle, SideAbortive)
	c.Add(Reason(200), SideActive) // out of range: ignored
	c.Add(ReasonClosed, Side(9))   // out of range: ignored

	s := c.Snapshot()
	checks := []struct {
		name      string
		got, want int64
	}{
		{"max_idle/active", s[ReasonMaxIdle][SideActive], 4000},
		{"by side active", s.BySide(SideActive), 4000},
		{"by side passive", s.BySide(SidePassive), 4000},
		{"by side abortive", s.BySide(SideAbortive), 1},
		{"by reason max_idle", s.ByReason(ReasonMaxIdle), 4001},
		{"by reason peer_closed", s.ByReason(ReasonPeerClosed), 4000},
		{"total", s.Total(), 8001},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %d, want %d", ch.name, ch.got, ch.want)
		}
	}
}

func TestVocabularyNames(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range Reasons() {
		if n := r.String(); n == "unknown" || seen[n] {
			t.Errorf("reason %d named %q", r, n)
		} else {
			seen[n] = true
		}
	}
	for _, s := range Sides() {
		if n := s.String(); n == "unknown" || seen[n] {
			t.Errorf("side %d named %q", s, n)
		} else {
			seen[n] = true
		}
	}
	if len(Reasons()) != int(numReasons) || len(Sides()) != int(numSides) {
		t.Errorf("Reasons() or Sides() does not list every value")
	}
}

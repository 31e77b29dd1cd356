package dialer

import "testing"

func TestCloseLeanTurnsWithinItsLimit(t *testing.T) {
	var l closeLean
	if l.peekFirst() {
		t.Fatal("a new destination peeks first; want shutdown first")
	}
	for range 100 {
		l.note(SidePassive)
	}
	if !l.peekFirst() || l.v.Load() != leanLimit {
		t.Fatalf("after 100 passive closes: peekFirst %v, lean %d; want true, %d", l.peekFirst(), l.v.Load(), leanLimit)
	}
	for range leanLimit {
		l.note(SideActive)
	}
	if l.peekFirst() {
		t.Fatalf("after %d active closes the lean is %d; want shutdown first again", leanLimit, l.v.Load())
	}
	l.note(SideAbortive)
	if l.v.Load() != 0 {
		t.Fatalf("an abortive close moved the lean to %d", l.v.Load())
	}
}

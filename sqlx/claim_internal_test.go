package sqlx

import (
	"sync"
	"sync/atomic"
	"testing"
)

// TestClaimCountedMeanwhile is the interleaving behind an occasional
// MaxIdleClosed one short: close A is counted by database/sql and starts
// its claim; between claimOne's two reads, close B is counted and claims.
// Each increment must still explain one close: reading the counter before
// the claims, A would find B's claim using up its own increment.
func TestClaimCountedMeanwhile(t *testing.T) {
	var counted, have atomic.Int64
	counter := func() int64 { return counted.Load() }
	counted.Add(1) // A, counted before it is closed
	var inB, once bool
	hook := func() {
		if inB || once {
			return
		}
		once, inB = true, true
		counted.Add(1) // B, counted and closed meanwhile
		if !claimOne(&have, counter) {
			t.Error("close B found no increment to claim")
		}
		inB = false
	}
	testHookClaimBetweenReads.Store(&hook)
	defer testHookClaimBetweenReads.Store(nil)
	if !claimOne(&have, counter) {
		t.Fatalf("close A found no increment to claim (claims %d, counted %d)", have.Load(), counted.Load())
	}
	if have.Load() != 2 {
		t.Fatalf("claims = %d, want 2", have.Load())
	}
}

// TestClaimNeverExceedsTheCount: a close that database/sql did not count
// claims nothing, however many closes ask, serially or at once.
func TestClaimNeverExceedsTheCount(t *testing.T) {
	var counted, have atomic.Int64
	counter := func() int64 { return counted.Load() }
	if claimOne(&have, counter) {
		t.Fatal("claimed with nothing counted")
	}
	const closes = 64
	counted.Add(closes / 2) // half of the closes are database/sql's
	var wg sync.WaitGroup
	var won atomic.Int64
	for range closes {
		wg.Go(func() {
			if claimOne(&have, counter) {
				won.Add(1)
			}
		})
	}
	wg.Wait()
	if won.Load() != closes/2 || have.Load() != closes/2 {
		t.Fatalf("claims won %d, recorded %d; want %d each", won.Load(), have.Load(), closes/2)
	}
}

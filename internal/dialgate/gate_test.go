package dialgate

import (
	"context"
	"errors"
	"math"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The backoff after n failures is base doubled n-2 times, capped by the
// limit: never a shift that overflows into a short pause.
func TestBackoffNoOverflow(t *testing.T) {
	const maxD = time.Duration(math.MaxInt64)
	for _, base := range []time.Duration{time.Millisecond, 3 << 40, 1<<62 + 1, maxD} {
		for _, limit := range []time.Duration{base, 2 * time.Second, maxD} {
			if limit < base {
				continue
			}
			prev := time.Duration(0)
			for n := 2; n < 200; n++ {
				b := Backoff(n, base, limit)
				if b < prev || b > limit || b < base {
					t.Fatalf("base %v limit %v: backoff after %d failures %v (before %v)", base, limit, n, b, prev)
				}
				prev = b
			}
			if prev != limit {
				t.Fatalf("base %v limit %v: backoff ends at %v", base, limit, prev)
			}
		}
	}
	if Backoff(1, time.Second, time.Minute) != 0 {
		t.Fatal("a single failure backs off")
	}
}

// While the backend is unproven, concurrent dials share one probe and its
// failure; after two failures dials are refused until the backoff passes.
func TestOneProbeThenBackoff(t *testing.T) {
	refused := errors.New("refused")
	var dials, waits, backoffs atomic.Int32
	g := &Gate{Base: time.Hour, Max: time.Hour,
		OnWait: func() { waits.Add(1) }, OnBackoff: func() { backoffs.Add(1) }}
	release := make(chan struct{})
	dial := func() (net.Conn, error) { dials.Add(1); <-release; return nil, refused }
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := g.Dial(context.Background(), false, dial); !errors.Is(err, refused) {
				t.Errorf("dial: %v, want the probe's failure", err)
			}
		}()
	}
	for waits.Load() < 7 {
		time.Sleep(time.Millisecond)
	}
	close(release)
	wg.Wait()
	if dials.Load() != 1 || waits.Load() != 7 {
		t.Fatalf("%d dials, %d waits; want 1 probe and 7 waits", dials.Load(), waits.Load())
	}
	if _, err := g.Dial(context.Background(), false, dial); !errors.Is(err, refused) { // second failure
		t.Fatal(err)
	}
	_, err := g.Dial(context.Background(), false, dial)
	if !errors.Is(err, ErrBackoff) || !errors.Is(err, refused) || backoffs.Load() != 1 || dials.Load() != 2 {
		t.Fatalf("third dial: %v after %d dials, %d backoffs; want ErrBackoff wrapping the failure, no dial", err, dials.Load(), backoffs.Load())
	}
}

// A healthy backend dials in parallel, without a probe.
func TestHealthyDialsInParallel(t *testing.T) {
	g := &Gate{Base: time.Millisecond, Max: time.Second}
	var inFlight, most atomic.Int32
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			g.Dial(context.Background(), true, func() (net.Conn, error) {
				n := inFlight.Add(1)
				for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
				}
				time.Sleep(20 * time.Millisecond)
				inFlight.Add(-1)
				return nil, nil
			})
		}()
	}
	wg.Wait()
	if most.Load() < 2 {
		t.Fatalf("at most %d dials at once, want them in parallel", most.Load())
	}
}

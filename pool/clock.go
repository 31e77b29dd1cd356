package pool

import (
	"sync"
	"sync/atomic"
	"time"
)

// The pools measure time in nanoseconds on Go's monotonic clock, from
// clockEpoch. Dials and the background maintenance read it exactly
// (preciseNow); Acquire and Release, which run for every request, read a
// copy that a background goroutine refreshes every clockTick (ticks.now).
// Reading the exact clock costs a vDSO call, 20–40 ns under kvm-clock,
// which is as much as the rest of Acquire+Release adds to puddle; reading
// the copy is an atomic load.
var clockEpoch = time.Now()

// clockTick is the step of the coarse clock, and so the resolution of idle
// times: the liveness check's LivenessCheckAfter threshold and IdleTimeout.
const clockTick = 50 * time.Millisecond

// clockOrigin is the pool clock's reading at clockEpoch: 2^40 ns, about 18
// minutes, so that a connection that was never stamped (lastUsed 0) looks
// long idle, and is checked or reaped, rather than just used.
const clockOrigin = 1 << 40

// preciseNow returns the exact pool clock, never zero.
func preciseNow() int64 { return int64(time.Since(clockEpoch)) + clockOrigin }

// ticks is the coarse clock shared by every pool of the process: one
// goroutine, running only while some open pool uses it.
var ticks coarseClock

// coarseClock is preciseNow as of its last tick. While it runs, it lags the
// exact clock by at most clockTick plus however long the Go scheduler
// delays its goroutine: a process starved of CPU for longer than a tick
// reads idle times too short, and may skip a liveness check that was due.
type coarseClock struct {
	last atomic.Int64
	held atomic.Bool // tests: the ticks do not move the clock

	mu    sync.Mutex
	users int
	stop  chan struct{}
	done  chan struct{}
}

// now returns the clock as of its last tick, never zero while a pool
// subscribes.
func (k *coarseClock) now() int64 { return k.last.Load() }

// subscribe starts the clock for a pool, if no other pool has.
func (k *coarseClock) subscribe() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.users++
	if k.users > 1 {
		return
	}
	k.last.Store(preciseNow())
	k.stop, k.done = make(chan struct{}), make(chan struct{})
	go k.run(k.stop, k.done)
}

// unsubscribe stops the clock when the last pool using it leaves, and
// waits for its goroutine to end.
func (k *coarseClock) unsubscribe() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.users--
	if k.users > 0 {
		return
	}
	close(k.stop)
	<-k.done
}

func (k *coarseClock) run(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(clockTick)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			if !k.held.Load() {
				k.last.Store(preciseNow())
			}
		}
	}
}

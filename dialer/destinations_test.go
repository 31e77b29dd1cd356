package dialer

import (
	"context"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keepconn/keepconn/internal/telemetry"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
)

// Pods come and go: a dialer's tracked destinations, and the metric
// series they carry, follow the destinations in use, within the cap.
func TestDestinationsFollowTheLiveSet(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(context.Background())
	d := mustNew(t, Config{MeterProvider: mp})
	var clock atomic.Int64
	d.dests.setClock(clock.Load)

	first := listeners(t, MaxTrackedDestinations) // the first generation of pods
	for _, ln := range first {
		dialOrFail(t, d, ln.Addr().String()).Close()
	}
	held := dialOrFail(t, d, first[0].Addr().String())
	defer held.Close()
	if n := len(d.Destinations()); n != MaxTrackedDestinations {
		t.Fatalf("%d destinations tracked, want %d", n, MaxTrackedDestinations)
	}

	second := listeners(t, 10) // new pods while the old ones are still recent
	for _, ln := range second {
		dialOrFail(t, d, ln.Addr().String()).Close()
	}
	rm := collect(t, reader)
	if got, _ := valueWith(sumPoints(t, rm, telemetry.ConnOpened), attribute.Bool("otel.metric.overflow", true)); got != 10 {
		t.Fatalf("overflow series opened = %d, want 10 while the set is full", got)
	}

	clock.Add(int64(DestinationIdleTimeout) + 1) // the first pods are gone
	if got := d.Destinations(); len(got) != 1 || got[0] != addrPortOf(first[0].Addr()) {
		t.Fatalf("Destinations = %v after the idle timeout, want only the one with an open connection", got)
	}
	for _, ln := range second {
		dialOrFail(t, d, ln.Addr().String()).Close()
	}
	if n := len(d.Destinations()); n != 11 {
		t.Fatalf("%d destinations, want the held one and the 10 new pods", n)
	}
	opened := sumPoints(t, collect(t, reader), telemetry.ConnOpened)
	if got, ok := valueWith(opened, destAttrs(first[1].Addr().String())...); ok {
		t.Fatalf("a forgotten destination still has a series (opened %d)", got)
	}
	if got, _ := valueWith(opened, destAttrs(second[0].Addr().String())...); got != 1 {
		t.Fatalf("a new pod's series opened = %d, want 1", got)
	}
	if s := d.Stats(); s.Opened != MaxTrackedDestinations+1+20 {
		t.Fatalf("Stats.Opened = %d: Stats must count every destination", s.Opened)
	}
}

func TestDestinationIdleTimeoutOutlastsTimeWait(t *testing.T) {
	if DestinationIdleTimeout <= TimeWaitLen {
		t.Fatalf("DestinationIdleTimeout %v must exceed TimeWaitLen %v, so TIME_WAIT gauges drain before a destination goes", DestinationIdleTimeout, TimeWaitLen)
	}
}

func listeners(t *testing.T, n int) []net.Listener {
	t.Helper()
	out := make([]net.Listener, n)
	for i := range out {
		srv := startServer(t, "127.0.0.1:0", drainUntilEOF)
		out[i] = srv.ln
	}
	return out
}

// A destination in use is never forgotten, also when its use began
// through the recent-destination shortcut while a sweep was forgetting
// it: every acquire's destination is the one the set tracks.
func TestDestinationsRecentRacesTheSweep(t *testing.T) {
	var s destinations
	s.init()
	var clock atomic.Int64 // every reading is past the idle timeout of the last
	s.setClock(func() int64 { return clock.Add(int64(DestinationIdleTimeout) + 1) })
	ap := netip.MustParseAddrPort("192.0.2.1:80")
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
				s.sweep()
			}
		}
	}()
	defer func() { close(stop); wg.Wait() }()
	deadline := time.Now().Add(2 * time.Second)
	for i := 0; i < 300_000 && time.Now().Before(deadline); i++ {
		e := s.acquire(ap)
		s.mu.RLock()
		tracked := s.m[ap]
		s.mu.RUnlock()
		if tracked != e {
			t.Fatalf("acquire %d returned a destination the set no longer tracks (tracked %p, got %p)", i, tracked, e)
		}
		e.release()
	}
}

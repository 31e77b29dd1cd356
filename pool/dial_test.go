package pool_test

import (
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/keepconn/keepconn/pool"
)

// A backend that is down sees one dial, not one per acquirer, and further
// acquirers fail fast during the backoff with the cause still visible.
func TestDialStormBackoff(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens: connection refused
	var dials atomic.Int64
	release := make(chan struct{})
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials.Add(1)
		<-release // a slow, failing connect
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
	p := newPool(t, pool.Config{Addr: addr, Dial: dial, MaxConns: 50, DialBackoff: time.Hour})
	const acquirers = 50
	var wg sync.WaitGroup
	errs := make(chan error, acquirers)
	for range acquirers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := p.Acquire(context.Background())
			errs <- err
		}()
	}
	eventually(t, "acquirers to share the dial", func() bool { return p.Stats().DialWaits == acquirers-1 })
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if !errors.Is(err, syscall.ECONNREFUSED) {
			t.Fatalf("acquirer got %v, want ECONNREFUSED", err)
		}
	}
	if dials.Load() != 1 {
		t.Fatalf("%d acquirers made %d dials, want 1", acquirers, dials.Load())
	}
	// One failure: the next Acquire probes again. Two: back off.
	if _, err = p.Acquire(context.Background()); errors.Is(err, pool.ErrDialBackoff) || !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("Acquire after one failure: %v", err)
	}
	for range 5 {
		_, err = p.Acquire(context.Background())
		if !errors.Is(err, pool.ErrDialBackoff) || !errors.Is(err, syscall.ECONNREFUSED) {
			t.Fatalf("Acquire during backoff: %v", err)
		}
	}
	s := p.Stats()
	if dials.Load() != 2 || s.DialErrors != 2 || s.DialBackoffs != 5 {
		t.Fatalf("dials %d DialErrors %d DialBackoffs %d, want 2, 2, 5", dials.Load(), s.DialErrors, s.DialBackoffs)
	}
}

// After the backoff a dial is tried again, and success ends the backoff.
func TestDialRecovers(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	p := newPool(t, pool.Config{Addr: addr, DialBackoff: time.Millisecond, DialBackoffMax: 20 * time.Millisecond})
	for range 3 {
		if _, err := p.Acquire(context.Background()); err == nil {
			t.Fatal("dial to a closed port succeeded")
		}
		time.Sleep(25 * time.Millisecond)
	}
	ln, err = net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("port taken meanwhile: %v", err)
	}
	serve(t, ln)
	c, err := p.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	c.Release()
	if s := p.Stats(); s.DialErrors != 3 || s.Opened != 1 {
		t.Fatalf("DialErrors %d Opened %d, want 3 and 1", s.DialErrors, s.Opened)
	}
}

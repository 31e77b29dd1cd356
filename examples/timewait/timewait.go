package main

import (
	"context"
	"net/netip"
	"sync"
	"time"

	"github.com/keepconn/keepconn/examples/timewait/internal/table"
)

// sampleTimeWait records, every interval, the namespace's TIME_WAIT total
// minus the total at the start, until the returned function is called.
func sampleTimeWait(interval time.Duration, out *[]sample) (stop func()) {
	base, err := table.KernelTimeWait()
	if err != nil || interval <= 0 {
		return func() {}
	}
	start := time.Now()
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	record := func() {
		if tw, err := table.KernelTimeWait(); err == nil {
			*out = append(*out, sample{at: time.Since(start), tw: max(tw-base, 0)})
		}
	}
	go func() {
		defer wg.Done()
		tick := time.NewTicker(interval)
		defer tick.Stop()
		record()
		for {
			select {
			case <-done:
				record()
				return
			case <-tick.C:
				record()
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

// timeWaitOf counts the TIME_WAIT sockets of the connections to srv on the
// client side (remote address srv) and on the server side (local address
// srv).
func timeWaitOf(srv netip.AddrPort) (client, server int, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return table.TimeWait(ctx, srv)
}

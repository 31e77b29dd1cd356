package table

import (
	"context"
	"errors"
	"sort"
	"sync"
	"syscall"
	"time"
)

// Bursts runs bursts rounds of concurrency concurrent calls of op, each
// round after the previous one ended, each call bounded by 30 s, and
// returns the row's request figures: Requests, OK, Errors, AddrNotAvail
// (EADDRNOTAVAIL, and after how many requests the first one came),
// Elapsed, P50 and P99 of the successful calls. ok says which errors count
// as success (nil: only a nil error).
func Bursts(ctx context.Context, bursts, concurrency int, op func(context.Context) error, ok func(error) bool) Row {
	var mu sync.Mutex
	var row Row
	var lat []time.Duration
	start := time.Now()
	for range bursts {
		var wg sync.WaitGroup
		for range concurrency {
			wg.Add(1)
			go func() {
				defer wg.Done()
				cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
				defer cancel()
				t0 := time.Now()
				err := op(cctx)
				d := time.Since(t0)
				success := err == nil || ok != nil && ok(err)
				mu.Lock()
				defer mu.Unlock()
				row.count(success, err)
				if success {
					lat = append(lat, d)
				}
			}()
		}
		wg.Wait()
	}
	row.Elapsed = time.Since(start)
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	if n := len(lat); n > 0 {
		row.P50, row.P99 = lat[n/2], lat[n*99/100]
	}
	return row
}

// count adds one request's outcome to the row.
func (r *Row) count(success bool, err error) {
	r.Requests++
	switch {
	case success:
		r.OK++
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		if r.AddrNotAvail == 0 {
			r.FirstAddrNotAvail = r.Requests - 1
		}
		r.AddrNotAvail++
		r.Errors++
	default:
		r.Errors++
	}
}

package main

import (
	"context"
	"errors"
	"net/netip"

	"bufio"
	"bytes"
	"fmt"
	"github.com/keepconn/keepconn/dialer"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// sockstatTW reads the namespace's TIME_WAIT total, the "tw" field of
// /proc/net/sockstat (both sides of loopback connections count: they are
// all on this host).
func sockstatTW() (int, error) {
	b, err := os.ReadFile("/proc/net/sockstat")
	if err != nil {
		return 0, err
	}
	for _, line := range bytes.Split(b, []byte("\n")) {
		if !bytes.HasPrefix(line, []byte("TCP:")) {
			continue
		}
		f := strings.Fields(string(line))
		for i := 1; i+1 < len(f); i += 2 {
			if f[i] == "tw" {
				return strconv.Atoi(f[i+1])
			}
		}
	}
	return 0, fmt.Errorf("/proc/net/sockstat: no TCP tw field")
}

// sampleTimeWait records, every interval, the TIME_WAIT total minus the
// total at the start, until the returned function is called.
func sampleTimeWait(interval time.Duration, out *[]sample) (stop func()) {
	base, err := sockstatTW()
	if err != nil || interval <= 0 {
		return func() {}
	}
	start := time.Now()
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	record := func() {
		if tw, err := sockstatTW(); err == nil {
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

// timeWaitOf counts the TIME_WAIT sockets of the connections to srv: on
// the client side (remote address srv) from dialer.TimeWaitCensus, and on
// the server side (local address srv, which the census does not break
// down) from /proc/net/tcp{,6}.
func timeWaitOf(srv netip.AddrPort) (client, server int, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	census, err := dialer.TimeWaitCensus(ctx)
	if errors.Is(err, errors.ErrUnsupported) {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, err
	}
	server, err = serverTimeWait(srv.Port())
	return census.ByPeer[srv], server, err
}

// serverTimeWait counts TIME_WAIT sockets whose local port is port.
func serverTimeWait(port uint16) (server int, err error) {
	hexPort := fmt.Sprintf(":%04X", port)
	for _, path := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		f, err := os.Open(path)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			return 0, err
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) < 4 || fields[3] != "06" {
				continue
			}
			if strings.HasSuffix(fields[1], hexPort) {
				server++
			}
		}
		f.Close()
		if err := sc.Err(); err != nil {
			return 0, err
		}
	}
	return server, nil
}

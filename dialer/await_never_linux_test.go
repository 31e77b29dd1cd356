package dialer

import (
	"bytes"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/keepconn/keepconn/internal/netnstest"
	"github.com/keepconn/keepconn/internal/telemetry"
)

// What must be shown, 3: against a peer that never closes, every close
// ends after the wait, gracefully: the peer reads every byte, then EOF.
func TestAwaitPeerCloseNeverClosingPeer(t *testing.T) {
	netnstest.Run(t, quitNamespace, func(t *testing.T) {
		const conns, wait = 50, 200 * time.Millisecond
		rec := &recorder{hold: make(chan struct{})}
		startServer(t, quitServerAddr, rec.readAll)
		fds, goroutines := openFDs(t), runtime.NumGoroutine()
		d := mustNew(t, Config{AwaitPeerClose: wait})
		payload := bytes.Repeat([]byte("p"), 64<<10) // not read by the peer before the close
		var mu sync.Mutex
		var ended []time.Duration
		var wg sync.WaitGroup
		for range conns {
			c := dialOrFail(t, d, quitServerAddr)
			c.SetWriteDeadline(time.Now().Add(5 * time.Second))
			mustWrite(t, c, payload)
			wg.Add(1)
			start := time.Now()
			err := CloseConn(c, telemetry.ReasonMaxIdleTime, func(s Side) {
				mu.Lock()
				ended = append(ended, time.Since(start))
				mu.Unlock()
				if s != SideActive {
					t.Errorf("side %v, want active: the peer never closed", s)
				}
				if st := d.Stats(); st.AwaitingClose > st.Open {
					t.Errorf("reported with AwaitingClose %d above Open %d: the wait must leave AwaitingClose first", st.AwaitingClose, st.Open)
				}
				wg.Done()
			})
			if took := time.Since(start); err != nil || took > wait/2 {
				t.Fatalf("Close took %v, %v; want at once", took, err)
			}
		}
		close(rec.hold)
		wg.Wait()
		for _, e := range ended {
			if e < wait {
				t.Fatalf("a close ended after %v, before the %v wait", e, wait)
			}
		}
		rec.waitConns(t, conns)
		for i, got := range rec.got() {
			if !bytes.Equal(got, payload) || rec.errs[i] != nil {
				t.Fatalf("conn %d: server read %d bytes, then %v; want all %d, then EOF", i, len(got), rec.errs[i], len(payload))
			}
		}
		s := d.Stats()
		if s.AwaitTimeouts != conns || s.ActiveCloses != conns || s.AwaitingClose != 0 {
			t.Fatalf("stats %+v, want %d waits timed out, closed actively", s, conns)
		}
		d.Close()
		if n := openFDs(t); n != fds {
			t.Errorf("%d descriptors open, want the baseline %d", n, fds)
		}
		if n := runtime.NumGoroutine(); n > goroutines+2 {
			t.Errorf("%d goroutines, want at most the baseline %d plus the server's", n, goroutines)
		}
	})
}

// recorder is a server handler that reads each connection to its end.
type recorder struct {
	hold  chan struct{} // reading starts when it is closed
	mu    sync.Mutex
	data  [][]byte
	errs  []error
	count int
}

func (r *recorder) readAll(c net.Conn) {
	<-r.hold
	var buf bytes.Buffer
	_, err := buf.ReadFrom(c)
	r.mu.Lock()
	r.data = append(r.data, buf.Bytes())
	r.errs = append(r.errs, err)
	r.count++
	r.mu.Unlock()
}

func (r *recorder) waitConns(t *testing.T, n int) {
	t.Helper()
	waitFor(t, "every connection read to its end", func() bool { r.mu.Lock(); defer r.mu.Unlock(); return r.count >= n })
}

func (r *recorder) got() [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.data
}

// silentNamespace holds 10,000 connections that a listener never accepts:
// the peer neither reads nor closes.
var silentNamespace = netnstest.Config{PortLow: 20000, PortHigh: 59999,
	Sysctls: map[string]string{"net.core.somaxconn": "65535", "net.ipv4.tcp_max_syn_backlog": "65535"}}

// The cap on waiting connections holds under 10,000 closes at once.
func TestAwaitPeerCloseCapHolds(t *testing.T) {
	netnstest.Run(t, silentNamespace, func(t *testing.T) {
		const n, maxWait = 10000, 100
		netnstest.Listen(t, quitServerAddr) // never accepts
		d := mustNew(t, Config{AwaitPeerClose: time.Minute, MaxAwaitingClose: maxWait})
		conns := make([]net.Conn, n)
		for i := range conns {
			conns[i] = dialOrFail(t, d, quitServerAddr)
		}
		goroutines := runtime.NumGoroutine()
		var wg sync.WaitGroup
		for w := range 100 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; i < n; i += 100 {
					if err := conns[i].Close(); err != nil {
						t.Error(err)
					}
				}
			}()
		}
		wg.Wait()
		s := d.Stats()
		if s.AwaitingClose != maxWait || s.AwaitOverflows != n-maxWait {
			t.Fatalf("stats %+v; want %d waiting, %d closed at once", s, maxWait, n-maxWait)
		}
		if g := runtime.NumGoroutine(); g > goroutines+maxWait+1 {
			t.Fatalf("%d goroutines for %d waits (baseline %d)", g, maxWait, goroutines)
		}
		start := time.Now()
		if err := d.Close(); err != nil {
			t.Fatal(err)
		}
		s = d.Stats()
		if took := time.Since(start); took > 10*time.Second || s.AwaitTimeouts != maxWait || s.AwaitingClose != 0 || s.ActiveCloses != n {
			t.Fatalf("Dialer.Close took %v; stats %+v; want the %d waits cut short and every close active", took, s, maxWait)
		}
	})
}

package dialer

import (
	"bytes"
	"context"
	"errors"
	"maps"
	"net/netip"
	"os/exec"
	"testing"
	"time"

	"github.com/keepconn/keepconn/internal/netnstest"
	"github.com/keepconn/keepconn/internal/sockdiag"
	"github.com/keepconn/keepconn/internal/sockdiag/twtest"
)

// awaitTimeout bounds the wait for the servers' FINs to turn the clients'
// closes into TIME_WAIT entries; generous, for a loaded machine.
const awaitTimeout = 20 * time.Second

// TestTimeWaitCensusCountsPerDestination: 500 client-first closes towards
// an IPv4 server and 300 towards an IPv6 one give a census of exactly 500
// and 300, 800 in all, the same through netlink, /proc, sockstat and ss.
func TestTimeWaitCensusCountsPerDestination(t *testing.T) {
	cfg := netnstest.Config{PortLow: 20000, PortHigh: 29999}
	netnstest.Run(t, cfg, func(t *testing.T) {
		ctx := context.Background()
		v4 := twtest.Serve(t, "127.0.0.1:5000")
		v6 := twtest.Serve(t, "[::1]:5001")
		d := newCensusDialer(t, Config{})
		censusMust(t, twtest.CloseFirst(ctx, d.DialContext, v4, 500, 4))
		censusMust(t, twtest.CloseFirst(ctx, d.DialContext, v6, 300, 4))
		awaitCensus(t, fromNetlink, 800)

		nl := takeCensus(t, fromNetlink)
		wantPeers := map[netip.AddrPort]int{v4: 500, v6: 300}
		wantLocal := map[netip.Addr]int{v4.Addr(): 500, v6.Addr(): 300}
		if nl.Total != 800 || !maps.Equal(nl.ByPeer, wantPeers) || !maps.Equal(nl.ByLocal, wantLocal) {
			t.Fatalf("netlink census = %d %v %v; want 800 %v %v", nl.Total, nl.ByPeer, nl.ByLocal, wantPeers, wantLocal)
		}
		if nl.Source != CensusNetlink || nl.KernelTotal != 800 {
			t.Fatalf("census source %q, sockstat tw %d; want netlink, 800", nl.Source, nl.KernelTotal)
		}
		proc := takeCensus(t, fromProc)
		if proc.Total != 800 || !maps.Equal(proc.ByPeer, wantPeers) || !maps.Equal(proc.ByLocal, wantLocal) || proc.Source != CensusProc {
			t.Fatalf("/proc census = %+v, want the netlink one %+v", proc, nl)
		}
		auto, err := TimeWaitCensus(ctx)
		if err != nil || auto.Total != 800 || auto.Source != CensusNetlink {
			t.Fatalf("TimeWaitCensus = %+v, %v", auto, err)
		}
		if s := d.Stats(); s.ActiveCloses != 800 {
			t.Fatalf("dialer counted %d active closes, the kernel 800 TIME_WAIT", s.ActiveCloses)
		}
		compareWithSS(t, wantPeers)
	})
}

// TestTimeWaitCensusHonoursContext: a context already done stops the
// census and the budget with its error, on both paths.
func TestTimeWaitCensusHonoursContext(t *testing.T) {
	netnstest.Run(t, netnstest.Config{}, func(t *testing.T) {
		v4 := twtest.Serve(t, "127.0.0.1:5000")
		censusMust(t, twtest.CloseFirst(context.Background(), nil, v4, 20, 2))
		awaitCensus(t, fromNetlink, 20)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		for name, c := range map[string]collector{"netlink": fromNetlink, "proc": fromProc} {
			if _, err := timeWaitCensus(ctx, c); !errors.Is(err, context.Canceled) {
				t.Errorf("%s census with a cancelled context = %v, want context.Canceled", name, err)
			}
		}
		dctx, cancel2 := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
		defer cancel2()
		if _, err := PortBudgetFor(dctx, v4); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("PortBudgetFor past its deadline = %v, want context.DeadlineExceeded", err)
		}
	})
}

// compareWithSS checks the census against `ss -Htan state time-wait` when
// ss is installed.
func compareWithSS(t *testing.T, want map[netip.AddrPort]int) {
	t.Helper()
	if _, err := exec.LookPath("ss"); err != nil {
		t.Log("ss not installed (apt package iproute2): comparison with ss skipped")
		return
	}
	out, err := exec.Command("ss", "-Htan", "state", "time-wait").Output()
	if err != nil {
		t.Fatalf("ss -Htan state time-wait: %v", err)
	}
	got := map[netip.AddrPort]int{}
	for _, line := range bytes.Split(bytes.TrimSpace(out), []byte("\n")) {
		f := bytes.Fields(line)
		if len(f) == 0 {
			continue
		}
		ap, err := netip.ParseAddrPort(string(f[len(f)-1]))
		if err != nil {
			t.Fatalf("ss line %q: %v", line, err)
		}
		got[unmapAddrPort(ap)]++
	}
	if !maps.Equal(got, want) {
		t.Fatalf("ss counts %v, census %v", got, want)
	}
}

func takeCensus(t *testing.T, c collector) Census {
	t.Helper()
	out, err := timeWaitCensus(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// awaitCensus waits until the census counts exactly want TIME_WAIT sockets.
func awaitCensus(t testing.TB, c collector, want int) {
	t.Helper()
	got, err := twtest.Await(awaitTimeout, want, func() (int, error) {
		cs, err := timeWaitCensus(context.Background(), c)
		return cs.Total, err
	})
	if err != nil || got != want {
		out, _ := exec.Command("sh", "-c", "nstat -asz | grep -Ei 'overflow|drop|abort|reset|tw|cookie|estabresets|attemptfails' | grep -v ' 0 '").CombinedOutput()
		t.Fatalf("TIME_WAIT sockets = %d, %v after %v; want %d; sockets by state: %v\n%s",
			got, err, awaitTimeout, want, statesNow(), out)
	}
}

// statesNow counts this namespace's sockets by TCP state, for failure
// messages.
func statesNow() map[uint8]int {
	n := map[uint8]int{}
	sockdiag.Dump(context.Background(), sockdiag.Connected, func(s sockdiag.Socket) { n[s.State]++ })
	return n
}

func newCensusDialer(t testing.TB, cfg Config) *Dialer {
	t.Helper()
	d, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func censusMust(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

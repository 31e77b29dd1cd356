package redistest

import (
	"context"
	"strconv"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestServerAnswersAndStops(t *testing.T) {
	s := StartT(t, Options{Settings: map[string]string{"timeout": "7"}})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := s.Do(ctx, "CONFIG", "GET", "timeout")
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := r.([]any); !ok || len(got) != 2 || got[1] != "7" {
		t.Fatalf("CONFIG GET timeout = %#v, want [timeout 7]", r)
	}
	if _, err := s.Do(ctx, "NOSUCHCOMMAND"); err == nil {
		t.Fatal("an unknown command did not fail")
	}
	n, err := s.ConnectionsReceived(ctx)
	if err != nil || n < 3 {
		t.Fatalf("ConnectionsReceived = %d, %v; want ≥ 3", n, err)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Do(ctx, "PING"); err == nil {
		t.Fatal("the server still answers after Stop")
	}
}

func TestTLSServer(t *testing.T) {
	s := StartT(t, Options{TLS: true})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if r, err := s.Do(ctx, "PING"); err != nil || r != "PONG" {
		t.Fatalf("PING over TLS = %v, %v", r, err)
	}
	plain := &Server{Host: s.Host, Port: s.Port}
	if _, err := plain.Do(ctx, "PING"); err == nil {
		t.Fatal("a plain-text PING to the TLS port succeeded")
	}
}

func TestClusterFormed(t *testing.T) {
	c := StartClusterT(t, 3, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, n := range c.Nodes {
		r, err := n.Do(ctx, "CLUSTER", "COUNTKEYSINSLOT", "0")
		if err != nil {
			t.Fatalf("%s: %v", n.Addr(), err)
		}
		_ = r
	}
	r, err := c.Nodes[0].Do(ctx, "CLUSTER", "SLOTS")
	if err != nil {
		t.Fatal(err)
	}
	if slots, _ := r.([]any); len(slots) != 3 {
		t.Fatalf("CLUSTER SLOTS has %d ranges, want 3", len(slots))
	}
}

func TestSentinelNamesMaster(t *testing.T) {
	m := StartT(t, Options{})
	s := StartSentinelT(t, m, "keepconn")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := s.Do(ctx, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", "keepconn")
	if err != nil {
		t.Fatal(err)
	}
	if addr, _ := r.([]any); len(addr) != 2 || addr[1] != strconv.Itoa(m.Port) {
		t.Fatalf("sentinel names %v, want port %d", r, m.Port)
	}
}

package redisdemo

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/keepconn/keepconn/internal/redistest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// newConns returns the "new conns" column of the row that starts with
// prefix.
func newConns(t *testing.T, out, prefix string) int {
	t.Helper()
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, prefix) {
			f := strings.Fields(strings.TrimPrefix(l, prefix))
			if len(f) >= 3 {
				n, _ := strconv.Atoi(f[2]) // commands, cmd/s, new conns
				return n
			}
		}
	}
	t.Fatalf("no row %q in\n%s", prefix, out)
	return 0
}

func run(t *testing.T, opts Options) string {
	t.Helper()
	var out bytes.Buffer
	err := Run(context.Background(), &out, opts)
	t.Logf("\n%s", out.String())
	if err != nil {
		t.Fatal(err)
	}
	return out.String()
}

// TestMiniredis runs the demo in process: a connection per command dials
// per command, redisx at most PoolSize; the server is labelled.
func TestMiniredis(t *testing.T) {
	out := run(t, Options{Bursts: 10, Concurrency: 20, Server: "miniredis"})
	if got := newConns(t, out, "1 conn per command"); got != 200 {
		t.Errorf("connection per command: %d new connections, want 200", got)
	}
	if got := newConns(t, out, "3 keepconn redisx"); got < 1 || got > 10 {
		t.Errorf("redisx: %d new connections, want 1…10", got)
	}
	if !strings.Contains(out, "miniredis in process") {
		t.Error("miniredis is not named")
	}
}

// TestRedisServer runs the demo on an installed redis-server.
func TestRedisServer(t *testing.T) {
	if !redistest.Installed() {
		redistest.SkipOrFail(t, redistest.ErrNotInstalled)
	}
	out := run(t, Options{Bursts: 10, Concurrency: 20})
	if !strings.Contains(out, "redis-server (installed binary") {
		t.Error("the installed redis-server is not named")
	}
}

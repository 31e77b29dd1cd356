package sqldemo

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestInProcess runs the demo against the in-process server: the plain
// setting churns, sqlx dials once per worker.
func TestInProcess(t *testing.T) {
	var out bytes.Buffer
	err := Run(context.Background(), &out, Options{Bursts: 20, Concurrency: 20, Server: "inprocess"})
	t.Logf("\n%s", out.String())
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(out.String(), "\n")
	var sqlxRow string
	for _, l := range lines {
		if strings.HasPrefix(l, "3 keepconn sqlx") {
			sqlxRow = l
		}
	}
	f := strings.Fields(sqlxRow)
	// "3 keepconn sqlx defaults  queries  q/s  newconns ..."
	if len(f) < 7 || f[6] != "20" {
		t.Errorf("sqlx row %q: want 20 new connections", sqlxRow)
	}
	if !strings.Contains(out.String(), "in-process MySQL-protocol server") {
		t.Errorf("the in-process server is not labelled")
	}
}

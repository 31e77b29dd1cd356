package dialer

import (
	"context"
	"net"
	"testing"

	"github.com/keepconn/keepconn/internal/netnstest"
)

// A keepconn dial and close allocates two objects more than net.Dialer's:
// the Conn and its raw descriptor handle. The probe that classifies the
// close comes from a pool (probes), with its closures made once. The
// count is the whole process's, so each run waits for the server to be
// done with its connection: a server lagging behind in one measurement
// and catching up in the other would move its allocations between them.
func TestDialAllocations(t *testing.T) {
	netnstest.Run(t, benchNamespace, func(t *testing.T) {
		handled := make(chan struct{}, 1)
		srv := startServer(t, "127.0.0.1:5000", func(c net.Conn) {
			drainUntilEOF(c)
			handled <- struct{}{}
		})
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		perDial := func(dial dialFunc) float64 {
			return testing.AllocsPerRun(500, func() {
				c, err := dial(ctx, "tcp", srv.addr())
				if err != nil {
					t.Fatal(err)
				}
				c.Close()
				<-handled
			})
		}
		plain := perDial((&net.Dialer{}).DialContext)
		ours := perDial(mustNew(t, Config{}).DialContext)
		t.Logf("allocations per dial and close: net.Dialer %.2f, keepconn %.2f", plain, ours)
		limit := 2.5
		if raceEnabled {
			limit = 3.5 // sync.Pool drops a quarter of what it is given: a probe made anew
		}
		if ours-plain > limit {
			t.Fatalf("keepconn allocates %.2f more per dial and close, want 2", ours-plain)
		}
	})
}

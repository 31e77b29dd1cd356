package redisx

import (
	"context"
	"testing"
	"time"

	"github.com/keepconn/keepconn/internal/redistest"
)

// testCtx is a context bounded well within the test timeout.
func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// server starts a redis-server for one test.
func server(t testing.TB, settings map[string]string) *redistest.Server {
	t.Helper()
	return redistest.StartT(t, redistest.Options{Settings: settings})
}

// checkIdentities asserts the vocabulary's two identities on a closed
// client's Stats.
func checkIdentities(t testing.TB, s Stats) {
	t.Helper()
	if s.Opened != s.TotalClosed()+s.Open {
		t.Errorf("Opened %d != closes %d + Open %d (%+v)", s.Opened, s.TotalClosed(), s.Open, s.ConnStats)
	}
	if sides := s.ActiveCloses + s.PassiveCloses + s.AbortiveCloses; sides != s.TotalClosed() {
		t.Errorf("closes by side %d != closes by reason %d (%+v)", sides, s.TotalClosed(), s.ConnStats)
	}
}

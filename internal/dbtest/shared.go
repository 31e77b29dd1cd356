package dbtest

import (
	"errors"
	"os"
	"sync"
	"testing"
)

// RequireEnv, set to 1, turns a skip for a missing server into a failure.
const RequireEnv = "KEEPCONN_REQUIRE_SERVERS"

var shared struct {
	mu      sync.Mutex
	servers map[Kind]*Server
	errs    map[Kind]error
}

// Postgres returns this process's shared PostgreSQL server, starting it on
// first use. See Shared.
func Postgres(t testing.TB) *Server { return Shared(t, KindPostgres) }

// MariaDB returns this process's shared MariaDB server, starting it on
// first use. See Shared.
func MariaDB(t testing.TB) *Server { return Shared(t, KindMariaDB) }

// Shared returns the process's server of kind k, starting it on first use
// with the zero Options; StopAll stops it. When the server's binaries are
// missing the test is skipped with a message naming the Debian package to
// install, or fails when KEEPCONN_REQUIRE_SERVERS=1. Any other start error
// fails the test.
func Shared(t testing.TB, k Kind) *Server {
	t.Helper()
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if s := shared.servers[k]; s != nil {
		return s
	}
	err := shared.errs[k]
	if err == nil {
		var s *Server
		if s, err = Start(k, Options{}); err == nil {
			if shared.servers == nil {
				shared.servers = map[Kind]*Server{}
			}
			shared.servers[k] = s
			return s
		}
		if shared.errs == nil {
			shared.errs = map[Kind]error{}
		}
		shared.errs[k] = err
	}
	SkipOrFail(t, err)
	return nil
}

// StartT starts a server of its own for one test and stops it when the
// test ends, skipping or failing as Shared does.
func StartT(t testing.TB, k Kind, opts Options) *Server {
	t.Helper()
	s, err := Start(k, opts)
	if err != nil {
		SkipOrFail(t, err)
		return nil
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("stopping %s: %v", k, err)
		}
	})
	return s
}

// SkipOrFail skips t for a server that is missing (ErrNotInstalled) or
// cannot be started by this user (ErrNotRoot) unless
// KEEPCONN_REQUIRE_SERVERS=1, and fails it for any other error.
func SkipOrFail(t testing.TB, err error) {
	t.Helper()
	if Unavailable(err) && os.Getenv(RequireEnv) != "1" {
		t.Skipf("%v (set %s=1 to make this a failure)", err, RequireEnv)
	}
	t.Fatalf("dbtest: %v", err)
}

// StopAll stops the shared servers. Call it from TestMain after m.Run.
func StopAll() error {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	var errs []error
	for k, s := range shared.servers {
		errs = append(errs, s.Stop())
		delete(shared.servers, k)
	}
	return errors.Join(errs...)
}

// Unavailable reports whether err says the server cannot run here at all
// (not installed, not root), rather than that it failed.
func Unavailable(err error) bool {
	return errors.Is(err, ErrNotInstalled) || errors.Is(err, ErrNotRoot)
}

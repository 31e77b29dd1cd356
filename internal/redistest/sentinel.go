package redistest

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"
)

// BaseSentinelPort is the first port tried for a sentinel.
const BaseSentinelPort = 26479

// StartSentinel starts a Redis Sentinel (redis-server --sentinel) that
// monitors master under the name masterName with a quorum of one, on the
// first free port from BaseSentinelPort, and waits until it names the
// master.
func StartSentinel(master *Server, masterName string) (*Server, error) {
	opts := Options{sentinel: true, Settings: map[string]string{
		"sentinel monitor " + masterName: master.Host + " " + strconv.Itoa(master.Port) + " 1",
	}}
	base := BaseSentinelPort
	for tries := 0; ; tries++ {
		port, err := freePort(0, base, false)
		if err != nil {
			return nil, err
		}
		s, err := start(opts, port)
		if err == nil {
			return s, s.waitMaster(masterName)
		}
		if !errors.Is(err, errPortTaken) || tries == PortTries {
			return nil, err
		}
		base = port + 1
	}
}

func (s *Server) waitMaster(name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), StartTimeout)
	defer cancel()
	for {
		r, err := s.Do(ctx, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", name)
		if addr, ok := r.([]any); err == nil && ok && len(addr) == 2 {
			return nil
		}
		select {
		case <-ctx.Done():
			s.Stop()
			return fmt.Errorf("keepconn/redistest: sentinel does not name %s: %v %v", name, r, err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// StartSentinelT starts a sentinel for one test and stops it when the
// test ends, skipping or failing as StartT does.
func StartSentinelT(t testing.TB, master *Server, masterName string) *Server {
	t.Helper()
	s, err := StartSentinel(master, masterName)
	if err != nil {
		SkipOrFail(t, err)
		return nil
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("stopping the sentinel: %v", err)
		}
	})
	return s
}

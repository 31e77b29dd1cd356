package dialer

import (
	"net/netip"
	"testing"

	"github.com/keepconn/keepconn/internal/netns"
)

// addAddr and deleteAddr change an address of lo in the test's network
// namespace (set up by netnstest, so netns allows it).
func addAddr(t *testing.T, p netip.Prefix) {
	t.Helper()
	if err := netns.AddAddr("lo", p); err != nil {
		t.Fatalf("adding %v to lo: %v", p, err)
	}
}

func deleteAddr(t *testing.T, p netip.Prefix) {
	t.Helper()
	if err := netns.DeleteAddr("lo", p); err != nil {
		t.Fatalf("deleting %v from lo: %v", p, err)
	}
}

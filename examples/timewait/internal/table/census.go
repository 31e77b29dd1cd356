package table

import (
	"context"
	"net/netip"

	"github.com/keepconn/keepconn/internal/sockdiag"
)

// TimeWait counts the TIME_WAIT sockets of the connections to srv, on the
// client side and on the server side (sockdiag.TimeWaitSides).
func TimeWait(ctx context.Context, srv netip.AddrPort) (client, server int, err error) {
	return sockdiag.TimeWaitSides(ctx, srv)
}

// KernelTimeWait is the kernel's TIME_WAIT total for the namespace, the
// "tw" field of /proc/net/sockstat (both sides of a loopback connection
// count: they are both on this host).
func KernelTimeWait() (int, error) {
	st, err := sockdiag.ReadSockstat()
	return st.TimeWait, err
}

package table

import (
	"context"
	"net/netip"
	"time"

	"github.com/keepconn/keepconn/internal/sockdiag"
)

// TimeWait counts the TIME_WAIT sockets of the connections to srv, on the
// client side and on the server side (sockdiag.TimeWaitSides), once the
// last closes have finished their handshakes (sockdiag.AwaitClosed, for
// at most settleTimeout: a socket is in FIN_WAIT2 until the other side's
// FIN comes, and only then in TIME_WAIT).
func TimeWait(ctx context.Context, srv netip.AddrPort) (client, server int, err error) {
	settle, cancel := context.WithTimeout(ctx, settleTimeout)
	defer cancel()
	_ = sockdiag.AwaitClosed(settle, srv) // past the bound, count what is there
	return sockdiag.TimeWaitSides(ctx, srv)
}

// settleTimeout bounds the wait for closing sockets in TimeWait.
const settleTimeout = 2 * time.Second

// KernelTimeWait is the kernel's TIME_WAIT total for the namespace, the
// "tw" field of /proc/net/sockstat (both sides of a loopback connection
// count: they are both on this host).
func KernelTimeWait() (int, error) {
	st, err := sockdiag.ReadSockstat()
	return st.TimeWait, err
}

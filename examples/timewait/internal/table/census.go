package table

import (
	"context"
	"errors"
	"net/netip"

	"github.com/keepconn/keepconn/internal/sockdiag"
)

// TimeWait counts, in one listing of the kernel's TIME_WAIT sockets, those
// of the connections to srv: client is the sockets whose remote address is
// srv, server those whose local address is srv. The listing comes from the
// network namespace of the calling thread (netlink sock_diag, /proc as the
// fallback). On a system that cannot list sockets it returns 0, 0, nil.
func TimeWait(ctx context.Context, srv netip.AddrPort) (client, server int, err error) {
	srv = netip.AddrPortFrom(srv.Addr().Unmap(), srv.Port())
	_, err = sockdiag.Collect(ctx, sockdiag.TimeWait, func(s sockdiag.Socket) {
		if s.State != sockdiag.StateTimeWait {
			return
		}
		if s.Remote == srv {
			client++
		}
		if s.Local == srv {
			server++
		}
	})
	if errors.Is(err, errors.ErrUnsupported) {
		return 0, 0, nil
	}
	return client, server, err
}

// KernelTimeWait is the kernel's TIME_WAIT total for the namespace, the
// "tw" field of /proc/net/sockstat (both sides of a loopback connection
// count: they are both on this host).
func KernelTimeWait() (int, error) {
	st, err := sockdiag.ReadSockstat()
	return st.TimeWait, err
}

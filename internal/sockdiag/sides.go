package sockdiag

import (
	"context"
	"errors"
	"net/netip"
)

// TimeWaitSides counts, in one listing of the kernel's TIME_WAIT sockets,
// those of the connections to srv: client is the sockets whose remote
// address is srv (this host closed first as the client), server those
// whose local address is srv (the server closed first). The listing is of
// the calling thread's network namespace. On a system that cannot list
// sockets it returns 0, 0, nil.
func TimeWaitSides(ctx context.Context, srv netip.AddrPort) (client, server int, err error) {
	srv = netip.AddrPortFrom(srv.Addr().Unmap(), srv.Port())
	_, err = Collect(ctx, TimeWait, func(s Socket) {
		if s.State != StateTimeWait {
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

package sockdiag

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"time"
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

// closing selects the states a socket passes through between its close
// and TIME_WAIT or the end: FIN_WAIT1, FIN_WAIT2, CLOSING and LAST_ACK.
const closing StateMask = 1<<StateFinWait1 | 1<<StateFinWait2 | 1<<StateClosing | 1<<StateLastAck

// AwaitClosed waits until no socket of a connection to srv, on either
// side, is still closing (FIN_WAIT1, FIN_WAIT2, CLOSING, LAST_ACK), so
// that a TIME_WAIT count taken next is final: a side that closed first
// sits in FIN_WAIT2 until the other side's FIN comes, and only then in
// TIME_WAIT. It polls every 10 ms and returns ctx's error if ctx ends
// first. On a system that cannot list sockets it returns nil at once.
func AwaitClosed(ctx context.Context, srv netip.AddrPort) error {
	srv = netip.AddrPortFrom(srv.Addr().Unmap(), srv.Port())
	for {
		n := 0
		_, err := Collect(ctx, closing, func(s Socket) {
			if closing.Has(s.State) && (s.Remote == srv || s.Local == srv) {
				n++
			}
		})
		switch {
		case errors.Is(err, errors.ErrUnsupported):
			return nil
		case err != nil:
			return err
		case n == 0:
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("sockdiag: %d sockets towards %s still closing: %w", n, srv, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

package dialer

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/keepconn/keepconn/internal/sockdiag"
)

// Census sources, the values of Census.Source.
const (
	// CensusNetlink: the kernel listed the sockets through NETLINK_SOCK_DIAG,
	// filtering by state itself (what `ss -tan state time-wait` does).
	CensusNetlink = "netlink"
	// CensusProc: netlink was refused, so /proc/net/tcp and /proc/net/tcp6
	// were parsed instead (slower, same answer).
	CensusProc = "proc"
)

// Census counts the TIME_WAIT sockets of the calling process's network
// namespace: the 4-tuples that were closed first by this host in the last
// 60 seconds (TimeWaitLen) and cannot be used again until then.
type Census struct {
	// Total is the number of sockets in state TIME_WAIT, IPv4 and IPv6.
	Total int
	// ByPeer counts them by remote address and port. IPv4-mapped IPv6
	// addresses are unmapped, so a destination has one key whichever
	// socket family reached it.
	ByPeer map[netip.AddrPort]int
	// ByLocal counts them by local (source) address, unmapped likewise.
	ByLocal map[netip.Addr]int
	// KernelTotal is the "tw" count of /proc/net/sockstat, read right after
	// the listing, or -1 when it could not be read. It also counts
	// FIN_WAIT2 sockets the kernel keeps as timewait entries, and sockets
	// may expire or appear between the two reads, so it can differ from
	// Total slightly.
	KernelTotal int
	// Source is CensusNetlink or CensusProc.
	Source string
}

// collector lists the sockets whose state is in mask; sockdiag.Collect in
// production, one fixed source in tests and benchmarks.
type collector func(ctx context.Context, mask sockdiag.StateMask, visit func(sockdiag.Socket)) (sockdiag.Source, error)

// fromNetlink and fromProc force one source.
func fromNetlink(ctx context.Context, mask sockdiag.StateMask, visit func(sockdiag.Socket)) (sockdiag.Source, error) {
	return sockdiag.SourceNetlink, sockdiag.Dump(ctx, mask, visit)
}

func fromProc(ctx context.Context, mask sockdiag.StateMask, visit func(sockdiag.Socket)) (sockdiag.Source, error) {
	return sockdiag.SourceProc, sockdiag.ReadProc(ctx, mask, visit)
}

// TimeWaitCensus counts the TIME_WAIT sockets of this network namespace,
// in total, per peer and per local address. It asks the kernel through
// netlink sock_diag and falls back to /proc/net/tcp{,6} when netlink is
// refused. ctx bounds the reading: when it is done, TimeWaitCensus returns
// its error. It is safe for concurrent use; each call reads the kernel
// afresh. The kernel walks its whole connection hash table, shared by all
// namespaces by default: a census costs milliseconds with a private table,
// and can cost a hundred or more on a busy host, so call it every few
// seconds, not per request. On operating systems other than Linux it
// returns an error wrapping errors.ErrUnsupported.
func TimeWaitCensus(ctx context.Context) (Census, error) {
	return timeWaitCensus(ctx, sockdiag.Collect)
}

func timeWaitCensus(ctx context.Context, collect collector) (Census, error) {
	c := Census{ByPeer: map[netip.AddrPort]int{}, ByLocal: map[netip.Addr]int{}, KernelTotal: -1}
	src, err := collect(ctx, sockdiag.TimeWait, func(s sockdiag.Socket) {
		if s.State != sockdiag.StateTimeWait {
			return
		}
		c.Total++
		c.ByPeer[s.Remote]++
		c.ByLocal[s.Local.Addr()]++
	})
	if err != nil {
		return Census{}, fmt.Errorf("keepconn/dialer: TIME_WAIT census: %w", err)
	}
	c.Source = src.String()
	if st, err := sockdiag.ReadSockstat(); err == nil {
		c.KernelTotal = st.TimeWait
	}
	return c, nil
}

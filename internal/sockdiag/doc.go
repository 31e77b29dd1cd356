// Package sockdiag lists the kernel's TCP sockets of the current network
// namespace, filtered by TCP state, so keepconn can count TIME_WAIT entries
// and held local ports per destination from inside a service.
//
// Two ways exist, and both are here:
//
//   - Netlink NETLINK_SOCK_DIAG: a dump request asks the kernel for the
//     TCP sockets whose state is in a bit mask, such as 1<<TCP_TIME_WAIT.
//     The kernel filters and answers in binary, in multi-part datagrams
//     ended by NLMSG_DONE. This is what `ss -tan state time-wait` does, and
//     it is cheap even with tens of thousands of sockets. The request is
//     the compat TCPDIAG_GETSOCK one, which covers IPv4 and IPv6 in one
//     walk of the kernel's hash table, or where the kernel refuses it one
//     SOCK_DIAG_BY_FAMILY request (inet_diag_req_v2) per address family.
//   - /proc/net/tcp and /proc/net/tcp6: one text line per socket, every
//     state, formatted by the kernel and parsed here. It is the fallback
//     when netlink is refused (some sandboxes and seccomp profiles), and
//     several times slower: the kernel formats every socket as text and
//     the text must be parsed (about 10× the decoding time of netlink).
//
// Both make the kernel walk its whole TCP connection hash table, which all
// network namespaces share unless net.ipv4.tcp_child_ehash_entries gave
// theirs a private one: the fixed cost of a listing grows with the sockets
// of the whole host, not only with those it returns.
//
// /proc/net/sockstat gives the kernel's own TIME_WAIT total ("tw") in one
// short read.
//
// Everything here sees only the network namespace of the calling thread.
// The decoders (ParseDump, ParseProcLine, ParseSockstat) are portable and
// fuzzed; reading the kernel works on Linux only and reports
// errors.ErrUnsupported elsewhere.
package sockdiag

package sockdiag

import "encoding/binary"

// Two requests ask sock_diag for TCP sockets. SOCK_DIAG_BY_FAMILY, with
// struct inet_diag_req_v2, names one address family, so listing IPv4 and
// IPv6 takes two requests, and the kernel walks its TCP hash table once for
// each. TCPDIAG_GETSOCK, with the older struct inet_diag_req that sock_diag
// still accepts for compatibility, names none: the kernel walks the table
// once and answers for both families. The walk visits every bucket and
// every socket of the table, which all namespaces share unless they were
// given a private one, so on a host with a large table it is the main fixed
// cost of a dump, paid even for the family that has no socket at all. Dump
// therefore tries the compat request first.
const (
	nlmFRequest          = 0x1
	nlmFDump             = 0x300 // NLM_F_ROOT | NLM_F_MATCH
	inetDiagReqLen       = 56    // struct inet_diag_req_v2
	inetDiagReqCompatLen = 60    // struct inet_diag_req
	compatStatesOff      = 52    // idiag_states in struct inet_diag_req
)

// dumpRequest builds the nlmsghdr and inet_diag_req_v2 that ask for the TCP
// sockets of family whose states are in mask, with no extensions.
func dumpRequest(family uint8, mask StateMask, seq uint32) []byte {
	b := requestHeader(sockDiagByFamily, inetDiagReqLen, seq)
	r := b[nlmsgHdrLen:]
	r[0], r[1] = family, ipprotoTCP
	binary.NativeEndian.PutUint32(r[4:8], uint32(mask))
	return b
}

// compatRequest builds the nlmsghdr and inet_diag_req (TCPDIAG_GETSOCK)
// that ask for the TCP sockets of both families whose states are in mask.
// The kernel dumps such a request as AF_UNSPEC whatever idiag_family says,
// and names TCP by the message type; every other field stays zero: no
// extensions, no socket id to match, no bytecode filter.
func compatRequest(mask StateMask, seq uint32) []byte {
	b := requestHeader(tcpDiagGetSock, inetDiagReqCompatLen, seq)
	binary.NativeEndian.PutUint32(b[nlmsgHdrLen+compatStatesOff:], uint32(mask))
	return b
}

// requestHeader returns a dump request of type typ with a zeroed payload of
// n bytes.
func requestHeader(typ uint16, n int, seq uint32) []byte {
	b := make([]byte, nlmsgHdrLen+n)
	binary.NativeEndian.PutUint32(b[0:4], uint32(len(b)))
	binary.NativeEndian.PutUint16(b[4:6], typ)
	binary.NativeEndian.PutUint16(b[6:8], nlmFRequest|nlmFDump)
	binary.NativeEndian.PutUint32(b[8:12], seq)
	return b
}

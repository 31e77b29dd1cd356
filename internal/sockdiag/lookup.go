package sockdiag

import (
	"encoding/binary"
	"net/netip"
)

// noCookie is INET_DIAG_NOCOOKIE: an exact request that names no socket
// cookie, only the 4-tuple.
const noCookie = ^uint32(0)

// lookupRequest builds the nlmsghdr and inet_diag_req_v2 that ask for the
// one TCP socket of family with this local and remote address, whatever
// its state, TIME_WAIT included: not a dump, an exact match on the
// 4-tuple. An IPv4 address asked of family AF_INET6 is sent IPv4-mapped.
func lookupRequest(family uint8, local, remote netip.AddrPort, seq uint32) []byte {
	b := requestHeader(sockDiagByFamily, inetDiagReqLen, seq)
	binary.NativeEndian.PutUint16(b[6:8], nlmFRequest)
	r := b[nlmsgHdrLen:]
	r[0], r[1] = family, ipprotoTCP
	binary.NativeEndian.PutUint32(r[4:8], ^uint32(0)) // every state
	id := r[8:]
	binary.BigEndian.PutUint16(id[0:2], local.Port())
	binary.BigEndian.PutUint16(id[2:4], remote.Port())
	putAddr(id[4:20], family, local.Addr())
	putAddr(id[20:36], family, remote.Addr())
	binary.NativeEndian.PutUint32(id[40:44], noCookie)
	binary.NativeEndian.PutUint32(id[44:48], noCookie)
	return b
}

func putAddr(dst []byte, family uint8, a netip.Addr) {
	if family == afInet {
		a4 := a.Unmap().As4()
		copy(dst, a4[:])
		return
	}
	a16 := a.As16()
	copy(dst, a16[:])
}

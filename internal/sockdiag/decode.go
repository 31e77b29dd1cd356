package sockdiag

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"syscall"
)

// Netlink and inet_diag wire constants (linux/netlink.h, linux/sock_diag.h,
// linux/inet_diag.h). They are written out so the decoder builds on every
// operating system.
const (
	nlmsgHdrLen      = 16 // struct nlmsghdr
	nlmsgNoop        = 0x1
	nlmsgError       = 0x2
	nlmsgDone        = 0x3
	tcpDiagGetSock   = 18 // the compat request, and the type of its replies
	sockDiagByFamily = 20
	inetDiagMsgLen   = 72 // struct inet_diag_msg
	afInet           = 2
	afInet6          = 10
	ipprotoTCP       = 6
)

// ParseDump decodes one datagram of a sock_diag dump reply: it calls visit
// for every inet_diag_msg whose family is AF_INET or AF_INET6, whether it
// comes in a SOCK_DIAG_BY_FAMILY message or, in answer to the compat
// request Dump tries first, a TCPDIAG_GETSOCK one. It reports done once it
// meets NLMSG_DONE (the messages after it are ignored). An NLMSG_ERROR
// with a non-zero code is returned as a syscall.Errno wrapped with
// context; a message shorter than its header claims, or a trailing
// fragment, is ErrTruncated. ParseDump never panics, whatever b holds, and
// allocates nothing unless it returns an error.
func ParseDump(b []byte, visit func(Socket)) (done bool, err error) {
	for off := 0; off < len(b); {
		rest := b[off:]
		if len(rest) < nlmsgHdrLen {
			return false, fmt.Errorf("%w: %d bytes left at offset %d, a header needs %d", ErrTruncated, len(rest), off, nlmsgHdrLen)
		}
		l := int(binary.NativeEndian.Uint32(rest[0:4]))
		typ := binary.NativeEndian.Uint16(rest[4:6])
		if l < nlmsgHdrLen || l > len(rest) {
			return false, fmt.Errorf("%w: message at offset %d says %d bytes, %d present", ErrTruncated, off, l, len(rest))
		}
		payload := rest[nlmsgHdrLen:l]
		switch typ {
		case nlmsgDone:
			return true, doneError(payload)
		case nlmsgError:
			if err := errorCode(payload); err != nil {
				return false, err
			}
		case sockDiagByFamily, tcpDiagGetSock:
			// The kernel types each socket's message as the request
			// was typed; the payload is the same inet_diag_msg.
			if err := decodeDiagMsg(payload, visit); err != nil {
				return false, fmt.Errorf("message at offset %d: %w", off, err)
			}
		}
		off += align4(l)
	}
	return false, nil
}

func align4(n int) int { return (n + 3) &^ 3 }

// errorCode reads the negative errno that starts an NLMSG_ERROR payload;
// zero is an acknowledgement.
func errorCode(p []byte) error {
	if len(p) < 4 {
		return fmt.Errorf("%w: NLMSG_ERROR with %d payload bytes", ErrTruncated, len(p))
	}
	if code := int32(binary.NativeEndian.Uint32(p)); code != 0 {
		return fmt.Errorf("keepconn/sockdiag: kernel answered NLMSG_ERROR: %w", syscall.Errno(-code))
	}
	return nil
}

// doneError reads the optional errno of NLMSG_DONE: a dump that failed half
// way ends with a negative code there.
func doneError(p []byte) error {
	if len(p) < 4 {
		return nil
	}
	if code := int32(binary.NativeEndian.Uint32(p)); code < 0 {
		return fmt.Errorf("keepconn/sockdiag: dump ended with an error: %w", syscall.Errno(-code))
	}
	return nil
}

// decodeDiagMsg decodes struct inet_diag_msg: family, state, timer,
// retrans, inet_diag_sockid (ports big-endian, then 16-byte source and
// destination addresses, interface, cookie), expires, rqueue, wqueue, uid,
// inode. Attributes after it are ignored.
func decodeDiagMsg(p []byte, visit func(Socket)) error {
	if len(p) < inetDiagMsgLen {
		return fmt.Errorf("%w: inet_diag_msg of %d bytes, want %d", ErrTruncated, len(p), inetDiagMsgLen)
	}
	n := 16
	switch p[0] {
	case afInet:
		n = 4
	case afInet6:
	default:
		return nil
	}
	sport := binary.BigEndian.Uint16(p[4:6])
	dport := binary.BigEndian.Uint16(p[6:8])
	visit(Socket{
		State:  p[1],
		Local:  netip.AddrPortFrom(addrFrom(p[8:8+n]), sport),
		Remote: netip.AddrPortFrom(addrFrom(p[24:24+n]), dport),
		UID:    binary.NativeEndian.Uint32(p[64:68]),
		Inode:  binary.NativeEndian.Uint32(p[68:72]),
	})
	return nil
}

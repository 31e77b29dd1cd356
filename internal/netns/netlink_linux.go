package netns

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"syscall"

	"golang.org/x/sys/unix"
)

// addrRequest builds an RTM_NEWADDR or RTM_DELADDR message: nlmsghdr,
// ifaddrmsg and the IFA_LOCAL and IFA_ADDRESS attributes.
func addrRequest(typ uint16, ifindex uint32, p netip.Prefix) []byte {
	addr := p.Addr().Unmap().AsSlice()
	family := byte(unix.AF_INET)
	if len(addr) == 16 {
		family = unix.AF_INET6
	}
	b := make([]byte, unix.SizeofNlMsghdr, 64)
	b = append(b, family, byte(p.Bits()), 0, unix.RT_SCOPE_HOST)
	b = binary.NativeEndian.AppendUint32(b, ifindex)
	b = appendAttr(b, unix.IFA_LOCAL, addr)
	b = appendAttr(b, unix.IFA_ADDRESS, addr)
	binary.NativeEndian.PutUint32(b[0:4], uint32(len(b)))
	flags := uint16(unix.NLM_F_REQUEST | unix.NLM_F_ACK)
	if typ == unix.RTM_NEWADDR {
		flags |= unix.NLM_F_CREATE | unix.NLM_F_EXCL
	}
	binary.NativeEndian.PutUint16(b[4:6], typ)
	binary.NativeEndian.PutUint16(b[6:8], flags)
	binary.NativeEndian.PutUint32(b[8:12], 1)
	return b
}

func appendAttr(b []byte, typ uint16, data []byte) []byte {
	l := unix.SizeofRtAttr + len(data)
	b = binary.NativeEndian.AppendUint16(b, uint16(l))
	b = binary.NativeEndian.AppendUint16(b, typ)
	b = append(b, data...)
	for len(b)%unix.NLMSG_ALIGNTO != 0 {
		b = append(b, 0)
	}
	return b
}

// readAck reads the kernel's answer to a request sent with NLM_F_ACK.
func readAck(fd int) error {
	buf := make([]byte, 4096)
	n, _, err := unix.Recvfrom(fd, buf, 0)
	if err != nil {
		return err
	}
	msgs, err := syscall.ParseNetlinkMessage(buf[:n])
	if err != nil {
		return err
	}
	for _, m := range msgs {
		if m.Header.Type != unix.NLMSG_ERROR {
			continue
		}
		if len(m.Data) < 4 {
			return fmt.Errorf("short netlink error message")
		}
		if errno := int32(binary.NativeEndian.Uint32(m.Data[:4])); errno != 0 {
			return syscall.Errno(-errno)
		}
		return nil
	}
	return fmt.Errorf("no netlink acknowledgement")
}

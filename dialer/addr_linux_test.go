package dialer

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// changeAddr adds (RTM_NEWADDR) or deletes (RTM_DELADDR) an address of lo
// in the test's network namespace.
func changeAddr(t *testing.T, typ uint16, p netip.Prefix) {
	t.Helper()
	lo, err := net.InterfaceByName("lo")
	if err != nil {
		t.Fatal(err)
	}
	addr := p.Addr().AsSlice()
	family := byte(unix.AF_INET)
	if len(addr) == 16 {
		family = unix.AF_INET6
	}
	b := make([]byte, unix.SizeofNlMsghdr, 64)
	b = append(b, family, byte(p.Bits()), 0, unix.RT_SCOPE_HOST)
	b = binary.NativeEndian.AppendUint32(b, uint32(lo.Index))
	for _, attr := range []uint16{unix.IFA_LOCAL, unix.IFA_ADDRESS} {
		b = binary.NativeEndian.AppendUint16(b, uint16(unix.SizeofRtAttr+len(addr)))
		b = binary.NativeEndian.AppendUint16(b, attr)
		b = append(b, addr...)
	}
	flags := uint16(unix.NLM_F_REQUEST | unix.NLM_F_ACK)
	if typ == unix.RTM_NEWADDR {
		flags |= unix.NLM_F_CREATE | unix.NLM_F_EXCL
	}
	binary.NativeEndian.PutUint32(b[0:4], uint32(len(b)))
	binary.NativeEndian.PutUint16(b[4:6], typ)
	binary.NativeEndian.PutUint16(b[6:8], flags)
	binary.NativeEndian.PutUint32(b[8:12], 1)
	if err := netlinkRoute(b); err != nil {
		t.Fatalf("netlink address change %d of %v: %v", typ, p, err)
	}
}

func netlinkRoute(req []byte) error {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if err := unix.Sendto(fd, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return err
	}
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
		if m.Header.Type == unix.NLMSG_ERROR && len(m.Data) >= 4 {
			if errno := int32(binary.NativeEndian.Uint32(m.Data[:4])); errno != 0 {
				return syscall.Errno(-errno)
			}
			return nil
		}
	}
	return fmt.Errorf("no netlink acknowledgement")
}

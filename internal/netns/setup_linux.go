package netns

import (
	"fmt"
	"net/netip"
	"os"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// setUp records that Setup succeeded in this process: AddAddr and
// DeleteAddr change addresses only then.
var setUp atomic.Bool

// Unavailable says why namespaces cannot be made here, or "" if they can.
func Unavailable() string {
	if os.Geteuid() != 0 {
		return "network namespaces need root"
	}
	return ""
}

// Setup brings lo up, adds the addresses and writes the sysctls, in the
// namespace of the calling process.
//
// Before it changes anything, Setup checks that the process is in a
// network namespace created for it by Start or Run (see the package doc);
// anywhere else, in the host's namespace above all, it changes nothing and
// returns an error wrapping ErrNotCreated, whatever the environment says.
// Calling it again in the same namespace is allowed.
func Setup(cfg Config) error {
	if err := verifyCreated(); err != nil {
		return err
	}
	if err := linkUp("lo"); err != nil {
		return err
	}
	for _, p := range cfg.Addrs {
		if err := addAddr("lo", p); err != nil {
			return fmt.Errorf("adding %s to lo: %w", p, err)
		}
	}
	for _, kv := range cfg.sysctls() {
		if err := os.WriteFile(sysctlPath(kv[0]), []byte(kv[1]), 0o644); err != nil {
			return fmt.Errorf("sysctl %s=%q: %w", kv[0], kv[1], err)
		}
	}
	setUp.Store(true)
	return nil
}

// AddAddr adds p to the named interface, in a namespace Setup has set up
// in this process; anywhere else it changes nothing and returns an error
// wrapping ErrNotCreated.
func AddAddr(ifname string, p netip.Prefix) error {
	if !setUp.Load() {
		return fmt.Errorf("%w: AddAddr before Setup", ErrNotCreated)
	}
	return changeAddr(ifname, unix.RTM_NEWADDR, p)
}

// DeleteAddr removes p from the named interface, as a configured source
// address can disappear from a host; like AddAddr, only after Setup.
func DeleteAddr(ifname string, p netip.Prefix) error {
	if !setUp.Load() {
		return fmt.Errorf("%w: DeleteAddr before Setup", ErrNotCreated)
	}
	return changeAddr(ifname, unix.RTM_DELADDR, p)
}

// linkUp sets IFF_UP on the named interface.
func linkUp(name string) error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return fmt.Errorf("reading flags of %s: %w", name, err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		return fmt.Errorf("bringing %s up: %w", name, err)
	}
	return nil
}

// addAddr adds p to the interface through an RTM_NEWADDR netlink request.
func addAddr(ifname string, p netip.Prefix) error {
	return changeAddr(ifname, unix.RTM_NEWADDR, p)
}

// changeAddr sends an RTM_NEWADDR or RTM_DELADDR request for p on the
// interface and reads the kernel's answer.
func changeAddr(ifname string, typ uint16, p netip.Prefix) error {
	ifc, err := netInterfaceIndex(ifname)
	if err != nil {
		return err
	}
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if err := unix.Sendto(fd, addrRequest(typ, ifc, p), 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return err
	}
	return readAck(fd)
}

func netInterfaceIndex(name string) (uint32, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return 0, err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return 0, err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFINDEX, ifr); err != nil {
		return 0, fmt.Errorf("index of %s: %w", name, err)
	}
	return ifr.Uint32(), nil
}

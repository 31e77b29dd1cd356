package netns

import (
	"fmt"
	"net/netip"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// NewNetnsAttr returns process attributes that start a child in a new
// network namespace, killed if this process dies.
//
// Deprecated: a child started with these attributes alone carries no proof
// that its namespace is new, so Setup refuses to configure it. Use Start
// or Run.
func NewNetnsAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET, Pdeathsig: syscall.SIGKILL}
}

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
	return nil
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
	ifc, err := netInterfaceIndex(ifname)
	if err != nil {
		return err
	}
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if err := unix.Sendto(fd, newAddrRequest(ifc, p), 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
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

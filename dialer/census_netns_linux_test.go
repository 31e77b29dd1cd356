package dialer

import (
	"fmt"
	"os"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

// privateNetns is a network namespace with its own TCP connection hash
// table, entered by single locked threads. Linux shares one hash table
// among all namespaces unless net.ipv4.tcp_child_ehash_entries was set in
// the namespace that creates them, and a census walks the whole table: in a
// shared one it pays for every socket of the host. netnstest's namespaces
// share the host's table, so the benchmark nests one of its own.
type privateNetns struct{ fd int }

// newPrivateNetns creates the namespace from the current one, with a hash
// table of buckets entries, lo up, tcp_tw_reuse off and the port range.
func newPrivateNetns(b *testing.B, buckets int, portRange string) *privateNetns {
	b.Helper()
	if err := os.WriteFile("/proc/sys/net/ipv4/tcp_child_ehash_entries", fmt.Append(nil, buckets), 0o644); err != nil {
		b.Fatalf("sizing the child namespace's hash table: %v", err)
	}
	ns := &privateNetns{fd: -1}
	var err error
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		if err = unix.Unshare(unix.CLONE_NEWNET); err != nil {
			return
		}
		if ns.fd, err = unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0); err != nil {
			return
		}
		err = setupPrivateNetns(portRange)
	}()
	<-done
	if err != nil {
		b.Fatalf("private network namespace: %v", err)
	}
	b.Cleanup(func() { unix.Close(ns.fd) })
	return ns
}

func setupPrivateNetns(portRange string) error {
	for path, v := range map[string]string{
		"/proc/sys/net/ipv4/ip_local_port_range": portRange,
		"/proc/sys/net/ipv4/tcp_tw_reuse":        "0",
		"/proc/sys/net/core/somaxconn":           "65535",
		"/proc/sys/net/ipv4/tcp_rfc1337":         "1",
	} {
		if err := os.WriteFile(path, []byte(v), 0o644); err != nil {
			return err
		}
	}
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return err
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	return unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr)
}

// enter moves the calling goroutine's thread into the namespace for good:
// the thread stays locked and ends with the goroutine. Sockets created
// afterwards by this goroutine, netlink ones included, and reads through
// /proc/thread-self, are the namespace's.
func (ns *privateNetns) enter(b *testing.B) {
	runtime.LockOSThread()
	if err := unix.Setns(ns.fd, unix.CLONE_NEWNET); err != nil {
		b.Fatalf("entering the private namespace: %v", err)
	}
}

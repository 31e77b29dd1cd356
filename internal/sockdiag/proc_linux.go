package sockdiag

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// Paths of the files read here; variables so tests can point them elsewhere.
// They go through /proc/thread-self (Linux 3.17) so that, like a netlink
// socket, they show the network namespace of the calling thread (/proc/net
// shows the main thread's).
var (
	procTCP       = "/proc/thread-self/net/tcp"
	procTCP6      = "/proc/thread-self/net/tcp6"
	procSockstat  = "/proc/thread-self/net/sockstat"
	procSockstat6 = "/proc/thread-self/net/sockstat6"
	procPortRange = "/proc/sys/net/ipv4/ip_local_port_range"
)

// ReadProc lists the TCP sockets whose state is in mask from /proc/net/tcp
// and /proc/net/tcp6 (absent when IPv6 is off: then skipped). ctx bounds the
// reading. The kernel formats every socket whatever mask says, so this is
// the slow path; Dump is the fast one.
func ReadProc(ctx context.Context, mask StateMask, visit func(Socket)) error {
	for _, path := range [2]string{procTCP, procTCP6} {
		err := readProcFile(ctx, path, mask, visit)
		if path == procTCP6 && errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func readProcFile(ctx context.Context, path string, mask StateMask, visit func(Socket)) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("keepconn/sockdiag: %w", err)
	}
	defer f.Close()
	if err := ParseProc(ctx, f, mask, visit); err != nil {
		return fmt.Errorf("keepconn/sockdiag: %s: %w", path, err)
	}
	return nil
}

// ReadSockstat reads /proc/net/sockstat and, when present, sockstat6.
func ReadSockstat() (Sockstat, error) {
	f, err := os.Open(procSockstat)
	if err != nil {
		return Sockstat{}, fmt.Errorf("keepconn/sockdiag: %w", err)
	}
	defer f.Close()
	f6, err := os.Open(procSockstat6)
	if err != nil {
		st, err := ParseSockstat(f, nil)
		return st, err
	}
	defer f6.Close()
	return ParseSockstat(f, f6)
}

// ReadPortRange reads net.ipv4.ip_local_port_range, the ephemeral port
// range of this network namespace (it governs IPv6 too).
func ReadPortRange() (low, high uint16, err error) {
	b, err := os.ReadFile(procPortRange)
	if err != nil {
		return 0, 0, fmt.Errorf("keepconn/sockdiag: reading the ephemeral port range: %w", err)
	}
	return ParsePortRange(b)
}

// dump is Dump, replaceable by tests.
var dump = Dump

// Collect lists the sockets whose state is in mask through Dump, and
// through ReadProc when netlink is refused (ErrRefused). It returns the
// source it used. ctx bounds the whole reading.
func Collect(ctx context.Context, mask StateMask, visit func(Socket)) (Source, error) {
	err := dump(ctx, mask, visit)
	if err == nil {
		return SourceNetlink, nil
	}
	if !errors.Is(err, ErrRefused) {
		return 0, err
	}
	if perr := ReadProc(ctx, mask, visit); perr != nil {
		return 0, fmt.Errorf("%w; fallback: %w", err, perr)
	}
	return SourceProc, nil
}

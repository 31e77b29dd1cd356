package sockdiag

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strconv"
)

// Sockstat holds the TCP lines of /proc/net/sockstat and
// /proc/net/sockstat6.
type Sockstat struct {
	// InUse is the IPv4 TCP sockets in use ("TCP: inuse"), LISTEN included,
	// TIME_WAIT excluded.
	InUse int
	// Orphan is the sockets no process holds any more ("orphan").
	Orphan int
	// TimeWait is the kernel's count of timewait entries, IPv4 and IPv6
	// ("tw"). It includes FIN_WAIT2 sockets the kernel turned into timewait
	// entries after their owner closed them, so it can exceed a count of
	// state TIME_WAIT alone.
	TimeWait int
	// Alloc is the TCP sockets allocated ("alloc").
	Alloc int
	// InUse6 is the IPv6 TCP sockets in use ("TCP6: inuse"), or -1 when
	// /proc/net/sockstat6 is absent.
	InUse6 int
}

// ParseSockstat reads the "TCP:" line of sockstat and the "TCP6:" line of
// sockstat6 (nil when absent) into a Sockstat. A missing TCP line is
// ErrMalformed.
func ParseSockstat(sockstat, sockstat6 io.Reader) (Sockstat, error) {
	st := Sockstat{InUse6: -1}
	kv, err := protoLine(sockstat, "TCP:")
	if err != nil {
		return Sockstat{}, fmt.Errorf("/proc/net/sockstat: %w", err)
	}
	st.InUse, st.Orphan, st.TimeWait, st.Alloc = kv["inuse"], kv["orphan"], kv["tw"], kv["alloc"]
	if sockstat6 != nil {
		if kv6, err := protoLine(sockstat6, "TCP6:"); err == nil {
			st.InUse6 = kv6["inuse"]
		}
	}
	return st, nil
}

// protoLine finds the line starting with prefix and parses its
// "key value" pairs.
func protoLine(r io.Reader, prefix string) (map[string]int, error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		rest, ok := bytes.CutPrefix(sc.Bytes(), []byte(prefix))
		if !ok {
			continue
		}
		f := bytes.Fields(rest)
		kv := make(map[string]int, len(f)/2)
		for i := 0; i+1 < len(f); i += 2 {
			v, err := strconv.Atoi(string(f[i+1]))
			if err != nil {
				return nil, fmt.Errorf("%w: %s %s=%q", ErrMalformed, prefix, f[i], f[i+1])
			}
			kv[string(f[i])] = v
		}
		return kv, nil
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return nil, fmt.Errorf("%w: no %q line", ErrMalformed, prefix)
}

package netns

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"
)

// Config describes the namespace a test runs in.
type Config struct {
	// PortLow and PortHigh set net.ipv4.ip_local_port_range (which also
	// governs IPv6). Zero keeps the kernel's default range.
	PortLow, PortHigh uint16
	// TWReuse sets net.ipv4.tcp_tw_reuse. The zero value, 0, turns the
	// reuse of TIME_WAIT ports off, so port exhaustion shows exactly.
	TWReuse int
	// Addrs are added to lo, e.g. 127.0.0.2/8 or fd00::2/128.
	Addrs []netip.Prefix
	// Sysctls are further settings, keyed like "net.ipv4.tcp_fin_timeout".
	// They override the defaults, net.ipv4.tcp_rfc1337 among them.
	Sysctls map[string]string
}

// rfc1337 is net.ipv4.tcp_rfc1337, which every namespace sets to 1 unless
// Sysctls says otherwise: a TIME_WAIT then ignores RSTs. With the kernel's
// 0, one RST ends a TIME_WAIT at once (RFC 1337's "TIME-WAIT
// assassination"), and loopback produces such RSTs by itself: a server
// sends a stale duplicate ACK after its FIN, the client's TIME_WAIT
// answers it, the server's socket is already gone, the listener answers
// with an RST. A port then comes free 60 s early and an exact count of
// TIME_WAITs or of exhausted ports comes out off by one.
const rfc1337 = "net.ipv4.tcp_rfc1337"

// sysctls returns every setting the config implies, in a stable order.
func (c Config) sysctls() [][2]string {
	all := map[string]string{
		"net.ipv4.tcp_tw_reuse": fmt.Sprint(c.TWReuse),
		rfc1337:                 "1",
	}
	if c.PortLow != 0 || c.PortHigh != 0 {
		all["net.ipv4.ip_local_port_range"] = fmt.Sprintf("%d %d", c.PortLow, c.PortHigh)
	}
	for k, v := range c.Sysctls {
		all[k] = v
	}
	keys := make([]string, 0, len(all))
	for k := range all {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([][2]string, len(keys))
	for i, k := range keys {
		out[i] = [2]string{k, all[k]}
	}
	return out
}

// sysctlPath maps "net.ipv4.tcp_tw_reuse" to its /proc/sys file.
func sysctlPath(key string) string {
	return "/proc/sys/" + strings.ReplaceAll(key, ".", "/")
}

package dialer

import (
	"net"
	"net/netip"
)

// sockSource is a source address ready to bind.
type sockSource struct {
	addr netip.Addr
	zone uint32 // interface index of an IPv6 scoped address
}

// initSources splits SourceAddrs by family, IPv4-mapped addresses counting
// as IPv4.
func (d *Dialer) initSources() error {
	for i, a := range d.cfg.SourceAddrs {
		a = a.Unmap()
		src := sockSource{addr: a}
		if z := a.Zone(); z != "" {
			ifc, err := net.InterfaceByName(z)
			if err != nil {
				return &ConfigError{Field: field("SourceAddrs[" + itoa(i) + "]"), Value: a, Reason: "unknown zone", Err: err}
			}
			src.zone = uint32(ifc.Index)
		}
		if a.Is4() {
			d.v4 = append(d.v4, src)
		} else {
			d.v6 = append(d.v6, src)
		}
	}
	return nil
}

// sourcesFor returns the sources usable for network "tcp4" or "tcp6".
func (d *Dialer) sourcesFor(network string) []sockSource {
	if network == "tcp6" {
		return d.v6
	}
	return d.v4
}

package dialer

// portMode says how Config.PortRange is put into effect.
type portMode uint8

const (
	portSystem  portMode = iota // no PortRange: the system range
	portSockopt                 // IP_LOCAL_PORT_RANGE on each socket
	portBind                    // explicit bind(ip, port) with SO_REUSEADDR
)

// initPorts picks how PortRange is applied: the socket option where the
// kernel has it (Linux 6.3 and later) and the range lies inside the system
// range, explicit binds otherwise. The kernel ignores a per-socket bound
// that falls outside the system range, so only explicit binds can confine
// ports to a range that reaches beyond it.
func (d *Dialer) initPorts() error {
	switch {
	case d.cfg.PortRange.IsZero():
		d.ports = portSystem
	case d.cfg.forcePortBind || !localPortRangeSupported() || !withinSystemRange(d.cfg.PortRange):
		d.ports = portBind
	default:
		d.ports = portSockopt
	}
	return nil
}

package dialer

// portMode says how Config.PortRange is put into effect.
type portMode uint8

const (
	portSystem  portMode = iota // no PortRange: the system range
	portSockopt                 // IP_LOCAL_PORT_RANGE on each socket
	portBind                    // explicit bind(ip, port) with SO_REUSEADDR
)

// initPorts picks how PortRange is applied: the socket option where the
// kernel has it (Linux 6.3 and later), explicit binds otherwise.
func (d *Dialer) initPorts() error {
	switch {
	case d.cfg.PortRange.IsZero():
		d.ports = portSystem
	case d.cfg.forcePortBind || !localPortRangeSupported():
		d.ports = portBind
	default:
		d.ports = portSockopt
	}
	return nil
}

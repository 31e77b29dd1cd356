package httpx

import (
	"context"
	"net"

	"github.com/keepconn/keepconn/internal/dialgate"
	"github.com/keepconn/keepconn/internal/telemetry"
)

// ErrDialBackoff is wrapped in the error a request gets while the
// Transport waits before dialing a host whose last dials failed. The same
// error also wraps the last dial error. It is the same error as
// pool.ErrDialBackoff.
var ErrDialBackoff = dialgate.ErrBackoff

type dialFunc func(context.Context, string, string) (net.Conn, error)

// dialWith returns the DialContext of the tuned transport: inner behind
// the host's dial gate, under ConnectTimeout, counted, and wrapped in a
// conn. Dials are claimed (telemetry.Claim), so a keepconn dialer leaves
// them out of its own metrics: the Transport reports them per host.
func (t *Transport) dialWith(inner dialFunc) dialFunc {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		h := t.hosts.startDial(t, addr)
		defer h.endDial()
		ctx, cancel := context.WithTimeout(telemetry.Claim(ctx), t.cfg.ConnectTimeout)
		defer cancel()
		nc, err := h.gate.Dial(ctx, h.live.Load() > 0, func() (net.Conn, error) {
			nc, err := inner(ctx, network, addr)
			if err != nil {
				h.dials.Failed(err, false)
			} else {
				h.dials.Opened()
			}
			return nc, err
		})
		if err != nil {
			return nil, err
		}
		h.open.Add(1)
		h.live.Add(1)
		return newConn(t, h, nc), nil
	}
}

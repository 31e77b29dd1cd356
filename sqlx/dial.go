package sqlx

import (
	"context"
	"database/sql/driver"
	"errors"
	"net"
	"time"

	"github.com/keepconn/keepconn/dialer"
	"github.com/keepconn/keepconn/internal/telemetry"
)

// DefaultAwaitPeerClose is the dialer.Config.AwaitPeerClose of the dialer
// NewDialer makes when given none: how long a closed connection waits for
// the server's FIN after the driver's goodbye (PostgreSQL Terminate, MySQL
// COM_QUIT), so that the server, not this host, keeps the TIME_WAIT.
const DefaultAwaitPeerClose = time.Second

// DefaultDialerConfig is the dialer configuration NewDialer uses when
// given no dialer: a 30 s connect timeout and peer-first close.
func DefaultDialerConfig() dialer.Config {
	return dialer.Config{ConnectTimeout: 30 * time.Second, AwaitPeerClose: DefaultAwaitPeerClose}
}

// Dialer dials a driver's connections through a keepconn dialer and
// tracks each one for the Connector it is paired with (Dialer.Connector),
// so that every connection's close is counted with its reason and side.
// Give its DialContext to the driver (pgconn.Config.DialFunc,
// mysql.Config.DialFunc) or the Dialer itself (lib/pq Connector.Dialer).
// Dials not made for a Connector (pgx's cancel requests) go through the
// keepconn dialer untracked: its own Stats and metrics count them.
//
// A Dialer is safe for concurrent use.
type Dialer struct {
	d     *dialer.Dialer
	owned bool
}

// NewDialer returns a Dialer dialing through d. Nil means a new dialer
// with DefaultDialerConfig, which Connector.Close closes.
func NewDialer(d *dialer.Dialer) (*Dialer, error) {
	if d != nil {
		return &Dialer{d: d}, nil
	}
	nd, err := dialer.New(DefaultDialerConfig())
	if err != nil {
		return nil, err
	}
	return &Dialer{d: nd, owned: true}, nil
}

// KeepconnDialer returns the keepconn dialer dials go through.
func (d *Dialer) KeepconnDialer() *dialer.Dialer { return d.d }

// DialContext dials address. Under a Connector's Connect the connection
// is tracked: the dial is made under telemetry.Claim, so the keepconn
// dialer leaves it out of its own metrics (the Connector reports it),
// while the dialer's Stats still count it.
func (d *Dialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	s := slotFrom(ctx)
	if s == nil {
		return d.d.DialContext(ctx, network, address)
	}
	c, err := d.d.DialContext(telemetry.Claim(ctx), network, address)
	if err != nil {
		s.tr.dials.Failed(err, false)
		return nil, err
	}
	return s.track(c), nil
}

// Dial dials without a deadline; lib/pq's Dialer interface.
func (d *Dialer) Dial(network, address string) (net.Conn, error) {
	return d.DialContext(context.Background(), network, address)
}

// DialTimeout dials within timeout; lib/pq's Dialer interface (lib/pq
// calls DialContext, with the Connect context, since it is there).
func (d *Dialer) DialTimeout(network, address string, timeout time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return d.DialContext(ctx, network, address)
}

// Connector pairs the driver's connector c, whose driver dials through
// d, with d: the Connector to give Open. info names the server's dialect
// and address. A Connect whose driver did not dial through d fails with
// ErrUntracked.
func (d *Dialer) Connector(c driver.Connector, info ServerInfo) *Connector {
	return &Connector{inner: c, dialer: d, info: info, tr: newTracker()}
}

// ErrUntracked is returned by Connect when the driver made a connection
// without dialing through the Connector's Dialer: the pairing is wrong.
var ErrUntracked = errors.New("keepconn/sqlx: the driver did not dial through the sqlx.Dialer of its Connector")

type slotKey struct{}

func withSlot(ctx context.Context, s *slot) context.Context {
	return context.WithValue(ctx, slotKey{}, s)
}

func slotFrom(ctx context.Context) *slot {
	s, _ := ctx.Value(slotKey{}).(*slot)
	return s
}

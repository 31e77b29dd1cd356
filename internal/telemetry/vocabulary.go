package telemetry

import (
	"context"

	"github.com/keepconn/keepconn"
)

// Side and Reason are the public vocabulary, under the names the packages
// have always used inside keepconn.
type (
	Side   = keepconn.Side
	Reason = keepconn.Reason
)

const (
	SideActive   = keepconn.SideActive
	SidePassive  = keepconn.SidePassive
	SideAbortive = keepconn.SideAbortive

	ReasonClosed      = keepconn.ReasonClosed
	ReasonMaxIdle     = keepconn.ReasonMaxIdle
	ReasonMaxIdleTime = keepconn.ReasonMaxIdleTime
	ReasonMaxLifetime = keepconn.ReasonMaxLifetime
	ReasonPeerClosed  = keepconn.ReasonPeerClosed
	ReasonBroken      = keepconn.ReasonBroken

	numReasons = keepconn.NumReasons
	numSides   = keepconn.NumSides
)

// Sides lists every Side, in order.
func Sides() []Side { return keepconn.Sides() }

// Reasons lists every Reason, in order.
func Reasons() []Reason { return keepconn.Reasons() }

// claimKey marks the context of a dial made for a keepconn adapter (pool,
// httpx, sqlx, redisx) that reports the connection in its own metrics.
type claimKey struct{}

// Claim returns ctx marked so that a keepconn dialer dialing under it
// leaves the connection out of its own metrics: the adapter reports it,
// with its pool name, and an operator summing keepconn.connection.* over
// all series counts it once. The dialer's Stats still count it.
func Claim(ctx context.Context) context.Context {
	if Claimed(ctx) {
		return ctx
	}
	return context.WithValue(ctx, claimKey{}, true)
}

// Claimed reports whether ctx was marked by Claim.
func Claimed(ctx context.Context) bool {
	return ctx.Value(claimKey{}) != nil
}

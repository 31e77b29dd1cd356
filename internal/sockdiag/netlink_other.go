//go:build !linux

package sockdiag

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"runtime"
)

// errUnsupported names the operating system that has no socket census.
var errUnsupported = fmt.Errorf("keepconn/sockdiag: listing TCP sockets is unsupported on %s: %w", runtime.GOOS, errors.ErrUnsupported)

// Dump is Linux-only; elsewhere it reports errors.ErrUnsupported.
func Dump(ctx context.Context, mask StateMask, visit func(Socket)) error {
	return errUnsupported
}

// ReadProc is Linux-only; elsewhere it reports errors.ErrUnsupported.
func ReadProc(ctx context.Context, mask StateMask, visit func(Socket)) error {
	return errUnsupported
}

// ReadSockstat is Linux-only; elsewhere it reports errors.ErrUnsupported.
func ReadSockstat() (Sockstat, error) { return Sockstat{}, errUnsupported }

// ReadPortRange is Linux-only; elsewhere it reports errors.ErrUnsupported.
func ReadPortRange() (low, high uint16, err error) { return 0, 0, errUnsupported }

// Collect is Linux-only; elsewhere it reports errors.ErrUnsupported.
func Collect(ctx context.Context, mask StateMask, visit func(Socket)) (Source, error) {
	return 0, errUnsupported
}

// Lookup is Linux-only; elsewhere it reports errors.ErrUnsupported.
func Lookup(local, remote netip.AddrPort) (state uint8, found bool, err error) {
	return 0, false, errUnsupported
}

// Looker is Linux-only; elsewhere its Lookup reports errors.ErrUnsupported.
type Looker struct{}

// Lookup reports errors.ErrUnsupported.
func (*Looker) Lookup(local, remote netip.AddrPort) (uint8, bool, error) {
	return 0, false, errUnsupported
}

// Close does nothing.
func (*Looker) Close() error { return nil }

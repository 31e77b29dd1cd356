//go:build !linux

package netns

import (
	"errors"
	"net/netip"
	"os/exec"
)

var errNotLinux = errors.New("network namespaces exist only on Linux")

// Unavailable says why namespaces cannot be made here.
func Unavailable() string { return errNotLinux.Error() }

// Start fails: network namespaces exist only on Linux.
func Start(*exec.Cmd) error { return errNotLinux }

// Run fails: network namespaces exist only on Linux.
func Run(*exec.Cmd) error { return errNotLinux }

// Setup fails: network namespaces exist only on Linux.
func Setup(Config) error { return errNotLinux }

// AddAddr fails: network namespaces exist only on Linux.
func AddAddr(string, netip.Prefix) error { return errNotLinux }

// DeleteAddr fails: network namespaces exist only on Linux.
func DeleteAddr(string, netip.Prefix) error { return errNotLinux }

//go:build !linux

package netns

import (
	"errors"
	"os/exec"
	"syscall"
)

var errNotLinux = errors.New("network namespaces exist only on Linux")

// NewNetnsAttr returns nil: network namespaces exist only on Linux.
//
// Deprecated: use Start or Run.
func NewNetnsAttr() *syscall.SysProcAttr { return nil }

// Unavailable says why namespaces cannot be made here.
func Unavailable() string { return errNotLinux.Error() }

// Start fails: network namespaces exist only on Linux.
func Start(*exec.Cmd) error { return errNotLinux }

// Run fails: network namespaces exist only on Linux.
func Run(*exec.Cmd) error { return errNotLinux }

// Setup fails: network namespaces exist only on Linux.
func Setup(Config) error { return errNotLinux }

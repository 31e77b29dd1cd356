//go:build !linux

package netns

import (
	"errors"
	"syscall"
)

// NewNetnsAttr returns nil: network namespaces exist only on Linux.
func NewNetnsAttr() *syscall.SysProcAttr { return nil }

// Unavailable says why namespaces cannot be made here.
func Unavailable() string { return "network namespaces exist only on Linux" }

// Setup fails: network namespaces exist only on Linux.
func Setup(Config) error { return errors.New("network namespaces exist only on Linux") }

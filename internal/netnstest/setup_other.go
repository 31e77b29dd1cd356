//go:build !linux

package netnstest

import (
	"errors"
	"syscall"
)

func newNetnsAttr() *syscall.SysProcAttr { return nil }

func unavailable() string { return "network namespaces exist only on Linux" }

func setup(Config) error { return errors.New("network namespaces exist only on Linux") }

//go:build !linux

package main

import "errors"

func inNetns() bool { return false }

func reexecInNetns(int) error {
	return errors.New("-port-range needs Linux network namespaces")
}

func setupNetns(int) error { return errors.New("network namespaces exist only on Linux") }

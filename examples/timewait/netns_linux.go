package main

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// childEnv marks the copy of the program running in the private namespace
// and carries its port count.
const childEnv = "KEEPCONN_TIMEWAIT_NETNS"

// portLow is the first ephemeral port in the namespace; servers listen
// below it.
const portLow = 40000

func inNetns() bool { return os.Getenv(childEnv) != "" }

// reexecInNetns runs this program again in a new network namespace: the
// whole process must be inside, because net/http dials from its own
// goroutines on any thread.
func reexecInNetns(ports int) error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("-port-range needs root (a new network namespace)")
	}
	cmd := exec.Command("/proc/self/exe", os.Args[1:]...)
	cmd.Env = append(os.Environ(), childEnv+"="+strconv.Itoa(ports))
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET, Pdeathsig: syscall.SIGKILL}
	return cmd.Run()
}

// setupNetns brings lo up and sets the port range and tcp_tw_reuse=0.
func setupNetns(ports int) error {
	if err := linkUp("lo"); err != nil {
		return err
	}
	settings := [][2]string{
		{"net/ipv4/ip_local_port_range", fmt.Sprintf("%d %d", portLow, portLow+ports-1)},
		{"net/ipv4/tcp_tw_reuse", "0"},
	}
	for _, kv := range settings {
		if err := os.WriteFile("/proc/sys/"+kv[0], []byte(kv[1]), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func linkUp(name string) error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return fmt.Errorf("reading flags of %s: %w", name, err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		return fmt.Errorf("bringing %s up: %w", name, err)
	}
	return nil
}

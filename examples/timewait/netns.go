package main

import (
	"errors"
	"os"
	"os/exec"
	"strconv"

	"github.com/keepconn/keepconn/internal/netns"
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
	if reason := netns.Unavailable(); reason != "" {
		return errors.New("-port-range: " + reason)
	}
	cmd := exec.Command("/proc/self/exe", os.Args[1:]...)
	cmd.Env = append(os.Environ(), childEnv+"="+strconv.Itoa(ports))
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	return netns.Run(cmd) // with the proof netns.Setup checks in the child
}

// setupNetns brings lo up and sets the port range and tcp_tw_reuse=0.
func setupNetns(ports int) error {
	return netns.Setup(netns.Config{PortLow: portLow, PortHigh: uint16(portLow + ports - 1)})
}

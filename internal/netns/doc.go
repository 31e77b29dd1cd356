// Package netns sets up a private Linux network namespace from inside the
// process that lives in it: it brings lo up, adds loopback addresses and
// writes the sysctls that make port exhaustion exact (a small
// ip_local_port_range, tcp_tw_reuse=0). The test harness
// (internal/netnstest) and the demo (examples/timewait) both use it; neither
// creates the namespace here, they re-execute themselves with CLONE_NEWNET.
package netns

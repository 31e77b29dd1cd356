// Package netns sets up a private Linux network namespace from inside the
// process that lives in it: it brings lo up, adds loopback addresses and
// writes the sysctls that make port exhaustion exact (a small
// ip_local_port_range, tcp_tw_reuse=0, tcp_rfc1337=1). The test harness
// (internal/netnstest) and the demo (examples/timewait) both use it.
//
// A parent starts the child with Start or Run, which add CLONE_NEWNET to
// the command; the child calls Setup. Because Setup writes sysctls that
// would cripple a host (a 10-port range, no TIME_WAIT reuse), it first
// proves that the process is in a namespace created for it, and refuses
// otherwise — an environment variable alone is never enough:
//
//   - Start passes the child a file descriptor open on the parent's own
//     network namespace, and names that descriptor and the namespace's
//     device and inode in KEEPCONN_NETNS_CREATOR;
//   - the child's Setup checks that the descriptor is a namespace file
//     (nsfs) with that device and inode, that its parent process is in
//     that namespace now (so the parent is the creator), and that its own
//     namespace is neither the creator's nor, where /proc/1 can be read,
//     PID 1's;
//   - then it closes the descriptor, so that the processes the child
//     starts inherit the variable but not the proof.
//
// The refusal is an error wrapping ErrNotCreated, returned before lo, the
// addresses or any sysctl is touched.
package netns

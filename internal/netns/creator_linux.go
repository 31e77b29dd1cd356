package netns

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// creatorEnv carries the creator's proof to the child: the number of the
// file descriptor the child inherited, open on the creator's network
// namespace, and that namespace's device and inode ("fd:dev:ino").
const creatorEnv = "KEEPCONN_NETNS_CREATOR"

// Start starts cmd in a new network namespace, as cmd.Start does, with the
// proof Setup checks in the child: a file descriptor open on this
// process's network namespace (appended to cmd.ExtraFiles) and its
// identity in the environment. It sets CLONE_NEWNET in cmd.SysProcAttr
// and, unless set, Pdeathsig to SIGKILL, so the child dies with this
// process. A nil cmd.Env means os.Environ(), as for exec.Cmd.
func Start(cmd *exec.Cmd) error {
	f, err := os.Open("/proc/self/ns/net")
	if err != nil {
		return fmt.Errorf("netns: opening this process's namespace: %w", err)
	}
	defer f.Close() // the child has its own copy once started
	id, err := nsIDOf(f)
	if err != nil {
		return err
	}
	fd := 3 + len(cmd.ExtraFiles)
	cmd.ExtraFiles = append(cmd.ExtraFiles, f)
	env := cmd.Env
	if env == nil {
		env = os.Environ()
	}
	cmd.Env = append(withoutVar(env, creatorEnv), fmt.Sprintf("%s=%d:%d:%d", creatorEnv, fd, id.dev, id.ino))
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Cloneflags |= syscall.CLONE_NEWNET
	if cmd.SysProcAttr.Pdeathsig == 0 {
		cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	}
	return cmd.Start()
}

// Run runs cmd in a new network namespace and waits for it, as cmd.Run
// does. See Start.
func Run(cmd *exec.Cmd) error {
	if err := Start(cmd); err != nil {
		return err
	}
	return cmd.Wait()
}

// nsID identifies a namespace: the device and inode of its nsfs file.
type nsID struct{ dev, ino uint64 }

func nsIDOf(f *os.File) (nsID, error) {
	fi, err := f.Stat()
	if err != nil {
		return nsID{}, fmt.Errorf("netns: %w", err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	return nsID{uint64(st.Dev), st.Ino}, nil
}

func nsIDAt(path string) (nsID, error) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return nsID{}, &os.PathError{Op: "stat", Path: path, Err: err}
	}
	return nsID{st.Dev, st.Ino}, nil
}

var (
	verifyMu sync.Mutex
	verified nsID // the namespace proven created, once Setup checked it
)

// verifyCreated returns nil only if this process is in a network namespace
// its parent created for it with Start: the inherited descriptor is a
// namespace file, it is the one the environment names, the parent is in
// that namespace, and this process is neither in it nor in PID 1's.
// Once proven, the descriptor is closed and the namespace remembered.
func verifyCreated() error {
	verifyMu.Lock()
	defer verifyMu.Unlock()
	own, err := nsIDAt("/proc/self/ns/net")
	if err != nil {
		return refusal("cannot identify this process's namespace: %v", err)
	}
	if verified != (nsID{}) && own == verified {
		return nil
	}
	fd, creator, err := parseProof(os.Getenv(creatorEnv))
	if err != nil {
		return refusal("%v (start the process with netns.Start or netns.Run)", err)
	}
	if err := checkProofFD(fd, creator); err != nil {
		return refusal("%v", err)
	}
	if err := checkNamespaces(own, creator); err != nil {
		return refusal("%v", err)
	}
	unix.Close(fd)
	verified = own
	return nil
}

func refusal(format string, args ...any) error {
	return fmt.Errorf("netns: refusing to configure this network namespace: %s: %w",
		fmt.Sprintf(format, args...), ErrNotCreated)
}

// parseProof reads "fd:dev:ino".
func parseProof(v string) (int, nsID, error) {
	if v == "" {
		return 0, nsID{}, fmt.Errorf("%s is not set", creatorEnv)
	}
	parts := strings.Split(v, ":")
	if len(parts) != 3 {
		return 0, nsID{}, fmt.Errorf("%s=%q is not fd:dev:ino", creatorEnv, v)
	}
	var n [3]uint64
	for i, p := range parts {
		x, err := strconv.ParseUint(p, 10, 64)
		if err != nil {
			return 0, nsID{}, fmt.Errorf("%s=%q is not fd:dev:ino", creatorEnv, v)
		}
		n[i] = x
	}
	if n[0] < 3 || n[0] > 1<<20 {
		return 0, nsID{}, fmt.Errorf("%s=%q names descriptor %d, not an inherited one", creatorEnv, v, n[0])
	}
	return int(n[0]), nsID{n[1], n[2]}, nil
}

// checkProofFD checks that fd is open on a namespace file, the one the
// environment names.
func checkProofFD(fd int, creator nsID) error {
	var sfs unix.Statfs_t
	if err := unix.Fstatfs(fd, &sfs); err != nil {
		return fmt.Errorf("descriptor %d from %s: %v", fd, creatorEnv, err)
	}
	if sfs.Type != unix.NSFS_MAGIC {
		return fmt.Errorf("descriptor %d from %s is not a namespace file", fd, creatorEnv)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return fmt.Errorf("descriptor %d from %s: %v", fd, creatorEnv, err)
	}
	if got := (nsID{st.Dev, st.Ino}); got != creator {
		return fmt.Errorf("descriptor %d is namespace %d:%d, not the %d:%d %s names",
			fd, got.dev, got.ino, creator.dev, creator.ino, creatorEnv)
	}
	return nil
}

// checkNamespaces checks that the parent is the creator and that this
// process left the creator's namespace and, where /proc/1 can be read (a
// sandbox may hide it even from root), PID 1's.
func checkNamespaces(own, creator nsID) error {
	if own == creator {
		return fmt.Errorf("this process is in its creator's network namespace, not a new one")
	}
	ppid := os.Getppid()
	parent, err := nsIDAt(fmt.Sprintf("/proc/%d/ns/net", ppid))
	if err != nil {
		return fmt.Errorf("cannot identify the parent's namespace: %v", err)
	}
	if parent != creator {
		return fmt.Errorf("the parent process %d is not in the creator's namespace: it did not start this process", ppid)
	}
	if os.Getpid() != 1 {
		if init, err := nsIDAt("/proc/1/ns/net"); err == nil && init == own {
			return fmt.Errorf("this process is in the network namespace of PID 1")
		}
	}
	return nil
}

// withoutVar drops every key=... entry from env.
func withoutVar(env []string, key string) []string {
	out := make([]string, 0, len(env)+1)
	for _, kv := range env {
		if !strings.HasPrefix(kv, key+"=") {
			out = append(out, kv)
		}
	}
	return out
}

//go:build unix

package dbtest

import (
	"os"
	"os/exec"
	"syscall"
)

// credential is the system user a server runs as.
type credential = syscall.Credential

// runAs makes cmd run as cred.
func runAs(cmd *exec.Cmd, cred *credential) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
}

// tryLock takes an exclusive lock on f without waiting.
func tryLock(f *os.File) error {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
}

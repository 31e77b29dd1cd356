//go:build !unix

package dbtest

import (
	"errors"
	"os"
	"os/exec"
)

// credential is the system user a server runs as; servers are only
// started on Unix systems (elsewhere tempDirFor reports ErrNotRoot).
type credential struct{ Uid, Gid uint32 }

func runAs(*exec.Cmd, *credential) {}

func tryLock(*os.File) error { return errors.ErrUnsupported }

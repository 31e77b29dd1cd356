//go:build unix

package benchpair

import (
	"syscall"
	"time"
)

// CPUTime is the CPU time (user and system) the process has used: a
// benchmark's cost that another process's load on the machine disturbs
// less than its wall time.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

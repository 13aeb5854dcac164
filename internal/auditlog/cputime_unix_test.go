//go:build unix

package auditlog

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time the process used (user and system): on a loaded
// machine, events per CPU second say more than events per second.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

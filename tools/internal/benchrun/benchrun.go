// Package benchrun measures commands for the benchmark tools: wall time, CPU time
// and peak resident set size of a child process, the best of several runs.
package benchrun

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Command is a command to measure.
type Command struct {
	Argv []string
	Dir  string   // working directory; "" for the current one
	Env  []string // added to the environment
	// StopAfter: a run longer than this is not repeated (0: every run is made).
	StopAfter time.Duration
}

// Measurement is one run of a command.
type Measurement struct {
	Wall, CPU time.Duration
	// RSSKB is the child's peak resident set size in KiB (the rusage wait4 returns).
	RSSKB int64
	// Stderr is what the run wrote on its standard error.
	Stderr string
}

// Best runs c runs times and returns the run with the best wall time, with that
// run's CPU time, peak RSS and standard error. Exit codes 1 (findings) and 3 (some
// input unreadable) are results, not failures.
func Best(runs int, c Command) (Measurement, error) {
	best := Measurement{Wall: time.Hour}
	for range runs {
		cmd := exec.Command(c.Argv[0], c.Argv[1:]...)
		cmd.Dir = c.Dir
		if c.Env != nil {
			cmd.Env = append(os.Environ(), c.Env...)
		}
		cmd.Stdout = io.Discard
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		start := time.Now()
		err := cmd.Run()
		wall := time.Since(start)
		var ee *exec.ExitError
		if err != nil && !(errors.As(err, &ee) && (ee.ExitCode() == 1 || ee.ExitCode() == 3)) {
			msg := stderr.String()
			if len(msg) > 2000 {
				msg = msg[:2000]
			}
			return Measurement{}, fmt.Errorf("%s: %v: %s", strings.Join(c.Argv, " "), err, msg)
		}
		m := Measurement{Wall: wall, Stderr: stderr.String()}
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			m.CPU = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
			m.RSSKB = ru.Maxrss
		}
		if m.Wall < best.Wall {
			best = m
		}
		if c.StopAfter > 0 && wall > c.StopAfter {
			break
		}
	}
	return best, nil
}

// Duration formats a duration for a table: "850 ms", "12.34 s".
func Duration(d time.Duration) string {
	if d < time.Second {
		return fmt.Sprintf("%d ms", d.Milliseconds())
	}
	return strconv.FormatFloat(d.Seconds(), 'f', 2, 64) + " s"
}

// MiB is a size in KiB rounded to MiB.
func MiB(kb int64) int64 { return (kb + 512) / 1024 }

package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/palisade-k8s/palisade/tools/internal/benchrun"
)

// inputs are the generated logs: files, or generated anew into a pipe each time
// one is read (stream).
type inputs struct {
	rec    *recording
	p      genParams
	stream bool
	files  []generated
}

// open reads the log of size.
func (in inputs) open(size int64) (io.ReadCloser, error) {
	if !in.stream {
		for _, f := range in.files {
			if f.Bytes >= size && f.Bytes-size < 1<<20 {
				return os.Open(f.Path)
			}
		}
		return nil, fmt.Errorf("no generated log of %s", sizeName(size))
	}
	pr, pw := io.Pipe()
	go func() {
		w := bufio.NewWriterSize(pw, 1<<20)
		_, err := replayInto(in.rec, in.p, []int64{size}, []io.Writer{w})
		if err == nil {
			err = w.Flush()
		}
		pw.CloseWithError(err)
	}()
	return pr, nil
}

// best runs argv with the log of size runs times and keeps the best wall time,
// as benchrun.Best does; it also says how many events and bytes the log has. The
// log is argv's last argument (a file, or "-" and the log on standard input when
// streaming), or for the baseline (auditbench itself) in $AUDITBENCH_DECODE.
func (in inputs) best(runs int, size int64, argv, env []string, baseline bool) (benchrun.Measurement, generated, error) {
	with := func(name string) ([]string, []string) {
		if baseline {
			return argv, append(env[:len(env):len(env)], decodeEnv+"="+name)
		}
		return append(argv[:len(argv):len(argv)], name), env
	}
	var g generated
	if !in.stream {
		for _, f := range in.files {
			if f.Bytes >= size && f.Bytes-size < 1<<20 {
				g = f
			}
		}
		if g.Path == "" {
			return benchrun.Measurement{}, g, fmt.Errorf("no generated log of %s", sizeName(size))
		}
		args, env := with(g.Path)
		m, err := benchrun.Best(runs, benchrun.Command{Argv: args, Env: env, StopAfter: time.Minute})
		return m, g, err
	}
	args, env := with(stdinName)
	best := benchrun.Measurement{Wall: time.Hour}
	for range runs {
		pr, pw := io.Pipe()
		counted := make(chan generated, 1)
		go func() {
			w := bufio.NewWriterSize(pw, 1<<20)
			cs, err := replayInto(in.rec, in.p, []int64{size}, []io.Writer{w})
			if err == nil {
				err = w.Flush()
			}
			pw.CloseWithError(err)
			if err == nil {
				counted <- cs[0]
			}
			close(counted)
		}()
		m, err := child(args, env, pr)
		pr.Close()
		c, ok := <-counted
		if err != nil {
			return m, g, err
		}
		if !ok {
			return m, g, errors.New("generating the log failed")
		}
		g = c
		if m.Wall < best.Wall {
			best = m
		}
		if m.Wall > time.Minute {
			break
		}
	}
	return best, g, nil
}

// child runs one measured process with stdin, as benchrun.Best does for files:
// exit codes 1 (findings) and 3 are results.
func child(argv, env []string, stdin io.Reader) (benchrun.Measurement, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin, cmd.Stdout = stdin, io.Discard
	var stderr strings.Builder
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Run()
	m := benchrun.Measurement{Wall: time.Since(start), Stderr: stderr.String()}
	var ee *exec.ExitError
	if err != nil && !(errors.As(err, &ee) && (ee.ExitCode() == 1 || ee.ExitCode() == 3)) {
		return m, fmt.Errorf("%s: %v: %s", strings.Join(argv, " "), err, firstLine([]byte(m.Stderr)))
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		m.CPU = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		m.RSSKB = ru.Maxrss
	}
	return m, nil
}

// cachedAll reports whether every log is already generated in dir.
func cachedAll(dir string, rec *recording, p genParams, sizes []int64) bool {
	for _, size := range sizes {
		if _, err := os.Stat(logPath(dir, size, p)); err != nil {
			return false
		}
	}
	return true
}

package nodecollect

// The node daemons' processes, from /proc: a process is the kubelet (or
// kube-proxy) when the base name of its argv[0] or of /proc/PID/exe is the
// daemon's name (or "hyperkube" with the daemon's name as its first argument). Its
// command line is /proc/PID/cmdline (NUL-separated, bounded), its working directory
// the target of /proc/PID/cwd, a host path. Nothing else of the process is read
// (never its environment).

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

const (
	// maxCmdline bounds a command line read from /proc (the kernel allows more,
	// no kubelet needs it).
	maxCmdline = 256 << 10
	// maxArgs bounds the arguments kept.
	maxArgs = 4096
	// maxProcs bounds the /proc entries examined.
	maxProcs = 1 << 20
)

// parseCmdline splits the content of /proc/PID/cmdline: arguments separated by NUL
// bytes, the last terminated by one. A process that rewrote its command line may
// leave a single string with spaces: it is kept as one argument.
func parseCmdline(raw []byte) []string {
	raw = bytes.TrimSuffix(raw, []byte{0})
	if len(raw) == 0 {
		return nil
	}
	parts := bytes.Split(raw, []byte{0})
	if len(parts) > maxArgs {
		parts = parts[:maxArgs]
	}
	out := make([]string, len(parts))
	for i, p := range parts {
		out[i] = string(p)
	}
	return out
}

// proc is one process of interest.
type proc struct {
	pid, ppid int
	argv      []string
	exe, cwd  string
}

// daemonArgs says whether argv (and the executable exe) run the daemon name, and
// returns the daemon's arguments (after "kubelet", or after "hyperkube kubelet").
func daemonArgs(name string, argv []string, exe string) ([]string, bool) {
	if len(argv) == 0 {
		return nil, false
	}
	base := filepath.Base(argv[0])
	exeBase := filepath.Base(strings.TrimSuffix(exe, " (deleted)"))
	if base == "hyperkube" || exeBase == "hyperkube" {
		if len(argv) > 1 && argv[1] == name {
			return argv[2:], true
		}
		return nil, false
	}
	if base == name || (exe != "" && exeBase == name) {
		return argv[1:], true
	}
	return nil, false
}

// findProcs returns the processes of each name (in PID order), and notes.
func findProcs(ctx context.Context, procDir string, names []string, filter func(int) bool) (map[string][]proc, []string, error) {
	d, err := os.Open(procDir)
	if err != nil {
		return nil, nil, err
	}
	defer d.Close()
	ents, err := d.Readdirnames(maxProcs)
	if err != nil && err != io.EOF {
		return nil, nil, err
	}
	var pids []int
	for _, e := range ents {
		if pid, err := strconv.Atoi(e); err == nil && pid > 0 && (filter == nil || filter(pid)) {
			pids = append(pids, pid)
		}
	}
	sort.Ints(pids)
	out := map[string][]proc{}
	var notes []string
	for _, pid := range pids {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		dir := filepath.Join(procDir, strconv.Itoa(pid))
		raw, err := readBounded(filepath.Join(dir, "cmdline"), maxCmdline)
		if err != nil || len(raw) == 0 {
			continue // a kernel thread, or gone
		}
		argv := parseCmdline(raw)
		exe, _ := os.Readlink(filepath.Join(dir, "exe"))
		for _, name := range names {
			args, ok := daemonArgs(name, argv, exe)
			if !ok {
				continue
			}
			p := proc{pid: pid, argv: append([]string{argv[0]}, args...), exe: exe}
			if p.exe == "" {
				p.exe = argv[0]
			}
			cwd, err := os.Readlink(filepath.Join(dir, "cwd"))
			if err != nil {
				notes = append(notes, fmt.Sprintf("%s: %v (relative paths of %s resolve against /)", filepath.Join(dir, "cwd"), err, name))
				cwd = "/"
			}
			p.cwd = cwd
			p.ppid = readPPid(filepath.Join(dir, "stat"))
			out[name] = append(out[name], p)
		}
	}
	return out, notes, nil
}

// readPPid reads the parent's PID from /proc/PID/stat (the field after the
// command's closing parenthesis and the state).
func readPPid(path string) int {
	raw, err := readBounded(path, 4096)
	if err != nil {
		return 0
	}
	i := bytes.LastIndexByte(raw, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(raw[i+1:]))
	if len(f) < 2 {
		return 0
	}
	n, _ := strconv.Atoi(f[1])
	return n
}

// pick chooses among several processes of one daemon the one whose parent is not
// itself one of them (a wrapper that re-executes, a supervisor's child), else the
// first; ok is false when the choice was ambiguous.
func pick(ps []proc) (proc, bool) {
	if len(ps) == 1 {
		return ps[0], true
	}
	pids := map[int]bool{}
	for _, p := range ps {
		pids[p.pid] = true
	}
	var roots []proc
	for _, p := range ps {
		if !pids[p.ppid] {
			roots = append(roots, p)
		}
	}
	if len(roots) == 0 {
		return ps[0], false
	}
	return roots[0], len(roots) == 1
}

// readBounded reads at most limit bytes of a file (a /proc file has no size).
func readBounded(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, limit))
}

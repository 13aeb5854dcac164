// Command nodebench measures judging node facts files: N generated facts files of a
// realistic size (a kubeadm worker with a relative --config, two drop-ins and the
// files of CIS 4.1; every tenth node a control-plane node, with its manifests,
// kubeconfigs and PKI files of CIS 1.1) are written once into -work, then two child
// processes of this program read them, each measured for wall time, CPU time and
// peak RSS (the best of -runs):
//
//   - decode, the baseline: every file read and decoded with encoding/json into
//     nodefacts.Facts, nothing more;
//   - scan: `palisade scan DIR` in process (the input layer, the strict facts
//     decoding, the effective kubelet configuration, every node rule, suppression
//     and the JSON report, written to /dev/null).
//
// The result is Markdown for docs/BENCHMARKS.md, written between
// <!-- nodebench:begin ... --> and <!-- nodebench:end --> in -doc, else printed.
// `make bench` runs it at 1, 100 and 1,000 nodes; -quick is a smoke test at 1, 10
// and 100.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/palisade-k8s/palisade/internal/cli"
	"github.com/palisade-k8s/palisade/internal/nodefacts"
	"github.com/palisade-k8s/palisade/tools/internal/benchrun"
	"github.com/palisade-k8s/palisade/tools/internal/docsection"
)

// childEnv makes this program a measured child: NODEBENCH_CHILD=MODE:DIR.
const childEnv = "NODEBENCH_CHILD"

// Modes of a child.
const (
	modeDecode = "decode"
	modeScan   = "scan"
)

var modes = []string{modeDecode, modeScan}

// asChild runs this process as a measured child when childEnv says so (main and
// the tests' TestMain call it first), and exits.
func asChild() {
	spec := os.Getenv(childEnv)
	if spec == "" {
		return
	}
	mode, dir, _ := strings.Cut(spec, ":")
	if err := child(mode, dir, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "nodebench child:", err)
		os.Exit(2)
	}
	os.Exit(0)
}

func main() {
	asChild()
	var o options
	flag.StringVar(&o.doc, "doc", "", "document whose nodebench section to rewrite (else print it)")
	flag.StringVar(&o.work, "work", filepath.Join(os.TempDir(), "palisade-nodebench"), "directory for the generated facts files (kept: later runs reuse them)")
	flag.IntVar(&o.runs, "runs", 2, "runs per measurement (the best wall time is kept)")
	flag.BoolVar(&o.quick, "quick", false, "smoke test: 1, 10 and 100 nodes, one run")
	flag.Parse()
	if err := run(o, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "nodebench:", err)
		os.Exit(1)
	}
}

type options struct {
	doc, work string
	runs      int
	quick     bool
}

func progress(format string, a ...any) { fmt.Fprintf(os.Stderr, "nodebench: "+format+"\n", a...) }

// sizes are the numbers of nodes measured.
func sizes(o options) []int {
	if o.quick {
		return []int{1, 10, 100}
	}
	return []int{1, 100, 1000}
}

// report is what a child says of its own run (on its standard error, last line).
type report struct {
	Files  int   `json:"files"`
	StepNS int64 `json:"stepNs"`
	// HeapBytes is the live heap after the step, its result kept.
	HeapBytes uint64 `json:"heapBytes"`
	Findings  int    `json:"findings"`
	Unknown   int    `json:"unknown"`
}

type result struct {
	nodes    int
	bytes    int64
	measured map[string]benchrun.Measurement
	reports  map[string]report
}

func run(o options, w io.Writer) error {
	if o.runs < 1 {
		return fmt.Errorf("-runs is at least 1")
	}
	if o.quick {
		o.runs = 1
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	var results []result
	for _, n := range sizes(o) {
		dir, size, err := generate(o.work, n)
		if err != nil {
			return err
		}
		r := result{nodes: n, bytes: size, measured: map[string]benchrun.Measurement{}, reports: map[string]report{}}
		for _, mode := range modes {
			progress("%d nodes: %s ...", n, mode)
			m, err := benchrun.Best(o.runs, benchrun.Command{Argv: []string{self}, Env: []string{childEnv + "=" + mode + ":" + dir}, StopAfter: time.Minute})
			if err != nil {
				return err
			}
			rep, err := lastReport(m.Stderr)
			if err != nil {
				return fmt.Errorf("%d nodes %s: %w", n, mode, err)
			}
			if rep.Files != n {
				return fmt.Errorf("%d nodes %s: the child read %d files", n, mode, rep.Files)
			}
			r.measured[mode], r.reports[mode] = m, rep
		}
		results = append(results, r)
	}
	return docsection.Emit(w, o.doc, "nodebench", "the node facts benchmark", section(o, results), progress)
}

// generate writes n facts files into a directory of dir once (reused when there)
// and returns it with the files' total size.
func generate(dir string, n int) (string, int64, error) {
	out := filepath.Join(dir, fmt.Sprintf("nodes-%d", n))
	done := filepath.Join(out, ".complete")
	if _, err := os.Stat(done); err != nil {
		progress("%d nodes: generating into %s ...", n, out)
		if err := os.RemoveAll(out); err != nil {
			return "", 0, err
		}
		if err := os.MkdirAll(out, 0o755); err != nil {
			return "", 0, err
		}
		for i := range n {
			var b bytes.Buffer
			if err := nodefacts.Encode(&b, facts(i)); err != nil {
				return "", 0, err
			}
			if err := os.WriteFile(filepath.Join(out, fmt.Sprintf("node-%05d.json", i)), b.Bytes(), 0o644); err != nil {
				return "", 0, err
			}
		}
		if err := os.WriteFile(done, nil, 0o644); err != nil {
			return "", 0, err
		}
	} else {
		progress("%d nodes: cached in %s", n, out)
	}
	files, err := factsFiles(out)
	if err != nil {
		return "", 0, err
	}
	var size int64
	for _, f := range files {
		fi, err := os.Stat(f)
		if err != nil {
			return "", 0, err
		}
		size += fi.Size()
	}
	return out, size, nil
}

func factsFiles(dir string) ([]string, error) {
	return filepath.Glob(filepath.Join(dir, "node-*.json"))
}

func lastReport(stderr string) (report, error) {
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	var r report
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &r); err != nil {
		return r, fmt.Errorf("no report from the child: %v (%q)", err, stderr)
	}
	return r, nil
}

// child reads dir and does what mode says, then writes its report on w.
func child(mode, dir string, w io.Writer) error {
	files, err := factsFiles(dir)
	if err != nil {
		return err
	}
	r := report{Files: len(files)}
	start := time.Now()
	var keep any
	switch mode {
	case modeDecode:
		all := make([]*nodefacts.Facts, 0, len(files))
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				return err
			}
			var x nodefacts.Facts
			if err := json.Unmarshal(b, &x); err != nil {
				return fmt.Errorf("%s: %w", f, err)
			}
			all = append(all, &x)
		}
		keep = all
	case modeScan:
		var out, errb bytes.Buffer
		code := cli.Main([]string{"scan", dir, "--fail-on", "none", "-o", "json"}, nil, &out, &errb)
		// 1: findings; 3: unknown checks (both results here). Others are failures.
		if code != 0 && code != 1 && code != 3 {
			return fmt.Errorf("scan exit %d: %s", code, errb.String())
		}
		var rep struct {
			Findings []json.RawMessage `json:"findings"`
			Coverage []json.RawMessage `json:"coverage"`
			Summary  struct {
				Nodes int `json:"nodes"`
			} `json:"summary"`
		}
		if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
			return err
		}
		r.Findings, r.Unknown = len(rep.Findings), len(rep.Coverage)
		r.Files = rep.Summary.Nodes
		keep = out.Len()
	default:
		return fmt.Errorf("mode %q", mode)
	}
	r.StepNS = int64(time.Since(start))
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	r.HeapBytes = ms.HeapAlloc
	runtime.KeepAlive(keep)
	return json.NewEncoder(w).Encode(r)
}

func section(o options, results []result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Generated by `tools/nodebench` (%s, %s/%s, %d CPUs on the machine; best of %d runs%s).\n\n",
		time.Now().UTC().Format("2006-01-02"), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), o.runs, map[bool]string{true: "; -quick", false: ""}[o.quick])
	b.WriteString("Input: generated facts files, one per node (a kubeadm worker with a relative `--config`, two drop-ins, a flag and the files of CIS 4.1; every tenth node a control-plane node with its manifests, kubeconfigs and PKI files of CIS 1.1). Each column is a child process: **decode** (the baseline) reads every file and decodes it with encoding/json; **scan** runs `palisade scan DIR -o json` in process (input layer, strict decoding, the effective kubelet configuration, every node rule, the report). Step time is the process's own measure; peak RSS is the whole process's; heap is what stays live after the step.\n\n")
	b.WriteString("| nodes | facts | decode: step, peak RSS | scan: step, CPU, peak RSS, heap | findings (unknown) | scan per node | scan / decode (time, peak RSS) |\n")
	b.WriteString("|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range results {
		de, sc := r.measured[modeDecode], r.measured[modeScan]
		rd, rs := r.reports[modeDecode], r.reports[modeScan]
		fmt.Fprintf(&b, "| %d | %.2f MiB | %s, %d MiB | %s, %s, %d MiB, %d MiB | %d (%d) | %s | %.1fx, %.1fx |\n",
			r.nodes, float64(r.bytes)/(1<<20),
			benchrun.Duration(time.Duration(rd.StepNS)), benchrun.MiB(de.RSSKB),
			benchrun.Duration(time.Duration(rs.StepNS)), benchrun.Duration(sc.CPU), benchrun.MiB(sc.RSSKB), rs.HeapBytes>>20,
			rs.Findings, rs.Unknown, benchrun.Duration(time.Duration(rs.StepNS)/time.Duration(r.nodes)),
			ratio(rs.StepNS, rd.StepNS), ratio(sc.RSSKB, de.RSSKB))
	}
	return b.String()
}

func ratio[T int64 | uint64](a, b T) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// Command auditbench measures `palisade audit` on one core over large audit logs:
//
//   - the logs: generated (once, cached in -work; or, with -stream or when the
//     disk lacks room, anew into each measured process's standard input) by replaying the events a real
//     kube-apiserver wrote during the scenario of internal/audit/audittest
//     (internal/audit/testdata/real/scenario.jsonl): every copy replays the API
//     server's own requests, one copy in -attack-every replays the whole scenario
//     with its people, namespaces and object names varied from -seed; audit IDs
//     are fresh and timestamps move forward copy after copy (hours of log time);
//     the sizes of -sizes (100 MiB and 1 GiB by default) are prefixes of one run;
//   - `palisade audit -o json LOG` (every detection, the JSON report) as a child
//     process with GOMAXPROCS=1: wall and CPU time, events per second of CPU time
//     (the machine may be shared: CPU time is the one-core cost), peak RSS, which
//     must stay flat from the smallest log to the largest;
//   - the baseline: this program decoding every line with encoding/json into the
//     official k8s.io/apiserver audit/v1 Event (auditbench itself with
//     $AUDITBENCH_DECODE=LOG), also a child process with GOMAXPROCS=1;
//   - with -webhook, the /audit endpoint of `palisade webhook serve` on loopback:
//     events per second posted as EventList batches (-batch events each).
//
// The result is Markdown for docs/BENCHMARKS.md, written between
// <!-- auditbench:begin ... --> and <!-- auditbench:end --> in -doc, else
// printed. `make bench` runs it; -quick is the CI smoke test's few MiB.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/palisade-k8s/palisade/tools/internal/benchrun"
	"github.com/palisade-k8s/palisade/tools/internal/docsection"
)

// goal is the issue's: a full detection pass at 100,000 events per second on one core.
const goal = 100_000

func main() {
	baselineChild() // the baseline's process: auditbench runs itself
	var o options
	flag.StringVar(&o.palisade, "palisade", "bin/palisade", "palisade binary")
	flag.StringVar(&o.recording, "recording", "internal/audit/testdata/real/scenario.jsonl", "the real server's log to replay")
	flag.StringVar(&o.doc, "doc", "", "document whose auditbench section to rewrite (else print it)")
	flag.StringVar(&o.sizes, "sizes", "100MiB,1GiB", "sizes of the generated logs (comma-separated; the smallest and largest are compared for memory)")
	flag.StringVar(&o.work, "work", filepath.Join(os.TempDir(), "palisade-auditbench"), "directory for the generated logs (kept: later runs reuse them)")
	flag.Uint64Var(&o.seed, "seed", 1, "seed of the generated logs")
	flag.IntVar(&o.attackEvery, "attack-every", 10, "one copy of the recording in this many replays the whole scenario (the others only the API server's own requests)")
	flag.BoolVar(&o.quiet, "quiet", true, "also measure palisade audit on logs of the API server's own requests, with the scenario only once (the findings do not grow with the log)")
	flag.IntVar(&o.runs, "runs", 2, "runs per measurement (the best wall time is kept; a run over a minute is not repeated)")
	flag.BoolVar(&o.webhook, "webhook", true, "also measure the /audit endpoint of palisade webhook serve (when the binary has it)")
	flag.IntVar(&o.batch, "batch", 500, "events per EventList posted to /audit")
	flag.BoolVar(&o.quick, "quick", false, "smoke test: 2 and 4 MiB logs, one run")
	flag.StringVar(&o.stream, "stream", "auto", "true: generate the logs into the measured processes' standard input (no disk; the generator runs in this process, outside the measured CPU time); false: files in -work; auto: files when the disk has room")
	flag.Parse()
	if err := run(o, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "auditbench:", err)
		os.Exit(1)
	}
}

type options struct {
	palisade, recording, doc, sizes, work string
	stream                                string
	seed                                  uint64
	attackEvery, runs, batch              int
	webhook, quick, quiet                 bool
}

func progress(format string, a ...any) { fmt.Fprintf(os.Stderr, "auditbench: "+format+"\n", a...) }

// result is one log's measurements.
type result struct {
	log              generated
	size             int64 // as asked (-sizes); log.Bytes is a whole number of events more
	audit, baseline  benchrun.Measurement
	findings, errors int
	byRule           map[string]int
}

func run(o options, w io.Writer) error {
	if o.quick {
		o.sizes, o.runs = "2MiB,4MiB", 1
	}
	sizes, err := parseSizes(o.sizes)
	if err != nil {
		return err
	}
	if o.attackEvery < 1 || o.runs < 1 || o.batch < 1 {
		// (-attack-every 0, the scenario once, is the -quiet measurement.)
		return fmt.Errorf("-attack-every, -runs and -batch are at least 1")
	}
	rec, err := loadRecording(o.recording)
	if err != nil {
		return err
	}
	p := genParams{Seed: o.seed, AttackEvery: o.attackEvery, Users: 500, Namespaces: 200, Recording: rec.sum}
	stream := o.stream == "true"
	if o.stream == "auto" {
		// Every log (two sets with -quiet) and a tenth more must fit, unless cached.
		var need int64
		for _, s := range sizes {
			need += s + s/10
		}
		pq := p
		pq.AttackEvery = 0
		cached := cachedAll(o.work, rec, p, sizes) && (!o.quiet || cachedAll(o.work, rec, pq, sizes))
		if o.quiet {
			need *= 2
		}
		stream = !cached && enoughSpace(filepath.Dir(o.work), need) != nil
		if stream {
			progress("not enough free disk for the logs: streaming them into the measured processes instead")
		}
	}
	o.stream = strconv.FormatBool(stream)
	in := inputs{rec: rec, p: p, stream: stream}
	if !stream {
		if in.files, err = generate(o.work, rec, p, sizes, progress); err != nil {
			return err
		}
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	env := []string{"GOMAXPROCS=1"}
	var results []result
	for _, size := range sizes {
		r := result{log: generated{Bytes: size}, size: size}
		progress("%s: palisade audit (GOMAXPROCS=1) ...", sizeName(size))
		r.audit, r.log, err = in.best(o.runs, size, []string{o.palisade, "audit", "-o", "json"}, env, false)
		if err != nil {
			return err
		}
		progress("%s: encoding/json baseline ...", sizeName(size))
		r.baseline, _, err = in.best(o.runs, size, []string{self}, env, true)
		if err != nil {
			return err
		}
		results = append(results, r)
	}
	// What the detections found, on the smallest log (a run outside the timings).
	if err := count(o.palisade, in, &results[0]); err != nil {
		return err
	}
	var quiet []result
	if o.quiet {
		pq := p
		pq.AttackEvery = 0
		inq := inputs{rec: rec, p: pq, stream: stream}
		if !stream {
			if inq.files, err = generate(o.work, rec, pq, sizes, progress); err != nil {
				return err
			}
		}
		for _, size := range sizes {
			r := result{log: generated{Bytes: size}, size: size}
			progress("%s, the scenario once: palisade audit (GOMAXPROCS=1) ...", sizeName(size))
			r.audit, r.log, err = inq.best(o.runs, size, []string{o.palisade, "audit", "-o", "json"}, env, false)
			if err != nil {
				return err
			}
			quiet = append(quiet, r)
		}
		if err := count(o.palisade, inq, &quiet[0]); err != nil {
			return err
		}
	}
	var hook *hookResult
	if o.webhook {
		hook, err = measureHook(o, func() (io.ReadCloser, error) { return in.open(sizes[0]) })
		if err != nil {
			return err
		}
	}
	body := section(o, rec, p, results, hook) + quietSection(quiet)
	return docsection.Emit(w, o.doc, "auditbench", "the audit benchmark", body, progress)
}

// count runs palisade audit once on r's log for the findings per rule and the
// input errors (which must be none: the log is the API server's own, replayed).
func count(palisade string, in inputs, r *result) error {
	src, err := in.open(r.log.Bytes)
	if err != nil {
		return err
	}
	defer src.Close()
	cmd := exec.Command(palisade, "audit", "-o", "json", "-")
	cmd.Stdin = src
	out, err := cmd.Output()
	var ee *exec.ExitError
	if err != nil && !(errorsAs(err, &ee) && ee.ExitCode() == 1) {
		return fmt.Errorf("palisade audit %s: %v", r.log.Path, err)
	}
	var rep struct {
		Findings []struct {
			RuleID string `json:"ruleID"`
		} `json:"findings"`
		InputErrors []json.RawMessage `json:"inputErrors"`
	}
	if err := json.Unmarshal(out, &rep); err != nil {
		return fmt.Errorf("palisade audit %s: the report: %v", r.log.Path, err)
	}
	r.findings, r.errors = len(rep.Findings), len(rep.InputErrors)
	r.byRule = map[string]int{}
	for _, f := range rep.Findings {
		r.byRule[f.RuleID]++
	}
	if r.errors > 0 {
		return fmt.Errorf("palisade audit %s: %d input errors on a replayed log", r.log.Path, r.errors)
	}
	return nil
}

func errorsAs(err error, ee **exec.ExitError) bool {
	e, ok := err.(*exec.ExitError)
	if ok {
		*ee = e
	}
	return ok
}

// decodeEnv names the log the baseline child decodes: auditbench runs itself
// with it set (a test binary too: its TestMain calls baselineChild).
const decodeEnv = "AUDITBENCH_DECODE"

// baselineChild is the baseline's process: when $AUDITBENCH_DECODE names a log,
// decode it, say how many events on stderr, and exit.
func baselineChild() {
	path := os.Getenv(decodeEnv)
	if path == "" {
		return
	}
	var n int
	var err error
	if path == stdinName {
		n, err = decode(os.Stdin, "stdin")
	} else {
		n, err = decodeAll(path)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "auditbench:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "%d events\n", n)
	os.Exit(0)
}

// decodeAll is the baseline: every line decoded with encoding/json into the
// official Event.
func decodeAll(path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return decode(f, path)
}

// stdinName is the baseline child's name for its standard input.
const stdinName = "-"

func decode(r io.Reader, path string) (int, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	n := 0
	for sc.Scan() {
		var ev auditv1.Event
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			return n, fmt.Errorf("%s:%d: %v", path, n+1, err)
		}
		n++
	}
	return n, sc.Err()
}

// enoughSpace is an error when the file system of dir has less than need bytes free.
func enoughSpace(dir string, need int64) error {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return nil // unknown: try
	}
	free := int64(st.Bavail) * int64(st.Bsize)
	if free < need {
		return fmt.Errorf("%s: %d MiB free, the logs need %d MiB (use -work elsewhere or smaller -sizes)", dir, free>>20, need>>20)
	}
	return nil
}

func rate(events int64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(events) / d.Seconds()
}

// thousands formats n as "123,456".
func thousands(n float64) string {
	s := fmt.Sprintf("%.0f", n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func section(o options, rec *recording, p genParams, rs []result, hook *hookResult) string {
	var b strings.Builder
	attack := 0
	for _, l := range rec.lines {
		if !l.background {
			attack++
		}
	}
	fmt.Fprintf(&b, "Generated by `tools/auditbench` (%s, %s/%s, %d CPUs on the machine; every measured process runs with GOMAXPROCS=1; best of %d runs).\n\n",
		time.Now().UTC().Format("2006-01-02"), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), o.runs)
	fmt.Fprintf(&b, "Input: the %d events a real kube-apiserver wrote during the audittest scenario (internal/audit/testdata/real/scenario.jsonl: %d by the API server itself, %d by the scenario's administrator, attackers and users), replayed copy after copy with fresh audit IDs and timestamps moving forward: every copy replays the API server's requests, one in %d the whole scenario with its people (%d distinct), namespaces (%d) and object names varied (seed %d).\n\n",
		len(rec.lines), len(rec.lines)-attack, attack, p.AttackEvery, p.Users, p.Namespaces, p.Seed)
	if o.stream == "true" {
		b.WriteString("The logs are generated into the measured process's standard input (`palisade audit -o json -`: with -stream, or when the disk has no room for them), by the benchmark's own process: its CPU time is not counted, but it writes about 37 MB/s (BenchmarkReplay), so the wall times include waiting for it: compare CPU times.\n\n")
	} else {
		b.WriteString("The logs are files (`palisade audit -o json FILE`).\n\n")
	}
	b.WriteString("| log | events | `palisade audit` wall | CPU | events/s (CPU) | peak RSS | baseline: encoding/json into audit/v1 Event, CPU | events/s (CPU) | palisade / baseline |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range rs {
		pr, br := rate(r.log.Events, r.audit.CPU), rate(r.log.Events, r.baseline.CPU)
		ratio := 0.0
		if br > 0 {
			ratio = pr / br
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | **%s** | %d MiB | %s | %s | %.2fx |\n",
			sizeName(r.size), thousands(float64(r.log.Events)), benchrun.Duration(r.audit.Wall), benchrun.Duration(r.audit.CPU),
			thousands(pr), benchrun.MiB(r.audit.RSSKB), benchrun.Duration(r.baseline.CPU), thousands(br), ratio)
	}
	b.WriteString(verdict(rs))
	b.WriteString("\n" + hook.markdown())
	return b.String()
}

// verdict is the goal's line, the memory's and the findings of the smallest log.
func verdict(rs []result) string {
	var b strings.Builder
	first, last := rs[0], rs[len(rs)-1]
	best := rate(last.log.Events, last.audit.CPU)
	met := "met"
	if best < goal {
		met = "**not met**"
	}
	fmt.Fprintf(&b, "\nGoal: %s events/s on one core for the full detection pass: %s (%s events/s of CPU time on the %s log). Peak RSS: %d MiB on %s, %d MiB on %s (%.1fx the log for %.2fx the memory).\n",
		thousands(goal), met, thousands(best), sizeName(last.size),
		benchrun.MiB(first.audit.RSSKB), sizeName(first.size), benchrun.MiB(last.audit.RSSKB), sizeName(last.size),
		float64(last.log.Bytes)/float64(first.log.Bytes), float64(last.audit.RSSKB)/float64(max(first.audit.RSSKB, 1)))
	ids := make([]string, 0, len(first.byRule))
	for id := range first.byRule {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var parts []string
	for _, id := range ids {
		parts = append(parts, fmt.Sprintf("%s %d", id, first.byRule[id]))
	}
	fmt.Fprintf(&b, "\nFindings on the %s log (%s events, no input errors): %d (%s).\n", sizeName(first.size), thousands(float64(first.log.Events)), first.findings, strings.Join(parts, ", "))
	return b.String()
}

// quietSection is the table of the logs with the scenario once.
func quietSection(rs []result) string {
	if len(rs) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("\nThe same logs with the scenario replayed only once (the API server's own requests otherwise: the findings, which the report holds until it is written, do not grow with the log):\n\n")
	b.WriteString("| log | events | `palisade audit` wall | CPU | events/s (CPU) | peak RSS |\n|---|---:|---:|---:|---:|---:|\n")
	for _, r := range rs {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | **%s** | %d MiB |\n", sizeName(r.size), thousands(float64(r.log.Events)),
			benchrun.Duration(r.audit.Wall), benchrun.Duration(r.audit.CPU), thousands(rate(r.log.Events, r.audit.CPU)), benchrun.MiB(r.audit.RSSKB))
	}
	b.WriteString(verdict(rs))
	return b.String()
}

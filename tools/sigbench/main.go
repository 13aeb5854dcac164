// Command sigbench compares `palisade image verify` with `cosign verify`, side by
// side in one run on the same signed images:
//
//   - a registry on loopback (go-containerregistry's, in the fixture child
//     tools/sigbench/fixture) holding N images, each in a repository of its own,
//     signed keyed (cosign's legacy sha256-<digest>.sig tag: a simple-signing payload
//     signed with an ECDSA P-256 key, no transparency log, as `cosign sign --key
//     --tlog-upload=false`) and keyless (Sigstore bundles as OCI 1.1 referrers from a
//     virtual Sigstore, with its trusted_root.json), plus unsigned images;
//   - both verifiers given the same tag references in one invocation, for N in
//     -n (50, 200, 800): wall time, CPU time, peak RSS, images per second, and how
//     each grows with N; then images carrying several signatures each (the trusted
//     one last, after signatures by an untrusted key or another identity);
//   - the outcome of each set (every signed image verified, every unsigned one
//     rejected), which both tools must agree on before a time is reported;
//   - the cache hit path: verifications per second answered by Palisade's signature
//     cache (the admission webhook's), measured in process by the fixture child.
//
// cosign is built by hack/cosign.sh (the interoperability tests' reference) into
// ~/.cache/palisade/cosign/VERSION once, or given with -cosign. Nothing but
// loopback is reached while measuring.
//
// The result is Markdown for docs/BENCHMARKS.md, written between
// <!-- sigbench:begin ... --> and <!-- sigbench:end --> in -doc when the document
// has those markers, else printed. `make bench` runs it.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/palisade-k8s/palisade/tools/internal/benchrun"
	"github.com/palisade-k8s/palisade/tools/internal/docsection"
	"github.com/palisade-k8s/palisade/tools/sigbench/internal/protocol"
)

func main() {
	o := options{}
	flag.StringVar(&o.palisade, "palisade", "bin/palisade", "palisade binary")
	flag.StringVar(&o.cosign, "cosign", "", "cosign binary (default: the one hack/cosign.sh builds or finds)")
	flag.StringVar(&o.tools, "tools", "palisade,cosign", "tools to run (comma-separated)")
	flag.StringVar(&o.ns, "n", "50,200,800", "numbers of images verified in one invocation (comma-separated)")
	flag.StringVar(&o.sigs, "sigs", "3,10", "signatures per image of the second measurement (comma-separated; \"\": none)")
	flag.IntVar(&o.sigsN, "sigs-n", 200, "images of the second measurement")
	flag.IntVar(&o.unsigned, "unsigned", 10, "unsigned images (both tools must reject them)")
	flag.IntVar(&o.runs, "runs", 3, "runs per timing (the best wall time is kept; a run over a minute is not repeated)")
	flag.StringVar(&o.doc, "doc", "", "document whose sigbench section to rewrite (else print it)")
	flag.StringVar(&o.work, "work", "", "directory for the keys, the configuration and the fixture (default: a temporary one, removed)")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "sigbench:", err)
		os.Exit(1)
	}
}

type options struct {
	palisade, cosign, tools, ns, sigs, doc, work string
	sigsN, unsigned, runs                        int
}

func progress(format string, a ...any) { fmt.Fprintf(os.Stderr, "sigbench: "+format+"\n", a...) }

// cosignVersion is the cosign hack/cosign.sh builds (PALISADE_COSIGN_VERSION).
const cosignVersion = "v3.1.3"

func run(o options) error {
	loadStart := loadAverage()
	ns, err := parseCounts("-n", o.ns)
	if err != nil {
		return err
	}
	if o.sigs != "" {
		if _, err := parseCounts("-sigs", o.sigs); err != nil {
			return err
		}
	}
	work := o.work
	if work == "" {
		if work, err = os.MkdirTemp("", "sigbench-"); err != nil {
			return err
		}
		defer os.RemoveAll(work)
	} else if err := os.MkdirAll(work, 0o755); err != nil {
		return err
	}
	if work, err = filepath.Abs(work); err != nil {
		return err
	}
	fixtureBin := filepath.Join(work, "sigbench-fixture")
	progress("building tools/sigbench/fixture")
	if out, err := exec.Command("go", "build", "-o", fixtureBin, "./tools/sigbench/fixture").CombinedOutput(); err != nil {
		return fmt.Errorf("go build ./tools/sigbench/fixture: %v\n%s", err, out)
	}
	var tools []tool
	for _, t := range strings.Split(o.tools, ",") {
		switch strings.TrimSpace(t) {
		case "palisade":
			pal, err := filepath.Abs(o.palisade)
			if err != nil {
				return err
			}
			if _, err := os.Stat(pal); err != nil {
				return fmt.Errorf("palisade binary: %w (make build)", err)
			}
			p := palisadeTool{bin: pal}
			if !hasVerify(pal) {
				progress("%s has no image verify command: verifying in a child (signature.Verifier) instead", pal)
				p = palisadeTool{fixture: fixtureBin, fixtureJSON: filepath.Join(work, "fixture.json")}
			}
			tools = append(tools, p)
		case "cosign":
			bin, err := findCosign(o.cosign)
			if err != nil {
				return err
			}
			tools = append(tools, cosignTool{bin: bin, tufRoot: filepath.Join(work, "tuf")})
		default:
			return fmt.Errorf("-tools: unknown tool %q (palisade, cosign)", t)
		}
	}
	if len(tools) == 0 {
		return errors.New("-tools: none")
	}

	progress("pushing and signing the images")
	f, stop, err := startFixture(fixtureBin, work, slices.Max(ns), o)
	if err != nil {
		return err
	}
	defer stop()
	progress("registry %s: %d sets, prepared in %s", f.Registry, len(f.Sets), f.Prepared.Round(time.Millisecond))

	// 1. Outcomes: every tool verifies every signed set and rejects the unsigned
	// one, or nothing is timed.
	var outcomes []outcome
	for _, s := range f.Sets {
		o := outcome{set: s}
		for _, t := range tools {
			before, err := requests(f)
			if err != nil {
				return err
			}
			code, msg, err := check(t.cmd(f, s, s.Refs), t.env())
			if err != nil {
				return fmt.Errorf("%s on %s: %w", t.name(), s.Name(), err)
			}
			after, err := requests(f)
			if err != nil {
				return err
			}
			o.requests = append(o.requests, after-before)
			progress("%s on %s (%d images): exit %d", t.name(), s.Name(), len(s.Refs), code)
			if (code == 0) != (s.Signatures > 0) {
				return fmt.Errorf("%s on %s (%d images): exit code %d, want %s: %s", t.name(), s.Name(), len(s.Refs), code, want(s), msg)
			}
			o.codes = append(o.codes, code)
		}
		outcomes = append(outcomes, o)
	}

	// 2. Timings: growth with N (one signature per image), then several signatures
	// per image.
	var rows []row
	for _, s := range f.Sets {
		if s.Signatures == 0 {
			continue
		}
		counts := []int{len(s.Refs)}
		if s.Signatures == 1 {
			counts = ns
		}
		for _, n := range counts {
			r := row{set: s, n: n}
			for _, t := range tools {
				progress("%s on %d images, %s (best of %d)", t.name(), n, s.Name(), o.runs)
				m, err := benchrun.Best(o.runs, benchrun.Command{Argv: t.cmd(f, s, s.Refs[:n]), Env: t.env(), StopAfter: time.Minute})
				if err != nil {
					return err
				}
				progress("%s on %d images, %s: %s", t.name(), n, s.Name(), measurementString(m))
				r.m = append(r.m, m)
			}
			rows = append(rows, r)
		}
	}

	// 3. The cache hit path, in process.
	cache, cacheM, err := measureCache(fixtureBin, work, f)
	if err != nil {
		return err
	}

	var out strings.Builder
	names := make([]string, len(tools))
	for i, t := range tools {
		names[i] = t.name()
	}
	fmt.Fprintf(&out, "Measured by `make bench` (`tools/sigbench`) on %s/%s, %d CPUs, %s, %s; load average %s at the start and %s at the end (1 minute; above the CPU count, other processes shared the CPUs: compare CPU times). Timings: best of %d runs (a run over a minute once); peak RSS is the process's maximum resident set (wait4). cosign %s (`hack/cosign.sh`).\n\n",
		runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version(), time.Now().UTC().Format("2006-01-02"), loadStart, loadAverage(), o.runs, cosignVersion)
	out.WriteString(describe(f, tools))
	out.WriteString("\n")
	out.WriteString(outcomeTable(names, outcomes))
	out.WriteString("\n")
	out.WriteString(growthTable(names, rows))
	out.WriteString("\n")
	out.WriteString(signaturesTable(names, rows))
	out.WriteString("\n")
	out.WriteString(cacheSection(cache, cacheM))
	return docsection.Emit(os.Stdout, o.doc, "sigbench", "the signature benchmark", out.String(), progress)
}

func want(s protocol.Set) string {
	if s.Signatures > 0 {
		return "0 (every image verified)"
	}
	return "non-zero (rejected)"
}

// parseCounts reads the flag's "50,200,800".
func parseCounts(flag, s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("%s: %q is not a positive number", flag, f)
		}
		out = append(out, n)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// startFixture starts the fixture child and reads its report; stop closes its
// standard input (it exits) and waits for it.
func startFixture(bin, work string, n int, o options) (*protocol.Fixture, func(), error) {
	cmd := exec.Command(bin, "-work", work, "-n", fmt.Sprint(n), "-sigs", o.sigs, "-sigs-n", fmt.Sprint(o.sigsN), "-unsigned", fmt.Sprint(o.unsigned))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, nil, err
	}
	stop := func() {
		stdin.Close()
		cmd.Wait()
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		stop()
		return nil, nil, fmt.Errorf("fixture: %w", err)
	}
	var f protocol.Fixture
	if err := protocol.Parse(line, &f); err != nil {
		stop()
		return nil, nil, err
	}
	return &f, stop, nil
}

// check runs argv once and returns its exit code and the end of its output.
func check(argv, env []string) (int, string, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	msg := string(out)
	if len(msg) > 2000 {
		msg = "..." + msg[len(msg)-2000:]
	}
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, msg, nil
	case errors.As(err, &ee):
		return ee.ExitCode(), msg, nil
	}
	return 0, msg, err
}

// hasVerify reports whether the palisade binary has the image verify command (its
// help names it; before it, `palisade image verify --help` is palisade image's).
func hasVerify(pal string) bool {
	out, err := exec.Command(pal, "image", "verify", "--help").CombinedOutput()
	return err == nil && bytes.Contains(out, []byte("palisade image verify"))
}

// findCosign is -cosign, else what hack/cosign.sh builds or finds.
func findCosign(bin string) (string, error) {
	if bin != "" {
		return filepath.Abs(bin)
	}
	if _, err := os.Stat("hack/cosign.sh"); err != nil {
		return "", errors.New("no -cosign and no hack/cosign.sh (run from the repository root)")
	}
	progress("hack/cosign.sh: building or finding cosign %s", cosignVersion)
	cmd := exec.Command("./hack/cosign.sh")
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("hack/cosign.sh: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

// tool is a verifier under comparison.
type tool interface {
	name() string
	// cmd verifies refs of set s in one invocation.
	cmd(f *protocol.Fixture, s protocol.Set, refs []string) []string
	env() []string
}

// palisadeTool is `palisade image verify`, or, when the palisade binary has no such
// command, the fixture child's verify mode (the same signature.Verifier and
// registry store in process).
type palisadeTool struct{ bin, fixture, fixtureJSON string }

func (palisadeTool) name() string { return "palisade" }

// cmd: the policy of the fixture's .palisade.yaml; the registry over plain HTTP.
func (p palisadeTool) cmd(f *protocol.Fixture, _ protocol.Set, refs []string) []string {
	if p.fixture != "" {
		return append([]string{p.fixture, "-mode", "verify", "-fixture", p.fixtureJSON}, refs...)
	}
	return append([]string{p.bin, "image", "verify", "--config", f.Config, "--insecure-registry", f.Registry, "-o", "json"}, refs...)
}

func (palisadeTool) env() []string { return nil }

type cosignTool struct{ bin, tufRoot string }

func (cosignTool) name() string { return "cosign" }

// cmd: keyed, the trusted key without a transparency log (the images were signed
// with --tlog-upload=false); keyless, the virtual Sigstore's trusted_root.json
// and identity, without signed certificate timestamps (its certificates have none,
// and its trusted_root.json lists no CT log). Both over plain HTTP.
func (c cosignTool) cmd(f *protocol.Fixture, s protocol.Set, refs []string) []string {
	argv := []string{c.bin, "verify", "--allow-http-registry", "--allow-insecure-registry", "-o", "json"}
	switch s.Kind {
	case protocol.Keyed:
		argv = append(argv, "--key", f.Key, "--insecure-ignore-tlog=true")
	case protocol.Keyless:
		argv = append(argv, "--trusted-root", f.TrustedRoot, "--certificate-identity-regexp", f.Subject, "--certificate-oidc-issuer", f.Issuer, "--insecure-ignore-sct=true")
	}
	return append(argv, refs...)
}

// env: cosign's TUF cache in the work directory (nothing of ~/.sigstore is read or
// written; with a key or --trusted-root it fetches nothing).
func (c cosignTool) env() []string { return []string{"TUF_ROOT=" + c.tufRoot} }

// outcome is every tool's exit code on one whole set, and the registry requests
// it made.
type outcome struct {
	set             protocol.Set
	codes, requests []int
}

// requests is how many requests the fixture's registry has served.
func requests(f *protocol.Fixture) (int, error) {
	resp, err := http.Get("http://" + f.Registry + protocol.RequestsPath)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64))
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(string(data))
	if err != nil {
		return 0, fmt.Errorf("registry request count %q: %w", data, err)
	}
	return n, nil
}

// row is every tool's measurement on the first n images of a set.
type row struct {
	set protocol.Set
	n   int
	m   []benchrun.Measurement
}

func measurementString(m benchrun.Measurement) string {
	return fmt.Sprintf("%s wall, %s CPU, %d MiB", benchrun.Duration(m.Wall), benchrun.Duration(m.CPU), benchrun.MiB(m.RSSKB))
}

// loadAverage is the 1-minute load average ("?" where /proc/loadavg is missing).
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(data)); err == nil && len(f) > 0 {
		return f[0]
	}
	return "?"
}

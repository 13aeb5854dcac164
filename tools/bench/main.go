// Command bench measures `palisade scan` on the shared corpus and on a 10x
// concatenation of it, against a plain yaml.v3 decode of the same bytes, and rewrites
// the generated section of docs/BENCHMARKS.md. Run it with `make bench`.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/palisade-k8s/palisade/tools/internal/benchrun"
	"github.com/palisade-k8s/palisade/tools/internal/docsection"
)

func main() {
	corpus := flag.String("corpus", "../shared/corpus", "corpus directory")
	doc := flag.String("doc", "docs/BENCHMARKS.md", "benchmarks document to update")
	bin := flag.String("palisade", "bin/palisade", "palisade binary")
	decodeOnly := flag.String("decode", "", "internal: decode these files with yaml.v3 and exit")
	runs := flag.Int("runs", 3, "runs per measurement (best wall time is kept)")
	gobench := flag.String("gobench", "", "output of go test -bench to record in the document")
	flag.Parse()
	if *decodeOnly != "" {
		if err := decodeFiles(strings.Split(*decodeOnly, string(os.PathListSeparator))); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	if *gobench != "" {
		if err := recordGoBench(*gobench, *doc); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
	}
	if err := run(*corpus, *doc, *bin, *runs); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// decodeFiles is the baseline: decode every document of every file into generic Go
// values with yaml.v3, single-threaded, as a program that merely reads the input would.
func decodeFiles(files []string) error {
	n := 0
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			return err
		}
		dec := yaml.NewDecoder(fh)
		for {
			var v any
			err := dec.Decode(&v)
			if errors.Is(err, io.EOF) {
				break
			}
			var te *yaml.TypeError
			if errors.As(err, &te) {
				continue // e.g. a repeated key: the document is invalid, the stream goes on
			}
			if err != nil {
				break // a syntax error ends this file's decode
			}
			n++
		}
		fh.Close()
	}
	fmt.Fprintln(os.Stderr, "decoded documents:", n)
	return nil
}

type measure struct {
	benchrun.Measurement
	// heapMB is the largest Go heap seen by the garbage collector (from gctrace);
	// RSS adds the binary's mapped code and the runtime's own reserves.
	heapMB int
}

var gcHeapRE = regexp.MustCompile(`(\d+)->(\d+)->(\d+) MB`)

func peakHeap(trace string) int {
	peak := 0
	for _, m := range gcHeapRE.FindAllStringSubmatch(trace, -1) {
		for _, g := range m[1:3] {
			if v, _ := strconv.Atoi(g); v > peak {
				peak = v
			}
		}
	}
	return peak
}

func measureCmd(runs int, name string, args ...string) (measure, error) {
	m, err := benchrun.Best(runs, benchrun.Command{Argv: append([]string{name}, args...), Env: []string{"GODEBUG=gctrace=1"}})
	return measure{Measurement: m, heapMB: peakHeap(m.Stderr)}, err
}

func manifestFiles(dir string) ([]string, int64, error) {
	var files []string
	var size int64
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && (strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml") || strings.HasSuffix(p, ".json")) {
			st, err := d.Info()
			if err != nil {
				return err
			}
			size += st.Size()
			files = append(files, p)
		}
		return nil
	})
	return files, size, err
}

// concat writes n copies of all files into one multi-document YAML file.
func concat(files []string, n int, out string) error {
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	defer f.Close()
	for i := 0; i < n; i++ {
		for _, p := range files {
			if strings.HasSuffix(p, ".json") {
				continue
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			if _, err := f.Write([]byte("---\n")); err != nil {
				return err
			}
			if _, err := f.Write(data); err != nil {
				return err
			}
			if len(data) > 0 && data[len(data)-1] != '\n' {
				f.Write([]byte("\n"))
			}
		}
	}
	return nil
}

func countObjects(bin string, path string) (int, error) {
	out, err := exec.Command(bin, "scan", path, "-o", "json", "--fail-on", "none").Output()
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			return 0, err
		}
	}
	i := bytes.Index(out, []byte(`"objects": `))
	if i < 0 {
		return 0, fmt.Errorf("no object count in report")
	}
	var n int
	fmt.Sscanf(string(out[i+len(`"objects": `):]), "%d", &n)
	return n, nil
}

func run(corpus, doc, bin string, runs int) error {
	files, size, err := manifestFiles(corpus)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "palisade-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	big := filepath.Join(tmp, "corpus-x10.yaml")
	if err := concat(files, 10, big); err != nil {
		return err
	}
	one := filepath.Join(tmp, "corpus-x1.yaml")
	if err := concat(files, 1, one); err != nil {
		return err
	}
	st, _ := os.Stat(big)
	self, err := os.Executable()
	if err != nil {
		return err
	}
	type row struct {
		name    string
		input   string
		bytes   int64
		objects int
		scan    measure
		decode  measure
	}
	var rows []row
	for _, in := range []struct {
		name, path, decodeList string
		bytes                  int64
	}{
		{"corpus (677 files)", corpus, strings.Join(files, string(os.PathListSeparator)), size},
		{"corpus, 1 file", one, one, size},
		{"corpus x10, 1 file", big, big, st.Size()},
	} {
		n, err := countObjects(bin, in.path)
		if err != nil {
			return err
		}
		s, err := measureCmd(runs, bin, "scan", in.path, "-o", "json", "--fail-on", "none")
		if err != nil {
			return err
		}
		d, err := measureCmd(runs, self, "-decode", in.decodeList)
		if err != nil {
			return err
		}
		rows = append(rows, row{in.name, in.path, in.bytes, n, s, d})
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Measured by `make bench` on %s/%s, %d CPUs, %s. Best of %d runs.\n\n", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version(), runs)
	b.WriteString("| input | size | objects | scan wall | scan CPU | objects/s | peak RSS | peak Go heap | yaml.v3 decode wall | decode CPU | scan / decode (wall) |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %.1f MB | %d | %.2f s | %.2f s | %.0f | %.0f MB | %d MB | %.2f s | %.2f s | %.2f |\n",
			r.name, float64(r.bytes)/1e6, r.objects, r.scan.Wall.Seconds(), r.scan.CPU.Seconds(),
			float64(r.objects)/r.scan.Wall.Seconds(), float64(r.scan.RSSKB)/1024, r.scan.heapMB,
			r.decode.Wall.Seconds(), r.decode.CPU.Seconds(), r.scan.Wall.Seconds()/r.decode.Wall.Seconds())
	}
	x1, x10 := rows[1], rows[2]
	fmt.Fprintf(&b, "\nScaling: the 10x input takes %.2fx the time of the 1x input (target at most 11x); peak memory on the 10x input is %.0f%% of its size (target below 100%%).\n",
		x10.scan.Wall.Seconds()/x1.scan.Wall.Seconds(), 100*float64(x10.scan.RSSKB)*1024/float64(x10.bytes))
	if err := replaceSection(doc, b.String()); err != nil {
		return err
	}
	return recordRuleCounts(bin, corpus, doc)
}

// recordRuleCounts writes how many findings each rule reports on the corpus, the
// figure to watch for false positives when a rule changes.
func recordRuleCounts(bin, corpus, doc string) error {
	out, err := exec.Command(bin, "scan", corpus, "-o", "json", "--fail-on", "none").Output()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		return err
	}
	var rep struct {
		Findings []struct {
			RuleID string `json:"ruleID"`
			Title  string `json:"title"`
		} `json:"findings"`
	}
	if err := json.Unmarshal(out, &rep); err != nil {
		return fmt.Errorf("rule counts: %w", err)
	}
	counts := map[string]int{}
	titles := map[string]string{}
	for _, f := range rep.Findings {
		counts[f.RuleID]++
		titles[f.RuleID] = f.Title
	}
	ids := make([]string, 0, len(counts))
	for id := range counts {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var b strings.Builder
	fmt.Fprintf(&b, "%d findings on the corpus; rules not listed report nothing on it.\n\n| rule | title | findings |\n|---|---|---|\n", len(rep.Findings))
	for _, id := range ids {
		fmt.Fprintf(&b, "| %s | %s | %d |\n", id, titles[id], counts[id])
	}
	return replaceMarked(doc, countBeginMark, countEndMark, b.String())
}

const (
	countBeginMark = "<!-- rulecounts:begin (generated by make bench) -->"
	countEndMark   = "<!-- rulecounts:end -->"
)

const (
	beginMark = "<!-- bench:begin (generated by make bench) -->"
	endMark   = "<!-- bench:end -->"
)

// recordGoBench copies the benchmark lines of `go test -bench` output into the
// document's analyzer section.
func recordGoBench(file, doc string) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString("```\n")
	for _, l := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(l, "Benchmark") || strings.HasPrefix(l, "pkg:") || strings.HasPrefix(l, "cpu:") {
			b.WriteString(l + "\n")
		}
	}
	b.WriteString("```\n")
	return replaceMarked(doc, goBeginMark, goEndMark, b.String())
}

const (
	goBeginMark = "<!-- gobench:begin (generated by make bench) -->"
	goEndMark   = "<!-- gobench:end -->"
)

func replaceSection(doc, body string) error {
	return replaceMarked(doc, beginMark, endMark, body)
}

func replaceMarked(doc, beginMark, endMark, body string) error {
	return docsection.Replace(doc, beginMark, endMark, body)
}

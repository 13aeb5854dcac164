// Command vulnbench measures Palisade's vulnerability database and matcher, side by
// side in one run, and compares it with govulncheck:
//
//   - importing the whole Go vulnerability database (the pinned golang.org/x/vulndb of
//     internal/osv/osvtest, data/osv) with `palisade db import`: time, CPU, peak RSS and
//     the database's size on disk;
//   - a database of about 5,000 records (the Go database plus records in the style of
//     osv.dev's Debian and npm data over the real packages of the test image) and one
//     of 200,000 (the same plus replicas of every record under new IDs, for new
//     package names: a larger upstream has more packages, not more records per
//     package), each imported from OSV zip exports;
//   - an inventory of at least 1,000 packages: the test image of internal/imagetest
//     (the Debian root filesystem of hack/debian-rootfs.sh, a Go binary, an npm tree)
//     as `palisade image` catalogs it, plus Go modules named as the Go database names
//     them (real module paths, at versions inside and outside their ranges);
//   - matching that inventory against both databases in a child process (vuln.Match
//     on a read-only vulndb, timed after the inventory is read): time, what the match
//     allocated, peak RSS, the same findings on both;
//   - govulncheck (golang.org/x/vuln, built by hack/govulncheck.sh) in binary mode,
//     module scan, offline against the same Go database (converted to its file://
//     layout), against Palisade on the same Go binaries: time, peak RSS and the
//     advisories each reports.
//
// Everything that reads records, images or databases runs in tools/vulnbench/child
// (built into the work directory first), one process per measurement: the peak RSS
// wait4 reports for a child is at least its parent's, so this process imports none of
// Palisade's packages and stays small.
//
// The result is Markdown for docs/BENCHMARKS.md, written between
// <!-- vulnbench:begin ... --> and <!-- vulnbench:end --> in -doc when the document
// has those markers, else printed. `make bench` runs it.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/palisade-k8s/palisade/tools/internal/benchrun"
	"github.com/palisade-k8s/palisade/tools/internal/docsection"
	"github.com/palisade-k8s/palisade/tools/vulnbench/internal/protocol"
)

// vulnDBModule is the Go vulnerability database the benchmark imports: the one the
// tests read (internal/osv/vulnDBModule; a test holds the two equal).
const vulnDBModule = "golang.org/x/vulndb@v0.0.0-20261105234957-e22db6528018"

func main() {
	o := options{}
	flag.StringVar(&o.palisade, "palisade", "bin/palisade", "palisade binary")
	flag.StringVar(&o.govulncheck, "govulncheck", "", "govulncheck binary (default: the one hack/govulncheck.sh builds or finds)")
	flag.StringVar(&o.rootfs, "rootfs", "", "Debian root filesystem (default: the one hack/debian-rootfs.sh builds or finds)")
	flag.IntVar(&o.records, "records", 200_000, "records of the large database")
	flag.IntVar(&o.packages, "packages", 1_000, "packages of the inventory (the test image's, then synthesised)")
	flag.IntVar(&o.runs, "runs", 3, "runs per timing (the best wall time is kept; a run over a minute is not repeated)")
	flag.StringVar(&o.doc, "doc", "", "document whose vulnbench section to rewrite (else print it)")
	flag.StringVar(&o.work, "work", "", "directory for the databases and reports (default: a temporary one, removed)")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "vulnbench:", err)
		os.Exit(1)
	}
}

type options struct {
	palisade, govulncheck, rootfs, doc, work string
	records, packages, runs                  int
}

func progress(format string, a ...any) { fmt.Fprintf(os.Stderr, "vulnbench: "+format+"\n", a...) }

// database is one database the run builds.
type database struct {
	title   string
	path    string
	records int
	// imports are the imports that built it, with their measurements.
	imports []importRun
}

type importRun struct {
	what    string
	records int
	m       benchrun.Measurement
}

// matchRun is the inventory matched against one database.
type matchRun struct {
	db  *database
	m   benchrun.Measurement
	rep protocol.Match
}

// peerRun is one tool on one Go binary.
type peerRun struct {
	tool, binary string
	m            benchrun.Measurement
	ids          []string
	// explain says why an advisory only this tool reports may differ (nil: nothing).
	explain func(id string) string
}

func run(o options) error {
	loadStart := loadAverage()
	pal, err := filepath.Abs(o.palisade)
	if err != nil {
		return err
	}
	work := o.work
	if work == "" {
		if work, err = os.MkdirTemp("", "vulnbench-"); err != nil {
			return err
		}
		defer os.RemoveAll(work)
	} else if err := os.MkdirAll(work, 0o755); err != nil {
		return err
	}
	// The children: everything that reads records, images or databases runs in
	// tools/vulnbench/child, so this process stays small (see protocol).
	self := filepath.Join(work, "vulnbench-child")
	progress("building tools/vulnbench/child")
	if out, err := exec.Command("go", "build", "-o", self, "./tools/vulnbench/child").CombinedOutput(); err != nil {
		return fmt.Errorf("go build ./tools/vulnbench/child: %v\n%s", err, out)
	}
	imp := importer{pal: pal}
	if out, err := exec.Command(pal, "db", "import", "--help").CombinedOutput(); err != nil {
		progress("%s has no db import command (%v: %.200s): importing in a child (vulndb.Import) instead", pal, err, bytes.TrimSpace(out))
		imp = importer{self: self}
	}

	goDB, err := goVulnDB()
	if err != nil {
		return err
	}
	// 1. The whole Go database, imported on its own (the parent holds no records:
	// the peak RSS wait4 gives a child includes its parent's at the fork, so
	// everything large is prepared in a child of its own).
	goCount, err := countJSON(goDB)
	if err != nil {
		return err
	}
	progress("the Go vulnerability database: %d records in %s", goCount, goDB)
	goOnly := &database{title: "Go database", path: filepath.Join(work, "go.db"), records: goCount}
	progress("importing the Go database (best of %d)", o.runs)
	m, err := imp.best(o.runs, goOnly.path, "Go", goDB)
	if err != nil {
		return err
	}
	goOnly.imports = append(goOnly.imports, importRun{what: "Go database (`data/osv`, a directory of JSON files)", records: goCount, m: m})

	// 2. The test image (in the prepare child too), the inventory, the synthesised
	// records and govulncheck's database.
	progress("cataloguing the test image, synthesising the inventory and the records")
	pm, err := benchrun.Best(1, benchrun.Command{Argv: []string{self, "-mode", "prepare", "-work", work, "-godb", goDB, "-rootfs", o.rootfs,
		"-records", fmt.Sprint(o.records), "-packages", fmt.Sprint(o.packages)}})
	if err != nil {
		return err
	}
	var p protocol.Prepared
	if err := protocol.Parse(pm.Stderr, &p); err != nil {
		return err
	}
	progress("inventory: %d packages of the test image (%s) and %d synthesised from the Go database's module paths", p.Real, p.RealBy, p.Added)

	// 3. The two databases.
	base := p.GoRecords + p.OSRecords
	small := &database{title: fmt.Sprintf("%s records", thousands(base)), path: filepath.Join(work, "small.db"), records: base}
	large := &database{path: filepath.Join(work, "large.db"), records: base + p.Replicas}
	large.title = fmt.Sprintf("%s records", thousands(large.records))
	for _, d := range []*database{small, large} {
		steps := []struct {
			what, source string
			records      int
			paths        []string
		}{
			{"Go database", "Go", p.GoRecords, []string{goDB}},
			{"Debian and npm records (zip)", "OS", p.OSRecords, p.OSZips},
		}
		if d == large {
			steps = append(steps, struct {
				what, source string
				records      int
				paths        []string
			}{fmt.Sprintf("replicas (%d zip files)", len(p.ReplicaZips)), "replicas", p.Replicas, p.ReplicaZips})
		}
		for _, s := range steps {
			progress("%s: importing the %s", d.title, s.what)
			m, err := benchrun.Best(1, imp.command(d.path, s.source, s.paths))
			if err != nil {
				return err
			}
			progress("%s: %s: %s", d.title, s.what, measurementString(m))
			d.imports = append(d.imports, importRun{what: s.what, records: s.records, m: m})
		}
	}
	for _, z := range append(p.OSZips, p.ReplicaZips...) {
		os.Remove(z)
	}

	// 4. Matching the inventory against both.
	var matches []matchRun
	for _, d := range []*database{small, large} {
		progress("matching %d packages against the %s database (best of %d)", p.Packages, d.title, o.runs)
		m, err := benchrun.Best(o.runs, benchrun.Command{Argv: []string{self, "-mode", "match", "-db", d.path, "-inventory", p.Inventory}})
		if err != nil {
			return err
		}
		var rep protocol.Match
		if err := protocol.Parse(m.Stderr, &rep); err != nil {
			return err
		}
		progress("%s: match %s, %d vulnerabilities, peak RSS %d MiB", d.title, benchrun.Duration(rep.Match), rep.Vulnerabilities, benchrun.MiB(m.RSSKB))
		matches = append(matches, matchRun{db: d, m: m, rep: rep})
	}

	// 5. govulncheck against Palisade on the same Go binaries.
	peers, peerNote, err := comparePeers(o, pal, self, work, goOnly.path, goDB, p)
	if err != nil {
		return err
	}

	var out strings.Builder
	fmt.Fprintf(&out, "Measured by `make bench` (`tools/vulnbench`) on %s/%s, %d CPUs, %s, %s; load average %s at the start and %s at the end (1 minute; above the CPU count, other processes shared the CPUs: compare CPU times). Timings: best of %d runs (a run over a minute once, imports into the two large databases once); peak RSS is the process's maximum resident set (wait4).\n\n",
		runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version(), time.Now().UTC().Format("2006-01-02"), loadStart, loadAverage(), o.runs)
	out.WriteString(importTable(imp.what(), goOnly, small, large))
	out.WriteString("\n")
	fmt.Fprintf(&out, "The inventory: the test image of `internal/imagetest` as `palisade image` catalogs it (%d packages: %s) plus %d Go modules named as the Go database names them (real module paths from its records, half at a version inside a range, half at a fixed version): %d packages. The records over the image's packages are in the style of osv.dev's Debian data (by source package, `Debian:%s`) and npm data: fixed in the next upload, fixed at the installed version, no fix, another release, a fix before the installed version (`~`), `last_affected`. The replicas are every record again under a new ID (`GO-2024-1234-R17`) for new package names (`bench17.example/...`, `name-bench17`): the larger database has more packages, not more records per package, so both databases give the same findings.\n\n",
		p.Real, p.RealBy, p.Added, p.Packages, p.Release)
	out.WriteString(matchTable(matches))
	out.WriteString("\n")
	out.WriteString(peerTable(peers, peerNote))
	return docsection.Emit(os.Stdout, o.doc, "vulnbench", "the vulnerability benchmark", out.String(), progress)
}

// goVulnDB is the data/osv directory of the pinned Go vulnerability database (the
// one the tests read), downloaded through the module proxy when the module cache
// does not hold it.
func goVulnDB() (string, error) {
	cmd := exec.Command("go", "mod", "download", "-json", vulnDBModule)
	cmd.Dir = os.TempDir() // outside this module
	out, err := cmd.Output()
	var m struct{ Dir string }
	if err == nil {
		err = json.Unmarshal(out, &m)
	}
	if err != nil || m.Dir == "" {
		return "", fmt.Errorf("go mod download %s: %v: %.500s", vulnDBModule, err, out)
	}
	return filepath.Join(m.Dir, "data", "osv"), nil
}

// importer imports with `palisade db import`, or, when the palisade binary has no
// such command, with vulnbench's import child (the same vulndb.Import).
type importer struct{ pal, self string }

func (im importer) command(db, src string, paths []string) benchrun.Command {
	if im.pal != "" {
		return benchrun.Command{Argv: append([]string{im.pal, "db", "import", "--db", db, "--source", src}, paths...)}
	}
	return benchrun.Command{Argv: append([]string{im.self, "-mode", "import", "-db", db, "-source", src}, paths...)}
}

func (im importer) what() string {
	if im.pal != "" {
		return "`palisade db import --db DB --source NAME PATH...`"
	}
	return "`vulndb.Import` in a child process: this palisade binary has no `db import` command yet"
}

// best imports paths into a new database at db runs times (removing it before
// each) and keeps the best wall time.
func (im importer) best(runs int, db, src string, paths ...string) (benchrun.Measurement, error) {
	best := benchrun.Measurement{Wall: time.Hour}
	for range runs {
		if err := os.Remove(db); err != nil && !errors.Is(err, os.ErrNotExist) {
			return best, err
		}
		m, err := benchrun.Best(1, im.command(db, src, paths))
		if err != nil {
			return best, err
		}
		if m.Wall < best.Wall {
			best = m
		}
		if m.Wall > time.Minute {
			break
		}
	}
	return best, nil
}

func measurementString(m benchrun.Measurement) string {
	return fmt.Sprintf("%s wall, %s CPU, %d MiB", benchrun.Duration(m.Wall), benchrun.Duration(m.CPU), benchrun.MiB(m.RSSKB))
}

// thousands writes n with comma separators.
func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func size(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.Size()
}

func mb(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/1e6) }

// countJSON counts the *.json files of dir.
func countJSON(dir string) (int, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".json") {
			n++
		}
	}
	return n, nil
}

// loadAverage is the 1-minute load average ("?" where /proc/loadavg is missing).
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(data)); err == nil && len(f) > 0 {
		return f[0]
	}
	return "?"
}

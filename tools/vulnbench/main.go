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
// The result is Markdown for docs/BENCHMARKS.md, written between
// <!-- vulnbench:begin ... --> and <!-- vulnbench:end --> in -doc when the document
// has those markers, else printed. `make bench` runs it.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/palisade-k8s/palisade/internal/image"
	"github.com/palisade-k8s/palisade/internal/imagetest"
	"github.com/palisade-k8s/palisade/internal/osv/osvtest"
	"github.com/palisade-k8s/palisade/internal/software"
	"github.com/palisade-k8s/palisade/internal/source"
	"github.com/palisade-k8s/palisade/tools/internal/benchrun"
	"github.com/palisade-k8s/palisade/tools/internal/docsection"
)

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
	flag.StringVar(&o.child, "child", "", "internal: run one measured child (match or scan)")
	flag.StringVar(&o.db, "db", "", "internal: the child's database")
	flag.StringVar(&o.inventory, "inventory", "", "internal: the match child's inventory (JSON)")
	flag.Parse()
	var err error
	if o.child != "" {
		err = child(o.child, o.db, o.inventory, o.rootfs)
	} else {
		err = run(o)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "vulnbench:", err)
		os.Exit(1)
	}
}

type options struct {
	palisade, govulncheck, rootfs, doc, work string
	records, packages, runs                  int
	child, db, inventory                     string
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
	rep childReport
}

// peerRun is one tool on one Go binary.
type peerRun struct {
	tool, binary string
	m            benchrun.Measurement
	ids          []string
}

func run(o options) error {
	pal, err := filepath.Abs(o.palisade)
	if err != nil {
		return err
	}
	if out, err := exec.Command(pal, "db", "--help").CombinedOutput(); err != nil {
		return fmt.Errorf("%s db: %v: %.500s (make build; palisade db comes with the vulnerability database)", pal, err, out)
	}
	self, err := os.Executable()
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

	goDB, err := goVulnDB()
	if err != nil {
		return err
	}
	goRecords, err := readRecords(goDB)
	if err != nil {
		return err
	}
	progress("the Go vulnerability database: %d records in %s", len(goRecords), goDB)

	// 1. The whole Go database, imported on its own.
	goOnly := &database{title: "Go database", path: filepath.Join(work, "go.db"), records: len(goRecords)}
	progress("importing the Go database (best of %d)", o.runs)
	m, err := importBest(o.runs, pal, goOnly.path, "Go", goDB)
	if err != nil {
		return err
	}
	goOnly.imports = append(goOnly.imports, importRun{what: "Go database (`data/osv`, a directory of JSON files)", records: len(goRecords), m: m})

	// 2. The inventory: the test image, then real Go module names.
	set, goBin, err := testImage(o)
	if err != nil {
		return err
	}
	inv, err := catalogLayout(set.Layout)
	if err != nil {
		return err
	}
	real := len(inv.Packages)
	realBy := countBy(inv)
	added := synthPackages(inv, goRecords, o.packages)
	invPath := filepath.Join(work, "inventory.json")
	if err := writeFile(invPath, inv); err != nil {
		return err
	}
	progress("inventory: %d packages of the test image (%s) and %d synthesised from the Go database's module paths", real, realBy, added)

	// 3. The two databases.
	osRecs := osRecords(inv)
	synthZips, err := writeZips(work, "os", len(osRecs), 50_000, func(i int) map[string]any { return osRecs[i] })
	if err != nil {
		return err
	}
	base := len(goRecords) + len(osRecs)
	small := &database{title: fmt.Sprintf("%s records", thousands(base)), path: filepath.Join(work, "small.db"), records: base}
	large := &database{path: filepath.Join(work, "large.db")}
	originals := append(slices.Clone(goRecords), osRecs...)
	replicas := max(o.records-base, 0)
	progress("writing %d replicas into OSV zip exports", replicas)
	replicaZips, err := writeZips(work, "replicas", replicas, 50_000, func(i int) map[string]any {
		return replica(originals[i%len(originals)], i/len(originals)+1)
	})
	if err != nil {
		return err
	}
	large.records = base + replicas
	large.title = fmt.Sprintf("%s records", thousands(large.records))
	for _, d := range []*database{small, large} {
		steps := []struct {
			what, source string
			records      int
			paths        []string
		}{
			{"Go database", "Go", len(goRecords), []string{goDB}},
			{"Debian and npm records (zip)", "OS", len(osRecs), synthZips},
		}
		if d == large {
			steps = append(steps, struct {
				what, source string
				records      int
				paths        []string
			}{fmt.Sprintf("replicas (%d zip files)", len(replicaZips)), "replicas", replicas, replicaZips})
		}
		for _, s := range steps {
			progress("%s: importing the %s", d.title, s.what)
			m, err := benchrun.Best(1, benchrun.Command{Argv: append([]string{pal, "db", "import", "--db", d.path, "--source", s.source}, s.paths...)})
			if err != nil {
				return err
			}
			progress("%s: %s: %s", d.title, s.what, measurementString(m))
			d.imports = append(d.imports, importRun{what: s.what, records: s.records, m: m})
		}
	}
	for _, z := range append(synthZips, replicaZips...) {
		os.Remove(z)
	}

	// 4. Matching the inventory against both.
	var matches []matchRun
	for _, d := range []*database{small, large} {
		progress("matching %d packages against the %s database (best of %d)", len(inv.Packages), d.title, o.runs)
		m, err := benchrun.Best(o.runs, benchrun.Command{Argv: []string{self, "-child", "match", "-db", d.path, "-inventory", invPath}})
		if err != nil {
			return err
		}
		rep, err := parseChild(m.Stderr)
		if err != nil {
			return err
		}
		progress("%s: match %s, %d vulnerabilities, peak RSS %d MiB", d.title, benchrun.Duration(rep.Match), rep.Vulnerabilities, benchrun.MiB(m.RSSKB))
		matches = append(matches, matchRun{db: d, m: m, rep: rep})
	}

	// 5. govulncheck against Palisade on the same Go binaries.
	peers, peerNote, err := comparePeers(o, pal, self, work, goOnly.path, goRecords, goBin)
	if err != nil {
		return err
	}

	var out strings.Builder
	fmt.Fprintf(&out, "Measured by `make bench` (`tools/vulnbench`) on %s/%s, %d CPUs, %s, %s. Timings: best of %d runs (a run over a minute once, imports into the two large databases once); peak RSS is the process's maximum resident set (wait4).\n\n",
		runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version(), time.Now().UTC().Format("2006-01-02"), o.runs)
	out.WriteString(importTable(goOnly, small, large))
	out.WriteString("\n")
	fmt.Fprintf(&out, "The inventory: the test image of `internal/imagetest` as `palisade image` catalogs it (%d packages: %s) plus %d Go modules named as the Go database names them (real module paths from its records, half at a version inside a range, half at a fixed version): %d packages. The records over the image's packages are in the style of osv.dev's Debian data (by source package, `Debian:%s`) and npm data: fixed in the next upload, fixed at the installed version, no fix, another release, a fix before the installed version (`~`), `last_affected`. The replicas are every record again under a new ID (`GO-2024-1234-R17`) for new package names (`bench17.example/...`, `name-bench17`): the larger database has more packages, not more records per package, so both databases give the same findings.\n\n",
		real, realBy, added, len(inv.Packages), distroRelease(inv))
	out.WriteString(matchTable(matches))
	out.WriteString("\n")
	out.WriteString(peerTable(peers, peerNote))
	return docsection.Emit(os.Stdout, o.doc, "vulnbench", "the vulnerability benchmark", out.String(), progress)
}

// goVulnDB is the data/osv directory of the pinned Go vulnerability database (the
// one the tests read), downloaded through the module proxy when the module cache
// does not hold it.
func goVulnDB() (string, error) {
	cmd := exec.Command("go", "mod", "download", "-json", osvtest.VulnDBModule)
	cmd.Dir = os.TempDir() // outside this module
	out, err := cmd.Output()
	var m struct{ Dir string }
	if err == nil {
		err = json.Unmarshal(out, &m)
	}
	if err != nil || m.Dir == "" {
		return "", fmt.Errorf("go mod download %s: %v: %.500s", osvtest.VulnDBModule, err, out)
	}
	return filepath.Join(m.Dir, "data", "osv"), nil
}

// importBest imports paths into a new database at db runs times (removing it before
// each) and keeps the best wall time.
func importBest(runs int, pal, db, src string, paths ...string) (benchrun.Measurement, error) {
	best := benchrun.Measurement{Wall: time.Hour}
	for range runs {
		if err := os.Remove(db); err != nil && !errors.Is(err, os.ErrNotExist) {
			return best, err
		}
		m, err := benchrun.Best(1, benchrun.Command{Argv: append([]string{pal, "db", "import", "--db", db, "--source", src}, paths...)})
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

// testImage builds (or finds) the test image set and the Go binary in it.
func testImage(o options) (*imagetest.Set, *imagetest.GoBinary, error) {
	rootfs := o.rootfs
	if rootfs == "" {
		progress("finding or building the Debian root filesystem (hack/debian-rootfs.sh)")
		cmd := exec.Command("./hack/debian-rootfs.sh")
		cmd.Stderr = os.Stderr
		out, err := cmd.Output()
		if err != nil {
			return nil, nil, fmt.Errorf("hack/debian-rootfs.sh: %w", err)
		}
		rootfs = strings.TrimSpace(string(out))
	}
	if err := imagetest.CheckRootFS(rootfs); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", rootfs, err)
	}
	progress("building or finding the Go binaries, the npm tree and the test image")
	goAMD, err := imagetest.BuildGoApp("amd64")
	if err != nil {
		return nil, nil, err
	}
	goARM, err := imagetest.BuildGoApp("arm64")
	if err != nil {
		return nil, nil, err
	}
	npm, err := imagetest.InstallNPMApp()
	if err != nil {
		return nil, nil, err
	}
	set, err := imagetest.Build(imagetest.Inputs{RootFS: rootfs, Go: goAMD, GoARM64: goARM, NPM: npm})
	return set, goAMD, err
}

// catalogLayout catalogs an OCI layout as `palisade image` does.
func catalogLayout(layout string) (*software.Inventory, error) {
	ctx := contextBackground()
	o := image.Options{Keep: source.Keep}
	imgs, err := image.Open(ctx, layout, o)
	if err != nil {
		return nil, err
	}
	if len(imgs) != 1 {
		return nil, fmt.Errorf("%s: %d images, want 1", layout, len(imgs))
	}
	files, err := imgs[0].Read(ctx, o)
	if err != nil {
		return nil, err
	}
	defer files.Close()
	inv := software.Catalog(ctx, files, files)
	if len(inv.Problems) > 0 {
		return nil, fmt.Errorf("%s: %s: %s", layout, inv.Problems[0].Path, inv.Problems[0].Err)
	}
	return &inv, nil
}

func countBy(inv *software.Inventory) string {
	n := map[software.Ecosystem]int{}
	for _, p := range inv.Packages {
		n[p.Ecosystem]++
	}
	var parts []string
	for _, e := range []software.Ecosystem{software.Deb, software.Golang, software.NPM} {
		parts = append(parts, fmt.Sprintf("%d %s", n[e], e))
		delete(n, e)
	}
	for e, c := range n {
		parts = append(parts, fmt.Sprintf("%d %s", c, e))
	}
	return strings.Join(parts, ", ")
}

func distroRelease(inv *software.Inventory) string {
	if inv.Distro == nil {
		return "?"
	}
	return inv.Distro.VersionID
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

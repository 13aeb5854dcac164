package vuln_test

// The differential proof of Go matching: govulncheck (golang.org/x/vuln, built by
// hack/govulncheck.sh) and Palisade scan the same Go binaries against the same Go
// vulnerability database, offline, and every advisory govulncheck reports Palisade
// reports; every advisory Palisade reports beyond it is explained below
// (explainExtra), never tolerated silently.
//
// The binaries are testdata/goapp (old releases of real modules from the module
// proxy: tagged, pseudo-, +incompatible and replaced versions) built twice: with the
// current toolchain and with goOldToolchain (GOTOOLCHAIN downloads it from the module
// proxy), whose standard library has many advisories. They are cached in
// ~/.cache/palisade/vulnapp-<hash>. The database is the pinned golang.org/x/vulndb
// (osvtest.GoVulnDB): Palisade imports its data/osv directory; govulncheck reads the
// same records converted to the layout of go.dev/doc/security/vuln/database
// (index/db.json, index/modules.json, index/vulns.json, ID/<id>.json) through -db
// file://.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/semver"

	"github.com/palisade-k8s/palisade/internal/osv/osvtest"
	"github.com/palisade-k8s/palisade/internal/software"
	"github.com/palisade-k8s/palisade/internal/software/golang"
	"github.com/palisade-k8s/palisade/internal/vuln"
	"github.com/palisade-k8s/palisade/internal/vulndb"
)

// EnvGovulncheck names govulncheck's binary (make test sets it from
// hack/govulncheck.sh); without it the differential test skips.
const EnvGovulncheck = "PALISADE_GOVULNCHECK"

// goOldToolchain builds the second binary: an old release whose standard library has
// advisories (and Windows- and macOS-only ones govulncheck leaves out on Linux).
const goOldToolchain = "go1.21.0"

// goFinding is one advisory govulncheck reports for one module of a binary.
type goFinding struct {
	Binary, Module, Version, ID, Fixed string
}

func (f goFinding) String() string {
	return fmt.Sprintf("%s: %s@%s %s", f.Binary, f.Module, f.Version, f.ID)
}

func TestGovulncheckDifferential(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no binaries are built")
	}
	gv := os.Getenv(EnvGovulncheck)
	if gv == "" {
		t.Skipf("%s is not set (make test sets it from hack/govulncheck.sh)", EnvGovulncheck)
	}
	osvDir := osvtest.GoVulnDB(t)
	bins := vulnApp(t)

	// govulncheck, offline, on the converted database.
	gvDB := filepath.Join(t.TempDir(), "govulndb")
	n := writeGovulncheckDB(t, osvDir, gvDB)
	t.Logf("converted %d records of %s to govulncheck's layout", n, osvDir)
	var want []goFinding
	for _, b := range bins {
		fs := runGovulncheck(t, gv, gvDB, b)
		t.Logf("govulncheck: %s: %d advisories", filepath.Base(b), len(fs))
		// The conversion is checked too: govulncheck also reads a flat directory of
		// records, indexing it itself; both must give the same findings.
		if flat := runGovulncheck(t, gv, osvDir, b); !slices.Equal(keys(fs), keys(flat)) {
			t.Errorf("%s: govulncheck finds %v on the converted database, %v on the records themselves", filepath.Base(b), keys(fs), keys(flat))
		}
		want = append(want, fs...)
	}
	// The comparison proves something only if govulncheck found module and standard
	// library advisories in both binaries.
	checkNonTrivial(t, want)

	// Palisade: the Go cataloger, the store, the matcher.
	got, records := palisadeGo(t, osvDir, filepath.Dir(bins[0]))

	have := map[[3]string]goFinding{}
	for _, f := range got {
		have[[3]string{f.Binary, f.Module, f.ID}] = f
	}
	for _, w := range want {
		f, ok := have[[3]string{w.Binary, w.Module, w.ID}]
		switch {
		case !ok:
			t.Errorf("govulncheck reports %s (fixed %q), Palisade does not", w, w.Fixed)
		case f.Version != w.Version:
			t.Errorf("%s: Palisade reports version %s", w, f.Version)
		case w.Fixed != "" && !slices.Contains(strings.Split(f.Fixed, ","), strings.TrimPrefix(w.Fixed, "v")):
			// govulncheck names the latest fix; Palisade lists every version that
			// leaves a matched range (without the "v" of the database's ranges).
			t.Errorf("%s: govulncheck's fix %s is not among Palisade's fixed versions %q", w, w.Fixed, f.Fixed)
		}
	}
	reported := map[[3]string]bool{}
	for _, w := range want {
		reported[[3]string{w.Binary, w.Module, w.ID}] = true
	}
	// Palisade filters by the binary's GOOS and GOARCH as govulncheck does: no extra
	// advisory is expected. explainExtra says what an extra one would be.
	extras := 0
	for _, f := range got {
		if reported[[3]string{f.Binary, f.Module, f.ID}] {
			continue
		}
		extras++
		why, err := explainExtra(records, f, "linux", "amd64")
		if err != nil {
			why = err.Error()
		}
		t.Errorf("Palisade reports %s, govulncheck does not: %s", f, why)
	}
	t.Logf("govulncheck %d, Palisade %d (per binary, module and GO ID); extras %d", len(want), len(got), extras)
}

// keys lists "module ID fixed" of each finding, sorted.
func keys(fs []goFinding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Module+" "+f.ID+" "+f.Fixed)
	}
	sort.Strings(out)
	return out
}

// checkNonTrivial fails unless want has module and stdlib advisories for each binary.
func checkNonTrivial(t *testing.T, want []goFinding) {
	t.Helper()
	kinds := map[string]map[string]int{}
	for _, w := range want {
		if kinds[w.Binary] == nil {
			kinds[w.Binary] = map[string]int{}
		}
		if w.Module == "stdlib" {
			kinds[w.Binary]["stdlib"]++
			if w.Binary == "vulnapp-"+goOldToolchain && w.Version != "v"+strings.TrimPrefix(goOldToolchain, "go") {
				t.Errorf("%s: the standard library is %s: not built with %s", w.Binary, w.Version, goOldToolchain)
			}
		} else {
			kinds[w.Binary]["module"]++
		}
	}
	for _, b := range []string{"vulnapp-current", "vulnapp-" + goOldToolchain} {
		if kinds[b]["module"] == 0 {
			t.Errorf("%s: govulncheck reports no module advisory: the test binary proves nothing", b)
		}
		if b != "vulnapp-current" && kinds[b]["stdlib"] == 0 {
			t.Errorf("%s: govulncheck reports no standard library advisory", b)
		}
	}
}

// The explanations of advisories Palisade reports and govulncheck does not.
const (
	whyGOOS   = "every package of the module the advisory names is limited to other operating systems (ecosystem_specific imports goos): govulncheck leaves it out for the binary's GOOS, and Palisade should too (software.Package.OS)"
	whyGOARCH = "every package of the module the advisory names is limited to other architectures (ecosystem_specific imports goarch): govulncheck leaves it out for the binary's GOARCH, and Palisade should too (software.Package.Arch)"
)

// explainExtra says why govulncheck does not report f while Palisade does, or errors
// when nothing explains it. The only explanation the test accepts is govulncheck's
// platform filter (vulncheck.affectingVulnerabilities: an affected module whose
// ecosystem_specific.imports all name other GOOS or GOARCH is dropped).
func explainExtra(records map[string]*goRecord, f goFinding, goos, goarch string) (string, error) {
	r := records[f.ID]
	if r == nil {
		return "", fmt.Errorf("%s is not a record of the database", f.ID)
	}
	entries, otherOS := 0, false
	for _, a := range r.Affected {
		if a.Package.Name != f.Module {
			continue
		}
		entries++
		if len(a.EcosystemSpecific.Imports) == 0 {
			return "", errors.New("its affected entry has no imports: govulncheck would keep it")
		}
		for _, imp := range a.EcosystemSpecific.Imports {
			if platformIncludes(imp.GOOS, goos) && platformIncludes(imp.GOARCH, goarch) {
				return "", fmt.Errorf("its package %s applies to %s/%s", imp.Path, goos, goarch)
			}
			otherOS = otherOS || !platformIncludes(imp.GOOS, goos)
		}
	}
	if entries == 0 {
		return "", fmt.Errorf("%s has no affected entry for %s", f.ID, f.Module)
	}
	if otherOS {
		return whyGOOS, nil
	}
	return whyGOARCH, nil
}

func platformIncludes(list []string, v string) bool {
	return len(list) == 0 || slices.Contains(list, v)
}

// goRecord is what the test reads of a Go database record.
type goRecord struct {
	ID        string     `json:"id"`
	Modified  time.Time  `json:"modified"`
	Withdrawn *time.Time `json:"withdrawn"`
	Aliases   []string   `json:"aliases"`
	Affected  []struct {
		Package struct {
			Name      string `json:"name"`
			Ecosystem string `json:"ecosystem"`
		} `json:"package"`
		Ranges []struct {
			Type   string `json:"type"`
			Events []struct {
				Introduced string `json:"introduced"`
				Fixed      string `json:"fixed"`
			} `json:"events"`
		} `json:"ranges"`
		EcosystemSpecific struct {
			Imports []struct {
				Path   string   `json:"path"`
				GOOS   []string `json:"goos"`
				GOARCH []string `json:"goarch"`
			} `json:"imports"`
		} `json:"ecosystem_specific"`
	} `json:"affected"`
}

// readGoRecords reads every record of the Go database directory, by ID, with its
// bytes.
func readGoRecords(t *testing.T, dir string) (map[string]*goRecord, map[string][]byte) {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(names) < 1000 {
		t.Fatalf("%s: %d records (%v): not the Go vulnerability database", dir, len(names), err)
	}
	records, raw := map[string]*goRecord{}, map[string][]byte{}
	for _, name := range names {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		var r goRecord
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if r.ID+".json" != filepath.Base(name) {
			t.Fatalf("%s: the record's id is %q", name, r.ID)
		}
		records[r.ID], raw[r.ID] = &r, b
	}
	return records, raw
}

// writeGovulncheckDB writes the records of osvDir into dest in the layout of the Go
// vulnerability database's API (go.dev/doc/security/vuln/database): index/db.json
// (the newest modified time), index/modules.json (per module path, its advisories with
// their modified time and the latest fix, the version without "v" that fixes the last
// range unless a later introduced event reopens it), index/vulns.json (id, modified,
// aliases) and ID/<id>.json (the records as they are). It returns the record count.
func writeGovulncheckDB(t *testing.T, osvDir, dest string) int {
	t.Helper()
	records, raw := readGoRecords(t, osvDir)
	for _, d := range []string{"index", "ID"} {
		if err := os.MkdirAll(filepath.Join(dest, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	type modVuln struct {
		ID       string    `json:"id"`
		Modified time.Time `json:"modified"`
		Fixed    string    `json:"fixed,omitempty"`
	}
	type module struct {
		Path  string    `json:"path"`
		Vulns []modVuln `json:"vulns"`
	}
	type vulnEntry struct {
		ID       string    `json:"id"`
		Modified time.Time `json:"modified"`
		Aliases  []string  `json:"aliases,omitempty"`
	}
	var newest time.Time
	modules := map[string]*module{}
	var vulns []vulnEntry
	ids := slices.Sorted(func(yield func(string) bool) {
		for id := range records {
			if !yield(id) {
				return
			}
		}
	})
	for _, id := range ids {
		r := records[id]
		if r.Modified.After(newest) {
			newest = r.Modified
		}
		vulns = append(vulns, vulnEntry{ID: id, Modified: r.Modified, Aliases: r.Aliases})
		// One entry per (module, record): a record naming a module twice has the
		// latest fix of both, none when either has none.
		fixes := map[string][]string{}
		var order []string
		for _, a := range r.Affected {
			p := a.Package.Name
			if _, ok := fixes[p]; !ok {
				order = append(order, p)
			}
			fixes[p] = append(fixes[p], latestFix(a.Ranges))
		}
		for _, p := range order {
			fix := fixes[p][0]
			for _, f := range fixes[p][1:] {
				if fix == "" || f == "" {
					fix = ""
					break
				}
				if semver.Compare("v"+f, "v"+fix) > 0 {
					fix = f
				}
			}
			if modules[p] == nil {
				modules[p] = &module{Path: p}
			}
			modules[p].Vulns = append(modules[p].Vulns, modVuln{ID: id, Modified: r.Modified, Fixed: fix})
		}
		if err := os.WriteFile(filepath.Join(dest, "ID", id+".json"), raw[id], 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mods := make([]*module, 0, len(modules))
	for _, m := range modules {
		mods = append(mods, m)
	}
	sort.Slice(mods, func(i, j int) bool { return mods[i].Path < mods[j].Path })
	for name, v := range map[string]any{
		"db.json":      map[string]time.Time{"modified": newest},
		"modules.json": mods,
		"vulns.json":   vulns,
	} {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dest, "index", name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return len(records)
}

// latestFix is the fix of a module's SEMVER ranges the modules index lists: the highest
// fixed version, "" when an introduced event after it reopens the range (or there is
// no fix).
func latestFix(ranges []struct {
	Type   string `json:"type"`
	Events []struct {
		Introduced string `json:"introduced"`
		Fixed      string `json:"fixed"`
	} `json:"events"`
}) string {
	latest := ""
	for _, r := range ranges {
		if r.Type != "SEMVER" {
			continue
		}
		for _, e := range r.Events {
			if e.Fixed != "" && (latest == "" || semver.Compare("v"+e.Fixed, "v"+latest) > 0) {
				latest = e.Fixed
			}
		}
		for _, e := range r.Events {
			if e.Introduced != "" && e.Introduced != "0" && latest != "" && semver.Compare("v"+e.Introduced, "v"+latest) > 0 {
				latest = ""
				break
			}
		}
	}
	return latest
}

// runGovulncheck runs govulncheck on bin at module level, offline, and returns its
// findings (one per module and advisory).
func runGovulncheck(t *testing.T, gv, db, bin string) []goFinding {
	t.Helper()
	u := url.URL{Scheme: "file", Path: db}
	cmd := exec.Command(gv, "-mode", "binary", "-scan", "module", "-db", u.String(), "-format", "json", bin)
	// No network: proxies that lead nowhere, no telemetry upload.
	cmd.Env = append(os.Environ(), "HTTP_PROXY=http://127.0.0.1:9", "HTTPS_PROXY=http://127.0.0.1:9", "GOTELEMETRY=off", "NO_PROXY=")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s", cmd, err, stderr.Bytes())
	}
	findings, err := parseGovulncheck(out, filepath.Base(bin))
	if err != nil {
		t.Fatalf("govulncheck %s: %v", bin, err)
	}
	return findings
}

// parseGovulncheck reads govulncheck's -format json stream (a sequence of messages:
// config, progress, SBOM, osv, finding) and returns its module-level findings, each
// once. It checks that the scan was the one asked for: binary mode, module level, a
// file:// database.
func parseGovulncheck(out []byte, binary string) ([]goFinding, error) {
	type frame struct {
		Module, Version, Package, Function string
	}
	type message struct {
		Config *struct {
			DB        string `json:"db"`
			ScanLevel string `json:"scan_level"`
			ScanMode  string `json:"scan_mode"`
		} `json:"config"`
		Finding *struct {
			OSV          string   `json:"osv"`
			FixedVersion string   `json:"fixed_version"`
			Trace        []*frame `json:"trace"`
		} `json:"finding"`
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	seen := map[[2]string]bool{}
	var findings []goFinding
	configs := 0
	for {
		var m message
		err := dec.Decode(&m)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("offset %d: %w", dec.InputOffset(), err)
		}
		if c := m.Config; c != nil {
			configs++
			if !strings.HasPrefix(c.DB, "file://") || c.ScanLevel != "module" || c.ScanMode != "binary" {
				return nil, fmt.Errorf("unexpected configuration: db %q, scan level %q, mode %q", c.DB, c.ScanLevel, c.ScanMode)
			}
		}
		f := m.Finding
		if f == nil {
			continue
		}
		if len(f.Trace) == 0 || f.Trace[0].Module == "" || f.OSV == "" {
			return nil, fmt.Errorf("finding without an advisory or a module: %+v", f)
		}
		k := [2]string{f.Trace[0].Module, f.OSV}
		if seen[k] {
			continue
		}
		seen[k] = true
		findings = append(findings, goFinding{Binary: binary, Module: f.Trace[0].Module, Version: f.Trace[0].Version, ID: f.OSV, Fixed: f.FixedVersion})
	}
	if configs != 1 {
		return nil, fmt.Errorf("%d config messages, want 1", configs)
	}
	return findings, nil
}

// palisadeGo imports osvDir into a new store and matches the Go binaries of dir: one
// goFinding per binary, module and GO record, with the records by ID.
func palisadeGo(t *testing.T, osvDir, dir string) ([]goFinding, map[string]*goRecord) {
	t.Helper()
	ctx := context.Background()
	db, err := vulndb.Open(filepath.Join(t.TempDir(), "vulndb.db"), vulndb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	sum, err := db.Import(ctx, []string{osvDir}, vulndb.ImportOptions{Source: "Go"})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range sum.Problems {
		t.Errorf("import: %v", p)
	}
	records, _ := readGoRecords(t, osvDir)
	if sum.Records != len(records) {
		t.Errorf("imported %d records, the database has %d", sum.Records, len(records))
	}

	pkgs, problems := golang.Catalog(ctx, os.DirFS(dir), software.Env{})
	for _, p := range problems {
		t.Errorf("catalog: %s: %s", p.Path, p.Err)
	}
	inv := &software.Inventory{Packages: pkgs}
	res, err := vuln.Match(ctx, db, inv)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range res.Problems {
		t.Errorf("match: %s", p)
	}
	for _, ne := range res.NotEvaluated {
		t.Errorf("match: not evaluated: %s %v: %s", ne.Package.Name, ne.IDs, ne.Reason)
	}
	var got []goFinding
	seen := map[[3]string]bool{}
	for _, v := range res.Vulnerabilities {
		p := v.Package
		bin := filepath.Base(p.Location.Path)
		if p.Ecosystem != software.Golang {
			t.Errorf("%s: %s package %s matched", bin, p.Ecosystem, p.Name)
			continue
		}
		if len(v.Evidence.Records) == 0 {
			t.Errorf("%s: %s: %s has no records", bin, p.Name, v.Evidence.ID)
		}
		for _, rec := range v.Evidence.Records {
			src, id, ok := strings.Cut(rec, "/")
			if !ok || src != "Go" || records[id] == nil {
				t.Errorf("%s: %s: record %q is not Go/<an ID of the database>", bin, p.Name, rec)
				continue
			}
			k := [3]string{bin, p.Name, id}
			if seen[k] {
				continue
			}
			seen[k] = true
			got = append(got, goFinding{Binary: bin, Module: p.Name, Version: p.Version, ID: id, Fixed: strings.Join(v.Evidence.Fixed, ",")})
		}
	}
	return got, records
}

// vulnApp builds testdata/goapp with the current toolchain and with goOldToolchain
// into one directory (cached by the module's files and the toolchain versions) and
// returns the binaries: vulnapp-current and vulnapp-<goOldToolchain>.
func vulnApp(t *testing.T) []string {
	t.Helper()
	src, err := filepath.Abs(filepath.Join("testdata", "goapp"))
	if err != nil {
		t.Fatal(err)
	}
	gover, err := exec.Command("go", "env", "GOVERSION").Output()
	if err != nil {
		t.Fatalf("go env GOVERSION: %v", err)
	}
	h := sha256.New()
	fmt.Fprintf(h, "vulnapp 1\n%s\n%s\n", bytes.TrimSpace(gover), goOldToolchain)
	for _, f := range []string{"go.mod", "go.sum", "main.go"} {
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(h, "%s %d\n", f, len(b))
		h.Write(b)
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		t.Skipf("no cache directory: %v", err)
	}
	dest := filepath.Join(cache, "palisade", "vulnapp-"+hex.EncodeToString(h.Sum(nil))[:16])
	names := []string{"vulnapp-current", "vulnapp-" + goOldToolchain}
	bins := []string{filepath.Join(dest, names[0]), filepath.Join(dest, names[1])}
	if _, err := os.Stat(filepath.Join(dest, "DONE")); err == nil {
		return bins
	}
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		t.Fatal(err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dest), ".vulnapp-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	for i, toolchain := range []string{"local", goOldToolchain} {
		t.Logf("building testdata/goapp with GOTOOLCHAIN=%s (modules and toolchain from the module proxy, once) into %s", toolchain, dest)
		cmd := exec.Command("go", "build", "-trimpath", "-o", filepath.Join(tmp, names[i]), ".")
		cmd.Dir = src
		cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=readonly -buildvcs=false", "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64", "GOTOOLCHAIN="+toolchain)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build (GOTOOLCHAIN=%s): %v\n%s", toolchain, err, out)
		}
	}
	if err := os.WriteFile(filepath.Join(tmp, "DONE"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, dest); err != nil {
		if _, serr := os.Stat(filepath.Join(dest, "DONE")); serr != nil { // not another run's
			t.Fatal(err)
		}
	}
	return bins
}

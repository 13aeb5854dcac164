package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/palisade-k8s/palisade/tools/internal/benchrun"
	"github.com/palisade-k8s/palisade/tools/vulnbench/internal/protocol"
)

// govulncheckVersion is the golang.org/x/vuln version hack/govulncheck.sh builds.
const govulncheckVersion = "v1.10.0"

// findGovulncheck is -govulncheck, else what hack/govulncheck.sh builds or finds
// (the differential test's reference), else the same go install into the same cache.
func findGovulncheck(o options) (string, error) {
	if o.govulncheck != "" {
		return o.govulncheck, nil
	}
	if _, err := os.Stat("hack/govulncheck.sh"); err == nil {
		cmd := exec.Command("./hack/govulncheck.sh")
		cmd.Stderr = os.Stderr
		out, err := cmd.Output()
		if err != nil {
			return "", fmt.Errorf("hack/govulncheck.sh: %w", err)
		}
		return strings.TrimSpace(string(out)), nil
	}
	cache := filepath.Join(os.TempDir(), "palisade")
	if d, err := os.UserCacheDir(); err == nil {
		cache = filepath.Join(d, "palisade")
	}
	return benchrun.GoInstall(filepath.Join(cache, "govulncheck"), "govulncheck", "golang.org/x/vuln/cmd/govulncheck", govulncheckVersion, progress)
}

// comparePeers runs govulncheck and Palisade on the same Go binaries (the test
// image's Go binary and the palisade binary itself), offline against the same Go
// database: govulncheck -mode binary -scan module against its file:// layout of the
// records, Palisade against the imported database goDB, as `palisade image --rootfs
// DIR --db` when the binary has that flag, else the same pipeline in a child
// (catalog the directory, vuln.Match). The advisories each reports come from
// govulncheck's JSON findings and the child's result.
func comparePeers(o options, pal, self, work, goDB, records string, p protocol.Prepared) ([]peerRun, string, error) {
	why := func(id string) string { return explain(records, id) }
	gvDB := p.GovulncheckDB
	gv, err := findGovulncheck(o)
	if err != nil {
		return nil, "", err
	}
	help, _ := exec.Command(pal, "image", "--help").CombinedOutput()
	cli := bytes.Contains(help, []byte("--db "))
	note := "Palisade: `palisade image --rootfs DIR --db DB --fail-on none -o json` (DIR holds only the binary; DB the imported Go database; advisories from the findings' evidence)."
	if !cli {
		note = "Palisade: this `palisade image` has no `--db` yet, so its pipeline runs in a child (`tools/vulnbench/child`): `image.OpenRootFS` of a directory holding only the binary, `software.Catalog`, `vulndb.Open` read-only, `vuln.Match`."
	}
	note += fmt.Sprintf(" govulncheck %s: `govulncheck -mode binary -scan module -db file://DIR -format json BINARY`, offline, DIR the same records in its database layout. Advisories: the GO- IDs each reports.", govulncheckVersion)

	binaries := []struct{ title, file string }{
		{fmt.Sprintf("test image Go binary (%d modules, %s)", p.GoModules, p.GoVersion), p.GoBinary},
		{"the palisade binary", pal},
	}
	var runs []peerRun
	for i, b := range binaries {
		dir := filepath.Join(work, fmt.Sprintf("rootfs-%d", i))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, "", err
		}
		bin := filepath.Join(dir, "app")
		if err := copyFile(b.file, bin); err != nil {
			return nil, "", err
		}
		title := fmt.Sprintf("%s, %s", b.title, mb(size(bin)))

		progress("govulncheck on %s (best of %d)", title, o.runs)
		gvArgv := []string{gv, "-mode", "binary", "-scan", "module", "-db", "file://" + gvDB, "-format", "json", bin}
		m, err := benchrun.Best(o.runs, benchrun.Command{Argv: gvArgv, StopAfter: time.Minute})
		if err != nil {
			return nil, "", err
		}
		ids, err := govulncheckIDs(gvArgv)
		if err != nil {
			return nil, "", err
		}
		runs = append(runs, peerRun{tool: "govulncheck", binary: title, m: m, ids: ids, explain: why})
		progress("govulncheck: %s, %d advisories", measurementString(m), len(ids))

		progress("palisade on %s (best of %d)", title, o.runs)
		timed := benchrun.Command{Argv: []string{self, "-mode", "scan", "-db", goDB, "-rootfs", dir}, StopAfter: time.Minute}
		if cli {
			timed = benchrun.Command{Argv: []string{pal, "image", "--rootfs", dir, "--db", goDB, "--fail-on", "none", "-o", "json"}, StopAfter: time.Minute}
		}
		var palIDs []string
		if cli {
			palIDs, err = reportIDs(timed.Argv)
		} else {
			var sm benchrun.Measurement
			if sm, err = benchrun.Best(1, timed); err == nil {
				var rep protocol.Match
				if err = protocol.Parse(sm.Stderr, &rep); err == nil {
					palIDs = rep.IDs
				}
			}
		}
		if err != nil {
			return nil, "", err
		}
		var goIDs []string
		for _, id := range palIDs {
			if strings.HasPrefix(id, "GO-") {
				goIDs = append(goIDs, id)
			}
		}
		if m, err = benchrun.Best(o.runs, timed); err != nil {
			return nil, "", err
		}
		runs = append(runs, peerRun{tool: "palisade", binary: title, m: m, ids: goIDs, explain: why})
		progress("palisade: %s, %d advisories", measurementString(m), len(goIDs))
	}
	return runs, note, nil
}

// reportIDs runs `palisade image ... -o json` once and returns every advisory ID of
// its findings' vulnerability evidence (ID, aliases, records), sorted, each once.
func reportIDs(argv []string) ([]string, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var ee *exec.ExitError
	if err != nil && !(errors.As(err, &ee) && (ee.ExitCode() == 1 || ee.ExitCode() == 3)) {
		return nil, fmt.Errorf("%s: %v: %.2000s", strings.Join(argv, " "), err, stderr.String())
	}
	return protocol.ReportIDs(out)
}

// govulncheckIDs runs govulncheck once and returns the OSV IDs of its findings.
func govulncheckIDs(argv []string) ([]string, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var ee *exec.ExitError
	if err != nil && !(errors.As(err, &ee) && ee.ExitCode() == 3) {
		return nil, fmt.Errorf("%s: %v: %.2000s", strings.Join(argv, " "), err, stderr.String())
	}
	return protocol.GovulncheckIDs(out)
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func importTable(how string, dbs ...*database) string {
	var b strings.Builder
	b.WriteString("**Import** (" + how + "; size on disk: the database file after the last import):\n\n| database | import | records | wall | CPU | peak RSS | size on disk |\n|---|---|---:|---|---|---|---|\n")
	for _, d := range dbs {
		for i, im := range d.imports {
			sz := ""
			if i == len(d.imports)-1 {
				sz = mb(size(d.path))
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %d MiB | %s |\n", d.title, im.what, thousands(im.records),
				benchrun.Duration(im.m.Wall), benchrun.Duration(im.m.CPU), benchrun.MiB(im.m.RSSKB), sz)
		}
	}
	return b.String()
}

func matchTable(ms []matchRun) string {
	var b strings.Builder
	b.WriteString("**Matching** (a child process reads the inventory, opens the database read-only, then `vuln.Match` is timed alone; allocated: Go heap bytes the match allocated; peak RSS: the child's, the whole process):\n\n| database | size on disk | packages | match wall | match CPU | vulnerabilities (unfixed) | allocated by the match | peak RSS before / after the match | child peak RSS |\n|---|---|---:|---|---|---|---|---|---|\n")
	for _, m := range ms {
		fmt.Fprintf(&b, "| %s | %s | %d | %s | %s | %d (%d) | %s | %d / %d MiB | %d MiB |\n", m.db.title, mb(size(m.db.path)), m.rep.Packages,
			benchrun.Duration(m.rep.Match), benchrun.Duration(m.rep.MatchCPU), m.rep.Vulnerabilities, m.rep.Unfixed,
			mb(int64(m.rep.Allocated)), benchrun.MiB(m.rep.RSSBefore), benchrun.MiB(m.rep.RSSAfter), benchrun.MiB(m.m.RSSKB))
	}
	if len(ms) == 2 {
		a, z := ms[0], ms[1]
		same := "the same"
		if a.rep.Vulnerabilities != z.rep.Vulnerabilities || a.rep.Unfixed != z.rep.Unfixed {
			same = "**different**"
		}
		fmt.Fprintf(&b, "\nFrom %s to %s records (%.0fx): match wall time %.2fx, match CPU time %.2fx, allocated %.2fx, child peak RSS %.2fx; %s vulnerabilities.\n",
			thousands(a.db.records), thousands(z.db.records), float64(z.db.records)/float64(max(a.db.records, 1)),
			ratio(float64(z.rep.Match), float64(a.rep.Match)), ratio(float64(z.rep.MatchCPU), float64(a.rep.MatchCPU)),
			ratio(float64(z.rep.Allocated), float64(a.rep.Allocated)), ratio(float64(z.m.RSSKB), float64(a.m.RSSKB)), same)
	}
	return b.String()
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// explain says what limits an advisory of the Go database that one tool reported
// and the other did not: the operating systems and architectures its
// ecosystem_specific imports name (govulncheck filters by the binary's), read from
// the record in goDB ("" when it names none).
func explain(goDB, id string) string {
	data, err := os.ReadFile(filepath.Join(goDB, id+".json"))
	if err != nil {
		return ""
	}
	var r struct {
		Affected []struct {
			Package struct {
				Name string `json:"name"`
			} `json:"package"`
			EcosystemSpecific struct {
				Imports []struct {
					GOOS   []string `json:"goos"`
					GOARCH []string `json:"goarch"`
				} `json:"imports"`
			} `json:"ecosystem_specific"`
		} `json:"affected"`
	}
	if json.Unmarshal(data, &r) != nil {
		return ""
	}
	var parts []string
	for _, a := range r.Affected {
		for _, im := range a.EcosystemSpecific.Imports {
			if len(im.GOOS) > 0 {
				parts = append(parts, a.Package.Name+" on GOOS "+strings.Join(im.GOOS, ", "))
			}
			if len(im.GOARCH) > 0 {
				parts = append(parts, a.Package.Name+" on GOARCH "+strings.Join(im.GOARCH, ", "))
			}
		}
	}
	if len(parts) == 0 {
		return ""
	}
	slices.Sort(parts)
	return "only " + strings.Join(slices.Compact(parts), "; ")
}

func peerTable(runs []peerRun, note string) string {
	var b strings.Builder
	b.WriteString("**govulncheck on the same binaries** (the same Go database, offline). " + note + "\n\n| binary | tool | wall | CPU | peak RSS | advisories |\n|---|---|---|---|---|---:|\n")
	for _, r := range runs {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %d MiB | %d |\n", r.binary, r.tool, benchrun.Duration(r.m.Wall), benchrun.Duration(r.m.CPU), benchrun.MiB(r.m.RSSKB), len(r.ids))
	}
	b.WriteString("\n")
	for i := 0; i+1 < len(runs); i += 2 {
		gv, pal := runs[i], runs[i+1]
		onlyGV, onlyPal := diff(gv.ids, pal.ids), diff(pal.ids, gv.ids)
		if len(onlyGV)+len(onlyPal) == 0 {
			fmt.Fprintf(&b, "- %s: the same %d advisories.\n", gv.binary, len(gv.ids))
			continue
		}
		fmt.Fprintf(&b, "- %s: only govulncheck %d%s; only Palisade %d%s.\n", gv.binary, len(onlyGV), idList(onlyGV, gv.explain), len(onlyPal), idList(onlyPal, pal.explain))
	}
	b.WriteString("\nWith `-scan module`, as here, govulncheck reports every advisory of the module versions (and the standard library) the binary records, which is what Palisade matches; `-scan symbol` would keep only those whose vulnerable symbols are linked in. internal/vuln's differential test compares the two advisory by advisory.\n")
	return b.String()
}

func diff(a, b []string) []string {
	in := map[string]bool{}
	for _, x := range b {
		in[x] = true
	}
	var out []string
	for _, x := range a {
		if !in[x] {
			out = append(out, x)
		}
	}
	return out
}

func idList(ids []string, explain func(string) string) string {
	if len(ids) == 0 {
		return ""
	}
	const maxListed = 20
	var items []string
	for i, id := range ids {
		if i == maxListed {
			items = append(items, fmt.Sprintf("and %d more", len(ids)-maxListed))
			break
		}
		item := "`" + id + "`"
		if explain != nil {
			if why := explain(id); why != "" {
				item += ": " + why
			}
		}
		items = append(items, item)
	}
	return " (" + strings.Join(items, ", ") + ")"
}

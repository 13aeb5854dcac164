package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/palisade-k8s/palisade/internal/checks/images"
	"github.com/palisade-k8s/palisade/internal/config"
	"github.com/palisade-k8s/palisade/internal/osv"
	"github.com/palisade-k8s/palisade/internal/software"
	"github.com/palisade-k8s/palisade/internal/vuln"
	"github.com/palisade-k8s/palisade/internal/vulndb"
)

// exampleRootFS is the root filesystem of the README's image example (Debian 10 with
// libc6, openssl and zlib1g, npm lodash 4.17.4 and minimist 0.0.8, PyYAML 5.3.1).
func exampleRootFS(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "examples", "image-rootfs"))
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// Without a database at the default path, images are not matched and a notice says
// how to create one; the scan's outcome is unchanged. --db "" says no database.
func TestVulnDefaultDBMissing(t *testing.T) {
	cache, rootfs := t.TempDir(), exampleRootFS(t)
	t.Setenv("XDG_CACHE_HOME", cache)
	r := run(t, nil, "image", "--rootfs", rootfs, "--fail-on", "none")
	if r.code != ExitOK {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	want := "palisade: notice: " + filepath.Join(cache, "palisade", "vulndb.db") + ": no vulnerability database: images are not matched against known vulnerabilities; run palisade db import to create it\n"
	if !strings.Contains(r.stderr, want) {
		t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
	}
	if strings.Contains(r.stdout, "PAL-130") || strings.Contains(r.stdout, "vulnerabilit") {
		t.Errorf("report mentions vulnerabilities without a database:\n%s", r.stdout)
	}
	r = run(t, nil, "image", "--rootfs", rootfs, "--fail-on", "none", "--db", "")
	if r.code != ExitOK || strings.Contains(r.stderr, "vulnerability database") {
		t.Errorf("--db \"\": exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// A database named with --db must exist; --max-db-age must be an age: usage errors
// (exit 2), on image and on scan --images.
func TestVulnFlagUsage(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "none.db")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"image", "--rootfs", exampleRootFS(t), "--db", missing}, "palisade: --db " + missing + ": no vulnerability database: create it with `palisade db import PATH... --db " + missing + "`\n"},
		{[]string{"scan", "-", "--images", "--db", missing}, "no vulnerability database"},
		{[]string{"image", "--rootfs", exampleRootFS(t), "--max-db-age", "a week"}, `palisade: --max-db-age: invalid age "a week": want days (7d) or a duration (36h)`},
		{[]string{"image", "--rootfs", exampleRootFS(t), "--max-db-age", "-1d"}, "invalid age"},
	} {
		r := run(t, strings.NewReader("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: 127.0.0.1:1/x:1}]}\n"), c.args...)
		if r.code != ExitUsage || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%v: exit %d, want 2 and %q\n%s", c.args, r.code, c.want, r.stderr)
		}
	}
}

func TestParseAge(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"7d": 7 * 24 * time.Hour, "0d": 0, "0": 0, "36h": 36 * time.Hour, "90m": 90 * time.Minute, "1h30m": 90 * time.Minute,
	} {
		if got, err := parseAge(in); err != nil || got != want {
			t.Errorf("parseAge(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "d", "7", "7days", "-1d", "+7d", "-5h", "1.5d", "99999999d", "7 d"} {
		if got, err := parseAge(in); err == nil {
			t.Errorf("parseAge(%q) = %v, want an error", in, got)
		}
	}
}

// --ignore-unfixed sets PAL-130's ignoreUnfixed, over the configuration file's, and
// leaves the configuration it was given unchanged.
func TestIgnoreUnfixedParam(t *testing.T) {
	cfg := &config.Config{Rules: map[string]config.RuleConfig{images.VulnRuleID: {Params: map[string]any{images.ParamUnratedSeverity: "high"}}}}
	got := (&vulnFlags{ignoreUnfixed: true}).configure(cfg)
	ps := got.Rules[images.VulnRuleID].Params
	if ps[images.ParamIgnoreUnfixed] != "true" || ps[images.ParamUnratedSeverity] != "high" {
		t.Errorf("params %v", ps)
	}
	if _, set := cfg.Rules[images.VulnRuleID].Params[images.ParamIgnoreUnfixed]; set {
		t.Error("the configuration given was changed")
	}
	if (&vulnFlags{}).configure(cfg) != cfg {
		t.Error("without the flag the configuration is not the one given")
	}
}

// The tests below need the vulnerability database (internal/vulndb, palisade db) and
// the matcher (vuln.Match) of issue 16; each skips while either is a stub.

type noRecords struct{}

func (noRecords) Lookup(software.Ecosystem, string) ([]*osv.Record, error) { return nil, nil }

func needVulnDB(t *testing.T) {
	t.Helper()
	defer func() {
		if v := recover(); v != nil {
			t.Skipf("the vulnerability database or the matcher is not implemented in this build (%v)", v)
		}
	}()
	db, err := vulndb.Open(filepath.Join(t.TempDir(), "probe.db"), vulndb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := vuln.Match(context.Background(), noRecords{}, &software.Inventory{}); err != nil {
		t.Fatal(err)
	}
}

// vulnAdvisory is an OSV record of one affected package and one range.
func vulnAdvisory(id string, modified time.Time, aliases []string, eco, name, rangeType string, events []map[string]string, severity string) map[string]any {
	evs := make([]any, len(events))
	for i, e := range events {
		evs[i] = e
	}
	rec := map[string]any{
		"schema_version": "1.6.0", "id": id, "modified": modified.UTC().Format(time.RFC3339), "summary": "test advisory " + id,
		"affected": []any{map[string]any{
			"package": map[string]any{"ecosystem": eco, "name": name},
			"ranges":  []any{map[string]any{"type": rangeType, "events": evs}},
		}},
	}
	if len(aliases) > 0 {
		rec["aliases"] = aliases
	}
	if severity != "" {
		typ := "CVSS_V3"
		if strings.HasPrefix(severity, "CVSS:4.0/") {
			typ = "CVSS_V4"
		}
		rec["severity"] = []any{map[string]any{"type": typ, "score": severity}}
	}
	return rec
}

func writeAdvisories(t *testing.T, dir string, recs ...map[string]any) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		data, err := json.MarshalIndent(r, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, r["id"].(string)+".json"), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func events(kv ...string) []map[string]string {
	var out []map[string]string
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, map[string]string{kv[i]: kv[i+1]})
	}
	return out
}

// vulnDB imports advisories for the example root filesystem with palisade db import
// and returns the database: a fresh source ("fresh") with records for its npm, PyPI
// and Debian 10 packages (one without fix), a record of Debian 11 that must not match,
// and, with stale, a second source ("old") last modified in 2020.
func vulnDB(t *testing.T, stale bool) string {
	t.Helper()
	needVulnDB(t)
	dir := t.TempDir()
	now := time.Now().Add(-24 * time.Hour)
	writeAdvisories(t, filepath.Join(dir, "fresh"),
		vulnAdvisory("GHSA-jf85-cpcp-j695", now, []string{"CVE-2019-10744"}, "npm", "lodash", "SEMVER", events("introduced", "0", "fixed", "4.17.12"), "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:H"),
		vulnAdvisory("GHSA-vh95-rmgr-6w4m", now, []string{"CVE-2020-7598"}, "npm", "minimist", "SEMVER", events("introduced", "0", "fixed", "0.2.1"), "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:L/I:L/A:L"),
		vulnAdvisory("GHSA-8q59-q68h-6hv4", now, []string{"CVE-2020-14343"}, "PyPI", "pyyaml", "ECOSYSTEM", events("introduced", "0", "fixed", "5.4"), "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),
		vulnAdvisory("DEBIAN-CVE-2022-37434", now, []string{"CVE-2022-37434"}, "Debian:10", "zlib", "ECOSYSTEM", events("introduced", "0", "fixed", "1:1.2.11.dfsg-1+deb10u2"), ""),
		vulnAdvisory("DEBIAN-CVE-2024-5535", now, []string{"CVE-2024-5535"}, "Debian:10", "openssl", "ECOSYSTEM", events("introduced", "0"), ""),
		vulnAdvisory("DEBIAN-CVE-2023-0001", now, nil, "Debian:11", "zlib", "ECOSYSTEM", events("introduced", "0"), ""),
	)
	db := filepath.Join(dir, "vulndb.db")
	if r := run(t, nil, "db", "import", filepath.Join(dir, "fresh"), "--source", "fresh", "--db", db); r.code != ExitOK {
		t.Fatalf("db import: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if stale {
		writeAdvisories(t, filepath.Join(dir, "old"), vulnAdvisory("GHSA-0000-0000-0001", time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), nil, "npm", "left-pad", "SEMVER", events("introduced", "0"), ""))
		if r := run(t, nil, "db", "import", filepath.Join(dir, "old"), "--source", "old", "--db", db); r.code != ExitOK {
			t.Fatalf("db import: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	}
	return db
}

type vulnJSON struct {
	Findings []struct {
		RuleID   string `json:"ruleID"`
		Severity string `json:"severity"`
		Path     string `json:"path"`
		Message  string `json:"message"`
		Location struct {
			Image struct {
				Path       string `json:"path"`
				LayerIndex int    `json:"layerIndex"`
			} `json:"image"`
		} `json:"location"`
		Vulnerability *struct {
			ID      string   `json:"id"`
			Aliases []string `json:"aliases"`
			Package struct {
				Ecosystem, Name, Version string
			} `json:"package"`
			Fixed   []string `json:"fixed"`
			Records []string `json:"records"`
		} `json:"vulnerability"`
	} `json:"findings"`
}

// palisade image against a database built with palisade db import: one PAL-130
// finding per vulnerable package with its evidence, the severity of its CVSS vector
// (unrated: medium), in every report format; --ignore-unfixed drops the one without
// fix; a Debian 11 record does not apply to Debian 10. (Needs the merged store and
// matcher.)
func TestVulnImageEndToEnd(t *testing.T) {
	rootfs := exampleRootFS(t)
	db := vulnDB(t, false)
	r := run(t, nil, "image", "--rootfs", rootfs, "--db", db, "--fail-on", "none", "-o", "json", "--include", images.VulnRuleID)
	if r.code != ExitOK {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if strings.Contains(r.stderr, "notice") {
		t.Errorf("notices with a fresh database:\n%s", r.stderr)
	}
	var rep vulnJSON
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range rep.Findings {
		v := f.Vulnerability
		if v == nil {
			t.Fatalf("finding without evidence: %s", f.Message)
		}
		got = append(got, fmt.Sprintf("%s %s %s@%s fixed=%s %s %s", f.Severity, v.ID, v.Package.Name, v.Package.Version, strings.Join(v.Fixed, ","), f.Location.Image.Path, strings.Join(v.Records, ",")))
	}
	sort.Strings(got)
	want := []string{
		"critical CVE-2020-14343 PyYAML@5.3.1 fixed=5.4 /usr/lib/python3/dist-packages/PyYAML-5.3.1.dist-info/METADATA fresh/GHSA-8q59-q68h-6hv4",
		"critical CVE-2019-10744 lodash@4.17.4 fixed=4.17.12 /app/node_modules/lodash/package.json fresh/GHSA-jf85-cpcp-j695",
		"medium CVE-2020-7598 minimist@0.0.8 fixed=0.2.1 /app/node_modules/minimist/package.json fresh/GHSA-vh95-rmgr-6w4m",
		"medium CVE-2022-37434 zlib1g@1:1.2.11.dfsg-1+deb10u1 fixed=1:1.2.11.dfsg-1+deb10u2 /var/lib/dpkg/status fresh/DEBIAN-CVE-2022-37434",
		"medium CVE-2024-5535 openssl@1.1.1n-0+deb10u3 fixed= /var/lib/dpkg/status fresh/DEBIAN-CVE-2024-5535",
	}
	sort.Strings(want)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	text := run(t, nil, "image", "--rootfs", rootfs, "--db", db, "--fail-on", "none", "--include", images.VulnRuleID)
	for _, w := range []string{
		"  5 known vulnerabilities: 2 critical, 3 medium\n",
		"CVE-2019-10744 (GHSA-jf85-cpcp-j695) in npm lodash 4.17.4: test advisory GHSA-jf85-cpcp-j695; affected SEMVER: introduced 0, fixed 4.17.12 (npm); fixed in 4.17.12; severity critical from CVSS_V3 9.1 (CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:H)",
		"CVE-2024-5535 (DEBIAN-CVE-2024-5535) in deb openssl 1.1.1n-0+deb10u3",
		"; no fix; severity not rated by the advisories (unratedSeverity)",
	} {
		if !strings.Contains(text.stdout, w) {
			t.Errorf("text report lacks %q:\n%s", w, text.stdout)
		}
	}

	sarif := run(t, nil, "image", "--rootfs", rootfs, "--db", db, "--fail-on", "none", "--include", images.VulnRuleID, "-o", "sarif")
	if !strings.Contains(sarif.stdout, `"security-severity": "9.8"`) || !strings.Contains(sarif.stdout, `"security-severity": "5.6"`) || !strings.Contains(sarif.stdout, `"vulnerability": {`) {
		t.Errorf("SARIF lacks the CVSS scores or the evidence:\n%s", sarif.stdout)
	}
	junit := run(t, nil, "image", "--rootfs", rootfs, "--db", db, "--fail-on", "none", "--include", images.VulnRuleID, "-o", "junit")
	if !strings.Contains(junit.stdout, "Vulnerability: CVE-2019-10744 (GHSA-jf85-cpcp-j695)") || !strings.Contains(junit.stdout, "Fixed in: no fix") {
		t.Errorf("JUnit lacks the evidence:\n%s", junit.stdout)
	}

	r = run(t, nil, "image", "--rootfs", rootfs, "--db", db, "--fail-on", "none", "-o", "json", "--include", images.VulnRuleID, "--ignore-unfixed")
	rep = vulnJSON{}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Findings) != 4 {
		t.Errorf("--ignore-unfixed: %d findings, want 4", len(rep.Findings))
	}
	for _, f := range rep.Findings {
		if f.Vulnerability.ID == "CVE-2024-5535" {
			t.Errorf("--ignore-unfixed reported %s", f.Message)
		}
	}

	// --fail-on gates on the advisories' severities like on any finding.
	if r := run(t, nil, "image", "--rootfs", rootfs, "--db", db, "--fail-on", "critical", "--include", images.VulnRuleID); r.code != ExitFindings {
		t.Errorf("--fail-on critical: exit %d, want 1", r.code)
	}
}

// A source older than --max-db-age is a notice naming it and its age; with
// --fail-on-stale-db an input error (exit 3). (Needs the merged store and matcher.)
func TestVulnStaleDB(t *testing.T) {
	rootfs := exampleRootFS(t)
	db := vulnDB(t, true)
	r := run(t, nil, "image", "--rootfs", rootfs, "--db", db, "--fail-on", "none", "--include", images.VulnRuleID)
	if r.code != ExitOK {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	want := "palisade: notice: " + db + ": vulnerability database source old is "
	if !strings.Contains(r.stderr, want) || !strings.Contains(r.stderr, "(newest advisory 2020-01-01), older than --max-db-age 7d: import it again") || strings.Contains(r.stderr, "source fresh") {
		t.Errorf("stderr lacks %q naming only the old source:\n%s", want, r.stderr)
	}
	if !strings.Contains(r.stdout, "5 known vulnerabilities") {
		t.Errorf("a stale database is still used:\n%s", r.stdout)
	}
	r = run(t, nil, "image", "--rootfs", rootfs, "--db", db, "--fail-on", "none", "--include", images.VulnRuleID, "--fail-on-stale-db")
	if r.code != ExitInputErrors || !strings.Contains(r.stdout, "INPUT ERROR "+db+": vulnerability database source old is ") || !strings.Contains(r.stdout, "(--fail-on-stale-db)") {
		t.Errorf("--fail-on-stale-db: exit %d, want 3\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = run(t, nil, "image", "--rootfs", rootfs, "--db", db, "--fail-on", "none", "--include", images.VulnRuleID, "--fail-on-stale-db", "--max-db-age", "0")
	if r.code != ExitOK || strings.Contains(r.stderr, "source old") {
		t.Errorf("--max-db-age 0: exit %d\n%s", r.code, r.stderr)
	}
}

// FuzzParseAge: any --max-db-age value is an age of at most 100 years or an error,
// never a panic or a negative age.
func FuzzParseAge(f *testing.F) {
	for _, s := range []string{"7d", "36h", "0", "-1d", "99999999999999999999d", "1h30m", "d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseAge(s)
		if err == nil && d < 0 {
			t.Errorf("parseAge(%q) = %v", s, d)
		}
	})
}

package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/imagetest"
)

// TestImageRootFSVulnerabilities is the Debian matching test of internal/vuln
// (TestDebianRootFS) as a user runs it: `palisade db import` of the OSV records of
// internal/vuln/testdata/debian into a new database, then `palisade image --rootfs`
// of the real Debian root filesystem against it; the PAL-130 findings are exactly
// the packages internal/vuln/testdata/debian-want.json lists per record.
func TestImageRootFSVulnerabilities(t *testing.T) {
	rootfs := imagetest.DebianRootFS(t)
	vulnTestdata, err := filepath.Abs(filepath.Join("..", "vuln", "testdata"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(vulnTestdata, "debian-want.json"))
	if err != nil {
		t.Fatal(err)
	}
	var want map[string][]string
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}

	db := filepath.Join(t.TempDir(), "vulndb.db")
	r := run(t, nil, "db", "import", filepath.Join(vulnTestdata, "debian"), "--source", "Debian", "--db", db)
	if r.code != ExitOK {
		t.Fatalf("db import: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// The records are dated: a generous --max-db-age keeps the age notice out of the
	// way (the notice never changes the exit code without --fail-on-stale-db).
	r = run(t, nil, "image", "--rootfs", rootfs, "--db", db, "--max-db-age", "876000h", "-o", "json", "--fail-on", "none")
	if r.code != ExitOK {
		t.Fatalf("image: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	var rep struct {
		Findings []struct {
			RuleID        string                 `json:"ruleID"`
			Vulnerability *finding.Vulnerability `json:"vulnerability"`
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("report: %v\n%s", err, r.stdout)
	}
	got := map[string][]string{}
	for _, f := range rep.Findings {
		v := f.Vulnerability
		if f.RuleID != "PAL-130" {
			continue
		}
		if v == nil {
			t.Errorf("a PAL-130 finding without its evidence")
			continue
		}
		for _, rec := range v.Records {
			id, ok := strings.CutPrefix(rec, "Debian/")
			if !ok {
				t.Errorf("%s: record %q is not from the source Debian", v.Package.Name, rec)
			}
			got[id] = append(got[id], v.Package.Name)
		}
	}
	for id, w := range want {
		g := got[id]
		slices.Sort(g)
		if !slices.Equal(g, w) {
			t.Errorf("%s: PAL-130 findings for %v, want %v", id, g, w)
		}
	}
	for id := range got {
		if _, ok := want[id]; !ok {
			t.Errorf("%s: findings for %v: not a record of the database", id, got[id])
		}
	}
}

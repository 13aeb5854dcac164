package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/palisade-k8s/palisade/internal/osv/osvtest"
	"github.com/palisade-k8s/palisade/tools/vulnbench/internal/protocol"
)

// TestVulnDBModule: the benchmark imports the Go database the tests read.
func TestVulnDBModule(t *testing.T) {
	if vulnDBModule != osvtest.VulnDBModule {
		t.Errorf("vulnDBModule %s, osvtest.VulnDBModule %s", vulnDBModule, osvtest.VulnDBModule)
	}
}

func TestTables(t *testing.T) {
	small := &database{title: "5,000 records", records: 5000}
	large := &database{title: "200,000 records", records: 200000}
	got := matchTable([]matchRun{
		{db: small, rep: protocol.Match{Packages: 1000, Match: 100 * time.Millisecond, Vulnerabilities: 10, Allocated: 1e6}},
		{db: large, rep: protocol.Match{Packages: 1000, Match: 110 * time.Millisecond, Vulnerabilities: 10, Allocated: 1e6}},
	})
	if !strings.Contains(got, "From 5,000 to 200,000 records (40x): match wall time 1.10x, match CPU time 0.00x, allocated 1.00x") || !strings.Contains(got, "the same vulnerabilities") {
		t.Errorf("match table:\n%s", got)
	}
	peers := peerTable([]peerRun{
		{tool: "govulncheck", binary: "b", ids: []string{"GO-1", "GO-2"}},
		{tool: "palisade", binary: "b", ids: []string{"GO-2", "GO-3"}},
	}, "note.")
	if !strings.Contains(peers, "- b: only govulncheck 1 (`GO-1`); only Palisade 1 (`GO-3`).") {
		t.Errorf("peer table:\n%s", peers)
	}
	if thousands(200000) != "200,000" || thousands(999) != "999" || thousands(1234567) != "1,234,567" {
		t.Error("thousands")
	}
}

// TestParentImportsNoPalisade: this process's memory is the floor of every child's
// peak RSS (wait4), so it imports none of Palisade's packages; the child does the
// work.
func TestParentImportsNoPalisade(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range strings.Fields(string(out)) {
		if strings.HasPrefix(p, "github.com/palisade-k8s/palisade/internal/") {
			t.Errorf("tools/vulnbench imports %s", p)
		}
	}
}

func TestExplain(t *testing.T) {
	dir := t.TempDir()
	rec := `{"id": "GO-2026-6604", "affected": [{"package": {"name": "stdlib"}, "ecosystem_specific": {"imports": [{"path": "os", "goos": ["windows"]}, {"path": "internal/syscall/windows", "goos": ["windows"]}]}}]}`
	if err := os.WriteFile(filepath.Join(dir, "GO-2026-6604.json"), []byte(rec), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := explain(dir, "GO-2026-6604"); got != "only stdlib on GOOS windows" {
		t.Errorf("explain: %q", got)
	}
	if got := explain(dir, "GO-0000-0000"); got != "" {
		t.Errorf("no record: %q", got)
	}
	runs := []peerRun{
		{tool: "govulncheck", binary: "b", ids: []string{"GO-1"}},
		{tool: "palisade", binary: "b", ids: []string{"GO-1", "GO-2026-6604"}, explain: func(id string) string { return explain(dir, id) }},
	}
	if got := peerTable(runs, ""); !strings.Contains(got, "only Palisade 1 (`GO-2026-6604`: only stdlib on GOOS windows).") {
		t.Errorf("peer table:\n%s", got)
	}
}

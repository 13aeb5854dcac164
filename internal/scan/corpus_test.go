package scan

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/source"
)

var corpusDir = filepath.Join("..", "..", "..", "shared", "corpus")

func needCorpus(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(corpusDir); err != nil {
		t.Skip("shared corpus not available")
	}
	if testing.Short() {
		t.Skip("corpus scan skipped in -short mode")
	}
}

// corpusInvalid are the corpus documents that are genuinely invalid YAML: archived
// examples that repeat a mapping key, which YAML forbids and kubectl rejects.
var corpusInvalid = map[string]string{
	"_archived__openshift-origin__etcd-controller.yaml:12":           `mapping key "selector" already defined at line 6`,
	"_archived__openshift-origin__etcd-discovery-controller.yaml:12": `mapping key "selector" already defined at line 6`,
	"_archived__openshift-origin__openshift-controller.yaml:12":      `mapping key "selector" already defined at line 8`,
	"_archived__volumes__scaleio__sc-pvc.yaml:12":                    `mapping key "storageClassName" already defined at line 6`,
}

// TestCorpusRobustness scans all of the real-world corpus: every file is read, the
// genuinely invalid documents and only they are input errors, and every kind of
// object is kept.
func TestCorpusRobustness(t *testing.T) {
	needCorpus(t)
	res, err := Run(Options{Source: &source.Files{Paths: []string{corpusDir}}, FailOn: "none"})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, e := range res.Report.Errors {
		key := fmt.Sprintf("%s:%d", filepath.Base(e.Location.File), e.Location.Line)
		got[key] = true
		if want, ok := corpusInvalid[key]; !ok || !strings.Contains(e.Message, want) {
			t.Errorf("unexpected input error: %s", e.Error())
		}
	}
	for key := range corpusInvalid {
		if !got[key] {
			t.Errorf("invalid document %s not reported", key)
		}
	}
	s := res.Report.Summary
	if s.Inputs < 677 {
		t.Errorf("read %d inputs, want all 677 corpus files", s.Inputs)
	}
	if s.Objects < 4300 || s.Workloads < 650 {
		t.Errorf("scanned %d objects and %d workloads, want >= 4300 and >= 650", s.Objects, s.Workloads)
	}
	kinds := map[string]int{}
	for _, k := range res.Input.Inventory.Kinds() {
		kinds[k.Kind] = k.Count
	}
	for _, k := range []string{"CustomResourceDefinition", "NetworkPolicy", "ClusterRole", "Secret", "ServiceMonitor"} {
		if kinds[k] == 0 {
			t.Errorf("no %s kept in the inventory", k)
		}
	}
	if s.Findings == 0 {
		t.Error("no findings on the corpus")
	}
}

// TestCorpusWithDamage copies corpus files, breaks one document in one of them, and
// checks the damage is one input error naming file and line while everything else,
// including the rest of the damaged file, is still scanned.
func TestCorpusWithDamage(t *testing.T) {
	needCorpus(t)
	dir := t.TempDir()
	src := filepath.Join(corpusDir, "microservices-demo")
	entries, err := os.ReadDir(src)
	if err != nil || len(entries) == 0 {
		t.Skip("microservices-demo not in corpus")
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	clean, err := Run(Options{Source: &source.Files{Paths: []string{dir}}, FailOn: "none"})
	if err != nil {
		t.Fatal(err)
	}
	victim := filepath.Join(dir, entries[0].Name())
	data, _ := os.ReadFile(victim)
	lines := strings.Split(string(data), "\n")
	// Damage the first "kind:" line after the first document: unbalanced flow mapping.
	bad := -1
	for i, l := range lines {
		if strings.HasPrefix(l, "kind:") && i > 3 {
			bad = i
			lines[i] = "kind: {Deployment"
			break
		}
	}
	if bad < 0 {
		t.Skip("no kind line to damage")
	}
	if err := os.WriteFile(victim, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := Run(Options{Source: &source.Files{Paths: []string{dir}}, FailOn: "none"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Report.Errors) != 1 {
		t.Fatalf("got %d input errors, want 1: %v", len(res.Report.Errors), res.Report.Errors)
	}
	e := res.Report.Errors[0]
	if e.Location.File != victim || e.Location.Line < bad+1 || e.Location.Line > bad+3 {
		t.Errorf("input error at %s:%d, want %s near line %d: %s", e.Location.File, e.Location.Line, victim, bad+1, e.Message)
	}
	if got, want := res.Report.Summary.Objects, clean.Report.Summary.Objects-1; got != want {
		t.Errorf("scanned %d objects with one damaged document, want %d", got, want)
	}
	if res.ExitCode() != 3 {
		t.Errorf("exit code %d, want 3", res.ExitCode())
	}
}

package auditrules_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/palisade-k8s/palisade/internal/audit"
	"github.com/palisade-k8s/palisade/internal/auditlog"
	_ "github.com/palisade-k8s/palisade/internal/checks/auditrules"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/rules"
)

// Fixtures: testdata/PAL-9xx/ holds event logs (JSON lines of audit.k8s.io/v1
// Events). In fail*.jsonl, every event that must complete a finding of the rule
// carries the annotation "palisade.test/want": "PAL-9xx" (the API server never
// writes it; the engine ignores it); the findings of the rule must be exactly on
// those lines. pass*.jsonl must give no finding of the rule. An optional state.yaml
// (a YAML stream of objects) is the current state the engine starts from, and an
// optional params.yaml the rule's parameters (for rules idle by default).
const wantAnnotation = "palisade.test/want"

func TestEveryDetectionHasFixtures(t *testing.T) {
	for _, d := range audit.Detections() {
		id := d.Rule.ID
		fails, _ := filepath.Glob(filepath.Join("testdata", id, "fail*.jsonl"))
		passes, _ := filepath.Glob(filepath.Join("testdata", id, "pass*.jsonl"))
		if len(fails) == 0 || len(passes) == 0 {
			t.Errorf("%s needs testdata/%s/fail*.jsonl and pass*.jsonl (has %d and %d)", id, id, len(fails), len(passes))
		}
	}
}

func TestFixtures(t *testing.T) {
	for _, d := range audit.Detections() {
		d := d
		t.Run(d.Rule.ID, func(t *testing.T) {
			dir := filepath.Join("testdata", d.Rule.ID)
			state := readState(t, filepath.Join(dir, "state.yaml"))
			params := readParams(t, filepath.Join(dir, "params.yaml"))
			files, _ := filepath.Glob(filepath.Join(dir, "*.jsonl"))
			for _, file := range files {
				got, want := runFixture(t, d.Rule, file, state, params)
				base := filepath.Base(file)
				if strings.HasPrefix(base, "pass") && len(want) > 0 {
					t.Errorf("%s: a pass fixture marks lines %v", file, want)
				}
				if strings.Join(got, ",") != strings.Join(want, ",") {
					t.Errorf("%s: findings of %s on lines [%s], want [%s]", file, d.Rule.ID, strings.Join(got, ","), strings.Join(want, ","))
				}
			}
		})
	}
}

// RunFixture runs one rule's detection over a log and returns the lines of its
// findings and the lines marked as wanting one.
func runFixture(t *testing.T, r *rules.Rule, file string, state []*inventory.Object, params map[string]any) (got, want []string) {
	t.Helper()
	var fs []finding.Finding
	opts := audit.Options{Rules: []*rules.Rule{r}, Initial: state, Report: func(f finding.Finding) { fs = append(fs, f) }}
	if params != nil {
		opts.Params = func(string) map[string]any { return params }
	}
	e, err := audit.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	rd, err := auditlog.Open(context.Background(), []string{file}, auditlog.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	for {
		ev, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if ev.Annotations[wantAnnotation] == r.ID {
			want = append(want, itoa(ev.Source.Line))
		}
		e.Process(ev)
	}
	e.Close()
	for _, f := range fs {
		if f.RuleID != r.ID {
			continue
		}
		if f.Audit == nil || len(f.Audit.Events) == 0 {
			t.Errorf("%s: finding without audit evidence: %+v", file, f)
			continue
		}
		got = append(got, itoa(f.Location.Line))
	}
	sort.Strings(got)
	sort.Strings(want)
	return got, want
}

func itoa(n int) string {
	s := ""
	for ; n > 0; n /= 10 {
		s = string(rune('0'+n%10)) + s
	}
	if s == "" {
		return "0"
	}
	return s
}

func readState(t *testing.T, path string) []*inventory.Object {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var out []*inventory.Object
	for i, doc := range strings.Split(string(data), "\n---") {
		if strings.TrimSpace(doc) == "" {
			continue
		}
		var body map[string]any
		if err := yaml.Unmarshal([]byte(doc), &body); err != nil {
			t.Fatalf("%s document %d: %v", path, i+1, err)
		}
		md, _ := body["metadata"].(map[string]any)
		name, _ := md["name"].(string)
		ns, _ := md["namespace"].(string)
		kind, _ := body["kind"].(string)
		apiVersion, _ := body["apiVersion"].(string)
		out = append(out, &inventory.Object{
			Ref:    finding.ObjectRef{APIVersion: apiVersion, Kind: kind, Namespace: ns, Name: name},
			Body:   body,
			Origin: finding.Location{File: path, Document: i},
		})
	}
	return out
}

// readParams reads a fixture's parameters (nil without a params.yaml: the defaults).
func readParams(t *testing.T, path string) map[string]any {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := yaml.Unmarshal(data, &m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}

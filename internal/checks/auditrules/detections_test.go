package auditrules_test

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/audit"
	"github.com/palisade-k8s/palisade/internal/auditlog"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/rules"
)

// allDetections are the registered detections of this package with the allow-list
// of PAL-919 set, so that every detection works.
func allDetections(t testing.TB, report func(finding.Finding)) *audit.Engine {
	var rs []*rules.Rule
	for _, d := range audit.Detections() {
		rs = append(rs, d.Rule)
	}
	params := func(id string) map[string]any {
		if id == "PAL-919" {
			return map[string]any{"allowedRegistries": []string{"ghcr.io/acme", "registry.k8s.io"}}
		}
		return nil
	}
	e, err := audit.New(audit.Options{Rules: rs, Report: report, Params: func(id string) map[string]any {
		if p := params(id); p != nil {
			return p
		}
		r, _ := rules.Get(id)
		m := map[string]any{}
		for _, p := range r.Params {
			m[p.Name] = p.Default
		}
		return m
	}})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// fixtureLines are the events of every fixture, as lines.
func fixtureLines(t testing.TB) [][]byte {
	files, _ := filepath.Glob(filepath.Join("testdata", "PAL-9*", "*.jsonl"))
	var out [][]byte
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			out = append(out, append([]byte(nil), sc.Bytes()...))
		}
	}
	return out
}

// FuzzDetections runs every detection on hostile events: any line that decodes
// must be judged without a panic, and no finding may print a credential the event
// carried in a ConfigMap.
func FuzzDetections(f *testing.F) {
	for _, l := range fixtureLines(f) {
		f.Add(l)
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		ev, err := auditlog.Decode(line, auditlog.Location{File: "fuzz", Line: 1})
		if err != nil {
			return
		}
		var fs []finding.Finding
		e := allDetections(t, func(f finding.Finding) { fs = append(fs, f) })
		e.Process(ev)
		e.Process(ev) // the same event twice: state paths
		e.Close()
		for _, f := range fs {
			if strings.Contains(f.Message, "Pa55-word") || strings.Contains(f.Message, "wWPw5k4aXcaT4f") {
				t.Fatalf("finding prints a credential: %s", f.Message)
			}
		}
	})
}

// The findings never print the ConfigMap values of the fixtures.
func TestNoCredentialInMessages(t *testing.T) {
	var fs []finding.Finding
	e := allDetections(t, func(f finding.Finding) { fs = append(fs, f) })
	for i, l := range fixtureLines(t) {
		ev, err := auditlog.Decode(l, auditlog.Location{File: "fixtures", Line: i + 1})
		if err != nil {
			t.Fatal(err)
		}
		e.Process(ev)
	}
	e.Close()
	n := 0
	for _, f := range fs {
		if f.RuleID == "PAL-911" {
			n++
		}
		for _, secret := range []string{"Pa55-word", "Q3EGRXZ4NB7PLKVW", "wWPw5k4aXcaT4fNP"} {
			if strings.Contains(f.Message, secret) {
				t.Errorf("%s prints a credential: %s", f.RuleID, f.Message)
			}
		}
	}
	if n == 0 {
		t.Error("no PAL-911 finding: the test tests nothing")
	}
}

// BenchmarkDetections is the cost of every detection of the package per event,
// over the fixtures' mix of events (bodies decoded once per event, shared).
func BenchmarkDetections(b *testing.B) {
	lines := fixtureLines(b)
	var evs []*auditlog.Event
	for i, l := range lines {
		ev, err := auditlog.Decode(l, auditlog.Location{File: "bench", Line: i + 1})
		if err != nil {
			b.Fatal(err)
		}
		evs = append(evs, ev)
	}
	e := allDetections(b, func(finding.Finding) {})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, ev := range evs {
			cp := *ev // the engine's body cache is per Context; events are read-only
			e.Process(&cp)
		}
	}
	b.ReportMetric(float64(b.N*len(evs))/b.Elapsed().Seconds(), "events/s")
}

// findingsOf runs one rule over a fixture file (with the state of its directory)
// and returns its findings by line.
func findingsOf(t *testing.T, id, file string) map[int]finding.Finding {
	t.Helper()
	r, _ := rules.Get(id)
	dir := filepath.Join("testdata", id)
	var fs []finding.Finding
	e, err := audit.New(audit.Options{Rules: []*rules.Rule{r}, Initial: readState(t, filepath.Join(dir, "state.yaml")),
		Report: func(f finding.Finding) { fs = append(fs, f) }})
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range linesOf(t, filepath.Join(dir, file)) {
		ev, err := auditlog.Decode(l, auditlog.Location{File: file, Line: i + 1})
		if err != nil {
			t.Fatal(err)
		}
		e.Process(ev)
	}
	e.Close()
	out := map[int]finding.Finding{}
	for _, f := range fs {
		out[f.Location.Line] = f
	}
	return out
}

func linesOf(t *testing.T, path string) [][]byte {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Split(bytes.TrimRight(data, "\n"), []byte("\n"))
}

// The stateful findings: an exec into a pod with host access is high, with the
// pod's creation in the chain when the log created it and without one when the
// pod came from the current state; a plain exec is medium, one event.
func TestExecIntoHostPod(t *testing.T) {
	fs := findingsOf(t, "PAL-901", "fail.jsonl")
	for line, want := range map[int]struct {
		sev    finding.Severity
		events int
		msg    string
	}{
		1: {finding.Medium, 1, "exec into pod default/web, container app: id"},
		4: {finding.High, 2, "exec into pod default/debug, container shell: sh -c 'cat /host/etc/shadow' (the pod has privileged, hostPID)"},
		8: {finding.High, 1, "exec into pod kube-system/node-shell, container shell: chroot /host (the pod has privileged, hostPID, hostNetwork, hostPath /)"},
	} {
		f, ok := fs[line]
		if !ok {
			t.Errorf("no finding on line %d", line)
			continue
		}
		if f.Severity != want.sev || len(f.Audit.Events) != want.events || f.Message != want.msg {
			t.Errorf("line %d: %s, %d events, %q; want %s, %d, %q", line, f.Severity, len(f.Audit.Events), f.Message, want.sev, want.events, want.msg)
		}
	}
	if f := fs[4]; len(f.Audit.Events) == 2 && f.Audit.Events[0].Line != 3 {
		t.Errorf("the chain starts on line %d, want the pod's creation on line 3", f.Audit.Events[0].Line)
	}
}

// Findings on workloads name the controller and point at the field.
func TestWorkloadFindingPaths(t *testing.T) {
	for _, tc := range []struct {
		id   string
		line int
		ref  finding.ObjectRef
		path string
	}{
		{"PAL-905", 2, finding.ObjectRef{APIVersion: "apps/v1", Kind: "DaemonSet", Namespace: "monitoring", Name: "node-agent"}, "spec.template.spec.containers[0].securityContext.privileged"},
		{"PAL-905", 4, finding.ObjectRef{APIVersion: "apps/v1", Kind: "DaemonSet", Namespace: "monitoring", Name: "node-agent"}, "spec.template.spec.containers[0].securityContext.privileged"},
		{"PAL-905", 5, finding.ObjectRef{APIVersion: "batch/v1", Kind: "CronJob", Namespace: "ops", Name: "cleanup"}, "spec.jobTemplate.spec.template.spec.containers[0].securityContext.privileged"},
		{"PAL-906", 2, finding.ObjectRef{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "ci", Name: "builder"}, "spec.template.spec.volumes[0].hostPath.path"},
		{"PAL-907", 1, finding.ObjectRef{APIVersion: "v1", Kind: "Pod", Namespace: "default", Name: "top"}, "spec.hostPID"},
	} {
		f, ok := findingsOf(t, tc.id, "fail.jsonl")[tc.line]
		if !ok {
			t.Errorf("%s: no finding on line %d", tc.id, tc.line)
			continue
		}
		if f.Object != tc.ref || f.Path != tc.path {
			t.Errorf("%s line %d: %+v %q, want %+v %q", tc.id, tc.line, f.Object, f.Path, tc.ref, tc.path)
		}
	}
}

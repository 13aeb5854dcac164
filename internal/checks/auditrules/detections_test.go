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

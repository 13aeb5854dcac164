package auditrules_test

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/audit"
	"github.com/palisade-k8s/palisade/internal/auditlog"
	"github.com/palisade-k8s/palisade/internal/checks/identity"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/rbac"
	"github.com/palisade-k8s/palisade/internal/rules"
)

func runLeastpriv(t *testing.T, id string, model *rbac.Model) []finding.Finding {
	t.Helper()
	d, ok := audit.Detection(id)
	if !ok {
		t.Fatalf("%s not registered", id)
	}
	var fs []finding.Finding
	opts := audit.Options{Rules: []*rules.Rule{d.Rule}, RBAC: model, Report: func(f finding.Finding) { fs = append(fs, f) }}
	if model != nil {
		// With the risk analysis too, as `palisade audit` runs them: the RBAC
		// context must not raise a finding whose subject is the grant itself.
		opts.Risks = model.AnalyzeRisks(identity.RiskClasses())
	}
	e, err := audit.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	rd, err := auditlog.Open(context.Background(), []string{filepath.Join("testdata", id, "fail.jsonl")}, auditlog.Options{})
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
			t.Fatal(err)
		}
		e.Process(ev)
	}
	e.Close()
	return fs
}

func TestLeastprivFindings(t *testing.T) {
	for _, tc := range []struct {
		id   string
		want []string
	}{
		{"PAL-950", []string{
			"medium ClusterRole pod-operator rules[1]: user:alice never used delete pods (rule 1 of ClusterRole pod-operator, bound by ClusterRoleBinding alice-pods) in its 2 requests from 2026-12-01T10:01:00Z to 2026-12-01T10:05:00Z",
			"low Role shop/app rules[1]: sa:shop:web never used get secrets (rule 1 of Role shop/app, bound by RoleBinding shop/web-app) in its 2 requests from 2026-12-01T10:01:00Z to 2026-12-01T10:05:00Z",
		}},
		{"PAL-951", []string{
			"high ClusterRoleBinding ci-ops : sa:ci:admin holds risky capabilities its 1 requests from 2026-12-01T10:01:00Z to 2026-12-01T10:04:00Z did not need: PAL-336 (Subject can exec into, attach to or debug pods) held cluster-wide, needed only in namespace ci",
			"high ClusterRoleBinding ci-ops : sa:ci:deploy holds risky capabilities its 2 requests from 2026-12-01T10:01:00Z to 2026-12-01T10:04:00Z did not need: PAL-336 (Subject can exec into, attach to or debug pods) held cluster-wide, never needed",
		}},
	} {
		fs := runLeastpriv(t, tc.id, readModel(t, filepath.Join("testdata", tc.id, "rbac.yaml")))
		var got []string
		for _, f := range fs {
			got = append(got, f.Severity.String()+" "+f.Object.Kind+" "+strings.TrimPrefix(f.Object.Namespace+"/"+f.Object.Name, "/")+" "+f.Path+": "+f.Message)
		}
		if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
			t.Errorf("%s findings:\n%s\nwant:\n%s", tc.id, strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
		}
		// Without an RBAC model there is nothing to compare the use with.
		if fs := runLeastpriv(t, tc.id, nil); len(fs) > 0 {
			t.Errorf("%s without RBAC: %d findings, want none", tc.id, len(fs))
		}
	}
}

// BenchmarkLeastpriv runs PAL-950 and PAL-951 over the fixture's events replayed
// by 1,000 service accounts, the final analysis included.
func BenchmarkLeastpriv(b *testing.B) {
	t := &testing.T{}
	model := readModel(t, filepath.Join("testdata", "PAL-950", "rbac.yaml"))
	var rs []*rules.Rule
	for _, id := range []string{"PAL-950", "PAL-951"} {
		d, _ := audit.Detection(id)
		rs = append(rs, d.Rule)
	}
	rd, err := auditlog.Open(context.Background(), []string{filepath.Join("testdata", "PAL-950", "pass.jsonl")}, auditlog.Options{})
	if err != nil {
		b.Fatal(err)
	}
	var base []*auditlog.Event
	for {
		ev, err := rd.Next()
		if err != nil {
			break
		}
		base = append(base, ev)
	}
	rd.Close()
	var evs []*auditlog.Event
	for i := 0; i < 1000; i++ {
		for _, ev := range base {
			cp := *ev
			cp.User.Username = "system:serviceaccount:shop:sa" + itoa(i)
			evs = append(evs, &cp)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e, err := audit.New(audit.Options{Rules: rs, RBAC: model})
		if err != nil {
			b.Fatal(err)
		}
		for _, ev := range evs {
			e.Process(ev)
		}
		e.Close()
	}
	b.ReportMetric(float64(b.N*len(evs))/b.Elapsed().Seconds(), "events/s")
}

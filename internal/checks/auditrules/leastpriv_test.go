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
	e, err := audit.New(audit.Options{Rules: []*rules.Rule{d.Rule}, RBAC: model, Report: func(f finding.Finding) { fs = append(fs, f) }})
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

package auditpolicy

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/audit"
	"github.com/palisade-k8s/palisade/internal/rules"
)

// testDetections are detections shaped like the registered ones (the package
// cannot import internal/checks/auditrules).
func testDetections() []audit.Registered {
	det := func(id string, needs ...audit.Need) audit.Registered {
		return audit.Registered{Rule: &rules.Rule{Meta: rules.Meta{ID: id, Title: id}}, Needs: needs}
	}
	return []audit.Registered{
		det("T-exec", audit.Need{Verbs: []string{"create", "get"}, Resources: []string{"pods/exec"}, Level: "Metadata", Stage: "ResponseComplete"}),
		det("T-binding", audit.Need{Verbs: []string{"create", "update"}, APIGroup: "rbac.authorization.k8s.io", Resources: []string{"clusterrolebindings"}, Level: "Request", Stage: "ResponseComplete"}),
		det("T-portforward", audit.Need{Verbs: []string{"create", "get"}, Resources: []string{"pods/portforward"}, Level: "Metadata", Stage: "ResponseComplete"}),
		det("T-secrets", audit.Need{Verbs: []string{"get", "list"}, Resources: []string{"secrets"}, Level: "Metadata", Stage: "ResponseComplete"}),
		det("T-anonymous", audit.Need{Users: []string{"system:anonymous"}, Level: "Metadata", Stage: "ResponseComplete"}),
	}
}

func load(t *testing.T, name string) *Policy {
	t.Helper()
	path := filepath.Join("testdata", name)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Parse(data, path)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func statuses(r *Report) map[string]Status {
	m := map[string]Status{}
	for _, c := range r.Detections {
		m[c.Rule] = c.Status
	}
	return m
}

func TestCoverage(t *testing.T) {
	r := Evaluate(load(t, "blind.yaml"), testDetections())
	want := map[string]Status{"T-exec": Blind, "T-binding": Degraded, "T-portforward": Blind, "T-secrets": Covered, "T-anonymous": Covered}
	got := statuses(r)
	for id, st := range want {
		if got[id] != st {
			t.Errorf("%s: %s, want %s", id, got[id], st)
		}
	}
	for _, c := range r.Detections {
		w := c.Worst()
		switch c.Rule {
		case "T-exec":
			if w.Decision.Rule != 0 || !strings.Contains(w.Reason, "level None") {
				t.Errorf("exec decided by %+v (%s), want rule 0 at None", w.Decision, w.Reason)
			}
		case "T-portforward":
			if w.Decision.Rule != 3 || !strings.Contains(w.Reason, "omits stage ResponseComplete") {
				t.Errorf("port-forward decided by %+v (%s), want rule 3 omitting ResponseComplete", w.Decision, w.Reason)
			}
		case "T-binding":
			if w.Decision.Rule != 2 || !strings.Contains(w.Reason, "level Metadata") {
				t.Errorf("binding decided by %+v (%s)", w.Decision, w.Reason)
			}
		}
	}
	if len(r.Blind()) != 2 {
		t.Errorf("blind: %v", r.Blind())
	}
	// Secrets at RequestResponse leak: written and read.
	var leaked []string
	for _, l := range r.Leaks {
		leaked = append(leaked, l.Resource+"@"+l.Level)
		if l.Rule != 1 && strings.HasPrefix(l.Resource, "secrets") {
			t.Errorf("secret leak decided by rule %d, want 1", l.Rule)
		}
	}
	if !strings.Contains(strings.Join(leaked, ","), "secrets@RequestResponse") {
		t.Errorf("leaks %v, want secrets at RequestResponse", leaked)
	}
}

func TestCoverageGood(t *testing.T) {
	r := Evaluate(load(t, "good.yaml"), testDetections())
	for _, c := range r.Detections {
		if c.Status != Covered {
			t.Errorf("%s: %s (%+v)", c.Rule, c.Status, c.Worst())
		}
	}
	if len(r.Leaks) != 0 {
		t.Errorf("leaks: %+v", r.Leaks)
	}
}

func TestNoPolicy(t *testing.T) {
	r := Evaluate(nil, testDetections())
	if len(r.Blind()) != len(testDetections()) {
		t.Errorf("without a policy every detection is blind: %+v", r.Detections)
	}
}

// Cluster-scoped resources are probed without a namespace: a rule for namespaced
// requests does not cover them.
func TestCoverageClusterScoped(t *testing.T) {
	p, err := Parse([]byte(`apiVersion: audit.k8s.io/v1
kind: Policy
rules:
- level: Metadata
  namespaces: ["default", "kube-system"]
`), "ns.yaml")
	if err != nil {
		t.Fatal(err)
	}
	r := Evaluate(p, testDetections())
	st := statuses(r)
	if st["T-binding"] != Blind || st["T-exec"] != Covered {
		t.Errorf("%v", st)
	}
}

// A Need of any request by a user is blind when the user's resource requests are
// dropped, though its non-resource requests are logged.
func TestCoverageAnyRequest(t *testing.T) {
	p, err := Parse([]byte(`apiVersion: audit.k8s.io/v1
kind: Policy
rules:
- level: None
  users: ["system:anonymous"]
  resources: [{group: ""}]
- level: Metadata
`), "anon.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if st := statuses(Evaluate(p, testDetections())); st["T-anonymous"] != Blind {
		t.Errorf("%v", st)
	}
}

// A rule that drops a namespace makes a detection blind there.
func TestCoverageNamespace(t *testing.T) {
	p, err := Parse([]byte(`apiVersion: audit.k8s.io/v1
kind: Policy
rules:
- level: None
  namespaces: ["kube-system"]
- level: Metadata
`), "ns.yaml")
	if err != nil {
		t.Fatal(err)
	}
	r := Evaluate(p, testDetections())
	c := r.Detections[0]
	if c.Status != Blind || !strings.Contains(c.Worst().Probe, "kube-system") {
		t.Errorf("%+v", c)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"syntax", "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n  - level: [\n", "p.yaml:"},
		{"invalid level", "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n  - level: Metadata\n  - level: Loud\n", "p.yaml:5:"},
		{"no rules", "apiVersion: audit.k8s.io/v1\nkind: Policy\n", "no rules"},
		{"wrong kind", "apiVersion: v1\nkind: ConfigMap\n", "not an audit.k8s.io/v1 Policy"},
		{"not a mapping", "- a\n- b\n", "p.yaml:1:"},
		{"too large", "#" + strings.Repeat("x", MaxPolicyBytes), "limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.in), "p.yaml")
			var pe *Error
			if !errors.As(err, &pe) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// Unknown fields: kube-apiserver decodes leniently and warns; so does Parse.
func TestParseLenient(t *testing.T) {
	p, err := Parse([]byte("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n  - level: Metadata\n    colour: red\n"), "p.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Warnings) == 0 || p.Lines[0] != 4 {
		t.Errorf("warnings %v, lines %v", p.Warnings, p.Lines)
	}
}

func TestReadManifest(t *testing.T) {
	data, err := os.ReadFile("testdata/kube-apiserver.yaml")
	if err != nil {
		t.Fatal(err)
	}
	in, err := Read(data, "kube-apiserver.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !in.Manifest || in.PolicyFile != "/etc/kubernetes/audit/policy.yaml" || in.Policy != nil {
		t.Errorf("%+v", in)
	}
	if _, err := Read([]byte("apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - command: [nginx]\n"), "p.yaml"); err == nil {
		t.Error("a Pod without kube-apiserver is accepted")
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range []string{"blind.yaml", "good.yaml", "kube-apiserver.yaml"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules: [{level: None, nonResourceURLs: ['/a*']}]\n"))
	dets := testDetections()
	f.Fuzz(func(t *testing.T, data []byte) {
		in, err := Read(data, "fuzz.yaml")
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		if in.Policy != nil {
			r := Evaluate(in.Policy, dets)
			if len(r.Detections) != len(dets) {
				t.Fatalf("%d detections judged, want %d", len(r.Detections), len(dets))
			}
		}
	})
}

func BenchmarkEvaluate(b *testing.B) {
	data, err := os.ReadFile("testdata/blind.yaml")
	if err != nil {
		b.Fatal(err)
	}
	dets := testDetections()
	b.ReportAllocs()
	for b.Loop() {
		p, err := Parse(data, "blind.yaml")
		if err != nil {
			b.Fatal(err)
		}
		Evaluate(p, dets)
	}
}

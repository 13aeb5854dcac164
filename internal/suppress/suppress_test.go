package suppress

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/palisade-k8s/palisade/internal/config"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
)

var now = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func object(kind, ns, name string, labels, annotations map[string]string) *inventory.Object {
	return &inventory.Object{
		Ref:    finding.ObjectRef{APIVersion: "v1", Kind: kind, Namespace: ns, Name: name},
		Labels: labels, Annotations: annotations,
	}
}

func findingFor(o *inventory.Object, rule, container, path string) *finding.Finding {
	f := &finding.Finding{RuleID: rule, Object: o.Ref, Container: container, Path: path, Severity: finding.High}
	f.ComputeFingerprint()
	return f
}

func TestAnnotations(t *testing.T) {
	tests := []struct {
		name        string
		annotations map[string]string
		rule        string
		want        *finding.Suppression
	}{
		{"no annotation", nil, "PAL-001", nil},
		{"single ID", map[string]string{IgnoreAnnotation: "PAL-001", IgnoreReasonAnnotation: "needs it"}, "PAL-001",
			&finding.Suppression{Kind: "annotation", Reason: "needs it"}},
		{"single ID, other rule", map[string]string{IgnoreAnnotation: "PAL-001"}, "PAL-002", nil},
		{"list, spaces and case", map[string]string{IgnoreAnnotation: "PAL-003, pal-002 ,PAL-009", IgnoreReasonAnnotation: "r"}, "PAL-002",
			&finding.Suppression{Kind: "annotation", Reason: "r"}},
		{"list, not in it", map[string]string{IgnoreAnnotation: "PAL-003,PAL-009"}, "PAL-001", nil},
		{"prefix is not a match", map[string]string{IgnoreAnnotation: "PAL-00"}, "PAL-001", nil},
		{"star", map[string]string{IgnoreAnnotation: "*", IgnoreReasonAnnotation: "test fixture"}, "PAL-027",
			&finding.Suppression{Kind: "annotation", Reason: "test fixture"}},
		{"missing reason gets a default", map[string]string{IgnoreAnnotation: "PAL-001"}, "PAL-001",
			&finding.Suppression{Kind: "annotation", Reason: "no reason given (palisade.dev/ignore-reason is not set)"}},
		{"reason alone does nothing", map[string]string{IgnoreReasonAnnotation: "why"}, "PAL-001", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := object("Pod", "default", "p", nil, tc.annotations)
			f := findingFor(o, tc.rule, "c", "spec.containers[0]")
			s := &Suppressor{Now: now}
			s.Apply(o, f)
			if !reflect.DeepEqual(f.Suppressed, tc.want) {
				t.Errorf("Suppressed = %+v, want %+v", f.Suppressed, tc.want)
			}
		})
	}
}

func TestExemptions(t *testing.T) {
	ds := object("DaemonSet", "kube-system", "cni-calico", map[string]string{"app": "cni", "tier": "node"}, nil)
	tests := []struct {
		name string
		ex   config.Exemption
		obj  *inventory.Object
		rule string
		want bool
	}{
		{"empty exemption matches all", config.Exemption{}, ds, "PAL-001", true},
		{"namespace", config.Exemption{Namespaces: []string{"kube-system"}}, ds, "PAL-001", true},
		{"namespace glob", config.Exemption{Namespaces: []string{"kube-*"}}, ds, "PAL-001", true},
		{"other namespace", config.Exemption{Namespaces: []string{"default", "monitoring"}}, ds, "PAL-001", false},
		{"kind", config.Exemption{Kinds: []string{"Deployment", "DaemonSet"}}, ds, "PAL-001", true},
		{"other kind", config.Exemption{Kinds: []string{"Deployment"}}, ds, "PAL-001", false},
		{"name glob", config.Exemption{Names: []string{"cni-*"}}, ds, "PAL-001", true},
		{"name glob miss", config.Exemption{Names: []string{"csi-*"}}, ds, "PAL-001", false},
		{"name with glob characters matches literally", config.Exemption{Names: []string{"[bad"}},
			object("Pod", "default", "[bad", nil, nil), "PAL-001", true},
		{"labels", config.Exemption{Labels: map[string]string{"app": "cni"}}, ds, "PAL-001", true},
		{"all labels must match", config.Exemption{Labels: map[string]string{"app": "cni", "tier": "web"}}, ds, "PAL-001", false},
		{"label wildcard value", config.Exemption{Labels: map[string]string{"tier": "*"}}, ds, "PAL-001", true},
		{"label missing", config.Exemption{Labels: map[string]string{"team": "*"}}, ds, "PAL-001", false},
		{"rule ID", config.Exemption{Rules: []string{"PAL-002", "PAL-001"}}, ds, "PAL-001", true},
		{"rule glob", config.Exemption{Rules: []string{"PAL-02*"}}, ds, "PAL-023", true},
		{"rule glob miss", config.Exemption{Rules: []string{"PAL-02*"}}, ds, "PAL-001", false},
		{"every field must match", config.Exemption{
			Rules: []string{"PAL-001"}, Namespaces: []string{"kube-system"}, Kinds: []string{"DaemonSet"},
			Names: []string{"cni-*"}, Labels: map[string]string{"app": "cni"},
		}, ds, "PAL-001", true},
		{"every field must match, kind differs", config.Exemption{
			Rules: []string{"PAL-001"}, Namespaces: []string{"kube-system"}, Kinds: []string{"Deployment"},
			Names: []string{"cni-*"},
		}, ds, "PAL-001", false},
		{"cluster-scoped object and namespace filter", config.Exemption{Namespaces: []string{"*"}},
			object("ClusterRole", "", "admin", nil, nil), "PAL-001", true},
		{"expired", config.Exemption{Names: []string{"cni-*"}, Expires: "2025-02-28"}, ds, "PAL-001", false},
		{"expires today still applies", config.Exemption{Names: []string{"cni-*"}, Expires: "2025-03-01"}, ds, "PAL-001", true},
		{"expires later", config.Exemption{Names: []string{"cni-*"}, Expires: "2026-01-01"}, ds, "PAL-001", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.ex.Reason = "because"
			f := findingFor(tc.obj, tc.rule, "", "")
			s := &Suppressor{Exemptions: []config.Exemption{tc.ex}, Now: now}
			s.Apply(tc.obj, f)
			if got := f.Suppressed != nil; got != tc.want {
				t.Fatalf("suppressed = %v (%+v), want %v", got, f.Suppressed, tc.want)
			}
			if tc.want {
				want := &finding.Suppression{Kind: "config", Reason: "because", Expires: tc.ex.Expires}
				if !reflect.DeepEqual(f.Suppressed, want) {
					t.Errorf("Suppressed = %+v, want %+v", f.Suppressed, want)
				}
			}
		})
	}
}

func TestFirstMatchingSourceWins(t *testing.T) {
	o := object("Pod", "default", "p", nil, map[string]string{IgnoreAnnotation: "PAL-001", IgnoreReasonAnnotation: "annotated"})
	s := &Suppressor{
		Exemptions: []config.Exemption{
			{Names: []string{"q"}, Reason: "not this one"},
			{Names: []string{"p"}, Reason: "first match"},
			{Reason: "second match"},
		},
		Now: now,
	}
	f := findingFor(o, "PAL-001", "", "")
	s.Apply(o, f)
	if f.Suppressed == nil || f.Suppressed.Kind != "annotation" {
		t.Errorf("annotation should win: %+v", f.Suppressed)
	}
	f = findingFor(o, "PAL-002", "", "")
	s.Apply(o, f)
	if f.Suppressed == nil || f.Suppressed.Reason != "first match" {
		t.Errorf("first matching exemption should win: %+v", f.Suppressed)
	}
}

func TestBaselineRoundTrip(t *testing.T) {
	a := object("Deployment", "shop", "web", nil, nil)
	b := object("Pod", "default", "debug", nil, map[string]string{IgnoreAnnotation: "*"})
	fs := []finding.Finding{
		*findingFor(a, "PAL-001", "app", "spec.template.spec.containers[0].securityContext.privileged"),
		*findingFor(a, "PAL-003", "app", "spec.template.spec.containers[0].securityContext"),
		*findingFor(a, "PAL-003", "sidecar", "spec.template.spec.containers[1].securityContext"),
		*findingFor(b, "PAL-001", "c", "spec.containers[0].securityContext.privileged"),
	}
	// The same finding twice (e.g. two documents with the same object) is one entry.
	fs = append(fs, fs[0])
	pre := &Suppressor{Now: now}
	pre.Apply(b, &fs[3])
	if fs[3].Suppressed == nil {
		t.Fatal("annotation did not apply")
	}
	bl := NewBaseline(fs)
	if bl.Version != 1 || len(bl.Entries) != 3 {
		t.Fatalf("baseline = %+v; want 3 entries (annotated finding left out, duplicate folded)", bl)
	}
	for _, e := range bl.Entries {
		if e.Fingerprint == fs[3].Fingerprint {
			t.Errorf("annotation-suppressed finding recorded in baseline")
		}
		if e.Object != "Deployment/shop/web" || e.RuleID == "" || e.Path == "" {
			t.Errorf("entry lacks context: %+v", e)
		}
	}
	file := filepath.Join(t.TempDir(), "baseline.json")
	if err := bl.Write(file); err != nil {
		t.Fatal(err)
	}
	loaded, err := LoadBaseline(file)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(loaded.Entries, bl.Entries) {
		t.Errorf("entries changed in the round trip:\n got  %+v\n want %+v", loaded.Entries, bl.Entries)
	}
	s := &Suppressor{Baseline: loaded, Now: now}
	for i := range 3 {
		f := findingFor(a, fs[i].RuleID, fs[i].Container, fs[i].Path)
		s.Apply(a, f)
		want := &finding.Suppression{Kind: "baseline", Reason: "accepted in baseline"}
		if !reflect.DeepEqual(f.Suppressed, want) {
			t.Errorf("finding %d: Suppressed = %+v, want %+v", i, f.Suppressed, want)
		}
	}
	// A new finding (other container) and the same rule on a renamed object surface.
	for _, f := range []*finding.Finding{
		findingFor(a, "PAL-001", "sidecar", "spec.template.spec.containers[1].securityContext.privileged"),
		findingFor(object("Deployment", "shop", "web2", nil, nil), "PAL-001", "app", fs[0].Path),
	} {
		s.Apply(a, f)
		if f.Suppressed != nil {
			t.Errorf("new finding %s/%s hidden by the baseline", f.Object, f.Container)
		}
	}
	// Writing a baseline from baseline-suppressed findings keeps them.
	again := []finding.Finding{*findingFor(a, fs[0].RuleID, fs[0].Container, fs[0].Path)}
	s.Apply(a, &again[0])
	if got := NewBaseline(again); len(got.Entries) != 1 {
		t.Errorf("re-baselining dropped a baseline-suppressed finding: %+v", got)
	}
}

func TestBaselineExpiry(t *testing.T) {
	bl, err := LoadBaseline(filepath.Join("testdata", "expiring.json"))
	if err != nil {
		t.Fatal(err)
	}
	s := &Suppressor{Baseline: bl, Now: now}
	tests := []struct {
		fp   string
		want *finding.Suppression
	}{
		{"fp-expired", nil},
		{"fp-today", &finding.Suppression{Kind: "baseline", Reason: "accepted in baseline", Expires: "2025-03-01"}},
		{"fp-forever", &finding.Suppression{Kind: "baseline", Reason: "accepted risk"}},
		{"fp-unknown", nil},
	}
	o := object("Pod", "default", "a", nil, nil)
	for _, tc := range tests {
		f := &finding.Finding{RuleID: "PAL-001", Object: o.Ref, Fingerprint: tc.fp}
		s.Apply(o, f)
		if !reflect.DeepEqual(f.Suppressed, tc.want) {
			t.Errorf("%s: Suppressed = %+v, want %+v", tc.fp, f.Suppressed, tc.want)
		}
	}
	// The day after, the entry that expired "today" resurfaces too.
	s.Now = now.Add(24 * time.Hour)
	f := &finding.Finding{RuleID: "PAL-001", Object: o.Ref, Fingerprint: "fp-today"}
	s.Apply(o, f)
	if f.Suppressed != nil {
		t.Errorf("expired baseline entry still hides the finding: %+v", f.Suppressed)
	}
}

func TestLoadBaselineErrors(t *testing.T) {
	tests := []struct {
		file string
		want string
	}{
		{"bad-json.json", "baseline"},
		{"bad-version.json", "unsupported version 2"},
		{"no-fingerprint.json", "entry 0 has no fingerprint"},
		{"bad-expires.json", `expires "next week"`},
		{"does-not-exist.json", "baseline"},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			b, err := LoadBaseline(filepath.Join("testdata", tc.file))
			if err == nil {
				t.Fatalf("no error; baseline %+v", b)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
		})
	}
}

func TestWriteBaselineFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "b.json")
	if err := NewBaseline(nil).Write(file); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if want := "{\n  \"version\": 1,\n  \"entries\": []\n}\n"; string(data) != want {
		t.Errorf("empty baseline file = %q, want %q", data, want)
	}
	if _, err := LoadBaseline(file); err != nil {
		t.Errorf("empty baseline does not load: %v", err)
	}
}

// An exemption with users matches audit findings by their actor or impersonator,
// and no other finding.
func TestExemptionUsers(t *testing.T) {
	pod := object("Pod", "default", "web", nil, nil)
	audit := func(actor, impersonator string) *finding.Finding {
		f := findingFor(pod, "PAL-901", "", "")
		f.Audit = &finding.AuditEvidence{Actor: finding.AuditActor{User: actor}}
		if impersonator != "" {
			f.Audit.Impersonator = &finding.AuditActor{User: impersonator}
		}
		return f
	}
	ex := config.Exemption{Users: []string{"system:serviceaccount:ci:*", "alice"}, Reason: "CI deploys"}
	for _, tc := range []struct {
		name string
		f    *finding.Finding
		want bool
	}{
		{"actor", audit("system:serviceaccount:ci:deployer", ""), true},
		{"actor by name", audit("alice", ""), true},
		{"other actor", audit("bob", ""), false},
		{"impersonator", audit("system:serviceaccount:kube-system:admin", "alice"), true},
		{"not an audit finding", findingFor(pod, "PAL-001", "", ""), false},
	} {
		s := &Suppressor{Exemptions: []config.Exemption{ex}, Now: now}
		s.Apply(pod, tc.f)
		if got := tc.f.Suppressed != nil; got != tc.want {
			t.Errorf("%s: suppressed %v, want %v", tc.name, got, tc.want)
		}
	}
}

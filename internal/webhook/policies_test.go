package webhook

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/admission"
)

const policyYAML = `# a policy, its binding and its parameter
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: replicas}
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules:
    - {apiGroups: [apps], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [deployments]}
  validations:
  - expression: "object.spec.replicas <= 5"
    message: at most 5 replicas
---
---
apiVersion: v1
kind: List
items:
- apiVersion: admissionregistration.k8s.io/v1
  kind: ValidatingAdmissionPolicyBinding
  metadata: {name: replicas-b}
  spec: {policyName: replicas, validationActions: [Deny]}
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: limits, namespace: default}
  data: {max: "5"}
`

// TestParsePolicyFile: documents and List items become objects with their lines;
// integers are int64, as the API server decodes them.
func TestParsePolicyFile(t *testing.T) {
	var docs []policyDoc
	if err := parsePolicyFile("p.yaml", []byte(policyYAML), admission.DefaultLimits, &docs); err != nil {
		t.Fatal(err)
	}
	if len(docs) != 3 {
		t.Fatalf("%d objects, want 3", len(docs))
	}
	for i, want := range []struct {
		kind string
		line int
	}{{"ValidatingAdmissionPolicy", 2}, {"ValidatingAdmissionPolicyBinding", 18}, {"ConfigMap", 22}} {
		if docs[i].obj["kind"] != want.kind || docs[i].src.Line != want.line || docs[i].src.File != "p.yaml" {
			t.Errorf("object %d: %v at %+v, want %s at line %d", i, docs[i].obj["kind"], docs[i].src, want.kind, want.line)
		}
	}
	js := []byte(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"n","generation":3}}`)
	docs = nil
	if err := parsePolicyFile("p.json", js, admission.DefaultLimits, &docs); err != nil || len(docs) != 1 {
		t.Fatalf("JSON: %v %d", err, len(docs))
	}
	if g := docs[0].obj["metadata"].(map[string]any)["generation"]; g != int64(3) {
		t.Errorf("generation %T %v, want int64", g, g)
	}
}

// TestParsePolicyFileErrors: what does not decode is an error naming the file and
// line; bounds hold.
func TestParsePolicyFileErrors(t *testing.T) {
	small := admission.Limits{MaxReviewBytes: 200, MaxValues: 20}
	for _, c := range []struct{ name, data, want string }{
		{"scalar", "apiVersion: v1\nkind: ConfigMap\n---\njust a string\n", "f.yaml:4: not an object"},
		{"syntax", "a: [1, 2\n", "f.yaml: yaml: line 1"},
		{"list", "- 1\n- 2\n", "f.yaml:1: not an object"},
		{"keys", "apiVersion: v1\n? [a]\n: b\n", "f.yaml:1: "},
		{"items", "apiVersion: v1\nkind: List\nitems: [3]\n", "item 0 of the List is not an object"},
		{"bytes", "a: " + strings.Repeat("x", 300) + "\n", "at most 200"},
		{"values", "a: [" + strings.Repeat("1,", 30) + "1]\n", "JSON values: at most 20"},
		{"aliases", "a: &a [1,1,1,1,1,1,1,1,1,1]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\n", "f.yaml:1:"},
	} {
		var docs []policyDoc
		err := parsePolicyFile("f.yaml", []byte(c.data), small, &docs)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
	}
}

// TestReadPolicies: files and directories (recursively, hidden ones skipped, only
// YAML and JSON); the digest follows the contents; bounds hold.
func TestReadPolicies(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) {
		t.Helper()
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n")
	write("sub/b.json", `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"b"}}`)
	write(".hidden/c.yaml", "not: read\n")
	write("notes.txt", "not read")
	pf, err := readPolicies([]string{dir}, admission.DefaultLimits)
	if err != nil || len(pf.docs) != 2 {
		t.Fatalf("read %v, %v", pf, err)
	}
	again, _ := readPolicies([]string{dir}, admission.DefaultLimits)
	write("a.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a2}\n")
	changed, _ := readPolicies([]string{dir}, admission.DefaultLimits)
	if pf.digest != again.digest || pf.digest == changed.digest {
		t.Errorf("digests %s %s %s", pf.digest, again.digest, changed.digest)
	}
	if _, err := readPolicies([]string{filepath.Join(dir, "missing.yaml")}, admission.DefaultLimits); err == nil {
		t.Error("missing file: no error")
	}
	write("big.yaml", "a: "+strings.Repeat("x", maxPolicyFileBytes))
	if _, err := readPolicies([]string{filepath.Join(dir, "big.yaml")}, admission.DefaultLimits); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("big file: %v", err)
	}
}

// FuzzPolicyFile: the reader never panics, and every object it returns is a JSON
// object with a source.
func FuzzPolicyFile(f *testing.F) {
	f.Add([]byte(policyYAML))
	f.Add([]byte(`{"apiVersion":"v1","kind":"List","items":[{"a":1}]}`))
	f.Add([]byte("a: &a [1]\nb: [*a, *a]\n---\n- x\n"))
	f.Add([]byte("kind: FooList\nitems: {}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var docs []policyDoc
		_ = parsePolicyFile("f.yaml", data, admission.Limits{MaxReviewBytes: 1 << 16, MaxValues: 4096}, &docs)
		for _, d := range docs {
			if d.obj == nil || d.src.File != "f.yaml" || d.src.Line < 1 {
				t.Fatalf("object %+v", d)
			}
		}
	})
}

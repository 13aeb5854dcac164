package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAuditCoverage(t *testing.T) {
	dir := t.TempDir()
	blind := filepath.Join(dir, "policy.yaml")
	os.WriteFile(blind, []byte(`apiVersion: audit.k8s.io/v1
kind: Policy
rules:
  - level: None
    resources:
      - group: ""
        resources: ["pods/exec"]
  - level: RequestResponse
    resources:
      - group: ""
        resources: ["secrets"]
  - level: Metadata
`), 0o644)
	good := filepath.Join(dir, "good.yaml")
	os.WriteFile(good, []byte("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n  - level: Metadata\n"), 0o644)
	manifest := filepath.Join(dir, "kube-apiserver.yaml")
	os.WriteFile(manifest, []byte(`apiVersion: v1
kind: Pod
metadata: {name: kube-apiserver, namespace: kube-system}
spec:
  containers:
  - name: kube-apiserver
    command: [kube-apiserver, --audit-policy-file=/etc/kubernetes/audit.yaml]
`), 0o644)
	bare := filepath.Join(dir, "bare.yaml")
	os.WriteFile(bare, []byte("apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - command: [kube-apiserver, --secure-port=6443]\n"), 0o644)
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n  - level: Loud\n"), 0o644)

	run := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := Main(append([]string{"audit", "coverage"}, args...), strings.NewReader(""), &out, &errb)
		return code, out.String(), errb.String()
	}
	code, out, _ := run(blind)
	if code != ExitFindings || !strings.Contains(out, "PAL-901") || !strings.Contains(out, "blind") ||
		!strings.Contains(out, "rule 0 (line 4)") || !strings.Contains(out, "secrets (Secret data written; Secret data read) at level RequestResponse by rule 1") {
		t.Errorf("blind policy: exit %d\n%s", code, out)
	}
	if code, out, _ = run(good); code != ExitOK || !strings.Contains(out, "covered") {
		t.Errorf("good policy: exit %d\n%s", code, out)
	}
	if code, out, _ = run(manifest); code != ExitOK || !strings.Contains(out, "/etc/kubernetes/audit.yaml") {
		t.Errorf("manifest: exit %d\n%s", code, out)
	}
	// --read-policy reads the file the manifest names, relative to the manifest.
	rel := filepath.Join(dir, "rel.yaml")
	os.WriteFile(rel, []byte("apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - command: [kube-apiserver, --audit-policy-file=policy.yaml]\n"), 0o644)
	if code, out, _ = run("--read-policy", rel); code != ExitFindings || !strings.Contains(out, "reads its audit policy from policy.yaml") || !strings.Contains(out, "PAL-901") {
		t.Errorf("--read-policy: exit %d\n%s", code, out)
	}
	if code, _, _ = run("--read-policy", manifest); code != ExitInputErrors {
		t.Errorf("--read-policy with a missing file: exit %d", code)
	}
	if code, out, _ = run(bare); code != ExitFindings || !strings.Contains(out, "logs nothing") {
		t.Errorf("manifest without a policy: exit %d\n%s", code, out)
	}
	code, _, errs := run(bad)
	if code != ExitInputErrors || !strings.Contains(errs, "bad.yaml:4:") {
		t.Errorf("invalid policy: exit %d, %s", code, errs)
	}
	code, out, _ = run("-o", "json", blind)
	var doc struct {
		Policies []struct {
			Coverage struct {
				Detections []struct{ Rule, Status string }
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || code != ExitFindings || len(doc.Policies) != 1 {
		t.Fatalf("json: exit %d, %v\n%s", code, err, out)
	}
	found := false
	for _, d := range doc.Policies[0].Coverage.Detections {
		found = found || d.Rule == "PAL-901" && d.Status == "blind"
	}
	if !found {
		t.Errorf("json: %s", out)
	}
}

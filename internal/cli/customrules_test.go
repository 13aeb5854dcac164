package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/palisade-k8s/palisade/internal/kubetest"
)

// acmeConfig is the custom rule of issue 18, with a Pod-only match (object.spec.containers
// is a Pod's field) and a second rule on every pod template.
const acmeConfig = `customRules:
- id: ACME-001
  title: Images come from the ACME registry
  severity: high
  match: {kinds: [Pod]}
  expression: "object.spec.containers.all(c, c.image.startsWith('registry.acme.io/'))"
  messageExpression: "'image from outside the ACME registry'"
  frameworks: {cis-1.12: [5.5.1]}
  rationale: Only images the ACME registry scanned and signed may run.
  remediation: Push the image to registry.acme.io and reference it from there.
- id: ACME-002
  title: Pod templates carry a team label
  severity: medium
  match: {workloads: true}
  expression: "has(podMetadata.labels) && 'team' in podMetadata.labels"
  message: pod template without a team label
  frameworks: {pss: [baseline], layer: [container]}
  rationale: Every workload has an owner to call.
  remediation: Add a team label to the pod template.
`

const acmePods = `apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: shop
  labels: {team: web}
spec:
  containers:
  - name: web
    image: docker.io/nginx:1.27
---
apiVersion: v1
kind: Pod
metadata:
  name: api
  namespace: shop
  labels: {team: api}
spec:
  containers:
  - name: api
    image: registry.acme.io/api:1
`

// customDir writes a directory with .palisade.yaml and pods.yaml and makes it the
// working directory, so that the configuration is discovered.
func customDir(t *testing.T, cfg, pods string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ".palisade.yaml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "pods.yaml"), []byte(pods), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	return dir
}

func runHere(args ...string) result {
	var out, errb bytes.Buffer
	code := Main(args, strings.NewReader(""), &out, &errb)
	return result{code, out.String(), errb.String()}
}

func TestCustomRulesScan(t *testing.T) {
	customDir(t, acmeConfig, acmePods)
	only := "--include=ACME-*"

	// Text: the finding at its object's line, the exit code of a high finding.
	r := runHere("scan", only, "pods.yaml")
	if r.code != ExitFindings || !strings.Contains(r.stdout, "ACME-001") || !strings.Contains(r.stdout, "image from outside the ACME registry") || !strings.Contains(r.stdout, "pods.yaml:1") {
		t.Fatalf("text: %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if strings.Count(r.stdout, "ACME-001") != 1 || strings.Contains(r.stdout, "ACME-002") {
		t.Errorf("text: one ACME-001 finding (web), none of ACME-002 (both pods are labelled):\n%s", r.stdout)
	}

	// JSON.
	r = runHere("scan", only, "-o", "json", "pods.yaml")
	var rep jsonReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("json: %v\n%s", err, r.stdout)
	}
	if len(rep.Findings) != 1 || rep.Findings[0].RuleID != "ACME-001" || rep.Findings[0].Location.Line != 1 || rep.Summary.BySeverity["high"] != 1 {
		t.Errorf("json: %+v", rep)
	}

	// SARIF: the rule's descriptor carries its metadata.
	r = runHere("scan", only, "-o", "sarif", "pods.yaml")
	var sarif struct {
		Runs []struct {
			Tool struct {
				Driver struct {
					Rules []struct {
						ID               string `json:"id"`
						ShortDescription struct {
							Text string `json:"text"`
						} `json:"shortDescription"`
						FullDescription struct {
							Text string `json:"text"`
						} `json:"fullDescription"`
						Help struct {
							Text string `json:"text"`
						} `json:"help"`
						Properties map[string]any `json:"properties"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleID  string `json:"ruleId"`
				Message struct {
					Text string `json:"text"`
				} `json:"message"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &sarif); err != nil {
		t.Fatalf("sarif: %v", err)
	}
	found := false
	for _, d := range sarif.Runs[0].Tool.Driver.Rules {
		if d.ID == "ACME-001" {
			found = d.ShortDescription.Text == "Images come from the ACME registry" &&
				strings.Contains(d.FullDescription.Text+d.Help.Text, "registry.acme.io") &&
				strings.Contains(string(mustJSON(t, d.Properties)), "cis:5.5.1")
			if !found {
				t.Errorf("sarif descriptor: %+v", d)
			}
		}
	}
	if !found || len(sarif.Runs[0].Results) != 1 || sarif.Runs[0].Results[0].RuleID != "ACME-001" {
		t.Errorf("sarif: %s", r.stdout)
	}

	// JUnit names the rule too.
	if r = runHere("scan", only, "-o", "junit", "pods.yaml"); !strings.Contains(r.stdout, "ACME-001") {
		t.Errorf("junit: %s", r.stdout)
	}

	// The gate follows the rule's severity, and the configuration can change it.
	if r = runHere("scan", only, "--fail-on", "critical", "pods.yaml"); r.code != ExitOK {
		t.Errorf("--fail-on critical: %d", r.code)
	}
	os.WriteFile(".palisade.yaml", []byte(acmeConfig+"rules:\n  ACME-001: {severity: low}\n"), 0o644)
	if r = runHere("scan", only, "pods.yaml"); r.code != ExitOK || !strings.Contains(r.stdout, "ACME-001") {
		t.Errorf("severity low: %d\n%s", r.code, r.stdout)
	}
	os.WriteFile(".palisade.yaml", []byte(acmeConfig), 0o644)

	// Excluded by pattern.
	if r = runHere("scan", only, "--exclude", "acme-001", "pods.yaml"); r.code != ExitOK || strings.Contains(r.stdout, "ACME-001") {
		t.Errorf("--exclude: %d\n%s", r.code, r.stdout)
	}

	// Baselines: the finding recorded, then hidden.
	if r = runHere("scan", only, "--write-baseline", "base.json", "pods.yaml"); r.code != ExitFindings {
		t.Fatalf("write baseline: %d %s", r.code, r.stderr)
	}
	if r = runHere("scan", only, "--baseline", "base.json", "pods.yaml"); r.code != ExitOK {
		t.Errorf("baseline: %d\n%s", r.code, r.stdout)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCustomRulesSuppressed(t *testing.T) {
	annotated := strings.Replace(acmePods, "  labels: {team: web}\n", "  labels: {team: web}\n  annotations: {palisade.dev/ignore: ACME-001, palisade.dev/ignore-reason: migrating}\n", 1)
	customDir(t, acmeConfig, annotated)
	if r := runHere("scan", "--include=ACME-*", "-o", "json", "pods.yaml"); r.code != ExitOK || !strings.Contains(r.stdout, `"suppressed": 1`) {
		t.Errorf("annotation: %d\n%s", r.code, r.stdout)
	}
	customDir(t, acmeConfig+"exemptions:\n- rules: [ACME-*]\n  names: [web]\n  reason: Moving to the ACME registry, TICKET-1.\n", acmePods)
	if r := runHere("scan", "--include=ACME-*", "-o", "json", "pods.yaml"); r.code != ExitOK || !strings.Contains(r.stdout, `"suppressed": 1`) {
		t.Errorf("exemption: %d\n%s", r.code, r.stdout)
	}
}

func TestCustomRulesCatalog(t *testing.T) {
	customDir(t, acmeConfig, acmePods)
	r := runHere("rules")
	if r.code != ExitOK || !strings.Contains(r.stdout, "ACME-001") || !strings.Contains(r.stdout, "Pod templates carry a team label") {
		t.Errorf("rules: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = runHere("explain", "acme-001")
	for _, want := range []string{"ACME-001", "Images come from the ACME registry", "Only images the ACME registry scanned", "Push the image to registry.acme.io", "5.5.1",
		"/.palisade.yaml:2 (customRules)", "Match: kinds Pod\n", "Expression: object.spec.containers.all(c, c.image.startsWith('registry.acme.io/'))\n", "Message expression: 'image from outside the ACME registry'\n"} {
		if r.code != ExitOK || !strings.Contains(r.stdout, want) {
			t.Errorf("explain: %d, missing %q\n%s%s", r.code, want, r.stdout, r.stderr)
		}
	}
	// --config names the file from anywhere.
	cfg, _ := filepath.Abs(".palisade.yaml")
	t.Chdir(t.TempDir())
	if r = runHere("explain", "--config", cfg, "ACME-002"); r.code != ExitOK || !strings.Contains(r.stdout, "Pod templates carry a team label") ||
		!strings.Contains(r.stdout, "- Pod Security Standards baseline\n- 4C layer: container\n") || !strings.Contains(r.stdout, "Match: every pod template") {
		t.Errorf("explain --config: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r = runHere("explain", "ACME-002"); r.code == ExitOK {
		t.Error("explain without the configuration knows ACME-002")
	}
	if r = runHere("rules", "--config", cfg, "--framework", "cis-1.12"); !strings.Contains(r.stdout, "ACME-001") {
		t.Errorf("rules --framework: %s", r.stdout)
	}
}

func TestCustomRulesFramework(t *testing.T) {
	customDir(t, acmeConfig, acmePods)
	r := runHere("scan", "--framework", "cis-1.12", "pods.yaml")
	// The control's line lists the custom rule and fails.
	var line string
	for l := range strings.Lines(r.stdout) {
		if strings.Contains(l, "5.5.1") {
			line += l
		}
	}
	if r.code != ExitFindings || !strings.Contains(r.stdout, "ACME-001") || !strings.Contains(strings.ToLower(line), "fail") {
		t.Errorf("--framework cis-1.12: %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
}

func TestCustomRulesBadExpression(t *testing.T) {
	bad := strings.Replace(acmeConfig, `c.image.startsWith('registry.acme.io/'))"`, `c.image.startsWith('registry.acme.io/')"`, 1)
	dir := customDir(t, bad, acmePods)
	for _, args := range [][]string{{"scan", "pods.yaml"}, {"rules"}, {"explain", "ACME-001"}} {
		r := runHere(args...)
		want := filepath.Join(dir, ".palisade.yaml") + ": line 6: customRules[ACME-001]: expression: "
		if r.code != ExitUsage || !strings.Contains(r.stderr, want) || !strings.Contains(r.stderr, "Syntax error") {
			t.Errorf("%v: %d\n%s\nwant %s", args, r.code, r.stderr, want)
		}
	}
}

// TestCustomRulesCluster: palisade cluster runs the custom rules on what it lists,
// and a kind it does not list is a coverage gap, not a pass.
func TestCustomRulesCluster(t *testing.T) {
	c := kubetest.Shared(t)
	ctx := context.Background()
	ns := c.Namespace(t, nil)
	if err := c.EnsureDefaultServiceAccount(ctx, ns); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Client().CoreV1().Pods(ns).Create(ctx, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Labels: map[string]string{"team": "web"}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "docker.io/nginx:1.27"}}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	kubeconfig := writeKubeconfig(t, c.Config())
	customDir(t, acmeConfig, "")
	code, out, errb := runCluster(t, "--kubeconfig", kubeconfig, "-n", ns, "--include=ACME-*", "-o", "json")
	var rep jsonReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%d %v\n%s\n%s", code, err, out, errb)
	}
	if code != ExitFindings || len(rep.Findings) != 1 || rep.Findings[0].RuleID != "ACME-001" {
		t.Errorf("cluster: %d\n%s\n%s", code, out, errb)
	}
	// A rule on a kind palisade does not list from a cluster.
	os.WriteFile(".palisade.yaml", []byte(acmeConfig+`- id: ACME-003
  title: t
  severity: low
  match: {kinds: [PodDisruptionBudget]}
  expression: "true"
  rationale: r
  remediation: m
`), 0o644)
	code, out, errb = runCluster(t, "--kubeconfig", kubeconfig, "-n", ns, "--include=ACME-*")
	if code != 3 || !strings.Contains(out+errb, "PodDisruptionBudget") {
		t.Errorf("unlisted kind: %d\n%s\n%s", code, out, errb)
	}
}

package admission

import (
	"context"
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
)

const acmeRule = `customRules:
- id: ACME-001
  title: Images come from the ACME registry
  severity: high
  match: {kinds: [Pod]}
  expression: "object.spec.containers.all(c, c.image.startsWith('registry.acme.io/'))"
  messageExpression: "'image from outside the ACME registry: ' + object.spec.containers.map(c, c.image).join(', ')"
  rationale: Only images the ACME registry scanned may run.
  remediation: Push the image to registry.acme.io.
- id: ACME-002
  title: Pod templates carry a team label
  severity: medium
  match: {workloads: true}
  expression: "has(podMetadata.labels) && 'team' in podMetadata.labels"
  rationale: Every workload has an owner.
  remediation: Add a team label.
webhook:
  actions:
    rules: {ACME-002: warn}
`

// TestCustomRuleDenies: the configuration's custom rules run at admission, with
// their severity's action (or the configured one).
func TestCustomRuleDenies(t *testing.T) {
	e := evaluator(t, acmeRule)
	if e.Action("ACME-001") == "" || e.Action("ACME-002") == "" {
		t.Fatalf("custom rules do not run at admission: %v", e.Rules())
	}
	d := e.Review(context.Background(), request(t, admissionv1.Create, hardenedPod, "alice"), newCluster())
	if d.Err != nil || d.Allowed {
		t.Fatalf("decision %+v, want denied", d)
	}
	for _, want := range []string{"ACME-001 (high)", "image from outside the ACME registry: registry.example.com/app:1.0@sha256:"} {
		if !strings.Contains(d.Message, want) {
			t.Errorf("message lacks %q:\n%s", want, d.Message)
		}
	}
	if len(d.Warnings) == 0 || !strings.Contains(strings.Join(d.Warnings, "\n"), "ACME-002") {
		t.Errorf("warnings %q, want ACME-002", d.Warnings)
	}
	acme := strings.ReplaceAll(hardenedPod, "registry.example.com/app:1.0@sha256:0123456789012345678901234567890123456789012345678901234567890123", "registry.acme.io/app:1")
	acme = strings.Replace(acme, "metadata: {name: ok, namespace: team}", "metadata: {name: ok, namespace: team, labels: {team: a}}", 1)
	if d := e.Review(context.Background(), request(t, admissionv1.Create, acme, "alice"), newCluster()); !d.Allowed || strings.Contains(d.Message, "ACME") {
		t.Errorf("ACME pod: %+v", d)
	}
}

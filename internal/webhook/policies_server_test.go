package webhook

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// namespaces is a Cluster whose namespaces policies can read.
type namespaces struct{}

func (namespaces) NamespaceLabels(context.Context, string) (map[string]string, bool, error) {
	return map[string]string{"env": "prod"}, true, nil
}

func (namespaces) Pod(context.Context, string, string) (*corev1.Pod, error) {
	return nil, apierrors.NewNotFound(schema.GroupResource{Resource: "pods"}, "x")
}

func (namespaces) Namespace(_ context.Context, name string) (*corev1.Namespace, error) {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"env": "prod"}}}, nil
}

// vapPolicy is a policy on pods and its binding.
func vapPolicy(name, expression, message, action string) string {
	return `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: ` + name + `}
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules:
    - {apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}
    namespaceSelector: {matchLabels: {env: prod}}
  validations:
  - expression: "` + expression + `"
    message: ` + message + `
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: ` + name + `-b}
spec: {policyName: ` + name + `, validationActions: [` + action + `]}
`
}

// TestServerPolicies: the configuration's policies and --policy are applied at
// /validate with the API server's message, their authorizer checks are
// SubjectAccessReviews (cached), their findings are counted and logged; a reload
// with a broken policy keeps the generation in force, a valid change replaces it.
func TestServerPolicies(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.Mkdir(filepath.Join(dir, "policies"), 0o755)
	write(".palisade.yaml", "policies: [policies]\nwebhook: {actions: {rules: {PAL-0*: warn, PAL-1*: warn}}}\n")
	write("policies/team.yaml", vapPolicy("team", "has(object.metadata.labels) && 'team' in object.metadata.labels", "pods need a team label", "Deny"))
	flagFile := filepath.Join(dir, "deployers.yaml")
	write("deployers.yaml", vapPolicy("deployers", "authorizer.group('apps').resource('deployments').namespace(object.metadata.namespace).check('create').allowed()", "only deployers create pods", "Deny"))

	srv, reviews, _ := sarServer(t)
	client, err := kubernetes.NewForConfig(&rest.Config{Host: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	authz, err := NewSARAuthorizer(client, 0)
	if err != nil {
		t.Fatal(err)
	}
	ts := start(t, Options{ConfigPath: filepath.Join(dir, ".palisade.yaml"), Policies: []string{flagFile}, Cluster: namespaces{}, Authorizer: authz})
	respond := func() *admissionv1.AdmissionResponse {
		t.Helper()
		resp, body := ts.post(t, "/validate", privilegedReview)
		var rev admissionv1.AdmissionReview
		if err := json.Unmarshal(body, &rev); err != nil || rev.Response == nil {
			t.Fatalf("status %d: %s", resp.StatusCode, body)
		}
		return rev.Response
	}
	r := respond()
	want := `pods "web" is forbidden: ValidatingAdmissionPolicy 'team' with binding 'team-b' denied request: pods need a team label`
	if r.Allowed || r.Result == nil || r.Result.Message != want || r.Result.Code != 422 {
		t.Fatalf("response %+v, want %q", r.Result, want)
	}
	respond()
	if n := reviews.Load(); n != 1 {
		t.Errorf("%d SubjectAccessReviews for two reviews of alice, want 1 (cached)", n)
	}
	_, m := ts.get(t, "/metrics")
	for _, w := range []string{
		`palisade_webhook_policies{what="policies"} 2`,
		`palisade_webhook_policy_findings_total{action="deny",policy="team",rule="PAL-800"} 2`,
		`palisade_webhook_policy_evaluations_total{decision="denied",endpoint="validate"} 2`,
		`palisade_webhook_policy_evaluation_duration_seconds_count 2`,
	} {
		if !strings.Contains(m, w) {
			t.Errorf("metrics lack %s:\n%s", w, grep(m, "polic"))
		}
	}
	if l := ts.log.String(); !strings.Contains(l, `"policies":[{`) || !strings.Contains(l, `"policy":"team"`) || !strings.Contains(l, `"rules":["PAL-001:warn`) {
		t.Errorf("decision log: %s", l)
	}

	// A broken policy file: rejected, the generation in force stays.
	before := ts.Evaluator()
	write("policies/team.yaml", "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicy\nmetadata: {name: [\n")
	ts.Reload()
	if ts.Evaluator() != before || respond().Allowed {
		t.Error("a broken policy file replaced the policies in force")
	}
	write("policies/team.yaml", vapPolicy("team", "object.metadata.labels[", "x", "Deny"))
	ts.Reload()
	if ts.Evaluator() != before {
		t.Error("a policy that does not compile replaced the policies in force")
	}
	if l := ts.log.String(); !strings.Contains(l, "team.yaml") || !strings.Contains(l, `"what":"policies"`) {
		t.Errorf("rejections not logged with their file: %s", l)
	}
	_, m = ts.get(t, "/metrics")
	if !strings.Contains(m, `palisade_webhook_reloads_total{result="rejected",what="policies"} 2`) {
		t.Errorf("reloads:\n%s", grep(m, "reload"))
	}
	// A valid change, in a file the configuration did not change: applied.
	write("policies/team.yaml", vapPolicy("team", "has(object.metadata.labels) && 'team' in object.metadata.labels", "pods should have a team label", "Warn"))
	ts.Reload()
	r = respond()
	if ts.Evaluator() == before || !r.Allowed || len(r.Warnings) == 0 || r.Warnings[0] != "Validation failed for ValidatingAdmissionPolicy 'team' with binding 'team-b': pods should have a team label" {
		t.Errorf("changed policy: allowed %v warnings %q", r.Allowed, r.Warnings)
	}
}

// TestServerBrokenPolicyAtStart: a policy that does not load stops the server from
// starting, with its file named.
func TestServerBrokenPolicyAtStart(t *testing.T) {
	f := filepath.Join(t.TempDir(), "p.yaml")
	os.WriteFile(f, []byte("apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicy\nmetadata: {name: p}\nspec: {validations: [{expression: 'true'}], bogus: 1}\n"), 0o644)
	_, err := New(Options{Policies: []string{f}, ParseConfig: parseConfig})
	if err == nil || !strings.Contains(err.Error(), "p.yaml") {
		t.Fatalf("error %v, want one naming p.yaml", err)
	}
}

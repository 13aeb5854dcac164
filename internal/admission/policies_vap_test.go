package admission

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"sigs.k8s.io/yaml"

	"github.com/palisade-k8s/palisade/internal/config"
	"github.com/palisade-k8s/palisade/internal/vap"
)

// compilePolicies compiles a YAML stream of policies and bindings.
func compilePolicies(t testing.TB, docs string) *vap.Set {
	t.Helper()
	b := vap.Bundle{Sources: map[any]vap.Source{}}
	for i, d := range strings.Split(docs, "\n---\n") {
		var obj map[string]any
		if err := yaml.Unmarshal([]byte(d), &obj); err != nil {
			t.Fatal(err)
		}
		if obj == nil {
			continue
		}
		if err := b.Add(obj, vap.Source{File: "policies.yaml", Line: i + 1}); err != nil {
			t.Fatal(err)
		}
	}
	set, errs := vap.Compile(b, vap.Options{})
	errs = append(errs, set.Problems()...)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	return set
}

// policy is a ValidatingAdmissionPolicy on pods and its binding with actions.
func policy(name, expression, message string, actions ...string) string {
	return `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: ` + name + `}
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules:
    - {apiGroups: [""], apiVersions: [v1], operations: [CREATE, UPDATE, DELETE], resources: [pods]}
  validations:
  - expression: "` + expression + `"
    message: "` + message + `"
  auditAnnotations:
  - {key: user, valueExpression: "request.userInfo.username"}
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: ` + name + `-b}
spec: {policyName: ` + name + `, validationActions: [` + strings.Join(actions, ", ") + `]}
`
}

func withSet(t testing.TB, cfg string, set *vap.Set, authz authorizer.Authorizer) *Evaluator {
	t.Helper()
	c, err := config.Parse([]byte(cfg), func(string) bool { return true }, nil)
	if err != nil {
		t.Fatal(err)
	}
	e, err := NewWithOptions(c, Options{Policies: set, PolicyNames: []string{"team", "replicas"}, Authorizer: authz})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// TestPoliciesAtAdmission: real policies deny with the API server's message, warn
// with its warning, audit into annotations; they see the old object of an
// UPDATE and the requesting user.
func TestPoliciesAtAdmission(t *testing.T) {
	set := compilePolicies(t, policy("team", "has(object.metadata.labels) && 'team' in object.metadata.labels", "pods need a team label", "Deny")+"---\n"+
		policy("owner", "has(object.metadata.labels) && 'owner' in object.metadata.labels", "pods should name an owner", "Warn")+"---\n"+
		policy("cost", "has(object.metadata.labels) && 'cost' in object.metadata.labels", "pods should name a cost center", "Audit")+"---\n"+
		policy("keep-team", "request.operation != 'UPDATE' || object.metadata.labels['team'] == oldObject.metadata.labels['team']", "the team label is immutable", "Deny")+"---\n"+
		policy("no-mallory", "request.userInfo.username != 'mallory'", "not mallory", "Deny"))
	e := withSet(t, "", set, nil)
	ctx := context.Background()

	d := e.Review(ctx, podRequest(t, admissionv1.Create, hardenedPod, "alice"), nsCluster{newCluster()})
	want := `pods "ok" is forbidden: ValidatingAdmissionPolicy 'team' with binding 'team-b' denied request: pods need a team label`
	if r := d.Response(); d.Err != nil || r.Allowed || r.Result == nil || r.Result.Message != want || r.Result.Code != 422 || r.Result.Reason != metav1.StatusReasonInvalid {
		t.Fatalf("denial %+v (%v), want %q", r.Result, d.Err, want)
	}
	if got := d.Response().Warnings; len(got) != 1 || got[0] != "Validation failed for ValidatingAdmissionPolicy 'owner' with binding 'owner-b': pods should name an owner" {
		t.Errorf("warnings %q", got)
	}
	ann := d.Response().AuditAnnotations
	if !strings.Contains(ann[ValidationFailureAnnotation], `"policy":"cost"`) || ann["team_user"] != "alice" {
		t.Errorf("audit annotations %v", ann)
	}
	if got := d.RuleActions(); len(got) != 3 || !slices.Contains(got, "PAL-800:deny") || !slices.Contains(got, "PAL-801:warn") || !slices.Contains(got, "PAL-802:audit") {
		t.Errorf("rule actions %s", got)
	}

	labelled := strings.Replace(hardenedPod, "metadata: {name: ok, namespace: team}", "metadata: {name: ok, namespace: team, labels: {team: a, owner: b, cost: c}}", 1)
	if d := e.Review(ctx, podRequest(t, admissionv1.Create, labelled, "alice"), nsCluster{newCluster()}); d.Err != nil || !d.Allowed || len(d.Warnings) > 0 {
		t.Errorf("labelled pod: %+v", d)
	}
	// UPDATE: the policy compares with the old object.
	upd := podRequest(t, admissionv1.Update, strings.Replace(labelled, "team: a", "team: z", 1), "alice")
	upd.OldObject = runtime.RawExtension{Raw: podRequest(t, admissionv1.Update, labelled, "alice").Object.Raw}
	if d := e.Review(ctx, upd, nsCluster{newCluster()}); d.Allowed || !strings.Contains(d.Message, "the team label is immutable") {
		t.Errorf("team label changed: %q (%v)", d.Message, d.Err)
	}
	// request.userInfo.
	if d := e.Review(ctx, podRequest(t, admissionv1.Create, labelled, "mallory"), nsCluster{newCluster()}); d.Allowed || !strings.Contains(d.Message, "not mallory") {
		t.Errorf("mallory: %q (%v)", d.Message, d.Err)
	}
	// Without namespaces to read (webhook serve --no-cluster), a policy matching a
	// namespaced request fails the review: an error, never a pass.
	if d := e.Review(ctx, podRequest(t, admissionv1.Create, labelled, "alice"), newCluster()); d.Err == nil || !errors.Is(d.Err, ErrNoNamespaces) {
		t.Errorf("no namespaces: %+v", d)
	}
	// DELETE, which Palisade's rules do not judge: the policy sees the old object.
	del := podRequest(t, admissionv1.Delete, labelled, "mallory")
	del.OldObject, del.Object = del.Object, runtime.RawExtension{}
	del.Resource = metav1.GroupVersionResource{Version: "v1", Resource: "pods"}
	d = e.Review(ctx, del, nsCluster{newCluster()})
	if d.Allowed || d.Err != nil {
		t.Fatalf("delete by mallory: %q (%v)", d.Message, d.Err)
	}
	found := false
	for _, v := range d.Verdicts {
		found = found || v.Finding.Policy != nil && v.Finding.Policy.Policy == "no-mallory" && v.Action == config.Deny
	}
	if !found {
		t.Errorf("delete by mallory: no-mallory did not deny: %+v", d.Verdicts)
	}
}

// allowCreate allows alice to create deployments.
type allowCreate struct{}

func (allowCreate) Authorize(_ context.Context, a authorizer.Attributes) (authorizer.Decision, string, error) {
	if a.GetUser().GetName() == "alice" && a.GetVerb() == "create" && a.GetResource() == "deployments" {
		return authorizer.DecisionAllow, "", nil
	}
	return authorizer.DecisionNoOpinion, "", nil
}

func (a allowCreate) ConditionsAwareAuthorize(ctx context.Context, attrs authorizer.Attributes) authorizer.ConditionsAwareDecision {
	return authorizer.ConditionsAwareDecisionFromParts(a.Authorize(ctx, attrs))
}

func (allowCreate) EvaluateConditions(context.Context, authorizer.ConditionsAwareDecision, authorizer.ConditionsData) (authorizer.Decision, string, error) {
	return authorizer.DecisionDeny, "", authorizer.ErrorConditionEvaluationNotSupported
}

const authzPolicy = `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: deployers}
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules:
    - {apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}
  validations:
  - expression: "authorizer.group('apps').resource('deployments').namespace(object.metadata.namespace).check('create').allowed()"
    message: only deployers create pods
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: deployers-b}
spec: {policyName: deployers, validationActions: [Deny]}
`

// TestPolicyAuthorizer: the policies' authorizer checks go to Options.Authorizer;
// without one they fail (denied under failurePolicy Fail), never allow.
func TestPolicyAuthorizer(t *testing.T) {
	set := compilePolicies(t, authzPolicy)
	ctx := context.Background()
	e := withSet(t, "", set, allowCreate{})
	if d := e.Review(ctx, podRequest(t, admissionv1.Create, hardenedPod, "alice"), nsCluster{newCluster()}); !d.Allowed || d.Err != nil {
		t.Errorf("alice: %+v", d)
	}
	if d := e.Review(ctx, podRequest(t, admissionv1.Create, hardenedPod, "bob"), nsCluster{newCluster()}); d.Allowed || !strings.Contains(d.Message, "only deployers") {
		t.Errorf("bob: %q", d.Message)
	}
	e = withSet(t, "", set, nil)
	if d := e.Review(ctx, podRequest(t, admissionv1.Create, hardenedPod, "alice"), nsCluster{newCluster()}); d.Allowed {
		t.Errorf("no authorizer: allowed")
	}
}

// BenchmarkReviewWithPolicies: a pod review with Palisade's rules and 20
// ValidatingAdmissionPolicies that all match it.
func BenchmarkReviewWithPolicies(b *testing.B) {
	var docs []string
	for i := 0; i < 20; i++ {
		name := "p" + string(rune('a'+i))
		docs = append(docs, policy(name, "object.spec.containers.all(c, !has(c.securityContext) || !has(c.securityContext.privileged) || !c.securityContext.privileged) && size(object.metadata.name) < 64", "no privileged containers", "Warn"))
	}
	e := withSet(b, "", compilePolicies(b, strings.Join(docs, "---\n")), allowCreate{})
	req := podRequest(b, admissionv1.Create, hardenedPod, "alice")
	review, err := DecodeReview(mustReview(b, req))
	if err != nil {
		b.Fatal(err)
	}
	c := nsCluster{newCluster()}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if d := e.Review(context.Background(), review.Request, c); d.Err != nil || !d.Allowed {
			b.Fatal(d.Err)
		}
	}
}

// mustReview encodes a request as an AdmissionReview.
func mustReview(t testing.TB, req *admissionv1.AdmissionRequest) []byte {
	t.Helper()
	js, err := json.Marshal(&admissionv1.AdmissionReview{TypeMeta: admissionReviewType, Request: req})
	if err != nil {
		t.Fatal(err)
	}
	return js
}

// podRequest is request for a pod, with its resource as the API server sets it.
func podRequest(t testing.TB, op admissionv1.Operation, yml string, user string, groups ...string) *admissionv1.AdmissionRequest {
	t.Helper()
	r := request(t, op, yml, user, groups...)
	r.Resource = metav1.GroupVersionResource{Version: "v1", Resource: "pods"}
	return r
}

// TestPolicyCost: the review memory of an evaluator with policies counts them.
func TestPolicyCost(t *testing.T) {
	without := withSet(t, "", nil, nil).Limits().Cost(10_000, 1_000)
	with := withSet(t, "", compilePolicies(t, authzPolicy), nil).Limits().Cost(10_000, 1_000)
	if with != without+2*policyCost {
		t.Errorf("cost with policies %d, without %d", with, without)
	}
}

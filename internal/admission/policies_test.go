package admission

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/palisade-k8s/palisade/internal/config"
	"github.com/palisade-k8s/palisade/internal/vap"
)

// fakePolicies answers every request with one decision, and records the request
// and what the environment answers.
type fakePolicies struct {
	decision vap.Decision
	err      error
	got      vap.Request
	nsErr    error
	ns       *corev1.Namespace
}

func (f *fakePolicies) Evaluate(_ context.Context, req vap.Request, env vap.Env) (vap.Decision, error) {
	f.got = req
	if req.Namespace != "" {
		f.ns, f.nsErr = env.Namespace(req.Namespace)
	}
	return f.decision, f.err
}

func withPolicies(t *testing.T, yml string, p *fakePolicies) *Evaluator {
	t.Helper()
	e := evaluator(t, yml)
	e.policies = p
	return e
}

var (
	deny  = []admissionregistrationv1.ValidationAction{admissionregistrationv1.Deny}
	warn  = []admissionregistrationv1.ValidationAction{admissionregistrationv1.Warn}
	audit = []admissionregistrationv1.ValidationAction{admissionregistrationv1.Audit}
)

const apiMessage = `pods "ok" is forbidden: ValidatingAdmissionPolicy 'team-label' with binding 'team-label-b' denied request: pods need a team label`

// TestPolicyDenies: a policy's denial is the response, with the API server's
// message, reason and code; its finding is PAL-800 in the decision.
func TestPolicyDenies(t *testing.T) {
	p := &fakePolicies{decision: vap.Decision{Message: apiMessage, Reason: metav1.StatusReasonForbidden, Code: 403, Matched: 1,
		Failures: []vap.Failure{{Policy: "team-label", Binding: "team-label-b", Kind: vap.Validation, Actions: deny,
			Message: "pods need a team label", Reason: metav1.StatusReasonForbidden}}}}
	e := withPolicies(t, "", p)
	d := e.Review(context.Background(), request(t, admissionv1.Create, hardenedPod, "alice"), newCluster())
	if d.Err != nil || d.Allowed {
		t.Fatalf("decision %+v, want denied", d)
	}
	resp := d.Response()
	if resp.Allowed || resp.Result == nil || resp.Result.Message != apiMessage || resp.Result.Reason != metav1.StatusReasonForbidden || resp.Result.Code != 403 {
		t.Fatalf("response %+v, want the API server's refusal", resp.Result)
	}
	if got := d.RuleActions(); len(got) != 1 || got[0] != "PAL-800:deny" {
		t.Errorf("rule actions %v", got)
	}
	ev := d.Verdicts[0].Finding.Policy
	if ev == nil || ev.Policy != "team-label" || ev.Binding != "team-label-b" || !ev.Denied || ev.Validation != 0 {
		t.Errorf("evidence %+v", ev)
	}
	if d.Policies == nil || d.Policies.Matched != 1 {
		t.Errorf("outcome %+v", d.Policies)
	}
}

// TestPolicyDenialOverPalisade: when a policy and Palisade's rules both deny, the
// client sees the policy's refusal (the API server runs policies first); both are
// in the decision.
func TestPolicyDenialOverPalisade(t *testing.T) {
	p := &fakePolicies{decision: vap.Decision{Message: apiMessage, Reason: metav1.StatusReasonInvalid, Code: 422,
		Failures: []vap.Failure{{Policy: "team-label", Binding: "team-label-b", Kind: vap.Validation, Actions: deny, Message: "pods need a team label"}}}}
	e := withPolicies(t, "", p)
	d := e.Review(context.Background(), request(t, admissionv1.Create, privilegedPod, "alice"), newCluster())
	if d.Allowed || d.Message != apiMessage || d.Response().Result.Code != 422 {
		t.Fatalf("decision %q (%v), want the policy's refusal", d.Message, d.Allowed)
	}
	if !strings.Contains(strings.Join(d.RuleActions(), " "), "PAL-001:deny") {
		t.Errorf("Palisade's findings missing: %v", d.RuleActions())
	}
}

// TestPolicyWarnAndAudit: Warn failures are the API server's warnings, Audit ones
// the validation_failure audit annotation; the policies' audit annotations are
// returned under keys the API server accepts from a webhook.
func TestPolicyWarnAndAudit(t *testing.T) {
	p := &fakePolicies{decision: vap.Decision{Allowed: true,
		AuditAnnotations: map[string]string{"image-policy/registry": "docker.io", validationFailureKey: "[]"},
		Failures: []vap.Failure{
			{Policy: "p1", Binding: "b1", Kind: vap.Validation, Actions: warn, Message: "replicas should be odd"},
			{Policy: "p2", Binding: "b2", Index: 1, Kind: vap.Validation, Actions: audit, Message: "no owner"},
		}}}
	e := withPolicies(t, "", p)
	d := e.Review(context.Background(), request(t, admissionv1.Create, hardenedPod, "alice"), newCluster())
	if d.Err != nil || !d.Allowed {
		t.Fatalf("decision %+v, want allowed", d)
	}
	resp := d.Response()
	if len(resp.Warnings) == 0 || resp.Warnings[0] != "Validation failed for ValidatingAdmissionPolicy 'p1' with binding 'b1': replicas should be odd" {
		t.Errorf("warnings %q", resp.Warnings)
	}
	if resp.AuditAnnotations["image-policy.registry"] != "docker.io" {
		t.Errorf("audit annotations %v", resp.AuditAnnotations)
	}
	var vf []validationFailure
	if err := json.Unmarshal([]byte(resp.AuditAnnotations[ValidationFailureAnnotation]), &vf); err != nil || len(vf) != 1 ||
		vf[0].Policy != "p2" || vf[0].ExpressionIndex != 1 || vf[0].Message != "no owner" {
		t.Errorf("validation_failure %q (%v)", resp.AuditAnnotations[ValidationFailureAnnotation], err)
	}
	for k := range resp.AuditAnnotations {
		if msgs := validation.IsQualifiedName("palisade.palisade.dev/" + k); len(msgs) > 0 {
			t.Errorf("audit annotation key %q: %v", k, msgs)
		}
	}
	if got := strings.Join(d.RuleActions(), " "); got != "PAL-801:warn PAL-802:audit" {
		t.Errorf("rule actions %s", got)
	}
}

// TestPolicyActionsAndExemptions: webhook.actions retune the policies' rules (a
// deny turned to warn is a warning), and exemptions apply to their findings.
func TestPolicyActionsAndExemptions(t *testing.T) {
	fail := vap.Decision{Message: apiMessage, Failures: []vap.Failure{{Policy: "team-label", Binding: "team-label-b", Kind: vap.Validation, Actions: deny, Message: "pods need a team label"}}}
	e := withPolicies(t, "webhook:\n  actions:\n    rules: {PAL-800: warn}\n", &fakePolicies{decision: fail})
	d := e.Review(context.Background(), request(t, admissionv1.Create, hardenedPod, "alice"), newCluster())
	if !d.Allowed || len(d.Warnings) != 1 || !strings.Contains(d.Warnings[0], "pods need a team label") {
		t.Errorf("PAL-800 at warn: allowed %v warnings %q", d.Allowed, d.Warnings)
	}
	e = withPolicies(t, `webhook:
  exemptions:
  - {rules: [PAL-800], namespaces: [team], reason: migration}
`, &fakePolicies{decision: fail})
	d = e.Review(context.Background(), request(t, admissionv1.Create, hardenedPod, "alice"), newCluster())
	if !d.Allowed || d.Verdicts[0].Action != config.Ignore || d.Response().Result != nil {
		t.Errorf("exempt: %+v", d)
	}
	e = withPolicies(t, `exemptions:
- {rules: [PAL-800], namespaces: [team], reason: accepted}
`, &fakePolicies{decision: fail})
	d = e.Review(context.Background(), request(t, admissionv1.Create, hardenedPod, "alice"), newCluster())
	if !d.Allowed {
		t.Errorf("configuration exemption: %+v", d)
	}
}

// TestPolicySecondDenial: when the refusal the API server's message is about does
// not deny here (a configuration error audited by webhook.actions), the next
// refusal is worded as the API server words it.
func TestPolicySecondDenial(t *testing.T) {
	first := `pods "ok" is forbidden: ValidatingAdmissionPolicy 'broken' with binding 'broken-b' denied request: compile error`
	p := &fakePolicies{decision: vap.Decision{Message: first, Failures: []vap.Failure{
		{Policy: "broken", Binding: "broken-b", Index: -1, Kind: vap.Configuration, Message: "compile error"},
		{Policy: "no-latest", Binding: "no-latest-b", Kind: vap.Validation, Actions: deny, Message: "no latest", Reason: metav1.StatusReasonForbidden},
	}}}
	e := withPolicies(t, "webhook:\n  actions:\n    rules: {PAL-803: audit}\n", p)
	d := e.Review(context.Background(), request(t, admissionv1.Create, hardenedPod, "alice"), newCluster())
	want := `pods "ok" is forbidden: ValidatingAdmissionPolicy 'no-latest' with binding 'no-latest-b' denied request: no latest`
	if r := d.Response().Result; d.Allowed || r == nil || r.Message != want || r.Code != 403 || r.Reason != metav1.StatusReasonForbidden {
		t.Fatalf("response %+v, want %q", r, want)
	}
	if got := strings.Join(d.RuleActions(), " "); got != "PAL-803:audit PAL-800:deny" {
		t.Errorf("rule actions %s", got)
	}
	if d.Verdicts[0].Finding.Policy.Validation != -1 {
		t.Errorf("configuration error evidence %+v", d.Verdicts[0].Finding.Policy)
	}
}

// TestPolicyRequest: the policies see the request as the API server sent it:
// operation, kind, resource, objects, options, dry run and the user with groups,
// UID and extra.
func TestPolicyRequest(t *testing.T) {
	p := &fakePolicies{decision: vap.Decision{Allowed: true}}
	e := withPolicies(t, "", p)
	req := request(t, admissionv1.Update, hardenedPod, "alice", "dev")
	req.OldObject = runtime.RawExtension{Raw: req.Object.Raw}
	req.Resource = metav1.GroupVersionResource{Version: "v1", Resource: "pods"}
	req.Options = runtime.RawExtension{Raw: []byte(`{"apiVersion":"meta.k8s.io/v1","kind":"UpdateOptions","fieldManager":"kubectl"}`)}
	dry := true
	req.DryRun = &dry
	req.UserInfo.UID = "u-1"
	req.UserInfo.Extra = map[string]authenticationv1.ExtraValue{"scopes": {"a", "b"}}
	d := e.Review(context.Background(), req, newCluster())
	if d.Err != nil || !d.Allowed {
		t.Fatalf("decision %+v", d)
	}
	g := p.got
	if g.Operation != "UPDATE" || g.Kind.Kind != "Pod" || g.Resource.Resource != "pods" || g.Name != "ok" || g.Namespace != "team" || !g.DryRun {
		t.Errorf("request %+v", g)
	}
	if g.Object == nil || g.OldObject == nil || g.Object.GetName() != "ok" || g.OldObject.GetName() != "ok" {
		t.Errorf("objects %v %v", g.Object, g.OldObject)
	}
	if g.Options == nil || g.Options.GetKind() != "UpdateOptions" {
		t.Errorf("options %v", g.Options)
	}
	if u := g.User; u.GetName() != "alice" || u.GetUID() != "u-1" || len(u.GetGroups()) != 1 || u.GetGroups()[0] != "dev" || len(u.GetExtra()["scopes"]) != 2 {
		t.Errorf("user %+v", u)
	}
	// Without a NamespaceReader, a namespace read is an error, never an empty
	// namespace.
	if p.ns != nil || !errors.Is(p.nsErr, ErrNoNamespaces) {
		t.Errorf("namespace %v, %v", p.ns, p.nsErr)
	}
}

// nsCluster is a Cluster that reads whole namespaces.
type nsCluster struct{ *fakeCluster }

func (c nsCluster) Namespace(_ context.Context, name string) (*corev1.Namespace, error) {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: c.namespaces[name]}}, nil
}

// TestPolicyOtherOperations: DELETE, CONNECT and subresources, which Palisade's
// rules do not judge, are judged by the policies (DELETE sees the old object).
func TestPolicyOtherOperations(t *testing.T) {
	p := &fakePolicies{decision: vap.Decision{Message: "pods \"web\" is forbidden: ValidatingAdmissionPolicy 'keep' with binding 'keep-b' denied request: no deletes",
		Failures: []vap.Failure{{Policy: "keep", Binding: "keep-b", Kind: vap.Validation, Actions: deny, Message: "no deletes"}}}}
	e := withPolicies(t, "", p)
	req := request(t, admissionv1.Delete, privilegedPod, "alice")
	req.OldObject, req.Object = req.Object, runtime.RawExtension{}
	d := e.Review(context.Background(), req, nsCluster{newCluster()})
	if d.Err != nil || d.Allowed || p.got.Object != nil || p.got.OldObject.GetName() != "web" {
		t.Fatalf("delete: %+v, request %+v", d, p.got)
	}
	if p.ns == nil || p.ns.Labels["env"] != "prod" {
		t.Errorf("namespace %+v", p.ns)
	}
	// Without policies, a DELETE is admitted unread.
	if d := evaluator(t, "").Review(context.Background(), req, newCluster()); !d.Allowed {
		t.Errorf("no policies: %+v", d)
	}
	// kube-system is exempt as a whole.
	req.Namespace = "kube-system"
	if d := e.Review(context.Background(), req, newCluster()); !d.Allowed || d.Exempt == "" {
		t.Errorf("kube-system: %+v", d)
	}
}

// TestPolicyError: an evaluation error fails the review (failurePolicy decides).
func TestPolicyError(t *testing.T) {
	e := withPolicies(t, "", &fakePolicies{err: errors.New("boom")})
	d := e.Review(context.Background(), request(t, admissionv1.Create, hardenedPod, "alice"), newCluster())
	if d.Err == nil || d.Outcome() != "error" {
		t.Fatalf("decision %+v, want an error", d)
	}
}

// TestPolicyAnnotationKey: every key is one the API server accepts behind a
// webhook's name, and distinct policies get distinct keys.
func TestPolicyAnnotationKey(t *testing.T) {
	long := strings.Repeat("a", 200) + ".example.com"
	seen := map[string]bool{}
	for _, c := range [][2]string{{"p", "k"}, {"image-policy", "registry"}, {long, "k"}, {long + "x", "k"}, {"p", strings.Repeat("k", 63)},
		{"a.b", "c_d"}, {"p", "-"}, {"", ""}, {"p/q", "k/l"}} {
		k := PolicyAnnotationKey(c[0], c[1])
		if msgs := validation.IsQualifiedName("palisade.palisade.dev/" + k); len(msgs) > 0 {
			t.Errorf("%q: key %q: %v", c, k, msgs)
		}
		if seen[k] {
			t.Errorf("%q: key %q repeated", c, k)
		}
		seen[k] = true
	}
	if k := PolicyAnnotationKey("image-policy", "registry"); k != "image-policy.registry" {
		t.Errorf("short key %q", k)
	}
}

// FuzzPolicyAnnotationKey: any policy name and key give a valid, bounded key.
func FuzzPolicyAnnotationKey(f *testing.F) {
	f.Add("image-policy", "registry")
	f.Add(strings.Repeat("a", 300), "k")
	f.Fuzz(func(t *testing.T, policy, key string) {
		k := PolicyAnnotationKey(policy, key)
		if msgs := validation.IsQualifiedName("palisade.palisade.dev/" + k); len(msgs) > 0 {
			t.Fatalf("%q %q: key %q: %v", policy, key, k, msgs)
		}
	})
}

package vap

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"sigs.k8s.io/yaml"
)

// docs splits a YAML stream into decoded objects.
func docs(t testing.TB, src string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, d := range strings.Split(src, "\n---\n") {
		if strings.TrimSpace(d) == "" {
			continue
		}
		var m map[string]any
		if err := yaml.Unmarshal([]byte(d), &m); err != nil {
			t.Fatalf("test YAML: %v\n%s", err, d)
		}
		out = append(out, m)
	}
	return out
}

// compileYAML compiles a policy set written as a YAML stream.
func compileYAML(t testing.TB, src string, crds ...string) *Set {
	t.Helper()
	var b Bundle
	for i, m := range docs(t, src) {
		if err := b.Add(m, Source{File: "policies.yaml", Line: i + 1}); err != nil {
			t.Fatal(err)
		}
	}
	opts := Options{}
	if len(crds) > 0 {
		res, err := BuiltinResources().WithCRDs(docs(t, strings.Join(crds, "\n---\n")))
		if err != nil {
			t.Fatal(err)
		}
		opts.Resources = res
	}
	s, errs := Compile(b, opts)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	return s
}

// namespaces is an Env.Namespace over fixed namespaces.
func namespaces(labels map[string]map[string]string) func(string) (*corev1.Namespace, error) {
	return func(name string) (*corev1.Namespace, error) {
		l, ok := labels[name]
		if !ok {
			return nil, apierrors.NewNotFound(corev1.Resource("namespaces"), name)
		}
		return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: l}}, nil
	}
}

var defaultEnv = Env{Namespace: namespaces(map[string]map[string]string{
	"default": nil,
	"prod":    {"env": "prod"},
	"dev":     {"env": "dev"},
})}

func evaluate(t testing.TB, s *Set, object string, env Env) Decision {
	t.Helper()
	req, err := s.RequestFor(docs(t, object)[0], "default", &user.DefaultInfo{Name: "alice", Groups: []string{"devs", "system:authenticated"}})
	if err != nil {
		t.Fatal(err)
	}
	d, err := s.Evaluate(context.Background(), req, env)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func policy(name, spec string) string {
	return fmt.Sprintf("apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicy\nmetadata:\n  name: %s\nspec:\n%s", name, indent(spec))
}

func binding(name, policyName, actions, extra string) string {
	return fmt.Sprintf("apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicyBinding\nmetadata:\n  name: %s\nspec:\n  policyName: %s\n  validationActions: %s\n%s", name, policyName, actions, indent(extra))
}

func indent(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = "  " + l
		}
	}
	return strings.Join(lines, "\n")
}

const deploymentRules = `matchConstraints:
  resourceRules:
  - apiGroups: [apps]
    apiVersions: [v1]
    operations: [CREATE, UPDATE]
    resources: [deployments]
`

func deployment(name, ns string, replicas int, labels string) string {
	return fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: %s
  namespace: %s
  labels: {%s}
spec:
  replicas: %d
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: registry.example/web:1
`, name, ns, labels, replicas)
}

type want struct {
	allowed     bool
	message     string
	reason      metav1.StatusReason
	code        int32
	warnings    []string
	annotations map[string]string
	failures    int
	matched     int
}

func check(t *testing.T, d Decision, w want) {
	t.Helper()
	if d.Allowed != w.allowed {
		t.Errorf("Allowed = %v, want %v (message %q)", d.Allowed, w.allowed, d.Message)
	}
	if d.Message != w.message {
		t.Errorf("Message =\n  %q\nwant\n  %q", d.Message, w.message)
	}
	if d.Reason != w.reason || d.Code != w.code {
		t.Errorf("Reason, Code = %q, %d, want %q, %d", d.Reason, d.Code, w.reason, w.code)
	}
	if !reflect.DeepEqual(d.Warnings, w.warnings) {
		t.Errorf("Warnings = %q, want %q", d.Warnings, w.warnings)
	}
	if len(d.AuditAnnotations) != 0 || len(w.annotations) != 0 {
		if !reflect.DeepEqual(d.AuditAnnotations, w.annotations) {
			t.Errorf("AuditAnnotations = %q, want %q", d.AuditAnnotations, w.annotations)
		}
	}
	if len(d.Failures) != w.failures {
		t.Errorf("Failures = %+v, want %d", d.Failures, w.failures)
	}
	if d.Matched != w.matched {
		t.Errorf("Matched = %d, want %d", d.Matched, w.matched)
	}
}

const denied = `deployments.apps "web" is forbidden: `

func TestDenyMessageReasonCode(t *testing.T) {
	for _, tc := range []struct {
		name, validation string
		want             want
	}{
		{"default message", `expression: object.spec.replicas <= 5`,
			want{message: denied + "ValidatingAdmissionPolicy 'p' with binding 'b' denied request: failed expression: object.spec.replicas <= 5", reason: metav1.StatusReasonInvalid, code: 422, failures: 1, matched: 1}},
		{"message and reason", "expression: object.spec.replicas <= 5\nmessage: ' too many replicas '\nreason: Forbidden",
			want{message: denied + "ValidatingAdmissionPolicy 'p' with binding 'b' denied request: too many replicas", reason: metav1.StatusReasonForbidden, code: 403, failures: 1, matched: 1}},
		{"messageExpression", "expression: object.spec.replicas <= 5\nmessage: static\nmessageExpression: \"'replicas ' + string(object.spec.replicas) + ' > 5'\"",
			want{message: denied + "ValidatingAdmissionPolicy 'p' with binding 'b' denied request: replicas 10 > 5", reason: metav1.StatusReasonInvalid, code: 422, failures: 1, matched: 1}},
		{"messageExpression error falls back to message", "expression: object.spec.replicas <= 5\nmessage: static\nmessageExpression: \"'x' + object.spec.missing\"",
			want{message: denied + "ValidatingAdmissionPolicy 'p' with binding 'b' denied request: static", reason: metav1.StatusReasonInvalid, code: 422, failures: 1, matched: 1}},
		{"messageExpression with newline falls back", "expression: object.spec.replicas <= 5\nmessageExpression: \"'a\\\\nb'\"",
			want{message: denied + "ValidatingAdmissionPolicy 'p' with binding 'b' denied request: failed expression: object.spec.replicas <= 5", reason: metav1.StatusReasonInvalid, code: 422, failures: 1, matched: 1}},
		{"RequestEntityTooLarge", "expression: object.spec.replicas <= 5\nreason: RequestEntityTooLarge",
			want{message: denied + "ValidatingAdmissionPolicy 'p' with binding 'b' denied request: failed expression: object.spec.replicas <= 5", reason: metav1.StatusReasonRequestEntityTooLarge, code: 413, failures: 1, matched: 1}},
		{"passes", `expression: object.spec.replicas <= 50`, want{allowed: true, matched: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := compileYAML(t, policy("p", deploymentRules+"validations:\n- "+strings.ReplaceAll(tc.validation, "\n", "\n  "))+"\n---\n"+binding("b", "p", "[Deny]", ""))
			check(t, evaluate(t, s, deployment("web", "default", 10, ""), defaultEnv), tc.want)
		})
	}
}

func TestValidationActions(t *testing.T) {
	spec := deploymentRules + "validations:\n- expression: object.spec.replicas <= 5\n  message: too many\n- expression: \"has(object.metadata.labels) && 'team' in object.metadata.labels\"\n  message: no team\n"
	const warn1 = "Validation failed for ValidatingAdmissionPolicy 'p' with binding 'b': too many"
	const warn2 = "Validation failed for ValidatingAdmissionPolicy 'p' with binding 'b': no team"
	auditValue := `[{"message":"too many","policy":"p","binding":"b","expressionIndex":0,"validationActions":["Warn","Audit"]},{"message":"no team","policy":"p","binding":"b","expressionIndex":1,"validationActions":["Warn","Audit"]}]`
	for _, tc := range []struct {
		actions string
		want    want
	}{
		{"[Deny]", want{message: denied + "ValidatingAdmissionPolicy 'p' with binding 'b' denied request: too many", reason: metav1.StatusReasonInvalid, code: 422, failures: 2, matched: 1}},
		{"[Warn]", want{allowed: true, warnings: []string{warn1, warn2}, failures: 2, matched: 1}},
		{"[Warn, Audit]", want{allowed: true, warnings: []string{warn1, warn2}, failures: 2, matched: 1,
			annotations: map[string]string{"validation.policy.admission.k8s.io/validation_failure": auditValue}}},
		{"[Deny, Audit]", want{message: denied + "ValidatingAdmissionPolicy 'p' with binding 'b' denied request: too many", reason: metav1.StatusReasonInvalid, code: 422, failures: 2, matched: 1,
			annotations: map[string]string{"validation.policy.admission.k8s.io/validation_failure": strings.ReplaceAll(auditValue, `"Warn"`, `"Deny"`)}}},
	} {
		t.Run(tc.actions, func(t *testing.T) {
			s := compileYAML(t, policy("p", spec)+"\n---\n"+binding("b", "p", tc.actions, ""))
			d := evaluate(t, s, deployment("web", "default", 10, ""), defaultEnv)
			check(t, d, tc.want)
			if len(d.Failures) == 2 {
				f := d.Failures[1]
				if f.Policy != "p" || f.Binding != "b" || f.Index != 1 || f.Kind != Validation || f.Message != "no team" || f.Reason != metav1.StatusReasonInvalid {
					t.Errorf("Failures[1] = %+v", f)
				}
			}
		})
	}
}

func TestAuditAnnotations(t *testing.T) {
	spec := deploymentRules + `auditAnnotations:
- key: replicas
  valueExpression: "'replicas: ' + string(object.spec.replicas)"
- key: empty
  valueExpression: "'  '"
- key: broken
  valueExpression: "string(object.spec.nope)"
`
	s := compileYAML(t, policy("p", spec)+"\n---\n"+binding("b", "p", "[Audit]", ""))
	d := evaluate(t, s, deployment("web", "default", 3, ""), defaultEnv)
	// An audit annotation that fails under failurePolicy Fail denies the request.
	check(t, d, want{message: denied + "ValidatingAdmissionPolicy 'p' with binding 'b' denied request: expression 'string(object.spec.nope)' resulted in error: no such key: nope",
		reason: metav1.StatusReasonInvalid, code: 422, failures: 1, matched: 1, annotations: map[string]string{"p/replicas": "replicas: 3"}})
	if f := d.Failures[0]; f.Kind != AuditAnnotation || f.Index != 2 {
		t.Errorf("failure = %+v", f)
	}
	s = compileYAML(t, policy("p", spec+"failurePolicy: Ignore\n")+"\n---\n"+binding("b", "p", "[Audit]", ""))
	check(t, evaluate(t, s, deployment("web", "default", 3, ""), defaultEnv),
		want{allowed: true, matched: 1, annotations: map[string]string{"p/replicas": "replicas: 3"}})
}

func TestResourceRules(t *testing.T) {
	for _, tc := range []struct {
		name, rules string
		matched     int
	}{
		{"exact", deploymentRules, 1},
		{"operation UPDATE only", "matchConstraints:\n  resourceRules:\n  - {apiGroups: [apps], apiVersions: [v1], operations: [UPDATE], resources: [deployments]}\n", 0},
		{"operation *", "matchConstraints:\n  resourceRules:\n  - {apiGroups: [apps], apiVersions: [v1], operations: ['*'], resources: [deployments]}\n", 1},
		{"group wildcard", "matchConstraints:\n  resourceRules:\n  - {apiGroups: ['*'], apiVersions: ['*'], operations: [CREATE], resources: ['*']}\n", 1},
		{"other group", "matchConstraints:\n  resourceRules:\n  - {apiGroups: [''], apiVersions: [v1], operations: [CREATE], resources: [deployments]}\n", 0},
		{"other version", "matchConstraints:\n  resourceRules:\n  - {apiGroups: [apps], apiVersions: [v1beta1], operations: [CREATE], resources: [deployments]}\n", 0},
		{"subresource only", "matchConstraints:\n  resourceRules:\n  - {apiGroups: [apps], apiVersions: [v1], operations: [CREATE], resources: [deployments/status]}\n", 0},
		{"all subresources", "matchConstraints:\n  resourceRules:\n  - {apiGroups: [apps], apiVersions: [v1], operations: [CREATE], resources: ['*/*']}\n", 1},
		{"cluster scope", "matchConstraints:\n  resourceRules:\n  - {apiGroups: [apps], apiVersions: [v1], operations: [CREATE], resources: [deployments], scope: Cluster}\n", 0},
		{"namespaced scope", "matchConstraints:\n  resourceRules:\n  - {apiGroups: [apps], apiVersions: [v1], operations: [CREATE], resources: [deployments], scope: Namespaced}\n", 1},
		{"resourceNames", "matchConstraints:\n  resourceRules:\n  - {apiGroups: [apps], apiVersions: [v1], operations: [CREATE], resources: [deployments], resourceNames: [web]}\n", 1},
		{"other resourceNames", "matchConstraints:\n  resourceRules:\n  - {apiGroups: [apps], apiVersions: [v1], operations: [CREATE], resources: [deployments], resourceNames: [api]}\n", 0},
		{"excluded", deploymentRules + "  excludeResourceRules:\n  - {apiGroups: [apps], apiVersions: [v1], operations: [CREATE], resources: [deployments]}\n", 0},
		{"excluded other name", deploymentRules + "  excludeResourceRules:\n  - {apiGroups: [apps], apiVersions: [v1], operations: [CREATE], resources: [deployments], resourceNames: [api]}\n", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := compileYAML(t, policy("p", tc.rules+"validations:\n- expression: 'false'\n")+"\n---\n"+binding("b", "p", "[Warn]", ""))
			d := evaluate(t, s, deployment("web", "default", 1, ""), defaultEnv)
			if d.Matched != tc.matched || len(d.Warnings) != tc.matched {
				t.Errorf("Matched = %d, warnings %q; want %d", d.Matched, d.Warnings, tc.matched)
			}
		})
	}
}

func TestSelectors(t *testing.T) {
	for _, tc := range []struct {
		name, constraints, binding, ns, labels string
		matched                                int
		configError                            string
	}{
		{"namespaceSelector matches", "  namespaceSelector: {matchLabels: {env: prod}}\n", "", "prod", "", 1, ""},
		{"namespaceSelector does not match", "  namespaceSelector: {matchLabels: {env: prod}}\n", "", "dev", "", 0, ""},
		{"namespaceSelector expression", "  namespaceSelector: {matchExpressions: [{key: env, operator: NotIn, values: [prod]}]}\n", "", "dev", "", 1, ""},
		{"unknown namespace", "  namespaceSelector: {matchLabels: {env: prod}}\n", "", "nowhere", "", 0,
			`failed to configure policy: namespaces "nowhere" not found`},
		{"objectSelector matches", "  objectSelector: {matchLabels: {tier: web}}\n", "", "default", "tier: web", 1, ""},
		{"objectSelector does not match", "  objectSelector: {matchLabels: {tier: web}}\n", "", "default", "tier: db", 0, ""},
		{"binding namespaceSelector", "", "matchResources:\n  namespaceSelector: {matchLabels: {env: prod}}\n", "dev", "", 0, ""},
		{"binding namespaceSelector matches", "", "matchResources:\n  namespaceSelector: {matchLabels: {env: prod}}\n", "prod", "", 1, ""},
		{"binding objectSelector", "", "matchResources:\n  objectSelector: {matchLabels: {tier: web}}\n", "default", "", 0, ""},
		{"binding resourceRules", "", "matchResources:\n  resourceRules:\n  - {apiGroups: [''], apiVersions: [v1], operations: [CREATE], resources: [pods]}\n", "default", "", 0, ""},
		{"binding excludeResourceRules", "", "matchResources:\n  excludeResourceRules:\n  - {apiGroups: [apps], apiVersions: [v1], operations: ['*'], resources: [deployments]}\n", "default", "", 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := compileYAML(t, policy("p", deploymentRules+tc.constraints+"validations:\n- expression: 'false'\n")+"\n---\n"+binding("b", "p", "[Warn]", tc.binding))
			d := evaluate(t, s, deployment("web", tc.ns, 1, tc.labels), defaultEnv)
			if d.Matched != tc.matched {
				t.Errorf("Matched = %d, want %d (%+v)", d.Matched, tc.matched, d)
			}
			if tc.configError != "" {
				if d.Allowed || !strings.HasSuffix(d.Message, "ValidatingAdmissionPolicy 'p' denied request: "+tc.configError) {
					t.Errorf("decision = %+v, want denial %q", d, tc.configError)
				}
				if len(d.Failures) != 1 || d.Failures[0].Kind != Configuration || d.Failures[0].Message != tc.configError {
					t.Errorf("Failures = %+v", d.Failures)
				}
			}
		})
	}
}

const widgetCRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget}
  versions:
  - name: v1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
  - name: v2
    served: true
    storage: false
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
`

func TestMatchPolicy(t *testing.T) {
	rules := "matchConstraints:\n  resourceRules:\n  - {apiGroups: [example.com], apiVersions: [v2], operations: [CREATE], resources: [widgets]}\n"
	widget := "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, namespace: default}\nspec: {size: 3}\n"
	for _, tc := range []struct {
		policy  string
		matched int
	}{
		{"  matchPolicy: Exact\n", 0},
		{"  matchPolicy: Equivalent\n", 1},
		{"", 1}, // defaulted to Equivalent
	} {
		s := compileYAML(t, policy("p", rules+tc.policy+"validations:\n- expression: \"object.apiVersion != 'example.com/v2' || object.spec.size < 3\"\n  messageExpression: string(object.apiVersion)\n")+"\n---\n"+binding("b", "p", "[Deny]", ""), widgetCRD)
		d := evaluate(t, s, widget, defaultEnv)
		if d.Matched != tc.matched || d.Allowed == (tc.matched == 1) {
			t.Errorf("%q: %+v", tc.policy, d)
		}
		if tc.matched == 1 && !strings.HasSuffix(d.Message, "denied request: example.com/v2") {
			t.Errorf("object not converted to the matched version: %q", d.Message)
		}
	}
}

func TestParams(t *testing.T) {
	pol := policy("p", deploymentRules+`paramKind: {apiVersion: v1, kind: ConfigMap}
validations:
- expression: object.spec.replicas <= int(params.data.max)
  messageExpression: "'at most ' + params.data.max + ' (' + params.metadata.name + ')'"
`)
	cms := `apiVersion: v1
kind: ConfigMap
metadata: {name: limits, namespace: default, labels: {kind: limit}}
data: {max: "3"}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: limits, namespace: prod}
data: {max: "20"}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: strict, namespace: default, labels: {kind: limit}}
data: {max: "1"}
`
	for _, tc := range []struct {
		name, paramRef, ns string
		want               want
	}{
		{"by name", "{name: limits, parameterNotFoundAction: Deny}", "default",
			want{message: denied + "ValidatingAdmissionPolicy 'p' with binding 'b' denied request: at most 3 (limits)", reason: metav1.StatusReasonInvalid, code: 422, failures: 1, matched: 1}},
		{"by name in the request's namespace", "{name: limits, parameterNotFoundAction: Deny}", "prod", want{allowed: true, matched: 1}},
		{"by name and namespace", "{name: limits, namespace: prod, parameterNotFoundAction: Deny}", "default", want{allowed: true, matched: 1}},
		{"missing, Allow", "{name: nope, parameterNotFoundAction: Allow}", "default", want{allowed: true, matched: 1}},
		{"missing, Deny", "{name: nope, parameterNotFoundAction: Deny}", "default",
			want{message: denied + "ValidatingAdmissionPolicy 'p' with binding 'b' denied request: failed to configure binding: no params found for policy binding with `Deny` parameterNotFoundAction", reason: metav1.StatusReasonInvalid, code: 422, failures: 1, matched: 1}},
		{"selector", "{selector: {matchLabels: {kind: limit}}, parameterNotFoundAction: Deny}", "default",
			want{message: denied + "ValidatingAdmissionPolicy 'p' with binding 'b' denied request: at most 3 (limits)", reason: metav1.StatusReasonInvalid, code: 422, failures: 2, matched: 1}},
		{"selector, none, Allow", "{selector: {matchLabels: {kind: none}}, parameterNotFoundAction: Allow}", "default", want{allowed: true, matched: 1}},
		{"selector, none, Deny", "{selector: {matchLabels: {kind: none}}, parameterNotFoundAction: Deny}", "default",
			want{message: denied + "ValidatingAdmissionPolicy 'p' with binding 'b' denied request: failed to configure binding: no params found for policy binding with `Deny` parameterNotFoundAction", reason: metav1.StatusReasonInvalid, code: 422, failures: 1, matched: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := compileYAML(t, pol+"\n---\n"+binding("b", "p", "[Deny]", "paramRef: "+tc.paramRef)+"\n---\n"+cms)
			d := evaluate(t, s, deployment("web", tc.ns, 10, ""), defaultEnv)
			if tc.want.message != "" {
				tc.want.message = strings.Replace(tc.want.message, `"web"`, `"web"`, 1)
			}
			check(t, d, tc.want)
			if tc.name == "selector" {
				if d.Failures[0].Param != "default/limits" || d.Failures[1].Param != "default/strict" {
					t.Errorf("params = %q, %q", d.Failures[0].Param, d.Failures[1].Param)
				}
			}
		})
	}
	if got := compileYAML(t, pol+"\n---\n"+binding("b", "p", "[Deny]", "paramRef: {name: x, parameterNotFoundAction: Deny}")).ParamKinds(); len(got) != 1 || got[0] != (schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}) {
		t.Errorf("ParamKinds = %v", got)
	}
}

func TestParamProblems(t *testing.T) {
	s := compileYAML(t, policy("p", deploymentRules+"paramKind: {apiVersion: v1, kind: ConfigMap}\nvalidations:\n- expression: 'true'\n")+"\n---\n"+binding("b", "p", "[Deny]", "paramRef: {name: x, parameterNotFoundAction: Allow}")+
		"\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: default}\ndata: {a: [1]}\n")
	if len(s.Problems()) != 1 || !strings.HasPrefix(s.Problems()[0].Error(), "policies.yaml:3: parameter ConfigMap \"x\" is not used: ") {
		t.Errorf("Problems = %v", s.Problems())
	}
}

func TestParamKindNotServed(t *testing.T) {
	s := compileYAML(t, policy("p", deploymentRules+"paramKind: {apiVersion: example.com/v1, kind: Nope}\nvalidations:\n- expression: 'true'\n")+"\n---\n"+binding("b", "p", "[Deny]", "paramRef: {name: x, parameterNotFoundAction: Allow}"))
	if len(s.Problems()) != 1 || !strings.Contains(s.Problems()[0].Error(), "policies.yaml:1: ValidatingAdmissionPolicy \"p\": paramKind example.com/v1, Kind=Nope") {
		t.Errorf("Problems = %v", s.Problems())
	}
	d := evaluate(t, s, deployment("web", "default", 1, ""), defaultEnv)
	check(t, d, want{message: denied + "ValidatingAdmissionPolicy 'p' denied request: failed to configure policy: failed to find resource referenced by paramKind: 'example.com/v1, Kind=Nope'", reason: metav1.StatusReasonInvalid, code: 422, failures: 1})
}

func TestMatchConditions(t *testing.T) {
	conds := `matchConditions:
- name: not-system
  expression: "!request.userInfo.username.startsWith('system:')"
- name: team
  expression: "%s"
`
	for _, tc := range []struct {
		name, cond, failure string
		want                want
	}{
		{"all true", "true", "", want{message: denied + "ValidatingAdmissionPolicy 'p' with binding 'b' denied request: failed expression: false", reason: metav1.StatusReasonInvalid, code: 422, failures: 1, matched: 1}},
		{"one false", "false", "", want{allowed: true, matched: 1}},
		{"error under Fail", "object.spec.nope == 1", "", want{message: denied + "ValidatingAdmissionPolicy 'p' with binding 'b' denied request: expression 'object.spec.nope == 1' resulted in error: no such key: nope", reason: metav1.StatusReasonInvalid, code: 422, failures: 1, matched: 1}},
		{"error under Ignore", "object.spec.nope == 1", "failurePolicy: Ignore\n", want{allowed: true, matched: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := compileYAML(t, policy("p", deploymentRules+fmt.Sprintf(conds, tc.cond)+tc.failure+"validations:\n- expression: 'false'\n")+"\n---\n"+binding("b", "p", "[Deny]", ""))
			check(t, evaluate(t, s, deployment("web", "default", 1, ""), defaultEnv), tc.want)
		})
	}
}

func TestVariablesAndFailurePolicy(t *testing.T) {
	spec := deploymentRules + `variables:
- name: replicas
  expression: object.spec.replicas
- name: big
  expression: variables.replicas > 5
validations:
- expression: "!variables.big"
  messageExpression: "'replicas ' + string(variables.replicas)"
- expression: object.spec.nope == 'x'
`
	s := compileYAML(t, policy("p", spec)+"\n---\n"+binding("b", "p", "[Deny]", ""))
	d := evaluate(t, s, deployment("web", "default", 10, ""), defaultEnv)
	check(t, d, want{message: denied + "ValidatingAdmissionPolicy 'p' with binding 'b' denied request: replicas 10", reason: metav1.StatusReasonInvalid, code: 422, failures: 2, matched: 1})
	if f := d.Failures[1]; f.Index != 1 || f.Message != "expression 'object.spec.nope == 'x'' resulted in error: no such key: nope" {
		t.Errorf("error failure = %+v", f)
	}
	s = compileYAML(t, policy("p", spec+"failurePolicy: Ignore\n")+"\n---\n"+binding("b", "p", "[Deny]", ""))
	d = evaluate(t, s, deployment("web", "default", 1, ""), defaultEnv)
	check(t, d, want{allowed: true, matched: 1})
}

func TestCompileErrors(t *testing.T) {
	s := compileYAML(t, policy("p", deploymentRules+"validations:\n- expression: object.spec.replicas +\n- expression: \"'a'\"\n")+"\n---\n"+binding("b", "p", "[Deny]", "")+"\n---\n"+binding("orphan", "nope", "[Deny]", ""))
	problems := fmt.Sprint(s.Problems())
	if !strings.Contains(problems, `policies.yaml:1: ValidatingAdmissionPolicy "p": spec.validations: compilation failed`) ||
		!strings.Contains(problems, `policies.yaml:3: ValidatingAdmissionPolicyBinding "orphan" binds policy "nope", which is not defined`) {
		t.Errorf("Problems = %s", problems)
	}
	if p, b := s.Policies(); p != 1 || b != 2 {
		t.Errorf("Policies = %d, %d", p, b)
	}
	d := evaluate(t, s, deployment("web", "default", 1, ""), defaultEnv)
	if d.Allowed || !strings.Contains(d.Message, "denied request: compilation error: compilation failed: ERROR: <input>:1:23: Syntax error") || len(d.Failures) != 2 {
		t.Errorf("decision = %+v", d)
	}
	for _, f := range d.Failures {
		if f.Kind != Configuration {
			t.Errorf("compile error failure of kind %v", f.Kind)
		}
	}
}

func TestConvertFailure(t *testing.T) {
	// autoscaling/v1 matched through its equivalent v2: the object must be
	// converted, which Palisade cannot do for built-in kinds client-go does not
	// convert; a configuration failure, never a silent pass.
	s := compileYAML(t, policy("p", "matchConstraints:\n  resourceRules:\n  - {apiGroups: [autoscaling], apiVersions: [v2], operations: [CREATE], resources: [horizontalpodautoscalers]}\nvalidations:\n- expression: 'true'\n")+"\n---\n"+binding("b", "p", "[Deny]", ""))
	d := evaluate(t, s, "apiVersion: autoscaling/v1\nkind: HorizontalPodAutoscaler\nmetadata: {name: h, namespace: default}\nspec: {maxReplicas: 3, scaleTargetRef: {kind: Deployment, name: web}}\n", defaultEnv)
	if d.Allowed || !strings.Contains(d.Message, "failed to configure binding: failed to convert object version") || len(d.Failures) != 1 || d.Failures[0].Kind != Configuration {
		t.Errorf("decision = %+v", d)
	}
}

func TestEvaluateConcurrent(t *testing.T) {
	s := compileYAML(t, policy("p", deploymentRules+"paramKind: {apiVersion: v1, kind: ConfigMap}\nvalidations:\n- expression: object.spec.replicas <= int(params.data.max)\n")+"\n---\n"+
		binding("b", "p", "[Deny]", "paramRef: {name: limits, parameterNotFoundAction: Deny}")+"\n---\n"+
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: limits, namespace: default}\ndata: {max: '3'}\n")
	done := make(chan Decision, 8)
	for i := 0; i < 8; i++ {
		go func(i int) {
			req, err := s.RequestFor(docs(t, deployment("web", "default", i, ""))[0], "default", nil)
			if err != nil {
				panic(err)
			}
			d, err := s.Evaluate(context.Background(), req, defaultEnv)
			if err != nil {
				panic(err)
			}
			if d.Allowed != (i <= 3) {
				panic(fmt.Sprintf("replicas %d: %+v", i, d))
			}
			done <- d
		}(i)
	}
	for i := 0; i < 8; i++ {
		<-done
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req, _ := s.RequestFor(docs(t, deployment("web", "default", 1, ""))[0], "default", nil)
	if _, err := s.Evaluate(ctx, req, defaultEnv); err == nil {
		t.Error("Evaluate with a done context: no error")
	}
}

type fakeAuthorizer struct{ allowed map[string]bool }

func (f fakeAuthorizer) Authorize(_ context.Context, a authorizer.Attributes) (authorizer.Decision, string, error) {
	key := a.GetUser().GetName() + " " + a.GetVerb() + " " + a.GetResource() + " " + a.GetNamespace()
	if f.allowed[key] {
		return authorizer.DecisionAllow, "", nil
	}
	return authorizer.DecisionNoOpinion, "", nil
}

func TestAuthorizer(t *testing.T) {
	spec := deploymentRules + `validations:
- expression: "authorizer.group('').resource('secrets').namespace(object.metadata.namespace).check('list').allowed()"
  message: may not list secrets
- expression: "!authorizer.group('').resource('secrets').namespace(object.metadata.namespace).check('list').errored()"
  message: authorizer error
`
	s := compileYAML(t, policy("p", spec)+"\n---\n"+binding("b", "p", "[Warn]", ""))
	allow := authorizer.AuthorizerFunc(fakeAuthorizer{allowed: map[string]bool{"alice list secrets default": true}}.Authorize)
	check(t, evaluate(t, s, deployment("web", "default", 1, ""), Env{Namespace: defaultEnv.Namespace, Authorizer: allow}), want{allowed: true, matched: 1})
	check(t, evaluate(t, s, deployment("web", "prod", 1, ""), Env{Namespace: defaultEnv.Namespace, Authorizer: allow}),
		want{allowed: true, matched: 1, failures: 1, warnings: []string{"Validation failed for ValidatingAdmissionPolicy 'p' with binding 'b': may not list secrets"}})
	// Without an authorizer every check errs: never an allow.
	check(t, evaluate(t, s, deployment("web", "default", 1, ""), Env{Namespace: defaultEnv.Namespace}),
		want{allowed: true, matched: 1, failures: 2, warnings: []string{
			"Validation failed for ValidatingAdmissionPolicy 'p' with binding 'b': may not list secrets",
			"Validation failed for ValidatingAdmissionPolicy 'p' with binding 'b': authorizer error"}})
}

func TestCostBudget(t *testing.T) {
	data := map[string]string{}
	for i := 0; i < 2000; i++ {
		data[fmt.Sprintf("k%d", i)] = "v"
	}
	cm, _ := json.Marshal(map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "big", "namespace": "default"}, "data": data})
	s := compileYAML(t, policy("p", `matchConstraints:
  resourceRules:
  - {apiGroups: [''], apiVersions: [v1], operations: [CREATE], resources: [configmaps]}
validations:
- expression: "object.data.all(a, object.data.all(b, a.size() + b.size() > 0))"
`)+"\n---\n"+binding("b", "p", "[Deny]", ""))
	d := evaluate(t, s, string(cm), defaultEnv)
	if d.Allowed || !strings.Contains(d.Message, "cost") {
		t.Errorf("decision = %+v, want a denial for the exceeded cost budget", d)
	}
}

func TestExcludedAndOrder(t *testing.T) {
	all := "matchConstraints:\n  resourceRules:\n  - {apiGroups: ['*'], apiVersions: ['*'], operations: ['*'], resources: ['*']}\nvalidations:\n- expression: 'false'\n  message: %s\n"
	s := compileYAML(t, policy("b-policy", fmt.Sprintf(all, "second"))+"\n---\n"+policy("a-policy", fmt.Sprintf(all, "first"))+"\n---\n"+
		binding("z-binding", "b-policy", "[Deny]", "")+"\n---\n"+binding("y-binding", "a-policy", "[Deny]", ""))
	// The policy objects themselves are never subject to policies.
	d := evaluate(t, s, policy("x", deploymentRules+"validations:\n- expression: 'true'\n"), defaultEnv)
	check(t, d, want{allowed: true})
	// Several denials: the first policy by name is the one reported.
	d = evaluate(t, s, deployment("web", "default", 1, ""), defaultEnv)
	if d.Message != denied+"ValidatingAdmissionPolicy 'a-policy' with binding 'y-binding' denied request: first" || len(d.Failures) != 2 || d.Matched != 2 {
		t.Errorf("decision = %+v", d)
	}
	if !s.Matches(schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}) ||
		s.Matches(schema.GroupVersionKind{Group: "admissionregistration.k8s.io", Version: "v1", Kind: "ValidatingAdmissionPolicy"}) {
		t.Error("Matches")
	}
}

func TestMatches(t *testing.T) {
	s := compileYAML(t, policy("p", deploymentRules+"validations:\n- expression: 'false'\n")+"\n---\n"+binding("b", "p", "[Deny]", ""))
	for gvk, want := range map[schema.GroupVersionKind]bool{
		{Group: "apps", Version: "v1", Kind: "Deployment"}:  true,
		{Group: "apps", Version: "v1", Kind: "StatefulSet"}: false,
		{Version: "v1", Kind: "Pod"}:                        false,
		{Group: "example.com", Version: "v1", Kind: "X"}:    false,
	} {
		if got := s.Matches(gvk); got != want {
			t.Errorf("Matches(%v) = %v", gvk, got)
		}
	}
	if (&Set{}).Matches(schema.GroupVersionKind{Version: "v1", Kind: "Pod"}) {
		t.Error("empty set matches")
	}
}

func TestRequestFor(t *testing.T) {
	s := compileYAML(t, policy("p", deploymentRules+"validations:\n- expression: 'true'\n")+"\n---\n"+binding("b", "p", "[Deny]", ""))
	req, err := s.RequestFor(docs(t, "apiVersion: v1\nkind: Pod\nmetadata: {generateName: web-}\nspec: {containers: [{name: a, image: b}]}\n")[0], "team", nil)
	if err != nil {
		t.Fatal(err)
	}
	if req.Name != "" || req.Namespace != "team" || req.Resource.Resource != "pods" || req.Operation != admission.Create || req.Options.GetKind() != "CreateOptions" {
		t.Errorf("request = %+v", req)
	}
	req, err = s.RequestFor(docs(t, "apiVersion: v1\nkind: Namespace\nmetadata: {name: ns1}\n")[0], "team", nil)
	if err != nil || req.Namespace != "" || req.Name != "ns1" {
		t.Errorf("request = %+v, %v", req, err)
	}
	if _, err := s.RequestFor(docs(t, "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: n}\n")[0], "", nil); err == nil {
		t.Error("unknown kind: no error")
	}
}

func TestBundleAddErrors(t *testing.T) {
	for _, tc := range []struct {
		name, obj, err string
	}{
		{"v1beta1", "apiVersion: admissionregistration.k8s.io/v1beta1\nkind: ValidatingAdmissionPolicy\nmetadata: {name: p}\n",
			"f.yaml:7: admissionregistration.k8s.io/v1beta1 ValidatingAdmissionPolicy is not supported"},
		{"v1alpha1 binding", "apiVersion: admissionregistration.k8s.io/v1alpha1\nkind: ValidatingAdmissionPolicyBinding\nmetadata: {name: p}\n",
			"f.yaml:7: admissionregistration.k8s.io/v1alpha1 ValidatingAdmissionPolicyBinding is not supported"},
		{"unknown field", policy("p", deploymentRules+"validations:\n- expression: 'true'\n  mesage: typo\n"), `unknown field "spec.validations[0].mesage"`},
		{"no matchConstraints", policy("p", "validations:\n- expression: 'true'\n"), "spec.matchConstraints: Required value"},
		{"no validations", policy("p", deploymentRules), "spec.validations: Required value"},
		{"no policyName", binding("b", "''", "[Deny]", ""), "spec.policyName: Required value"},
		{"no actions", binding("b", "p", "[]", ""), "spec.validationActions: Required value"},
		{"repeated action", binding("b", "p", "[Deny, Deny]", ""), `spec.validationActions[1]: Duplicate value: "Deny"`},
		{"Deny and Warn", binding("b", "p", "[Deny, Warn]", ""), "must not contain both Deny and Warn"},
		{"paramRef without action", binding("b", "p", "[Deny]", "paramRef: {name: x}"), "spec.paramRef.parameterNotFoundAction: Required value"},
		{"paramRef name and selector", binding("b", "p", "[Deny]", "paramRef: {name: x, selector: {}, parameterNotFoundAction: Allow}"), "mutually exclusive"},
		{"no apiVersion", "kind: ConfigMap\n", "f.yaml:7: object without apiVersion or kind"},
		{"mutating", "apiVersion: admissionregistration.k8s.io/v1\nkind: MutatingAdmissionPolicy\nmetadata: {name: p}\n", "MutatingAdmissionPolicy is not supported"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b Bundle
			err := b.Add(docs(t, tc.obj)[0], Source{File: "f.yaml", Line: 7})
			if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.HasPrefix(err.Error(), "f.yaml:7: ") {
				t.Errorf("Add error = %v, want %q", err, tc.err)
			}
		})
	}
	var b Bundle
	if err := b.Add(map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "c"}, "data": map[string]any{"n": 1}}, Source{File: "c.yaml", Line: 1}); err != nil || len(b.Params) != 1 || b.Sources[b.Params[0]].File != "c.yaml" {
		t.Errorf("param: %v, %+v", err, b)
	}
}

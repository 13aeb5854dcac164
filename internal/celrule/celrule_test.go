package celrule

import (
	"fmt"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/workload"

	_ "github.com/palisade-k8s/palisade/internal/checks/all"
)

// parse decodes customRules text as the configuration does (with lines).
func parse(t testing.TB, text string) []Spec {
	t.Helper()
	specs, err := decode([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return specs
}

// decode reads a YAML list of specs with their lines.
func decode(data []byte) ([]Spec, error) {
	var node yaml.Node
	if err := yaml.Unmarshal(data, &node); err != nil {
		return nil, err
	}
	var specs []Spec
	if err := node.Decode(&specs); err != nil {
		return nil, err
	}
	if len(node.Content) > 0 {
		Locate(specs, node.Content[0])
	}
	return specs, nil
}

func compile(t testing.TB, text string) []*rules.Rule {
	t.Helper()
	rs, err := Compile(parse(t, text))
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

// object reads one manifest into an inventory object.
func object(t testing.TB, manifest string) *inventory.Object {
	t.Helper()
	var body map[string]any
	if err := sigsyaml.Unmarshal([]byte(manifest), &body); err != nil {
		t.Fatal(err)
	}
	o := &inventory.Object{Body: body}
	o.Ref.APIVersion, _ = body["apiVersion"].(string)
	o.Ref.Kind, _ = body["kind"].(string)
	meta, _ := body["metadata"].(map[string]any)
	o.Ref.Name, _ = meta["name"].(string)
	o.Ref.Namespace, _ = meta["namespace"].(string)
	return o
}

// check runs rules on one object as the engine does: workload functions first, then
// object functions of matching kinds, one memo for the object.
func check(t testing.TB, rs []*rules.Rule, o *inventory.Object) []finding.Finding {
	t.Helper()
	var out []finding.Finding
	memo := &rules.Memo{}
	h := rules.Hooks{Report: func(f finding.Finding) { out = append(out, f) }, Memo: memo}
	w, err := workload.NewFinder(nil).From(o)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if r.Workload != nil && w != nil {
			p := rules.NewPass(r, o, nil, nil, h)
			r.Workload(&p, w)
		}
	}
	for _, r := range rs {
		if r.Object != nil && containsKind(r.Kinds, o.Ref.Kind) {
			p := rules.NewPass(r, o, nil, nil, h)
			r.Object(&p, o)
		}
	}
	return out
}

func containsKind(kinds []string, k string) bool {
	for _, x := range kinds {
		if x == k {
			return true
		}
	}
	return false
}

const acme = `
- id: ACME-001
  title: Images come from the ACME registry
  severity: high
  match: {kinds: [Pod]}
  expression: "object.spec.containers.all(c, c.image.startsWith('registry.acme.io/'))"
  messageExpression: "'image from outside the ACME registry: ' + object.spec.containers.filter(c, !c.image.startsWith('registry.acme.io/')).map(c, c.image).join(', ')"
  frameworks: {cis-1.12: [5.5.1]}
  rationale: Only images the ACME registry scanned may run.
  remediation: Push the image to registry.acme.io and use that reference.
`

const badPod = `
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec:
  containers:
  - {name: a, image: registry.acme.io/web:1}
  - {name: b, image: docker.io/nginx:1.27}
`

const goodPod = `
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec:
  containers:
  - {name: a, image: registry.acme.io/web:1}
`

func TestCompileACME(t *testing.T) {
	rs := compile(t, acme)
	if len(rs) != 1 {
		t.Fatalf("got %d rules", len(rs))
	}
	r := rs[0]
	if r.ID != "ACME-001" || r.Severity != finding.High || r.Category != "custom" || r.Frameworks.Layer != "cluster" || len(r.Frameworks.CIS) != 1 || r.Frameworks.CIS[0] != "5.5.1" {
		t.Errorf("metadata: %+v", r.Meta)
	}
	if !r.RunsIn(rules.Scan) || !r.RunsIn(rules.Admission) || r.Phase() != rules.Local {
		t.Errorf("a custom rule must run in scan and admission, in the local phase")
	}
	fs := check(t, rs, object(t, badPod))
	if len(fs) != 1 {
		t.Fatalf("findings: %+v", fs)
	}
	if fs[0].Message != "image from outside the ACME registry: docker.io/nginx:1.27" || fs[0].Severity != finding.High || fs[0].RuleID != "ACME-001" {
		t.Errorf("finding: %+v", fs[0])
	}
	if got := strings.Join(fs[0].Frameworks, ","); got != "cis:5.5.1,4c:cluster" {
		t.Errorf("tags: %s", got)
	}
	if fs := check(t, rs, object(t, goodPod)); len(fs) != 0 {
		t.Errorf("compliant pod: %+v", fs)
	}
}

func TestMessageFallbacks(t *testing.T) {
	base := `
- id: T-1
  title: t
  severity: low
  match: {kinds: [Pod]}
  expression: "object.metadata.name == 'x'"
  rationale: r
  remediation: m
`
	cases := []struct{ extra, want string }{
		{"", "failed expression: object.metadata.name == 'x'"},
		{"  message: name must be x\n", "name must be x"},
		{"  message: static\n  messageExpression: \"'name is ' + object.metadata.name\"\n", "name is web"},
		// The API server falls back on an error, an empty or a multi-line result.
		{"  message: static\n  messageExpression: \"string(object.metadata.nope)\"\n", "static"},
		{"  message: static\n  messageExpression: \"'  '\"\n", "static"},
		{"  message: static\n  messageExpression: \"'a\\\\nb'\"\n", "static"},
		{"  messageExpression: \"string(object.metadata.nope)\"\n", "failed expression: object.metadata.name == 'x'"},
	}
	for _, c := range cases {
		rs := compile(t, base+c.extra)
		fs := check(t, rs, object(t, goodPod))
		if len(fs) != 1 || fs[0].Message != c.want {
			t.Errorf("%q: got %+v, want message %q", c.extra, fs, c.want)
		}
	}
}

func TestWorkloads(t *testing.T) {
	rs := compile(t, `
- id: ACME-002
  title: Pods run as non-root with a team label
  severity: medium
  match: {workloads: true, kinds: [Deployment, ConfigMap]}
  expression: "has(podMetadata.labels) && 'team' in podMetadata.labels && podSpec.restartPolicy == 'Always' && podSpec.containers.all(c, c.terminationMessagePolicy == 'File')"
  rationale: r
  remediation: m
`)
	dep := object(t, `
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  template:
    metadata: {labels: {app: api}}
    spec:
      containers: [{name: a, image: x}]
`)
	fs := check(t, rs, dep)
	// Checked once (as a workload, not again as a Deployment), on the pod spec.
	if len(fs) != 1 || fs[0].Path != "spec.template.spec" || fs[0].Message != "failed expression: "+rs[0].Title[:0]+"has(podMetadata.labels) && 'team' in podMetadata.labels && podSpec.restartPolicy == 'Always' && podSpec.containers.all(c, c.terminationMessagePolicy == 'File')" {
		t.Fatalf("deployment: %+v", fs)
	}
	// Defaults are the API server's: restartPolicy and terminationMessagePolicy
	// are set, so only the label decides.
	dep.Body["spec"].(map[string]any)["template"].(map[string]any)["metadata"] = map[string]any{"labels": map[string]any{"team": "a"}}
	if fs := check(t, rs, dep); len(fs) != 0 {
		t.Errorf("labelled deployment: %+v", fs)
	}
	// A ConfigMap of match.kinds has no pod template: podSpec and podMetadata are
	// null (has() of a field of null is false).
	cm := object(t, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n")
	fs = check(t, rs, cm)
	if len(fs) != 1 || fs[0].Path != "" {
		t.Errorf("configmap: %+v", fs)
	}
}

func TestKinds(t *testing.T) {
	rs := compile(t, `
- id: NET-1
  title: No LoadBalancer
  severity: high
  match: {kinds: [v1/Service, example.com/*/Widget]}
  expression: "!has(object.spec.type) || object.spec.type != 'LoadBalancer'"
  rationale: r
  remediation: m
`)
	if got := strings.Join(rs[0].Kinds, ","); got != "Service,Widget" {
		t.Errorf("kinds %s", got)
	}
	lb := "kind: Service\nmetadata: {name: s}\nspec: {type: LoadBalancer}\n"
	if fs := check(t, rs, object(t, "apiVersion: v1\n"+lb)); len(fs) != 1 {
		t.Errorf("v1 service: %+v", fs)
	}
	if fs := check(t, rs, object(t, "apiVersion: other.io/v1\n"+lb)); len(fs) != 0 {
		t.Errorf("a Service of another group: %+v", fs)
	}
	w := "kind: Widget\nmetadata: {name: w}\nspec: {type: LoadBalancer}\n"
	if fs := check(t, rs, object(t, "apiVersion: example.com/v2\n"+w)); len(fs) != 1 {
		t.Errorf("widget: %+v", fs)
	}
	if fs := check(t, rs, object(t, "apiVersion: example.org/v2\n"+w)); len(fs) != 0 {
		t.Errorf("widget of another group: %+v", fs)
	}
}

func TestRuntimeError(t *testing.T) {
	rs := compile(t, acme)
	// A Deployment has no spec.containers: not a pass, a finding that says so.
	dep := object(t, "apiVersion: apps/v1\nkind: Pod\nmetadata: {name: d}\nspec: {template: {}}\n")
	fs := check(t, rs, dep)
	if len(fs) != 1 || fs[0].Severity != finding.High || fs[0].Message != "the rule could not be evaluated on this object: no such key: containers" {
		t.Errorf("got %+v", fs)
	}
}

func TestCostLimit(t *testing.T) {
	rs := compile(t, `
- id: COST-1
  title: Unique names, quadratically
  severity: low
  match: {kinds: [ConfigMap]}
  expression: "object.data.all(a, object.data.all(b, a == b || object.data[a] != object.data[b]))"
  rationale: r
  remediation: m
`)
	var b strings.Builder
	b.WriteString("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata:\n")
	for i := range 3000 {
		fmt.Fprintf(&b, "  k%d: v%d\n", i, i)
	}
	fs := check(t, rs, object(t, b.String()))
	if len(fs) != 1 || !strings.Contains(fs[0].Message, "exceeded the API server's cost limit per expression (1000000)") {
		t.Fatalf("got %+v", fs)
	}
	// A small object is evaluated.
	if fs := check(t, rs, object(t, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: s}\ndata: {a: x, b: y}\n")); len(fs) != 0 {
		t.Errorf("small: %+v", fs)
	}
}

func TestObjectBudget(t *testing.T) {
	// The custom rules share one budget per object: past it, a rule reports that it
	// could not be evaluated (the API server's "out of cost budget").
	rs := compile(t, `
- id: SPEND-1
  title: spend
  severity: low
  match: {kinds: [ConfigMap]}
  expression: "object.data.all(k, object.data[k] != '')"
  rationale: r
  remediation: m
`)
	o := object(t, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: x, b: y, c: z}\n")
	memo := &rules.Memo{}
	var fs []finding.Finding
	p := rules.NewPass(rs[0], o, nil, nil, rules.Hooks{Report: func(f finding.Finding) { fs = append(fs, f) }, Memo: memo})
	state(&p).budget = 5
	rs[0].Object(&p, o)
	if len(fs) != 1 || !strings.Contains(fs[0].Message, "ran out of the CEL cost budget of one object (10000000") {
		t.Fatalf("got %+v", fs)
	}
	// Exhausted: the next evaluation does not run.
	if st := state(&p); st.budget >= 0 {
		t.Errorf("budget %d", st.budget)
	}
	rs[0].Object(&p, o)
	if len(fs) != 2 {
		t.Errorf("got %+v", fs)
	}
	// A fresh object has the whole budget.
	if got := check(t, rs, o); len(got) != 0 {
		t.Errorf("fresh: %+v", got)
	}
}

func TestSecretMessages(t *testing.T) {
	rs := compile(t, `
- id: SEC-1
  title: s
  severity: low
  match: {kinds: [Secret]}
  expression: "object.data.token == 'eA=='"
  messageExpression: "'token is ' + object.data.token"
  message: bad token
  rationale: r
  remediation: m
- id: SEC-2
  title: s
  severity: low
  match: {kinds: [Secret]}
  expression: "url(object.data.token).getHost() == 'x'"
  rationale: r
  remediation: m
`)
	fs := check(t, rs, object(t, "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {token: c2VjcmV0}\n"))
	if len(fs) != 2 {
		t.Fatalf("got %+v", fs)
	}
	for _, f := range fs {
		if strings.Contains(f.Message, "c2VjcmV0") {
			t.Errorf("a Secret's data in a message: %q", f.Message)
		}
	}
}

func TestLibraries(t *testing.T) {
	// The Kubernetes libraries of the API server's environment.
	for _, e := range []string{
		"quantity('1Gi').isGreaterThan(quantity('1Mi'))",
		"isIP('10.0.0.1') && cidr('10.0.0.0/8').containsIP(ip('10.0.0.1'))",
		"url('https://a.io/x').getHost() == 'a.io'",
		"'abc'.matches('^a') && 'a,b'.split(',').size() == 2",
		"[1, 2, 3].isSorted() && [3, 1].sum() == 4",
		"format.dns1123Label().validate('ok').hasValue() == false",
		"semver('1.2.3').isLessThan(semver('1.10.0'))",
		"sets.contains([1, 2], [1])",
		"object.?metadata.?labels.orValue({}).size() >= 0",
	} {
		rs := compile(t, fmt.Sprintf("- {id: L-1, title: t, severity: low, match: {kinds: [Pod]}, rationale: r, remediation: m, expression: %q}", e))
		if fs := check(t, rs, object(t, goodPod)); len(fs) != 0 {
			t.Errorf("%s: %+v", e, fs)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	const ok = "title: t\n  severity: low\n  match: {kinds: [Pod]}\n  rationale: r\n  remediation: m\n"
	cases := []struct{ text, want string }{
		{"- id: PAL-900\n  expression: 'true'\n  " + ok, "line 1: customRules[PAL-900]: id: \"PAL-900\": the PAL- prefix is reserved"},
		{"- id: pal-1\n  expression: 'true'\n  " + ok, "the PAL- prefix is reserved"},
		{"- id: acme-1\n  expression: 'true'\n  " + ok, "id: \"acme-1\" is not a rule ID"},
		{"- id: ACME\n  expression: 'true'\n  " + ok, "is not a rule ID"},
		{"- id: A-1\n  expression: 'true'\n  " + ok + "- id: A-1\n  expression: 'true'\n  " + ok, "line 8: customRules[A-1]: id: A-1 is defined twice (first at line 1)"},
		{"- id: A-1\n  expression: 'true'\n", "line 1: customRules[A-1]: title: missing"},
		{"- id: A-1\n  expression: 'true'\n  title: t\n  match: {kinds: [Pod]}\n  rationale: r\n  remediation: m\n", "line 1: customRules[A-1]: severity: missing"},
		{"- id: A-1\n  expression: 'true'\n  title: t\n  severity: low\n  rationale: r\n  remediation: m\n", "line 1: customRules[A-1]: match: missing"},
		{"- id: A-1\n  expression: 'true'\n  " + ok + "  frameworks: {cis-1.12: [9.9.9]}\n", "line 8: customRules[A-1]: frameworks.cis-1.12: \"9.9.9\" is not a recommendation"},
		{"- id: A-1\n  expression: 'true'\n  " + ok + "  frameworks: {nsa: [Nothing]}\n", "frameworks.nsa: \"Nothing\" is not a section"},
		{"- id: A-1\n  expression: 'true'\n  " + ok + "  frameworks: {pss: [strict]}\n", "frameworks.pss: want one level"},
		{"- id: A-1\n  expression: 'true'\n  " + ok + "  frameworks: {layer: [sky]}\n", "frameworks.layer: want one 4C layer"},
		{"- id: A-1\n  expression: 'true'\n  " + ok + "  frameworks: {owasp: [x]}\n", "frameworks.owasp: unknown framework"},
		{"- id: A-1\n  expression: 'true'\n  title: t\n  severity: low\n  match: {kinds: [pods]}\n  rationale: r\n  remediation: m\n", "line 5: customRules[A-1]: match.kinds[0]: \"pods\" is not a kind"},
		{"- id: A-1\n  " + ok + "  expression: 'object.spec.('\n", "line 7: customRules[A-1]: expression: column 13: Syntax error"},
		{"- id: A-1\n  " + ok + "  expression: 'object.metadata.name'\n", "line 7: customRules[A-1]: expression: must evaluate to bool, not dyn"},
		{"- id: A-1\n  " + ok + "  expression: '1 + 1'\n", "expression: must evaluate to bool, not int"},
		{"- id: A-1\n  " + ok + "  expression: 'nope.x == 1'\n", "expression: column 1: undeclared reference to 'nope'"},
		{"- id: A-1\n  " + ok + "  expression: 'podSpec.hostNetwork == true'\n", "undeclared reference to 'podSpec'"},
		{"- id: A-1\n  " + ok + "  expression: 'true'\n  messageExpression: '1'\n", "line 8: customRules[A-1]: messageExpression: must evaluate to string, not int"},
		{"- id: A-1\n  " + ok + "  expression: \"'a'.matches('[')\"\n", "expression:"},
		{"- id: A-1\n  " + ok + "  expression: 'true'\n  references: [ftp://x]\n", "references[0]: \"ftp://x\" is not an http(s) URL"},
		{"- id: A-1\n  " + ok + "  expression: '" + strings.Repeat(" ", MaxExpressionLength) + "true'\n", "more than the limit of 16384"},
		{"- id: A-1\n  " + ok + "  expression: '" + literalCube() + "'\n", "exceeds the API server's per-expression limit of 1000000 on every object"},
	}
	for _, c := range cases {
		_, err := Compile(parse(t, c.text))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s\ngot  %v\nwant %s", c.text, err, c.want)
		}
	}
}

// literalCube is an expression that iterates more than the per-call limit on any
// input: three nested comprehensions over a literal list of 120 items.
func literalCube() string {
	var l []string
	for i := range 120 {
		l = append(l, fmt.Sprint(i))
	}
	list := "[" + strings.Join(l, ",") + "]"
	return list + ".map(a, " + list + ".map(b, " + list + ".map(c, a + b + c))).size() > 0"
}

func TestClashWithRegistered(t *testing.T) {
	// IDs of the registry are upper-case PAL- IDs; the check also covers any other.
	_, err := Compile(parse(t, "- {id: PAL-001, title: t, severity: low, match: {kinds: [Pod]}, rationale: r, remediation: m, expression: 'true'}"))
	if err == nil {
		t.Fatal("PAL-001 accepted")
	}
}

// BenchmarkCustomRule evaluates compiled rules on one object as the engine does
// (a fresh memo per object): the rule on a Pod, and a pod template rule on a
// Deployment (its pod spec converted once).
func BenchmarkCustomRule(b *testing.B) {
	wl := compile(b, `
- id: ACME-002
  title: t
  severity: medium
  match: {workloads: true}
  expression: "has(podMetadata.labels) && 'team' in podMetadata.labels && podSpec.containers.all(c, c.image.startsWith('registry.acme.io/'))"
  rationale: r
  remediation: m
`)
	dep := object(b, "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n    metadata: {labels: {team: a}}\n    spec:\n      containers: [{name: a, image: registry.acme.io/a:1}, {name: b, image: docker.io/b:1}]\n")
	w, err := workload.NewFinder(nil).From(dep)
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		r    *rules.Rule
		o    *inventory.Object
		run  func(r *rules.Rule, p *rules.Pass, o *inventory.Object)
	}{
		{"object", compile(b, acme)[0], object(b, badPod), func(r *rules.Rule, p *rules.Pass, o *inventory.Object) { r.Object(p, o) }},
		{"workload", wl[0], dep, func(r *rules.Rule, p *rules.Pass, _ *inventory.Object) { r.Workload(p, w) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			n := 0
			h := rules.Hooks{Report: func(finding.Finding) { n++ }}
			b.ReportAllocs()
			for b.Loop() {
				h.Memo = &rules.Memo{}
				p := rules.NewPass(c.r, c.o, nil, nil, h)
				c.run(c.r, &p, c.o)
			}
			if n == 0 {
				b.Fatal("no finding")
			}
		})
	}
}

func BenchmarkCompile(b *testing.B) {
	specs := parse(b, acme)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compile(specs); err != nil {
			b.Fatal(err)
		}
	}
}

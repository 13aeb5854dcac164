package audit

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/palisade-k8s/palisade/internal/auditlog"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/rbac"
	"github.com/palisade-k8s/palisade/internal/rules"
)

// recorder is a test detector: it records the events it is given and reports on
// those whose verb is "report".
type recorder struct {
	seen *[]string
}

func (r recorder) Event(c *Context) {
	ev := c.Event()
	*r.seen = append(*r.seen, c.Rule().ID+" "+ev.Verb+" "+ev.Resource())
	if ev.Verb == "report" || ev.Verb == "create" && ev.ObjectRef != nil && ev.ObjectRef.Subresource == "exec" {
		c.Reportf(nil, "seen %s", ev.Resource())
	}
}

var testSeen []string

// testRule registers (once) a detection of these needs under id.
func testRule(id string, needs ...Need) *rules.Rule {
	if d, ok := Detection(id); ok {
		return d.Rule
	}
	r := &rules.Rule{
		Meta: rules.Meta{
			ID: id, Title: "test " + id, Severity: finding.Medium, Category: "audit",
			Rationale: "test", Remediation: "test",
			Params:     []rules.Param{{Name: "threshold", Default: "5", Description: "test"}},
			Frameworks: rules.Frameworks{MITRE: []string{"T1609"}, Layer: "cluster"},
		},
		Targets: rules.Audit,
	}
	Register(r, needs, func(*Setup) Detector { return recorder{seen: &testSeen} })
	return r
}

var (
	ruleExec     = testRule("TEST-001", Need{Verbs: []string{"create"}, Resources: []string{"pods/exec"}})
	rulePods     = testRule("TEST-002", Need{Verbs: []string{"create"}, Resources: []string{"pods"}})
	rulePodsSub  = testRule("TEST-003", Need{Resources: []string{"pods/*"}})
	ruleAll      = testRule("TEST-004", Need{Resources: []string{"*"}})
	ruleNonRes   = testRule("TEST-005", Need{NonResource: true})
	ruleBindings = testRule("TEST-006", Need{APIGroup: "rbac.authorization.k8s.io", Resources: []string{"clusterrolebindings", "rolebindings"}})
)

func event(t testing.TB, line string) *auditlog.Event {
	t.Helper()
	ev, err := auditlog.Decode([]byte(line), auditlog.Location{File: "audit.log", Line: 1})
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// ev builds an event line: verb, resource ("pods/exec"), namespace/name, user.
func evLine(verb, resource, ns, name, user string, extra string) string {
	res, sub, _ := strings.Cut(resource, "/")
	ref := ""
	if resource != "" {
		ref = fmt.Sprintf(`,"objectRef":{"resource":%q,"subresource":%q,"namespace":%q,"name":%q,"apiVersion":"v1"}`, res, sub, ns, name)
	}
	code := 200
	if verb == "create" {
		code = 201
	}
	return fmt.Sprintf(`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","auditID":"x","stage":"ResponseComplete","requestURI":"/api/v1/x","verb":%q,"user":{"username":%q,"groups":["system:authenticated"]},"sourceIPs":["10.0.0.9"]%s,"responseStatus":{"code":%d},"requestReceivedTimestamp":"2026-12-01T10:00:00Z","stageTimestamp":"2026-12-01T10:00:00Z"%s}`,
		verb, user, ref, code, extra)
}

func newTest(t testing.TB, opts Options) (*Engine, *[]finding.Finding) {
	t.Helper()
	var fs []finding.Finding
	if opts.Rules == nil {
		opts.Rules = []*rules.Rule{ruleExec, rulePods, rulePodsSub, ruleAll, ruleNonRes, ruleBindings}
	}
	opts.Report = func(f finding.Finding) { fs = append(fs, f) }
	e, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return e, &fs
}

func TestDispatchByNeeds(t *testing.T) {
	e, _ := newTest(t, Options{})
	cases := []struct {
		line string
		want []string
	}{
		{evLine("create", "pods/exec", "default", "web", "alice", ""), []string{"TEST-001", "TEST-003", "TEST-004"}},
		{evLine("create", "pods", "default", "web", "alice", ""), []string{"TEST-002", "TEST-004"}},
		{evLine("patch", "pods/status", "default", "web", "alice", ""), []string{"TEST-003", "TEST-004"}},
		{evLine("update", "leases", "kube-system", "x", "kcm", ""), []string{"TEST-004"}},
		{evLine("create", "clusterrolebindings", "", "b", "alice", ""), []string{"TEST-004", "TEST-006"}},
		{evLine("get", "", "", "", "alice", ""), []string{"TEST-004", "TEST-005"}},
	}
	for _, tc := range cases {
		testSeen = nil
		e.Process(event(t, tc.line))
		var got []string
		for _, s := range testSeen {
			got = append(got, strings.Fields(s)[0])
		}
		if strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("%s: detectors %v, want %v", tc.line[:80], got, tc.want)
		}
	}
	if s := e.Stats(); s.Events != len(cases) || s.Dispatched != 12 {
		t.Errorf("stats %+v, want %d events, 12 dispatched", s, len(cases))
	}
	// Without a detector of every event, a lease update reaches none.
	e2, _ := newTest(t, Options{Rules: []*rules.Rule{ruleExec, rulePods}})
	testSeen = nil
	e2.Process(event(t, evLine("update", "leases", "kube-system", "x", "kcm", "")))
	if len(testSeen) != 0 || e2.Stats().Dispatched != 0 {
		t.Errorf("a lease update reached %v", testSeen)
	}
}

const privilegedPod = `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web","namespace":"default"},"spec":{"serviceAccountName":"app","containers":[{"name":"c","image":"x","securityContext":{"privileged":true}}]}}`
const plainPod = `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web","namespace":"default"},"spec":{"containers":[{"name":"c","image":"x"}]}}`

func TestStatePods(t *testing.T) {
	e, _ := newTest(t, Options{})
	c := &Context{e: e}
	obj := func() *Object {
		o, ok := c.Object("pods", "default", "web")
		if !ok {
			t.Fatal("pod default/web not remembered")
		}
		return o
	}
	// The response is the stored pod (admission may have changed the request).
	e.Process(event(t, evLine("create", "pods", "default", "web", "alice", `,"requestObject":`+plainPod+`,"responseObject":`+privilegedPod)))
	if o := obj(); o.Pod == nil || !o.Pod.Privileged || !o.Pod.Spec || o.Pod.ServiceAccount != "app" || o.Created == nil || o.Created.RequestObject != nil {
		t.Fatalf("pod after create: %+v %+v", o, o.Pod)
	}
	// The kubelet's status patch gives the IPs.
	e.Process(event(t, evLine("patch", "pods/status", "default", "web", "system:node:n1", `,"requestObject":{"status":{"podIP":"10.1.0.7","podIPs":[{"ip":"10.1.0.7"},{"ip":"fd00::7"}]}}`)))
	if o := obj(); strings.Join(o.Pod.IPs, ",") != "10.1.0.7,fd00::7" || !o.Pod.Privileged || o.Created == nil {
		t.Fatalf("pod after status patch: %+v", o.Pod)
	}
	// The scheduler's binding gives the node.
	e.Process(event(t, evLine("create", "pods/binding", "default", "web", "system:kube-scheduler", `,"requestObject":{"kind":"Binding","apiVersion":"v1","target":{"kind":"Node","name":"n1"}}`)))
	if o := obj(); o.Pod.Node != "n1" || len(o.Pod.IPs) != 2 {
		t.Fatalf("pod after binding: %+v", o.Pod)
	}
	// A patch without a response keeps the facts.
	e.Process(event(t, evLine("patch", "pods", "default", "web", "alice", `,"requestObject":{"metadata":{"labels":{"a":"b"}}}`)))
	if o := obj(); !o.Pod.Privileged || o.Pod.Node != "n1" {
		t.Fatalf("pod after patch: %+v", o.Pod)
	}
	// An ephemeral container changes its facts.
	eph := strings.Replace(plainPod, `"containers"`, `"hostPID":true,"containers"`, 1)
	e.Process(event(t, evLine("patch", "pods/ephemeralcontainers", "default", "web", "alice", `,"responseObject":`+eph)))
	if o := obj(); !o.Pod.HostPID || len(o.Pod.IPs) != 2 {
		t.Fatalf("pod after ephemeral containers: %+v", o.Pod)
	}
	// A status patch of a pod the engine never saw: IPs only, spec unknown.
	e.Process(event(t, evLine("patch", "pods/status", "default", "other", "system:node:n1", `,"requestObject":{"status":{"podIPs":[{"ip":"10.1.0.8"}]}}`)))
	if o, ok := c.Object("pods", "default", "other"); !ok || o.Pod.Spec || o.Pod.IPs[0] != "10.1.0.8" {
		t.Fatalf("unknown pod after status patch: %+v", o)
	}
	// A failed delete keeps it, a delete forgets it.
	failed := strings.Replace(evLine("delete", "pods", "default", "web", "alice", ""), `"code":200`, `"code":403`, 1)
	e.Process(event(t, failed))
	obj()
	e.Process(event(t, evLine("delete", "pods", "default", "web", "alice", "")))
	if _, ok := c.Object("pods", "default", "web"); ok {
		t.Fatal("deleted pod still remembered")
	}
}

func TestStateDetectorsSeeStateBeforeEvent(t *testing.T) {
	e, _ := newTest(t, Options{})
	var seen []bool
	d := &probe{f: func(c *Context) {
		_, ok := c.Object("pods", "default", "web")
		seen = append(seen, ok)
	}}
	e.dets = append(e.dets, runDetector{rule: rulePods, det: d})
	e.route = newDispatch([][]Need{nil, nil, nil, nil, nil, nil, {{Resources: []string{"pods"}}}})
	e.Process(event(t, evLine("create", "pods", "default", "web", "alice", `,"requestObject":`+plainPod)))
	e.Process(event(t, evLine("get", "pods", "default", "web", "alice", "")))
	if fmt.Sprint(seen) != "[false true]" {
		t.Errorf("detector saw the pod %v, want [false true]", seen)
	}
}

type probe struct{ f func(*Context) }

func (p *probe) Event(c *Context) { p.f(c) }

func TestStateServiceAccountsBindingsAndEphemeral(t *testing.T) {
	e, _ := newTest(t, Options{})
	c := &Context{e: e}
	e.Process(event(t, evLine("create", "serviceaccounts", "kube-system", "evil", "alice", "")))
	if o, ok := c.Object("serviceaccounts", "kube-system", "evil"); !ok || o.Ref.Kind != "ServiceAccount" {
		t.Errorf("service account not remembered: %+v", o)
	}
	crb := `{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRoleBinding","metadata":{"name":"pwn"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"cluster-admin"},"subjects":[{"kind":"ServiceAccount","name":"evil","namespace":"kube-system"},{"kind":"User","name":"mallory"}]}`
	line := strings.Replace(evLine("create", "clusterrolebindings", "", "", "alice", `,"requestObject":`+crb), `"apiVersion":"v1"}`, `"apiGroup":"rbac.authorization.k8s.io","apiVersion":"v1"}`, 1)
	e.Process(event(t, line))
	o, ok := c.Object("clusterrolebindings", "", "pwn")
	if !ok || o.Binding == nil || o.Binding.RoleName != "cluster-admin" || strings.Join(o.Binding.Subjects, ",") != "sa:kube-system:evil,user:mallory" {
		t.Errorf("binding: %+v", o)
	}
	e.Process(event(t, evLine("update", "leases", "kube-system", "kcm", "kcm", "")))
	e.Process(event(t, evLine("create", "events", "default", "e1", "kcm", "")))
	if _, ok := c.Object("leases", "kube-system", "kcm"); ok {
		t.Error("a lease is remembered")
	}
	// Secrets: remembered by name, their bodies never read.
	e.Process(event(t, evLine("create", "secrets", "default", "", "alice", `,"requestObject":{"metadata":{"name":"s"},"data":{"k":"c2VjcmV0"}}`)))
	if _, ok := c.Object("secrets", "default", "s"); ok {
		t.Error("the engine read a Secret's body for its name")
	}
}

func TestStateBounded(t *testing.T) {
	e, _ := newTest(t, Options{Limits: Limits{MaxObjects: 2}})
	for _, n := range []string{"a", "b", "c"} {
		e.Process(event(t, evLine("create", "serviceaccounts", "default", n, "alice", "")))
	}
	c := &Context{e: e}
	if _, ok := c.Object("serviceaccounts", "default", "a"); ok {
		t.Error("the oldest object is still remembered past MaxObjects")
	}
	if s := e.Stats(); s.Objects != 2 || s.ObjectsEvicted != 1 {
		t.Errorf("stats %+v", s)
	}
}

func TestInitialState(t *testing.T) {
	var body map[string]any
	if err := json.Unmarshal([]byte(strings.Replace(privilegedPod, `"spec"`, `"status":{"podIPs":[{"ip":"10.2.0.1"}]},"spec"`, 1)), &body); err != nil {
		t.Fatal(err)
	}
	pod := &inventory.Object{Ref: finding.ObjectRef{APIVersion: "v1", Kind: "Pod", Namespace: "default", Name: "web"}, Body: body, Origin: finding.Location{File: "pods.yaml", Line: 3}}
	e, fs := newTest(t, Options{Initial: []*inventory.Object{pod}, Rules: []*rules.Rule{ruleExec}})
	c := &Context{e: e}
	o, ok := c.Object("pods", "default", "web")
	if !ok || !o.Pod.Privileged || o.Origin.File != "pods.yaml" || o.Created != nil || o.Pod.IPs[0] != "10.2.0.1" {
		t.Fatalf("initial pod: %+v", o)
	}
	e.Process(event(t, evLine("create", "pods/exec", "default", "web", "alice", "")))
	if len(*fs) != 1 {
		t.Fatalf("findings %d", len(*fs))
	}
}

func TestParamsDefaultsAndSuppress(t *testing.T) {
	given := map[string]any{"other": "x"}
	var setup *Setup
	r := testRule("TEST-007", Need{Resources: []string{"pods/exec"}})
	reg := detections[r.ID]
	reg.Factory = func(s *Setup) Detector { setup = s; return recorder{seen: &testSeen} }
	detections[r.ID] = reg
	e, fs := newTest(t, Options{
		Rules:    []*rules.Rule{r},
		Params:   func(string) map[string]any { return given },
		Suppress: func(f *finding.Finding) { f.Suppressed = &finding.Suppression{Kind: "config", Reason: "known"} },
	})
	if setup.String("threshold") != "5" || setup.String("other") != "x" || len(given) != 1 {
		t.Errorf("params %v (given %v)", setup.Params, given)
	}
	e.Process(event(t, evLine("create", "pods/exec", "default", "web", "alice", "")))
	if len(*fs) != 1 || (*fs)[0].Suppressed == nil || e.Stats().Findings["TEST-007"] != 1 {
		t.Errorf("findings %+v", *fs)
	}
}

func TestReportEvidence(t *testing.T) {
	e, fs := newTest(t, Options{Rules: []*rules.Rule{ruleExec}})
	imp := strings.Replace(evLine("create", "pods/exec", "default", "web", "alice", `,"impersonatedUser":{"username":"system:serviceaccount:kube-system:admin","groups":["system:serviceaccounts"]}`), `"sourceIPs":["10.0.0.9"]`, `"sourceIPs":["10.0.0.9","192.168.1.1"]`, 1)
	e.Process(event(t, imp))
	f := (*fs)[0]
	a := f.Audit
	if a.Actor.User != "system:serviceaccount:kube-system:admin" || a.Impersonator == nil || a.Impersonator.User != "alice" ||
		strings.Join(a.SourceIPs, ",") != "10.0.0.9,192.168.1.1" || len(a.Events) != 1 || a.Events[0].File != "audit.log" || a.Events[0].Line != 1 ||
		a.Events[0].Object != "pods/exec default/web" || f.Location.Provenance != finding.FromAudit || f.Object.Kind != "Pod" {
		t.Errorf("evidence %+v / %+v", f, a)
	}
}

// rbacObjects: alice is cluster-admin through her group devs; bob can delete events;
// ci can create pods in kube-system (cd) or in apps (ci).
func rbacObjects() []*inventory.Object {
	role := func(kind, ns, name string, rules ...map[string]any) *inventory.Object {
		rs := make([]any, len(rules))
		for i, r := range rules {
			rs[i] = r
		}
		return &inventory.Object{Ref: finding.ObjectRef{APIVersion: "rbac.authorization.k8s.io/v1", Kind: kind, Namespace: ns, Name: name},
			Body: map[string]any{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind, "metadata": map[string]any{"name": name, "namespace": ns}, "rules": rs}}
	}
	bind := func(kind, ns, name, roleKind, roleName, subKind, subName string) *inventory.Object {
		sub := map[string]any{"kind": subKind, "name": subName, "apiGroup": "rbac.authorization.k8s.io"}
		if subKind == "ServiceAccount" {
			sub = map[string]any{"kind": subKind, "name": subName, "namespace": ns}
		}
		return &inventory.Object{Ref: finding.ObjectRef{APIVersion: "rbac.authorization.k8s.io/v1", Kind: kind, Namespace: ns, Name: name},
			Body: map[string]any{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind, "metadata": map[string]any{"name": name, "namespace": ns},
				"roleRef":  map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": roleKind, "name": roleName},
				"subjects": []any{sub}}}
	}
	rule := func(groups, resources, verbs []any) map[string]any {
		return map[string]any{"apiGroups": groups, "resources": resources, "verbs": verbs}
	}
	return []*inventory.Object{
		role("ClusterRole", "", "all", rule([]any{"*"}, []any{"*"}, []any{"*"})),
		role("ClusterRole", "", "events", rule([]any{""}, []any{"events"}, []any{"delete"})),
		role("ClusterRole", "", "pods", rule([]any{""}, []any{"pods"}, []any{"create"})),
		bind("ClusterRoleBinding", "", "devs", "ClusterRole", "all", "Group", "devs"),
		bind("ClusterRoleBinding", "", "bob", "ClusterRole", "events", "User", "bob"),
		bind("RoleBinding", "kube-system", "cd", "ClusterRole", "pods", "User", "cd"),
		bind("RoleBinding", "apps", "ci", "ClusterRole", "pods", "User", "ci"),
		bind("RoleBinding", "kube-system", "sa", "ClusterRole", "pods", "ServiceAccount", "deployer"),
	}
}

// testClasses are a few of `palisade rbac risks`' classes (internal/checks/identity
// defines them; the engine sees only their IDs).
var testClasses = []rbac.RiskClass{
	{ID: "PAL-330", Needs: []rbac.Need{{Name: "all", Any: []rbac.Probe{{Verb: "*", Group: "*", Resource: "*"}}}}},
	{ID: "PAL-335", Needs: []rbac.Need{{Name: "create pods", Any: []rbac.Probe{{Verb: "create", Resource: "pods"}}}}},
	{ID: "PAL-344", Needs: []rbac.Need{{Name: "delete events", Any: []rbac.Probe{{Verb: "delete", Resource: "events"}}}}},
}

func TestRBACContext(t *testing.T) {
	m, _, err := rbac.Build(rbacObjects(), rbac.Options{})
	if err != nil {
		t.Fatal(err)
	}
	e, fs := newTest(t, Options{Rules: []*rules.Rule{ruleExec}, RBAC: m, Risks: m.AnalyzeRisks(testClasses)})
	cases := []struct {
		user, groups string
		risks        string
		raised       bool
	}{
		{"alice", `"devs","system:authenticated"`, "PAL-330,PAL-335,PAL-344", true},
		{"alice", `"system:authenticated"`, "", false}, // the same user without the group
		{"bob", `"system:authenticated"`, "PAL-344", false},
		{"cd", `"system:authenticated"`, "PAL-335", true},
		{"ci", `"system:authenticated"`, "PAL-335", false},
		{"root", `"system:masters","system:authenticated"`, MastersClass, true},
		{"carol", `"system:authenticated"`, "", false},
		{"system:serviceaccount:kube-system:deployer", `"system:serviceaccounts","system:serviceaccounts:kube-system","system:authenticated"`, "PAL-335", true},
	}
	for i, tc := range cases {
		line := strings.Replace(evLine("create", "pods/exec", "default", "web", tc.user, ""), `"groups":["system:authenticated"]`, `"groups":[`+tc.groups+`]`, 1)
		e.Process(event(t, line))
		f := (*fs)[i]
		want := finding.Medium
		if tc.raised {
			want = finding.High
		}
		if strings.Join(f.Audit.Risks, ",") != tc.risks || f.Audit.Raised != tc.raised || f.Severity != want {
			t.Errorf("%s %s: risks %v raised %v severity %s, want %q %v %s", tc.user, tc.groups, f.Audit.Risks, f.Audit.Raised, f.Severity, tc.risks, tc.raised, want)
		}
	}
	if n := e.identities.Len(); n != len(cases) {
		t.Errorf("%d identities cached, want %d", n, len(cases))
	}
	// Cached: the same identity again is not computed again (the cache's entry is
	// returned as it is).
	before := e.identities.Len()
	e.Process(event(t, strings.Replace(evLine("create", "pods/exec", "default", "web", "bob", ""), "x", "y", 1)))
	if e.identities.Len() != before {
		t.Error("an identity seen before was computed again")
	}
	// Bounded.
	e2, _ := newTest(t, Options{Rules: []*rules.Rule{ruleExec}, RBAC: m, Risks: m.AnalyzeRisks(testClasses), Limits: Limits{MaxIdentities: 2}})
	for _, u := range []string{"a", "b", "c", "d"} {
		e2.Process(event(t, evLine("create", "pods/exec", "default", "web", u, "")))
	}
	if e2.identities.Len() != 2 {
		t.Errorf("%d identities cached, want at most 2", e2.identities.Len())
	}
	// The detector asks too.
	c := &Context{e: e, ev: event(t, strings.Replace(evLine("create", "pods/exec", "default", "web", "alice", ""), `"groups":["system:authenticated"]`, `"groups":["devs"]`, 1))}
	if held, esc := c.Risks(); fmt.Sprint(held, esc) != "[PAL-330 PAL-335 PAL-344] [PAL-330 PAL-335]" {
		t.Errorf("Context.Risks %v %v", held, esc)
	}
}

func TestWindowClock(t *testing.T) {
	e, _ := newTest(t, Options{Rules: []*rules.Rule{ruleExec}})
	e.Process(event(t, strings.Replace(evLine("get", "pods", "a", "b", "u", ""), "2026-12-01T10:00:00Z", "2026-12-01T11:00:00Z", 1)))
	e.Process(event(t, evLine("get", "pods", "a", "b", "u", "")))
	c := &Context{e: e}
	if want := time.Date(2026, 12, 1, 11, 0, 0, 0, time.UTC); !c.Now().Equal(want) {
		t.Errorf("Now %v, want the latest event's time %v", c.Now(), want)
	}
}

// A detection's own severity moves with the rule's configured one.
func TestSeverityRelativeToConfigured(t *testing.T) {
	r := testRule("TEST-008", Need{Resources: []string{"pods/exec"}})
	reg := detections[r.ID]
	reg.Factory = func(*Setup) Detector {
		return &probe{f: func(c *Context) {
			c.Report(Report{Severity: finding.High, HasSeverity: true, Message: "raised"})
			c.Report(Report{Severity: finding.Low, HasSeverity: true, Message: "lowered"})
		}}
	}
	detections[r.ID] = reg
	for _, tc := range []struct {
		configured finding.Severity
		want       string
	}{{finding.Medium, "high,low"}, {finding.Critical, "critical,high"}, {finding.Info, "low,info"}} {
		cp := *r
		cp.Severity = tc.configured
		e, fs := newTest(t, Options{Rules: []*rules.Rule{&cp}})
		e.Process(event(t, evLine("create", "pods/exec", "default", "web", "alice", "")))
		var got []string
		for _, f := range *fs {
			got = append(got, f.Severity.String())
		}
		if strings.Join(got, ",") != tc.want {
			t.Errorf("configured %s: %v, want %s", tc.configured, got, tc.want)
		}
	}
}

// A dry run stores nothing, so the engine remembers nothing of it: a later exec
// into a pod of that name must not be judged against the dry-run body.
func TestStateIgnoresDryRun(t *testing.T) {
	e, _ := newTest(t, Options{})
	c := &Context{e: e}
	line := evLine("create", "pods", "default", "web", "alice", `,"responseObject":`+privilegedPod)
	dry := strings.Replace(line, `"requestURI":"/api/v1/x"`, `"requestURI":"/api/v1/namespaces/default/pods?dryRun=All"`, 1)
	e.Process(event(t, dry))
	if o, ok := c.Object("pods", "default", "web"); ok {
		t.Fatalf("a dry-run pod was remembered: %+v", o)
	}
	e.Process(event(t, line))
	if _, ok := c.Object("pods", "default", "web"); !ok {
		t.Fatal("the stored pod was not remembered")
	}
}

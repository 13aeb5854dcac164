package leastpriv

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/palisade-k8s/palisade/internal/auditlog"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/rbac"
)

var t0 = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

// event builds an allowed, completed request.
func event(user string, groups []string, verb, group, resource, sub, ns, name string) *auditlog.Event {
	ev := &auditlog.Event{
		Level: auditlog.LevelMetadata, AuditID: "a", Stage: auditlog.StageResponseComplete, Verb: verb,
		User:                     auditlog.UserInfo{Username: user, Groups: groups},
		ResponseStatus:           &auditlog.Status{Code: 200},
		RequestReceivedTimestamp: t0, StageTimestamp: t0,
		Annotations: map[string]string{auditlog.AnnotationDecision: "allow"},
	}
	if resource == "" {
		ev.RequestURI = ns // the path
		return ev
	}
	ev.ObjectRef = &auditlog.ObjectRef{APIGroup: group, Resource: resource, Subresource: sub, Namespace: ns, Name: name}
	ev.RequestURI = "/api/v1/" + resource
	return ev
}

func objects(t testing.TB, docs string) []*inventory.Object {
	t.Helper()
	var out []*inventory.Object
	for i, doc := range strings.Split(docs, "\n---\n") {
		if strings.TrimSpace(doc) == "" {
			continue
		}
		var body map[string]any
		if err := yaml.Unmarshal([]byte(doc), &body); err != nil {
			t.Fatalf("document %d: %v", i, err)
		}
		md, _ := body["metadata"].(map[string]any)
		name, _ := md["name"].(string)
		ns, _ := md["namespace"].(string)
		labels := map[string]string{}
		if ls, ok := md["labels"].(map[string]any); ok {
			for k, v := range ls {
				labels[k], _ = v.(string)
			}
		}
		out = append(out, &inventory.Object{
			Ref:  finding.ObjectRef{APIVersion: body["apiVersion"].(string), Kind: body["kind"].(string), Namespace: ns, Name: name},
			Body: body, Labels: labels, Origin: finding.Location{File: "test.yaml", Document: i},
		})
	}
	return out
}

func model(t testing.TB, docs string) *rbac.Model {
	t.Helper()
	m, problems, err := rbac.Build(objects(t, docs), rbac.Options{})
	if err != nil || len(problems) > 0 {
		t.Fatalf("model: %v %v", err, problems)
	}
	return m
}

func TestPermsOf(t *testing.T) {
	for _, tc := range []struct {
		ev   *auditlog.Event
		want []string
	}{
		{event("u", nil, "watch", "", "pods", "", "shop", ""), []string{"watch pods -n shop"}},
		{event("u", nil, "list", "", "pods", "", "shop", ""), []string{"list pods -n shop"}},
		{event("u", nil, "get", "", "pods", "log", "shop", "web"), []string{"get pods/log web -n shop"}},
		// A create names its object in the log; the authorizer was asked without it.
		{event("u", nil, "create", "apps", "deployments", "", "shop", "web"), []string{"create deployments.apps -n shop"}},
		{event("u", nil, "watch", "", "configmaps", "", "shop", "cfg"), []string{"watch configmaps -n shop"}},
		// A WebSocket exec is a GET also authorized as create.
		{event("u", nil, "get", "", "pods", "exec", "shop", "web"), []string{"get pods/exec web -n shop", "create pods/exec web -n shop"}},
		{event("u", nil, "get", "", "nodes", "", "", "n1"), []string{"get nodes n1 (cluster-wide)"}},
		{event("u", nil, "get", "", "", "", "/healthz?verbose=1", ""), []string{"get /healthz"}},
	} {
		var got []string
		for _, p := range PermsOf(tc.ev) {
			got = append(got, p.String())
		}
		if strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("PermsOf(%s %s) = %q, want %q", tc.ev.Verb, tc.ev.Resource(), got, tc.want)
		}
	}
}

func TestCountedAndSubjects(t *testing.T) {
	c := NewCollector(Options{})
	denied := event("alice", nil, "get", "", "secrets", "", "shop", "db")
	denied.Annotations[auditlog.AnnotationDecision] = "forbid"
	denied.ResponseStatus.Code = 403
	received := event("alice", nil, "get", "", "secrets", "", "shop", "db")
	received.Stage = auditlog.StageRequestReceived
	if c.Add(denied) || c.Add(received) {
		t.Fatal("a forbidden request or a RequestReceived event counted as a use")
	}
	sa := event("system:serviceaccount:shop:web", []string{"system:serviceaccounts", "system:serviceaccounts:shop", "system:authenticated"}, "get", "", "configmaps", "", "shop", "cfg")
	imp := event("admin", []string{"system:authenticated"}, "list", "", "pods", "", "shop", "")
	imp.ImpersonatedUser = &auditlog.UserInfo{Username: "bob", Groups: []string{"devs", "system:authenticated"}}
	if !c.Add(sa) || !c.Add(imp) {
		t.Fatal("allowed requests not counted")
	}
	var got []string
	for _, u := range c.Subjects() {
		for _, p := range u.SortedPerms() {
			got = append(got, u.Subject.String()+" "+p.String())
		}
	}
	want := []string{
		"user:admin impersonate groups devs (cluster-wide)",
		"user:admin impersonate users bob (cluster-wide)",
		"user:bob list pods -n shop",
		"sa:shop:web get configmaps cfg -n shop",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("uses:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestCollectorBounds(t *testing.T) {
	c := NewCollector(Options{MaxSubjects: 1, MaxPerSubject: 2})
	c.Add(event("alice", nil, "get", "", "secrets", "", "shop", "a"))
	c.Add(event("alice", nil, "get", "", "secrets", "", "shop", "b"))
	// Full: the next named use is kept without its name; a new nameless one is dropped.
	c.Add(event("alice", nil, "get", "", "secrets", "", "shop", "c"))
	c.Add(event("alice", nil, "list", "", "secrets", "", "shop", ""))
	c.Add(event("bob", nil, "list", "", "secrets", "", "shop", ""))
	u, _ := c.Usage(rbac.Subject{Kind: rbac.KindUser, Name: "alice"})
	if len(u.Perms) != 2 || u.Dropped != 2 || u.NamesDropped != 0 {
		t.Errorf("perms %d dropped %d namesDropped %d, want 2, 2, 0", len(u.Perms), u.Dropped, u.NamesDropped)
	}
	if c.DroppedSubjects() != 1 {
		t.Errorf("dropped subjects' events = %d, want 1", c.DroppedSubjects())
	}
	c = NewCollector(Options{MaxPerSubject: 2})
	c.Add(event("alice", nil, "get", "", "secrets", "", "shop", ""))
	c.Add(event("alice", nil, "list", "", "pods", "", "shop", ""))
	c.Add(event("alice", nil, "get", "", "secrets", "", "shop", "c"))
	u, _ = c.Usage(rbac.Subject{Kind: rbac.KindUser, Name: "alice"})
	if len(u.Perms) != 2 || u.Dropped != 0 || u.NamesDropped != 1 {
		t.Errorf("perms %d dropped %d namesDropped %d, want 2, 0, 1", len(u.Perms), u.Dropped, u.NamesDropped)
	}
	rep := Analyze(c, nil, nil)
	if !rep.Subjects[0].Truncated {
		t.Error("a subject with names dropped is not marked truncated")
	}
}

const grants = `
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: app, namespace: shop}
rules:
- {apiGroups: [""], resources: [configmaps], verbs: [get, list]}
- {apiGroups: [""], resources: [secrets], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: web-app, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: app}
subjects: [{kind: ServiceAccount, name: web, namespace: shop}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: viewer}
rules:
- {apiGroups: [""], resources: [pods, pods/log], verbs: [get, list, watch]}
- {apiGroups: [""], resources: [nodes], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: devs-viewer}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: viewer}
subjects: [{kind: Group, name: devs, apiGroup: rbac.authorization.k8s.io}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "system:public-info-viewer", labels: {kubernetes.io/bootstrapping: rbac-defaults}}
rules:
- {nonResourceURLs: [/version], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "system:public-info-viewer", labels: {kubernetes.io/bootstrapping: rbac-defaults}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:public-info-viewer"}
subjects: [{kind: Group, name: "system:authenticated", apiGroup: rbac.authorization.k8s.io}]
`

func TestAnalyze(t *testing.T) {
	m := model(t, grants)
	c := NewCollector(Options{})
	sa := []string{"system:serviceaccounts", "system:serviceaccounts:shop", "system:authenticated"}
	c.Add(event("system:serviceaccount:shop:web", sa, "get", "", "configmaps", "", "shop", "cfg"))
	c.Add(event("system:serviceaccount:shop:web", sa, "list", "", "configmaps", "", "shop", ""))
	// A group's grant counts for the member that used it.
	c.Add(event("alice", []string{"devs", "system:authenticated"}, "get", "", "pods", "log", "shop", "web"))
	c.Add(event("alice", []string{"devs", "system:authenticated"}, "get", "", "namespaces", "", "", "shop"))
	c.Add(event("alice", []string{"devs", "system:authenticated"}, "get", "", "", "", "/version", ""))
	rep := Analyze(c, m, nil)
	if len(rep.Subjects) != 2 {
		t.Fatalf("%d subjects, want 2", len(rep.Subjects))
	}
	alice, web := rep.Subjects[0], rep.Subjects[1]
	if alice.Subject.String() != "user:alice" || web.Subject.String() != "sa:shop:web" {
		t.Fatalf("subjects %s, %s", alice.Subject, web.Subject)
	}
	if len(web.Unused) != 1 || web.Unused[0].RuleIndex != 1 || web.Unused[0].Role.Name != "app" {
		t.Errorf("web's unused grants = %+v, want rule 1 of Role app", web.Unused)
	}
	for _, g := range web.Granted {
		if g.Grant.Role.Name == "app" && g.Grant.RuleIndex == 0 && len(g.Covered) != 2 {
			t.Errorf("rule 0 of app covered %v, want both uses", g.Covered)
		}
	}
	if len(alice.Unused) != 1 || alice.Unused[0].RuleIndex != 1 || alice.Unused[0].Binding.Name != "devs-viewer" {
		t.Errorf("alice's unused grants = %+v, want rule 1 (nodes) of viewer through devs-viewer", alice.Unused)
	}
	var reasons []string
	for _, u := range alice.Used {
		if u.Reason != "" {
			reasons = append(reasons, u.Perm.String())
		}
	}
	if strings.Join(reasons, ",") != "get namespaces shop (cluster-wide)" {
		t.Errorf("uses not covered = %q, want the namespaces get", reasons)
	}
	// /version is the bootstrap policy's, for everyone: used, not needed in a role.
	if len(alice.Used) != 3 || len(alice.Needed()) != 2 {
		t.Errorf("alice used %d, needs %d, want 3 and 2 (not /version)", len(alice.Used), len(alice.Needed()))
	}
}

func TestMinimalYAML(t *testing.T) {
	s := rbac.Subject{Kind: rbac.KindServiceAccount, Namespace: "shop", Name: "web"}
	perms := []Perm{
		{Verb: "get", Resource: "configmaps", Namespace: "shop", Name: "cfg"},
		{Verb: "list", Resource: "configmaps", Namespace: "shop", Name: ""},
		{Verb: "watch", Resource: "configmaps", Namespace: "shop"},
		{Verb: "get", Resource: "secrets", Namespace: "shop", Name: "db"},
		{Verb: "update", Resource: "secrets", Namespace: "shop", Name: "db"},
		{Verb: "get", Resource: "pods", Subresource: "log", Namespace: "shop", Name: "web-1"},
		{Verb: "list", APIGroup: "apps", Resource: "deployments", Namespace: "shop"},
		{Verb: "list", APIGroup: "apps", Resource: "replicasets", Namespace: "shop"},
		{Verb: "get", Resource: "nodes", Name: "n1"},
		{Verb: "get", Path: "/healthz"},
		{Verb: "get", Path: "/version"},
	}
	var buf bytes.Buffer
	if err := WriteYAML(&buf, []Roles{Minimal(s, perms, RoleOptions{ResourceNames: true})}); err != nil {
		t.Fatal(err)
	}
	want := `# sa:shop:web
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  labels:
    app.kubernetes.io/managed-by: palisade
  name: palisade-leastpriv-sa-shop-web
rules:
- apiGroups:
  - ""
  resourceNames:
  - n1
  resources:
  - nodes
  verbs:
  - get
- nonResourceURLs:
  - /healthz
  - /version
  verbs:
  - get
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  labels:
    app.kubernetes.io/managed-by: palisade
  name: palisade-leastpriv-sa-shop-web
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: palisade-leastpriv-sa-shop-web
subjects:
- kind: ServiceAccount
  name: web
  namespace: shop
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  labels:
    app.kubernetes.io/managed-by: palisade
  name: palisade-leastpriv-sa-shop-web
  namespace: shop
rules:
- apiGroups:
  - ""
  resources:
  - configmaps
  verbs:
  - list
  - watch
- apiGroups:
  - ""
  resourceNames:
  - cfg
  resources:
  - configmaps
  verbs:
  - get
- apiGroups:
  - ""
  resourceNames:
  - web-1
  resources:
  - pods/log
  verbs:
  - get
- apiGroups:
  - ""
  resourceNames:
  - db
  resources:
  - secrets
  verbs:
  - get
  - update
- apiGroups:
  - apps
  resources:
  - deployments
  - replicasets
  verbs:
  - list
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  labels:
    app.kubernetes.io/managed-by: palisade
  name: palisade-leastpriv-sa-shop-web
  namespace: shop
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: palisade-leastpriv-sa-shop-web
subjects:
- kind: ServiceAccount
  name: web
  namespace: shop
`
	if buf.String() != want {
		t.Errorf("YAML:\n%s\nwant:\n%s", buf.String(), want)
	}
	// Without the flag: no resourceNames, verbs merged per resource.
	r := Minimal(s, perms, RoleOptions{})
	for _, rule := range r.Namespaced["shop"] {
		if len(rule.ResourceNames) > 0 {
			t.Errorf("rule %v has resourceNames without the flag", rule)
		}
	}
	if got := fmt.Sprint(r.Namespaced["shop"][0]); !strings.Contains(got, "[configmaps]") || !strings.Contains(got, "[get list watch]") {
		t.Errorf("first rule = %s, want configmaps get, list, watch", got)
	}
}

func TestName(t *testing.T) {
	for s, want := range map[rbac.Subject]string{
		{Kind: rbac.KindUser, Name: "alice"}:                             "palisade-leastpriv-user-alice",
		{Kind: rbac.KindServiceAccount, Namespace: "ci", Name: "deploy"}: "palisade-leastpriv-sa-ci-deploy",
	} {
		if got := Name(s); got != want {
			t.Errorf("Name(%s) = %s, want %s", s, got, want)
		}
	}
	a, b := Name(rbac.Subject{Kind: rbac.KindUser, Name: "Alice@corp"}), Name(rbac.Subject{Kind: rbac.KindUser, Name: "alice-corp"})
	if a == b || !strings.HasPrefix(a, "palisade-leastpriv-user--lice-corp-") {
		t.Errorf("names of Alice@corp and alice-corp: %s, %s (want distinct, the first with a digest)", a, b)
	}
}

// checkSufficientAndMinimal holds the minimal roles to the model: every use is
// allowed by them alone, and the given requests outside the use are not.
func checkSufficientAndMinimal(t testing.TB, s rbac.Subject, perms []Perm, opts RoleOptions, outside []Perm) {
	t.Helper()
	objs, err := Minimal(s, perms, opts).Inventory()
	if err != nil {
		t.Fatal(err)
	}
	m, problems, err := rbac.Build(objs, rbac.Options{})
	if err != nil || len(problems) > 0 {
		t.Fatalf("minimal roles: %v %v", err, problems)
	}
	u := rbac.UserInfo{Name: s.Username()}
	for _, p := range perms {
		if !m.Authorize(p.Attributes(u)).Allowed {
			t.Errorf("minimal roles of %s do not allow %s", s, p)
		}
	}
	for _, p := range outside {
		if m.Authorize(p.Attributes(u)).Allowed {
			t.Errorf("minimal roles of %s allow %s, which was not used", s, p)
		}
	}
}

func TestMinimalAgainstModel(t *testing.T) {
	s := rbac.Subject{Kind: rbac.KindUser, Name: "alice"}
	perms := []Perm{
		{Verb: "get", Resource: "secrets", Namespace: "a", Name: "x"},
		{Verb: "list", Resource: "pods", Namespace: "b"},
		{Verb: "get", Resource: "pods", Subresource: "log", Namespace: "b", Name: "p"},
		{Verb: "watch", APIGroup: "apps", Resource: "deployments"},
		{Verb: "get", Path: "/metrics"},
	}
	outside := []Perm{
		{Verb: "get", Resource: "secrets", Namespace: "a", Name: "y"},
		{Verb: "list", Resource: "secrets", Namespace: "a"},
		{Verb: "get", Resource: "secrets", Namespace: "b", Name: "x"},
		{Verb: "watch", Resource: "pods", Namespace: "b"},
		{Verb: "get", Resource: "pods", Namespace: "b", Name: "p"},
		{Verb: "list", APIGroup: "apps", Resource: "deployments"},
		{Verb: "get", Path: "/healthz"},
	}
	checkSufficientAndMinimal(t, s, perms, RoleOptions{ResourceNames: true}, outside)
	checkSufficientAndMinimal(t, s, perms, RoleOptions{}, outside[1:])
}

func TestUnusedRisks(t *testing.T) {
	m := model(t, `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: ops}
rules:
- {apiGroups: [""], resources: [pods], verbs: [get, list]}
- {apiGroups: [""], resources: [pods/exec], verbs: [create]}
- {apiGroups: [""], resources: [secrets], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: ci-ops}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: ops}
subjects: [{kind: ServiceAccount, name: deploy, namespace: ci}]
`)
	classes := []rbac.RiskClass{
		{ID: "exec", Needs: []rbac.Need{{Name: "exec", Any: []rbac.Probe{{Verb: "create", Resource: "pods", Subresource: "exec"}}}}},
		{ID: "secrets", Needs: []rbac.Need{{Name: "read secrets", Any: []rbac.Probe{{Verb: "get", Resource: "secrets"}}}}},
	}
	c := NewCollector(Options{})
	sa := []string{"system:serviceaccounts", "system:serviceaccounts:ci", "system:authenticated"}
	c.Add(event("system:serviceaccount:ci:deploy", sa, "get", "", "pods", "", "ci", "web"))
	// It read one secret in ci: reading every secret is still beyond its use.
	c.Add(event("system:serviceaccount:ci:deploy", sa, "get", "", "secrets", "", "ci", "token"))
	c.Add(event("system:serviceaccount:ci:deploy", sa, "create", "", "pods", "exec", "ci", "web"))
	rep := Analyze(c, m, nil)
	got, err := UnusedRisks(m.AnalyzeRisks(classes), classes, &rep.Subjects[0])
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, r := range got {
		texts = append(texts, r.Risk.Class+" "+r.Text())
	}
	want := "exec held cluster-wide, needed only in namespace ci|secrets held cluster-wide, never needed"
	if strings.Join(texts, "|") != want {
		t.Errorf("unused risks = %q, want %q", strings.Join(texts, "|"), want)
	}
}

func TestWriteView(t *testing.T) {
	m := model(t, grants)
	c := NewCollector(Options{})
	c.Add(event("alice", []string{"devs"}, "get", "", "pods", "log", "shop", "web\x1b[31m"))
	c.Add(event("eve\x1b]0;x\x07\u2028", nil, "get", "", "pods", "", "shop", "p\x1b[2J"))
	rep := Analyze(c, m, nil)
	v := View{Report: rep}
	for _, sr := range rep.Subjects {
		v.Roles = append(v.Roles, Minimal(sr.Subject, sr.Perms(), RoleOptions{ResourceNames: true}))
	}
	for _, f := range Formats {
		var buf bytes.Buffer
		if err := WriteView(&buf, v, f); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if strings.ContainsAny(buf.String(), "\x1b\x07\u2028") {
			t.Errorf("%s output carries a raw escape from the log", f)
		}
	}
	var buf bytes.Buffer
	_ = WriteView(&buf, v, "text")
	for _, want := range []string{"user:alice: 1 requests", "get pods/log web", "unused grants:", "ClusterRoleBinding devs-viewer -> ClusterRole viewer, rule 1"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("text output lacks %q:\n%s", want, buf.String())
		}
	}
}

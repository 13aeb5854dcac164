package cli

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// rbac.yaml: ClusterRole secret-reader (get, list secrets) bound in shop to the
// service account shop/app (run by Deployment shop/web) and the group devs, and
// cluster-wide to the user auditor; RoleBinding shop/broken names a missing Role;
// ClusterRole ops aggregates ops-exec (create pods/exec) and is bound to ci/runner,
// which CronJob ci/nightly runs as without a token.

func TestRBACWhoCan(t *testing.T) {
	r := run(t, nil, "rbac", "who-can", "get", "secrets", "db", "-n", "shop", "-f", "@rbac.yaml")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{
		"Who can get secrets named \"db\" in namespace shop",
		"user:auditor\n  ClusterRoleBinding auditors -> ClusterRole secret-reader, rule 0: get,list secrets (cluster-wide)",
		"group:devs\n  RoleBinding shop/app-secrets -> ClusterRole secret-reader",
		"group:system:masters\n  system:masters bypasses RBAC",
		"sa:shop:app\n  RoleBinding shop/app-secrets -> ClusterRole secret-reader, rule 0: get,list secrets (in shop)",
		"workloads running as it (can do it if compromised):\n    Deployment shop/web as app",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
	if !strings.Contains(r.stderr, "note: RoleBinding/shop/broken: references Role shop/missing") {
		t.Errorf("the broken binding is not a note: %q", r.stderr)
	}
	// Cluster-wide (no -n): the RoleBinding does not count.
	r = run(t, nil, "rbac", "who-can", "list", "secret", "-f", "@rbac.yaml", "-o", "json")
	var v struct {
		Scope   string
		Answers []struct {
			Subject struct{ Kind, Name, Namespace string }
			Grants  []struct {
				Binding struct{ Kind, Name string }
				Role    struct{ Name string }
				Source  struct{ Name string }
			}
			Workloads []struct {
				Kind, Name string
				Token      bool
			}
		}
		Problems []struct{ Message string }
	}
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
		t.Fatalf("json: %v\n%s", err, r.stdout)
	}
	if v.Scope != "cluster" || len(v.Answers) != 2 || v.Answers[0].Subject.Name != "auditor" || len(v.Problems) != 1 {
		t.Errorf("cluster-wide list secrets: %+v", v)
	}
	// Aggregation, short names and subresources; the CronJob's pods hold no token.
	r = run(t, nil, "rbac", "who-can", "create", "po/exec", "-A", "-f", "@rbac.yaml", "-o", "json")
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
		t.Fatalf("json: %v\n%s", err, r.stdout)
	}
	if len(v.Answers) != 2 || v.Answers[1].Subject.Name != "runner" {
		t.Fatalf("create pods/exec: %+v", v.Answers)
	}
	a := v.Answers[1]
	if g := a.Grants; len(g) != 1 || g[0].Role.Name != "ops" || g[0].Source.Name != "ops-exec" {
		t.Errorf("runner's chain: %+v", g)
	}
	if w := a.Workloads; len(w) != 1 || w[0].Name != "nightly" || w[0].Token {
		t.Errorf("runner's workloads: %+v", w)
	}
	// -A: one section per namespace, cluster-wide grants first.
	r = run(t, nil, "rbac", "who-can", "get", "secrets", "-A", "-f", "@rbac.yaml")
	for _, want := range []string{"== cluster-wide (in every namespace) ==\n\nuser:auditor\n", "== in namespace shop ==\n\ngroup:devs\n"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("-A output lacks %q:\n%s", want, r.stdout)
		}
	}
	// pods alone does not cover pods/exec.
	r = run(t, nil, "rbac", "who-can", "get", "pods", "-A", "-f", "@rbac.yaml")
	if strings.Contains(r.stdout, "runner") {
		t.Errorf("pods/exec must not grant pods:\n%s", r.stdout)
	}
	r = run(t, nil, "rbac", "who-can", "list", "secrets", "-A", "-f", "@rbac.yaml", "-o", "dot")
	for _, want := range []string{"digraph whocan {", `"subject:sa:shop:app" -> "binding:RoleBinding/shop/app-secrets";`,
		`"binding:RoleBinding/shop/app-secrets" -> "role:ClusterRole/secret-reader";`, `"workload:Deployment/shop/web" -> "subject:sa:shop:app" [label="runs as"];`} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("dot lacks %q:\n%s", want, r.stdout)
		}
	}
}

func TestRBACCan(t *testing.T) {
	r := run(t, nil, "rbac", "can", "sa:shop:app", "get", "secrets", "-n", "shop", "-f", "@rbac.yaml")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "yes\n") || !strings.Contains(r.stdout, "RoleBinding shop/app-secrets -> ClusterRole secret-reader") {
		t.Errorf("exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = run(t, nil, "rbac", "can", "sa:shop:app", "get", "secrets", "-n", "other", "-f", "@rbac.yaml")
	if r.code != ExitFindings || !strings.HasPrefix(r.stdout, "no\n") || !strings.Contains(r.stdout, "no RBAC rule allows it") {
		t.Errorf("exit %d:\n%s", r.code, r.stdout)
	}
	r = run(t, nil, "rbac", "can", "user:carol", "--group", "devs", "list", "secrets", "-n", "shop", "-f", "@rbac.yaml", "-o", "json")
	var d struct{ Decision struct{ Allowed bool } }
	if err := json.Unmarshal([]byte(r.stdout), &d); err != nil || r.code != 0 || !d.Decision.Allowed {
		t.Errorf("carol in devs: exit %d, %v:\n%s", r.code, err, r.stdout)
	}
	r = run(t, nil, "rbac", "can", "user:root", "--group", "system:masters", "delete", "nodes", "-f", "@rbac.yaml")
	if r.code != 0 || !strings.Contains(r.stdout, "system:masters bypasses RBAC") {
		t.Errorf("masters: exit %d:\n%s", r.code, r.stdout)
	}
	// The rules table: every namespace without -n.
	r = run(t, nil, "rbac", "can", "sa:ci:runner", "-f", "@rbac.yaml")
	out := strings.Join(strings.Fields(r.stdout), " ")
	if r.code != 0 || !strings.Contains(out, "* create pods/exec - ClusterRoleBinding ops -> ClusterRole ops (from ClusterRole ops-exec)") {
		t.Errorf("runner's rules: exit %d:\n%s", r.code, r.stdout)
	}
	r = run(t, nil, "rbac", "can", "user:auditor", "-n", "shop", "-f", "@rbac.yaml", "-o", "json")
	var rv struct {
		Rules []struct{ Rule struct{ Verbs []string } }
	}
	if err := json.Unmarshal([]byte(r.stdout), &rv); err != nil || len(rv.Rules) != 1 {
		t.Errorf("auditor's rules: %v:\n%s", err, r.stdout)
	}
}

func TestRBACUsageAndInputErrors(t *testing.T) {
	for _, args := range [][]string{
		{"rbac", "who-can", "-f", "@rbac.yaml"},
		{"rbac", "who-can", "get", "-f", "@rbac.yaml"},
		{"rbac", "who-can", "get", "pods", "-n", "a", "-A", "-f", "@rbac.yaml"},
		{"rbac", "who-can", "get", "pods", "--non-resource-url", "/x", "-f", "@rbac.yaml"},
		{"rbac", "who-can", "get", "pods", "-o", "yaml", "-f", "@rbac.yaml"},
		{"rbac", "can", "alice", "-f", "@rbac.yaml"},
		{"rbac", "can", "-f", "@rbac.yaml"},
		{"rbac", "who-can", "get", "pods", "--kubeconfig", filepath.Join(t.TempDir(), "missing")},
	} {
		if r := run(t, nil, args...); r.code != ExitUsage {
			t.Errorf("%v: exit %d, want %d (stderr %q)", args, r.code, ExitUsage, r.stderr)
		}
	}
	// Unreadable input: exit 3, still answering from the rest.
	r := run(t, nil, "rbac", "who-can", "get", "secrets", "-n", "shop", "-f", "@rbac.yaml", "-f", "@malformed.yaml")
	if r.code != ExitInputErrors || !strings.Contains(r.stdout, "sa:shop:app") || !strings.Contains(r.stderr, "input error") {
		t.Errorf("exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	// A cluster-scoped resource is asked cluster-wide; unknown resources are noted.
	r = run(t, nil, "rbac", "who-can", "get", "nodes", "-n", "shop", "-f", "@rbac.yaml")
	if r.code != 0 || !strings.Contains(r.stderr, "cluster-scoped") || !strings.Contains(r.stdout, "cluster-wide") {
		t.Errorf("nodes -n: exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = run(t, nil, "rbac", "who-can", "get", "nodes", "-A", "-f", "@rbac.yaml")
	if r.code != 0 || !strings.Contains(r.stderr, "cluster-scoped") || !strings.Contains(r.stdout, "cluster-wide (ClusterRoleBindings only") {
		t.Errorf("nodes -A: exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = run(t, nil, "rbac", "who-can", "get", "widgets", "-f", "@rbac.yaml")
	if r.code != 0 || !strings.Contains(r.stderr, "not a built-in resource") {
		t.Errorf("widgets: exit %d:\n%s", r.code, r.stderr)
	}
}

func TestRBACRisks(t *testing.T) {
	// shop/app and devs read secrets in shop (medium); auditor cluster-wide (critical);
	// ci/runner can exec into pods everywhere through the aggregated ops role, but its
	// CronJob's pods hold no token; Deployment shop/web runs with app's token.
	r := run(t, nil, "rbac", "risks", "-f", "@rbac.yaml")
	if r.code != ExitFindings {
		t.Fatalf("exit %d: %s%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{
		"CRITICAL PAL-334",
		"User auditor can read secrets cluster-wide (get secrets; list secrets). Through ClusterRoleBinding auditors -> ClusterRole secret-reader, rule 0",
		"ServiceAccount shop/app can read secrets in namespace shop",
		"Group devs can read secrets in namespace shop",
		"ServiceAccount ci/runner can exec into, attach to or debug pods cluster-wide (exec into pods). Through ClusterRoleBinding ops -> ClusterRole ops (aggregating ClusterRole ops-exec)",
		"pods run with the token of ServiceAccount shop/app, which can read secrets in namespace shop (PAL-334)",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "CronJob") {
		t.Errorf("the CronJob's pods hold no token, yet it is reported:\n%s", r.stdout)
	}
	// JSON report, gate and rule selection as in scan.
	r = run(t, nil, "rbac", "risks", "-f", "@rbac.yaml", "-o", "json", "--fail-on", "critical", "--include", "PAL-336")
	var rep struct {
		Findings []struct {
			RuleID   string
			Severity string
			Object   struct{ Kind, Name string }
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("json: %v\n%s", err, r.stdout)
	}
	if r.code != 0 || len(rep.Findings) != 1 || rep.Findings[0].RuleID != "PAL-336" || rep.Findings[0].Severity != "high" {
		t.Errorf("--include PAL-336 --fail-on critical: exit %d %+v", r.code, rep)
	}
	// A baseline written from one run hides its findings in the next.
	base := filepath.Join(t.TempDir(), "baseline.json")
	if r = run(t, nil, "rbac", "risks", "-f", "@rbac.yaml", "--write-baseline", base); r.code != ExitFindings {
		t.Fatalf("write baseline: exit %d %s", r.code, r.stderr)
	}
	if r = run(t, nil, "rbac", "risks", "-f", "@rbac.yaml", "--baseline", base); r.code != 0 {
		t.Errorf("with the baseline: exit %d\n%s", r.code, r.stdout)
	}
	// SARIF for code scanning.
	if r = run(t, nil, "rbac", "risks", "-f", "@rbac.yaml", "-o", "sarif"); !strings.Contains(r.stdout, `"ruleId": "PAL-334"`) {
		t.Errorf("sarif lacks PAL-334:\n%s", r.stdout)
	}
	// Usage errors: a pattern that names no risk rule, an argument.
	for _, args := range [][]string{
		{"rbac", "risks", "-f", "@rbac.yaml", "--include", "PAL-001"},
		{"rbac", "risks", "extra", "-f", "@rbac.yaml"},
	} {
		if r := run(t, nil, args...); r.code != ExitUsage {
			t.Errorf("%v: exit %d, want %d (%s)", args, r.code, ExitUsage, r.stderr)
		}
	}
	// Unreadable input: exit 3, findings for the rest.
	r = run(t, nil, "rbac", "risks", "-f", "@rbac.yaml", "-f", "@malformed.yaml")
	if r.code != ExitInputErrors || !strings.Contains(r.stdout, "PAL-334") {
		t.Errorf("malformed input: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestRBACRisksDefaults: a RoleBinding to the built-in edit role grants nothing without
// the bootstrap policy (the role is missing); with it, edit's aggregated rules count,
// and the control plane's own grants show only with --include-system.
func TestRBACRisksDefaults(t *testing.T) {
	in := strings.NewReader(`apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: devs-edit, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}
subjects: [{kind: Group, name: devs, apiGroup: rbac.authorization.k8s.io}]
`)
	r := run(t, in, "rbac", "risks", "-f", "-", "--fail-on", "none")
	if r.code != 0 || strings.Contains(r.stdout, "PAL-3") {
		t.Errorf("without defaults: exit %d\n%s", r.code, r.stdout)
	}
	data := `apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: devs-edit, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}
subjects: [{kind: Group, name: devs, apiGroup: rbac.authorization.k8s.io}]
`
	r = run(t, strings.NewReader(data), "rbac", "risks", "-f", "-", "--include-defaults", "--fail-on", "none", "-o", "json")
	var rep struct {
		Findings []struct{ RuleID, Message string }
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("json: %v\n%s", err, r.stdout)
	}
	got := map[string]bool{}
	for _, f := range rep.Findings {
		if !strings.HasPrefix(f.Message, "Group devs ") {
			t.Errorf("a subject other than devs without --include-system: %s", f.Message)
		}
		got[f.RuleID] = true
	}
	for _, id := range []string{"PAL-334", "PAL-335", "PAL-336"} {
		if !got[id] {
			t.Errorf("edit in shop: no %s finding (%v)", id, got)
		}
	}
	r = run(t, strings.NewReader(data), "rbac", "risks", "-f", "-", "--include-defaults", "--include-system", "--fail-on", "none")
	if !strings.Contains(r.stdout, "User system:kube-controller-manager") {
		t.Errorf("--include-system: the controller manager's grants are missing:\n%s", r.stdout)
	}
}

// The DOT graph's title says where the request is asked: the namespace of -n, any
// namespace with -A, or cluster-wide.
func TestRBACWhoCanDotTitle(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-n", "shop"}, `label="who can get secrets in namespace shop";`},
		{[]string{"-A"}, `label="who can get secrets in any namespace";`},
		{nil, `label="who can get secrets cluster-wide";`},
	} {
		args := append([]string{"rbac", "who-can", "get", "secrets", "-o", "dot", "-f", "@rbac.yaml"}, tc.args...)
		r := run(t, nil, args...)
		if r.code != 0 || !strings.Contains(r.stdout, tc.want) {
			t.Errorf("%v: exit %d, want title %s:\n%s", tc.args, r.code, tc.want, r.stdout)
		}
	}
}

// A subject or namespace the input knows nothing about gets a warning, not a silent
// empty answer; subjects and namespaces that exist get none.
func TestRBACAbsentSubject(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string // warnings; none when empty
	}{
		{[]string{"rbac", "can", "sa:shop:web"}, []string{"warning: sa:shop:web is not in the input: no ServiceAccount object, binding or workload names it"}},
		{[]string{"rbac", "can", "sa:shop:web", "get", "secrets", "-n", "shop"}, []string{"warning: sa:shop:web is not in the input"}},
		{[]string{"rbac", "can", "user:mallory"}, []string{"warning: user:mallory is not in the input: no RoleBinding or ClusterRoleBinding names it (only the rules of its groups apply)"}},
		{[]string{"rbac", "can", "group:dev"}, []string{"warning: group:dev is not in the input"}},
		{[]string{"rbac", "can", "sa:shopp:app", "-n", "shopp"}, []string{"warning: sa:shopp:app is not in the input", "warning: namespace shopp is not in the input: no object is in it"}},
		{[]string{"rbac", "who-can", "get", "secrets", "-n", "shopp"}, []string{"warning: namespace shopp is not in the input"}},
		// Known: a bound account, one a workload runs as, a namespace's default account,
		// bound users and groups, the built-in groups.
		{[]string{"rbac", "can", "sa:shop:app"}, nil},
		{[]string{"rbac", "can", "sa:ci:runner", "-n", "ci"}, nil},
		{[]string{"rbac", "can", "sa:shop:default"}, nil},
		{[]string{"rbac", "can", "user:auditor"}, nil},
		{[]string{"rbac", "can", "group:devs"}, nil},
		{[]string{"rbac", "can", "group:system:authenticated"}, nil},
		{[]string{"rbac", "who-can", "get", "secrets", "-n", "shop"}, nil},
	} {
		r := run(t, nil, append(tc.args, "-f", "@rbac.yaml")...)
		if r.code != 0 && r.code != ExitFindings {
			t.Errorf("%v: exit %d: %s", tc.args, r.code, r.stderr)
		}
		for _, w := range tc.want {
			if !strings.Contains(r.stderr, w) {
				t.Errorf("%v: stderr lacks %q:\n%s", tc.args, w, r.stderr)
			}
		}
		if len(tc.want) == 0 && strings.Contains(r.stderr, "warning") {
			t.Errorf("%v: unexpected warning:\n%s", tc.args, r.stderr)
		}
	}
}

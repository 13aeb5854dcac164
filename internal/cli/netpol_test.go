package cli

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// netpol-old.yaml: frontend/web and frontend/admin reach shop/api on its http port;
// only shop/api reaches shop/db, on 5432. netpol-new.yaml opens db:5432 to the whole
// frontend namespace.

// Without -f the input is the live cluster: a kubeconfig that cannot be read is a
// usage error.
func TestNetpolClusterConnectionError(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing")
	for _, cmd := range []string{"isolation", "matrix", "lint"} {
		r := run(t, nil, "netpol", cmd, "--kubeconfig", missing)
		if r.code != ExitUsage || !strings.Contains(r.stderr, "cluster connection") {
			t.Errorf("%s: exit %d, stderr %q", cmd, r.code, r.stderr)
		}
	}
}

func TestNetpolIsolation(t *testing.T) {
	r := run(t, nil, "netpol", "isolation", "-f", "@netpol-old.yaml")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	out := strings.Join(strings.Fields(r.stdout), " ")
	for _, want := range []string{
		"frontend/Deployment/web not isolated not isolated",
		"shop/StatefulSet/db isolated by default-deny, db not isolated",
		"4 workloads: 2 isolated for ingress, 0 for egress",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
	r = run(t, nil, "netpol", "isolation", "-f", "@netpol-old.yaml", "-n", "shop", "-o", "json")
	var js struct {
		Workloads []struct {
			Workload string
			Ingress  struct {
				Isolated bool
				Policies []string
			}
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &js); err != nil || len(js.Workloads) != 2 {
		t.Fatalf("json: %v, %d workloads:\n%s", err, len(js.Workloads), r.stdout)
	}
	if w := js.Workloads[1]; w.Workload != "shop/StatefulSet/db" || !w.Ingress.Isolated || strings.Join(w.Ingress.Policies, ",") != "default-deny,db" {
		t.Errorf("db: %+v", w)
	}
}

func TestNetpolReach(t *testing.T) {
	cases := []struct {
		args []string
		code int
		want []string
	}{
		{[]string{"--from", "frontend/deploy/web", "--to", "shop/deploy/api"}, 0,
			[]string{"(any port): PARTLY ALLOWED", "gets through: TCP/8080", "allowed by NetworkPolicy shop/api ingress rule 0 (from[0]): TCP/8080"}},
		{[]string{"--from", "frontend/Deployment/web", "--to", "shop/Deployment/api", "--port", "8080"}, 0, []string{"(TCP/8080): ALLOWED"}},
		{[]string{"--from", "frontend/deploy/web", "--to", "shop/deploy/api", "--port", "8080/UDP"}, ExitFindings, []string{"(UDP/8080): DENIED"}},
		{[]string{"--from", "frontend/deploy/web", "--to", "shop/sts/db", "--port", "5432"}, ExitFindings,
			[]string{"DENIED", "ingress to shop/StatefulSet/db: isolated by NetworkPolicy default-deny, db; no ingress rule allows this connection"}},
		{[]string{"--from", "shop/sts/db", "--to", "8.8.8.8", "--port", "53/udp"}, 0, []string{"(UDP/53): ALLOWED", "egress from shop/StatefulSet/db: not isolated"}},
		{[]string{"--from", "10.0.0.0/8", "--to", "shop/sts/db"}, ExitFindings, []string{"DENIED"}},
		{[]string{"--from", "frontend/deploy/web", "--to", "shop/sts/db", "--explain"}, ExitFindings, []string{
			"evaluation:",
			"NetworkPolicy shop/api does not select it (podSelector {app=api})",
			"isolated by NetworkPolicy shop/default-deny (podSelector {} (every pod), policyTypes Ingress)",
			"from[0] pods of the policy's namespace with labels {app=api}: no: without a namespaceSelector only pods of namespace shop match, not of frontend",
		}},
	}
	for _, tc := range cases {
		r := run(t, nil, append([]string{"netpol", "reach", "-f", "@netpol-old.yaml"}, tc.args...)...)
		if r.code != tc.code {
			t.Errorf("%v: exit %d, want %d\n%s%s", tc.args, r.code, tc.code, r.stdout, r.stderr)
		}
		for _, w := range tc.want {
			if !strings.Contains(r.stdout, w) {
				t.Errorf("%v: output lacks %q:\n%s", tc.args, w, r.stdout)
			}
		}
	}
	r := run(t, nil, "netpol", "reach", "-f", "@netpol-new.yaml", "--from", "frontend/deploy/admin", "--to", "shop/sts/db", "--port", "5432", "-o", "json")
	var v struct {
		Status  string
		Ingress struct{ Grants []struct{ Policy string } }
	}
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil || r.code != 0 || v.Status != "allowed" || len(v.Ingress.Grants) != 1 || v.Ingress.Grants[0].Policy != "shop/db" {
		t.Errorf("json reach: exit %d, %v, %+v\n%s", r.code, err, v, r.stdout)
	}
	for _, bad := range [][]string{
		{"--from", "shop/deploy/nope", "--to", "shop/sts/db"},
		{"--from", "shop/sts/db", "--to", "not-an-address"},
		{"--from", "10.0.0.1", "--to", "10.0.0.2"},
		{"--from", "shop/sts/db", "--to", "shop/sts/db", "--port", "http"},
		{"--from", "shop/sts/db"},
	} {
		if r := run(t, nil, append([]string{"netpol", "reach", "-f", "@netpol-old.yaml"}, bad...)...); r.code != ExitUsage || r.stderr == "" {
			t.Errorf("%v: exit %d (want 2), stderr %q", bad, r.code, r.stderr)
		}
	}
}

func TestNetpolMatrixFormats(t *testing.T) {
	r := run(t, nil, "netpol", "matrix", "-f", "@netpol-old.yaml")
	for _, want := range []string{"   FROM \\ TO ", "4  shop/StatefulSet/db        all  all  -   -   all", "P1: TCP/8080", "P2: TCP/5432"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("text lacks %q:\n%s", want, r.stdout)
		}
	}
	r = run(t, nil, "netpol", "matrix", "-f", "@netpol-old.yaml", "-o", "csv")
	rows, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
	if err != nil || len(rows) < 2 || strings.Join(rows[0], ",") != "from,to,ports,addresses" {
		t.Fatalf("csv: %v\n%s", err, r.stdout)
	}
	found := false
	for _, row := range rows {
		if row[0] == "shop/Deployment/api" && row[1] == "shop/StatefulSet/db" && row[2] == "TCP/5432" {
			found = true
		}
		if row[0] == "frontend/Deployment/web" && row[1] == "shop/StatefulSet/db" {
			t.Errorf("csv lists a denied connection: %v", row)
		}
	}
	if !found {
		t.Errorf("csv lacks api -> db:\n%s", r.stdout)
	}
	r = run(t, nil, "netpol", "matrix", "-f", "@netpol-old.yaml", "-o", "json", "-n", "shop")
	var js struct {
		Workloads   []string
		Connections []struct {
			From, To string
			Ports    *struct{ Text string }
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &js); err != nil || strings.Join(js.Workloads, ",") != "shop/Deployment/api,shop/StatefulSet/db" {
		t.Fatalf("json: %v\n%s", err, r.stdout)
	}
	for _, c := range js.Connections {
		if c.From == "shop/Deployment/api" && c.To == "shop/StatefulSet/db" && (c.Ports == nil || c.Ports.Text != "TCP/5432") {
			t.Errorf("json api -> db: %+v", c)
		}
	}
	for format, want := range map[string]string{
		"dot":     "  w2 -> w3 [label=\"TCP/5432\"];",
		"mermaid": "  w2 -->|\"TCP/5432\"| w3",
	} {
		r := run(t, nil, "netpol", "matrix", "-f", "@netpol-old.yaml", "-o", format)
		if r.code != 0 || !strings.Contains(r.stdout, want) {
			t.Errorf("%s: exit %d, lacks %q:\n%s", format, r.code, want, r.stdout)
		}
	}
	if r := run(t, nil, "netpol", "matrix", "-f", "@netpol-old.yaml", "-o", "yaml"); r.code != ExitUsage {
		t.Errorf("unknown format: exit %d", r.code)
	}
}

func TestNetpolDiff(t *testing.T) {
	r := run(t, nil, "netpol", "diff", td(t, "netpol-old.yaml"), td(t, "netpol-new.yaml"))
	if r.code != 0 || !strings.Contains(r.stdout, "+ every workload of namespace frontend (2) -> shop/StatefulSet/db: TCP/5432\n") {
		t.Errorf("exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = run(t, nil, "netpol", "diff", td(t, "netpol-new.yaml"), td(t, "netpol-old.yaml"), "--fail-on-open", "-o", "json")
	var d struct {
		Added, Removed []struct {
			From []string
			To   string
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &d); err != nil || r.code != 0 || len(d.Added) != 0 || len(d.Removed) != 1 || len(d.Removed[0].From) != 2 {
		t.Errorf("reverse diff: exit %d, %v, %+v", r.code, err, d)
	}
	if r := run(t, nil, "netpol", "diff", td(t, "netpol-old.yaml"), td(t, "netpol-new.yaml"), "--fail-on-open"); r.code != ExitFindings {
		t.Errorf("--fail-on-open with an opened connection: exit %d", r.code)
	}
	if r := run(t, nil, "netpol", "diff", td(t, "netpol-old.yaml"), td(t, "netpol-old.yaml")); r.code != 0 || !strings.Contains(r.stdout, "no connection added or removed") {
		t.Errorf("same input: exit %d\n%s", r.code, r.stdout)
	}
}

func TestNetpolLint(t *testing.T) {
	r := run(t, nil, "netpol", "lint", "-f", "@netpol-old.yaml", "-o", "json")
	var rep jsonReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("json: %v\n%s", err, r.stdout)
	}
	ids := map[string]bool{}
	for _, f := range rep.Findings {
		ids[f.RuleID] = true
		if !strings.HasPrefix(f.RuleID, "PAL-42") && !strings.HasPrefix(f.RuleID, "PAL-43") {
			t.Errorf("lint ran a rule outside PAL-421..PAL-449: %s", f.RuleID)
		}
	}
	if !ids["PAL-421"] || !ids["PAL-424"] || r.code != 0 {
		t.Errorf("exit %d, rules %v", r.code, ids)
	}
	if r := run(t, nil, "netpol", "lint", "-f", "@netpol-old.yaml", "--fail-on", "low"); r.code != ExitFindings {
		t.Errorf("--fail-on low: exit %d", r.code)
	}
	if r := run(t, nil, "netpol", "lint", "-f", "@netpol-old.yaml", "--include", "PAL-001"); r.code != ExitUsage {
		t.Errorf("--include outside the netpol rules: exit %d", r.code)
	}
	r = run(t, nil, "netpol", "lint", "-f", "@netpol-old.yaml", "--include", "PAL-423", "--exclude", "PAL-423", "--fail-on", "info")
	if r.code != 0 || !strings.Contains(r.stdout, "no findings") {
		t.Errorf("include then exclude: exit %d\n%s", r.code, r.stdout)
	}
}

// An invalid policy is an input error naming file and line (exit 3); every command
// still answers for the rest. (lint reports it, as scan does, on the object, with the
// field's line in the message.)
func TestNetpolInvalidPolicy(t *testing.T) {
	for _, args := range [][]string{
		{"netpol", "isolation", "-f", "@netpol-invalid.yaml"},
		{"netpol", "matrix", "-f", "@netpol-invalid.yaml"},
		{"netpol", "reach", "-f", "@netpol-invalid.yaml", "--from", "x/po/a", "--to", "x/po/a"},
		{"netpol", "lint", "-f", "@netpol-invalid.yaml"},
	} {
		r := run(t, nil, args...)
		where := "netpol-invalid.yaml:14"
		if args[1] == "lint" {
			where = "netpol-invalid.yaml:7: NetworkPolicy/x/bad: not fully checked"
			if !strings.Contains(r.stdout, "(line 14)") {
				t.Errorf("lint: the error does not name the line of the except:\n%s", r.stdout)
			}
		}
		if r.code != ExitInputErrors || !strings.Contains(r.stdout+r.stderr, where) || !strings.Contains(r.stdout+r.stderr, "must be a strict subset of `cidr`") {
			t.Errorf("%v: exit %d\nstdout:\n%s\nstderr:\n%s", args, r.code, r.stdout, r.stderr)
		}
		if r.stdout == "" {
			t.Errorf("%v: no output for the rest of the input", args)
		}
	}
}

// netpol and rbac print what reading the input noticed, as scan does: an object
// defined twice is a notice on standard error, and the exit code does not change.
func TestAnalyzersPrintNotices(t *testing.T) {
	dir := t.TempDir()
	policy := "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: shop}\nspec: {podSelector: {}, policyTypes: [Ingress]}\n"
	role := "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: reader, namespace: shop}\nrules: [{apiGroups: [''], resources: [pods], verbs: [get]}]\n"
	for _, name := range []string{"a.yaml", "b.yaml"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(policy+"---\n"+role), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, args := range [][]string{
		{"netpol", "isolation", dir},
		{"rbac", "who-can", "get", "pods", "-n", "shop", "-f", dir},
	} {
		r := run(t, nil, args...)
		if r.code != 0 || !strings.Contains(r.stderr, "palisade: notice: ") || !strings.Contains(r.stderr, "defined twice") {
			t.Errorf("%v: exit %d, stderr %q; want a notice of the object defined twice", args, r.code, r.stderr)
		}
	}
}

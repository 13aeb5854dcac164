package auditrules_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/audit"
	"github.com/palisade-k8s/palisade/internal/auditlog"
	"github.com/palisade-k8s/palisade/internal/checks/identity"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/rbac"
	"github.com/palisade-k8s/palisade/internal/rules"
)

// identityRules are the detections of PAL-920..949.
func identityRules(t testing.TB) []*rules.Rule {
	t.Helper()
	var out []*rules.Rule
	for _, d := range audit.Detections() {
		if d.Rule.ID >= "PAL-920" && d.Rule.ID <= "PAL-949" {
			out = append(out, d.Rule)
		}
	}
	if len(out) < 16 {
		t.Fatalf("%d identity detections registered", len(out))
	}
	return out
}

func rule(t testing.TB, id string) *rules.Rule {
	t.Helper()
	d, ok := audit.Detection(id)
	if !ok {
		t.Fatalf("%s not registered", id)
	}
	return d.Rule
}

// TestFixtureVariants runs the fixtures of a rule's subdirectories
// (testdata/PAL-9xx/NAME/): each with its own params.yaml and state.yaml, for the
// parameters a rule's main fixtures cannot show (countHealthEndpoints, an
// allow-list left empty).
func TestFixtureVariants(t *testing.T) {
	dirs, _ := filepath.Glob(filepath.Join("testdata", "PAL-9*", "*"))
	n := 0
	for _, dir := range dirs {
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			continue
		}
		id := filepath.Base(filepath.Dir(dir))
		r := rule(t, id)
		state := readState(t, filepath.Join(dir, "state.yaml"))
		params := readParams(t, filepath.Join(dir, "params.yaml"))
		files, _ := filepath.Glob(filepath.Join(dir, "*.jsonl"))
		for _, file := range files {
			n++
			got, want := runFixture(t, r, file, state, params)
			if strings.HasPrefix(filepath.Base(file), "pass") && len(want) > 0 {
				t.Errorf("%s: a pass fixture marks lines %v", file, want)
			}
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("%s: findings of %s on lines [%s], want [%s]", file, id, strings.Join(got, ","), strings.Join(want, ","))
			}
		}
	}
	if n < 2 {
		t.Fatalf("ran %d variant fixtures", n)
	}
}

// run processes a log (JSON lines) with the rules and the options, and returns
// the findings.
func run(t testing.TB, rs []*rules.Rule, log string, opts audit.Options) []finding.Finding {
	t.Helper()
	var fs []finding.Finding
	opts.Rules = rs
	opts.Report = func(f finding.Finding) { fs = append(fs, f) }
	e, err := audit.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(strings.NewReader(log))
	sc.Buffer(nil, 1<<20)
	line := 0
	for sc.Scan() {
		line++
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		ev, err := auditlog.Decode(sc.Bytes(), auditlog.Location{File: "test.jsonl", Line: line})
		if err != nil {
			t.Fatalf("line %d: %v", line, err)
		}
		e.Process(ev)
	}
	e.Close()
	return fs
}

// evLine writes one audit event: user "name" or "name|group,group", the object
// as "resource[/sub] [namespace/]name" (group from the resource), extra JSON fields.
func evLine(verb, object, user string, code int, at string, extra string) string {
	name, groups, _ := strings.Cut(user, "|")
	gs := []string{"system:authenticated"}
	if groups != "" {
		gs = strings.Split(groups, ",")
	}
	ug, _ := json.Marshal(map[string]any{"username": name, "groups": gs})
	ref := map[string]string{"apiVersion": "v1"}
	res, rest, _ := strings.Cut(object, " ")
	r, sub, _ := strings.Cut(res, "/")
	ref["resource"] = r
	if sub != "" {
		ref["subresource"] = sub
	}
	switch r {
	case "clusterrolebindings", "rolebindings", "clusterroles", "roles":
		ref["apiGroup"] = "rbac.authorization.k8s.io"
	case "certificatesigningrequests":
		ref["apiGroup"] = "certificates.k8s.io"
	}
	if ns, n, ok := strings.Cut(rest, "/"); ok {
		ref["namespace"], ref["name"] = ns, n
	} else if rest != "" {
		ref["name"] = rest
	}
	rj, _ := json.Marshal(ref)
	decision := "allow"
	if code == 403 {
		decision = "forbid"
	}
	return fmt.Sprintf(`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","auditID":"a-%s-%s","stage":"ResponseComplete","requestURI":"/x","verb":%q,"user":%s,"sourceIPs":["10.0.0.5"],"objectRef":%s,"responseStatus":{"code":%d},"requestReceivedTimestamp":"2026-12-01T%sZ","stageTimestamp":"2026-12-01T%sZ","annotations":{"authorization.k8s.io/decision":%q}%s}`,
		at, verb, verb, ug, rj, code, at, at, decision, extra) + "\n"
}

// rbacOf builds an RBAC model and its risk analysis from YAML, as `palisade audit
// -f` does.
func rbacOf(t *testing.T, manifests string) (*rbac.Model, *rbac.RiskAnalysis) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "rbac.yaml")
	if err := os.WriteFile(path, []byte(manifests), 0o600); err != nil {
		t.Fatal(err)
	}
	m, _, err := rbac.Build(readState(t, path), rbac.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return m, m.AnalyzeRisks(identity.RiskClasses())
}

const clusterAdminRBAC = `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: cluster-admin
rules:
- apiGroups: ["*"]
  resources: ["*"]
  verbs: ["*"]
- nonResourceURLs: ["*"]
  verbs: ["*"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: ops-root
rules:
- apiGroups: ["*"]
  resources: ["*"]
  verbs: ["*"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: secret-reader
rules:
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["get", "list", "watch"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: bob-admin
subjects:
- kind: User
  apiGroup: rbac.authorization.k8s.io
  name: bob
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: cluster-admin
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: mallory-secrets
subjects:
- kind: User
  apiGroup: rbac.authorization.k8s.io
  name: mallory
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: secret-reader
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: ci-admin
subjects:
- kind: ServiceAccount
  namespace: dev
  name: ci
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: cluster-admin
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: platform-admins
subjects:
- kind: Group
  apiGroup: rbac.authorization.k8s.io
  name: platform
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: cluster-admin
`

// TestRBACContextRaises: with the run's RBAC model, a finding whose actor holds an
// escalating risk class is one step more severe and lists the classes; without the
// model, or for an actor holding none, it is not.
func TestRBACContextRaises(t *testing.T) {
	m, risks := rbacOf(t, clusterAdminRBAC)
	withRBAC := audit.Options{RBAC: m, Risks: risks}
	impersonate := func(as string) string {
		return evLine("get", "pods dev/web", "alice", 200, "10:00:00", `,"impersonatedUser":{"username":"`+as+`","groups":["system:authenticated"]}`)
	}
	burst := func(user string) string {
		var b strings.Builder
		for i := 0; i < 10; i++ {
			b.WriteString(evLine("list", "nodes", user, 403, fmt.Sprintf("10:00:%02d", i), ""))
		}
		return b.String()
	}
	for _, tc := range []struct {
		name, id, log string
		base          finding.Severity
		risk          string
	}{
		// The actor of an impersonated request is the impersonated identity: bob is
		// cluster-admin.
		{"impersonating cluster-admin", "PAL-926", impersonate("bob"), finding.Medium, "PAL-330"},
		// mallory, probing, can read every secret.
		{"forbidden burst of a secret reader", "PAL-931", burst("mallory"), finding.Medium, "PAL-334"},
		// A service account bound to cluster-admin.
		{"forbidden burst of an admin service account", "PAL-931", burst("system:serviceaccount:dev:ci|system:serviceaccounts,system:serviceaccounts:dev,system:authenticated"), finding.Medium, "PAL-330"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := rule(t, tc.id)
			plain := run(t, []*rules.Rule{r}, tc.log, audit.Options{})
			ctx := run(t, []*rules.Rule{r}, tc.log, withRBAC)
			if len(plain) != 1 || len(ctx) != 1 {
				t.Fatalf("findings %d without RBAC, %d with, want 1 and 1", len(plain), len(ctx))
			}
			if plain[0].Severity != tc.base || plain[0].Audit.Raised || len(plain[0].Audit.Risks) > 0 {
				t.Errorf("without RBAC: %v raised=%v risks=%v, want %v", plain[0].Severity, plain[0].Audit.Raised, plain[0].Audit.Risks, tc.base)
			}
			a := ctx[0].Audit
			if ctx[0].Severity != tc.base+1 || !a.Raised || !contains(a.Risks, tc.risk) {
				t.Errorf("with RBAC: %v raised=%v risks=%v, want %v raised with %s", ctx[0].Severity, a.Raised, a.Risks, tc.base+1, tc.risk)
			}
		})
	}
	// An actor with no risk class: listed with none, not raised.
	fs := run(t, []*rules.Rule{rule(t, "PAL-926")}, impersonate("carol"), withRBAC)
	if len(fs) != 1 || fs[0].Severity != finding.Medium || fs[0].Audit.Raised {
		t.Errorf("impersonating carol: %+v", fs)
	}
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// TestBindingToEquivalentRole: a binding to a role that is cluster-admin under
// another name is found through the run's RBAC model, and not without it.
func TestBindingToEquivalentRole(t *testing.T) {
	m, risks := rbacOf(t, clusterAdminRBAC)
	body := `,"requestObject":{"kind":"ClusterRoleBinding","apiVersion":"rbac.authorization.k8s.io/v1","metadata":{"name":"x"},"subjects":[{"kind":"User","name":"eve"}],"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"%s"}}`
	r := []*rules.Rule{rule(t, "PAL-920")}
	log := evLine("create", "clusterrolebindings x", "eve", 201, "10:00:00", fmt.Sprintf(body, "ops-root"))
	if fs := run(t, r, log, audit.Options{}); len(fs) != 0 {
		t.Errorf("without a model, a binding to ops-root is unknown: %v", fs)
	}
	fs := run(t, r, log, audit.Options{RBAC: m, Risks: risks})
	if len(fs) != 1 || fs[0].Severity != finding.Critical || !strings.Contains(fs[0].Message, "ops-root (granting every verb on every resource)") {
		t.Fatalf("with the model: %+v", fs)
	}
	other := evLine("create", "clusterrolebindings x", "eve", 201, "10:00:00", fmt.Sprintf(body, "secret-reader"))
	if fs := run(t, r, other, audit.Options{RBAC: m, Risks: risks}); len(fs) != 0 {
		t.Errorf("secret-reader is not cluster-admin: %v", fs)
	}
}

// TestTokenRequestTargetRisk: a token minted for an account that holds a
// dangerous capability is critical, and says which.
func TestTokenRequestTargetRisk(t *testing.T) {
	m, risks := rbacOf(t, clusterAdminRBAC)
	r := []*rules.Rule{rule(t, "PAL-927")}
	log := evLine("create", "serviceaccounts/token dev/ci", "eve", 201, "10:00:00", "")
	plain := run(t, r, log, audit.Options{})
	ctx := run(t, r, log, audit.Options{RBAC: m, Risks: risks})
	if len(plain) != 1 || plain[0].Severity != finding.High {
		t.Fatalf("without RBAC: %+v", plain)
	}
	if len(ctx) != 1 || ctx[0].Severity != finding.Critical || !strings.Contains(ctx[0].Message, "the account holds PAL-330") {
		t.Fatalf("with RBAC: %+v", ctx)
	}
}

// csrBody is a CSR for the subject, approved, as the approval's request body.
func csrBody(t *testing.T, file string) string {
	t.Helper()
	// The fixtures hold real PKCS#10 requests (openssl req): reuse one.
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	line, _, _ := strings.Cut(string(data), "\n")
	var ev struct {
		RequestObject json.RawMessage `json:"requestObject"`
	}
	if err := json.Unmarshal([]byte(line), &ev); err != nil {
		t.Fatal(err)
	}
	return string(ev.RequestObject)
}

// TestCSRApprovedSubjectRisk: approving a certificate whose group is bound to
// cluster-admin in the run's RBAC model is critical.
func TestCSRApprovedSubjectRisk(t *testing.T) {
	m, risks := rbacOf(t, clusterAdminRBAC)
	// alice's CSR: CN=alice@example.com, O=devs. Bind devs to cluster-admin.
	m2, risks2 := rbacOf(t, clusterAdminRBAC+`---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: devs-admin
subjects:
- kind: Group
  apiGroup: rbac.authorization.k8s.io
  name: devs
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: cluster-admin
`)
	var body map[string]any
	if err := json.Unmarshal([]byte(csrBody(t, filepath.Join("testdata", "PAL-929", "fail.jsonl"))), &body); err != nil {
		t.Fatal(err)
	}
	body["status"] = map[string]any{"conditions": []any{map[string]any{"type": "Approved", "status": "True"}}}
	b, _ := json.Marshal(body)
	log := evLine("update", "certificatesigningrequests/approval alice", "carol", 200, "10:00:00", `,"requestObject":`+string(b))
	r := []*rules.Rule{rule(t, "PAL-929")}
	if fs := run(t, r, log, audit.Options{RBAC: m, Risks: risks}); len(fs) != 1 || fs[0].Severity != finding.High {
		t.Fatalf("devs unbound: %+v", fs)
	}
	fs := run(t, r, log, audit.Options{RBAC: m2, Risks: risks2})
	if len(fs) != 1 || fs[0].Severity != finding.Critical || !strings.Contains(fs[0].Message, "the subject holds PAL-330") {
		t.Fatalf("devs bound to cluster-admin: %+v", fs)
	}
}

// TestBurstEvidence: one finding per burst, with the count and the first and last
// events, reported when a later event shows the window passed (not at the end of
// the input) and at the end of the input for the burst still open.
func TestBurstEvidence(t *testing.T) {
	file := filepath.Join("testdata", "PAL-931", "fail.jsonl")
	fs := runFile(t, []*rules.Rule{rule(t, "PAL-931")}, file)
	if len(fs) != 3 {
		t.Fatalf("%d findings, want 3", len(fs))
	}
	type want struct {
		count       int
		first, last int
		object      string
	}
	for i, w := range []want{{12, 1, 12, "ServiceAccount/dev/app"}, {10, 15, 24, "User//system:anonymous"}, {10, 25, 34, "User//system:anonymous"}} {
		a := fs[i].Audit
		if a.Count != w.count || len(a.Events) != 2 || a.Events[0].Line != w.first || a.Events[1].Line != w.last {
			t.Errorf("burst %d: count %d events %+v, want %d from line %d to %d", i, a.Count, a.Events, w.count, w.first, w.last)
		}
		if got := fs[i].Object.Kind + "/" + fs[i].Object.Namespace + "/" + fs[i].Object.Name; got != w.object {
			t.Errorf("burst %d is about %s, want %s", i, got, w.object)
		}
	}
}

// TestChainOfTwo: the secret read and the RBAC change are one finding with both
// events, the read first.
func TestChainOfTwo(t *testing.T) {
	fs := runFile(t, []*rules.Rule{rule(t, "PAL-933")}, filepath.Join("testdata", "PAL-933", "fail.jsonl"))
	if len(fs) != 2 {
		t.Fatalf("%d findings", len(fs))
	}
	for i, lines := range [][2]int{{1, 2}, {4, 5}} {
		ev := fs[i].Audit.Events
		if len(ev) != 2 || ev[0].Line != lines[0] || ev[1].Line != lines[1] || !strings.HasPrefix(ev[0].Object, "secrets") {
			t.Errorf("finding %d chain %+v, want lines %v", i, ev, lines)
		}
	}
}

// TestTokenBoundToKnownPod: with the pod's address known from the state, a
// request from elsewhere is high and chains nothing it does not know; a request
// from the pod's address is quiet.
func TestTokenBoundToKnownPod(t *testing.T) {
	state := readState(t, filepath.Join("testdata", "PAL-934", "state.yaml"))
	fs := runWithState(t, rule(t, "PAL-934"), filepath.Join("testdata", "PAL-934", "fail.jsonl"), state)
	var high []finding.Finding
	for _, f := range fs {
		if f.Severity == finding.High {
			high = append(high, f)
		}
	}
	if len(high) != 1 || !strings.Contains(high[0].Message, "bound to pod dev/web-0 (10.244.1.20) used from 198.51.100.4") {
		t.Fatalf("high findings %+v", high)
	}
}

// TestNoSecretInFindings: token values and secret data in response bodies never
// reach a finding.
func TestNoSecretInFindings(t *testing.T) {
	const token = "eyJhbGciOiJSUzI1NiIsImtpZCI6InNlY3JldCJ9.c2VjcmV0LXRva2VuLXZhbHVl.c2ln"
	const data = "cGFzc3dvcmQ9aHVudGVyMg=="
	log := evLine("create", "serviceaccounts/token dev/ci", "eve", 201, "10:00:00",
		`,"requestObject":{"kind":"TokenRequest","spec":{"audiences":["`+token+`"]}},"responseObject":{"kind":"TokenRequest","status":{"token":"`+token+`"}}`) +
		evLine("get", "secrets prod/db", "eve", 200, "10:30:00", `,"responseObject":{"kind":"Secret","data":{"password":"`+data+`"}}`) +
		evLine("create", "clusterrolebindings x", "eve", 201, "10:31:00",
			`,"requestObject":{"kind":"ClusterRoleBinding","metadata":{"name":"x","annotations":{"t":"`+token+`"}},"subjects":[{"kind":"User","name":"eve"}],"roleRef":{"kind":"ClusterRole","name":"cluster-admin"}}`)
	fs := run(t, identityRules(t), log, audit.Options{})
	if len(fs) < 3 {
		t.Fatalf("%d findings, want at least 3", len(fs))
	}
	out, _ := json.Marshal(fs)
	for _, s := range []string{token, data, "hunter2"} {
		if strings.Contains(string(out), s) {
			t.Errorf("a finding holds %q", s)
		}
	}
}

func runFile(t *testing.T, rs []*rules.Rule, file string) []finding.Finding {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return run(t, rs, string(data), audit.Options{})
}

// runWithState runs one rule over a fixture file with an initial state.
func runWithState(t *testing.T, r *rules.Rule, file string, state []*inventory.Object) []finding.Finding {
	t.Helper()
	var fs []finding.Finding
	e, err := audit.New(audit.Options{Rules: []*rules.Rule{r}, Initial: state, Report: func(f finding.Finding) { fs = append(fs, f) }})
	if err != nil {
		t.Fatal(err)
	}
	rd, err := auditlog.Open(context.Background(), []string{file}, auditlog.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	for {
		ev, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		e.Process(ev)
	}
	e.Close()
	return fs
}

package vap_test

// The proof that Palisade decides like the API server: testdata/differential holds
// ValidatingAdmissionPolicies (the Kubernetes documentation's examples and one or
// more for every matching, parameter, validation and failure feature), their
// bindings and parameters, and the RBAC their authorizer checks ask about. The test
// applies them to a real kube-apiserver (internal/kubetest), generates objects from
// a fixed seed, creates each with server-side dry run as a test user, and compares
// the API server's answer with Palisade's offline decision for the same object.
//
// Two comparisons, in one test so that the objects are generated and sent once:
//
//   - before the policies exist, the object the dry run returns (what validating
//     admission saw: the create neither mutates nor changes it after) with Prepare's,
//     field by field, minus what no manifest can know (UID, creation time, the
//     token volume's random suffix, a Service's allocated IPs and ports);
//   - with the policies ready, denied or not, the message, reason and code, the
//     policy warnings, and the audit annotations (the Audit action's validation
//     failures and the policies' auditAnnotations), read from the server's audit
//     log by each response's Audit-Id: the test runs a server of its own for that.
//
// The API server walks its policies in the order of a Go map (generic
// policySource.refreshPolicies), so when several bindings deny one request it
// reports any one of them, and warnings of different (policy, binding) pairs come
// in any order. The comparison says so: the API server's message must be one of
// the denying failures Palisade lists (and Palisade's message one of them), the
// warnings must be equal as a multiset and in the same order within each pair.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/kubetest"
	"github.com/palisade-k8s/palisade/internal/rbac"
	_ "github.com/palisade-k8s/palisade/internal/rbac/bootstrap" // the bootstrap roles the authorizer answers with
	"github.com/palisade-k8s/palisade/internal/vap"
)

// The package's TestMain (main_test.go) stops the shared API server.

const (
	testUser    = "vd-user"
	testGroup   = "vd-devs"
	seed        = 18
	minObjects  = 1000
	minPolicies = 40
	workers     = 4
)

// testNamespaces are created with these labels before anything else.
var testNamespaces = map[string]map[string]string{
	"vd-prod":    {"vapdiff": "on", "env": "prod", "team": "alpha"},
	"vd-dev":     {"vapdiff": "on", "env": "dev", "team": "beta"},
	"vd-stage":   {"vapdiff": "on", "env": "stage", "team": "alpha"},
	"vd-sandbox": {"vapdiff": "on", "env": "sandbox"},
	"vd-params":  {"vapdiff": "on", "role": "params"},
}

// generatedNamespaces are where the generator puts namespaced objects.
var generatedNamespaces = []string{"vd-prod", "vd-dev", "vd-stage", "vd-sandbox"}

func TestDifferential(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	// A server of its own, with an audit log: the audit annotations and the Audit
	// action are visible only there.
	dir := t.TempDir()
	auditPolicy := filepath.Join(dir, "audit-policy.yaml")
	auditLog := filepath.Join(dir, "audit.log")
	if err := os.WriteFile(auditPolicy, []byte("apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\n"+
		"rules:\n- level: Metadata\n  users: ["+testUser+"]\n- level: None\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := kubetest.Own(t, kubetest.Options{APIServerArgs: []string{"--audit-policy-file=" + auditPolicy, "--audit-log-path=" + auditLog}})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	admin := c.Config()
	admin.WarningHandler = rest.NoWarnings{}
	adminDyn, err := dynamic.NewForConfig(admin)
	if err != nil {
		t.Fatal(err)
	}
	for name, labels := range testNamespaces {
		if _, err := c.CreateNamespace(ctx, name, labels); err != nil {
			t.Fatal(err)
		}
	}
	setup := readDocs(t, filepath.Join("testdata", "differential", "setup.yaml"))
	policies := readDocs(t, filepath.Join("testdata", "differential", "policies.yaml"))

	// The definitions first; the mapper sees their resources once established.
	var crds []map[string]any
	for _, o := range setup {
		if o.GetKind() == "CustomResourceDefinition" {
			crds = append(crds, o.Object)
			createAs(t, ctx, adminDyn, newMapper(c), o)
		}
	}
	mapper := waitForResources(t, ctx, c, schema.GroupVersionResource{Group: "vd.example.com", Version: "v2", Resource: "widgets"},
		schema.GroupVersionResource{Group: "vd.example.com", Version: "v1", Resource: "vdlimits"})
	for _, o := range setup {
		if o.GetKind() != "CustomResourceDefinition" {
			createAs(t, ctx, adminDyn, mapper, o)
		}
	}
	waitForRBAC(t, ctx, c.Client())

	userCfg, err := c.UserConfig(testUser, testGroup)
	if err != nil {
		t.Fatal(err)
	}
	userCfg.QPS, userCfg.Burst = 500, 500
	objects := generate(seed)
	if len(objects) < minObjects {
		t.Fatalf("generated %d objects, want at least %d", len(objects), minObjects)
	}

	// 1. Prepare against the object the API server admits, before any policy.
	before := dryRunAll(t, ctx, userCfg, mapper, objects)
	comparePrepared(t, objects, before)

	// 2. The policies, then the decisions.
	for _, o := range policies {
		createAs(t, ctx, adminDyn, mapper, o)
	}
	waitForSentinels(t, ctx, userCfg, mapper)
	after := dryRunAll(t, ctx, userCfg, mapper, objects)
	policyNames := map[string]bool{}
	for _, o := range policies {
		policyNames[o.GetName()] = true
	}
	audits := readAudit(t, ctx, auditLog, after, policyNames)

	bundle := vap.Bundle{Sources: map[any]vap.Source{}}
	var nPolicies, nBindings int
	for i, o := range policies {
		if err := bundle.Add(o.Object, vap.Source{File: "policies.yaml", Line: i + 1}); err != nil {
			if strings.Contains(err.Error(), "not implemented") {
				t.Skipf("internal/vap is not implemented yet (%v): compared Prepare only; the API server: %s", err, serverStats(after))
			}
			t.Fatalf("policies.yaml document %d: %v", i+1, err)
		}
		switch o.GetKind() {
		case "ValidatingAdmissionPolicy":
			nPolicies++
		case "ValidatingAdmissionPolicyBinding":
			nBindings++
		}
	}
	for i, o := range setup {
		if err := bundle.Add(o.Object, vap.Source{File: "setup.yaml", Line: i + 1}); err != nil {
			t.Fatalf("setup.yaml document %d: %v", i+1, err)
		}
	}
	if nPolicies < minPolicies {
		t.Fatalf("%d policies, want at least %d", nPolicies, minPolicies)
	}
	res, err := vap.BuiltinResources().WithCRDs(crds)
	if err != nil {
		t.Fatal(err)
	}
	set, errs := vap.Compile(bundle, vap.Options{Resources: res})
	for _, err := range errs {
		t.Errorf("compile: %v", err)
	}
	if t.Failed() {
		return
	}

	env := offlineEnv(t, ctx, c, setup)
	u := &user.DefaultInfo{Name: testUser, Groups: []string{testGroup, user.AllAuthenticated}}
	var (
		rows                           []string
		denied, warned, rejectedByVal  int
		multiDeny, compared, evalError int
		audited                        int
	)
	for i, o := range objects {
		got := after[i].withGeneratedName(o.obj.GetGenerateName())
		if got.otherError != "" {
			rejectedByVal++
			continue
		}
		compared++
		req, err := set.RequestFor(o.obj.Object, o.obj.GetNamespace(), u)
		var d vap.Decision
		if err == nil {
			req.DryRun = true
			d, err = set.Evaluate(ctx, req, env)
		}
		if err != nil {
			evalError++
			rows = append(rows, row(o, "error", got.summary(), err.Error()))
			continue
		}
		if got.denied {
			denied++
		}
		if len(got.warnings) > 0 {
			warned++
		}
		deniedMsgs := denyingMessages(d)
		if len(deniedMsgs) > 1 {
			multiDeny++
		}
		switch {
		case got.denied == d.Allowed:
			rows = append(rows, row(o, "denied", got.summary(), summary(d)))
		case got.denied && !slices.Contains(deniedMsgs, got.message):
			rows = append(rows, row(o, "message", got.summary(), summary(d)))
		case got.denied && !slices.Contains(deniedMsgs, stripForbidden(d.Message)):
			rows = append(rows, row(o, "message (Palisade's is not among its failures)", got.summary(), summary(d)))
		case got.denied && len(deniedMsgs) == 1 && (string(d.Reason) != got.reason || d.Code != got.code):
			rows = append(rows, row(o, "reason", got.summary(), summary(d)))
		case got.denied && !reasonAmong(d, got):
			rows = append(rows, row(o, "reason", got.summary(), summary(d)))
		case !sameWarnings(got.warnings, d.Warnings):
			rows = append(rows, row(o, "warnings", got.summary(), summary(d)))
		case !sameAnnotations(audits[got.auditID], d.AuditAnnotations):
			rows = append(rows, row(o, "audit annotations", fmt.Sprint(audits[got.auditID]), fmt.Sprint(d.AuditAnnotations)))
		}
		if len(audits[got.auditID]) > 0 {
			audited++
		}
	}
	t.Logf("%d policies, %d bindings; %d objects generated, %d compared (%d refused by the API server's own validation), "+
		"%d denied (%d by more than one binding), %d with policy warnings, %d with policy audit annotations; %d mismatches",
		nPolicies, nBindings, len(objects), compared, rejectedByVal, denied, multiDeny, warned, audited, len(rows))
	if compared < minObjects {
		t.Errorf("only %d objects compared, want at least %d", compared, minObjects)
	}
	if evalError > 0 {
		t.Errorf("Palisade returned an error for %d objects", evalError)
	}
	if len(rows) > 0 {
		if len(rows) > 60 {
			rows = append(rows[:60], fmt.Sprintf("... and %d more", len(rows)-60))
		}
		t.Errorf("%d mismatches (object | what | API server | Palisade):\n%s", len(rows), strings.Join(rows, "\n"))
	}
}

// serverStats sums up the API server's answers.
func serverStats(as []answer) string {
	denied, warned, refused := 0, 0, 0
	reasons := map[string]int{}
	policies := map[string]int{}
	for _, a := range as {
		switch {
		case a.otherError != "":
			refused++
		case a.denied:
			denied++
			reasons[a.reason]++
			p, _, _ := strings.Cut(strings.TrimPrefix(a.message, "ValidatingAdmissionPolicy '"), "'")
			policies[p]++
		}
		if len(a.warnings) > 0 {
			warned++
		}
		for _, w := range a.warnings {
			p, _, _ := strings.Cut(strings.TrimPrefix(w, "Validation failed for ValidatingAdmissionPolicy '"), "'")
			policies[p+" (warn)"]++
		}
	}
	return fmt.Sprintf("%d answers: %d denied %v, %d with policy warnings, %d refused otherwise; by policy %v", len(as), denied, reasons, warned, refused, policies)
}

// genObject is one generated object and what it is meant to exercise.
type genObject struct {
	obj *unstructured.Unstructured
}

func (o genObject) String() string {
	return fmt.Sprintf("%s %s/%s", o.obj.GetKind(), o.obj.GetNamespace(), o.obj.GetName())
}

func row(o genObject, what, server, palisade string) string {
	return fmt.Sprintf("%s | %s | %s | %s", o, what, server, palisade)
}

// answer is the API server's answer to one dry-run create.
type answer struct {
	denied     bool
	message    string // the policy's message, without the "<resource> \"name\" is forbidden: " prefix
	reason     string
	code       int32
	warnings   []string // the policy warnings, in order
	other      []string // other warnings (unknown fields)
	otherError string   // a refusal that is not a policy's (validation)
	object     *unstructured.Unstructured
	auditID    string // the request's Audit-Id
}

// withGeneratedName replaces, in the messages, the name the API server generated
// from generateName with the one Prepare makes.
func (a answer) withGeneratedName(generateName string) answer {
	if generateName == "" {
		return a
	}
	re := regexp.MustCompile(regexp.QuoteMeta(generateName) + `[a-z0-9]{5}`)
	fix := func(s string) string { return re.ReplaceAllString(s, generateName+vap.GeneratedNameSuffix) }
	a.message = fix(a.message)
	a.warnings = slices.Clone(a.warnings)
	for i := range a.warnings {
		a.warnings[i] = fix(a.warnings[i])
	}
	return a
}

func (a answer) summary() string {
	s := "allowed"
	if a.denied {
		s = fmt.Sprintf("denied %s %d %q", a.reason, a.code, a.message)
	}
	if len(a.warnings) > 0 {
		s += fmt.Sprintf(" warnings %q", a.warnings)
	}
	return s
}

func summary(d vap.Decision) string {
	s := "allowed"
	if !d.Allowed {
		s = fmt.Sprintf("denied %s %d %q", d.Reason, d.Code, stripForbidden(d.Message))
		if m := denyingMessages(d); len(m) > 1 {
			s += fmt.Sprintf(" (of %q)", m)
		}
	}
	if len(d.Warnings) > 0 {
		s += fmt.Sprintf(" warnings %q", d.Warnings)
	}
	return s
}

var forbiddenPrefix = regexp.MustCompile(`^.*? is forbidden: `)

func stripForbidden(m string) string { return forbiddenPrefix.ReplaceAllString(m, "") }

// denyingMessages are the refusals Palisade's failures would each make, worded as
// the API server's dispatcher words them.
func denyingMessages(d vap.Decision) []string {
	var out []string
	for _, f := range d.Failures {
		if !slices.Contains(f.Actions, "Deny") {
			continue
		}
		m := fmt.Sprintf("ValidatingAdmissionPolicy '%s' with binding '%s' denied request: %s", f.Policy, f.Binding, f.Message)
		if !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	if len(out) == 0 && !d.Allowed {
		out = append(out, stripForbidden(d.Message))
	}
	return out
}

// reasonAmong: the failure whose message the API server chose has its reason.
func reasonAmong(d vap.Decision, a answer) bool {
	for _, f := range d.Failures {
		m := fmt.Sprintf("ValidatingAdmissionPolicy '%s' with binding '%s' denied request: %s", f.Policy, f.Binding, f.Message)
		if m != a.message {
			continue
		}
		r := f.Reason
		if r == "" {
			r = metav1.StatusReasonInvalid
		}
		if string(r) == a.reason {
			return true
		}
	}
	return len(d.Failures) == 0 && string(d.Reason) == a.reason
}

// sameWarnings: equal as multisets, and in the same order within each
// "(policy, binding)" pair.
func sameWarnings(server, palisade []string) bool {
	if len(server) != len(palisade) {
		return false
	}
	a, b := slices.Clone(server), slices.Clone(palisade)
	sort.Strings(a)
	sort.Strings(b)
	if !slices.Equal(a, b) {
		return false
	}
	byPair := func(ws []string) map[string][]string {
		m := map[string][]string{}
		for _, w := range ws {
			k, _, _ := strings.Cut(w, ": ")
			m[k] = append(m[k], w)
		}
		return m
	}
	ps, pp := byPair(server), byPair(palisade)
	for k, v := range ps {
		if !slices.Equal(v, pp[k]) {
			return false
		}
	}
	return true
}

// warningCollector routes the warnings of a response to the request that got it.
type warningCollector struct{}

type warningsKey struct{}

func (warningCollector) HandleWarningHeaderWithContext(ctx context.Context, code int, agent, text string) {
	if code != 299 || text == "" {
		return
	}
	if p, ok := ctx.Value(warningsKey{}).(*[]string); ok {
		*p = append(*p, text)
	}
}

type auditIDKey struct{}

// auditIDRecorder keeps the Audit-Id of a response in the request's context.
type auditIDRecorder struct{ rt http.RoundTripper }

func (a auditIDRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := a.rt.RoundTrip(req)
	if resp != nil {
		if p, ok := req.Context().Value(auditIDKey{}).(*string); ok {
			*p = resp.Header.Get("Audit-Id")
		}
	}
	return resp, err
}

// readAudit waits until the audit log has the ResponseComplete event of every
// answer, and returns each request's policy annotations (the validation failures
// of the Audit action and the policies' audit annotations) by audit ID.
func readAudit(t *testing.T, ctx context.Context, path string, answers []answer, policies map[string]bool) map[string]map[string]string {
	t.Helper()
	out := map[string]map[string]string{}
	poll(t, ctx, "the audit log", func() error {
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for line := range bytes.Lines(data) {
			var ev struct {
				AuditID     string            `json:"auditID"`
				Stage       string            `json:"stage"`
				Annotations map[string]string `json:"annotations"`
			}
			if json.Unmarshal(line, &ev) != nil || ev.Stage != "ResponseComplete" {
				continue
			}
			m := map[string]string{}
			for k, v := range ev.Annotations {
				p, _, _ := strings.Cut(k, "/")
				if k == validationFailureKey || policies[p] {
					m[k] = v
				}
			}
			out[ev.AuditID] = m
		}
		for _, a := range answers {
			if a.auditID == "" {
				return errors.New("a response without Audit-Id")
			}
			if _, ok := out[a.auditID]; !ok {
				return fmt.Errorf("no audit event for request %s yet", a.auditID)
			}
		}
		return nil
	})
	return out
}

const validationFailureKey = "validation.policy.admission.k8s.io/validation_failure"

// sameAnnotations compares audit annotations; the validation failures (a JSON
// list, in the API server's random policy order) as a multiset.
func sameAnnotations(server, palisade map[string]string) bool {
	if len(server) != len(palisade) {
		return false
	}
	for k, v := range server {
		w, ok := palisade[k]
		if !ok {
			return false
		}
		if k == validationFailureKey {
			if !sameJSONList(v, w) {
				return false
			}
		} else if v != w {
			return false
		}
	}
	return true
}

func sameJSONList(a, b string) bool {
	canon := func(s string) []string {
		var l []any
		if json.Unmarshal([]byte(s), &l) != nil {
			return []string{s}
		}
		out := make([]string, len(l))
		for i, e := range l {
			d, _ := json.Marshal(e)
			out[i] = string(d)
		}
		sort.Strings(out)
		return out
	}
	return slices.Equal(canon(a), canon(b))
}

// dryRunAll creates every object with server-side dry run as the test user, with a
// small pool of workers.
func dryRunAll(t *testing.T, ctx context.Context, cfg *rest.Config, mapper meta.RESTMapper, objs []genObject) []answer {
	t.Helper()
	cfg = rest.CopyConfig(cfg)
	cfg.WarningHandlerWithContext = warningCollector{}
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { return auditIDRecorder{rt} })
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]answer, len(objs))
	next := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failures []string
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				a, err := dryRun(ctx, dyn, mapper, objs[i].obj)
				if err != nil {
					mu.Lock()
					failures = append(failures, fmt.Sprintf("%s: %v", objs[i], err))
					mu.Unlock()
				}
				out[i] = a
			}
		}()
	}
	for i := range objs {
		next <- i
	}
	close(next)
	wg.Wait()
	if len(failures) > 0 {
		t.Fatalf("dry runs failed:\n%s", strings.Join(failures, "\n"))
	}
	return out
}

func dryRun(ctx context.Context, dyn dynamic.Interface, mapper meta.RESTMapper, obj *unstructured.Unstructured) (answer, error) {
	gvk := obj.GroupVersionKind()
	m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return answer{}, err
	}
	var ri dynamic.ResourceInterface = dyn.Resource(m.Resource)
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		ri = dyn.Resource(m.Resource).Namespace(obj.GetNamespace())
	}
	var warnings []string
	var auditID string
	wctx := context.WithValue(context.WithValue(ctx, warningsKey{}, &warnings), auditIDKey{}, &auditID)
	created, err := ri.Create(wctx, obj.DeepCopy(), metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
	a := answer{auditID: auditID}
	for _, w := range warnings {
		if strings.HasPrefix(w, "Validation failed for ValidatingAdmissionPolicy ") {
			a.warnings = append(a.warnings, w)
		} else {
			a.other = append(a.other, w)
		}
	}
	if err == nil {
		a.object = created
		return a, nil
	}
	var se *apierrors.StatusError
	if !errors.As(err, &se) {
		return a, err
	}
	st := se.ErrStatus
	msg := stripForbidden(st.Message)
	if !strings.HasPrefix(msg, "ValidatingAdmissionPolicy '") {
		a.otherError = st.Message
		return a, nil
	}
	a.denied, a.message, a.reason, a.code = true, msg, string(st.Reason), st.Code
	return a, nil
}

// comparePrepared compares what the API server admitted (no policy yet) with
// Prepare's object.
func comparePrepared(t *testing.T, objs []genObject, answers []answer) {
	t.Helper()
	var rows []string
	compared, approximate, refused := 0, 0, map[string]int{}
	for i, o := range objs {
		a := answers[i]
		if a.otherError != "" || a.object == nil {
			refused[o.obj.GetKind()]++
			continue
		}
		got, approx, err := vap.Prepare(o.obj.Object, o.obj.GetNamespace())
		if err != nil {
			rows = append(rows, fmt.Sprintf("%s: %v", o, err))
			continue
		}
		if approx {
			approximate++
			if o.obj.GetKind() != "Widget" {
				rows = append(rows, fmt.Sprintf("%s: approximate, want the kind defaulted", o))
			}
		}
		compared++
		want := normalizeServer(a.object, got)
		have := normalizePrepared(got)
		for _, d := range diffJSON(want, have, "") {
			rows = append(rows, fmt.Sprintf("%s: %s", o, d))
		}
	}
	t.Logf("Prepare: %d objects compared with the API server's (%d approximate: custom resources); refused by validation: %v", compared, approximate, refused)
	if compared < minObjects {
		t.Errorf("Prepare: only %d objects compared", compared)
	}
	if len(rows) > 0 {
		// One line per field (indices folded), with a count and the first example.
		count, first := map[string]int{}, map[string]string{}
		var keys []string
		for _, r := range rows {
			k := indices.ReplaceAllString(r, "[]")
			if i := strings.Index(k, ": "); i >= 0 {
				k = strings.TrimSpace(strings.Fields(k)[0]) + " " + k[i+2:]
				if j := strings.Index(k, ": "); j >= 0 {
					k = k[:j]
				}
			}
			if count[k] == 0 {
				keys = append(keys, k)
				first[k] = r
			}
			count[k]++
		}
		var b strings.Builder
		for _, k := range keys {
			fmt.Fprintf(&b, "%4d× %s\n", count[k], first[k])
		}
		t.Errorf("Prepare differs from the API server in %d fields (count, first object: path: API server vs Prepare):\n%s", len(rows), b.String())
	}
}

var indices = regexp.MustCompile(`\[\d+\]`)

var tokenVolume = regexp.MustCompile(`kube-api-access-[a-z0-9]{5}`)

// normalizeServer removes from the API server's object what no manifest can know:
// its UID (replaced by Prepare's where the object carries it, as a Job's labels
// do), the creation time, managedFields, the token volume's suffix, a Service's
// allocated addresses and ports.
func normalizeServer(obj, prepared *unstructured.Unstructured) any {
	data, _ := json.Marshal(obj.Object)
	s := string(data)
	if uid := string(obj.GetUID()); uid != "" {
		s = strings.ReplaceAll(s, uid, string(prepared.GetUID()))
	}
	s = tokenVolume.ReplaceAllString(s, vap.ServiceAccountTokenVolume)
	if obj.GetGenerateName() != "" {
		s = strings.ReplaceAll(s, `"name":"`+obj.GetName()+`"`, `"name":"`+prepared.GetName()+`"`)
	}
	var m map[string]any
	_ = json.Unmarshal([]byte(s), &m)
	u := &unstructured.Unstructured{Object: m}
	unstructured.RemoveNestedField(m, "metadata", "managedFields")
	unstructured.RemoveNestedField(m, "metadata", "creationTimestamp")
	unstructured.RemoveNestedField(m, "metadata", "resourceVersion")
	unstructured.RemoveNestedField(m, "metadata", "uid")
	if u.GetKind() == "Service" {
		if ip, _, _ := unstructured.NestedString(m, "spec", "clusterIP"); ip != "None" {
			unstructured.RemoveNestedField(m, "spec", "clusterIP")
		}
		if ips, _, _ := unstructured.NestedStringSlice(m, "spec", "clusterIPs"); len(ips) > 0 && ips[0] != "None" {
			unstructured.RemoveNestedField(m, "spec", "clusterIPs")
		}
		if ports, ok, _ := unstructured.NestedSlice(m, "spec", "ports"); ok {
			for _, p := range ports {
				delete(p.(map[string]any), "nodePort")
			}
			_ = unstructured.SetNestedSlice(m, ports, "spec", "ports")
		}
		unstructured.RemoveNestedField(m, "spec", "healthCheckNodePort")
	}
	return roundTrip(m)
}

func normalizePrepared(obj *unstructured.Unstructured) any {
	m := obj.DeepCopy().Object
	unstructured.RemoveNestedField(m, "metadata", "creationTimestamp")
	unstructured.RemoveNestedField(m, "metadata", "uid")
	return roundTrip(m)
}

func roundTrip(m map[string]any) any {
	data, _ := json.Marshal(m)
	var v any
	_ = json.Unmarshal(data, &v)
	return v
}

// diffJSON lists the paths where a and b differ.
func diffJSON(a, b any, path string) []string {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok {
			break
		}
		var out []string
		keys := map[string]bool{}
		for k := range x {
			keys[k] = true
		}
		for k := range y {
			keys[k] = true
		}
		sorted := make([]string, 0, len(keys))
		for k := range keys {
			sorted = append(sorted, k)
		}
		sort.Strings(sorted)
		for _, k := range sorted {
			out = append(out, diffJSON(x[k], y[k], path+"."+k)...)
		}
		return out
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			break
		}
		var out []string
		for i := range x {
			out = append(out, diffJSON(x[i], y[i], fmt.Sprintf("%s[%d]", path, i))...)
		}
		return out
	default:
		if fmt.Sprint(a) == fmt.Sprint(b) && (a == nil) == (b == nil) {
			return nil
		}
	}
	as, _ := json.Marshal(a)
	bs, _ := json.Marshal(b)
	if bytes.Equal(as, bs) {
		return nil
	}
	return []string{fmt.Sprintf("%s: %s vs %s", strings.TrimPrefix(path, "."), as, bs)}
}

// readDocs decodes a multi-document YAML file.
func readDocs(t *testing.T, path string) []*unstructured.Unstructured {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := utilyaml.NewYAMLOrJSONDecoder(f, 4096)
	var out []*unstructured.Unstructured
	for {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			t.Fatalf("%s: %v", path, err)
		}
		if m != nil {
			out = append(out, &unstructured.Unstructured{Object: m})
		}
	}
	return out
}

func newMapper(c *kubetest.Cluster) meta.RESTMapper {
	return restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(c.Client().Discovery()))
}

func createAs(t *testing.T, ctx context.Context, dyn dynamic.Interface, mapper meta.RESTMapper, o *unstructured.Unstructured) {
	t.Helper()
	gvk := o.GroupVersionKind()
	m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		t.Fatalf("%s %s: %v", gvk.Kind, o.GetName(), err)
	}
	ri := dynamic.ResourceInterface(dyn.Resource(m.Resource))
	if ns := o.GetNamespace(); ns != "" {
		ri = dyn.Resource(m.Resource).Namespace(ns)
	}
	if _, err := ri.Create(ctx, o.DeepCopy(), metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatalf("creating %s %s: %v", gvk.Kind, o.GetName(), err)
	}
}

// poll runs f until it returns nil or ctx ends (then the last error fails the test).
func poll(t *testing.T, ctx context.Context, what string, f func() error) {
	t.Helper()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		err := f()
		if err == nil {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for %s: %v", what, err)
		case <-tick.C:
		}
	}
}

// waitForResources waits until discovery serves every resource, and returns a
// mapper that knows them.
func waitForResources(t *testing.T, ctx context.Context, c *kubetest.Cluster, gvrs ...schema.GroupVersionResource) meta.RESTMapper {
	t.Helper()
	var mapper meta.RESTMapper
	poll(t, ctx, "the custom resources", func() error {
		mapper = newMapper(c)
		for _, gvr := range gvrs {
			if _, err := mapper.KindFor(gvr); err != nil {
				return err
			}
		}
		return nil
	})
	return mapper
}

// waitForRBAC waits until the API server's authorizer has the setup's RBAC.
func waitForRBAC(t *testing.T, ctx context.Context, client kubernetes.Interface) {
	t.Helper()
	checks := []authorizationv1.SubjectAccessReviewSpec{
		{User: testUser, Groups: []string{testGroup}, ResourceAttributes: &authorizationv1.ResourceAttributes{Verb: "create", Resource: "widgets", Group: "vd.example.com", Namespace: "vd-dev"}},
		{User: testUser, ResourceAttributes: &authorizationv1.ResourceAttributes{Verb: "delete", Resource: "pods", Namespace: "vd-prod"}},
		{User: "x", Groups: []string{testGroup}, ResourceAttributes: &authorizationv1.ResourceAttributes{Verb: "update", Group: "apps", Resource: "deployments", Namespace: "vd-dev"}},
		{User: "system:serviceaccount:vd-stage:builder", ResourceAttributes: &authorizationv1.ResourceAttributes{Verb: "get", Resource: "secrets", Namespace: "vd-stage"}},
	}
	poll(t, ctx, "RBAC", func() error {
		for _, spec := range checks {
			r, err := client.AuthorizationV1().SubjectAccessReviews().Create(ctx, &authorizationv1.SubjectAccessReview{Spec: spec}, metav1.CreateOptions{})
			if err != nil {
				return err
			}
			if !r.Status.Allowed {
				return fmt.Errorf("%s may not %s %s yet", spec.User, spec.ResourceAttributes.Verb, spec.ResourceAttributes.Resource)
			}
		}
		return nil
	})
}

// waitForSentinels waits until the last policies and bindings created (one per
// parameter kind) deny their probes: the informers deliver in order, so every
// earlier policy and binding is then in effect, and the parameter informers have
// synced.
func waitForSentinels(t *testing.T, ctx context.Context, cfg *rest.Config, mapper meta.RESTMapper) {
	t.Helper()
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"vd-sentinel", "vd-sentinel-configmap", "vd-sentinel-vdlimit"} {
		probe := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "ServiceAccount",
			"metadata": map[string]any{"name": name, "namespace": "vd-sandbox"}}}
		want := fmt.Sprintf("ValidatingAdmissionPolicy '%s' with binding '%s' denied request: %s", name, name, strings.TrimPrefix(name, "vd-"))
		poll(t, ctx, "policy "+name, func() error {
			a, err := dryRun(ctx, dyn, mapper, probe)
			if err != nil {
				return err
			}
			if a.message != want {
				return fmt.Errorf("probe answered %s", a.summary())
			}
			return nil
		})
	}
}

// offlineEnv is what Palisade reads instead of the API server's stores: the
// namespaces as stored, and an authorizer over the setup's RBAC with the bootstrap
// policy.
func offlineEnv(t *testing.T, ctx context.Context, c *kubetest.Cluster, setup []*unstructured.Unstructured) vap.Env {
	t.Helper()
	namespaces := map[string]*corev1.Namespace{}
	for name := range testNamespaces {
		ns, err := c.Client().CoreV1().Namespaces().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		namespaces[name] = ns
	}
	var objs []*inventory.Object
	for _, o := range setup {
		if o.GroupVersionKind().Group != "rbac.authorization.k8s.io" {
			continue
		}
		labels := o.GetLabels()
		objs = append(objs, &inventory.Object{
			Ref:    finding.ObjectRef{APIVersion: o.GetAPIVersion(), Kind: o.GetKind(), Namespace: o.GetNamespace(), Name: o.GetName()},
			Labels: labels, Origin: finding.Location{File: "setup.yaml"}, Body: o.Object,
		})
	}
	m, _, err := rbac.Build(objs, rbac.Options{IncludeDefaults: true})
	if err != nil {
		t.Fatal(err)
	}
	return vap.Env{
		Namespace: func(name string) (*corev1.Namespace, error) {
			if ns, ok := namespaces[name]; ok {
				return ns, nil
			}
			return nil, apierrors.NewNotFound(corev1.Resource("namespaces"), name)
		},
		Authorizer: authorizer.AuthorizerFunc(rbacAuthorizer{m}.Authorize),
	}
}

// rbacAuthorizer answers the CEL authorizer library with Palisade's RBAC engine.
type rbacAuthorizer struct{ m *rbac.Model }

func (a rbacAuthorizer) Authorize(_ context.Context, attr authorizer.Attributes) (authorizer.Decision, string, error) {
	var u rbac.UserInfo
	if attr.GetUser() != nil {
		u = rbac.UserInfo{Name: attr.GetUser().GetName(), Groups: attr.GetUser().GetGroups()}
	}
	d := a.m.Authorize(rbac.Attributes{User: u, Verb: attr.GetVerb(), ResourceRequest: attr.IsResourceRequest(),
		APIGroup: attr.GetAPIGroup(), Resource: attr.GetResource(), Subresource: attr.GetSubresource(),
		Namespace: attr.GetNamespace(), Name: attr.GetName(), Path: attr.GetPath()})
	if d.Allowed {
		return authorizer.DecisionAllow, d.Reason, nil
	}
	return authorizer.DecisionNoOpinion, d.Reason, nil
}

// The generator: objects of every kind the policies match, from a fixed seed, with
// fields that make each policy pass and fail.

type gen struct {
	r *rand.Rand
	n int
}

func (g *gen) pick(xs ...string) string { return xs[g.r.IntN(len(xs))] }
func (g *gen) chance(p float64) bool    { return g.r.Float64() < p }
func (g *gen) pick2(a, b any) any {
	if g.chance(0.5) {
		return a
	}
	return b
}

func (g *gen) name(prefix string) string {
	g.n++
	switch {
	case g.chance(0.05):
		return fmt.Sprintf("%s-%d-with-a-rather-long-name", prefix, g.n)
	case g.chance(0.04):
		return fmt.Sprintf("demo-%s-%d", prefix, g.n)
	}
	return fmt.Sprintf("%s-%d", prefix, g.n)
}

func (g *gen) labels(extra map[string]string) map[string]any {
	l := map[string]any{}
	if g.chance(0.9) {
		l["vd-gen"] = "1"
	}
	if g.chance(0.7) {
		l["team"] = g.pick("alpha", "beta", "gamma", "delta")
	}
	if g.chance(0.4) {
		l["app"] = g.pick("web", "api", "db", "cache")
	}
	for k, v := range extra {
		l[k] = v
	}
	if len(l) == 0 && g.chance(0.5) {
		return nil
	}
	return l
}

func (g *gen) meta(prefix, ns string, extra map[string]string) map[string]any {
	m := map[string]any{"name": g.name(prefix)}
	if ns != "" {
		m["namespace"] = ns
	}
	if l := g.labels(extra); l != nil {
		m["labels"] = l
	}
	if g.chance(0.15) {
		m["annotations"] = map[string]any{"vd-block": g.pick("audit", "freeze")}
	}
	return m
}

var images = []string{
	"registry.example.com/app:1.0", "registry.example.com/app", "ghcr.io/acme/tool:latest", "ghcr.io/acme/tool:2.1",
	"docker.io/library/nginx:1.27", "nginx", "busybox", "alpine:3.18", "nginx:latest",
	"registry.example.com/db@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
}

func (g *gen) container(name string, port int) map[string]any {
	c := map[string]any{"name": name, "image": g.pick(images...)}
	if g.chance(0.15) {
		c["imagePullPolicy"] = g.pick("Always", "IfNotPresent", "Never")
	}
	switch g.r.IntN(5) {
	case 1:
		c["resources"] = map[string]any{"requests": map[string]any{"cpu": g.pick("100m", "500m", "1500m", "2", "3"), "memory": "64Mi"}}
	case 2:
		c["resources"] = map[string]any{"limits": map[string]any{"cpu": g.pick("250m", "1"), "memory": g.pick("128Mi", "1Gi")}}
	case 3:
		c["resources"] = map[string]any{"requests": map[string]any{"cpu": "100m"}, "limits": map[string]any{"memory": "256Mi"}}
	}
	if g.chance(0.3) {
		sc := map[string]any{}
		if g.chance(0.5) {
			sc["runAsNonRoot"] = g.chance(0.8)
		}
		if g.chance(0.2) {
			sc["privileged"] = g.chance(0.5)
		}
		c["securityContext"] = sc
	}
	if g.chance(0.3) {
		c["ports"] = []any{map[string]any{"containerPort": int64(port + g.r.IntN(3))}}
	}
	if g.chance(0.1) {
		c["readinessProbe"] = map[string]any{"httpGet": map[string]any{"port": int64(8080)}}
	}
	if g.chance(0.05) {
		c["notAField"] = "dropped" // unknown: the API server drops it with a warning
	}
	if g.chance(0.1) {
		c["env"] = []any{map[string]any{"name": "NODE", "valueFrom": map[string]any{"fieldRef": map[string]any{"fieldPath": "spec.nodeName"}}}}
	}
	if g.chance(0.1) {
		c["livenessProbe"] = g.pick2(
			map[string]any{"tcpSocket": map[string]any{"port": int64(8080)}, "periodSeconds": int64(5)},
			map[string]any{"grpc": map[string]any{"port": int64(9090)}})
	}
	if g.chance(0.05) {
		c["lifecycle"] = map[string]any{"preStop": map[string]any{"httpGet": map[string]any{"port": int64(8080)}}}
	}
	return c
}

func (g *gen) podSpec(restart string, daemon bool) map[string]any {
	n := 1 + g.r.IntN(3)
	cs := make([]any, n)
	for i := range cs {
		cs[i] = g.container(fmt.Sprintf("c%d", i), 8080+10*i)
	}
	s := map[string]any{"containers": cs}
	if restart != "" {
		s["restartPolicy"] = restart
	}
	if g.chance(0.15) {
		ic := g.container("init", 9000)
		// Probes and lifecycle hooks are for sidecars (restartPolicy Always) only.
		delete(ic, "livenessProbe")
		delete(ic, "readinessProbe")
		delete(ic, "lifecycle")
		s["initContainers"] = []any{ic}
	}
	if g.chance(0.3) {
		s["securityContext"] = map[string]any{"runAsNonRoot": g.chance(0.7)}
	}
	if g.chance(0.2) {
		s["serviceAccountName"] = "builder"
	}
	if g.chance(0.2) {
		s["automountServiceAccountToken"] = false
	}
	if g.chance(0.1) {
		s["hostPID"] = true
	}
	if g.chance(0.1) {
		s["tolerations"] = []any{map[string]any{"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": int64(60)}}
	}
	if daemon && g.chance(0.3) || g.chance(0.03) {
		s["hostNetwork"] = true
	}
	if g.chance(0.3) {
		var vols []any
		for i := range 1 + g.r.IntN(3) {
			v := map[string]any{"name": fmt.Sprintf("v%d", i)}
			switch g.r.IntN(7) {
			case 1:
				v["secret"] = map[string]any{"secretName": "s"}
			case 2:
				v["configMap"] = map[string]any{"name": "c"}
			case 3:
				v["hostPath"] = map[string]any{"path": "/var/log"}
			case 4:
				v["downwardAPI"] = map[string]any{"items": []any{map[string]any{"path": "l", "fieldRef": map[string]any{"fieldPath": "metadata.labels"}}}}
			case 5:
				v["projected"] = map[string]any{"sources": []any{map[string]any{"serviceAccountToken": map[string]any{"path": "t", "audience": "vault"}}}}
			case 6:
				v["ephemeral"] = map[string]any{"volumeClaimTemplate": map[string]any{"spec": map[string]any{
					"accessModes": []any{"ReadWriteOnce"}, "resources": map[string]any{"requests": map[string]any{"storage": "1Gi"}}}}}
			}
			vols = append(vols, v)
		}
		s["volumes"] = vols
	}
	return s
}

func obj(apiVersion, kind string, metadata map[string]any, fields map[string]any) genObject {
	m := map[string]any{"apiVersion": apiVersion, "kind": kind, "metadata": metadata}
	for k, v := range fields {
		m[k] = v
	}
	return genObject{obj: &unstructured.Unstructured{Object: m}}
}

func template(g *gen, labels map[string]any, restart string, daemon bool) map[string]any {
	tl := map[string]any{}
	for k, v := range labels {
		tl[k] = v
	}
	return map[string]any{"metadata": map[string]any{"labels": tl}, "spec": g.podSpec(restart, daemon)}
}

// generate makes the objects of the test, the same for a seed.
func generate(s uint64) []genObject {
	g := &gen{r: rand.New(rand.NewPCG(s, s*31+7))}
	var out []genObject
	ns := func() string { return g.pick(generatedNamespaces...) }
	sel := func() map[string]any { return map[string]any{"sel": fmt.Sprintf("s%d", g.r.IntN(1000))} }
	for range 260 { // pods
		extra := map[string]string{}
		if g.chance(0.3) {
			extra["env"] = g.pick("prod", "dev")
		}
		if g.chance(0.3) {
			extra["tier"] = g.pick("gold", "silver", "bronze")
		}
		if g.chance(0.15) {
			extra["vd-authz"] = "delete"
		}
		if g.chance(0.1) {
			extra["app"] = "web"
		}
		out = append(out, obj("v1", "Pod", g.meta("pod", ns(), extra), map[string]any{"spec": g.podSpec("", false)}))
	}
	for range 200 { // deployments
		extra := map[string]string{}
		if g.chance(0.3) {
			extra["environment"] = g.pick("dev", "test", "prod")
		}
		if g.chance(0.1) {
			extra["tier"] = g.pick("forbidden", "ok")
		}
		m := g.meta("deploy", ns(), extra)
		if g.chance(0.05) {
			m["name"] = g.pick("canary-1", "canary-2")
		}
		l := sel()
		spec := map[string]any{"selector": map[string]any{"matchLabels": l}, "template": template(g, l, "", false)}
		if g.chance(0.8) {
			spec["replicas"] = int64(g.r.IntN(9))
		}
		if g.chance(0.05) {
			spec["replicas"] = int64(60)
		}
		if g.chance(0.15) {
			spec["strategy"] = map[string]any{"type": "Recreate"}
		}
		out = append(out, obj("apps/v1", "Deployment", m, map[string]any{"spec": spec}))
	}
	for range 60 { // statefulsets
		l := sel()
		spec := map[string]any{"selector": map[string]any{"matchLabels": l}, "serviceName": "svc", "template": template(g, l, "", false)}
		if g.chance(0.7) {
			spec["replicas"] = int64(g.r.IntN(7))
		}
		if g.chance(0.3) {
			spec["podManagementPolicy"] = "Parallel"
		}
		if g.chance(0.3) {
			spec["volumeClaimTemplates"] = []any{map[string]any{"metadata": map[string]any{"name": "data"},
				"spec": map[string]any{"accessModes": []any{"ReadWriteOnce"}, "resources": map[string]any{"requests": map[string]any{"storage": "1Gi"}}}}}
		}
		out = append(out, obj("apps/v1", "StatefulSet", g.meta("sts", ns(), nil), map[string]any{"spec": spec}))
	}
	for range 50 { // daemonsets
		l := sel()
		spec := map[string]any{"selector": map[string]any{"matchLabels": l}, "template": template(g, l, "", true)}
		if g.chance(0.2) {
			spec["updateStrategy"] = map[string]any{"type": "OnDelete"}
		}
		out = append(out, obj("apps/v1", "DaemonSet", g.meta("ds", ns(), nil), map[string]any{"spec": spec}))
	}
	for range 30 { // replicasets
		l := sel()
		spec := map[string]any{"selector": map[string]any{"matchLabels": l}, "template": template(g, l, "", false)}
		out = append(out, obj("apps/v1", "ReplicaSet", g.meta("rs", ns(), nil), map[string]any{"spec": spec}))
	}
	for range 60 { // jobs
		spec := map[string]any{"template": template(g, nil, g.pick("Never", "OnFailure"), false)}
		if g.chance(0.5) {
			spec["backoffLimit"] = int64(g.r.IntN(8))
		}
		if g.chance(0.2) {
			spec["completionMode"] = "Indexed"
			spec["completions"] = int64(5)
			spec["parallelism"] = int64(1 + g.r.IntN(4))
		}
		out = append(out, obj("batch/v1", "Job", g.meta("job", ns(), nil), map[string]any{"spec": spec}))
	}
	for range 50 { // cronjobs
		m := g.meta("cron", ns(), nil)
		if g.chance(0.5) {
			m["annotations"] = map[string]any{"owner": "ops"}
		}
		spec := map[string]any{
			"schedule":    g.pick("*/5 * * * *", "* * * * *", "0 1 * * *"),
			"jobTemplate": map[string]any{"spec": map[string]any{"template": template(g, nil, "OnFailure", false)}},
		}
		if g.chance(0.3) {
			spec["concurrencyPolicy"] = g.pick("Forbid", "Replace", "Allow")
		}
		if g.chance(0.3) {
			spec["successfulJobsHistoryLimit"] = int64(g.r.IntN(6))
		}
		out = append(out, obj("batch/v1", "CronJob", m, map[string]any{"spec": spec}))
	}
	for range 130 { // configmaps
		extra := map[string]string{}
		if g.chance(0.2) {
			extra["vd-request"] = g.pick("ok", "deny")
		}
		m := g.meta("cm", ns(), extra)
		switch {
		case g.chance(0.05):
			m["name"] = g.pick("big-allowed", "huge-allowed")
		case g.chance(0.1):
			m["generateName"] = m["name"].(string) + "-"
			delete(m, "name")
		}
		if g.chance(0.2) {
			m["annotations"] = map[string]any{"vd-reason": g.pick("unauthorized", "forbidden", "toolarge", "invalid", "none")}
		}
		fields := map[string]any{}
		if n := g.r.IntN(7); n > 0 {
			data := map[string]any{}
			for i := range n {
				data[g.pick("a", "b", "c", "d", "e", "f", "password", "token")+fmt.Sprint(i%2)] = "v"
			}
			if g.chance(0.1) {
				data["password"] = "x"
			}
			if g.chance(0.1) {
				data["token"] = "x"
			}
			fields["data"] = data
		}
		out = append(out, obj("v1", "ConfigMap", m, fields))
	}
	for range 60 { // secrets
		extra := map[string]string{}
		if g.chance(0.3) {
			extra["vd-request"] = g.pick("ok", "deny")
		}
		fields := map[string]any{}
		switch g.r.IntN(4) {
		case 0:
			fields["type"] = "Opaque"
		case 1:
			fields["type"] = "kubernetes.io/basic-auth"
			fields["stringData"] = map[string]any{"username": "u"}
		case 2:
			fields["stringData"] = map[string]any{"k": "v", "l": "w"}
		}
		out = append(out, obj("v1", "Secret", g.meta("secret", ns(), extra), fields))
	}
	for range 110 { // services
		spec := map[string]any{"selector": map[string]any{"app": "web"}}
		n := 1 + g.r.IntN(5)
		ports := make([]any, n)
		for i := range ports {
			p := map[string]any{"name": fmt.Sprintf("p%d", i), "port": int64(80 + i)}
			if g.chance(0.3) {
				p["targetPort"] = g.pick("http", "22", "8080")
				if p["targetPort"] != "http" {
					p["targetPort"] = map[string]int64{"22": 22, "8080": 8080}[p["targetPort"].(string)]
				}
			}
			if g.chance(0.1) {
				p["protocol"] = "UDP"
			}
			ports[i] = p
		}
		spec["ports"] = ports
		switch g.r.IntN(5) {
		case 1:
			spec["type"] = "NodePort"
		case 2:
			spec["type"] = "LoadBalancer"
		case 3:
			spec["clusterIP"] = "None"
		}
		if g.chance(0.1) {
			spec["sessionAffinity"] = "ClientIP"
		}
		out = append(out, obj("v1", "Service", g.meta("svc", ns(), nil), map[string]any{"spec": spec}))
	}
	for range 30 { // namespaces
		extra := map[string]string{}
		if g.chance(0.8) {
			extra["vapdiff"] = "on"
		}
		if g.chance(0.5) {
			extra["owner"] = g.pick("ops", "dev")
		}
		out = append(out, obj("v1", "Namespace", g.meta("ns", "", extra), nil))
	}
	for range 40 { // network policies
		spec := map[string]any{"podSelector": map[string]any{}}
		if g.chance(0.5) {
			spec["egress"] = []any{map[string]any{"ports": []any{map[string]any{"port": int64(53)}}}}
		}
		if g.chance(0.3) {
			spec["policyTypes"] = []any{g.pick("Ingress", "Egress")}
		}
		out = append(out, obj("networking.k8s.io/v1", "NetworkPolicy", g.meta("np", ns(), nil), map[string]any{"spec": spec}))
	}
	for range 40 { // ingresses
		extra := map[string]string{}
		if g.chance(0.6) {
			extra["expose"] = g.pick("public", "internal")
		}
		spec := map[string]any{"defaultBackend": map[string]any{"service": map[string]any{"name": "web", "port": map[string]any{"number": int64(80)}}}}
		if g.chance(0.5) {
			spec["tls"] = []any{map[string]any{"hosts": []any{"a.example.com"}, "secretName": "tls"}}
		}
		out = append(out, obj("networking.k8s.io/v1", "Ingress", g.meta("ing", ns(), extra), map[string]any{"spec": spec}))
	}
	for range 70 { // widgets, both versions
		spec := map[string]any{"size": int64(g.r.IntN(16)), "color": g.pick("red", "blue", "green")}
		if g.chance(0.5) {
			tags := []any{}
			for range g.r.IntN(5) {
				tags = append(tags, g.pick("a", "b", "Bad", "ok"))
			}
			spec["tags"] = tags
		}
		out = append(out, obj(g.pick("vd.example.com/v1", "vd.example.com/v2"), "Widget", g.meta("widget", ns(), nil), map[string]any{"spec": spec}))
	}
	for range 20 { // service accounts
		out = append(out, obj("v1", "ServiceAccount", g.meta("sa", ns(), nil), nil))
	}
	for range 10 { // pod templates
		out = append(out, obj("v1", "PodTemplate", g.meta("pt", ns(), nil), map[string]any{"template": template(g, sel(), "", false)}))
	}
	for range 15 { // replication controllers
		spec := map[string]any{"template": template(g, sel(), "", false)}
		if g.chance(0.5) {
			spec["replicas"] = int64(g.r.IntN(4))
		}
		out = append(out, obj("v1", "ReplicationController", g.meta("rc", ns(), nil), map[string]any{"spec": spec}))
	}
	for range 15 { // claims
		spec := map[string]any{"accessModes": []any{"ReadWriteOnce"}, "resources": map[string]any{"requests": map[string]any{"storage": g.pick("1Gi", "1.5Gi", "100M")}}}
		if g.chance(0.3) {
			spec["storageClassName"] = "fast"
		}
		out = append(out, obj("v1", "PersistentVolumeClaim", g.meta("pvc", ns(), nil), map[string]any{"spec": spec}))
	}
	rules := func() []any {
		return []any{map[string]any{"apiGroups": []any{g.pick("", "apps")}, "resources": []any{g.pick("pods", "deployments", "*")}, "verbs": []any{"get", "list"}}}
	}
	for range 10 { // roles
		out = append(out, obj("rbac.authorization.k8s.io/v1", "Role", g.meta("role", ns(), nil), map[string]any{"rules": rules()}))
	}
	subjects := func(ns string) []any {
		s := []any{map[string]any{"kind": "User", "name": "someone"}, map[string]any{"kind": "Group", "name": "devs"},
			map[string]any{"kind": "ServiceAccount", "name": "builder", "namespace": ns}}
		return s[:1+g.r.IntN(3)]
	}
	for range 15 { // role bindings
		n := ns()
		out = append(out, obj("rbac.authorization.k8s.io/v1", "RoleBinding", g.meta("rb", n, nil), map[string]any{
			"roleRef": map[string]any{"kind": "ClusterRole", "name": g.pick("view", "edit")}, "subjects": subjects(n)}))
	}
	for range 5 { // cluster role bindings
		out = append(out, obj("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", g.meta("crb", "", nil), map[string]any{
			"roleRef": map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"}, "subjects": subjects("vd-dev")}))
	}
	for range 5 { // ingress classes
		spec := map[string]any{"controller": "example.com/ingress"}
		if g.chance(0.6) {
			spec["parameters"] = map[string]any{"apiGroup": "example.com", "kind": "Params", "name": "p"}
		}
		out = append(out, obj("networking.k8s.io/v1", "IngressClass", g.meta("ic", "", nil), map[string]any{"spec": spec}))
	}
	return out
}

// TestUnsupportedIsAnError: what Palisade cannot decide as the API server would is
// an error or a refusal, never a silent pass.
func TestUnsupportedIsAnError(t *testing.T) {
	var b vap.Bundle
	old := map[string]any{"apiVersion": "admissionregistration.k8s.io/v1beta1", "kind": "ValidatingAdmissionPolicy",
		"metadata": map[string]any{"name": "old"}, "spec": map[string]any{"validations": []any{map[string]any{"expression": "true"}}}}
	if err := b.Add(old, vap.Source{File: "old.yaml", Line: 1}); err == nil {
		t.Error("a v1beta1 policy: no error")
	}
	policies := readDocs(t, filepath.Join("testdata", "differential", "policies.yaml"))
	b = vap.Bundle{}
	for i, o := range policies {
		if n := o.GetName(); n == "vd-authz-pod-delete" {
			if err := b.Add(o.Object, vap.Source{File: "policies.yaml", Line: i + 1}); err != nil {
				t.Fatal(err)
			}
		}
	}
	set, errs := vap.Compile(b, vap.Options{})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	u := &user.DefaultInfo{Name: testUser, Groups: []string{user.AllAuthenticated}}
	// A kind the API server does not serve (no CustomResourceDefinition).
	if _, err := set.RequestFor(map[string]any{"apiVersion": "vd.example.com/v1", "kind": "Widget",
		"metadata": map[string]any{"name": "w", "namespace": "vd-dev"}}, "vd-dev", u); err == nil {
		t.Error("a kind without its definition: no error")
	}
	// An authorizer check without an authorizer.
	pod := map[string]any{"apiVersion": "v1", "kind": "Pod", "metadata": map[string]any{"name": "p", "namespace": "vd-dev",
		"labels": map[string]any{"vd-authz": "delete"}}, "spec": map[string]any{"containers": []any{map[string]any{"name": "c", "image": "nginx"}}}}
	req, err := set.RequestFor(pod, "vd-dev", u)
	if err != nil {
		t.Fatal(err)
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "vd-dev", Labels: testNamespaces["vd-dev"]}}
	d, err := set.Evaluate(context.Background(), req, vap.Env{Namespace: func(string) (*corev1.Namespace, error) { return ns, nil }})
	if err == nil && d.Allowed {
		t.Errorf("an authorizer check without an authorizer was allowed: %+v", d)
	}
	// An object Prepare cannot decode.
	bad := map[string]any{"apiVersion": "v1", "kind": "Pod", "metadata": map[string]any{"name": "p"}, "spec": "not a spec"}
	if _, err := set.RequestFor(bad, "vd-dev", u); err == nil {
		t.Error("an undecodable pod: no error")
	}
}

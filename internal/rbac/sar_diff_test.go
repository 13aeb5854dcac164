package rbac_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/kubetest"
	"github.com/palisade-k8s/palisade/internal/rbac"
	"github.com/palisade-k8s/palisade/internal/rbac/bootstrap"
	"github.com/palisade-k8s/palisade/internal/source"
)

// SeedEnv overrides the differential test's seed, so that a failure reproduces.
const SeedEnv = "PALISADE_RBAC_DIFF_SEED"

// minTuples is the number of requests the differential test must compare at least.
const minTuples = 10000

// TestSARDifferential is the proof that Model.Authorize is the API server's RBAC
// authorizer. A server of its own (so that no other test's objects are in it) gets
//   - generated RBAC objects: Roles and ClusterRoles with random rules over a
//     vocabulary of verbs, groups, resources, subresources, "*", "*/scale",
//     resourceNames and non-resource URLs (exact, "*", trailing-"*" prefixes);
//     ClusterRoles aggregated by label selectors (matchLabels, matchExpressions,
//     several selectors, an empty selector, aggregation of aggregated roles, some
//     labelled to aggregate into the bootstrap admin, edit and view); RoleBindings and
//     ClusterRoleBindings to Roles, ClusterRoles, aggregated and bootstrap roles and
//     missing ones, naming Users, Groups (system:authenticated and the service
//     account groups among them) and ServiceAccounts with and without namespace,
//     across five namespaces;
//   - the RBAC objects of ../shared/corpus, loaded with the normal loader (the first
//     definition of each name; the server rejects a few);
//
// and the bootstrap policy it creates itself. Palisade's model is built from the same
// objects as loaded (generated ones converted like live objects, corpus ones as the
// loader read them) with IncludeDefaults, so the defaults come from the embedded
// data. Then at least 10,000 requests are answered by both, by SubjectAccessReview and
// by Model.Authorize, and must agree. The requests are chosen around the objects: for
// each subject, requests that one of its rules should allow, the same with one thing
// changed (verb, namespace, group, subresource, name, path), and random ones; users,
// groups only, service accounts (with their implicit groups, and bare), the anonymous
// user, system:masters members, and subjects named by the corpus.
//
// The same answers check WhoCan (a user the server allows is covered by a subject
// WhoCan lists, a user it denies by none), and RulesFor is compared with
// SelfSubjectRulesReview (impersonating each authenticated user) in each generated
// namespace.
//
// Limitation: kubetest runs no kube-controller-manager, so no one fills in the rules
// of aggregated ClusterRoles. The test does what the clusterrole-aggregation
// controller does, with an implementation of its own (aggregateRules: the union of
// the rules of every other ClusterRole a selector matches, to a fixpoint, replacing
// the role's own rules), writes the results into the server, and lets the model
// aggregate from the unaggregated objects. For aggregation the comparison is
// therefore with that implementation, not with the controller itself.
func TestSARDifferential(t *testing.T) {
	seed := uint64(1)
	if s := os.Getenv(SeedEnv); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("$%s=%q: %v", SeedEnv, s, err)
		}
		seed = v
	}
	t.Logf("seed %d (set $%s to change it)", seed, SeedEnv)
	c := kubetest.Own(t, kubetest.Options{})
	client := fastClient(t, c)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	start := time.Now()

	g := newGenerator(seed)
	generated := g.objects()
	corpus := corpusRBAC(t)

	// Namespaces: the generated ones and every one the corpus names.
	nsSet := map[string]bool{}
	for _, ns := range g.namespaces {
		nsSet[ns] = true
	}
	for _, o := range corpus {
		if o.Ref.Namespace != "" {
			nsSet[o.Ref.Namespace] = true
		}
	}
	for ns := range nsSet {
		_, err := client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatalf("namespace %s: %v", ns, err)
		}
	}

	// Create everything; what the server refuses is left out of the model too.
	var inputs []*inventory.Object
	for _, o := range generated {
		inputs = append(inputs, asLoaded(o, "generated"))
	}
	nGenerated := len(inputs)
	inputs = append(inputs, corpus...)
	results := createAll(ctx, client, inputs)
	var modelObjs []*inventory.Object
	rejected := map[string]int{}
	for i, err := range results {
		switch {
		case err == nil:
			modelObjs = append(modelObjs, inputs[i])
		case i < nGenerated:
			t.Fatalf("creating generated %s: %v", inputs[i].Ref, err)
		case apierrors.IsAlreadyExists(err):
			rejected["already exists (a bootstrap object)"]++
		case apierrors.IsInvalid(err) || apierrors.IsBadRequest(err):
			rejected["invalid"]++
			t.Logf("the API server refuses corpus %s (%s): %v", inputs[i].Ref, inputs[i].Origin, err)
		default:
			t.Fatalf("creating corpus %s (%s): %v", inputs[i].Ref, inputs[i].Origin, err)
		}
	}
	t.Logf("created %d generated and %d corpus RBAC objects (corpus left out: %v) in %v",
		nGenerated, len(modelObjs)-nGenerated, rejected, time.Since(start).Round(time.Millisecond))

	// Aggregation, as the controller manager would do it.
	crs, err := client.RbacV1().ClusterRoles().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	union := aggregateRules(crs.Items)
	for i := range crs.Items {
		cr := &crs.Items[i]
		rules, ok := union[cr.Name]
		if !ok {
			continue
		}
		cr.Rules = rules
		if _, err := client.RbacV1().ClusterRoles().Update(ctx, cr, metav1.UpdateOptions{}); err != nil {
			t.Fatalf("writing the aggregated rules of ClusterRole %s: %v", cr.Name, err)
		}
	}
	waitForAuthorizer(t, ctx, client, g.namespaces[0])

	m, problems, err := rbac.Build(modelObjs, rbac.Options{IncludeDefaults: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("model: %d objects, %d problems (bindings to missing roles and the like)", len(modelObjs), len(problems))

	reqs := g.requests(modelObjs, union)
	if len(reqs) < minTuples {
		t.Fatalf("only %d requests generated, want at least %d", len(reqs), minTuples)
	}
	sarStart := time.Now()
	got, err := reviewAll(ctx, client, reqs, 8)
	if err != nil {
		t.Fatal(err)
	}
	sarTime := time.Since(sarStart)

	allowed, mismatches := 0, 0
	kinds := map[string]int{}
	for i, a := range reqs {
		want := got[i]
		d := m.Authorize(a)
		if want.Allowed {
			allowed++
		}
		switch {
		case has(a.User.Groups, "system:masters"):
			kinds["system:masters"]++
		case !a.ResourceRequest:
			kinds["non-resource"]++
		case a.Namespace == "":
			kinds["cluster-wide"]++
		default:
			kinds["namespaced"]++
		}
		if d.Allowed == want.Allowed {
			continue
		}
		mismatches++
		if mismatches <= 50 {
			t.Errorf("MISMATCH %s\n\tAPI server: allowed=%v reason=%q\n\tPalisade:   allowed=%v reason=%q grants=%s",
				describe(a), want.Allowed, want.Reason, d.Allowed, d.Reason, grantsText(d.Grants))
		}
	}
	// WhoCan against the same answers: a user the server allows must be covered by
	// some subject WhoCan lists (its name, one of its groups, its service account),
	// and a user it denies by none.
	whoCanStart := time.Now()
	whoCan := map[string][]rbac.Answer{}
	whoCanMismatches := 0
	for i, a := range reqs {
		key := a
		key.User = rbac.UserInfo{}
		answers, ok := whoCan[describe(key)]
		if !ok {
			answers = m.WhoCan(key)
			whoCan[describe(key)] = answers
		}
		var covered []string
		for _, ans := range answers {
			if coveredBy(ans.Subject, a.User) {
				covered = append(covered, ans.Subject.String())
			}
		}
		if (len(covered) > 0) == got[i].Allowed {
			continue
		}
		whoCanMismatches++
		if whoCanMismatches <= 30 {
			t.Errorf("WHO-CAN MISMATCH %s\n\tAPI server: allowed=%v reason=%q\n\tWhoCan subjects covering the user: %v",
				describe(a), got[i].Allowed, got[i].Reason, covered)
		}
	}
	t.Logf("RBAC differential test: %d requests (%v), %d allowed, %d denied, %d mismatches; SubjectAccessReviews %v, whole test %v (seed %d)",
		len(reqs), kinds, allowed, len(reqs)-allowed, mismatches, sarTime.Round(time.Millisecond), time.Since(start).Round(time.Millisecond), seed)
	t.Logf("WhoCan: %d distinct requests in %v, %d mismatches", len(whoCan), time.Since(whoCanStart).Round(time.Millisecond), whoCanMismatches)

	// RulesFor against SelfSubjectRulesReview, asked as each user (impersonated) in
	// each generated namespace. Impersonation adds system:authenticated, so only users
	// that have it are asked (the anonymous user may not ask).
	rulesStart := time.Now()
	rulesChecked, rulesMismatches, rulesSeen := 0, 0, 0
	seenUser := map[string]bool{}
	for _, a := range reqs {
		u := a.User
		key := u.Name + "|" + strings.Join(u.Groups, ",")
		if seenUser[key] || has(u.Groups, "system:masters") || !has(u.Groups, "system:authenticated") || u.Name == "" {
			continue
		}
		seenUser[key] = true
		for _, ns := range g.namespaces {
			want, err := serverRules(ctx, c, u, ns)
			if err != nil {
				t.Fatal(err)
			}
			gotRules := map[string]bool{}
			for _, r := range m.RulesFor(u, ns) {
				gotRules[ruleText(r.Rule)] = true
			}
			rulesChecked++
			rulesSeen += len(want)
			if !reflect.DeepEqual(want, gotRules) {
				rulesMismatches++
				if rulesMismatches <= 10 {
					t.Errorf("RULES MISMATCH for user=%q groups=%q in %s:\n\tonly the API server: %v\n\tonly RulesFor: %v",
						u.Name, u.Groups, ns, setMinus(want, gotRules), setMinus(gotRules, want))
				}
			}
		}
	}
	t.Logf("RulesFor: %d (user, namespace) pairs (%d distinct rules in all) against SelfSubjectRulesReview in %v, %d mismatches",
		rulesChecked, rulesSeen, time.Since(rulesStart).Round(time.Millisecond), rulesMismatches)
	if rulesChecked < 100 || rulesSeen < 10*rulesChecked {
		t.Errorf("the rules comparison covered too little: %d pairs, %d rules", rulesChecked, rulesSeen)
	}
	if allowed < len(reqs)/10 || len(reqs)-allowed < len(reqs)/10 {
		t.Errorf("%d of %d requests allowed: the requests do not exercise both answers", allowed, len(reqs))
	}
}

// serverRules asks the API server for the rules of a user in a namespace
// (SelfSubjectRulesReview, impersonating the user), as a set of ruleText.
func serverRules(ctx context.Context, c *kubetest.Cluster, u rbac.UserInfo, ns string) (map[string]bool, error) {
	cfg := c.Config()
	cfg.QPS, cfg.Burst = -1, 0
	cfg.Impersonate.UserName = u.Name
	cfg.Impersonate.Groups = u.Groups
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	r, err := client.AuthorizationV1().SelfSubjectRulesReviews().Create(ctx, &authorizationv1.SelfSubjectRulesReview{
		Spec: authorizationv1.SelfSubjectRulesReviewSpec{Namespace: ns}}, metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("SelfSubjectRulesReview for %s in %s: %w", u.Name, ns, err)
	}
	// An evaluation error (a binding to a missing role) leaves the rules of every
	// other binding in the answer, which is what RulesFor lists too.
	out := map[string]bool{}
	for _, x := range r.Status.ResourceRules {
		out[ruleText(rbacv1.PolicyRule{Verbs: x.Verbs, APIGroups: x.APIGroups, Resources: x.Resources, ResourceNames: x.ResourceNames})] = true
	}
	for _, x := range r.Status.NonResourceRules {
		out[ruleText(rbacv1.PolicyRule{Verbs: x.Verbs, NonResourceURLs: x.NonResourceURLs})] = true
	}
	return out, nil
}

func ruleText(r rbacv1.PolicyRule) string {
	j := func(s []string) string { return "[" + strings.Join(s, ",") + "]" }
	if len(r.NonResourceURLs) > 0 {
		return "verbs=" + j(r.Verbs) + " urls=" + j(r.NonResourceURLs)
	}
	return "verbs=" + j(r.Verbs) + " groups=" + j(r.APIGroups) + " resources=" + j(r.Resources) + " names=" + j(r.ResourceNames)
}

func setMinus(a, b map[string]bool) []string {
	var out []string
	for k := range a {
		if !b[k] {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// coveredBy reports whether a who-can subject includes the user.
func coveredBy(s rbac.Subject, u rbac.UserInfo) bool {
	switch s.Kind {
	case rbac.KindUser:
		return s.Name == u.Name
	case rbac.KindGroup:
		return has(u.Groups, s.Name)
	case rbac.KindServiceAccount:
		return u.Name == "system:serviceaccount:"+s.Namespace+":"+s.Name
	}
	return false
}

func grantsText(gs []rbac.Grant) string {
	var parts []string
	for _, g := range gs {
		parts = append(parts, fmt.Sprintf("%s -> %s -> %s rule %d", g.Subject, g.Binding, g.Source, g.RuleIndex))
	}
	return "[" + strings.Join(parts, "; ") + "]"
}

func has(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// corpusDir is ../shared/corpus beside the repository root.
func corpusDir(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Skip("cannot locate the test source")
	}
	dir := filepath.Join(filepath.Dir(file), "..", "..", "..", "shared", "corpus")
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		t.Skipf("corpus not found at %s", dir)
	}
	return dir
}

// corpusRBAC loads the corpus with the normal loader and keeps the first definition
// of each RBAC object (several files install the same chart).
func corpusRBAC(t testing.TB) []*inventory.Object {
	t.Helper()
	src := &source.Files{Paths: []string{corpusDir(t)}}
	objs, _, err := rbac.ReadObjects(src)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	var out []*inventory.Object
	for _, o := range objs {
		if o.Group() != rbacv1.GroupName || o.Body == nil {
			continue
		}
		switch o.Ref.Kind {
		case "Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding":
		default:
			continue
		}
		ns := o.Ref.Namespace
		if o.Ref.Kind == "ClusterRole" || o.Ref.Kind == "ClusterRoleBinding" {
			ns = ""
		}
		key := o.Ref.Kind + "/" + ns + "/" + o.Ref.Name
		if seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, o)
	}
	if len(out) < 100 {
		t.Fatalf("only %d RBAC objects in the corpus", len(out))
	}
	return out
}

// asLoaded turns a typed object into an inventory object as the live reader does.
func asLoaded(o k8sruntime.Object, origin string) *inventory.Object {
	u, err := k8sruntime.DefaultUnstructuredConverter.ToUnstructured(o)
	if err != nil {
		panic(err)
	}
	kind := reflect.TypeOf(o).Elem().Name()
	u["apiVersion"], u["kind"] = rbacv1.SchemeGroupVersion.String(), kind
	md := u["metadata"].(map[string]any)
	delete(md, "creationTimestamp")
	ns, _ := md["namespace"].(string)
	name, _ := md["name"].(string)
	lbls := map[string]string{}
	if l, ok := md["labels"].(map[string]any); ok {
		for k, v := range l {
			lbls[k] = v.(string)
		}
	}
	return &inventory.Object{
		Ref:    finding.ObjectRef{APIVersion: rbacv1.SchemeGroupVersion.String(), Kind: kind, Namespace: ns, Name: name},
		Labels: lbls, Origin: finding.Location{File: origin}, Body: u,
	}
}

// createAll creates the objects in the server, concurrently; one error per object.
func createAll(ctx context.Context, client kubernetes.Interface, objs []*inventory.Object) []error {
	errs := make([]error, len(objs))
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				errs[i] = create(ctx, client, objs[i])
			}
		}()
	}
	// Roles before bindings does not matter to the API server; keep input order.
	for i := range objs {
		next <- i
	}
	close(next)
	wg.Wait()
	return errs
}

func create(ctx context.Context, client kubernetes.Interface, o *inventory.Object) error {
	rb := client.RbacV1()
	opts := metav1.CreateOptions{}
	ns := o.Ref.Namespace
	var err error
	switch o.Ref.Kind {
	case "Role":
		var x rbacv1.Role
		if err = fromBody(o, &x); err == nil {
			_, err = rb.Roles(ns).Create(ctx, &x, opts)
		}
	case "ClusterRole":
		var x rbacv1.ClusterRole
		if err = fromBody(o, &x); err == nil {
			_, err = rb.ClusterRoles().Create(ctx, &x, opts)
		}
	case "RoleBinding":
		var x rbacv1.RoleBinding
		if err = fromBody(o, &x); err == nil {
			_, err = rb.RoleBindings(ns).Create(ctx, &x, opts)
		}
	case "ClusterRoleBinding":
		var x rbacv1.ClusterRoleBinding
		if err = fromBody(o, &x); err == nil {
			_, err = rb.ClusterRoleBindings().Create(ctx, &x, opts)
		}
	default:
		err = fmt.Errorf("not an RBAC kind: %s", o.Ref.Kind)
	}
	return err
}

// fromBody decodes an object's body into a typed object, with the namespace the
// loader gave it and no server-set metadata.
func fromBody(o *inventory.Object, into metav1.Object) error {
	if err := k8sruntime.DefaultUnstructuredConverter.FromUnstructured(o.Body, into); err != nil {
		return apierrors.NewBadRequest(err.Error())
	}
	into.SetNamespace(o.Ref.Namespace)
	into.SetResourceVersion("")
	into.SetUID("")
	return nil
}

// aggregateRules is what the clusterrole-aggregation controller does, written for
// this test alone: an aggregated ClusterRole's rules become the union (without
// duplicates) of the rules of every other ClusterRole one of its selectors matches,
// its own rules dropped; aggregated roles feed each other until nothing changes.
// It returns the rules of every aggregated ClusterRole.
func aggregateRules(roles []rbacv1.ClusterRole) map[string][]rbacv1.PolicyRule {
	sort.Slice(roles, func(i, j int) bool { return roles[i].Name < roles[j].Name })
	current := map[string][]rbacv1.PolicyRule{}
	for _, r := range roles {
		if r.AggregationRule == nil {
			current[r.Name] = r.Rules
		} else {
			current[r.Name] = nil
		}
	}
	for changed := true; changed; {
		changed = false
		for _, r := range roles {
			if r.AggregationRule == nil {
				continue
			}
			var union []rbacv1.PolicyRule
			for _, s := range r.AggregationRule.ClusterRoleSelectors {
				sel, err := metav1.LabelSelectorAsSelector(&s)
				if err != nil {
					continue
				}
				for _, other := range roles {
					if other.Name == r.Name || !sel.Matches(labels.Set(other.Labels)) {
						continue
					}
					for _, rule := range current[other.Name] {
						if !containsRule(union, rule) {
							union = append(union, rule)
						}
					}
				}
			}
			if !reflect.DeepEqual(union, current[r.Name]) {
				current[r.Name] = union
				changed = true
			}
		}
	}
	out := map[string][]rbacv1.PolicyRule{}
	for _, r := range roles {
		if r.AggregationRule != nil {
			out[r.Name] = current[r.Name]
		}
	}
	return out
}

func containsRule(rules []rbacv1.PolicyRule, r rbacv1.PolicyRule) bool {
	for _, x := range rules {
		if reflect.DeepEqual(x, r) {
			return true
		}
	}
	return false
}

// waitForAuthorizer creates one object of each RBAC kind after all the others and
// waits until the authorizer honours them: its informers have then seen everything.
func waitForAuthorizer(t *testing.T, ctx context.Context, client kubernetes.Interface, ns string) {
	t.Helper()
	rb := client.RbacV1()
	const who = "palisade-sentinel"
	rule := []rbacv1.PolicyRule{{Verbs: []string{"get"}, APIGroups: []string{"sentinel.palisade.dev"}, Resources: []string{"sentinels"}}}
	subj := []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: who}}
	ref := func(kind string) rbacv1.RoleRef {
		return rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: kind, Name: who}
	}
	om := metav1.ObjectMeta{Name: who}
	must := func(_ any, err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(rb.ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: om, Rules: rule}, metav1.CreateOptions{}))
	must(rb.Roles(ns).Create(ctx, &rbacv1.Role{ObjectMeta: om, Rules: rule}, metav1.CreateOptions{}))
	must(rb.ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: om, RoleRef: ref("ClusterRole"), Subjects: subj}, metav1.CreateOptions{}))
	must(rb.RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{ObjectMeta: om, RoleRef: ref("Role"), Subjects: subj}, metav1.CreateOptions{}))
	u := rbac.UserInfo{Name: who}
	probes := []rbac.Attributes{
		{User: u, Verb: "get", ResourceRequest: true, APIGroup: "sentinel.palisade.dev", Resource: "sentinels"},                // ClusterRoleBinding
		{User: u, Verb: "get", ResourceRequest: true, APIGroup: "sentinel.palisade.dev", Resource: "sentinels", Namespace: ns}, // either
	}
	// The namespaced probe is allowed by the ClusterRoleBinding alone; a second user
	// bound only by the RoleBinding checks the Role and RoleBinding informers.
	must(rb.RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: who + "-2"}, RoleRef: ref("Role"),
		Subjects: []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: who + "-2"}}}, metav1.CreateOptions{}))
	probes = append(probes, rbac.Attributes{User: rbac.UserInfo{Name: who + "-2"}, Verb: "get", ResourceRequest: true,
		APIGroup: "sentinel.palisade.dev", Resource: "sentinels", Namespace: ns})
	deadline := time.Now().Add(time.Minute)
	for {
		res, err := reviewAll(ctx, client, probes, 1)
		if err != nil {
			t.Fatal(err)
		}
		if res[0].Allowed && res[2].Allowed {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the authorizer did not see the sentinel objects within a minute")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// generator makes RBAC objects and requests from a seed.
type generator struct {
	r          *rand.Rand
	namespaces []string
	users      []string
	groups     []string
	sas        []string
}

func newGenerator(seed uint64) *generator {
	return &generator{
		r:          rand.New(rand.NewPCG(seed, 0x5eed)),
		namespaces: []string{"diff-a", "diff-b", "diff-c", "kube-system", "default"},
		users:      []string{"ann", "ben", "cid", "dee", "eve", "fay", "gus", "hal"},
		groups:     []string{"devs", "ops", "auditors", "ci"},
		sas:        []string{"app", "worker", "builder"},
	}
}

// Vocabularies of rules and requests.
var (
	verbVocab = []string{"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection",
		"escalate", "bind", "impersonate", "use", "approve", "proxy"}
	groupVocab    = []string{"", "apps", "batch", "rbac.authorization.k8s.io", "example.com", "policy"}
	resourceVocab = []string{"pods", "pods/log", "pods/exec", "pods/status", "pods/ephemeralcontainers", "deployments",
		"deployments/scale", "replicasets/scale", "statefulsets/status", "secrets", "configmaps", "jobs", "cronjobs",
		"roles", "clusterroles", "rolebindings", "nodes", "nodes/proxy", "namespaces", "serviceaccounts/token",
		"widgets", "widgets/status", "users", "groups"}
	ruleResourceExtra = []string{"*", "*", "*/scale", "*/status", "pods/*", "Pods"}
	nameVocab         = []string{"a", "b", "cfg", "x"}
	urlVocab          = []string{"/healthz", "/healthz/ready", "/livez", "/metrics", "/api", "/api/v1", "/apis/apps",
		"/logs", "/logs/kube.log", "/version", "/openapi/v2", "/", "/custom/x/y", "/customer"}
	ruleURLExtra   = []string{"*", "/healthz/*", "/logs*", "/logs**", "/custom/*", "/api/*", "/x/*/y", "/metrics"}
	urlVerbVocab   = []string{"get", "post", "put", "patch", "delete", "head", "options"}
	subresourceAlt = []string{"status", "scale", "log", "proxy"}
)

func (g *generator) pick(s []string) string { return s[g.r.IntN(len(s))] }

func (g *generator) some(s []string, max int) []string {
	n := 1 + g.r.IntN(max)
	out := make([]string, 0, n)
	for i := 0; i < n; i++ {
		v := g.pick(s)
		if !has(out, v) {
			out = append(out, v)
		}
	}
	return out
}

func (g *generator) resourceRule() rbacv1.PolicyRule {
	r := rbacv1.PolicyRule{
		Verbs:     g.some(append(verbVocab, "*"), 3),
		APIGroups: g.some(append(groupVocab, "*"), 2),
		Resources: g.some(append(resourceVocab, ruleResourceExtra...), 3),
	}
	if g.r.IntN(4) == 0 {
		r.ResourceNames = g.some(append(nameVocab, ""), 2)
	}
	return r
}

func (g *generator) urlRule() rbacv1.PolicyRule {
	return rbacv1.PolicyRule{
		Verbs:           g.some(append(urlVerbVocab, "*", "GET"), 2),
		NonResourceURLs: g.some(append(urlVocab, ruleURLExtra...), 2),
	}
}

func (g *generator) rules(cluster bool) []rbacv1.PolicyRule {
	n := 1 + g.r.IntN(3)
	var out []rbacv1.PolicyRule
	for i := 0; i < n; i++ {
		if cluster && g.r.IntN(4) == 0 {
			out = append(out, g.urlRule())
		} else {
			out = append(out, g.resourceRule())
		}
	}
	return out
}

func (g *generator) subject(ns string) rbacv1.Subject {
	rbacGroup := rbacv1.GroupName
	switch g.r.IntN(12) {
	case 0, 1, 2, 3:
		return rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacGroup, Name: g.pick(g.users)}
	case 4, 5:
		return rbacv1.Subject{Kind: rbacv1.GroupKind, APIGroup: rbacGroup, Name: g.pick(g.groups)}
	case 6:
		special := []string{"system:serviceaccounts", "system:serviceaccounts:" + g.pick(g.namespaces), "system:unauthenticated", "system:authenticated"}
		// system:authenticated grants everyone: rarely
		n := len(special)
		if g.r.IntN(4) != 0 {
			n--
		}
		return rbacv1.Subject{Kind: rbacv1.GroupKind, APIGroup: rbacGroup, Name: special[g.r.IntN(n)]}
	case 7:
		// a service account by its username
		return rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacGroup, Name: "system:serviceaccount:" + g.pick(g.namespaces) + ":" + g.pick(g.sas)}
	case 8:
		if ns != "" {
			// a RoleBinding's service account without namespace is in the binding's
			return rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Name: g.pick(g.sas)}
		}
	}
	return rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Namespace: g.pick(g.namespaces), Name: g.pick(g.sas)}
}

func (g *generator) subjects(ns string) []rbacv1.Subject {
	n := 1 + g.r.IntN(3)
	var out []rbacv1.Subject
	for i := 0; i < n; i++ {
		out = append(out, g.subject(ns))
	}
	return out
}

// objects generates the RBAC objects.
func (g *generator) objects() []k8sruntime.Object {
	var out []k8sruntime.Object
	var clusterRoles, aggregated []string
	aggLabels := []map[string]string{
		{"diff.palisade.dev/agg-x": "true"},
		{"diff.palisade.dev/agg-y": "true"},
		{"diff.palisade.dev/tier": "a"},
		{"diff.palisade.dev/tier": "b"},
		{"rbac.authorization.k8s.io/aggregate-to-view": "true"},
		{"rbac.authorization.k8s.io/aggregate-to-edit": "true"},
		{"rbac.authorization.k8s.io/aggregate-to-admin": "true"},
	}
	for i := 0; i < 30; i++ {
		name := fmt.Sprintf("diff-cr-%d", i)
		cr := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: g.rules(true)}
		if g.r.IntN(2) == 0 {
			cr.Labels = map[string]string{}
			for k, v := range aggLabels[g.r.IntN(len(aggLabels))] {
				cr.Labels[k] = v
			}
		}
		clusterRoles = append(clusterRoles, name)
		out = append(out, cr)
	}
	selectors := [][]metav1.LabelSelector{
		{{MatchLabels: map[string]string{"diff.palisade.dev/agg-x": "true"}}},
		{{MatchLabels: map[string]string{"diff.palisade.dev/agg-y": "true"}}, {MatchLabels: map[string]string{"diff.palisade.dev/tier": "b"}}},
		{{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "diff.palisade.dev/tier", Operator: metav1.LabelSelectorOpIn, Values: []string{"a", "b"}}}}},
		{{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "diff.palisade.dev/agg-x", Operator: metav1.LabelSelectorOpExists}}}},
		// aggregates the aggregated role agg-3 (labelled agg-y): a chain
		{{MatchLabels: map[string]string{"diff.palisade.dev/agg-y": "true"}}},
		// an empty selector matches every ClusterRole
		{{}},
		// no role has these labels: an aggregated role with no rules
		{{MatchLabels: map[string]string{"diff.palisade.dev/none": "true"}}},
	}
	for i, sel := range selectors {
		name := fmt.Sprintf("diff-agg-%d", i)
		cr := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name}, AggregationRule: &rbacv1.AggregationRule{ClusterRoleSelectors: sel}}
		if i == 3 {
			cr.Labels = map[string]string{"diff.palisade.dev/agg-y": "true"}
		}
		if i == 1 {
			cr.Labels = map[string]string{"diff.palisade.dev/agg-x": "true"} // agg-0 and agg-3 take agg-1's union
		}
		if g.r.IntN(2) == 0 {
			// own rules of an aggregated role are replaced by the aggregation
			cr.Rules = g.rules(true)
		}
		aggregated = append(aggregated, name)
		out = append(out, cr)
	}
	roleNames := map[string][]string{}
	for _, ns := range g.namespaces {
		for i := 0; i < 6; i++ {
			name := fmt.Sprintf("diff-role-%d", i)
			out = append(out, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Rules: g.rules(false)})
			roleNames[ns] = append(roleNames[ns], name)
		}
	}
	bootstrapRoles := []string{"view", "edit", "admin", "system:basic-user", "system:node-proxier", "system:auth-delegator"}
	clusterRef := func() string {
		switch n := g.r.IntN(20); {
		case n < 11:
			return g.pick(clusterRoles)
		case n < 16:
			return g.pick(aggregated)
		case n < 19:
			return g.pick(bootstrapRoles)
		default:
			return "diff-missing"
		}
	}
	for i := 0; i < 25; i++ {
		out = append(out, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("diff-crb-%d", i)},
			RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: clusterRef()}, Subjects: g.subjects("")})
	}
	for _, ns := range g.namespaces {
		for i := 0; i < 10; i++ {
			ref := rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: g.pick(roleNames[ns])}
			switch n := g.r.IntN(10); {
			case n < 4:
				ref.Kind, ref.Name = "ClusterRole", clusterRef()
			case n == 4:
				ref.Name = "diff-missing-role"
			}
			out = append(out, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("diff-rb-%d", i), Namespace: ns},
				RoleRef: ref, Subjects: g.subjects(ns)})
		}
	}
	// An empty-selector aggregated role grants everything: bind it once, narrowly.
	out = append(out, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "diff-rb-everything", Namespace: g.namespaces[1]},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "diff-agg-5"},
		Subjects: []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "omni"}}})
	return out
}

// applicable is a binding's rules as they apply to some subject, found directly from
// the objects, for choosing requests near what is granted.
type applicable struct {
	ns    string // "" for a ClusterRoleBinding
	rules []rbacv1.PolicyRule
}

// requests picks the requests: per subject, some near its grants, some random.
func (g *generator) requests(objs []*inventory.Object, aggregated map[string][]rbacv1.PolicyRule) []rbac.Attributes {
	// Rules of every role, bootstrap ones included (as the model reads them).
	roleRules := map[string][]rbacv1.PolicyRule{}
	type bindingInfo struct {
		ns       string
		cluster  bool
		roleKey  string
		subjects []rbacv1.Subject
	}
	var bindings []bindingInfo
	var corpusResources, corpusGroups []string
	all := append([]*inventory.Object(nil), objs...)
	if defs, err := bootstrap.Objects(""); err == nil {
		all = append(defs, all...)
	}
	for _, o := range all {
		switch o.Ref.Kind {
		case "Role", "ClusterRole":
			var r rbacv1.ClusterRole
			if k8sruntime.DefaultUnstructuredConverter.FromUnstructured(o.Body, &r) != nil {
				continue
			}
			key := "ClusterRole/" + o.Ref.Name
			if o.Ref.Kind == "Role" {
				key = "Role/" + o.Ref.Namespace + "/" + o.Ref.Name
			}
			roleRules[key] = r.Rules
			if agg, ok := aggregated[o.Ref.Name]; ok && o.Ref.Kind == "ClusterRole" {
				roleRules[key] = agg
			}
			if o.Origin.File != "generated" {
				for _, rule := range r.Rules {
					corpusResources = append(corpusResources, rule.Resources...)
					corpusGroups = append(corpusGroups, rule.APIGroups...)
				}
			}
		case "RoleBinding", "ClusterRoleBinding":
			var b rbacv1.RoleBinding
			if k8sruntime.DefaultUnstructuredConverter.FromUnstructured(o.Body, &b) != nil {
				continue
			}
			bi := bindingInfo{ns: o.Ref.Namespace, cluster: o.Ref.Kind == "ClusterRoleBinding", subjects: b.Subjects}
			if bi.cluster {
				bi.ns = ""
			}
			bi.roleKey = "ClusterRole/" + b.RoleRef.Name
			if b.RoleRef.Kind == "Role" {
				bi.roleKey = "Role/" + o.Ref.Namespace + "/" + b.RoleRef.Name
			}
			bindings = append(bindings, bi)
		}
	}
	corpusResources, corpusGroups = sample(g, dedup(corpusResources), 40), sample(g, dedup(corpusGroups), 15)
	resources := append(append([]string(nil), resourceVocab...), corpusResources...)
	groups := append(append([]string(nil), groupVocab...), corpusGroups...)
	namespaces := append(append([]string(nil), g.namespaces...), "", "", "nowhere", "monitoring", "argocd")

	// The users asking.
	authn := "system:authenticated"
	var users []rbac.UserInfo
	for i, u := range g.users {
		users = append(users, rbac.UserInfo{Name: u, Groups: []string{authn}})
		users = append(users, rbac.UserInfo{Name: u, Groups: []string{g.groups[i%len(g.groups)], authn}})
	}
	for _, grp := range g.groups {
		users = append(users, rbac.UserInfo{Groups: []string{grp, authn}})
	}
	for _, ns := range g.namespaces {
		for _, sa := range g.sas {
			users = append(users, rbac.UserInfoFor(rbac.Subject{Kind: rbac.KindServiceAccount, Namespace: ns, Name: sa}, nil))
		}
		// a service account's name without its groups
		users = append(users, rbac.UserInfo{Name: "system:serviceaccount:" + ns + ":" + g.sas[0]})
	}
	users = append(users,
		rbac.UserInfo{Name: "system:anonymous", Groups: []string{"system:unauthenticated"}},
		rbac.UserInfo{Name: "root", Groups: []string{"system:masters"}},
		rbac.UserInfo{Name: "omni", Groups: []string{authn}},
		rbac.UserInfo{Name: "nobody"},
	)
	// Subjects the corpus names.
	var corpusUsers []rbac.UserInfo
	seen := map[string]bool{}
	for _, b := range bindings {
		for _, s := range b.subjects {
			var u rbac.UserInfo
			switch s.Kind {
			case rbacv1.UserKind:
				if strings.HasPrefix(s.Name, "system:node:") || strings.HasPrefix(s.Name, "system:kube-") {
					continue // the Node authorizer's, or bootstrap components
				}
				u = rbac.UserInfoFor(rbac.Subject{Kind: rbac.KindUser, Name: s.Name}, nil)
			case rbacv1.GroupKind:
				if s.Name == "system:nodes" || s.Name == "system:masters" {
					continue
				}
				u = rbac.UserInfo{Name: "member-of-" + strings.ReplaceAll(s.Name, ":", "-"), Groups: []string{s.Name, authn}}
			case rbacv1.ServiceAccountKind:
				ns := s.Namespace
				if ns == "" {
					ns = b.ns
				}
				if ns == "" {
					continue
				}
				u = rbac.UserInfoFor(rbac.Subject{Kind: rbac.KindServiceAccount, Namespace: ns, Name: s.Name}, nil)
			}
			if u.Name == "" || seen[u.Name] {
				continue
			}
			seen[u.Name] = true
			corpusUsers = append(corpusUsers, u)
		}
	}
	g.r.Shuffle(len(corpusUsers), func(i, j int) { corpusUsers[i], corpusUsers[j] = corpusUsers[j], corpusUsers[i] })
	if len(corpusUsers) > 50 {
		corpusUsers = corpusUsers[:50]
	}
	users = append(users, corpusUsers...)

	appliesTo := func(u rbac.UserInfo, b bindingInfo) bool {
		for _, s := range b.subjects {
			switch s.Kind {
			case rbacv1.UserKind:
				if s.Name == u.Name {
					return true
				}
			case rbacv1.GroupKind:
				if has(u.Groups, s.Name) {
					return true
				}
			case rbacv1.ServiceAccountKind:
				ns := s.Namespace
				if ns == "" {
					ns = b.ns
				}
				if ns != "" && u.Name == "system:serviceaccount:"+ns+":"+s.Name {
					return true
				}
			}
		}
		return false
	}

	randomResource := func(u rbac.UserInfo) rbac.Attributes {
		res, sub, _ := strings.Cut(g.pick(resources), "/")
		a := rbac.Attributes{User: u, ResourceRequest: true, Verb: g.pick(verbVocab), APIGroup: g.pick(groups),
			Resource: res, Subresource: sub, Namespace: g.pick(namespaces)}
		if g.r.IntN(2) == 0 {
			a.Name = g.pick(nameVocab)
		}
		return a
	}
	randomURL := func(u rbac.UserInfo) rbac.Attributes {
		return rbac.Attributes{User: u, Verb: g.pick(urlVerbVocab), Path: g.pick(urlVocab)}
	}
	// near makes a request one of the rules should allow, then perhaps changes one
	// thing about it.
	near := func(u rbac.UserInfo, ap applicable, rule rbacv1.PolicyRule) rbac.Attributes {
		pickOr := func(list []string, star string, vocab []string) string {
			v := g.pick(list)
			if v == star {
				return g.pick(vocab)
			}
			return v
		}
		var a rbac.Attributes
		a.User = u
		a.Verb = pickOr(rule.Verbs, "*", verbVocab)
		if len(rule.NonResourceURLs) > 0 {
			a.Verb = strings.ToLower(pickOr(rule.Verbs, "*", urlVerbVocab))
			p := g.pick(rule.NonResourceURLs)
			switch {
			case p == "*":
				p = g.pick(urlVocab)
			case strings.HasSuffix(p, "*"):
				p = strings.TrimRight(p, "*") + g.pick([]string{"", "x", "/deep/er"})
			}
			a.Path = p
			if g.r.IntN(3) == 0 {
				switch g.r.IntN(3) {
				case 0:
					a.Verb = g.pick(urlVerbVocab)
				case 1:
					a.Path = strings.TrimSuffix(a.Path, "x") + "/"
				default:
					if len(a.Path) > 1 {
						a.Path = a.Path[:len(a.Path)-1]
					}
				}
			}
			return a
		}
		if len(rule.Resources) == 0 || len(rule.APIGroups) == 0 {
			return randomResource(u)
		}
		a.ResourceRequest = true
		a.APIGroup = pickOr(rule.APIGroups, "*", groups)
		res := g.pick(rule.Resources)
		switch {
		case res == "*":
			res = g.pick(resources)
		case strings.HasPrefix(res, "*/"):
			res = strings.SplitN(g.pick(resources), "/", 2)[0] + res[1:]
		}
		a.Resource, a.Subresource, _ = strings.Cut(res, "/")
		if len(rule.ResourceNames) > 0 {
			a.Name = g.pick(rule.ResourceNames)
		} else if g.r.IntN(2) == 0 {
			a.Name = g.pick(nameVocab)
		}
		a.Namespace = ap.ns
		if ap.ns == "" {
			a.Namespace = g.pick(namespaces)
		}
		if g.r.IntN(2) == 0 {
			switch g.r.IntN(6) {
			case 0:
				a.Verb = g.pick(verbVocab)
			case 1:
				a.Namespace = g.pick(namespaces)
			case 2:
				a.APIGroup = g.pick(groups)
			case 3:
				if a.Subresource == "" {
					a.Subresource = g.pick(subresourceAlt)
				} else {
					a.Subresource = ""
				}
			case 4:
				if a.Name == "" {
					a.Name = g.pick(nameVocab)
				} else {
					a.Name = ""
				}
			default:
				a.Namespace = ""
			}
		}
		return a
	}

	var reqs []rbac.Attributes
	perUser := minTuples/len(users) + 20
	for _, u := range users {
		var aps []applicable
		for _, b := range bindings {
			if rules, ok := roleRules[b.roleKey]; ok && appliesTo(u, b) && len(rules) > 0 {
				aps = append(aps, applicable{ns: b.ns, rules: rules})
			}
		}
		for i := 0; i < perUser; i++ {
			switch n := g.r.IntN(10); {
			case len(aps) > 0 && n < 6:
				ap := aps[g.r.IntN(len(aps))]
				reqs = append(reqs, near(u, ap, ap.rules[g.r.IntN(len(ap.rules))]))
			case n < 8:
				reqs = append(reqs, randomResource(u))
			default:
				reqs = append(reqs, randomURL(u))
			}
		}
	}
	return reqs
}

func dedup(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	sort.Strings(out)
	return out
}

func sample(g *generator, s []string, n int) []string {
	g.r.Shuffle(len(s), func(i, j int) { s[i], s[j] = s[j], s[i] })
	if len(s) > n {
		s = s[:n]
	}
	return s
}

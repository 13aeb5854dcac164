package rbac

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/palisade-k8s/palisade/internal/kubetest"
	"github.com/palisade-k8s/palisade/internal/source"
)

// sar asks the API server whether a request is allowed.
func sar(t *testing.T, client kubernetes.Interface, a Attributes) bool {
	t.Helper()
	spec := authorizationv1.SubjectAccessReviewSpec{User: a.User.Name, Groups: a.User.Groups}
	if a.ResourceRequest {
		spec.ResourceAttributes = &authorizationv1.ResourceAttributes{Namespace: a.Namespace, Verb: a.Verb, Group: a.APIGroup,
			Resource: a.Resource, Subresource: a.Subresource, Name: a.Name}
	} else {
		spec.NonResourceAttributes = &authorizationv1.NonResourceAttributes{Path: a.Path, Verb: a.Verb}
	}
	r, err := client.AuthorizationV1().SubjectAccessReviews().Create(context.Background(),
		&authorizationv1.SubjectAccessReview{Spec: spec}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("SubjectAccessReview %+v: %v", a, err)
	}
	return r.Status.Allowed
}

func rule(verbs, groups, resources, names []string) rbacv1.PolicyRule {
	return rbacv1.PolicyRule{Verbs: verbs, APIGroups: groups, Resources: resources, ResourceNames: names}
}

func l(s ...string) []string { return s }

// TestServerAgrees creates RBAC objects covering every semantic point of the package
// in a real API server, reads them back through the live source (bootstrap roles and
// bindings included) and compares Authorize with SubjectAccessReview on every
// combination of a set of subjects and requests.
func TestServerAgrees(t *testing.T) {
	c := kubetest.Shared(t)
	ctx := context.Background()
	admin := c.Client()
	ns1, ns2 := c.Namespace(t, nil), c.Namespace(t, nil)
	p := ns1 + "-" // prefix of cluster-scoped names and users, unique to this test
	rb := admin.RbacV1()
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	cr := func(name string, rules ...rbacv1.PolicyRule) {
		must(rb.ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: p + name}, Rules: rules}, metav1.CreateOptions{}))
	}
	role := func(ns, name string, rules ...rbacv1.PolicyRule) {
		must(rb.Roles(ns).Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: rules}, metav1.CreateOptions{}))
	}
	user := func(n string) rbacv1.Subject {
		return rbacv1.Subject{Kind: "User", APIGroup: rbacv1.GroupName, Name: n}
	}
	group := func(n string) rbacv1.Subject {
		return rbacv1.Subject{Kind: "Group", APIGroup: rbacv1.GroupName, Name: n}
	}
	sa := func(ns, n string) rbacv1.Subject {
		return rbacv1.Subject{Kind: "ServiceAccount", Namespace: ns, Name: n}
	}
	crb := func(name, roleName string, subjects ...rbacv1.Subject) error {
		_, err := rb.ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: p + name},
			RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: p + roleName}, Subjects: subjects}, metav1.CreateOptions{})
		return err
	}
	rbind := func(ns, name, kind, roleName string, subjects ...rbacv1.Subject) {
		if kind == "ClusterRole" {
			roleName = p + roleName
		}
		must(rb.RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name},
			RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: kind, Name: roleName}, Subjects: subjects}, metav1.CreateOptions{}))
	}

	cr("star", rule(l("*"), l("*"), l("*"), nil))
	cr("pods", rule(l("get", "list"), l(""), l("pods"), nil))
	cr("scale", rule(l("update"), l("*"), l("*/scale"), nil))
	cr("logs", rule(l("get"), l(""), l("pods/log"), nil))
	cr("named", rule(l("get", "list", "watch", "create", "delete", "deletecollection"), l(""), l("configmaps"), l("cfg")))
	cr("urls", rbacv1.PolicyRule{Verbs: l("get"), NonResourceURLs: l("/healthz", "/custom/*")})
	cr("nodes", rule(l("get", "patch"), l(""), l("nodes"), nil))
	cr("apps", rule(l("*"), l("apps"), l("deployments", "statefulsets"), nil))
	role(ns1, "local", rule(l("get"), l(""), l("secrets", "nodes"), nil))
	role(ns2, "local", rule(l("get"), l(""), l("configmaps"), nil))

	must(nil, crb("pods", "pods", sa(ns1, "app"), group(p+"grp"), user("system:serviceaccount:"+ns2+":robot")))
	must(nil, crb("named", "named", user(p+"named")))
	must(nil, crb("urls", "urls", user(p+"url")))
	must(nil, crb("nodes", "nodes", user(p+"nodes")))
	must(nil, crb("logs", "logs", group("system:serviceaccounts:"+ns2)))
	rbind(ns1, "scale", "ClusterRole", "scale", user(p+"scale"))
	rbind(ns1, "apps", "ClusterRole", "apps", user(p+"local"))
	rbind(ns1, "local", "Role", "local", sa("", "worker"), user(p+"local"))
	rbind(ns2, "local", "Role", "local", user(p+"local"))
	rbind(ns1, "missing", "Role", "nope", user(p+"missing"))
	rbind(ns2, "missing", "ClusterRole", "nope", user(p+"missing"))
	rbind(ns2, "star-for-ns1-sas", "ClusterRole", "star", group("system:serviceaccounts:"+ns1))
	// Non-resource requests have no namespace: a RoleBinding never grants them.
	rbind(ns1, "urls", "ClusterRole", "urls", user(p+"rb-url"))
	// The API server refuses a ClusterRoleBinding whose service account has no
	// namespace: the model's reading (it matches nothing) cannot be contradicted.
	if err := crb("sa-no-ns", "star", sa("", "orphan")); !apierrors.IsInvalid(err) {
		t.Fatalf("ClusterRoleBinding with a namespace-less service account: err = %v, want Invalid", err)
	}
	// Sentinels, created last of their kinds: once they take effect, the authorizer's
	// informers have seen everything before them.
	cr("sentinel", rule(l("get"), l(""), l("pods"), nil))
	role(ns2, "sentinel", rule(l("get"), l(""), l("pods"), nil))
	must(nil, crb("sentinel", "sentinel", user(p+"sentinel")))
	rbind(ns2, "sentinel", "Role", "sentinel", user(p+"sentinel2"))
	deadline := time.Now().Add(30 * time.Second)
	for !sar(t, admin, res(UserInfo{Name: p + "sentinel"}, "get", "", "pods", "", "", "x")) ||
		!sar(t, admin, res(UserInfo{Name: p + "sentinel2"}, "get", "", "pods", "", ns2, "x")) {
		if time.Now().After(deadline) {
			t.Fatal("the sentinel bindings never took effect")
		}
		time.Sleep(100 * time.Millisecond)
	}

	m, problems, errs, err := fromSource(&source.Cluster{Config: c.Config()}, Options{})
	if err != nil || len(errs) > 0 {
		t.Fatalf("reading the cluster: %v %v", err, errs)
	}
	for _, want := range []string{"RoleBinding/" + ns1 + "/missing", "RoleBinding/" + ns2 + "/missing"} {
		found := false
		for _, pr := range problems {
			found = found || pr.Ref.String() == want
		}
		if !found {
			t.Errorf("no problem reported for %s", want)
		}
	}

	subject := func(s string) Subject {
		x, err := ParseSubject(s)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	users := []UserInfo{
		UserInfoFor(subject("sa:"+ns1+":app"), nil),
		UserInfoFor(subject("sa:"+ns1+":worker"), nil),
		UserInfoFor(subject("sa:"+ns2+":worker"), nil),
		UserInfoFor(subject("sa:"+ns2+":robot"), nil),
		UserInfoFor(subject("sa:default:orphan"), nil),
		UserInfoFor(subject("user:"+p+"named"), nil),
		UserInfoFor(subject("user:"+p+"url"), nil),
		UserInfoFor(subject("user:"+p+"rb-url"), nil),
		UserInfoFor(subject("user:"+p+"nodes"), nil),
		UserInfoFor(subject("user:"+p+"scale"), nil),
		UserInfoFor(subject("user:"+p+"local"), nil),
		UserInfoFor(subject("user:"+p+"missing"), nil),
		UserInfoFor(subject("user:someone"), []string{p + "grp"}),
		UserInfoFor(subject("user:root"), []string{GroupMasters}),
		UserInfoFor(subject("user:"+UserAnonymous), nil),
		{Name: p + "nogroups"},
	}
	type req struct{ verb, group, resource, sub string }
	reqs := []req{
		{"get", "", "pods", ""}, {"list", "", "pods", ""}, {"create", "", "pods", ""}, {"get", "", "pods", "status"},
		{"get", "", "pods", "log"}, {"create", "", "pods", "exec"}, {"update", "apps", "deployments", "scale"},
		{"update", "", "replicationcontrollers", "scale"}, {"update", "apps", "deployments", ""}, {"delete", "apps", "statefulsets", ""},
		{"get", "", "configmaps", ""}, {"list", "", "configmaps", ""}, {"watch", "", "configmaps", ""}, {"create", "", "configmaps", ""},
		{"deletecollection", "", "configmaps", ""}, {"get", "", "secrets", ""}, {"get", "", "nodes", ""}, {"patch", "", "nodes", "status"},
		{"escalate", "rbac.authorization.k8s.io", "clusterroles", ""}, {"create", "authorization.k8s.io", "selfsubjectaccessreviews", ""},
	}
	urls := []string{"/healthz", "/healthz/etcd", "/custom/a/b", "/custom", "/version", "/api", "/metrics", "/livez"}
	n, mismatches, allowedN := 0, 0, 0
	check := func(a Attributes) {
		n++
		got, want := m.Authorize(a), sar(t, admin, a)
		if want {
			allowedN++
		}
		if got.Allowed != want {
			mismatches++
			if mismatches <= 20 {
				t.Errorf("%s: palisade %v (%s), API server %v", describeAttrs(a), got.Allowed, got.Reason, want)
			}
		}
	}
	for _, u := range users {
		for _, r := range reqs {
			for _, ns := range []string{ns1, ns2, ""} {
				for _, name := range []string{"", "cfg"} {
					check(Attributes{User: u, Verb: r.verb, ResourceRequest: true, APIGroup: r.group, Resource: r.resource, Subresource: r.sub, Namespace: ns, Name: name})
				}
			}
		}
		for _, path := range urls {
			for _, verb := range []string{"get", "post"} {
				check(Attributes{User: u, Verb: verb, Path: path})
			}
		}
	}
	t.Logf("%d requests (%d allowed), %d mismatches", n, allowedN, mismatches)
	if allowedN < n/10 || allowedN > n*9/10 {
		t.Errorf("the requests are not a useful mix: %d of %d allowed", allowedN, n)
	}

	// WhoCan agrees with Authorize for every subject it names.
	a := Attributes{Verb: "get", ResourceRequest: true, Resource: "pods", Namespace: ns1, Name: "x"}
	for _, ans := range m.WhoCan(a) {
		u := UserInfoFor(ans.Subject, nil)
		if ans.Subject.Kind == KindGroup {
			u = UserInfo{Name: p + "probe", Groups: []string{ans.Subject.Name}}
		}
		a.User = u
		if !sar(t, admin, a) {
			t.Errorf("who-can get pods in %s names %s, which the API server denies", ns1, ans.Subject)
		}
	}
}

func describeAttrs(a Attributes) string {
	who := fmt.Sprintf("%s%v", a.User.Name, a.User.Groups)
	if !a.ResourceRequest {
		return fmt.Sprintf("%s %s %s", who, a.Verb, a.Path)
	}
	r := a.Resource
	if a.APIGroup != "" {
		r += "." + a.APIGroup
	}
	if a.Subresource != "" {
		r += "/" + a.Subresource
	}
	return strings.TrimSpace(fmt.Sprintf("%s %s %s ns=%q name=%q", who, a.Verb, r, a.Namespace, a.Name))
}

package cli

// palisade rbac against a real kube-apiserver (internal/kubetest): without -f the live
// cluster is the input, bootstrap roles and bindings included.

import (
	"bytes"
	"context"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/palisade-k8s/palisade/internal/kubetest"
)

func runRBAC(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := Main(append([]string{"rbac"}, args...), strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func TestRBACCluster(t *testing.T) {
	c := kubetest.Shared(t)
	ctx := context.Background()
	cs := c.Client()
	ns := c.Namespace(t, nil)
	if _, err := cs.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "deployer"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.RbacV1().Roles(ns).Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "scaler"},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{"apps"}, Resources: []string{"deployments/scale"}, Verbs: []string{"update", "patch"}}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "deployer-scales"},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "scaler"},
		Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: "deployer"}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	l := map[string]string{"app": "ci"}
	if _, err := cs.AppsV1().Deployments(ns).Create(ctx, &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "ci"},
		Spec: appsv1.DeploymentSpec{Selector: &metav1.LabelSelector{MatchLabels: l}, Template: corev1.PodTemplateSpec{
			ObjectMeta: metav1.ObjectMeta{Labels: l},
			Spec:       corev1.PodSpec{ServiceAccountName: "deployer", Containers: []corev1.Container{{Name: "ci", Image: "registry.example.com/ci"}}},
		}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	kc := writeKubeconfig(t, c.Config())

	code, out, stderr := runRBAC("who-can", "update", "deploy/scale", "web", "-n", ns, "--kubeconfig", kc)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"sa:" + ns + ":deployer\n  RoleBinding " + ns + "/deployer-scales -> Role " + ns + "/scaler, rule 0: update,patch deployments.apps/scale (in " + ns + ")",
		"Deployment " + ns + "/ci as deployer",
		// The bootstrap cluster-admin binding of the API server.
		"group:system:masters\n  system:masters bypasses RBAC\n  ClusterRoleBinding cluster-admin -> ClusterRole cluster-admin",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("who-can output lacks %q:\n%s", want, out)
		}
	}
	// What every authenticated user gets from the bootstrap policy, read live.
	code, out, _ = runRBAC("can", "sa:"+ns+":deployer", "create", "selfsubjectaccessreviews.authorization.k8s.io", "--kubeconfig", kc)
	if code != 0 || !strings.Contains(out, "ClusterRoleBinding system:basic-user -> ClusterRole system:basic-user") {
		t.Errorf("can create selfsubjectaccessreviews: exit %d\n%s", code, out)
	}
	code, out, _ = runRBAC("can", "sa:"+ns+":deployer", "update", "deployments.apps/scale", "-n", "default", "--kubeconfig", kc)
	if code != ExitFindings || !strings.HasPrefix(out, "no\n") {
		t.Errorf("another namespace: exit %d\n%s", code, out)
	}
}

// TestRBACRisksCluster: palisade rbac risks without -f reads the live cluster; the
// API server's own bootstrap grants are left out unless --include-system.
func TestRBACRisksCluster(t *testing.T) {
	c := kubetest.Shared(t)
	ctx := context.Background()
	cs := c.Client()
	ns := c.Namespace(t, nil)
	if _, err := cs.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "reader"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.RbacV1().Roles(ns).Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "secrets"},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"list"}}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "reader-secrets"},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "secrets"},
		Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: "reader"}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	l := map[string]string{"app": "report"}
	if _, err := cs.AppsV1().Deployments(ns).Create(ctx, &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "report"},
		Spec: appsv1.DeploymentSpec{Selector: &metav1.LabelSelector{MatchLabels: l}, Template: corev1.PodTemplateSpec{
			ObjectMeta: metav1.ObjectMeta{Labels: l},
			Spec:       corev1.PodSpec{ServiceAccountName: "reader", Containers: []corev1.Container{{Name: "r", Image: "registry.example.com/report"}}},
		}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	kc := writeKubeconfig(t, c.Config())
	code, out, stderr := runRBAC("risks", "--kubeconfig", kc, "--fail-on", "none")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"ServiceAccount " + ns + "/reader can read secrets in namespace " + ns + " (list secrets). Through RoleBinding " + ns + "/reader-secrets -> Role " + ns + "/secrets, rule 0: list secrets (in " + ns + ")",
		"The pods of Deployment " + ns + "/report run with its token",
		"pods run with the token of ServiceAccount " + ns + "/reader, which can read secrets in namespace " + ns + " (PAL-334)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("risks output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "system:kube-controller-manager") {
		t.Errorf("bootstrap grants reported without --include-system:\n%s", out)
	}
	_, out, _ = runRBAC("risks", "--kubeconfig", kc, "--fail-on", "none", "--include-system", "--include", "PAL-334")
	if !strings.Contains(out, "User system:kube-controller-manager can read secrets cluster-wide") {
		t.Errorf("--include-system: the controller manager's secrets access is missing:\n%s", out)
	}
}

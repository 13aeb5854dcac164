package cli

// Integration tests of `palisade cluster` against a real kube-apiserver
// (internal/kubetest). There is no controller manager: the ReplicaSets and Pods that
// a Deployment would create are created by hand, with their owner references.

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/kubetest"
	"github.com/palisade-k8s/palisade/internal/report"
)

func TestMain(m *testing.M) { kubetest.Main(m) }

func writeKubeconfig(t *testing.T, cfg *rest.Config) string {
	t.Helper()
	data, err := kubetest.Kubeconfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func podSpec(privileged bool) corev1.PodSpec {
	if privileged {
		return corev1.PodSpec{Containers: []corev1.Container{{
			Name: "app", Image: "nginx:1.27",
			SecurityContext: &corev1.SecurityContext{Privileged: ref(true)},
		}}}
	}
	return corev1.PodSpec{
		AutomountServiceAccountToken: ref(false),
		SecurityContext: &corev1.PodSecurityContext{
			RunAsNonRoot: ref(true), RunAsUser: ref[int64](10001),
			SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
		},
		Containers: []corev1.Container{{
			Name: "app", Image: "registry.example.com/app@sha256:" + strings.Repeat("a", 64),
			SecurityContext: &corev1.SecurityContext{
				AllowPrivilegeEscalation: ref(false), ReadOnlyRootFilesystem: ref(true),
				Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
			},
		}},
	}
}

func runCluster(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(append([]string{"cluster"}, args...), strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func TestClusterScan(t *testing.T) {
	c := kubetest.Shared(t)
	ctx := context.Background()
	cs := c.Client()
	open := c.Namespace(t, nil)
	locked := c.Namespace(t, map[string]string{"pod-security.kubernetes.io/enforce": "restricted"})

	labels := map[string]string{"app": "insecure"}
	dep, err := cs.AppsV1().Deployments(open).Create(ctx, &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "insecure"},
		Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: podSpec(true)},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// What the controller manager would create: a ReplicaSet and a Pod, each
	// controlled by its owner.
	rs, err := cs.AppsV1().ReplicaSets(open).Create(ctx, &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: "insecure-5d8f", OwnerReferences: []metav1.OwnerReference{{
			APIVersion: "apps/v1", Kind: "Deployment", Name: dep.Name, UID: dep.UID, Controller: ref(true),
		}}},
		Spec: appsv1.ReplicaSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: podSpec(true)},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	owned := podSpec(true)
	owned.ServiceAccountName = ""
	if err := c.EnsureDefaultServiceAccount(ctx, open); err != nil {
		t.Fatal(err)
	}
	for _, p := range []*corev1.Pod{
		{ObjectMeta: metav1.ObjectMeta{Name: "insecure-5d8f-x2x9z", Labels: labels, OwnerReferences: []metav1.OwnerReference{{
			APIVersion: "apps/v1", Kind: "ReplicaSet", Name: rs.Name, UID: rs.UID, Controller: ref(true),
		}}}, Spec: owned},
		{ObjectMeta: metav1.ObjectMeta{Name: "bare"}, Spec: podSpec(true)},
	} {
		if _, err := cs.CoreV1().Pods(open).Create(ctx, p, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	hl := map[string]string{"app": "hardened"}
	if _, err := cs.AppsV1().Deployments(locked).Create(ctx, &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "hardened"},
		Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: hl},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: hl}, Spec: podSpec(false)},
		},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// A quota in the labelled namespace only.
	if _, err := cs.CoreV1().ResourceQuotas(locked).Create(ctx, &corev1.ResourceQuota{
		ObjectMeta: metav1.ObjectMeta{Name: "compute"},
		Spec: corev1.ResourceQuotaSpec{Hard: corev1.ResourceList{
			"pods": resource.MustParse("10"), "requests.cpu": resource.MustParse("4"),
			"requests.memory": resource.MustParse("8Gi"), "limits.memory": resource.MustParse("8Gi"),
		}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// The mirror pod of a static kube-apiserver, as the kubelet posts it: controlled
	// by its Node, so it is checked itself (control-plane rules).
	if err := c.EnsureDefaultServiceAccount(ctx, "kube-system"); err != nil {
		t.Fatal(err)
	}
	apiserver := "kube-apiserver-" + open
	if _, err := cs.CoreV1().Pods("kube-system").Create(ctx, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: apiserver, Labels: map[string]string{"component": "kube-apiserver", "tier": "control-plane"},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "v1", Kind: "Node", Name: "node-1", UID: "0b5e4f1c-0000-4000-8000-000000000001", Controller: ref(true)}}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{
			Name: "kube-apiserver", Image: "registry.k8s.io/kube-apiserver:v1.37.2",
			Command: []string{"kube-apiserver", "--anonymous-auth=true", "--authorization-mode=AlwaysAllow"},
		}}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	crb := "palisade-test-admin-" + open
	if _, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: crb},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "cluster-admin"},
		Subjects:   []rbacv1.Subject{{Kind: "User", APIGroup: "rbac.authorization.k8s.io", Name: "mallory"}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	kc := writeKubeconfig(t, c.Config())
	code, stdout, stderr := runCluster(t, "--kubeconfig", kc, "-o", "json")
	if code != ExitFindings {
		t.Fatalf("exit %d, want %d; stderr:\n%s", code, ExitFindings, stderr)
	}
	var rep report.Report
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("report: %v\n%s", err, stdout)
	}
	if len(rep.Coverage) != 0 {
		t.Errorf("admin scan has coverage gaps: %+v", rep.Coverage)
	}
	count := func(rule, kind, ns, name string) int {
		n := 0
		for _, f := range rep.Findings {
			if f.RuleID == rule && f.Object.Kind == kind && f.Object.Namespace == ns && f.Object.Name == name {
				n++
				if f.Location.File != "cluster" || f.Location.Line != 0 {
					t.Errorf("%s on %s: location %+v, want file cluster and no line", rule, f.Object, f.Location)
				}
			}
		}
		return n
	}
	for _, c := range []struct {
		rule, kind, ns, name string
		want                 int
	}{
		{"PAL-001", "Deployment", open, "insecure", 1},
		{"PAL-001", "ReplicaSet", open, "insecure-5d8f", 0},
		{"PAL-001", "Pod", open, "insecure-5d8f-x2x9z", 0},
		{"PAL-001", "Pod", open, "bare", 1},
		{"PAL-001", "Deployment", locked, "hardened", 0},
		{"PAL-307", "ClusterRoleBinding", "", crb, 1},
		{"PAL-603", "Namespace", "", open, 1},
		{"PAL-603", "Namespace", "", locked, 0},
		{"PAL-206", "Namespace", "", open, 1},
		{"PAL-206", "Namespace", "", locked, 0},
		{"PAL-701", "Pod", "kube-system", apiserver, 1},
		{"PAL-702", "Pod", "kube-system", apiserver, 1},
	} {
		if got := count(c.rule, c.kind, c.ns, c.name); got != c.want {
			t.Errorf("%s on %s %s/%s: %d findings, want %d", c.rule, c.kind, c.ns, c.name, got, c.want)
		}
	}
	for _, f := range rep.Findings {
		if f.Object.Namespace == locked && f.Severity >= finding.High {
			t.Errorf("hardened workload: %s %s: %s", f.RuleID, f.Object, f.Message)
		}
	}

	// A baseline written from a cluster scan hides the same findings on the next one.
	bl := filepath.Join(t.TempDir(), "baseline.json")
	if code, _, stderr := runCluster(t, "--kubeconfig", kc, "-n", open, "--write-baseline", bl, "-o", "json"); code != ExitFindings {
		t.Fatalf("--write-baseline: exit %d; %s", code, stderr)
	}
	if code, out, stderr := runCluster(t, "--kubeconfig", kc, "-n", open, "--baseline", bl); code != ExitOK {
		t.Fatalf("--baseline: exit %d, want 0; %s\n%s", code, stderr, out)
	}

	// One namespace, text output.
	code, stdout, stderr = runCluster(t, "--kubeconfig", kc, "-n", open, "--fail-on", "none")
	if code != ExitOK {
		t.Fatalf("-n: exit %d; stderr:\n%s\n%s", code, stderr, stdout)
	}
	if !strings.Contains(stdout, "Deployment/"+open+"/insecure") && !strings.Contains(stdout, open+"/Deployment/insecure") && !strings.Contains(stdout, "insecure") {
		t.Errorf("-n: text report does not name the Deployment:\n%s", stdout)
	}
	if strings.Contains(stdout, "Namespace/"+locked) {
		t.Errorf("-n %s: report checks the other namespace's Namespace object:\n%s", open, stdout)
	}
	if !strings.Contains(stdout, "Namespace/"+open) {
		t.Errorf("-n %s: report does not check its Namespace object:\n%s", open, stdout)
	}
	if strings.Contains(stdout, locked) && strings.Contains(stdout, "hardened") {
		t.Errorf("-n %s: report includes the other namespace's workload:\n%s", open, stdout)
	}
	if !strings.Contains(stderr, "without their values") {
		t.Errorf("stderr does not say Secrets were read without values:\n%s", stderr)
	}
}

func TestClusterScanRestrictedIdentity(t *testing.T) {
	c := kubetest.Shared(t)
	ctx := context.Background()
	cs := c.Client()
	ns := c.Namespace(t, nil)
	if _, err := cs.RbacV1().Roles(ns).Create(ctx, &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Name: "pod-reader"},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get", "list"}}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "pod-reader"},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "pod-reader"},
		Subjects:   []rbacv1.Subject{{Kind: "User", APIGroup: "rbac.authorization.k8s.io", Name: "limited"}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := c.EnsureDefaultServiceAccount(ctx, ns); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "bare"}, Spec: podSpec(true)}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	cfg, err := c.UserConfig("limited")
	if err != nil {
		t.Fatal(err)
	}
	kc := writeKubeconfig(t, cfg)

	code, stdout, stderr := runCluster(t, "--kubeconfig", kc, "-n", ns, "-o", "json")
	if code != ExitInputErrors {
		t.Fatalf("exit %d, want %d (incomplete); stderr:\n%s", code, ExitInputErrors, stderr)
	}
	var rep report.Report
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("report: %v\n%s", err, stdout)
	}
	gaps := map[string]finding.CoverageGap{}
	for _, g := range rep.Coverage {
		gaps[g.Kind] = g
		if !strings.Contains(g.Reason, "forbidden") {
			t.Errorf("%s: reason %q, want forbidden", g.Kind, g.Reason)
		}
	}
	for _, k := range []string{"Deployment", "Secret", "Role", "NetworkPolicy", "ConfigMap"} {
		if g, ok := gaps[k]; !ok || g.Namespace != ns {
			t.Errorf("coverage lacks %s in %s: %+v", k, ns, rep.Coverage)
		}
	}
	for _, k := range []string{"Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition"} {
		if g, ok := gaps[k]; !ok || g.Namespace != "" {
			t.Errorf("coverage lacks cluster-wide %s: %+v", k, rep.Coverage)
		}
	}
	if _, ok := gaps["Pod"]; ok {
		t.Errorf("Pods were allowed but are in coverage: %+v", gaps["Pod"])
	}
	if rep.Summary.CoverageGaps != len(rep.Coverage) {
		t.Errorf("summary.coverageGaps %d, coverage %d", rep.Summary.CoverageGaps, len(rep.Coverage))
	}
	found := false
	for _, f := range rep.Findings {
		if f.RuleID == "PAL-001" && f.Object.Kind == "Pod" && f.Object.Name == "bare" {
			found = true
		}
	}
	if !found {
		t.Errorf("the readable Pod was not scanned: %s", stdout)
	}

	// Text: the coverage section and the verdict say the scan is incomplete.
	code, stdout, _ = runCluster(t, "--kubeconfig", kc, "-n", ns, "--fail-on", "none")
	if code != ExitInputErrors {
		t.Errorf("text: exit %d, want %d", code, ExitInputErrors)
	}
	for _, want := range []string{"Coverage: not checked", "NOT CHECKED Deployment", "incomplete"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("text report lacks %q:\n%s", want, stdout)
		}
	}
	// SARIF and JUnit carry the gaps as tool notifications and input errors.
	for _, format := range []string{"sarif", "junit"} {
		code, stdout, _ = runCluster(t, "--kubeconfig", kc, "-n", ns, "-o", format)
		if code != ExitInputErrors || !strings.Contains(stdout, "not checked: Deployment") {
			t.Errorf("%s: exit %d, gaps in report: %v", format, code, strings.Contains(stdout, "not checked: Deployment"))
		}
	}
}

func ref[T any](v T) *T { return &v }

// A kubeconfig that cannot be read is a usage error, before any listing.
func TestClusterBadKubeconfig(t *testing.T) {
	code, _, stderr := runCluster(t, "--kubeconfig", filepath.Join(t.TempDir(), "missing"))
	if code != ExitUsage || !strings.Contains(stderr, "cluster connection") {
		t.Errorf("exit %d, stderr %q; want %d and a connection error", code, stderr, ExitUsage)
	}
	code, _, stderr = runCluster(t, "-n", "a", "-A")
	if code != ExitUsage || !strings.Contains(stderr, "exclude each other") {
		t.Errorf("-n with -A: exit %d, stderr %q", code, stderr)
	}
}

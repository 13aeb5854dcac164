package leastpriv

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/palisade-k8s/palisade/internal/auditlog"
	"github.com/palisade-k8s/palisade/internal/kubetest"
	"github.com/palisade-k8s/palisade/internal/rbac"
	"github.com/palisade-k8s/palisade/internal/source"
)

// auditPolicy logs every request at Metadata (what least privilege reads).
const auditPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: Metadata
`

// TestMinimalRolesOnServer is the proof on a real kube-apiserver: a service account
// with a broad grant makes a run of requests; the server's own audit log is read,
// the uses compared with the grants read back from the server, and the minimal
// roles generated from the log are applied in place of the broad grant. The same
// requests then succeed (sufficient) and requests outside the run (another verb,
// resource, name, namespace or path) are forbidden (minimal).
func TestMinimalRolesOnServer(t *testing.T) {
	dir := t.TempDir()
	policy, logPath := filepath.Join(dir, "policy.yaml"), filepath.Join(dir, "audit.log")
	if err := os.WriteFile(policy, []byte(auditPolicy), 0o600); err != nil {
		t.Fatal(err)
	}
	c := kubetest.Own(t, kubetest.Options{APIServerArgs: []string{"--audit-policy-file=" + policy, "--audit-log-path=" + logPath}})
	ctx := context.Background()
	admin := c.Client()
	nsA, nsB := c.Namespace(t, nil), c.Namespace(t, nil)
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(admin.CoreV1().ServiceAccounts(nsA).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "worker"}}, metav1.CreateOptions{}))
	must(admin.CoreV1().ConfigMaps(nsA).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cfg"}}, metav1.CreateOptions{}))
	must(admin.CoreV1().Secrets(nsA).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "s"}}, metav1.CreateOptions{}))
	must(admin.CoreV1().Secrets(nsA).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "other"}}, metav1.CreateOptions{}))
	broad := "lp-broad-" + nsA
	must(admin.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: broad}, Rules: []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"*"}, Verbs: []string{"*"}},
		{APIGroups: []string{"apps"}, Resources: []string{"deployments"}, Verbs: []string{"get", "list", "watch"}},
		{APIGroups: []string{"batch"}, Resources: []string{"jobs"}, Verbs: []string{"*"}},
		{NonResourceURLs: []string{"/metrics", "/logs", "/logs/*"}, Verbs: []string{"get"}},
	}}, metav1.CreateOptions{}))
	must(admin.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: broad},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: broad},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: "worker", Namespace: nsA}},
	}, metav1.CreateOptions{}))
	cfg, err := c.ServiceAccountConfig(ctx, nsA, "worker")
	if err != nil {
		t.Fatal(err)
	}
	worker := kubernetes.NewForConfigOrDie(cfg)
	subject := rbac.Subject{Kind: rbac.KindServiceAccount, Namespace: nsA, Name: "worker"}

	// The run: each request returns nil when the server allowed it (any error but
	// Forbidden counts as allowed: the authorizer said yes).
	run := 0
	requests := map[string]func() error{
		"get configmap": func() error {
			_, err := worker.CoreV1().ConfigMaps(nsA).Get(ctx, "cfg", metav1.GetOptions{})
			return err
		},
		"list configmaps": func() error {
			_, err := worker.CoreV1().ConfigMaps(nsA).List(ctx, metav1.ListOptions{})
			return err
		},
		"watch configmaps": func() error {
			timeout := int64(1)
			w, err := worker.CoreV1().ConfigMaps(nsA).Watch(ctx, metav1.ListOptions{TimeoutSeconds: &timeout})
			if err == nil {
				w.Stop()
			}
			return err
		},
		"create configmap": func() error {
			run++
			_, err := worker.CoreV1().ConfigMaps(nsA).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("made-%d", run)}}, metav1.CreateOptions{})
			return err
		},
		"get secret": func() error {
			_, err := worker.CoreV1().Secrets(nsA).Get(ctx, "s", metav1.GetOptions{})
			return err
		},
		"list namespaces": func() error {
			_, err := worker.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
			return err
		},
		"list deployments in B": func() error {
			_, err := worker.AppsV1().Deployments(nsB).List(ctx, metav1.ListOptions{})
			return err
		},
		"get /metrics": func() error {
			return worker.CoreV1().RESTClient().Get().AbsPath("/metrics").Do(ctx).Error()
		},
		// Granted to everyone by the bootstrap policy: left out of the roles.
		"get /version": func() error {
			return worker.CoreV1().RESTClient().Get().AbsPath("/version").Do(ctx).Error()
		},
	}
	outside := map[string]func() error{
		"delete configmap (verb)": func() error {
			return worker.CoreV1().ConfigMaps(nsA).Delete(ctx, "cfg", metav1.DeleteOptions{})
		},
		"list secrets (verb)": func() error {
			_, err := worker.CoreV1().Secrets(nsA).List(ctx, metav1.ListOptions{})
			return err
		},
		"get another secret (name)": func() error {
			_, err := worker.CoreV1().Secrets(nsA).Get(ctx, "other", metav1.GetOptions{})
			return err
		},
		"get configmap in B (namespace)": func() error {
			_, err := worker.CoreV1().ConfigMaps(nsB).Get(ctx, "cfg", metav1.GetOptions{})
			return err
		},
		"list pods (resource)": func() error {
			_, err := worker.CoreV1().Pods(nsA).List(ctx, metav1.ListOptions{})
			return err
		},
		"list deployments in A (namespace)": func() error {
			_, err := worker.AppsV1().Deployments(nsA).List(ctx, metav1.ListOptions{})
			return err
		},
		"get /logs (path)": func() error {
			return worker.CoreV1().RESTClient().Get().AbsPath("/logs").Do(ctx).Error()
		},
	}
	for name, do := range requests {
		if err := do(); err != nil {
			t.Fatalf("%s under the broad grant: %v", name, err)
		}
	}
	// The last request of the run: when it is in the log, the run is.
	marker := "lp-marker-" + nsA
	_, _ = worker.CoreV1().ConfigMaps(nsA).Get(ctx, marker, metav1.GetOptions{})
	col := readLog(t, logPath, marker)

	res, err := (&source.Cluster{Config: c.Config()}).Read(ctx, source.Needs{Kinds: rbac.Kinds})
	if err != nil {
		t.Fatal(err)
	}
	m, _, err := rbac.Build(res.Inventory.Objects, rbac.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rep := Analyze(col, m, func(s rbac.Subject) bool { return s == subject })
	if len(rep.Subjects) != 1 {
		t.Fatalf("the log has no use by %s", subject)
	}
	sr := rep.Subjects[0]
	var unused []string
	for _, g := range sr.Unused {
		unused = append(unused, fmt.Sprintf("%s rule %d", g.Role.Name, g.RuleIndex))
	}
	if strings.Join(unused, ",") != broad+" rule 2" {
		t.Errorf("unused grants = %v, want only the batch jobs rule (2) of %s", unused, broad)
	}
	for _, u := range sr.Used {
		if u.Reason != "" {
			t.Errorf("use %s not covered by the server's RBAC: %s", u.Perm, u.Reason)
		}
	}

	// Replace the broad grant with the minimal roles.
	roles := Minimal(subject, sr.Needed(), RoleOptions{ResourceNames: true})
	var yamlOut strings.Builder
	if err := WriteYAML(&yamlOut, []Roles{roles}); err != nil {
		t.Fatal(err)
	}
	t.Logf("minimal roles:\n%s", yamlOut.String())
	if strings.Contains(yamlOut.String(), "/version") {
		t.Error("the minimal roles grant /version, which the bootstrap policy grants everyone")
	}
	if err := admin.RbacV1().ClusterRoleBindings().Delete(ctx, broad, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, o := range roles.Objects() {
		apply(t, admin, o)
	}
	// The authorizer's informers see the change shortly: wait until the whole run
	// passes (sufficient), then check every request outside it is forbidden.
	deadline := time.Now().Add(30 * time.Second)
	for {
		var failed []string
		for name, do := range requests {
			if err := do(); apierrors.IsForbidden(err) {
				failed = append(failed, name+": "+err.Error())
			} else if err != nil {
				t.Fatalf("%s under the minimal roles: %v", name, err)
			}
		}
		if len(failed) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the minimal roles are not sufficient:\n%s", strings.Join(failed, "\n"))
		}
		time.Sleep(200 * time.Millisecond)
	}
	for name, do := range outside {
		if err := do(); !apierrors.IsForbidden(err) {
			t.Errorf("%s: %v, want Forbidden under the minimal roles", name, err)
		}
	}
}

// readLog waits until the audit log holds the marker request, then collects it.
func readLog(t *testing.T, path, marker string) *Collector {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		b, _ := os.ReadFile(path)
		if strings.Contains(string(b), marker) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the audit log %s never showed the run's last request", path)
		}
		time.Sleep(100 * time.Millisecond)
	}
	r, err := auditlog.Open(context.Background(), []string{path}, auditlog.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	col := NewCollector(Options{})
	for {
		ev, err := r.Next()
		if errors.Is(err, io.EOF) {
			return col
		}
		if err != nil {
			t.Fatalf("the server's audit log: %v", err)
		}
		col.Add(ev)
	}
}

// apply creates a generated object through the typed client.
func apply(t *testing.T, cs kubernetes.Interface, o map[string]any) {
	t.Helper()
	b, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	switch o["kind"] {
	case "ClusterRole":
		var x rbacv1.ClusterRole
		if err = json.Unmarshal(b, &x); err == nil {
			_, err = cs.RbacV1().ClusterRoles().Create(ctx, &x, metav1.CreateOptions{})
		}
	case "ClusterRoleBinding":
		var x rbacv1.ClusterRoleBinding
		if err = json.Unmarshal(b, &x); err == nil {
			_, err = cs.RbacV1().ClusterRoleBindings().Create(ctx, &x, metav1.CreateOptions{})
		}
	case "Role":
		var x rbacv1.Role
		if err = json.Unmarshal(b, &x); err == nil {
			_, err = cs.RbacV1().Roles(x.Namespace).Create(ctx, &x, metav1.CreateOptions{})
		}
	case "RoleBinding":
		var x rbacv1.RoleBinding
		if err = json.Unmarshal(b, &x); err == nil {
			_, err = cs.RbacV1().RoleBindings(x.Namespace).Create(ctx, &x, metav1.CreateOptions{})
		}
	default:
		err = fmt.Errorf("unexpected kind %v", o["kind"])
	}
	if err != nil {
		t.Fatalf("apply %s: %v", b, err)
	}
}

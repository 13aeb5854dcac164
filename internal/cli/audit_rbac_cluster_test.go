package cli

import (
	"bytes"
	"context"
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
	"sigs.k8s.io/yaml"

	"github.com/palisade-k8s/palisade/internal/kubetest"
)

// TestAuditRBACOnCluster runs the command end to end on a real kube-apiserver: a user
// bound to cluster-admin makes a few requests; `palisade audit rbac LOG --kubeconfig`
// reads the server's audit log and its RBAC, reports the unused grant and the unused
// risky capabilities (exit 1), and writes roles that, applied in place of the
// cluster-admin binding, let the same requests through and nothing else.
func TestAuditRBACOnCluster(t *testing.T) {
	dir := t.TempDir()
	policy, logPath := filepath.Join(dir, "policy.yaml"), filepath.Join(dir, "audit.log")
	if err := os.WriteFile(policy, []byte("apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nrules:\n- level: Metadata\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := kubetest.Own(t, kubetest.Options{APIServerArgs: []string{"--audit-policy-file=" + policy, "--audit-log-path=" + logPath}})
	ctx := context.Background()
	admin := c.Client()
	ns, other := c.Namespace(t, nil), c.Namespace(t, nil)
	user := "lp-" + ns
	if _, err := admin.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "db"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: user},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"},
		Subjects:   []rbacv1.Subject{{Kind: "User", APIGroup: rbacv1.GroupName, Name: user}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	cfg, err := c.UserConfig(user)
	if err != nil {
		t.Fatal(err)
	}
	cs := kubernetes.NewForConfigOrDie(cfg)
	run := func() error {
		if _, err := cs.CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{}); err != nil {
			return err
		}
		_, err := cs.CoreV1().Secrets(ns).Get(ctx, "db", metav1.GetOptions{})
		return err
	}
	if err := run(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if b, _ := os.ReadFile(logPath); bytes.Contains(b, []byte(`"name":"db"`)) && bytes.Contains(b, []byte(user)) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the run never reached the audit log")
		}
		time.Sleep(100 * time.Millisecond)
	}

	kc := writeKubeconfig(t, c.Config())
	var out, errb bytes.Buffer
	code := Main([]string{"audit", "rbac", logPath, "--kubeconfig", kc, "--subject", "user:" + user}, strings.NewReader(""), &out, &errb)
	if code != ExitFindings || !strings.Contains(out.String(), "PAL-950") || !strings.Contains(out.String(), "PAL-951") {
		t.Fatalf("text: exit %d, want %d with PAL-950 (the non-resource rule of cluster-admin) and PAL-951\n%s%s", code, ExitFindings, out.String(), errb.String())
	}
	rolesFile := filepath.Join(dir, "roles.yaml")
	code = Main([]string{"audit", "rbac", logPath, "--kubeconfig", kc, "--subject", "user:" + user, "-o", "yaml", "--resource-names", "--out", rolesFile}, strings.NewReader(""), &out, &errb)
	data, err := os.ReadFile(rolesFile)
	if code != ExitFindings || err != nil {
		t.Fatalf("yaml: exit %d, %v\n%s", code, err, errb.String())
	}

	// Apply the roles in place of the cluster-admin binding.
	if err := admin.RbacV1().ClusterRoleBindings().Delete(ctx, user, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	applied := 0
	for _, doc := range strings.Split(string(data), "\n---\n") {
		var kind struct{ Kind string }
		if err := yaml.Unmarshal([]byte(doc), &kind); err != nil || kind.Kind == "" {
			continue
		}
		var err error
		switch kind.Kind {
		case "Role":
			var r rbacv1.Role
			if err = yaml.UnmarshalStrict([]byte(doc), &r); err == nil {
				_, err = admin.RbacV1().Roles(r.Namespace).Create(ctx, &r, metav1.CreateOptions{})
			}
		case "RoleBinding":
			var r rbacv1.RoleBinding
			if err = yaml.UnmarshalStrict([]byte(doc), &r); err == nil {
				_, err = admin.RbacV1().RoleBindings(r.Namespace).Create(ctx, &r, metav1.CreateOptions{})
			}
		default:
			t.Fatalf("unexpected %s in the roles of namespaced uses:\n%s", kind.Kind, data)
		}
		if err != nil {
			t.Fatalf("apply %s: %v", doc, err)
		}
		applied++
	}
	if applied != 2 {
		t.Fatalf("%d objects applied, want a Role and a RoleBinding:\n%s", applied, data)
	}
	deadline = time.Now().Add(30 * time.Second)
	for err := run(); err != nil; err = run() {
		if !apierrors.IsForbidden(err) || time.Now().After(deadline) {
			t.Fatalf("the run under the generated roles: %v\n%s", err, data)
		}
		time.Sleep(200 * time.Millisecond)
	}
	for name, do := range map[string]func() error{
		"list secrets": func() error { _, err := cs.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{}); return err },
		"get configmap": func() error {
			_, err := cs.CoreV1().ConfigMaps(ns).Get(ctx, "x", metav1.GetOptions{})
			return err
		},
		"list configmaps elsewhere": func() error { _, err := cs.CoreV1().ConfigMaps(other).List(ctx, metav1.ListOptions{}); return err },
		"list namespaces":           func() error { _, err := cs.CoreV1().Namespaces().List(ctx, metav1.ListOptions{}); return err },
	} {
		if err := do(); !apierrors.IsForbidden(err) {
			t.Errorf("%s: %v, want Forbidden under the generated roles", name, err)
		}
	}
}

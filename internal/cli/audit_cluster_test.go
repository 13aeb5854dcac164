package cli

// palisade audit --cluster: the live cluster gives the current state (a privileged
// pod the log never created) and the RBAC model (a user bound to cluster-admin).

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/palisade-k8s/palisade/internal/kubetest"
)

func TestAuditCluster(t *testing.T) {
	c := kubetest.Shared(t)
	ctx := context.Background()
	cs := c.Client()
	ns := c.Namespace(t, nil)
	yes := true
	if _, err := cs.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "registry.example.com/web", SecurityContext: &corev1.SecurityContext{Privileged: &yes}}}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	user := "alice-" + ns
	if _, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: user},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"},
		Subjects: []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: "User", Name: user}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cs.RbacV1().ClusterRoleBindings().Delete(context.Background(), user, metav1.DeleteOptions{})
	})
	kc := writeKubeconfig(t, c.Config())
	log := filepath.Join(t.TempDir(), "audit.log")
	line := fmt.Sprintf(`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"e1","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/%s/pods/web/exec?command=sh","verb":"create","user":{"username":%q,"groups":["system:authenticated"]},"sourceIPs":["10.0.0.5"],"objectRef":{"resource":"pods","namespace":%q,"name":"web","apiVersion":"v1","subresource":"exec"},"responseStatus":{"code":101},"requestReceivedTimestamp":"2026-12-01T10:00:00Z","stageTimestamp":"2026-12-01T10:00:05Z"}`, ns, user, ns)
	if err := os.WriteFile(log, []byte(line+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := run(t, nil, "audit", "--cluster", "--kubeconfig", kc, "--include", "PAL-901", "-o", "json", log)
	v := auditReport(t, r)
	if r.code != ExitFindings || len(v.Findings) != 1 {
		t.Fatalf("exit %d, %d findings: %s", r.code, len(v.Findings), r.stderr)
	}
	f := v.Findings[0]
	// High (the pod is privileged, known from the cluster), raised to critical (the
	// user is cluster-admin).
	if f.Severity != "critical" || !f.Audit.Raised || f.Audit.Risks[0] != "PAL-330" || !strings.Contains(f.Message, "exec into pod "+ns+"/web") || !strings.Contains(f.Message, "privileged") || !v.Summary.Audit.RBAC {
		t.Errorf("finding %+v (%s)", f, f.Message)
	}
}

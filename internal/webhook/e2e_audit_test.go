package webhook

// End to end: a real kube-apiserver with an audit Policy and its webhook backend
// (--audit-webhook-config-file) pointing at this server's /audit over TLS on
// loopback; requests made through client-go are audited, posted in batches, and
// the detections' findings show up in the decision log and the metrics.

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/palisade-k8s/palisade/internal/auditlog"
	"github.com/palisade-k8s/palisade/internal/kubetest"
	"github.com/palisade-k8s/palisade/internal/rules"
)

// e2eAuditPolicy logs what the detections read: exec and RBAC objects with their
// bodies, everything else at Metadata, Secrets never with their data.
const e2eAuditPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  - level: Metadata
    resources:
      - group: ""
        resources: ["secrets", "configmaps", "serviceaccounts/token"]
      - group: authentication.k8s.io
        resources: ["tokenreviews"]
  - level: RequestResponse
    resources:
      - group: rbac.authorization.k8s.io
  - level: Request
    verbs: ["create", "update", "patch"]
    resources:
      - group: ""
        resources: ["pods"]
  - level: Metadata
`

func TestE2EAudit(t *testing.T) {
	ts := start(t, Options{Audit: AuditOptions{Enabled: true}})
	var mu sync.Mutex
	seen := map[string]bool{}
	// Set before any batch arrives: the API server starts below.
	ts.audit.onEvent = func(ev *auditlog.Event) {
		if ev.ObjectRef == nil {
			return
		}
		mu.Lock()
		seen[ev.Verb+" "+ev.ObjectRef.Resource+"/"+ev.ObjectRef.Subresource+" "+ev.ObjectRef.Name] = true
		mu.Unlock()
	}
	syncAudit(t, ts.Server) // orders the write above before the feed's reads
	dir := t.TempDir()
	policy := filepath.Join(dir, "audit-policy.yaml")
	writeFile(t, policy, e2eAuditPolicy)
	hook := filepath.Join(dir, "audit-webhook.kubeconfig")
	writeFile(t, hook, fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: palisade
  cluster:
    certificate-authority: %s
    server: https://%s/audit
users:
- name: kube-apiserver
  user: {}
contexts:
- name: palisade
  context: {cluster: palisade, user: kube-apiserver}
current-context: palisade
`, filepath.Join(ts.dir, CertFiles.CA), ts.Addr()))
	c := kubetest.Own(t, kubetest.Options{APIServerArgs: []string{
		"--audit-policy-file=" + policy,
		"--audit-webhook-config-file=" + hook,
		"--audit-webhook-mode=batch",
		"--audit-webhook-batch-max-wait=200ms",
		"--audit-webhook-initial-backoff=100ms",
	}})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	admin := c.Client()
	ns := c.Namespace(t, nil)

	// A pod, and an exec request on it. No kubelet runs it: the API server
	// authorizes and audits the request, then fails to reach a node.
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "registry.example.com/app:1"}}}}
	if _, err := admin.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	_ = admin.CoreV1().RESTClient().Post().Namespace(ns).Resource("pods").Name("web").SubResource("exec").
		Param("command", "id").Param("container", "app").Param("stdout", "true").Do(ctx).Error()
	// A binding of cluster-admin.
	crb := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "e2e-audit-admin"},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "cluster-admin"},
		Subjects: []rbacv1.Subject{{Kind: "User", APIGroup: "rbac.authorization.k8s.io", Name: "mallory"}}}
	if _, err := admin.RbacV1().ClusterRoleBindings().Create(ctx, crb, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	// The API server posts its batches within the max wait; wait for both
	// requests to have reached the engine.
	want := []string{"create pods/exec web", "create clusterrolebindings/ e2e-audit-admin"}
	for {
		syncAudit(t, ts.Server)
		mu.Lock()
		missing := []string{}
		for _, w := range want {
			if !seen[w] {
				missing = append(missing, w)
			}
		}
		mu.Unlock()
		if len(missing) == 0 {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("events never posted to /audit: %v\n%s", missing, ts.log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	syncAudit(t, ts.Server)
	log := ts.log.String()
	execLine := ""
	for _, l := range strings.Split(log, "\n") {
		if strings.Contains(l, `"msg":"audit finding"`) && strings.Contains(l, `"rule":"PAL-901"`) && strings.Contains(l, ns+"/web") {
			execLine = l
		}
	}
	if execLine == "" {
		t.Fatalf("no PAL-901 finding for the exec into %s/web:\n%s", ns, log)
	}
	if !strings.Contains(execLine, `"user":"`) || !strings.Contains(execLine, `"auditIDs":["`) {
		t.Errorf("exec finding: %s", execLine)
	}
	// The binding's detection (PAL-920) when it is registered.
	if _, ok := rules.Get("PAL-920"); ok && !strings.Contains(log, `"rule":"PAL-920"`) {
		t.Errorf("no PAL-920 finding for the binding to cluster-admin:\n%s", log)
	}
	_, m := ts.get(t, "/metrics")
	if !strings.Contains(m, `palisade_webhook_audit_findings_total{rule="PAL-901"`) || strings.Contains(m, "palisade_webhook_audit_events_total 0") {
		t.Errorf("metrics:\n%s", grep(m, "palisade_webhook_audit"))
	}
	if strings.Contains(m, `palisade_webhook_audit_input_errors_total`+"{") {
		t.Errorf("the API server's batches had input errors:\n%s", grep(m, "palisade_webhook_audit_input"))
	}
}

package webhook

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/yaml"

	"github.com/palisade-k8s/palisade/internal/kubetest"
)

// cmPolicy is a policy on configmaps of the namespaces labelled at=where.
func cmPolicy(where string) (*admissionregistrationv1.ValidatingAdmissionPolicy, *admissionregistrationv1.ValidatingAdmissionPolicyBinding) {
	fail := admissionregistrationv1.Fail
	p := &admissionregistrationv1.ValidatingAdmissionPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: "admissionregistration.k8s.io/v1", Kind: "ValidatingAdmissionPolicy"},
		ObjectMeta: metav1.ObjectMeta{Name: "team-label"},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{
			FailurePolicy: &fail,
			MatchConstraints: &admissionregistrationv1.MatchResources{
				NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"at": where}},
				ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{{RuleWithOperations: admissionregistrationv1.RuleWithOperations{
					Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
					Rule:       admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"configmaps"}},
				}}},
			},
			Validations: []admissionregistrationv1.Validation{
				{Expression: "has(object.metadata.labels) && 'team' in object.metadata.labels", MessageExpression: "'configmap ' + object.metadata.name + ' needs a team label'"},
				{Expression: "!has(object.data) || size(object.data) < 3", Message: "keep configmaps small"},
				{Expression: "authorizer.group('').resource('secrets').namespace(object.metadata.namespace).check('list').allowed()", Message: "only those who may list secrets"},
			},
		},
	}
	b := &admissionregistrationv1.ValidatingAdmissionPolicyBinding{
		TypeMeta:   metav1.TypeMeta{APIVersion: "admissionregistration.k8s.io/v1", Kind: "ValidatingAdmissionPolicyBinding"},
		ObjectMeta: metav1.ObjectMeta{Name: "team-label-b"},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{PolicyName: "team-label",
			ValidationActions: []admissionregistrationv1.ValidationAction{admissionregistrationv1.Deny}},
	}
	return p, b
}

// TestEndToEndPolicies: the real kube-apiserver calls the webhook, which applies a
// ValidatingAdmissionPolicy from --policy; the same policy applied by the API
// server itself refuses the same object with the same message (behind the
// webhook's "denied the request:"), and its authorizer check is a
// SubjectAccessReview to that API server.
func TestEndToEndPolicies(t *testing.T) {
	if _, err := kubetest.FindBinaries(); err != nil && os.Getenv(kubetest.RequireEnv) == "" {
		t.Skip("kubetest: ", err)
	}
	c := kubetest.Own(t, kubetest.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	admin := c.Client()
	cl := NewCluster(admin)
	cl.Start(ctx)
	authz, err := NewSARAuthorizer(admin, 0)
	if err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	p, b := cmPolicy("webhook")
	var doc strings.Builder
	for i, o := range []any{p, b} {
		if i > 0 {
			doc.WriteString("---\n")
		}
		js, err := yamlOf(o)
		if err != nil {
			t.Fatal(err)
		}
		doc.WriteString(js)
	}
	policyFile := filepath.Join(dir, "policy.yaml")
	writeFile(t, policyFile, doc.String())
	ts := start(t, Options{Cluster: cl, Synced: cl.Synced, Policies: []string{policyFile}, Authorizer: authz})
	ca, err := os.ReadFile(filepath.Join(ts.dir, CertFiles.CA))
	if err != nil {
		t.Fatal(err)
	}
	for ns, at := range map[string]string{"team": "webhook", "vap": "apiserver"} {
		if _, err := c.CreateNamespace(ctx, ns, map[string]string{"at": at}); err != nil {
			t.Fatal(err)
		}
	}
	// The same policy, applied by the API server to namespace vap.
	sp, sb := cmPolicy("apiserver")
	if _, err := admin.AdmissionregistrationV1().ValidatingAdmissionPolicies().Create(ctx, sp, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.AdmissionregistrationV1().ValidatingAdmissionPolicyBindings().Create(ctx, sb, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	register(t, admin, "https://"+ts.Addr(), ca)
	waitForWebhook(t, admin)

	cm := func(name string, labels map[string]string) *corev1.ConfigMap {
		return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
	}
	create := func(client kubernetes.Interface, ns string, o *corev1.ConfigMap) error {
		_, err := client.CoreV1().ConfigMaps(ns).Create(ctx, o, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		return err
	}
	// The API server's own policy takes effect once its informers see it.
	var apiErr error
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(200 * time.Millisecond) {
		if apiErr = create(admin, "vap", cm("cm1", nil)); apiErr != nil && strings.Contains(apiErr.Error(), "ValidatingAdmissionPolicy") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the API server's policy not in force after a minute: %v", apiErr)
		}
	}
	hookErr := create(admin, "team", cm("cm1", nil))
	const prefix = `admission webhook "validate.palisade.dev" denied the request: `
	if hookErr == nil || hookErr.Error() != prefix+apiErr.Error() {
		t.Fatalf("webhook: %v\napi server: %v", hookErr, apiErr)
	}
	// Labelled: admitted by both, the authorizer check answered by a
	// SubjectAccessReview (the admin may list secrets).
	for _, ns := range []string{"team", "vap"} {
		if err := create(admin, ns, cm("cm2", map[string]string{"team": "a"})); err != nil {
			t.Errorf("%s: labelled configmap: %v", ns, err)
		}
	}
	_, m := ts.get(t, "/metrics")
	if !strings.Contains(m, `palisade_webhook_policy_findings_total{action="deny",policy="team-label",rule="PAL-800"}`) {
		t.Errorf("metrics:\n%s", grep(m, "policy"))
	}
}

func yamlOf(o any) (string, error) {
	b, err := yaml.Marshal(o)
	return string(b), err
}

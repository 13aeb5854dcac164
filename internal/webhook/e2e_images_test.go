package webhook

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/palisade-k8s/palisade/internal/kubetest"
)

// TestEndToEndImageSignatures: a real kube-apiserver calls the webhook, whose
// configuration trusts a key for the images of a loopback registry: a pod with an
// unsigned image is denied, the API server's error naming the rule, the image, the
// digest its tag resolved to and the reason; pods with signed images (a Sigstore
// bundle referrer, a legacy .sig tag) are admitted; so is a Deployment of a signed
// image, and one of an unsigned image is denied.
func TestEndToEndImageSignatures(t *testing.T) {
	if _, err := kubetest.FindBinaries(); err != nil && os.Getenv(kubetest.RequireEnv) == "" {
		t.Skip("kubetest: ", err)
	}
	requireTrustRules(t)
	imgs := newSignedImages(t)
	cfgPath := filepath.Join(t.TempDir(), ".palisade.yaml")
	writeFile(t, cfgPath, imgs.config(""))
	ts := start(t, Options{ConfigPath: cfgPath, Images: ImageOptions{Registry: registryOptions(imgs)}})
	ca, err := os.ReadFile(filepath.Join(ts.dir, CertFiles.CA))
	if err != nil {
		t.Fatal(err)
	}
	c := kubetest.Own(t, kubetest.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	client := c.Client()
	if _, err := c.CreateNamespace(ctx, "team", nil); err != nil {
		t.Fatal(err)
	}
	fail, none := admissionregistrationv1.Fail, admissionregistrationv1.SideEffectClassNone
	timeout := int32(5)
	url := "https://" + ts.Addr() + "/validate"
	cu := []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update}
	rule := func(group string, resources ...string) admissionregistrationv1.RuleWithOperations {
		return admissionregistrationv1.RuleWithOperations{Operations: cu, Rule: admissionregistrationv1.Rule{
			APIGroups: []string{group}, APIVersions: []string{"v1"}, Resources: resources}}
	}
	vwc := &admissionregistrationv1.ValidatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: "palisade-signatures"},
		Webhooks: []admissionregistrationv1.ValidatingWebhook{{
			Name: "validate.palisade.dev", ClientConfig: admissionregistrationv1.WebhookClientConfig{URL: &url, CABundle: ca},
			Rules:         []admissionregistrationv1.RuleWithOperations{rule("", "pods"), rule("apps", "deployments")},
			FailurePolicy: &fail, SideEffects: &none, TimeoutSeconds: &timeout, AdmissionReviewVersions: []string{"v1"},
			NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": "team"}},
		}},
	}
	if _, err := client.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(ctx, vwc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// The API server picks up webhook configurations asynchronously.
	for end := time.Now().Add(time.Minute); ; time.Sleep(200 * time.Millisecond) {
		_, err := client.CoreV1().Pods("team").Create(ctx, hardened("probe", imgs.unsigned.Ref, true), metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		if err != nil && strings.Contains(err.Error(), "palisade denied") {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("webhook not called after a minute: %v", err)
		}
	}

	t.Run("unsigned image denied naming the reason", func(t *testing.T) {
		_, err := client.CoreV1().Pods("team").Create(ctx, hardened("unsigned", imgs.unsigned.Ref, true), metav1.CreateOptions{})
		t.Logf("unsigned: %v", err)
		if err == nil {
			t.Fatal("a pod with an unsigned image created")
		}
		for _, want := range []string{`admission webhook "validate.palisade.dev" denied the request`, "palisade denied Pod/team/unsigned",
			"PAL-115", imgs.unsigned.Ref, imgs.unsigned.Digest, "no signature", "spec.containers[0].image"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error lacks %q", want)
			}
		}
	})
	t.Run("signed images admitted", func(t *testing.T) {
		for name, ref := range map[string]string{"bundle": imgs.signed.Ref, "legacy": imgs.legacy.Ref, "pinned": imgs.signed.Pinned} {
			if _, err := client.CoreV1().Pods("team").Create(ctx, hardened(name, ref, true), metav1.CreateOptions{}); err != nil {
				t.Errorf("%s (%s): %v", name, ref, err)
			}
		}
	})
	t.Run("deployments", func(t *testing.T) {
		deploy := func(name, image string) error {
			one := int32(1)
			p := hardened(name, image, true)
			d := &appsv1.Deployment{
				ObjectMeta: metav1.ObjectMeta{Name: name},
				Spec: appsv1.DeploymentSpec{Replicas: &one, Selector: &metav1.LabelSelector{MatchLabels: p.Labels},
					Template: corev1.PodTemplateSpec{ObjectMeta: p.ObjectMeta, Spec: p.Spec}},
			}
			_, err := client.AppsV1().Deployments("team").Create(ctx, d, metav1.CreateOptions{})
			return err
		}
		if err := deploy("signed", imgs.signed.Ref); err != nil {
			t.Errorf("deployment of a signed image: %v", err)
		}
		err := deploy("unsigned", imgs.unsigned.Ref)
		if err == nil || !strings.Contains(err.Error(), "PAL-115") || !strings.Contains(err.Error(), "spec.template.spec.containers[0].image") {
			t.Errorf("deployment of an unsigned image: %v", err)
		}
	})
	if log := ts.log.String(); !strings.Contains(log, `"reason":"no-signature"`) {
		t.Errorf("decision log lacks the reason:\n%s", grep(log, "unsigned"))
	}
}

package webhook

// End-to-end tests: a real kube-apiserver (internal/kubetest) calls this webhook,
// registered by URL with its CA in a ValidatingWebhookConfiguration, and through the
// ImagePolicyWebhook admission plugin configured by an admission configuration file.

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"

	"github.com/palisade-k8s/palisade/internal/admission"
	"github.com/palisade-k8s/palisade/internal/kubetest"
	"github.com/palisade-k8s/palisade/internal/load"
)

const e2eConfig = `rules:
  PAL-105: {params: {allowedRegistries: [registry.example.com]}}
webhook:
  actions:
    rules: {PAL-105: deny}
  exemptions:
  - namespaces: [sandbox]
    reason: e2e exempt namespace
  - users: [platform-admin]
    reason: e2e platform team
`

const digest = "@sha256:0123456789012345678901234567890123456789012345678901234567890123"

// lazyCluster forwards to the informer-backed Cluster once the API server is up.
type lazyCluster struct{ c atomic.Pointer[Cluster] }

func (l *lazyCluster) NamespaceLabels(ctx context.Context, name string) (map[string]string, bool, error) {
	return l.c.Load().NamespaceLabels(ctx, name)
}

func (l *lazyCluster) Pod(ctx context.Context, ns, name string) (*corev1.Pod, error) {
	return l.c.Load().Pod(ctx, ns, name)
}

// warnings collects the warnings the API server returns.
type warnings struct {
	mu   sync.Mutex
	list []string
}

func (w *warnings) HandleWarningHeader(_ int, _ string, text string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.list = append(w.list, text)
}

func (w *warnings) take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	l := w.list
	w.list = nil
	return l
}

func hardened(name, image string, seccomp bool) *corev1.Pod {
	no, yes, uid := false, true, int64(1000)
	sc := &corev1.PodSecurityContext{RunAsNonRoot: &yes, RunAsUser: &uid, RunAsGroup: &uid}
	if seccomp {
		sc.SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}
	}
	q := corev1.ResourceList{corev1.ResourceCPU: mustQ("10m"), corev1.ResourceMemory: mustQ("16Mi"), corev1.ResourceEphemeralStorage: mustQ("16Mi")}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"app": name}},
		Spec: corev1.PodSpec{
			AutomountServiceAccountToken: &no,
			SecurityContext:              sc,
			Containers: []corev1.Container{{
				Name: "app", Image: image,
				Resources: corev1.ResourceRequirements{Requests: q, Limits: q},
				SecurityContext: &corev1.SecurityContext{AllowPrivilegeEscalation: &no, ReadOnlyRootFilesystem: &yes,
					Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}},
			}},
		},
	}
}

func privileged(name string) *corev1.Pod {
	yes := true
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{
			Name: "app", Image: "registry.example.com/tools:1.0" + digest,
			SecurityContext: &corev1.SecurityContext{Privileged: &yes},
		}}},
	}
}

// TestEndToEnd runs one API server with the webhook registered for every check.
func TestEndToEnd(t *testing.T) {
	if _, err := kubetest.FindBinaries(); err != nil && os.Getenv(kubetest.RequireEnv) == "" {
		t.Skip("kubetest: ", err)
	}
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, ".palisade.yaml")
	if err := os.WriteFile(cfgPath, []byte(e2eConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	lazy := &lazyCluster{}
	ts := start(t, Options{ConfigPath: cfgPath, Cluster: lazy})
	ca, err := os.ReadFile(filepath.Join(ts.dir, CertFiles.CA))
	if err != nil {
		t.Fatal(err)
	}
	base := "https://" + ts.Addr()

	// The ImagePolicyWebhook plugin reads its backend from a kubeconfig named in
	// the admission configuration file.
	kubeconfig := filepath.Join(dir, "imagepolicy.kubeconfig")
	admissionCfg := filepath.Join(dir, "admission.yaml")
	writeFile(t, kubeconfig, fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: palisade
  cluster:
    certificate-authority: %s
    server: %s/imagepolicy
users:
- name: kube-apiserver
  user: {}
contexts:
- name: palisade
  context: {cluster: palisade, user: kube-apiserver}
current-context: palisade
`, filepath.Join(ts.dir, CertFiles.CA), base))
	writeFile(t, admissionCfg, fmt.Sprintf(`apiVersion: apiserver.config.k8s.io/v1
kind: AdmissionConfiguration
plugins:
- name: ImagePolicyWebhook
  configuration:
    imagePolicy:
      kubeConfigFile: %s
      allowTTL: 1
      denyTTL: 1
      retryBackoff: 500
      defaultAllow: false
`, kubeconfig))
	c := kubetest.Own(t, kubetest.Options{APIServerArgs: []string{
		"--enable-admission-plugins=ImagePolicyWebhook",
		"--admission-control-config-file=" + admissionCfg,
	}})
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	admin := c.Client()
	cl := NewCluster(admin)
	cl.Start(ctx)
	lazy.c.Store(cl)

	for _, ns := range []string{"team", "sandbox", "palisade"} {
		if _, err := c.CreateNamespace(ctx, ns, nil); err != nil {
			t.Fatal(err)
		}
	}
	register(t, admin, base, ca)

	warn := &warnings{}
	wcfg := c.Config()
	wcfg.WarningHandler = warn
	client := kubernetes.NewForConfigOrDie(wcfg)
	waitForWebhook(t, client)

	t.Run("privileged pod denied", func(t *testing.T) {
		_, err := client.CoreV1().Pods("team").Create(ctx, privileged("priv"), metav1.CreateOptions{})
		if err == nil {
			t.Fatal("privileged pod created")
		}
		for _, want := range []string{`admission webhook "validate.palisade.dev" denied the request`, "palisade denied Pod/team/priv",
			"PAL-001 (critical)", `container "app"`, "spec.containers[0].securityContext.privileged", "To exempt"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error lacks %q: %v", want, err)
			}
		}
	})
	t.Run("warning returned", func(t *testing.T) {
		warn.take()
		_, err := client.CoreV1().Pods("team").Create(ctx, hardened("warned", "registry.example.com/app:1.0"+digest, false), metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		got := strings.Join(warn.take(), "\n")
		t.Logf("warnings:\n%s", got)
		if !strings.Contains(got, "PAL-013 (medium)") {
			t.Errorf("warnings %q lack PAL-013", got)
		}
	})
	t.Run("compliant pod admitted without warnings", func(t *testing.T) {
		warn.take()
		if _, err := client.CoreV1().Pods("team").Create(ctx, hardened("clean", "registry.example.com/app:1.0"+digest, true), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		if w := warn.take(); len(w) > 0 {
			t.Errorf("warnings %q", w)
		}
	})
	t.Run("exempt namespace admitted", func(t *testing.T) {
		if _, err := client.CoreV1().Pods("sandbox").Create(ctx, privileged("priv"), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("dry run denied alike", func(t *testing.T) {
		_, err := client.CoreV1().Pods("team").Create(ctx, privileged("dry"), metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		if err == nil || !strings.Contains(err.Error(), "PAL-001") {
			t.Fatalf("dry run: %v", err)
		}
		if _, m := ts.get(t, "/metrics"); !strings.Contains(m, `decision="denied",dry_run="true",endpoint="validate",kind="Pod"`) {
			t.Errorf("dry run not counted:\n%s", grep(m, "reviews_total"))
		}
	})
	t.Run("overloaded replica answered at once, failurePolicy applied", func(t *testing.T) {
		// Every review slot taken and no queue: the API server gets the 429 and
		// applies failurePolicy (Fail) at once, without retrying.
		for i := 0; i < cap(ts.gate.slots); i++ {
			ts.gate.slots <- struct{}{}
		}
		queue := ts.gate.maxQueue
		ts.gate.maxQueue = 0
		defer func() {
			ts.gate.maxQueue = queue
			for i := 0; i < cap(ts.gate.slots); i++ {
				<-ts.gate.slots
			}
		}()
		shed := func() float64 {
			return value(ts.metrics.errors.WithLabelValues("validate", "overload")) + value(ts.metrics.errors.WithLabelValues("imagepolicy", "overload"))
		}
		before := shed()
		_, err := client.CoreV1().Pods("team").Create(ctx, hardened("shed", "registry.example.com/app:1.0"+digest, true), metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		// The ImagePolicyWebhook plugin calls first; the message is the server's.
		if err == nil || !strings.Contains(err.Error(), "palisade: overloaded") {
			t.Fatalf("pod admitted, or refused for another reason: %v", err)
		}
		// A ConfigMap goes to /validate only: failurePolicy Fail refuses it.
		_, err = client.CoreV1().ConfigMaps("team").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "shed"}},
			metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		if err == nil || !strings.Contains(err.Error(), `failed calling webhook "validate.palisade.dev"`) || !strings.Contains(err.Error(), "palisade: overloaded") {
			t.Errorf("ConfigMap admitted, or refused for another reason: %v", err)
		}
		if n := shed() - before; n != 2 {
			t.Errorf("%v reviews shed for two requests, want 2 (the API server must not retry)", n)
		}
	})
	t.Run("deployment with forbidden image denied", func(t *testing.T) {
		one := int32(1)
		p := hardened("web", "evil.io/miner:1.0"+digest, true)
		d := &appsv1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Name: "web"},
			Spec: appsv1.DeploymentSpec{Replicas: &one, Selector: &metav1.LabelSelector{MatchLabels: p.Labels},
				Template: corev1.PodTemplateSpec{ObjectMeta: p.ObjectMeta, Spec: p.Spec}},
		}
		_, err := client.AppsV1().Deployments("team").Create(ctx, d, metav1.CreateOptions{})
		if err == nil || !strings.Contains(err.Error(), "palisade denied Deployment/team/web") || !strings.Contains(err.Error(), "PAL-105") ||
			!strings.Contains(err.Error(), "spec.template.spec.containers[0].image") {
			t.Fatalf("deployment: %v", err)
		}
	})
	t.Run("exec into privileged pod denied", func(t *testing.T) {
		// The platform team (exempt) runs a privileged pod; nobody may exec into it.
		pcfg, err := c.UserConfig("platform-admin", "system:masters")
		if err != nil {
			t.Fatal(err)
		}
		platform := kubernetes.NewForConfigOrDie(pcfg)
		if _, err := platform.CoreV1().Pods("team").Create(ctx, privileged("node-agent"), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		for _, sub := range []string{"exec", "attach"} {
			err := connect(ctx, client, "team", "node-agent", sub)
			t.Logf("%s: %v", sub, err)
			if err == nil || !strings.Contains(err.Error(), `admission webhook "exec.palisade.dev" denied the request`) ||
				!strings.Contains(err.Error(), `container "app" is privileged`) {
				t.Errorf("%s into a privileged pod: %v", sub, err)
			}
		}
		// Into an ordinary pod, admission passes and the request fails further on
		// (no node runs the pod).
		err = connect(ctx, client, "team", "clean", "exec")
		t.Logf("exec into a plain pod: %v", err)
		if err == nil || strings.Contains(err.Error(), "palisade") {
			t.Errorf("exec into a plain pod: %v, want an error not from the webhook", err)
		}
	})
	t.Run("privileged ephemeral container denied", func(t *testing.T) {
		pod, err := client.CoreV1().Pods("team").Get(ctx, "clean", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		yes := true
		pod.Spec.EphemeralContainers = append(pod.Spec.EphemeralContainers, corev1.EphemeralContainer{
			EphemeralContainerCommon: corev1.EphemeralContainerCommon{
				Name: "debug", Image: "registry.example.com/tools:1.0" + digest,
				SecurityContext: &corev1.SecurityContext{Privileged: &yes},
			}})
		_, err = client.CoreV1().Pods("team").UpdateEphemeralContainers(ctx, "clean", pod, metav1.UpdateOptions{})
		t.Logf("ephemeral: %v", err)
		if err == nil || !strings.Contains(err.Error(), `admission webhook "exec.palisade.dev" denied the request`) ||
			!strings.Contains(err.Error(), "spec.ephemeralContainers[0].securityContext.privileged") {
			t.Errorf("privileged ephemeral container: %v", err)
		}
	})
	t.Run("controller-created pod audited, not denied", func(t *testing.T) {
		// There is no controller manager: the test creates, as the ReplicaSet
		// controller's service account, the pod that controller would create.
		if err := c.EnsureDefaultServiceAccount(ctx, "kube-system"); err != nil {
			t.Fatal(err)
		}
		if _, err := admin.CoreV1().ServiceAccounts("kube-system").Create(ctx,
			&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "replicaset-controller"}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		rcfg, err := c.ServiceAccountConfig(ctx, "kube-system", "replicaset-controller")
		if err != nil {
			t.Fatal(err)
		}
		controller := kubernetes.NewForConfigOrDie(rcfg)
		yes := true
		owned := func(name string) *corev1.Pod {
			p := privileged(name)
			p.OwnerReferences = []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "web-5d4f", UID: "0b6f1c9e-7e1a-4d6e-9c1f-3f1f9f1f9f1f", Controller: &yes}}
			return p
		}
		if _, err := controller.CoreV1().Pods("team").Create(ctx, owned("web-5d4f-abcde"), metav1.CreateOptions{}); err != nil {
			t.Fatalf("pod of a ReplicaSet, created by its controller: %v", err)
		}
		if !strings.Contains(ts.log.String(), `"object":"Pod/team/web-5d4f-abcde","user":"system:serviceaccount:kube-system:replicaset-controller","decision":"allowed"`) ||
			!strings.Contains(ts.log.String(), `PAL-001:audit`) {
			t.Errorf("decision log lacks the audited pod:\n%s", grep(ts.log.String(), "web-5d4f-abcde"))
		}
		// The same owner reference, written by a person, is not believed.
		if _, err := client.CoreV1().Pods("team").Create(ctx, owned("forged"), metav1.CreateOptions{}); err == nil || !strings.Contains(err.Error(), "PAL-001") {
			t.Errorf("forged owner reference: %v", err)
		}
	})
	t.Run("image policy webhook", func(t *testing.T) {
		// ImagePolicyWebhook runs before the webhooks: its error is the answer.
		_, err := client.CoreV1().Pods("team").Create(ctx, hardened("miner", "evil.io/miner:1.0"+digest, true), metav1.CreateOptions{})
		t.Logf("forbidden image: %v", err)
		if err == nil || !strings.Contains(err.Error(), "image policy webhook backend denied one or more images") || !strings.Contains(err.Error(), "PAL-105") {
			t.Fatalf("pod with a forbidden image: %v", err)
		}
		if _, m := ts.get(t, "/metrics"); !strings.Contains(m, `endpoint="imagepolicy"`) {
			t.Errorf("no image reviews counted:\n%s", grep(m, "reviews_total"))
		}
	})
	t.Run("deploy manifests and chart accepted by the API server", func(t *testing.T) {
		// Every object of deploy/webhook and of the chart rendered without
		// cert-manager, except cert-manager's, created as a dry run (the palisade
		// namespace exists already). The chart's values.yaml is read as a configuration
		// file too: it is not an object.
		mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(admin.Discovery()))
		dyn := dynamic.NewForConfigOrDie(c.Config())
		all := func(string, string) bool { return true }
		res := load.Load([]string{filepath.Join("..", "..", "deploy", "webhook")}, load.Options{Decode: all})
		chart := load.Load([]string{filepath.Join("..", "..", "charts", "palisade")}, load.Options{Decode: all, Namespace: "palisade",
			Helm: load.HelmOptions{ReleaseName: "palisade", Set: []string{"certManager.enabled=false", "tls.existingSecret=palisade-tls", "tls.caBundle=" + base64.StdEncoding.EncodeToString(ca)}}})
		if len(res.Errors)+len(chart.Errors) > 0 {
			t.Fatal(res.Errors, chart.Errors)
		}
		n := 0
		for _, o := range append(res.Inventory.Objects, chart.Inventory.Objects...) {
			if o.Group() == "cert-manager.io" || o.Ref.Kind == "Namespace" || o.IsConfigFile() {
				continue
			}
			gvk := schema.FromAPIVersionAndKind(o.Ref.APIVersion, o.Ref.Kind)
			m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
			if err != nil {
				t.Fatalf("%s: %v", o.Ref, err)
			}
			var ri dynamic.ResourceInterface = dyn.Resource(m.Resource)
			if o.Ref.Namespace != "" {
				ri = dyn.Resource(m.Resource).Namespace(o.Ref.Namespace)
			}
			if _, err := ri.Create(ctx, &unstructured.Unstructured{Object: o.Body}, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}); err != nil {
				t.Errorf("%s: %v", o.Ref, err)
			}
			n++
		}
		if n < 20 {
			t.Errorf("only %d objects tried", n)
		}
		found := false
		for _, o := range chart.Inventory.Objects {
			if o.Ref.Kind != "ValidatingWebhookConfiguration" {
				continue
			}
			found = true
			var vwc admissionregistrationv1.ValidatingWebhookConfiguration
			if err := o.Decode(&vwc); err != nil {
				t.Fatal(err)
			}
			if len(vwc.Webhooks) != 2 {
				t.Fatalf("chart webhooks: %+v", vwc.Webhooks)
			}
			for _, h := range vwc.Webhooks {
				if string(h.ClientConfig.CABundle) != string(ca) || *h.FailurePolicy != admissionregistrationv1.Fail || *h.TimeoutSeconds != 5 ||
					*h.SideEffects != admissionregistrationv1.SideEffectClassNone || !strings.Contains(fmt.Sprint(h.NamespaceSelector), "kube-system palisade") {
					t.Errorf("chart webhook %s: %+v", h.Name, h)
				}
			}
			if len(vwc.Webhooks[0].MatchConditions) != 1 {
				t.Errorf("chart matchConditions %+v", vwc.Webhooks[0].MatchConditions)
			}
		}
		if !found {
			t.Error("the chart renders no ValidatingWebhookConfiguration")
		}
	})
}

// connect POSTs to a pod's exec or attach subresource, as kubectl does before it
// upgrades the connection; admission runs first.
func connect(ctx context.Context, client kubernetes.Interface, ns, name, sub string) error {
	req := client.CoreV1().RESTClient().Post().Namespace(ns).Resource("pods").Name(name).SubResource(sub).
		Param("container", "app").Param("stdout", "true")
	if sub == "exec" {
		req = req.Param("command", "sh")
	}
	return req.Do(ctx).Error()
}

func register(t *testing.T, client kubernetes.Interface, base string, ca []byte) {
	t.Helper()
	fail, none := admissionregistrationv1.Fail, admissionregistrationv1.SideEffectClassNone
	timeout := int32(5)
	exempt := &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{
		Key: "kubernetes.io/metadata.name", Operator: metav1.LabelSelectorOpNotIn, Values: []string{"kube-system", "palisade"},
	}}}
	url := func(p string) *string { s := base + p; return &s }
	hook := func(name, path string, rules []admissionregistrationv1.RuleWithOperations) admissionregistrationv1.ValidatingWebhook {
		return admissionregistrationv1.ValidatingWebhook{
			Name: name, ClientConfig: admissionregistrationv1.WebhookClientConfig{URL: url(path), CABundle: ca},
			Rules: rules, FailurePolicy: &fail, SideEffects: &none, TimeoutSeconds: &timeout,
			AdmissionReviewVersions: []string{"v1"}, NamespaceSelector: exempt,
		}
	}
	rule := func(ops []admissionregistrationv1.OperationType, groups []string, resources ...string) admissionregistrationv1.RuleWithOperations {
		return admissionregistrationv1.RuleWithOperations{Operations: ops, Rule: admissionregistrationv1.Rule{
			APIGroups: groups, APIVersions: []string{"v1"}, Resources: resources}}
	}
	cu := []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update}
	vwc := &admissionregistrationv1.ValidatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: "palisade-e2e"},
		Webhooks: []admissionregistrationv1.ValidatingWebhook{
			hook("validate.palisade.dev", "/validate", []admissionregistrationv1.RuleWithOperations{
				rule(cu, []string{""}, "pods", "services", "configmaps", "replicationcontrollers"),
				rule(cu, []string{"apps"}, "deployments", "replicasets", "statefulsets", "daemonsets"),
				rule(cu, []string{"batch"}, "jobs", "cronjobs"),
			}),
			hook("exec.palisade.dev", "/validate-exec", []admissionregistrationv1.RuleWithOperations{
				rule([]admissionregistrationv1.OperationType{admissionregistrationv1.Connect}, []string{""}, "pods/exec", "pods/attach"),
				rule([]admissionregistrationv1.OperationType{admissionregistrationv1.Update}, []string{""}, "pods/ephemeralcontainers"),
			}),
		},
	}
	if _, err := client.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(context.Background(), vwc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// waitForWebhook waits until the API server calls the webhook: it picks up new
// configurations asynchronously. A dry run creates nothing.
func waitForWebhook(t *testing.T, client kubernetes.Interface) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		_, err := client.CoreV1().Pods("team").Create(context.Background(), privileged("probe"), metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		if err != nil && strings.Contains(err.Error(), "palisade denied") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("webhook not called after a minute: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}

var (
	_ rest.WarningHandler = (*warnings)(nil)
	_ admission.Cluster   = (*lazyCluster)(nil)
)

func mustQ(s string) resource.Quantity { return resource.MustParse(s) }

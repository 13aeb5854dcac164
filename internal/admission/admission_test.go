package admission

import (
	"context"
	"strings"
	"sync"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	imagepolicyv1alpha1 "k8s.io/api/imagepolicy/v1alpha1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"

	"github.com/palisade-k8s/palisade/internal/config"
	"github.com/palisade-k8s/palisade/internal/rules"
)

// fakeCluster answers namespace and pod reads from maps.
type fakeCluster struct {
	namespaces map[string]map[string]string
	pods       map[string]*corev1.Pod
}

func (f *fakeCluster) NamespaceLabels(_ context.Context, name string) (map[string]string, bool, error) {
	l, ok := f.namespaces[name]
	return l, ok, nil
}

func (f *fakeCluster) Pod(_ context.Context, ns, name string) (*corev1.Pod, error) {
	if p, ok := f.pods[ns+"/"+name]; ok {
		return p, nil
	}
	return nil, apierrors.NewNotFound(schema.GroupResource{Resource: "pods"}, name)
}

func newCluster() *fakeCluster {
	return &fakeCluster{namespaces: map[string]map[string]string{
		"team": {"env": "prod"}, "kube-system": nil, "palisade": nil, "default": nil,
		"strict": {"pod-security.kubernetes.io/enforce": "baseline"},
	}, pods: map[string]*corev1.Pod{}}
}

func parseConfig(t *testing.T, yml string) *config.Config {
	t.Helper()
	cfg, err := config.Parse([]byte(yml), func(id string) bool { _, ok := rules.Get(id); return ok },
		rules.ParamsOf)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func evaluator(t *testing.T, yml string) *Evaluator {
	t.Helper()
	e, err := New(parseConfig(t, yml))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// request builds an AdmissionRequest for the object in yml.
func request(t testing.TB, op admissionv1.Operation, yml string, user string, groups ...string) *admissionv1.AdmissionRequest {
	t.Helper()
	js, err := yaml.YAMLToJSON([]byte(yml))
	if err != nil {
		t.Fatal(err)
	}
	var meta struct {
		APIVersion string            `json:"apiVersion"`
		Kind       string            `json:"kind"`
		Metadata   metav1.ObjectMeta `json:"metadata"`
	}
	if err := yaml.Unmarshal(js, &meta); err != nil {
		t.Fatal(err)
	}
	gv, _ := schema.ParseGroupVersion(meta.APIVersion)
	return &admissionv1.AdmissionRequest{
		UID:       "uid-1",
		Kind:      metav1.GroupVersionKind{Group: gv.Group, Version: gv.Version, Kind: meta.Kind},
		Namespace: meta.Metadata.Namespace, Name: meta.Metadata.Name,
		Operation: op, UserInfo: authenticationv1.UserInfo{Username: user, Groups: groups},
		Object: runtime.RawExtension{Raw: js},
	}
}

const privilegedPod = `apiVersion: v1
kind: Pod
metadata: {name: web, namespace: team, labels: {app: web}}
spec:
  containers:
  - name: app
    image: registry.example.com/app:1.0@sha256:0123456789012345678901234567890123456789012345678901234567890123
    securityContext: {privileged: true}
`

const hardenedPod = `apiVersion: v1
kind: Pod
metadata: {name: ok, namespace: team}
spec:
  automountServiceAccountToken: false
  securityContext: {runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: app
    image: registry.example.com/app:1.0@sha256:0123456789012345678901234567890123456789012345678901234567890123
    resources: {requests: {cpu: 10m, memory: 10Mi, ephemeral-storage: 10Mi}, limits: {cpu: 10m, memory: 10Mi, ephemeral-storage: 10Mi}}
    securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}
`

// TestDenyPrivileged: a privileged pod is denied with a message that names the rule,
// the object, the container, the field, the fix and how to exempt.
func TestDenyPrivileged(t *testing.T) {
	e := evaluator(t, "")
	d := e.Review(context.Background(), request(t, admissionv1.Create, privilegedPod, "alice"), newCluster())
	if d.Err != nil || d.Allowed {
		t.Fatalf("decision %+v, want denied", d)
	}
	for _, want := range []string{"palisade denied Pod/team/web", "PAL-001 (critical)", `container "app"`,
		"spec.containers[0].securityContext.privileged", "Fix: ", "webhook.exemptions", "namespaces: [team]"} {
		if !strings.Contains(d.Message, want) {
			t.Errorf("message lacks %q:\n%s", want, d.Message)
		}
	}
	resp := d.Response()
	if resp.Allowed || resp.Result.Code != 403 || resp.UID != "uid-1" {
		t.Errorf("response %+v", resp)
	}
	if d.Outcome() != "denied" || !d.Enforced() {
		t.Errorf("outcome %s enforced %v", d.Outcome(), d.Enforced())
	}
}

// TestHardenedAdmitted: a pod with no findings at deny or warn is admitted silently.
func TestHardenedAdmitted(t *testing.T) {
	e := evaluator(t, "")
	d := e.Review(context.Background(), request(t, admissionv1.Create, hardenedPod, "alice"), newCluster())
	if !d.Allowed || len(d.Warnings) > 0 || d.Err != nil {
		t.Fatalf("decision %+v, want allowed without warnings", d)
	}
}

// TestActions: rule entries beat globs, globs beat severities, severities beat the
// defaults; warn findings become warnings and audit findings only verdicts.
func TestActions(t *testing.T) {
	e := evaluator(t, `webhook:
  actions:
    severity: {critical: warn}
    rules: {PAL-01*: audit, PAL-013: deny}
`)
	for id, want := range map[string]config.Action{"PAL-001": config.Warn, "PAL-012": config.Audit, "PAL-013": config.Deny, "PAL-019": config.Audit, "PAL-020": config.Deny, "PAL-103": config.Audit, "PAL-006": config.Warn} {
		if got := e.Action(id); got != want {
			t.Errorf("%s: action %q, want %q", id, got, want)
		}
	}
	pod := strings.Replace(privilegedPod, "securityContext: {privileged: true}", "securityContext: {privileged: true, runAsUser: 1000}", 1)
	d := e.Review(context.Background(), request(t, admissionv1.Create, pod, "alice"), newCluster())
	if d.Allowed {
		t.Fatalf("PAL-013 is deny: want denied, got %+v", d)
	}
	if !strings.Contains(strings.Join(d.Warnings, "\n"), "PAL-001 (critical)") {
		t.Errorf("warnings %q lack PAL-001", d.Warnings)
	}
}

// TestWarnings: with the default actions, medium findings are warnings and the pod
// is admitted.
func TestWarnings(t *testing.T) {
	e := evaluator(t, "")
	pod := strings.Replace(hardenedPod, "seccompProfile: {type: RuntimeDefault}", "", 1)
	d := e.Review(context.Background(), request(t, admissionv1.Create, pod, "alice"), newCluster())
	if !d.Allowed || d.Outcome() != "warned" {
		t.Fatalf("decision %+v, want allowed with warnings", d)
	}
	if w := strings.Join(d.Warnings, "\n"); !strings.Contains(w, "PAL-013 (medium)") || !strings.Contains(w, "seccompProfile]") {
		t.Errorf("warnings %q", w)
	}
}

// TestExemptions: kube-system and Palisade's namespace are exempt by default (unless
// turned off); configured exemptions match users, groups, service accounts, labels
// and namespace labels, wholly or for some rules.
func TestExemptions(t *testing.T) {
	cfg := `webhook:
  namespace: palisade
  exemptions:
  - users: [breakglass]
    reason: on-call access
  - groups: [cni-admins]
    rules: [PAL-0*]
    reason: CNI pods
  - serviceAccounts: [ci/*]
    reason: CI
  - labels: {app: web}
    namespaceLabels: {env: prod}
    rules: [PAL-00*]
    reason: legacy web
  - namespaces: [old]
    reason: expired
    expires: "2001-01-01"
`
	e := evaluator(t, cfg)
	c := newCluster()
	c.namespaces["old"] = nil
	other := strings.Replace(privilegedPod, "labels: {app: web}", "labels: {app: other}", 1)
	for _, tc := range []struct {
		name, pod, user string
		groups          []string
		allowed         bool
		exempt          string
	}{
		{"kube-system", strings.Replace(other, "namespace: team", "namespace: kube-system", 1), "alice", nil, true, "kube-system"},
		{"own namespace", strings.Replace(other, "namespace: team", "namespace: palisade", 1), "alice", nil, true, "own namespace"},
		{"user", other, "breakglass", nil, true, "on-call"},
		{"group limited to a rule", other, "bob", []string{"cni-admins"}, true, ""},
		{"service account", other, "system:serviceaccount:ci:deployer", nil, true, "CI"},
		{"other service account", other, "system:serviceaccount:dev:deployer", nil, false, ""},
		{"labels and namespace labels", privilegedPod, "alice", nil, true, ""},
		{"expired", strings.Replace(other, "namespace: team", "namespace: old", 1), "alice", nil, false, ""},
		{"nobody", other, "alice", nil, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := e.Review(context.Background(), request(t, admissionv1.Create, tc.pod, tc.user, tc.groups...), c)
			if d.Allowed != tc.allowed || !strings.Contains(d.Exempt, tc.exempt) {
				t.Errorf("allowed %v exempt %q, want %v %q; message %s", d.Allowed, d.Exempt, tc.allowed, tc.exempt, d.Message)
			}
		})
	}
	off := evaluator(t, "webhook: {exemptSystemNamespaces: false}")
	d := off.Review(context.Background(), request(t, admissionv1.Create, strings.Replace(other, "namespace: team", "namespace: kube-system", 1), "alice"), c)
	if d.Allowed {
		t.Error("kube-system admitted with exemptSystemNamespaces: false")
	}
}

// TestAnnotationDoesNotExempt: the requester writes palisade.dev/ignore, so it
// exempts nothing at admission; the configuration's exemptions do.
func TestAnnotationDoesNotExempt(t *testing.T) {
	pod := strings.Replace(privilegedPod, "labels: {app: web}", "annotations: {palisade.dev/ignore: \"*\"}", 1)
	e := evaluator(t, "")
	if d := e.Review(context.Background(), request(t, admissionv1.Create, pod, "alice"), newCluster()); d.Allowed {
		t.Error("palisade.dev/ignore admitted a privileged pod")
	}
	e = evaluator(t, "exemptions:\n- {namespaces: [team], rules: [PAL-0*], reason: lab}\n")
	d := e.Review(context.Background(), request(t, admissionv1.Create, pod, "alice"), newCluster())
	if !d.Allowed {
		t.Fatalf("config exemption ignored: %s", d.Message)
	}
	found := false
	for _, v := range d.Verdicts {
		if v.Finding.RuleID == "PAL-001" && v.Action == config.Ignore && strings.Contains(v.Note, "lab") {
			found = true
		}
	}
	if !found {
		t.Errorf("no exempt PAL-001 verdict: %+v", d.RuleActions())
	}
}

// TestControllerOwned: a pod owned by a ReplicaSet and created by the controller
// manager is only audited; the same pod from a user who forged the owner reference,
// or with controllerOwned: enforce, is denied.
func TestControllerOwned(t *testing.T) {
	owned := strings.Replace(privilegedPod, "labels: {app: web}}",
		"labels: {app: web}, ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-5d4f, uid: u1, controller: true}]}", 1)
	e := evaluator(t, "")
	d := e.Review(context.Background(), request(t, admissionv1.Create, owned, "system:serviceaccount:kube-system:replicaset-controller"), newCluster())
	if !d.Allowed || len(d.Warnings) > 0 {
		t.Fatalf("controller-created pod: %+v, want admitted without warnings", d)
	}
	audited := false
	for _, v := range d.Verdicts {
		if v.Finding.RuleID == "PAL-001" && v.Action == config.Audit && strings.Contains(v.Note, "ReplicaSet/web-5d4f") {
			audited = true
		}
	}
	if !audited {
		t.Errorf("PAL-001 not audited: %v", d.RuleActions())
	}
	for _, user := range []string{"mallory", "system:serviceaccount:kube-system:cni-agent"} {
		if d := e.Review(context.Background(), request(t, admissionv1.Create, owned, user), newCluster()); d.Allowed {
			t.Errorf("owner reference written by %s admitted a privileged pod", user)
		}
	}
	notController := strings.Replace(owned, "controller: true", "controller: false", 1)
	if d := e.Review(context.Background(), request(t, admissionv1.Create, notController, "system:kube-controller-manager"), newCluster()); d.Allowed {
		t.Error("non-controller owner admitted a privileged pod")
	}
	strict := evaluator(t, "webhook: {controllerOwned: enforce}")
	if d := strict.Review(context.Background(), request(t, admissionv1.Create, owned, "system:kube-controller-manager"), newCluster()); d.Allowed {
		t.Error("controllerOwned: enforce admitted a privileged pod")
	}
}

// TestDryRun: dry-run requests are decided alike and flagged as not enforced.
func TestDryRun(t *testing.T) {
	e := evaluator(t, "")
	req := request(t, admissionv1.Create, privilegedPod, "alice")
	yes := true
	req.DryRun = &yes
	d := e.Review(context.Background(), req, newCluster())
	if d.Allowed || d.Enforced() || !d.DryRun {
		t.Errorf("dry run: allowed %v enforced %v", d.Allowed, d.Enforced())
	}
}

// TestUpdateRatchet: on UPDATE, a deny finding the old object had is a warning, a
// new one is denied.
func TestUpdateRatchet(t *testing.T) {
	e := evaluator(t, "")
	req := request(t, admissionv1.Update, strings.Replace(privilegedPod, "app: web", "app: web2", 1), "alice")
	req.OldObject = request(t, admissionv1.Create, privilegedPod, "alice").Object
	d := e.Review(context.Background(), req, newCluster())
	if !d.Allowed || !strings.Contains(strings.Join(d.Warnings, "\n"), "already present before this update") {
		t.Errorf("label change on a privileged pod: %+v", d)
	}
	req.OldObject = request(t, admissionv1.Create, hardenedPod, "alice").Object
	if d := e.Review(context.Background(), req, newCluster()); d.Allowed {
		t.Error("a new privileged container admitted on update")
	}
}

// TestNamespaceAware: PAL-606 judges the pod against its namespace's enforce label,
// read through the cluster; rules that need other objects do not run.
func TestNamespaceAware(t *testing.T) {
	e := evaluator(t, "webhook: {actions: {rules: {PAL-606: deny, PAL-0*: audit, PAL-1*: audit}}}")
	pod := strings.Replace(privilegedPod, "namespace: team", "namespace: strict", 1)
	d := e.Review(context.Background(), request(t, admissionv1.Create, pod, "alice"), newCluster())
	if d.Allowed || !strings.Contains(d.Message, "PAL-606") || !strings.Contains(d.Message, "baseline") {
		t.Errorf("privileged pod in a baseline namespace: %s", d.Message)
	}
	d = e.Review(context.Background(), request(t, admissionv1.Create, privilegedPod, "alice"), newCluster())
	if !d.Allowed {
		t.Errorf("privileged pod in an unlabelled namespace: %s", d.Message)
	}
	for _, id := range e.Rules() {
		r, _ := rules.Get(id)
		for _, n := range r.Needs {
			if !admissionIndexes[n] {
				t.Errorf("%s needs %s and runs at admission", id, n)
			}
		}
	}
	if e.Action("PAL-421") != "" || e.Action("PAL-606") != config.Deny {
		t.Errorf("PAL-421 %q PAL-606 %q", e.Action("PAL-421"), e.Action("PAL-606"))
	}
}

// TestOtherKinds: Deployments, Services, RBAC and ConfigMaps are judged by their rules.
func TestOtherKinds(t *testing.T) {
	e := evaluator(t, "webhook: {actions: {rules: {PAL-401: deny}}}")
	for _, tc := range []struct {
		name, yml, want string
	}{
		{"deployment", `apiVersion: apps/v1
kind: Deployment
metadata: {name: d, namespace: team}
spec:
  selector: {matchLabels: {a: b}}
  template:
    metadata: {labels: {a: b}}
    spec:
      hostPID: true
      containers: [{name: c, image: nginx:1.27}]
`, "PAL-019"},
		{"service", "apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: team}\nspec: {type: NodePort, ports: [{port: 80}]}\n", "PAL-401"},
		{"clusterrolebinding", `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: b}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects: [{kind: Group, name: system:anonymous, apiGroup: rbac.authorization.k8s.io}]
`, "PAL-307"},
		{"configmap", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: team}\ndata: {key: \"-----BEGIN RSA PRIVATE KEY-----\\nMIIEowIBAAKCAQEA0Z3VS5JJcds3xfn/ygWyF8PbnGy0AHB7MhgHcTz6sE2I2yPB\\n-----END RSA PRIVATE KEY-----\"}\n", "PAL-510"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := e.Review(context.Background(), request(t, admissionv1.Create, tc.yml, "alice"), newCluster())
			if d.Err != nil || d.Allowed || !strings.Contains(d.Message, tc.want) {
				t.Errorf("want denied for %s: err %v, message %s, verdicts %v", tc.want, d.Err, d.Message, d.RuleActions())
			}
		})
	}
}

// TestOtherOperations: DELETE and CONNECT on /validate, and subresources, are
// admitted unread.
func TestOtherOperations(t *testing.T) {
	e := evaluator(t, "")
	req := request(t, admissionv1.Delete, privilegedPod, "alice")
	req.Object.Raw = nil
	if d := e.Review(context.Background(), req, newCluster()); !d.Allowed || d.Err != nil {
		t.Errorf("delete: %+v", d)
	}
	req.Operation = admissionv1.Create
	if d := e.Review(context.Background(), req, newCluster()); d.Err == nil {
		t.Error("create without an object: no error")
	}
	status := request(t, admissionv1.Update, privilegedPod, "system:node:n1")
	status.SubResource = "status"
	if d := e.Review(context.Background(), status, newCluster()); !d.Allowed || len(d.Verdicts) > 0 {
		t.Errorf("status update reviewed: %+v", d)
	}
}

// TestConcurrentReviews: one Evaluator reviews in parallel (run with -race).
func TestConcurrentReviews(t *testing.T) {
	e := evaluator(t, "")
	c := newCluster()
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 20; j++ {
				if d := e.Review(context.Background(), request(t, admissionv1.Create, privilegedPod, "alice"), c); d.Allowed {
					t.Error("admitted")
				}
			}
		}()
	}
	wg.Wait()
}

func execRequest(sub, ns, name, user string, groups ...string) *admissionv1.AdmissionRequest {
	return &admissionv1.AdmissionRequest{
		UID: "x", Kind: metav1.GroupVersionKind{Version: "v1", Kind: "PodExecOptions"},
		Resource: metav1.GroupVersionResource{Version: "v1", Resource: "pods"}, SubResource: sub,
		Namespace: ns, Name: name, Operation: admissionv1.Connect,
		UserInfo: authenticationv1.UserInfo{Username: user, Groups: groups},
		Object:   runtime.RawExtension{Raw: []byte(`{"kind":"PodExecOptions","apiVersion":"v1","command":["sh"]}`)},
	}
}

// TestReviewExec: exec and attach into a privileged or host-namespace pod are
// denied, into an ordinary pod admitted; exemptions apply; a missing pod is left to
// the API server.
func TestReviewExec(t *testing.T) {
	e := evaluator(t, "webhook:\n  exemptions:\n  - {groups: [sre], rules: [PAL-001], reason: break-glass}\n")
	c := newCluster()
	yes := true
	c.pods["team/priv"] = &corev1.Pod{Spec: corev1.PodSpec{InitContainers: []corev1.Container{{Name: "init", SecurityContext: &corev1.SecurityContext{Privileged: &yes}}}, Containers: []corev1.Container{{Name: "app"}}}}
	c.pods["team/pid"] = &corev1.Pod{Spec: corev1.PodSpec{HostPID: true, Containers: []corev1.Container{{Name: "app"}}}}
	c.pods["team/ipc"] = &corev1.Pod{Spec: corev1.PodSpec{HostIPC: true, Containers: []corev1.Container{{Name: "app"}}}}
	c.pods["team/plain"] = &corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app"}}}}
	c.pods["kube-system/priv"] = c.pods["team/priv"]
	for _, tc := range []struct {
		sub, ns, name, user string
		groups              []string
		allowed             bool
		want                string
	}{
		{"exec", "team", "priv", "alice", nil, false, `container "init" is privileged`},
		{"attach", "team", "priv", "alice", nil, false, "spec.initContainers[0].securityContext.privileged"},
		{"exec", "team", "pid", "alice", nil, false, "hostPID"},
		{"exec", "team", "ipc", "alice", nil, false, "hostIPC"},
		{"exec", "team", "plain", "alice", nil, true, ""},
		{"exec", "team", "missing", "alice", nil, true, ""},
		{"portforward", "team", "priv", "alice", nil, true, ""},
		{"exec", "team", "priv", "bob", []string{"sre"}, true, ""},
		{"exec", "team", "pid", "bob", []string{"sre"}, false, "PAL-019"},
		{"exec", "kube-system", "priv", "alice", nil, true, ""},
	} {
		d := e.ReviewExec(context.Background(), execRequest(tc.sub, tc.ns, tc.name, tc.user, tc.groups...), c)
		if d.Err != nil || d.Allowed != tc.allowed || !strings.Contains(d.Message, tc.want) {
			t.Errorf("%s %s/%s by %s: allowed %v err %v message %q; want %v %q", tc.sub, tc.ns, tc.name, tc.user, d.Allowed, d.Err, d.Message, tc.allowed, tc.want)
		}
	}
	// Adding a privileged ephemeral container: the pod is in the request.
	req := execRequest("ephemeralcontainers", "team", "plain", "alice")
	req.Operation = admissionv1.Update
	req.Kind = metav1.GroupVersionKind{Version: "v1", Kind: "Pod"}
	req.Object.Raw = []byte(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"plain","namespace":"team"},"spec":{"containers":[{"name":"app"}],"ephemeralContainers":[{"name":"dbg","securityContext":{"privileged":true}}]}}`)
	if d := e.ReviewExec(context.Background(), req, c); d.Allowed || !strings.Contains(d.Message, "spec.ephemeralContainers[0]") {
		t.Errorf("privileged ephemeral container: %+v", d)
	}
}

// TestReviewImages: ImageReviews are judged by the image rules with their actions.
func TestReviewImages(t *testing.T) {
	e := evaluator(t, `rules:
  PAL-105: {params: {allowedRegistries: [registry.example.com]}}
webhook: {actions: {rules: {PAL-105: deny, PAL-102: deny}}}
`)
	for _, tc := range []struct {
		ns      string
		images  []string
		allowed bool
		want    string
	}{
		{"team", []string{"registry.example.com/app:1.0"}, true, ""},
		{"team", []string{"registry.example.com/app:1.0", "evil.io/miner:1"}, false, "PAL-105"},
		{"team", []string{"registry.example.com/app"}, false, "PAL-102"},
		{"kube-system", []string{"evil.io/miner:1"}, true, ""},
	} {
		spec := &imagepolicyv1alpha1.ImageReviewSpec{Namespace: tc.ns}
		for _, im := range tc.images {
			spec.Containers = append(spec.Containers, imagepolicyv1alpha1.ImageReviewContainerSpec{Image: im})
		}
		d := e.ReviewImages(context.Background(), spec)
		st := d.ImageReviewStatus()
		if d.Err != nil || st.Allowed != tc.allowed || !strings.Contains(st.Reason, tc.want) {
			t.Errorf("%v in %s: %+v err %v; want allowed %v %q", tc.images, tc.ns, st, d.Err, tc.allowed, tc.want)
		}
	}
}

// TestSameRulesAsScan: the webhook runs the rules scan runs, less those that need
// other objects, with the same configuration.
func TestSameRulesAsScan(t *testing.T) {
	cfg := parseConfig(t, "rules:\n  PAL-001: {enabled: false}\n")
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	enabled, _ := config.EnabledRules(cfg, nil, nil)
	want := map[string]bool{}
	for _, r := range enabled {
		if atAdmission(r) && e.Action(r.ID) != config.Ignore {
			want[r.ID] = true
		}
	}
	got := e.Rules()
	if len(got) != len(want) || len(got) < 80 {
		t.Errorf("%d rules at admission, want %d (of %d enabled)", len(got), len(want), len(enabled))
	}
	if e.Action("PAL-001") != "" {
		t.Error("disabled PAL-001 runs at admission")
	}
}

// TestDecodeReviewOnePass: the objects of a review are decoded with it, integers as
// int64, and a malformed review is an error.
func TestDecodeReviewOnePass(t *testing.T) {
	r, err := DecodeReview([]byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"1","operation":"UPDATE","dryRun":true,` +
		`"userInfo":{"username":"u","groups":["g"]},"object":{"kind":"Pod","spec":{"priority":7}},"oldObject":{"kind":"Pod"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	req := r.Request
	if req.UID != "1" || req.Operation != admissionv1.Update || req.DryRun == nil || !*req.DryRun || req.UserInfo.Groups[0] != "g" {
		t.Errorf("request %+v", req)
	}
	u, ok := req.Object.Object.(*unstructured.Unstructured)
	if !ok || len(req.Object.Raw) != 0 || req.OldObject.Object == nil {
		t.Fatalf("object not decoded in the same pass: %#v", req.Object)
	}
	if p := u.Object["spec"].(map[string]any)["priority"]; p != int64(7) {
		t.Errorf("priority %T %v, want int64 7", p, p)
	}
	for _, bad := range []string{`{`, `{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","request":{"uid":"1"}}`,
		`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"1","object":[1]}}`,
		`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{}}`} {
		if _, err := DecodeReview([]byte(bad)); err == nil {
			t.Errorf("DecodeReview(%s) accepted", bad)
		}
	}
}

// TestResponseEscapesInputText: kubectl prints a denial's message and the warnings to
// the user's terminal, so control characters from the object are escaped there; the
// message keeps its own line breaks.
func TestResponseEscapesInputText(t *testing.T) {
	d := &Decision{UID: "u", Allowed: false,
		Message:  "denied:\n- image \"evil\x1b[2J\" is mutable",
		Warnings: []string{"annotation \x1b]0;pwned\x07 set"}}
	r := d.Response()
	if strings.Contains(r.Result.Message, "\x1b") || !strings.Contains(r.Result.Message, `evil\x1b[2J`) || !strings.Contains(r.Result.Message, "denied:\n- image") {
		t.Errorf("message %q", r.Result.Message)
	}
	if len(r.Warnings) != 1 || strings.ContainsAny(r.Warnings[0], "\x1b\x07") {
		t.Errorf("warnings %q", r.Warnings)
	}
}

package workload_test

import (
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/load"
	"github.com/palisade-k8s/palisade/internal/workload"
)

var finder = workload.NewFinder(nil)

// loadObjects decodes every object of a manifest that runs pods.
func loadObjects(t testing.TB, manifest string) []*inventory.Object {
	t.Helper()
	lr := load.Load([]string{"-"}, load.Options{Stdin: strings.NewReader(manifest), Decode: func(apiVersion, kind string) bool {
		_, ok := finder.Lookup(apiVersion, kind)
		return ok
	}})
	return lr.Inventory.Objects
}

func fromYAML(t *testing.T, manifest string) *workload.Workload {
	t.Helper()
	objs := loadObjects(t, manifest)
	if len(objs) != 1 {
		t.Fatalf("%d objects, want 1", len(objs))
	}
	w, err := finder.From(objs[0])
	if err != nil || w == nil {
		t.Fatalf("From: %v, %v", w, err)
	}
	return w
}

// TestDefaults checks each step of defaults.go on one field, with what Defaulted and
// Source say about it. TestDefaultsMatchAPIServer proves the steps against a real
// API server; this test pins them where no API server runs.
func TestDefaults(t *testing.T) {
	w := fromYAML(t, `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    metadata:
      annotations:
        container.apparmor.security.beta.kubernetes.io/app: unconfined
    spec:
      hostNetwork: true
      serviceAccount: builder
      containers:
      - name: app
        image: nginx
        ports:
        - containerPort: 8080
        resources:
          limits: {cpu: "0.5"}
      - name: pinned
        image: nginx:1.27
      volumes:
      - name: scratch
      - name: logs
        hostPath: {path: /var/log}
`)
	s := w.Spec
	app, pinned := &s.Containers[0], &s.Containers[1]
	const sp = "spec.template.spec."
	for _, c := range []struct {
		what      string
		ok        bool
		path      string // a field Defaulted must know ("" for none)
		from      string // the written field it copies
		unwritten bool   // Defaulted must know the path as a constant default
	}{
		{"sourceless volume is an emptyDir", s.Volumes[0].EmptyDir != nil, "", "", false},
		{"hostPath type", s.Volumes[1].HostPath.Type != nil && *s.Volumes[1].HostPath.Type == corev1.HostPathUnset, "", "", false},
		{"hostPort copied", app.Ports[0].HostPort == 8080, sp + "containers[0].ports[0].hostPort", sp + "containers[0].ports[0].containerPort", false},
		{"protocol", app.Ports[0].Protocol == corev1.ProtocolTCP, "", "", false},
		{"pull policy of a tagless image", app.ImagePullPolicy == corev1.PullAlways, sp + "containers[0].imagePullPolicy", "", true},
		{"pull policy of a tag", pinned.ImagePullPolicy == corev1.PullIfNotPresent, sp + "containers[1].imagePullPolicy", "", true},
		{"request from the limit", app.Resources.Requests.Cpu().MilliValue() == 500, sp + "containers[0].resources.requests.cpu", sp + "containers[0].resources.limits.cpu", false},
		{"account from the alias", s.ServiceAccountName == "builder", sp + "serviceAccountName", sp + "serviceAccount", false},
		{"alias kept", w.DeprecatedServiceAccount == "builder", "", "", false},
		{"pod securityContext", s.SecurityContext != nil, "", "", false},
		{"restart, DNS, scheduler, grace", s.RestartPolicy == corev1.RestartPolicyAlways && s.DNSPolicy == corev1.DNSClusterFirst &&
			s.SchedulerName == corev1.DefaultSchedulerName && *s.TerminationGracePeriodSeconds == 30 && *s.EnableServiceLinks, "", "", false},
		{"AppArmor annotation copied", app.SecurityContext != nil && app.SecurityContext.AppArmorProfile != nil &&
			app.SecurityContext.AppArmorProfile.Type == corev1.AppArmorProfileTypeUnconfined,
			sp + "containers[0].securityContext.appArmorProfile", "spec.template.metadata.annotations['container.apparmor.security.beta.kubernetes.io/app']", false},
		{"the effective profile follows", w.Containers[0].Effective.AppArmorProfile.Value.Type == corev1.AppArmorProfileTypeUnconfined, "", "", false},
	} {
		if !c.ok {
			t.Errorf("%s: not applied", c.what)
		}
		if c.path == "" {
			continue
		}
		from, ok := w.Defaulted(c.path)
		switch {
		case !ok:
			t.Errorf("%s: Defaulted(%s) is false", c.what, c.path)
		case from != c.from:
			t.Errorf("%s: Defaulted(%s) copies %q, want %q", c.what, c.path, from, c.from)
		}
		want := c.path
		if c.from != "" {
			want = c.from
		}
		if got := w.Source(c.path + ".x"); c.from != "" && got != want {
			t.Errorf("%s: Source of a field under %s is %s, want %s", c.what, c.path, got, want)
		}
	}
	// Written values are not defaults.
	for _, p := range []string{sp + "hostNetwork", sp + "containers[0].image", sp + "serviceAccount"} {
		if _, ok := w.Defaulted(p); ok {
			t.Errorf("Defaulted(%s) is true for a written field", p)
		}
		if got := w.Source(p); got != p {
			t.Errorf("Source(%s) = %s", p, got)
		}
	}
}

// TestDefaultsJobAndStatefulSet: the Job registry's labels (in From and in PodLabels,
// which the NetworkPolicy and selector indexes read) and the StatefulSet
// controller's claim volumes.
func TestDefaultsJobAndStatefulSet(t *testing.T) {
	objs := loadObjects(t, `apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
spec:
  template:
    metadata:
      labels: {app: shop}
    spec:
      restartPolicy: Never
      containers:
      - {name: app, image: busybox:1.36}
---
apiVersion: batch/v1
kind: Job
metadata:
  name: manual
spec:
  manualSelector: true
  selector: {matchLabels: {app: shop}}
  template:
    metadata:
      labels: {app: shop}
    spec:
      restartPolicy: Never
      containers:
      - {name: app, image: busybox:1.36}
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: nightly
spec:
  schedule: "@daily"
  jobTemplate:
    spec:
      template:
        metadata:
          labels: {app: shop}
        spec:
          restartPolicy: Never
          containers:
          - {name: app, image: busybox:1.36}
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
spec:
  template:
    spec:
      containers:
      - {name: db, image: postgres:16}
      volumes:
      - name: data
        hostPath: {path: /srv}
  volumeClaimTemplates:
  - metadata: {name: data}
  - metadata: {name: wal}
`)
	want := []map[string]string{
		{"app": "shop", "job-name": "migrate", "batch.kubernetes.io/job-name": "migrate"},
		{"app": "shop"},
		{"app": "shop"}, // the Job's name is only known when the CronJob runs
		{},
	}
	for i, o := range objs {
		labels, _ := finder.PodLabels(o)
		if !reflect.DeepEqual(labels, want[i]) {
			t.Errorf("%s: PodLabels %v, want %v", o.Ref, labels, want[i])
		}
		w, err := finder.From(o)
		if err != nil {
			t.Fatal(err)
		}
		if got := w.Meta.Labels; len(want[i]) > 0 && !reflect.DeepEqual(got, want[i]) {
			t.Errorf("%s: template labels %v, want %v", o.Ref, got, want[i])
		}
	}
	w, _ := finder.From(objs[3])
	vols := w.Spec.Volumes
	if len(vols) != 2 || vols[0].PersistentVolumeClaim == nil || vols[0].HostPath != nil || vols[0].PersistentVolumeClaim.ClaimName != "data-db-0" ||
		vols[1].Name != "wal" || vols[1].PersistentVolumeClaim == nil {
		t.Errorf("StatefulSet volumes %+v: want the claims data (in place of the hostPath) and wal", vols)
	}
	if got := w.Source("spec.template.spec.volumes[0].persistentVolumeClaim"); got != "spec.volumeClaimTemplates[0]" {
		t.Errorf("a finding on the claim volume points at %s", got)
	}
}

// TestTokenMounts: the ServiceAccount plugin's token, by the pod's and the account's
// settings and the containers' own mounts.
func TestTokenMounts(t *testing.T) {
	pod := func(automount string) *workload.Workload {
		return fromYAML(t, `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
`+automount+`  initContainers:
  - name: init
    image: busybox:1.36
    volumeMounts:
    - {name: own, mountPath: /var/run/secrets/kubernetes.io/serviceaccount}
  containers:
  - {name: app, image: nginx:1.27}
  ephemeralContainers:
  - {name: debug, image: busybox:1.36}
  volumes:
  - {name: own, emptyDir: {}}
`)
	}
	yes, no := true, false
	for _, c := range []struct {
		pod     string
		account *bool
		want    []string
	}{
		{"", nil, []string{"app"}},
		{"", &no, nil},
		{"", &yes, []string{"app"}},
		{"  automountServiceAccountToken: true\n", &no, []string{"app"}},
		{"  automountServiceAccountToken: false\n", nil, nil},
	} {
		var got []string
		for _, m := range pod(c.pod).TokenMounts(c.account) {
			got = append(got, m.Name)
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("pod %q, account %v: token mounted into %v, want %v", c.pod, c.account, got, c.want)
		}
	}
	if pod("").TokenPathTaken() {
		t.Error("TokenPathTaken with a container that mounts nothing there")
	}
}

// FuzzDefaults: From never panics on a decodable template, and its defaults are
// idempotent: the pod it returns, read back as a Pod, comes out unchanged with
// nothing more defaulted (the API server sends the admission webhook pods that are
// already defaulted).
func FuzzDefaults(f *testing.F) {
	for _, s := range []string{
		"apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  hostNetwork: true\n  containers:\n  - {name: a, image: nginx, ports: [{containerPort: 80}], resources: {limits: {cpu: '1'}}}\n  volumes: [{name: x}]\n",
		"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n    metadata: {annotations: {container.apparmor.security.beta.kubernetes.io/a: localhost/p}}\n    spec:\n      serviceAccount: s\n      resources: {limits: {memory: 1Gi}}\n      containers: [{name: a, image: 'x:latest', resources: {requests: {memory: 1Mi}}}]\n",
		"apiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\nspec:\n  template:\n    spec:\n      initContainers: [{name: i, image: busybox, restartPolicy: Always, ports: [{containerPort: 1}]}]\n      containers: [{name: a, image: 'UPPER/case'}]\n",
		"apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: s}\nspec:\n  volumeClaimTemplates: [{metadata: {name: v}}, 7]\n  template:\n    spec:\n      containers: [{name: a, image: a, livenessProbe: {httpGet: {port: 1}}}]\n      volumes: [{name: v, projected: {sources: [{serviceAccountToken: {path: t}}]}}]\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, manifest string) {
		if len(manifest) > 1<<16 {
			return
		}
		for _, o := range loadObjects(t, manifest) {
			w, err := finder.From(o)
			if err != nil || w == nil {
				continue
			}
			body, err := runtime.DefaultUnstructuredConverter.ToUnstructured(&corev1.Pod{
				ObjectMeta: *w.Meta.DeepCopy(), Spec: *w.Spec.DeepCopy(),
			})
			if err != nil {
				t.Fatalf("the defaulted pod does not encode: %v", err)
			}
			body["apiVersion"], body["kind"] = "v1", "Pod"
			ref := o.Ref
			ref.APIVersion, ref.Kind = "v1", "Pod"
			again, err := finder.From(&inventory.Object{Ref: ref, Body: body})
			if err != nil || again == nil {
				t.Fatalf("the defaulted pod does not decode: %v", err)
			}
			if !apiequality.Semantic.DeepEqual(again.Spec, w.Spec) {
				t.Errorf("defaults are not idempotent:\nonce  %+v\ntwice %+v", w.Spec, again.Spec)
			}
		}
	})
}

package vap

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"
)

func decodeYAML(t testing.TB, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := yaml.Unmarshal([]byte(s), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func fixedNow(t testing.TB) {
	old := now
	now = func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }
	t.Cleanup(func() { now = old })
}

func TestPrepare(t *testing.T) {
	fixedNow(t)
	tests := []struct {
		name, in, ns string
		approximate  bool
		want         map[string]any // path (dotted) -> value, checked with lookup
		absent       []string
	}{
		{name: "pod", ns: "team", in: `
apiVersion: v1
kind: Pod
metadata: {name: p, labels: {app: a}}
spec:
  unknownField: 1
  containers:
  - name: c
    image: nginx
    ports: [{containerPort: 80}]
    resources: {limits: {cpu: 100m, memory: 64Mi}}
    livenessProbe: {httpGet: {port: 80}}
`, want: map[string]any{
			"metadata.namespace":                             "team",
			"metadata.generation":                            int64(1),
			"metadata.creationTimestamp":                     "2026-01-02T03:04:05Z",
			"spec.containers.0.imagePullPolicy":              "Always",
			"spec.containers.0.ports.0.protocol":             "TCP",
			"spec.containers.0.resources.requests.cpu":       "100m",
			"spec.containers.0.livenessProbe.httpGet.path":   "/",
			"spec.containers.0.livenessProbe.timeoutSeconds": int64(1),
			"spec.containers.0.volumeMounts.0.name":          ServiceAccountTokenVolume,
			"spec.serviceAccountName":                        "default",
			"spec.restartPolicy":                             "Always",
			"spec.dnsPolicy":                                 "ClusterFirst",
			"spec.enableServiceLinks":                        true,
			"spec.priority":                                  int64(0),
			"spec.tolerations.0.key":                         "node.kubernetes.io/not-ready",
			"spec.volumes.0.projected.sources.0.serviceAccountToken.expirationSeconds": int64(3607),
			"status.phase":    "Pending",
			"status.qosClass": "Guaranteed",
		}, absent: []string{"spec.unknownField"}},
		{name: "deployment", ns: "team", in: `
apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  selector: {matchLabels: {app: a}}
  template:
    metadata: {labels: {app: a}}
    spec:
      automountServiceAccountToken: false
      containers: [{name: c, image: "nginx:1.27"}]
`, want: map[string]any{
			"spec.replicas":                                          int64(1),
			"spec.strategy.rollingUpdate.maxSurge":                   "25%",
			"spec.template.spec.containers.0.imagePullPolicy":        "IfNotPresent",
			"spec.template.spec.terminationGracePeriodSeconds":       int64(30),
			"spec.template.spec.containers.0.terminationMessagePath": "/dev/termination-log",
		}, absent: []string{"spec.template.spec.serviceAccountName", "spec.template.spec.tolerations"}},
		{name: "service", ns: "team", in: `
apiVersion: v1
kind: Service
metadata: {name: s}
spec: {selector: {app: a}, ports: [{port: 80}]}
`, want: map[string]any{"spec.type": "ClusterIP", "spec.sessionAffinity": "None", "spec.ports.0.targetPort": int64(80),
			"spec.ports.0.protocol": "TCP", "spec.ipFamilyPolicy": "SingleStack", "spec.ipFamilies.0": "IPv4", "spec.internalTrafficPolicy": "Cluster"}},
		{name: "generated name", ns: "team", in: `{apiVersion: v1, kind: ConfigMap, metadata: {generateName: cfg-}}`,
			want: map[string]any{"metadata.name": "cfg-vapxx", "metadata.generateName": "cfg-"}},
		{name: "secret", ns: "team", in: `{apiVersion: v1, kind: Secret, metadata: {name: s}, data: {a: YQ==, b: YQ==}, stringData: {b: bb}}`,
			want: map[string]any{"type": "Opaque", "data.a": "YQ==", "data.b": "YmI="}, absent: []string{"stringData"}},
		{name: "namespace", in: `{apiVersion: v1, kind: Namespace, metadata: {name: ns1}}`,
			want: map[string]any{"metadata.labels.kubernetes\\.io/metadata\\.name": "ns1", "spec.finalizers.0": "kubernetes", "status.phase": "Active"}},
		{name: "job", ns: "team", in: `
apiVersion: batch/v1
kind: Job
metadata: {name: j}
spec: {template: {spec: {restartPolicy: Never, containers: [{name: c, image: busybox}]}}}
`, want: map[string]any{"spec.backoffLimit": int64(6), "spec.template.metadata.labels.job-name": "j", "spec.completionMode": "NonIndexed"}},
		{name: "networkpolicy", ns: "team", in: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: np}
spec: {podSelector: {}, egress: [{ports: [{port: 53}]}]}
`, want: map[string]any{"spec.policyTypes.1": "Egress", "spec.egress.0.ports.0.protocol": "TCP"}},
		{name: "custom resource", ns: "team", approximate: true, in: `
apiVersion: example.com/v1
kind: Widget
metadata: {name: w}
spec: {size: 3}
`, want: map[string]any{"spec.size": int64(3), "metadata.namespace": "team", "metadata.generation": int64(1)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := decodeYAML(t, tt.in)
			before, _ := json.Marshal(in)
			out, approx, err := Prepare(in, tt.ns)
			if err != nil {
				t.Fatal(err)
			}
			if after, _ := json.Marshal(in); string(after) != string(before) {
				t.Error("Prepare modified its input")
			}
			if approx != tt.approximate {
				t.Errorf("approximate = %v, want %v", approx, tt.approximate)
			}
			if out.GetUID() == "" {
				t.Error("no uid")
			}
			for path, want := range tt.want {
				got, ok := lookup(out.Object, path)
				if !ok || got != want {
					t.Errorf("%s = %#v (%v), want %#v", path, got, ok, want)
				}
			}
			for _, path := range tt.absent {
				if got, ok := lookup(out.Object, path); ok {
					t.Errorf("%s = %#v, want absent", path, got)
				}
			}
		})
	}
}

func TestPrepareErrors(t *testing.T) {
	for name, in := range map[string]string{
		"no kind":         `{apiVersion: v1, metadata: {name: x}}`,
		"wrong namespace": `{apiVersion: v1, kind: ConfigMap, metadata: {name: x, namespace: other}}`,
		"type mismatch":   `{apiVersion: v1, kind: Pod, metadata: {name: x}, spec: {containers: "nope"}}`,
	} {
		if _, _, err := Prepare(decodeYAML(t, in), "team"); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, _, err := Prepare(map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "x": struct{}{}}, ""); err == nil {
		t.Error("a Go value no manifest has: no error")
	}
	deep := map[string]any{}
	for cur, i := deep, 0; i < maxPrepareDepth+2; i++ {
		next := map[string]any{}
		cur["a"] = next
		cur = next
	}
	deep["apiVersion"], deep["kind"] = "v1", "ConfigMap"
	if _, _, err := Prepare(deep, ""); err == nil || !strings.Contains(err.Error(), "deeply") {
		t.Errorf("deep object: %v", err)
	}
}

// lookup follows a dotted path ("\." escapes a dot) through maps and lists.
func lookup(obj any, path string) (any, bool) {
	path = strings.ReplaceAll(path, `\.`, "\x00")
	cur := obj
	for _, p := range strings.Split(path, ".") {
		p = strings.ReplaceAll(p, "\x00", ".")
		switch c := cur.(type) {
		case map[string]any:
			v, ok := c[p]
			if !ok {
				return nil, false
			}
			cur = v
		case []any:
			i := 0
			for _, r := range p {
				if r < '0' || r > '9' {
					return nil, false
				}
				i = i*10 + int(r-'0')
			}
			if i >= len(c) {
				return nil, false
			}
			cur = c[i]
		default:
			return nil, false
		}
	}
	return cur, true
}

func FuzzPrepare(f *testing.F) {
	for _, s := range []string{
		`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"nginx","resources":{"limits":{"cpu":"1"}}}]}}`,
		`{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},"spec":{"template":{"spec":{"volumes":[{"name":"v"}]}}}}`,
		`{"apiVersion":"v1","kind":"Service","spec":{"ports":[{"port":80,"targetPort":"http"}],"type":"LoadBalancer"}}`,
		`{"apiVersion":"batch/v1","kind":"CronJob","spec":{"jobTemplate":{"spec":{"template":{}}}}}`,
		`{"apiVersion":"example.com/v1","kind":"W","spec":[1,2,{"a":null}]}`,
	} {
		f.Add([]byte(s), "ns")
	}
	f.Fuzz(func(t *testing.T, data []byte, ns string) {
		var m map[string]any
		if json.Unmarshal(data, &m) != nil || m == nil {
			return
		}
		out, _, err := Prepare(m, ns)
		if err != nil {
			return
		}
		if _, err := json.Marshal(out.Object); err != nil {
			t.Fatalf("prepared object does not encode: %v", err)
		}
	})
}

func BenchmarkPrepare(b *testing.B) {
	in := decodeYAML(b, `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: team, labels: {app: web}}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: registry.example.com/web:1.2.3
        ports: [{containerPort: 8080}]
        resources: {requests: {cpu: 100m, memory: 128Mi}, limits: {memory: 256Mi}}
        readinessProbe: {httpGet: {port: 8080}}
      - name: sidecar
        image: registry.example.com/proxy@sha256:0000000000000000000000000000000000000000000000000000000000000000
`)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Prepare(in, "team"); err != nil {
			b.Fatal(err)
		}
	}
}

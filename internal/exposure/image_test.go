package exposure

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
)

// TestImage: an image's exposure lists its workloads in the order given, scores the
// highest of them, and is nil when no workload runs it; a workload the input does
// not define is reachable from the cluster for all Palisade knows, and scores only
// that.
func TestImage(t *testing.T) {
	inv := load(t, filepath.Join("testdata", "cluster.yaml"))
	e := Image(inv, []finding.ObjectRef{worker, cache, web, batch})
	if e.Score != 11 {
		t.Errorf("score %d, want 11 (web's)", e.Score)
	}
	var order []string
	for _, w := range e.Workloads {
		order = append(order, fmt.Sprintf("%s=%d", w.Object.Name, w.Score))
	}
	if got, want := strings.Join(order, " "), "worker=3 cache=4 web=11 batch=0"; got != want {
		t.Errorf("workloads %s, want %s", got, want)
	}
	if e := Image(inv, nil); e != nil {
		t.Errorf("no workloads: %+v", e)
	}
	if e := Image(nil, []finding.ObjectRef{web}); e != nil {
		t.Errorf("no inventory: %+v", e)
	}
	ghost := ref("apps/v1", "Deployment", "shop", "ghost")
	got := Image(inv, []finding.ObjectRef{ghost}).Workloads[0]
	want := finding.WorkloadExposure{Object: ghost, Network: Cluster,
		NetworkWhy: []string{"its pods are not known to the NetworkPolicy analysis (no pod template was read)"}, Score: 2}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("unknown workload: %+v", got)
	}
}

// TestConcurrent: rules call Image from parallel workers; every call sees the same
// exposures (run with -race).
func TestConcurrent(t *testing.T) {
	inv := load(t, filepath.Join("testdata", "cluster.yaml"))
	refs := []finding.ObjectRef{web, api, worker, batch, metrics, cache, prober}
	out := make([]*finding.Exposure, 8)
	var wg sync.WaitGroup
	for i := range out {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = Image(inv, refs[i%len(refs):])
		}()
	}
	wg.Wait()
	for i, e := range out {
		if want := Image(inv, refs[i%len(refs):]); !reflect.DeepEqual(e, want) {
			t.Errorf("call %d: %+v, want %+v", i, e, want)
		}
	}
	if MaxScore != 11 {
		t.Errorf("MaxScore %d, want 11 as documented", MaxScore)
	}
}

// TestIngressBackends reads every backend of every Ingress version once.
func TestIngressBackends(t *testing.T) {
	var body map[string]any
	if err := json.Unmarshal([]byte(`{"spec": {"defaultBackend": {"service": {"name": "d"}}, "backend": {"serviceName": "old"},
		"rules": [{"http": {"paths": [{"backend": {"service": {"name": "a"}}}, {"backend": {"serviceName": "b"}}, {"backend": {"resource": {"kind": "Bucket"}}}]}},
			{"http": {"paths": [{"backend": {"service": {"name": "a"}}}]}}, {"host": "x"}]}}`), &body); err != nil {
		t.Fatal(err)
	}
	if got, want := ingressBackends(body), []string{"d", "old", "a", "b"}; !reflect.DeepEqual(got, want) {
		t.Errorf("backends %v, want %v", got, want)
	}
}

// FuzzIngressBackends: any decoded body reads without a panic.
func FuzzIngressBackends(f *testing.F) {
	f.Add(`{"spec": {"rules": [{"http": {"paths": [{"backend": {"service": {"name": "a"}}}]}}]}}`)
	f.Add(`{"spec": {"rules": [null, 1, {"http": []}], "defaultBackend": "x", "backend": {"service": 1}}}`)
	f.Fuzz(func(t *testing.T, s string) {
		var body map[string]any
		if json.Unmarshal([]byte(s), &body) == nil {
			ingressBackends(body)
		}
	})
}

// largeInput writes namespaces of workloads, each with a Service (every tenth a
// LoadBalancer), an Ingress per namespace, a policy per namespace allowing its own
// pods, a service account per workload (every fifth bound to a ClusterRole that reads
// secrets) and host access on every seventh.
func largeInput(tb testing.TB, namespaces, perNamespace int) (string, []finding.ObjectRef) {
	var b strings.Builder
	var refs []finding.ObjectRef
	b.WriteString("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: secrets}\nrules: [{apiGroups: [\"\"], resources: [secrets], verbs: [get]}]\n")
	for n := 0; n < namespaces; n++ {
		ns := fmt.Sprintf("ns%d", n)
		fmt.Fprintf(&b, "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: %s, labels: {tier: t%d}}\n", ns, n%3)
		fmt.Fprintf(&b, "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: own, namespace: %s}\nspec: {podSelector: {}, ingress: [{from: [{podSelector: {}}]}]}\n", ns)
		fmt.Fprintf(&b, "---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: public, namespace: %s}\nspec: {defaultBackend: {service: {name: w0, port: {number: 80}}}}\n", ns)
		for i := 0; i < perNamespace; i++ {
			name := fmt.Sprintf("w%d", i)
			host := ""
			if (n*perNamespace+i)%7 == 0 {
				host = "hostPID: true\n      "
			}
			fmt.Fprintf(&b, "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: %s, namespace: %s}\nspec:\n  selector: {matchLabels: {app: %s}}\n  template:\n    metadata: {labels: {app: %s}}\n    spec:\n      %sserviceAccountName: %s\n      containers: [{name: app, image: registry.example.com/%s:1}]\n", name, ns, name, name, host, name, name)
			typ := "ClusterIP"
			if i%10 == 0 {
				typ = "LoadBalancer"
			}
			fmt.Fprintf(&b, "---\napiVersion: v1\nkind: Service\nmetadata: {name: %s, namespace: %s}\nspec: {type: %s, selector: {app: %s}, ports: [{port: 80}]}\n", name, ns, typ, name)
			fmt.Fprintf(&b, "---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: %s, namespace: %s}\n", name, ns)
			if i%5 == 0 {
				fmt.Fprintf(&b, "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: %s, namespace: %s}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: secrets}\nsubjects: [{kind: ServiceAccount, name: %s}]\n", name, ns, name)
			}
			refs = append(refs, ref("apps/v1", "Deployment", ns, name))
		}
	}
	path := filepath.Join(tb.TempDir(), "large.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		tb.Fatal(err)
	}
	return path, refs
}

// TestLargeInput checks the synthetic input the benchmark reads.
func TestLargeInput(t *testing.T) {
	path, refs := largeInput(t, 3, 10)
	inv := load(t, path)
	e := Image(inv, refs)
	counts := map[int]int{}
	for _, w := range e.Workloads {
		counts[w.Score]++
	}
	// w0 (LoadBalancer and Ingress, secrets in its namespace): 4+2; every tenth is
	// w0. w5: namespace 1 + secrets 2. Others: 1. hostPID (every seventh) adds 3.
	if e.Score != 4+2+3 || counts[1] == 0 || counts[3] == 0 || counts[6] == 0 {
		t.Errorf("score %d, counts %v", e.Score, counts)
	}
}

// BenchmarkImage: the exposure of every workload of a large inventory (5,000
// workloads in 250 namespaces, with Services, Ingresses, policies and RBAC), from a
// fresh index each time.
func BenchmarkImage(b *testing.B) {
	path, refs := largeInput(b, 250, 20)
	inv := load(b, path)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		fresh := &inventory.Inventory{Objects: inv.Objects}
		if e := Image(fresh, refs); e == nil || len(e.Workloads) != len(refs) {
			b.Fatal("no exposure")
		}
	}
}

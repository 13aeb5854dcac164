package exposure

import (
	"context"
	"encoding/json"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/source"
)

// load reads manifests as a scan does for a rule that needs the index: its kinds
// decoded and the pod facts recorded.
func load(t testing.TB, paths ...string) *inventory.Inventory {
	t.Helper()
	res, err := (&source.Files{Paths: paths}).Read(context.Background(), source.Needs{Kinds: index.Kinds(), PodFacts: true})
	if err != nil {
		t.Fatal(err)
	}
	if errs := res.AllErrors(); len(errs) > 0 {
		t.Fatalf("input errors: %v", errs)
	}
	return res.Inventory
}

func ref(apiVersion, kind, ns, name string) finding.ObjectRef {
	return finding.ObjectRef{APIVersion: apiVersion, Kind: kind, Namespace: ns, Name: name}
}

var (
	web     = ref("apps/v1", "Deployment", "shop", "web")
	api     = ref("apps/v1", "Deployment", "shop", "api")
	worker  = ref("apps/v1", "Deployment", "shop", "worker")
	batch   = ref("batch/v1", "CronJob", "shop", "batch")
	metrics = ref("apps/v1", "DaemonSet", "shop", "metrics")
	cache   = ref("apps/v1", "StatefulSet", "other", "cache")
	prober  = ref("v1", "Pod", "other", "probe")
)

// TestWorkloads checks every term of the formula, with its reasons, on a cluster of
// Services, an Ingress, NetworkPolicies, RBAC objects and privileged pods.
func TestWorkloads(t *testing.T) {
	inv := load(t, filepath.Join("testdata", "cluster.yaml"))
	want := []finding.WorkloadExposure{
		{Object: web, Network: Internet, NetworkWhy: []string{"LoadBalancer Service shop/web (source ranges 203.0.113.0/24)"},
			ServiceAccount: "shop/web", Identity: []string{"cluster-admin equivalent"},
			Host: []string{"privileged container app"}, Score: 11},
		{Object: api, Network: Internet, NetworkWhy: []string{"Ingress shop/public (Service shop/api)"},
			ServiceAccount: "shop/api", Identity: []string{"can read secrets in namespace shop"}, Score: 6},
		{Object: worker, Network: Namespace, NetworkWhy: []string{"NetworkPolicy shop/worker ingress rule 0 allows pods of namespace shop"},
			Host: []string{"hostPath /srv/data"}, Score: 3},
		{Object: batch, Network: None, NetworkWhy: []string{"NetworkPolicy shop/batch-deny isolates its pods for ingress and allows nothing"},
			ServiceAccount: "shop/default", Score: 0},
		{Object: metrics, Network: Cluster, NetworkWhy: []string{"NetworkPolicy shop/metrics ingress rule 0 allows pods of namespace ops"},
			ServiceAccount: "shop/default",
			Host:           []string{"capability SYS_PTRACE added to container agent", "hostPath /var/log (read-only)"}, Score: 5},
		{Object: cache, Network: Cluster, NetworkWhy: []string{"no NetworkPolicy selects its pods for ingress"},
			ServiceAccount: "other/default", Host: []string{"hostIPC"}, Score: 4},
		{Object: prober, Network: Internet, NetworkWhy: []string{"host port 9100/TCP (container probe)"},
			ServiceAccount: "other/prober", Identity: []string{"can exec into pods cluster-wide"}, Score: 7},
	}
	for _, w := range want {
		e := Image(inv, []finding.ObjectRef{w.Object})
		if e == nil || len(e.Workloads) != 1 {
			t.Fatalf("%s: got %+v", w.Object, e)
		}
		if got := e.Workloads[0]; !reflect.DeepEqual(got, w) {
			g, _ := json.Marshal(got)
			x, _ := json.Marshal(w)
			t.Errorf("%s:\n got %s\nwant %s", w.Object, g, x)
		}
		if e.Score != w.Score {
			t.Errorf("%s: image score %d, want %d", w.Object, e.Score, w.Score)
		}
	}
}

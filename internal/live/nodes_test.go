package live

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"

	"github.com/palisade-k8s/palisade/internal/kubetest"
)

// fakeNodesServer stands in for an API server that lists nodes (two pages) and
// proxies to their kubelets' /configz; each node's name says how its kubelet
// answers. The real API server cannot proxy to a loopback kubelet (it refuses
// node addresses on loopback), so the success path is tested against this fake.
func fakeNodesServer(t *testing.T, configz []byte, nodes ...string) (*httptest.Server, *int) {
	t.Helper()
	var mu sync.Mutex
	inFlight, maxInFlight := 0, 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/api/v1/nodes" {
			page := nodes[:1]
			cont := "page2"
			if r.URL.Query().Get("continue") == "page2" {
				page, cont = nodes[1:], ""
			}
			var items []string
			for _, n := range page {
				items = append(items, fmt.Sprintf(`{"metadata":{"name":%q,"labels":{"kubernetes.io/hostname":%q,"eks.amazonaws.com/nodegroup":"ng-1"}},"status":{"nodeInfo":{"osImage":"Amazon Linux 2023.5.20240624","kernelVersion":"6.1.94-99.176.amzn2023.x86_64","kubeletVersion":"v1.30.0-eks-036c24b"}}}`, n, n))
			}
			fmt.Fprintf(w, `{"kind":"NodeList","apiVersion":"v1","metadata":{"continue":%q},"items":[%s]}`, cont, strings.Join(items, ","))
			return
		}
		name, ok := strings.CutPrefix(r.URL.Path, "/api/v1/nodes/")
		name, ok2 := strings.CutSuffix(name, "/proxy/configz")
		if !ok || !ok2 || r.Method != http.MethodGet {
			t.Errorf("unexpected request %s %s", r.Method, r.URL)
			w.WriteHeader(http.StatusNotFound)
			return
		}
		mu.Lock()
		inFlight++
		maxInFlight = max(maxInFlight, inFlight)
		mu.Unlock()
		defer func() { mu.Lock(); inFlight--; mu.Unlock() }()
		switch {
		case strings.HasPrefix(name, "good"):
			_, _ = w.Write(configz)
		case strings.HasPrefix(name, "forbidden"):
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprintf(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Forbidden","code":403,"message":"nodes \"%s\" is forbidden: User \"scanner\" cannot get resource \"nodes/proxy\" in API group \"\" at the cluster scope"}`, name)
		case strings.HasPrefix(name, "hang"):
			select {
			case <-r.Context().Done():
			case <-time.After(time.Minute): // only if the client's timeout failed
			}
		case strings.HasPrefix(name, "down"):
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"ServiceUnavailable","code":503,"message":"error trying to reach service: dial tcp 10.0.0.9:10250: connect: connection refused"}`))
		case strings.HasPrefix(name, "huge"):
			_, _ = w.Write([]byte(`{"kubeletconfig":{"x":"` + strings.Repeat("a", 16<<10) + `"}}`))
		case strings.HasPrefix(name, "notconfig"):
			_, _ = w.Write([]byte(`{"componentconfig":{}}`))
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &maxInFlight
}

func readConfigz(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile("testdata/configz-anonymous.json")
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// Each node is read or is a gap naming it and why; no node fails the read; at
// most Concurrency requests are in flight.
func TestReadNodes(t *testing.T) {
	configz := readConfigz(t)
	nodes := []string{"good-1", "forbidden-1", "hang-1", "down-1", "huge-1", "notconfig-1", "good-2", "good-3", "../../secrets"}
	srv, maxInFlight := fakeNodesServer(t, configz, nodes...)
	res, err := ReadNodes(context.Background(), &rest.Config{Host: srv.URL}, NodeOptions{
		Timeout: 300 * time.Millisecond, Concurrency: 2, MaxBytes: 8 << 10,
	})
	if err != nil {
		t.Fatal(err)
	}
	var read []string
	for _, n := range res.Nodes {
		read = append(read, n.Name)
		if n.KubeletVersion != "v1.30.0-eks-036c24b" || n.OSImage == "" || n.KernelVersion == "" || n.Labels["eks.amazonaws.com/nodegroup"] != "ng-1" {
			t.Errorf("%s: node info %+v", n.Name, n)
		}
		var kc map[string]any
		if err := json.Unmarshal(n.Configz, &kc); err != nil {
			t.Fatalf("%s: configz %v", n.Name, err)
		}
		if auth, _ := kc["authentication"].(map[string]any); auth == nil || kc["kubeletconfig"] != nil {
			t.Errorf("%s: configz is not the KubeletConfiguration inside the answer: %s", n.Name, n.Configz)
		}
	}
	if fmt.Sprint(read) != "[good-1 good-2 good-3]" {
		t.Errorf("read %v, want the three good nodes", read)
	}
	want := map[string]string{
		"forbidden-1": "get nodes/proxy",
		"hang-1":      "timed out",
		"down-1":      "connection refused",
		"huge-1":      "larger than 8192 bytes",
		"notconfig-1": `no "kubeletconfig"`,
		// A name that would change the request's path is not requested.
		"../../secrets": "not a valid node name",
	}
	for _, g := range res.Coverage {
		if g.Kind != "Node" || g.APIVersion != "v1" {
			t.Errorf("gap %+v: want kind Node", g)
		}
		w, ok := want[g.Name]
		if !ok {
			t.Errorf("unexpected gap %+v", g)
			continue
		}
		if !strings.Contains(g.Reason, w) {
			t.Errorf("%s: reason %q, want it to say %q", g.Name, g.Reason, w)
		}
		delete(want, g.Name)
	}
	if len(want) != 0 {
		t.Errorf("no gap for %v", want)
	}
	if *maxInFlight > 2 {
		t.Errorf("%d /configz requests in flight, want at most 2", *maxInFlight)
	}
}

// The total bound turns the nodes not read in time into gaps, not a failure.
func TestReadNodesTotalBound(t *testing.T) {
	srv, _ := fakeNodesServer(t, readConfigz(t), "hang-1", "hang-2", "hang-3")
	res, err := ReadNodes(context.Background(), &rest.Config{Host: srv.URL}, NodeOptions{
		Timeout: time.Hour, Total: 200 * time.Millisecond, Concurrency: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Nodes) != 0 || len(res.Coverage) != 3 {
		t.Fatalf("nodes %d, gaps %+v; want three gaps", len(res.Nodes), res.Coverage)
	}
}

// A read whose context ends stops with an *InterruptedError.
func TestReadNodesCanceled(t *testing.T) {
	srv, _ := fakeNodesServer(t, readConfigz(t), "hang-1", "hang-2")
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	_, err := ReadNodes(ctx, &rest.Config{Host: srv.URL}, NodeOptions{Timeout: time.Hour})
	if _, ok := err.(*InterruptedError); !ok {
		t.Fatalf("err %v, want an *InterruptedError", err)
	}
}

// Against the real API server: an identity that may list nodes but lacks
// nodes/proxy gets a gap per node naming the node and the permission. (The real
// API server cannot proxy to a loopback kubelet, so the success path is tested
// with fakeNodesServer.)
func TestReadNodesForbiddenProxy(t *testing.T) {
	c := kubetest.Shared(t)
	ctx := context.Background()
	cs := c.Client()
	names := []string{"palisade-nodes-test-a", "palisade-nodes-test-b"}
	for _, n := range names {
		if _, err := cs.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: n}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cs.CoreV1().Nodes().Delete(context.Background(), n, metav1.DeleteOptions{}) })
	}
	role := "palisade-test-node-lister"
	if _, err := cs.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: role},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"nodes"}, Verbs: []string{"get", "list"}}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: role},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: role},
		Subjects:   []rbacv1.Subject{{Kind: "User", APIGroup: "rbac.authorization.k8s.io", Name: "node-lister"}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	cfg, err := c.UserConfig("node-lister")
	if err != nil {
		t.Fatal(err)
	}
	res, err := ReadNodes(ctx, cfg, NodeOptions{Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	gaps := map[string]string{}
	for _, g := range res.Coverage {
		gaps[g.Name] = g.Reason
	}
	for _, n := range names {
		if r, ok := gaps[n]; !ok || !strings.Contains(r, "forbidden") || !strings.Contains(r, NodePermission) {
			t.Errorf("%s: gap %q, want forbidden naming %s (gaps %+v)", n, r, NodePermission, res.Coverage)
		}
	}
	if len(res.Nodes) != 0 {
		t.Errorf("read %d nodes without nodes/proxy", len(res.Nodes))
	}

	// Without list on nodes, one gap says so.
	cfg, err = c.UserConfig("nobody-nodes")
	if err != nil {
		t.Fatal(err)
	}
	if res, err = ReadNodes(ctx, cfg, NodeOptions{}); err != nil {
		t.Fatal(err)
	}
	if len(res.Coverage) != 1 || res.Coverage[0].Name != "" || !strings.Contains(res.Coverage[0].Reason, "list nodes") {
		t.Errorf("gaps %+v, want one saying list nodes is not granted", res.Coverage)
	}
}

// FuzzKubeletConfig: the /configz answer parser never panics, and what it
// accepts is a JSON object.
func FuzzKubeletConfig(f *testing.F) {
	f.Add([]byte(`{"kubeletconfig":{"authentication":{"anonymous":{"enabled":true}}}}`))
	f.Add([]byte(`{"kubeletconfig":null}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		kc, err := kubeletConfig(data)
		if err != nil {
			return
		}
		var obj map[string]any
		if err := json.Unmarshal(kc, &obj); err != nil {
			t.Fatalf("accepted %q: %v", kc, err)
		}
	})
}

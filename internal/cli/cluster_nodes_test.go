package cli

// `palisade cluster --nodes`: the kubelet configurations read from /configz through
// the API server. The refusal of nodes/proxy is tested against the real API server;
// the success path against a loopback fake of the API server, because the real one
// cannot proxy to a loopback kubelet (it refuses node addresses on loopback, so a
// test kubelet on 127.0.0.1 is unreachable through /api/v1/nodes/NAME/proxy).

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"

	"github.com/palisade-k8s/palisade/internal/kubetest"
	"github.com/palisade-k8s/palisade/internal/live"
	"github.com/palisade-k8s/palisade/internal/report"
)

// Without nodes/proxy, each node is a coverage gap naming it and the permission,
// the exit code is 3, and the rest of the scan still runs.
func TestClusterNodesWithoutNodesProxy(t *testing.T) {
	c := kubetest.Shared(t)
	ctx := context.Background()
	cs := c.Client()
	ns := c.Namespace(t, nil)
	nodes := []string{"palisade-cli-node-a", "palisade-cli-node-b"}
	for _, n := range nodes {
		if _, err := cs.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: n, Labels: map[string]string{"kubernetes.azure.com/cluster": "MC_rg"}}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cs.CoreV1().Nodes().Delete(context.Background(), n, metav1.DeleteOptions{}) })
	}
	// Everything a scan lists, and the nodes, but not nodes/proxy: the nodes are
	// then the only gaps, and the exit code 3 is theirs.
	role := "palisade-cli-nodes-no-proxy"
	rules := []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"nodes"}, Verbs: []string{"get", "list"}}}
	for _, k := range live.Kinds {
		rules = append(rules, rbacv1.PolicyRule{APIGroups: []string{k.GVR.Group}, Resources: []string{k.GVR.Resource}, Verbs: []string{"get", "list"}})
	}
	if _, err := cs.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: role},
		Rules:      rules,
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: role},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: role},
		Subjects:   []rbacv1.Subject{{Kind: "User", APIGroup: "rbac.authorization.k8s.io", Name: "no-proxy"}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := c.EnsureDefaultServiceAccount(ctx, ns); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "bare"}, Spec: podSpec(true)}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	cfg, err := c.UserConfig("no-proxy")
	if err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCluster(t, "--kubeconfig", writeKubeconfig(t, cfg), "-n", ns, "--nodes", "-o", "json")
	if code != ExitInputErrors {
		t.Fatalf("exit %d, want %d; stderr:\n%s", code, ExitInputErrors, stderr)
	}
	var rep report.Report
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("report: %v\n%s", err, stdout)
	}
	for _, n := range nodes {
		found := false
		for _, g := range rep.Coverage {
			if g.Kind == "Node" && g.Name == n && strings.Contains(g.Reason, "get nodes/proxy") {
				found = true
			}
		}
		if !found {
			t.Errorf("coverage has no gap for node %s naming get nodes/proxy: %+v", n, rep.Coverage)
		}
	}
	builtin := map[string]bool{}
	for _, k := range live.Kinds {
		builtin[k.Kind] = true
	}
	for _, g := range rep.Coverage {
		// (Custom kinds of CRDs other tests create are not granted; the built-in
		// kinds all are.)
		if builtin[g.Kind] {
			t.Errorf("unexpected gap %+v: only the nodes should be unread", g)
		}
	}
	scanned := false
	for _, f := range rep.Findings {
		if f.RuleID == "PAL-001" && f.Object.Name == "bare" {
			scanned = true
		}
	}
	if !scanned {
		t.Errorf("the rest of the scan did not run: %s", stdout)
	}
}

// fakeAPIServer serves an empty list for every kind, one EKS node, and its
// kubelet's /configz (anonymous authentication on).
func fakeAPIServer(t *testing.T) *httptest.Server {
	t.Helper()
	configz, err := os.ReadFile("../live/testdata/configz-anonymous.json")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/api/v1/nodes":
			fmt.Fprint(w, `{"kind":"NodeList","apiVersion":"v1","metadata":{},"items":[{"metadata":{"name":"ip-10-0-1-23.eu-west-1.compute.internal","labels":{"eks.amazonaws.com/nodegroup":"ng-1","node.kubernetes.io/instance-type":"m5.large"}},"status":{"nodeInfo":{"osImage":"Amazon Linux 2023.5.20240624","kernelVersion":"6.1.94-99.176.amzn2023.x86_64","kubeletVersion":"v1.30.0-eks-036c24b"}}}]}`)
		case "/api/v1/nodes/ip-10-0-1-23.eu-west-1.compute.internal/proxy/configz":
			_, _ = w.Write(configz)
		default:
			fmt.Fprint(w, `{"kind":"List","apiVersion":"v1","metadata":{},"items":[]}`)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// A kubelet whose /configz has anonymous authentication on fails PAL-730, named by
// the EKS variant's number, with the node and its profile.
func TestClusterNodesConfigz(t *testing.T) {
	srv := fakeAPIServer(t)
	kc := writeKubeconfig(t, &rest.Config{Host: srv.URL})
	code, stdout, stderr := runCluster(t, "--kubeconfig", kc, "--nodes", "-o", "json")
	if code != ExitFindings && code != ExitInputErrors {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	var rep report.Report
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("report: %v\n%s", err, stdout)
	}
	var got bool
	for _, f := range rep.Findings {
		if f.RuleID != "PAL-730" {
			continue
		}
		got = true
		if f.Object.Kind != "NodeFacts" || f.Object.Name != "ip-10-0-1-23.eu-west-1.compute.internal" {
			t.Errorf("PAL-730 on %+v", f.Object)
		}
		if f.Node == nil || f.Node.Profile != "eks" || f.Node.Value != "true" || f.Node.Origin == nil || f.Node.Origin.Kind != "configz" {
			t.Errorf("PAL-730 evidence %+v", f.Node)
		}
	}
	if !got {
		t.Fatalf("no PAL-730 for a kubelet serving anonymous requests:\n%s", stdout)
	}
	for _, g := range rep.Coverage {
		if g.Kind == "Node" {
			t.Errorf("the node was read, but coverage says %+v", g)
		}
	}

	// --profile names the profile of every node.
	_, stdout, _ = runCluster(t, "--kubeconfig", kc, "--nodes", "--profile", "bottlerocket", "-o", "json")
	if !strings.Contains(stdout, `"profile": "bottlerocket"`) && !strings.Contains(stdout, `"profile":"bottlerocket"`) {
		t.Errorf("--profile bottlerocket is not the findings' profile:\n%s", stdout)
	}
}

func TestClusterProfileFlag(t *testing.T) {
	for _, args := range [][]string{
		{"--nodes", "--profile", "nosuch"},
		{"--profile", "eks"},
	} {
		code, _, stderr := runCluster(t, append([]string{"--kubeconfig", "/nonexistent"}, args...)...)
		if code != ExitUsage || !strings.Contains(stderr, "--profile") {
			t.Errorf("%v: exit %d, stderr %q; want a usage error about --profile", args, code, stderr)
		}
	}
	_, _, stderr := runCluster(t, "--kubeconfig", "/nonexistent", "--nodes", "--profile", "nosuch")
	if !strings.Contains(stderr, "kubeadm, eks") {
		t.Errorf("the error does not list the profiles: %q", stderr)
	}
}

package cli

// palisade netpol against a real kube-apiserver (internal/kubetest): the live cluster
// is the input when no -f is given, and the policy compiler accepts and rejects
// exactly what the API server does.

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/palisade-k8s/palisade/internal/kubetest"
	"github.com/palisade-k8s/palisade/internal/netpol"
)

func runNetpol(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(append([]string{"netpol"}, args...), strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func TestNetpolCluster(t *testing.T) {
	c := kubetest.Shared(t)
	ctx := context.Background()
	cs := c.Client()
	front := c.Namespace(t, map[string]string{"team": "front"})
	shop := c.Namespace(t, nil)
	deploy := func(ns, name string, ports ...corev1.ContainerPort) {
		t.Helper()
		l := map[string]string{"app": name}
		if _, err := cs.AppsV1().Deployments(ns).Create(ctx, &appsv1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: appsv1.DeploymentSpec{Selector: &metav1.LabelSelector{MatchLabels: l}, Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: l},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: name, Image: "registry.example.com/" + name, Ports: ports}}},
			}},
		}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	deploy(front, "web")
	deploy(shop, "api", corev1.ContainerPort{Name: "http", ContainerPort: 8080})
	deploy(shop, "db", corev1.ContainerPort{Name: "postgres", ContainerPort: 5432})
	tcp := corev1.ProtocolTCP
	for _, p := range []*networkingv1.NetworkPolicy{
		{ObjectMeta: metav1.ObjectMeta{Name: "default-deny"}, Spec: networkingv1.NetworkPolicySpec{PolicyTypes: []networkingv1.PolicyType{"Ingress"}}},
		{ObjectMeta: metav1.ObjectMeta{Name: "api"}, Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "api"}},
			Ingress: []networkingv1.NetworkPolicyIngressRule{{
				From:  []networkingv1.NetworkPolicyPeer{{NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"team": "front"}}}},
				Ports: []networkingv1.NetworkPolicyPort{{Port: ref(intstr.FromString("http")), Protocol: &tcp}},
			}},
		}},
		{ObjectMeta: metav1.ObjectMeta{Name: "db"}, Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "db"}},
			Ingress: []networkingv1.NetworkPolicyIngressRule{{
				From:  []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "api"}}}},
				Ports: []networkingv1.NetworkPolicyPort{{Port: ref(intstr.FromString("postgres"))}},
			}},
		}},
	} {
		if _, err := cs.NetworkingV1().NetworkPolicies(shop).Create(ctx, p, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	kc := writeKubeconfig(t, c.Config())

	code, out, stderr := runNetpol(t, "reach", "--kubeconfig", kc, "--from", front+"/deploy/web", "--to", shop+"/deploy/api", "--port", "8080")
	if code != 0 || !strings.Contains(out, "(TCP/8080): ALLOWED") {
		t.Errorf("web -> api:8080: exit %d\n%s%s", code, out, stderr)
	}
	code, out, _ = runNetpol(t, "reach", "--kubeconfig", kc, "--from", front+"/deploy/web", "--to", shop+"/deploy/db", "--port", "5432")
	if code != ExitFindings || !strings.Contains(out, "DENIED") {
		t.Errorf("web -> db:5432: exit %d\n%s", code, out)
	}
	code, out, _ = runNetpol(t, "reach", "--kubeconfig", kc, "--from", shop+"/deploy/api", "--to", shop+"/deploy/db", "--port", "5432")
	if code != 0 {
		t.Errorf("api -> db:5432: exit %d\n%s", code, out)
	}
	code, out, stderr = runNetpol(t, "isolation", "--kubeconfig", kc, "-n", shop, "-o", "json")
	var iso struct {
		Workloads []struct {
			Workload string
			Ingress  struct{ Policies []string }
		}
	}
	if err := json.Unmarshal([]byte(out), &iso); err != nil || code != 0 || len(iso.Workloads) != 2 ||
		strings.Join(iso.Workloads[1].Ingress.Policies, ",") != "db,default-deny" { // the API lists by name
		t.Errorf("isolation: exit %d, %v, %+v\n%s", code, err, iso, stderr)
	}
	code, out, stderr = runNetpol(t, "matrix", "--kubeconfig", kc, "-n", shop, "-o", "csv")
	if want := shop + "/Deployment/api," + shop + "/Deployment/db,TCP/5432,"; code != 0 || !strings.Contains(out, want+"\n") {
		t.Errorf("matrix: exit %d, want a line %q\n%s%s", code, want, out, stderr)
	}
	code, out, stderr = runNetpol(t, "lint", "--kubeconfig", kc, "--fail-on", "none", "-o", "json")
	var rep jsonReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != 0 {
		t.Fatalf("lint: exit %d, %v\n%s", code, err, stderr)
	}
	found := false
	for _, f := range rep.Findings {
		if !netpol.IsLintRule(f.RuleID) {
			t.Errorf("lint ran %s", f.RuleID)
		}
		found = found || f.RuleID == "PAL-421"
	}
	if !found {
		t.Error("lint on the cluster found no unselected workload (PAL-421)")
	}
}

// The compiler must accept and reject exactly what the API server does: each spec is
// sent to the server (dry run) and compiled.
func TestNetpolCompilerAgreesWithAPIServer(t *testing.T) {
	c := kubetest.Shared(t)
	ns := c.Namespace(t, nil)
	specs := []string{
		`{"podSelector": {}}`,
		`{"podSelector": {}, "egress": []}`,
		`{"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}`,
		`{"podSelector": {}, "policyTypes": ["Ingres"]}`,
		`{"podSelector": {}, "policyTypes": ["Ingress", "Egress", "Ingress"]}`,
		`{"podSelector": {"matchExpressions": [{"key": "app", "operator": "Like", "values": ["x"]}]}}`,
		`{"podSelector": {"matchExpressions": [{"key": "app", "operator": "In"}]}}`,
		`{"podSelector": {"matchExpressions": [{"key": "app", "operator": "Exists", "values": ["x"]}]}}`,
		`{"podSelector": {"matchLabels": {"app": "no spaces"}}}`,
		`{"podSelector": {"matchLabels": {"-bad": "x"}}}`,
		`{"podSelector": {}, "ingress": [{"from": [{}]}]}`,
		`{"podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/8"}, "podSelector": {}}]}]}`,
		`{"podSelector": {}, "ingress": [{"from": [{"namespaceSelector": {}, "podSelector": {}}]}]}`,
		`{"podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0/8"}}]}]}`,
		`{"podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": ""}}]}]}`,
		`{"podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.1/8"}}]}]}`,
		`{"podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "010.0.0.0/8"}}]}]}`,
		`{"podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.1/16"]}}]}]}`,
		`{"podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "::ffff:10.0.0.0/104"}}]}]}`,
		`{"podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "2001:DB8::/32"}}]}]}`,
		`{"podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/08"}}]}]}`,
		`{"podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}}]}]}`,
		`{"podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.0.0.0/8"]}}]}]}`,
		`{"podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["192.168.0.0/16"]}}]}]}`,
		`{"podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "2001:db8::/32", "except": ["2001:db8::/64"]}}]}]}`,
		`{"podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["2001:db8::/64"]}}]}]}`,
		`{"podSelector": {}, "ingress": [{"ports": [{"port": 80, "protocol": "tcp"}]}]}`,
		`{"podSelector": {}, "ingress": [{"ports": [{"port": 80, "protocol": "ICMP"}]}]}`,
		`{"podSelector": {}, "ingress": [{"ports": [{"port": 0}]}]}`,
		`{"podSelector": {}, "ingress": [{"ports": [{"port": 65536}]}]}`,
		`{"podSelector": {}, "ingress": [{"ports": [{"port": 80, "endPort": 79}]}]}`,
		`{"podSelector": {}, "ingress": [{"ports": [{"port": 80, "endPort": 90, "protocol": "SCTP"}]}]}`,
		`{"podSelector": {}, "ingress": [{"ports": [{"endPort": 90}]}]}`,
		`{"podSelector": {}, "ingress": [{"ports": [{"port": "http", "endPort": 90}]}]}`,
		`{"podSelector": {}, "ingress": [{"ports": [{"port": "80"}]}]}`,
		`{"podSelector": {}, "ingress": [{"ports": [{"port": "a-very-long-port-name"}]}]}`,
		`{"podSelector": {}, "ingress": [{"ports": [{"port": "Http"}]}]}`,
		`{"podSelector": {}, "ingress": [{"ports": [{"protocol": "UDP"}]}]}`,
	}
	for _, spec := range specs {
		var np networkingv1.NetworkPolicy
		if err := json.Unmarshal([]byte(`{"metadata": {"name": "p"}, "spec": `+spec+`}`), &np); err != nil {
			t.Fatalf("%s: %v", spec, err)
		}
		_, serverErr := c.Client().NetworkingV1().NetworkPolicies(ns).Create(context.Background(), &np, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		_, errs := netpol.CompileSpec(ns, "p", &np.Spec)
		if (serverErr == nil) != (len(errs) == 0) {
			t.Errorf("%s:\n  API server: %v\n  compiler:   %v", spec, serverErr, errs)
		}
	}
}

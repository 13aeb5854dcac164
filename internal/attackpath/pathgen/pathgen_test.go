package pathgen

import (
	"context"
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/source"
)

// TestDeterministic: a Spec always writes the same manifests; another seed others.
func TestDeterministic(t *testing.T) {
	a, b, c := Small(1).YAML(), Small(1).YAML(), Small(2).YAML()
	if a != b {
		t.Error("the same spec wrote different manifests")
	}
	if a == c {
		t.Error("two seeds wrote the same manifests")
	}
}

// TestLoads: the manifests read without input errors, with the objects the spec
// asks for, and the clusters of the proof's seeds have every way of exposing and
// reaching pods the proof needs.
func TestLoads(t *testing.T) {
	var all strings.Builder
	for seed := uint64(1); seed <= 4; seed++ {
		all.WriteString(load(t, Small(seed)))
	}
	text := all.String()
	for _, want := range []string{"type: NodePort", "type: LoadBalancer", "externalIPs:", "kind: Ingress", "hostPort:", "hostNetwork: true", "hostPID: true",
		"privileged: true", "SYS_ADMIN", "/var/run/docker.sock", "kubernetes.io/service-account-token", "automountServiceAccountToken: false",
		"pod-security.kubernetes.io/enforce: restricted", "pod-security.kubernetes.io/enforce: privileged", "ipBlock: {cidr: 0.0.0.0/0",
		"system:serviceaccounts:", "kind: Group", "kind: User", "resources: [nodes/proxy]", "verbs: [impersonate]", "signers"} {
		if !strings.Contains(text, want) {
			t.Errorf("no %q in the generated clusters", want)
		}
	}
}

// load reads a generated cluster and checks its object counts; it returns the
// manifests.
func load(t *testing.T, s Spec) string {
	t.Helper()
	text := s.YAML()
	res, err := (&source.Files{Paths: []string{"-"}, Stdin: strings.NewReader(text)}).Read(context.Background(), source.Needs{PodFacts: true,
		Decode: func(string, string) bool { return true }})
	if err != nil {
		t.Fatal(err)
	}
	if errs := res.AllErrors(); len(errs) > 0 {
		t.Fatalf("input errors: %v", errs)
	}
	count := map[string]int{}
	for _, o := range res.Inventory.Objects {
		count[o.Ref.Kind]++
	}
	if got := count["Deployment"] + count["DaemonSet"]; got != s.Pods {
		t.Errorf("%d workloads, want %d", got, s.Pods)
	}
	if count["NetworkPolicy"] != s.Policies || count["Role"]+count["ClusterRole"] != s.Roles || count["Namespace"] != s.Namespaces {
		t.Errorf("counts %v for %s", count, s)
	}
	if b := count["RoleBinding"] + count["ClusterRoleBinding"]; b < s.Bindings*9/10 || b > s.Bindings {
		t.Errorf("%d bindings for %d", b, s.Bindings)
	}
	return text
}

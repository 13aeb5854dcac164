package load

import (
	"reflect"
	"strconv"
	"strings"
	"testing"

	"k8s.io/client-go/discovery"

	"github.com/palisade-k8s/palisade/internal/kubetest"
)

// TestClusterScopedNamespaceDropped: the API server clears metadata.namespace on
// cluster-scoped objects, so a ClusterRoleBinding that names one is not reported as
// ClusterRoleBinding/namespace-dev/...; kinds are matched with their API group, and a
// CustomResourceDefinition of the input makes its kind cluster-scoped the same way.
func TestClusterScopedNamespaceDropped(t *testing.T) {
	in := `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: admins
  namespace: namespace-dev
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: admin}
---
apiVersion: v1
kind: Namespace
metadata:
  name: team-a
  namespace: team-b
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: fast
  namespace: team-a
---
apiVersion: example.com/v1
kind: Node
metadata:
  name: not-the-core-node
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Cluster
  names: {kind: Widget, plural: widgets}
---
apiVersion: example.com/v1
kind: Widget
metadata:
  name: w
  namespace: team-a
---
apiVersion: other.example.org/v1
kind: Widget
metadata:
  name: namespaced-widget
  namespace: team-a
`
	res := mustLoad(t, []string{"-"}, Options{Stdin: strings.NewReader(in)})
	noErrors(t, res)
	var refs []string
	for _, o := range res.Inventory.Objects {
		refs = append(refs, o.Ref.String())
		if o.Ref.Namespace != "" {
			continue
		}
		if md, _ := o.Body["metadata"].(map[string]any); md["namespace"] != nil {
			t.Errorf("%s: body keeps metadata.namespace %v", o.Ref, md["namespace"])
		}
		if _, ok := o.Lines.Line("metadata.namespace"); ok || o.HeaderLines.Namespace != 0 {
			t.Errorf("%s: keeps the line of metadata.namespace", o.Ref)
		}
	}
	want := []string{
		"ClusterRoleBinding/admins",
		"Namespace/team-a",
		"StorageClass/fast",
		"Node/default/not-the-core-node",
		"CustomResourceDefinition/widgets.example.com",
		"Widget/w",
		"Widget/team-a/namespaced-widget",
	}
	if !reflect.DeepEqual(refs, want) {
		t.Errorf("objects:\n got  %q\n want %q", refs, want)
	}
}

// TestClusterScopedKinds compares the table of built-in cluster-scoped kinds with the
// discovery of a real kube-apiserver running every API version: every kind served
// without a namespace must be in the table, and no kind served in namespaces may be.
func TestClusterScopedKinds(t *testing.T) {
	c := kubetest.Own(t, kubetest.Options{APIServerArgs: []string{
		"--runtime-config=api/all=true", "--feature-gates=AllAlpha=true,AllBeta=true",
	}})
	dc, err := discovery.NewDiscoveryClientForConfig(c.Config())
	if err != nil {
		t.Fatal(err)
	}
	_, lists, err := dc.ServerGroupsAndResources()
	if err != nil {
		t.Fatal(err)
	}
	served := map[groupKind]bool{}
	for _, l := range lists {
		group := apiGroup(l.GroupVersion)
		for _, r := range l.APIResources {
			if strings.Contains(r.Name, "/") {
				continue // subresources
			}
			gk := groupKind{group, r.Kind}
			served[gk] = true
			switch {
			case !r.Namespaced && !clusterScoped[gk]:
				t.Errorf("%s/%s (%s) is cluster-scoped but not in the table", l.GroupVersion, r.Kind, r.Name)
			case r.Namespaced && clusterScoped[gk]:
				t.Errorf("%s/%s (%s) is namespaced but in the table", l.GroupVersion, r.Kind, r.Name)
			}
		}
	}
	// Kinds of removed APIs, and the old encryption configuration file.
	removed := map[groupKind]bool{
		{"", "EncryptionConfig"}: true, {"policy", "PodSecurityPolicy"}: true,
		{"extensions", "PodSecurityPolicy"}: true, {"resource.k8s.io", "ResourceClass"}: true,
	}
	for gk := range clusterScoped {
		if !served[gk] && !removed[gk] {
			t.Errorf("%s in group %q is in the table but not served", gk.kind, gk.group)
		}
	}
}

// TestNamespaceKnown: an object's namespace is known when its manifest names it or the
// --namespace option gives it; without either it is only "default" by default.
func TestNamespaceKnown(t *testing.T) {
	in := `apiVersion: v1
kind: ConfigMap
metadata: {name: written, namespace: team-a}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: unnamed}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: cluster}
`
	for _, tc := range []struct {
		option string
		want   []string
	}{
		{"", []string{"ConfigMap/team-a/written true", "ConfigMap/default/unnamed false", "ClusterRole/cluster false"}},
		{"shop", []string{"ConfigMap/team-a/written true", "ConfigMap/shop/unnamed true", "ClusterRole/cluster false"}},
	} {
		res := mustLoad(t, []string{"-"}, Options{Stdin: strings.NewReader(in), Namespace: tc.option})
		noErrors(t, res)
		var g []string
		for _, o := range res.Inventory.Objects {
			g = append(g, o.Ref.String()+" "+strconv.FormatBool(o.NamespaceKnown()))
		}
		if !reflect.DeepEqual(g, tc.want) {
			t.Errorf("--namespace %q:\n got  %q\n want %q", tc.option, g, tc.want)
		}
	}
}

// TestNodeFactsClusterScoped: a node's facts file (palisade.dev/v1 NodeFacts) is
// about a node, which has no namespace: it gets none by default and loses one it
// names, while a NodeFacts kind of another group stays namespaced.
func TestNodeFactsClusterScoped(t *testing.T) {
	in := `apiVersion: palisade.dev/v1
kind: NodeFacts
metadata:
  name: worker-1
schemaVersion: 1
source: host
components: []
files: []
---
apiVersion: palisade.dev/v1
kind: NodeFacts
metadata:
  name: worker-2
  namespace: team-a
schemaVersion: 1
source: host
components: []
files: []
---
apiVersion: example.com/v1
kind: NodeFacts
metadata:
  name: other
`
	res := mustLoad(t, []string{"-"}, Options{Stdin: strings.NewReader(in)})
	noErrors(t, res)
	var refs []string
	for _, o := range res.Inventory.Objects {
		refs = append(refs, o.Ref.String())
	}
	want := []string{"NodeFacts/worker-1", "NodeFacts/worker-2", "NodeFacts/default/other"}
	if !reflect.DeepEqual(refs, want) {
		t.Errorf("objects:\n got  %q\n want %q", refs, want)
	}
}

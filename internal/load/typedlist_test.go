package load

import (
	"reflect"
	"strings"
	"testing"
)

// TestTypedListItemsWithoutKind: the API server returns typed lists (PodList,
// NamespaceList) whose items name no apiVersion or kind; kubectl's decoder gives such
// an item the list's apiVersion and the list's kind without "List". An item that
// names only one of the two, or an item of a plain List, is not filled in (kubectl
// rejects it too).
func TestTypedListItemsWithoutKind(t *testing.T) {
	t.Run("PodList from the API", func(t *testing.T) {
		res := mustLoad(t, []string{"testdata/podlist.json"}, Options{})
		noErrors(t, res)
		want := []got{{Kind: "Pod", Name: "web-0", Namespace: "shop", File: "testdata/podlist.json", Line: 8}}
		if g := summarize(res.Inventory.Objects); !reflect.DeepEqual(g, want) {
			t.Fatalf("objects:\n got  %+v\n want %+v", g, want)
		}
		o := res.Inventory.Objects[0]
		if o.Ref.APIVersion != "v1" || o.Body["apiVersion"] != "v1" || o.Body["kind"] != "Pod" {
			t.Errorf("ref %+v, body apiVersion %v kind %v; want v1 Pod", o.Ref, o.Body["apiVersion"], o.Body["kind"])
		}
		if v := field(o.Body, "spec", "containers", 0, "securityContext", "privileged"); v != true {
			t.Errorf("privileged = %v, want true", v)
		}
		if l, _ := o.Lines.Line("spec.containers[0].securityContext.privileged"); l != 20 {
			t.Errorf("line of privileged = %d, want 20", l)
		}
	})

	in := `apiVersion: v1
kind: NamespaceList
items:
- metadata:
    name: team-a
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleList
items:
- metadata:
    name: reader
    namespace: team-a
  rules: []
- kind: Role
  metadata:
    name: only-kind
---
apiVersion: v1
kind: List
items:
- metadata:
    name: kindless-in-plain-list
- apiVersion: v1
  kind: PodList
  items:
  - metadata:
      name: nested
`
	res := mustLoad(t, []string{"-"}, Options{Stdin: strings.NewReader(in)})
	var objs []string
	for _, o := range res.Inventory.Objects {
		objs = append(objs, o.Ref.APIVersion+" "+o.Ref.String())
	}
	wantObjs := []string{
		"v1 Namespace/team-a",
		"rbac.authorization.k8s.io/v1 Role/team-a/reader",
		"v1 Pod/default/nested",
	}
	if !reflect.DeepEqual(objs, wantObjs) {
		t.Errorf("objects:\n got  %q\n want %q", objs, wantObjs)
	}
	var errs []string
	for _, e := range res.Errors {
		errs = append(errs, e.Location.String()+": "+e.Message)
	}
	wantErrs := []string{
		"<stdin>:14: not a Kubernetes object: missing apiVersion",
		"<stdin>:21: not a Kubernetes object: missing apiVersion and kind (items of a List name their own kind; only a typed list such as PodList gives its items one)",
	}
	if !reflect.DeepEqual(errs, wantErrs) {
		t.Errorf("errors:\n got  %q\n want %q", errs, wantErrs)
	}
}

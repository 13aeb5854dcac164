package bootstrap

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"

	"github.com/palisade-k8s/palisade/internal/kubetest"
)

func TestMain(m *testing.M) { kubetest.Main(m) }

// RegenerateEnv makes TestGenerate rewrite data/VERSION.yaml from the API server.
const RegenerateEnv = "PALISADE_REGENERATE_BOOTSTRAP"

// TestGenerate writes the bootstrap policy the test API server serves into
// data/vMAJOR.MINOR.yaml. It runs only when $PALISADE_REGENERATE_BOOTSTRAP is set.
func TestGenerate(t *testing.T) {
	if os.Getenv(RegenerateEnv) == "" {
		t.Skipf("set %s=1 to regenerate the embedded bootstrap policy", RegenerateEnv)
	}
	version, rendered := serve(t)
	file := filepath.Join("data", version+".yaml")
	if err := os.WriteFile(file, rendered, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s (%d bytes)", file, len(rendered))
}

// TestStaleness checks that the embedded policy of the test server's version is what
// the server serves.
func TestStaleness(t *testing.T) {
	version, rendered := serve(t)
	embedded, err := data.ReadFile("data/" + version + ".yaml")
	if err != nil {
		t.Fatalf("no embedded bootstrap policy for the test server's version %s (known: %v); run %s=1 go test ./internal/rbac/bootstrap -run TestGenerate",
			version, Versions(), RegenerateEnv)
	}
	if !bytes.Equal(embedded, rendered) {
		t.Fatalf("data/%s.yaml is stale: the API server serves a different bootstrap policy; run %s=1 go test ./internal/rbac/bootstrap -run TestGenerate and review the diff\n%s",
			version, RegenerateEnv, firstDiff(string(embedded), string(rendered)))
	}
}

// serve reads the bootstrap policy from the test API server and renders it as the
// embedded file is written.
func serve(t *testing.T) (version string, rendered []byte) {
	t.Helper()
	c := kubetest.Shared(t)
	ctx := context.Background()
	client := c.Client()
	info, err := client.Discovery().ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	version, ok := majorMinor(info.GitVersion)
	if !ok {
		t.Fatalf("server version %q", info.GitVersion)
	}
	rbac := client.RbacV1()
	// Everything, not only the labelled objects, so that an unlabelled object the
	// server creates is noticed instead of silently left out.
	sel := metav1.ListOptions{}
	var objs []runtime.Object
	crs, err := rbac.ClusterRoles().List(ctx, sel)
	if err != nil {
		t.Fatal(err)
	}
	for i := range crs.Items {
		objs = append(objs, &crs.Items[i])
	}
	crbs, err := rbac.ClusterRoleBindings().List(ctx, sel)
	if err != nil {
		t.Fatal(err)
	}
	for i := range crbs.Items {
		objs = append(objs, &crbs.Items[i])
	}
	roles, err := rbac.Roles("").List(ctx, sel)
	if err != nil {
		t.Fatal(err)
	}
	for i := range roles.Items {
		objs = append(objs, &roles.Items[i])
	}
	rbs, err := rbac.RoleBindings("").List(ctx, sel)
	if err != nil {
		t.Fatal(err)
	}
	for i := range rbs.Items {
		objs = append(objs, &rbs.Items[i])
	}

	kinds := map[string]string{}
	var docs []map[string]any
	for _, o := range objs {
		u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(o)
		if err != nil {
			t.Fatal(err)
		}
		md, _ := u["metadata"].(map[string]any)
		labels, _ := md["labels"].(map[string]any)
		kind := fmt.Sprintf("%T", o)
		kind = kind[strings.LastIndex(kind, ".")+1:]
		if labels[Label] != LabelValue {
			t.Errorf("the API server created %s %v/%v without the %s=%s label", kind, md["namespace"], md["name"], Label, LabelValue)
			continue
		}
		for _, k := range []string{"uid", "resourceVersion", "managedFields", "creationTimestamp", "generation", "selfLink"} {
			delete(md, k)
		}
		u["apiVersion"] = "rbac.authorization.k8s.io/v1"
		u["kind"] = kind
		kinds[kind] = kind
		docs = append(docs, u)
	}
	order := map[string]int{"ClusterRole": 0, "ClusterRoleBinding": 1, "Role": 2, "RoleBinding": 3}
	sort.Slice(docs, func(i, j int) bool {
		a, b := docs[i], docs[j]
		if ka, kb := order[a["kind"].(string)], order[b["kind"].(string)]; ka != kb {
			return ka < kb
		}
		ma, mb := a["metadata"].(map[string]any), b["metadata"].(map[string]any)
		if na, nb := str(ma["namespace"]), str(mb["namespace"]); na != nb {
			return na < nb
		}
		return str(ma["name"]) < str(mb["name"])
	})

	var b bytes.Buffer
	fmt.Fprintf(&b, "# The default RBAC policy of Kubernetes %s: every ClusterRole, ClusterRoleBinding,\n", version)
	fmt.Fprintf(&b, "# Role and RoleBinding a fresh kube-apiserver %s creates (label %s=%s),\n", info.GitVersion, Label, LabelValue)
	fmt.Fprintf(&b, "# with the server-set metadata removed. Generated; do not edit. Regenerate with\n")
	fmt.Fprintf(&b, "#   %s=1 go test ./internal/rbac/bootstrap -run TestGenerate\n", RegenerateEnv)
	for _, d := range docs {
		y, err := yaml.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString("---\n")
		b.Write(y)
	}
	return version, b.Bytes()
}

// firstDiff shows the first differing line of two texts with a little context.
func firstDiff(a, b string) string {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(la) || i < len(lb); i++ {
		var x, y string
		if i < len(la) {
			x = la[i]
		}
		if i < len(lb) {
			y = lb[i]
		}
		if x != y {
			return fmt.Sprintf("line %d:\n  embedded: %q\n  served:   %q", i+1, x, y)
		}
	}
	return "(no line differs)"
}

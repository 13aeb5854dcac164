package live

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/dynamic"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/kubetest"
)

func TestMain(m *testing.M) { kubetest.Main(m) }

// Lists are paginated; Secrets lose their values unless asked; managedFields go;
// origins say cluster.
func TestReadPagesSecretsAndOrigin(t *testing.T) {
	c := kubetest.Shared(t)
	ctx := context.Background()
	ns := c.Namespace(t, nil)
	for i := 0; i < 7; i++ {
		if _, err := c.Client().CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("cm-%d", i)}, Data: map[string]string{"k": "v"},
		}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Client().CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "db"}, StringData: map[string]string{"password": "hunter2-very-secret"},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var cms, configs = 0, Kinds[:0:0]
	for _, k := range Kinds {
		if k.Kind == "ConfigMap" || k.Kind == "Secret" {
			configs = append(configs, k)
		}
	}
	for _, values := range []bool{false, true} {
		res, err := Read(ctx, c.Config(), Options{Namespace: ns, PageSize: 2, Kinds: configs, IncludeSecretValues: values})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Coverage) != 0 {
			t.Fatalf("coverage: %+v", res.Coverage)
		}
		cms = 0
		for _, o := range res.Objects {
			if o.Origin.File != Origin || o.Origin.Line != 0 || o.Origin.Provenance != finding.FromCluster {
				t.Errorf("%s: origin %+v", o.Ref, o.Origin)
			}
			if md, _ := o.Body["metadata"].(map[string]any); md["managedFields"] != nil {
				t.Errorf("%s keeps managedFields", o.Ref)
			}
			switch o.Ref.Kind {
			case "ConfigMap":
				if !strings.HasPrefix(o.Ref.Name, "kube-root-ca") {
					cms++
				}
			case "Secret":
				_, has := o.Body["data"]
				if has != values {
					t.Errorf("IncludeSecretValues=%v: Secret data present=%v", values, has)
				}
				if res.SecretsRedacted == values {
					t.Errorf("IncludeSecretValues=%v: SecretsRedacted=%v", values, res.SecretsRedacted)
				}
			}
		}
		if cms != 7 {
			t.Errorf("read %d ConfigMaps over pages of 2, want 7", cms)
		}
	}
}

// The ClusterRole in deploy/ lets a scan read every kind but Secrets.
func TestDeployClusterRoleCoversEverythingButSecrets(t *testing.T) {
	c := kubetest.Shared(t)
	ctx := context.Background()
	f, err := os.Open("../../deploy/palisade-scanner-clusterrole.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := utilyaml.NewYAMLOrJSONDecoder(f, 4096)
	var roles []string
	for {
		var cr rbacv1.ClusterRole
		if err := dec.Decode(&cr); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Client().RbacV1().ClusterRoles().Create(ctx, &cr, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		roles = append(roles, cr.Name)
	}
	if len(roles) != 2 || roles[0] != "palisade-scanner" {
		t.Fatalf("deploy/ has ClusterRoles %v, want palisade-scanner and palisade-scanner-secrets", roles)
	}
	bind := func(user, role string) {
		if _, err := c.Client().RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: user + "-" + role},
			RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: role},
			Subjects:   []rbacv1.Subject{{Kind: "User", APIGroup: "rbac.authorization.k8s.io", Name: user}},
		}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	bind("scanner", "palisade-scanner")
	bind("scanner-secrets", "palisade-scanner")
	bind("scanner-secrets", "palisade-scanner-secrets")

	for user, want := range map[string][]string{"scanner": {"Secret"}, "scanner-secrets": nil} {
		cfg, err := c.UserConfig(user)
		if err != nil {
			t.Fatal(err)
		}
		res, err := Read(ctx, cfg, Options{})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, g := range res.Coverage {
			got = append(got, g.Kind)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: coverage gaps %v, want %v (%+v)", user, got, want, res.Coverage)
		}
		if len(res.Objects) == 0 {
			t.Errorf("%s: read nothing", user)
		}
	}
}

// Only objects controlled by a workload kind are skipped: a mirror pod controlled by
// its Node (static control-plane pods) is kept.
func TestControlledByWorkload(t *testing.T) {
	for _, c := range []struct {
		owner      string
		controller bool
		want       bool
	}{
		{"ReplicaSet", true, true}, {"Job", true, true}, {"DaemonSet", true, true},
		{"StatefulSet", true, true}, {"ReplicaSet", false, false}, {"Node", true, false},
		{"Rollout", true, false},
	} {
		u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Pod", "metadata": map[string]any{
			"name": "p", "ownerReferences": []any{map[string]any{
				"apiVersion": "x/v1", "kind": c.owner, "name": "o", "uid": "1", "controller": c.controller,
			}},
		}}}
		if got := controlledByWorkload(u); got != c.want {
			t.Errorf("owner %s controller=%v: skipped=%v, want %v", c.owner, c.controller, got, c.want)
		}
	}
}

// Custom resources that run pods (here an Argo Rollout) are listed when the cluster
// serves their CRD, and the ReplicaSets they control are skipped.
func TestReadCustomWorkloads(t *testing.T) {
	c := kubetest.Shared(t)
	ctx := context.Background()
	dyn, err := dynamic.NewForConfig(c.Config())
	if err != nil {
		t.Fatal(err)
	}
	crdGVR := schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
	crd := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
		"metadata": map[string]any{"name": "rollouts.argoproj.io"},
		"spec": map[string]any{
			"group": "argoproj.io", "scope": "Namespaced",
			"names": map[string]any{"kind": "Rollout", "plural": "rollouts", "singular": "rollout", "listKind": "RolloutList"},
			"versions": []any{map[string]any{"name": "v1alpha1", "served": true, "storage": true,
				"schema": map[string]any{"openAPIV3Schema": map[string]any{"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}},
		},
	}}
	if _, err := dyn.Resource(crdGVR).Create(ctx, crd, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	ns := c.Namespace(t, nil)
	rgvr := schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "rollouts"}
	ro := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "metadata": map[string]any{"name": "web"},
		"spec": map[string]any{"template": map[string]any{"spec": map[string]any{"containers": []any{
			map[string]any{"name": "app", "image": "nginx:1.27", "securityContext": map[string]any{"privileged": true}},
		}}}},
	}}
	var created *unstructured.Unstructured
	deadline := time.Now().Add(30 * time.Second)
	for {
		created, err = dyn.Resource(rgvr).Namespace(ns).Create(ctx, ro, metav1.CreateOptions{})
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("CRD never served: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	labels := map[string]string{"app": "web"}
	if _, err := c.Client().AppsV1().ReplicaSets(ns).Create(ctx, &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: "web-6c9f", OwnerReferences: []metav1.OwnerReference{{
			APIVersion: "argoproj.io/v1alpha1", Kind: "Rollout", Name: "web", UID: created.GetUID(), Controller: &[]bool{true}[0],
		}}},
		Spec: appsv1.ReplicaSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "nginx:1.27"}}}},
		},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	runsPods := func(apiVersion, kind string) bool {
		return kind == "Rollout" && strings.HasPrefix(apiVersion, "argoproj.io/")
	}
	res, err := Read(ctx, c.Config(), Options{Namespace: ns, RunsPods: runsPods})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range res.Objects {
		if o.Ref.Namespace == ns && o.Ref.Kind != "ConfigMap" && o.Ref.Kind != "ServiceAccount" {
			got = append(got, o.Ref.String())
		}
	}
	if len(got) != 1 || !strings.Contains(got[0], "Rollout") || !strings.Contains(got[0], "web") {
		t.Errorf("objects in %s: %v, want only the Rollout", ns, got)
	}
	if len(res.Coverage) != 0 {
		t.Errorf("coverage: %+v", res.Coverage)
	}
}

package bootstrap

import (
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/rbac"
)

func TestVersions(t *testing.T) {
	vs := Versions()
	if len(vs) == 0 || vs[len(vs)-1] != "v1.37" {
		t.Fatalf("Versions() = %v, want the newest to be v1.37", vs)
	}
	for _, v := range vs {
		if _, ok := majorMinor(v); !ok {
			t.Errorf("embedded version %q is not vMAJOR.MINOR", v)
		}
	}
}

func TestObjects(t *testing.T) {
	for _, v := range []string{"", "latest", "1.37", "v1.37", "v1.37.2", "1.37.0-rc.1"} {
		objs, err := Objects(v)
		if err != nil {
			t.Fatalf("Objects(%q): %v", v, err)
		}
		if len(objs) < 100 {
			t.Fatalf("Objects(%q): %d objects, want the whole policy", v, len(objs))
		}
	}
	objs, _ := Objects("")
	seen := map[string]bool{}
	for _, o := range objs {
		key := o.Ref.Kind + "/" + o.Ref.Namespace + "/" + o.Ref.Name
		if seen[key] {
			t.Errorf("duplicate %s", key)
		}
		seen[key] = true
		if o.Ref.APIVersion != "rbac.authorization.k8s.io/v1" {
			t.Errorf("%s: apiVersion %q", key, o.Ref.APIVersion)
		}
		if o.Origin.File != "bootstrap v1.37" {
			t.Errorf("%s: origin %q", key, o.Origin.File)
		}
		if o.Labels[Label] != LabelValue {
			t.Errorf("%s: labels %v", key, o.Labels)
		}
		md := o.Body["metadata"].(map[string]any)
		for _, k := range []string{"uid", "resourceVersion", "managedFields", "creationTimestamp"} {
			if _, ok := md[k]; ok {
				t.Errorf("%s: server-set metadata.%s kept", key, k)
			}
		}
		if (o.Ref.Kind == "Role" || o.Ref.Kind == "RoleBinding") && o.Ref.Namespace != "kube-system" && o.Ref.Namespace != "kube-public" {
			t.Errorf("%s: namespaced bootstrap object outside kube-system and kube-public", key)
		}
	}
	// Spot checks of well-known defaults.
	for _, key := range []string{
		"ClusterRole//cluster-admin", "ClusterRole//admin", "ClusterRole//edit", "ClusterRole//view",
		"ClusterRole//system:aggregate-to-edit", "ClusterRoleBinding//system:basic-user",
		"ClusterRoleBinding//system:public-info-viewer", "ClusterRoleBinding//cluster-admin",
		"Role/kube-public/system:controller:bootstrap-signer", "RoleBinding/kube-system/system::leader-locking-kube-scheduler",
	} {
		if !seen[key] {
			t.Errorf("missing %s", key)
		}
	}
	// Each call returns fresh objects.
	again, _ := Objects("")
	again[0].Body["kind"] = "changed"
	if objs[0].Body["kind"] == "changed" {
		t.Error("Objects returns shared bodies")
	}
}

func TestObjectsUnknownVersion(t *testing.T) {
	for _, v := range []string{"1.12", "v2.0", "banana", "1", "v1.x"} {
		_, err := Objects(v)
		if err == nil || !strings.Contains(err.Error(), "v1.37") || !strings.Contains(err.Error(), v) {
			t.Errorf("Objects(%q) error = %v, want one naming the version and the known ones", v, err)
		}
	}
}

func TestRegistered(t *testing.T) {
	// init registers Objects as the model's source of defaults: a model built with
	// IncludeDefaults must not fail for want of it.
	m, _, err := rbac.Build(nil, rbac.Options{IncludeDefaults: true})
	if err != nil {
		t.Fatalf("Build with IncludeDefaults: %v", err)
	}
	// What every authenticated user gets by default is known.
	a := rbac.Attributes{User: rbac.UserInfo{Name: "someone", Groups: []string{"system:authenticated"}},
		Verb: "create", ResourceRequest: true, APIGroup: "authorization.k8s.io", Resource: "selfsubjectaccessreviews"}
	if d := m.Authorize(a); !d.Allowed || len(d.Grants) == 0 || d.Grants[0].Binding.Location.File != "bootstrap v1.37" {
		t.Errorf("default grant to system:authenticated: %+v", d)
	}
	if _, _, err := rbac.Build(nil, rbac.Options{IncludeDefaults: true, KubeVersion: "1.2"}); err == nil || !strings.Contains(err.Error(), "v1.37") {
		t.Errorf("Build with an unknown KubeVersion: err = %v, want one listing the known versions", err)
	}
}

func BenchmarkObjects(b *testing.B) {
	for b.Loop() {
		if _, err := Objects(""); err != nil {
			b.Fatal(err)
		}
	}
}

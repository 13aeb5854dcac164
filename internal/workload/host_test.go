package workload

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
)

func hostObject(t testing.TB, kind, body string) *inventory.Object {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatal(err)
	}
	return &inventory.Object{Ref: finding.ObjectRef{APIVersion: "apps/v1", Kind: kind, Namespace: "a", Name: "w"}, Body: m}
}

// PodHost reads host namespaces, privileged containers, the effective hostProcess
// (the pod's unless the container sets it), added capabilities, host ports and
// hostPath volumes with whether every mount of each is read-only.
func TestPodHost(t *testing.T) {
	o := hostObject(t, "Deployment", `{"spec": {"template": {"spec": {
		"hostPID": true, "hostNetwork": true,
		"securityContext": {"windowsOptions": {"hostProcess": true}},
		"initContainers": [{"name": "init", "securityContext": {"privileged": true, "windowsOptions": {"hostProcess": false}},
			"volumeMounts": [{"name": "logs", "mountPath": "/l", "readOnly": true}]}],
		"containers": [
			{"name": "app", "ports": [{"containerPort": 8080, "hostPort": 80}, {"containerPort": 9090}],
			 "securityContext": {"capabilities": {"add": ["NET_ADMIN", 7]}},
			 "volumeMounts": [{"name": "logs", "mountPath": "/l", "readOnly": true}, {"name": "sock", "mountPath": "/s"}]},
			{"name": "quiet", "securityContext": {"windowsOptions": {"hostProcess": false}}}],
		"volumes": [{"name": "logs", "hostPath": {"path": "/var/log"}}, {"name": "sock", "hostPath": {"path": "/run/containerd/containerd.sock"}},
			{"name": "unused", "hostPath": {"path": "/srv"}}, {"name": "tmp", "emptyDir": {}}]}}}}`)
	got := NewFinder(nil).PodHost(o)
	const spec = "spec.template.spec"
	want := &PodHost{HostPID: true, HostNetwork: true, SpecPath: spec,
		Containers: []ContainerHost{
			{Name: "init", Path: spec + ".initContainers[0]", Privileged: true},
			{Name: "app", Path: spec + ".containers[0]", HostProcess: true, AddedCapabilities: []string{"NET_ADMIN"}, HostPorts: []PodPort{{Port: 80}}},
		},
		HostPaths: []HostPathVolume{{Name: "logs", Path: "/var/log", Field: spec + ".volumes[0]", ReadOnly: true},
			{Name: "sock", Path: "/run/containerd/containerd.sock", Field: spec + ".volumes[1]"}, {Name: "unused", Path: "/srv", Field: spec + ".volumes[2]"}},
	}
	if !reflect.DeepEqual(got, want) {
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		t.Errorf("PodHost:\n got %s\nwant %s", g, w)
	}
	// Record records it with the other facts.
	NewFinder(nil).Record(o)
	if h, ok := PodHostFact.Of(o); !ok || !reflect.DeepEqual(h, want) {
		t.Errorf("PodHostFact = %+v, %v", h, ok)
	}
	if h := NewFinder(nil).PodHost(hostObject(t, "ConfigMap", `{"data": {}}`)); h != nil {
		t.Errorf("PodHost of a ConfigMap = %+v", h)
	}
}

// FuzzPodHost: any decoded body reads without a panic.
func FuzzPodHost(f *testing.F) {
	f.Add(`{"spec": {"template": {"spec": {"containers": [{"name": "a", "securityContext": {"privileged": true}, "ports": [{"hostPort": 1}]}], "volumes": [{"hostPath": {"path": "/"}}]}}}}`)
	f.Add(`{"spec": {"template": {"spec": {"containers": 3, "volumes": [null, {"hostPath": 1}], "securityContext": []}}}}`)
	f.Add(`{"spec": {"template": {"spec": {"initContainers": [{"volumeMounts": [1, {"name": 2}]}], "hostPID": "yes"}}}}`)
	f.Fuzz(func(t *testing.T, body string) {
		var m map[string]any
		if json.Unmarshal([]byte(body), &m) != nil {
			return
		}
		o := &inventory.Object{Ref: finding.ObjectRef{APIVersion: "apps/v1", Kind: "Deployment", Name: "w"}, Body: m}
		NewFinder(nil).PodHost(o)
	})
}

package workload

import (
	"reflect"
	"testing"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
)

// Images lists the image of every container, init container and ephemeral container
// with its field, and nothing for objects that run no pods.
func TestImages(t *testing.T) {
	f := NewFinder(nil)
	cj := &inventory.Object{
		Ref: finding.ObjectRef{APIVersion: "batch/v1", Kind: "CronJob", Name: "backup"},
		Body: map[string]any{"spec": map[string]any{"jobTemplate": map[string]any{"spec": map[string]any{"template": map[string]any{"spec": map[string]any{
			"containers":          []any{map[string]any{"name": "a", "image": "app:1"}, map[string]any{"name": "b"}, "junk"},
			"initContainers":      []any{map[string]any{"name": "i", "image": "init:1"}},
			"ephemeralContainers": []any{map[string]any{"name": "e", "image": "busybox:1"}},
		}}}}}},
	}
	want := []ContainerImage{
		{Image: "app:1", Field: "spec.jobTemplate.spec.template.spec.containers[0].image"},
		{Image: "init:1", Field: "spec.jobTemplate.spec.template.spec.initContainers[0].image"},
		{Image: "busybox:1", Field: "spec.jobTemplate.spec.template.spec.ephemeralContainers[0].image"},
	}
	if got := f.Images(cj); !reflect.DeepEqual(got, want) {
		t.Errorf("Images = %+v\nwant %+v", got, want)
	}
	pod := &inventory.Object{Ref: finding.ObjectRef{APIVersion: "v1", Kind: "Pod", Name: "p"},
		Body: map[string]any{"spec": map[string]any{"containers": []any{map[string]any{"image": "nginx"}}}}}
	if got := f.Images(pod); len(got) != 1 || got[0].Field != "spec.containers[0].image" {
		t.Errorf("pod: %+v", got)
	}
	cm := &inventory.Object{Ref: finding.ObjectRef{APIVersion: "v1", Kind: "ConfigMap", Name: "c"}, Body: map[string]any{"data": map[string]any{}}}
	if got := f.Images(cm); got != nil {
		t.Errorf("ConfigMap: %+v", got)
	}
}

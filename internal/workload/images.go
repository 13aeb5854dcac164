package workload

import (
	"fmt"

	"github.com/palisade-k8s/palisade/internal/inventory"
)

// ContainerImage is the image of one container of a pod template.
type ContainerImage struct {
	// Image is the reference as written ("nginx:1.27", "reg/app@sha256:...").
	Image string
	// Field is the path of the container's image field
	// ("spec.template.spec.initContainers[0].image").
	Field string
}

// Images returns the images of every container of an object that runs pods
// (containers, initContainers and ephemeralContainers, in that order), read from its
// decoded body without decoding the template; nil when the object runs no pods, its
// body was not decoded or no container names an image. Malformed entries are skipped:
// such a template does not decode anyway.
func (f *Finder) Images(o *inventory.Object) []ContainerImage {
	spec, _ := f.podSpec(o)
	if spec == nil {
		return nil
	}
	tp, _ := f.Lookup(o.Ref.APIVersion, o.Ref.Kind)
	specPath := tp.Path
	if !tp.PodSpec {
		specPath += ".spec"
	}
	var out []ContainerImage
	for _, kind := range []ContainerKind{Regular, Init, Ephemeral} {
		cs, _ := spec[string(kind)].([]any)
		for i, c := range cs {
			cm, _ := c.(map[string]any)
			if img, _ := cm["image"].(string); img != "" {
				out = append(out, ContainerImage{Image: img, Field: fmt.Sprintf("%s.%s[%d].image", specPath, kind, i)})
			}
		}
	}
	return out
}

package images

// Container images from the inside: the rules here read the palisade.dev/v1 Image
// objects of `palisade image` and `scan --images` (inventory.ImageKind): the image
// configuration (user, environment, labels, build history), every entry of every
// layer (inventory.ImageFiles.Walk, with the entries a later layer removed), the
// content of the files the image reader kept, and the software inventory (the
// distribution release and packages). Each finding names the image digest, the layer
// and the path or configuration field (ImageInfo.Location).

import (
	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/rules"
)

const (
	catImageContent = "image-content"

	refOCIConfig      = "https://github.com/opencontainers/image-spec/blob/main/config.md"
	refK8sImages      = "https://kubernetes.io/docs/concepts/containers/images/"
	refK8sSecurityCkl = "https://kubernetes.io/docs/concepts/security/security-checklist/#images"
)

var imageFrameworks = rules.Frameworks{NSA: []string{nsaImages}, Layer: layerContainer}

// registerImage registers a rule of container images.
func registerImage(r *rules.Rule) {
	r.Kinds = []string{inventory.ImageKind}
	r.Targets = rules.Scan
	if r.Frameworks.Layer == "" {
		r.Frameworks = imageFrameworks
	}
	if r.Category == "" {
		r.Category = catImageContent
	}
	rules.Register(r)
}

// hasConfig reports whether the image was read with a configuration (a root
// filesystem directory and an SBOM have none, so their empty User says nothing).
func hasConfig(img *inventory.ImageInfo) bool {
	return img.Source != "rootfs" && img.Source != "sbom"
}

// visibleEntries calls fn for each entry a container of the image sees.
func visibleEntries(img *inventory.ImageInfo, fn func(e *inventory.ImageEntry)) error {
	if img.Files == nil {
		return nil
	}
	return img.Files.Walk(func(e *inventory.ImageEntry) error {
		if e.Visible {
			fn(e)
		}
		return nil
	})
}

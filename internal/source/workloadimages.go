package source

import (
	"context"
	"sync"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/workload"
)

// WorkloadImages reads a source of workloads (manifests, a live cluster), then the
// images they run (scan --images, cluster --images): the image of every container,
// init container and ephemeral container, each reference read once and each manifest
// digest analysed once, with ImageInfo.Workloads naming the objects that run it. An
// image that cannot be located or read is a coverage gap naming it and why, never a
// silent pass.
type WorkloadImages struct {
	Source Source
	// Images says how images are read; its Refs, RootFS and SBOMs are ignored.
	Images Images
	// Trust, if set, verifies every image reference against the images policy
	// (Inventory.ImageTrust), once per reference, whether or not the image itself
	// can be read.
	Trust *Trust
}

// Describe implements Source.
func (w *WorkloadImages) Describe() string { return w.Source.Describe() }

// Read implements Source: the Result of Source, with the image objects after the
// others and the images' errors, gaps and notices added.
func (w *WorkloadImages) Read(ctx context.Context, n Needs) (*Result, error) {
	f := n.finder()
	var mu sync.Mutex
	found := map[*inventory.Object][]workload.ContainerImage{}
	inner := n
	visit := n.Visit
	inner.Visit = func(o *inventory.Object) {
		// Before the consumer's Visit and its Retain: the body is still decoded.
		if imgs := f.Images(o); len(imgs) > 0 {
			mu.Lock()
			found[o] = imgs
			mu.Unlock()
		}
		if visit != nil {
			visit(o)
		}
	}
	res, err := w.Source.Read(ctx, inner)
	if err != nil {
		return nil, err
	}
	img := w.Images
	img.Refs, img.RootFS, img.SBOMs = nil, nil, nil
	img.gaps, img.workloads = true, map[string][]finding.ObjectRef{}
	for _, o := range res.Inventory.Objects {
		for _, ci := range found[o] {
			wl := img.workloads[ci.Image]
			if wl == nil {
				img.Refs = append(img.Refs, ci.Image)
			}
			if len(wl) == 0 || wl[len(wl)-1] != o.Ref {
				img.workloads[ci.Image] = append(wl, o.Ref)
			}
		}
	}
	if len(img.Refs) == 0 {
		return res, nil
	}
	if w.Trust != nil {
		res.Inventory.ImageTrust = w.Trust.Verify(ctx, img.Refs)
	}
	ir, err := img.Read(ctx, n)
	if err != nil {
		return nil, err
	}
	res.Inventory.Objects = append(res.Inventory.Objects, ir.Inventory.Objects...)
	res.Errors = append(res.Errors, ir.Errors...)
	res.Coverage = append(res.Coverage, ir.Coverage...)
	res.Notices = append(res.Notices, ir.Notices...)
	res.Internal = append(res.Internal, ir.Internal...)
	return res, nil
}

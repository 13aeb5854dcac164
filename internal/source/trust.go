package source

import (
	"context"
	"sync"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/signature"
)

// Trust verifies images against the images policy (internal/signature): the
// signature verdicts of Inventory.ImageTrust, which PAL-115 and PAL-116 report.
type Trust struct {
	Verifier *signature.Verifier
	// Store is where signatures are read: the registries (signature.NewRegistryStore)
	// or an OCI layout (signature.OpenLayout).
	Store signature.Store
	// Parallel bounds the verifications at once (0: 4).
	Parallel int
}

// Verify judges each reference once, at most Parallel at a time, and returns the
// verdicts keyed by the reference as given. A reference that cannot be resolved or
// whose signatures cannot be read has a verdict too (Result.Unchecked), never none.
func (t *Trust) Verify(ctx context.Context, refs []string) map[string]*signature.Result {
	out := make(map[string]*signature.Result, len(refs))
	if t == nil || t.Verifier == nil {
		return out
	}
	n := t.Parallel
	if n <= 0 {
		n = 4
	}
	var (
		mu  sync.Mutex
		wg  sync.WaitGroup
		sem = make(chan struct{}, n)
	)
	seen := make(map[string]bool, len(refs))
	for _, ref := range refs {
		if seen[ref] {
			continue
		}
		seen[ref] = true
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			r := t.Verifier.Verify(ctx, t.Store, ref, "")
			mu.Lock()
			out[ref] = r
			mu.Unlock()
		}()
	}
	wg.Wait()
	return out
}

// Verified is the source of palisade image verify: each reference resolved and its
// signatures verified, nothing else read (no layer, no configuration). Each image is
// an object of inventory.ImageKind with its reference and the digest verified, and
// the inventory carries the verdicts (Inventory.ImageTrust).
type Verified struct {
	Refs  []string
	Trust *Trust
	// From says where the signatures are read ("registry", "oci-layout"): the
	// images' ImageInfo.Source.
	From string
}

// Describe implements Source.
func (v *Verified) Describe() string { return Describe(v.Refs) }

// Read implements Source.
func (v *Verified) Read(ctx context.Context, n Needs) (*Result, error) {
	trust := v.Trust.Verify(ctx, v.Refs)
	if err := ctx.Err(); err != nil {
		return nil, &InterruptedError{Input: v.Describe(), Err: err}
	}
	seen := map[string]bool{}
	var objs []*inventory.Object
	for _, ref := range v.Refs {
		if seen[ref] {
			continue
		}
		seen[ref] = true
		info := &inventory.ImageInfo{Ref: ref, Source: v.From}
		if r := trust[ref]; r != nil {
			info.Digest = r.Digest
		}
		objs = append(objs, &inventory.Object{
			Ref:    finding.ObjectRef{APIVersion: finding.ConfigFileAPIVersion, Kind: finding.ImageKind, Name: ref},
			Origin: imageOrigin(ref),
			Body:   map[string]any{"metadata": map[string]any{"name": ref}},
			Image:  info,
		})
	}
	if objs == nil {
		objs = []*inventory.Object{}
	}
	res := streamObjects(objs, len(objs), n)
	res.Inventory.ImageTrust = trust
	return res, nil
}

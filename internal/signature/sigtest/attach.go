package sigtest

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// emptyJSON is the OCI empty descriptor's content, the config of referrer manifests.
var emptyJSON = []byte("{}")

const emptyMediaType = "application/vnd.oci.empty.v1+json"

// referrer is a referrer manifest as cosign writes it (the artifactType field that
// go-containerregistry's Manifest lacks).
type referrer struct {
	v1.Manifest
	ArtifactType string `json:"artifactType,omitempty"`
}

func (r referrer) RawManifest() ([]byte, error)        { return json.Marshal(r) }
func (r referrer) MediaType() (types.MediaType, error) { return types.OCIManifestSchema1, nil }

// Referrer is the referrer manifest of a bundle artifact (config: the empty
// descriptor; one layer: the bundle; subject: the image) and its blobs, as cosign v3
// writes it.
func (a Artifact) Referrer() (manifest []byte, blobs []v1.Layer, err error) {
	cfg := static.NewLayer(emptyJSON, emptyMediaType)
	bundle := static.NewLayer(a.Data, types.MediaType(a.MediaType))
	cd, err := cfg.Digest()
	if err != nil {
		return nil, nil, err
	}
	bd, err := bundle.Digest()
	if err != nil {
		return nil, nil, err
	}
	subj := a.Subject.Descriptor
	m := referrer{Manifest: v1.Manifest{
		SchemaVersion: 2,
		MediaType:     types.OCIManifestSchema1,
		Config:        v1.Descriptor{MediaType: emptyMediaType, ArtifactType: a.MediaType, Digest: cd, Size: int64(len(emptyJSON))},
		Layers:        []v1.Descriptor{{MediaType: types.MediaType(a.MediaType), Digest: bd, Size: int64(len(a.Data))}},
		Subject:       &v1.Descriptor{MediaType: subj.MediaType, Digest: subj.Digest, Size: subj.Size},
		Annotations:   a.Annotations,
	}, ArtifactType: a.MediaType}
	raw, err := m.RawManifest()
	return raw, []v1.Layer{cfg, bundle}, err
}

// appendLegacy adds the artifact's layer to a legacy .sig/.att image (empty when
// base is nil), as cosign does.
func (a Artifact) appendLegacy(base v1.Image) (v1.Image, error) {
	if base == nil {
		base = mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	}
	return mutate.Append(base, mutate.Addendum{
		Layer:       static.NewLayer(a.Data, types.MediaType(a.MediaType)),
		Annotations: a.Annotations,
	})
}

// Attach stores the artifacts in the registry: a bundle as a referrer manifest of its
// subject (the registry indexes it, or go-containerregistry updates the referrers
// tag schema when the registry has no referrers API); a legacy signature or
// attestation as one more layer of the subject's .sig or .att tag.
func (r *Registry) Attach(t testing.TB, arts ...Artifact) {
	t.Helper()
	for _, a := range arts {
		if err := r.attach(a); err != nil {
			t.Fatalf("sigtest: attaching %s to %s: %v", a.Kind, a.Subject.Pinned, err)
		}
	}
}

func (r *Registry) attach(a Artifact) error {
	repo, err := name.NewRepository(a.Subject.Repo, name.Insecure)
	if err != nil {
		return err
	}
	if tag := a.Tag(); tag != "" {
		ref := repo.Tag(tag)
		base, err := remote.Image(ref)
		if err != nil {
			base = nil // the first signature of the digest
		}
		img, err := a.appendLegacy(base)
		if err != nil {
			return err
		}
		return remote.Write(ref, img)
	}
	raw, blobs, err := a.Referrer()
	if err != nil {
		return err
	}
	for _, b := range blobs {
		if err := remote.WriteLayer(repo, b); err != nil {
			return err
		}
	}
	h, _, err := v1.SHA256(bytes.NewReader(raw))
	if err != nil {
		return err
	}
	return remote.Put(repo.Digest(h.String()), rawManifest{raw: raw, mt: types.OCIManifestSchema1})
}

// Sign signs img with s and attaches the signature (Signer.Sign then Attach).
func (r *Registry) Sign(t testing.TB, img Image, s Signer, o Options) Artifact {
	t.Helper()
	a := s.Sign(t, img, o)
	r.Attach(t, a)
	return a
}

// Attest attests img with s and attaches the attestation (Signer.Attest then
// Attach).
func (r *Registry) Attest(t testing.TB, img Image, s Signer, predicateType string, predicate any, o Options) Artifact {
	t.Helper()
	a := s.Attest(t, img, predicateType, predicate, o)
	r.Attach(t, a)
	return a
}

// PutManifest stores raw bytes as a manifest of repo (by digest, or by tag when tag
// is set) with media type mt: hostile or odd artifacts for tests.
func (r *Registry) PutManifest(t testing.TB, repo, tag string, mt types.MediaType, raw []byte) string {
	t.Helper()
	rp, err := name.NewRepository(r.Host+"/"+repo, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	h, _, err := v1.SHA256(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	var ref name.Reference = rp.Digest(h.String())
	if tag != "" {
		ref = rp.Tag(tag)
	}
	if err := remote.Put(ref, rawManifest{raw: raw, mt: mt}); err != nil {
		t.Fatalf("sigtest: put manifest: %v", err)
	}
	return h.String()
}

// PutBlob stores data as a blob of repo and returns its digest.
func (r *Registry) PutBlob(t testing.TB, repo string, data []byte) string {
	t.Helper()
	rp, err := name.NewRepository(r.Host+"/"+repo, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	l := static.NewLayer(data, types.OCILayer)
	if err := remote.WriteLayer(rp, l); err != nil {
		t.Fatalf("sigtest: put blob: %v", err)
	}
	d, _ := l.Digest()
	return d.String()
}

type rawManifest struct {
	raw []byte
	mt  types.MediaType
}

func (m rawManifest) RawManifest() ([]byte, error)        { return m.raw, nil }
func (m rawManifest) MediaType() (types.MediaType, error) { return m.mt, nil }

package sigtest

import (
	"bytes"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// RefNameAnnotation names a manifest of an OCI layout's index.json.
const RefNameAnnotation = "org.opencontainers.image.ref.name"

// Layout is an OCI image layout directory holding images and their signatures, as
// an air-gapped site receives them.
type Layout struct {
	Dir  string
	path layout.Path
}

// NewLayout makes an empty OCI layout in a new temporary directory.
func NewLayout(t testing.TB) *Layout {
	t.Helper()
	dir := t.TempDir()
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	return &Layout{Dir: dir, path: p}
}

// Add writes a random image named ref (a full reference, REPO:TAG, recorded in the
// org.opencontainers.image.ref.name annotation).
func (l *Layout) Add(t testing.TB, ref string) Image {
	t.Helper()
	img, err := random.Image(512, 1)
	if err != nil {
		t.Fatal(err)
	}
	return l.Write(t, ref, img)
}

// Write writes img named ref.
func (l *Layout) Write(t testing.TB, ref string, img v1.Image) Image {
	t.Helper()
	if err := l.path.AppendImage(img, layout.WithAnnotations(map[string]string{RefNameAnnotation: ref})); err != nil {
		t.Fatal(err)
	}
	desc, err := partialDescriptor(img)
	if err != nil {
		t.Fatal(err)
	}
	repo, _ := splitTag(ref)
	return imageOf(repo, ref, desc)
}

// AddIndex writes a random two-platform index named ref.
func (l *Layout) AddIndex(t testing.TB, ref string) Image {
	t.Helper()
	idx, err := random.Index(512, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.path.AppendIndex(idx, layout.WithAnnotations(map[string]string{RefNameAnnotation: ref})); err != nil {
		t.Fatal(err)
	}
	desc, err := indexDescriptor(idx)
	if err != nil {
		t.Fatal(err)
	}
	repo, _ := splitTag(ref)
	return imageOf(repo, ref, desc)
}

// Attach stores the artifacts in the layout: a bundle as a referrer manifest (its
// blobs, and its descriptor in index.json with the artifactType, as oras copies
// referrers); a legacy signature or attestation as one more layer of the image named
// REPO:sha256-<hex>.sig (or .att), replacing the previous manifest of that name.
func (l *Layout) Attach(t testing.TB, arts ...Artifact) {
	t.Helper()
	for _, a := range arts {
		if err := l.attach(a); err != nil {
			t.Fatalf("sigtest: attaching %s to %s in the layout: %v", a.Kind, a.Subject.Pinned, err)
		}
	}
}

func (l *Layout) attach(a Artifact) error {
	if tag := a.Tag(); tag != "" {
		refName := a.Subject.Repo + ":" + tag
		var base v1.Image
		idx, err := l.path.ImageIndex()
		if err != nil {
			return err
		}
		im, err := idx.IndexManifest()
		if err != nil {
			return err
		}
		for _, d := range im.Manifests {
			if d.Annotations[RefNameAnnotation] == refName {
				if base, err = idx.Image(d.Digest); err != nil {
					return err
				}
			}
		}
		img, err := a.appendLegacy(base)
		if err != nil {
			return err
		}
		if err := l.path.RemoveDescriptors(func(d v1.Descriptor) bool { return d.Annotations[RefNameAnnotation] == refName }); err != nil {
			return err
		}
		return l.path.AppendImage(img, layout.WithAnnotations(map[string]string{RefNameAnnotation: refName}))
	}
	raw, blobs, err := a.Referrer()
	if err != nil {
		return err
	}
	for _, b := range blobs {
		d, err := b.Digest()
		if err != nil {
			return err
		}
		rc, err := b.Compressed()
		if err != nil {
			return err
		}
		if err := l.path.WriteBlob(d, rc); err != nil {
			return err
		}
	}
	h, size, err := v1.SHA256(bytes.NewReader(raw))
	if err != nil {
		return err
	}
	if err := l.path.WriteBlob(h, nopCloser{bytes.NewReader(raw)}); err != nil {
		return err
	}
	return l.path.AppendDescriptor(v1.Descriptor{MediaType: types.OCIManifestSchema1, Digest: h, Size: size, ArtifactType: a.MediaType})
}

// Sign signs img with s and attaches the signature to the layout.
func (l *Layout) Sign(t testing.TB, img Image, s Signer, o Options) Artifact {
	t.Helper()
	a := s.Sign(t, img, o)
	l.Attach(t, a)
	return a
}

// Attest attests img with s and attaches the attestation to the layout.
func (l *Layout) Attest(t testing.TB, img Image, s Signer, predicateType string, predicate any, o Options) Artifact {
	t.Helper()
	a := s.Attest(t, img, predicateType, predicate, o)
	l.Attach(t, a)
	return a
}

type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }

// splitTag splits REPO:TAG (the colon after the last slash).
func splitTag(ref string) (repo, tag string) {
	slash := bytes.LastIndexByte([]byte(ref), '/')
	colon := bytes.LastIndexByte([]byte(ref), ':')
	if colon > slash {
		return ref[:colon], ref[colon+1:]
	}
	return ref, ""
}

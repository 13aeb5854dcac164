package sigtest

import (
	"io"
	"log"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Image is an image in a registry or a layout.
type Image struct {
	// Ref is the reference by tag (HOST/REPO:TAG); Repo the repository
	// (HOST/REPO); Digest its manifest's (or index's) digest; Pinned Repo@Digest.
	Ref, Repo, Digest, Pinned string
	// Descriptor is its manifest's descriptor (a referrer's subject).
	Descriptor v1.Descriptor
}

// Registry is go-containerregistry's in-process registry on loopback (plain HTTP).
type Registry struct {
	// Host is "127.0.0.1:PORT" (reach it as an insecure registry host).
	Host string
	// Referrers says whether it serves the OCI 1.1 referrers API; without it,
	// referrers are found through the referrers tag schema (sha256-<hex> tags).
	Referrers bool
}

// NewRegistry starts a registry on loopback for the test's lifetime. With referrers
// false it does not serve the referrers API (clients fall back to the tag schema).
func NewRegistry(t testing.TB, referrers bool) *Registry {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0)), registry.WithReferrersSupport(referrers)))
	t.Cleanup(srv.Close)
	return &Registry{Host: strings.TrimPrefix(srv.URL, "http://"), Referrers: referrers}
}

// Push pushes a random image (one small layer) as HOST/repo:tag.
func (r *Registry) Push(t testing.TB, repo, tag string) Image {
	t.Helper()
	img, err := random.Image(512, 1)
	if err != nil {
		t.Fatal(err)
	}
	return r.Write(t, repo, tag, img)
}

// Write pushes img as HOST/repo:tag.
func (r *Registry) Write(t testing.TB, repo, tag string, img v1.Image) Image {
	t.Helper()
	ref := r.Host + "/" + repo + ":" + tag
	nref, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(nref, img); err != nil {
		t.Fatalf("sigtest: pushing %s: %v", ref, err)
	}
	desc, err := partialDescriptor(img)
	if err != nil {
		t.Fatal(err)
	}
	return imageOf(r.Host+"/"+repo, ref, desc)
}

// PushIndex pushes a random multi-platform index (two images) as HOST/repo:tag;
// cosign signs the index's digest.
func (r *Registry) PushIndex(t testing.TB, repo, tag string) Image {
	t.Helper()
	idx, err := random.Index(512, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	ref := r.Host + "/" + repo + ":" + tag
	nref, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteIndex(nref, idx); err != nil {
		t.Fatalf("sigtest: pushing %s: %v", ref, err)
	}
	desc, err := indexDescriptor(idx)
	if err != nil {
		t.Fatal(err)
	}
	return imageOf(r.Host+"/"+repo, ref, desc)
}

func imageOf(repo, ref string, desc v1.Descriptor) Image {
	return Image{Ref: ref, Repo: repo, Digest: desc.Digest.String(), Pinned: repo + "@" + desc.Digest.String(), Descriptor: desc}
}

func partialDescriptor(img v1.Image) (v1.Descriptor, error) {
	d, err := img.Digest()
	if err != nil {
		return v1.Descriptor{}, err
	}
	sz, err := img.Size()
	if err != nil {
		return v1.Descriptor{}, err
	}
	mt, err := img.MediaType()
	if err != nil {
		return v1.Descriptor{}, err
	}
	return v1.Descriptor{MediaType: mt, Digest: d, Size: sz}, nil
}

func indexDescriptor(idx v1.ImageIndex) (v1.Descriptor, error) {
	d, err := idx.Digest()
	if err != nil {
		return v1.Descriptor{}, err
	}
	sz, err := idx.Size()
	if err != nil {
		return v1.Descriptor{}, err
	}
	mt, err := idx.MediaType()
	if err != nil {
		return v1.Descriptor{}, err
	}
	return v1.Descriptor{MediaType: mt, Digest: d, Size: sz}, nil
}

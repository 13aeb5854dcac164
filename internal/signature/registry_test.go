package signature_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/palisade-k8s/palisade/internal/signature"
	"github.com/palisade-k8s/palisade/internal/signature/sigtest"
)

// TestRegistryBounds: more candidates than MaxCandidates, and artifacts over
// MaxArtifactBytes, are malformed candidates, not errors and not unbounded reads.
func TestRegistryBounds(t *testing.T) {
	ss := sigtest.NewSigstore(t)
	ctx := context.Background()
	reg := sigtest.NewRegistry(t, true)
	img := reg.Push(t, "team/app", "1")
	s := ss.Keyless(testIssuer, testSubject)
	for range 4 {
		reg.Sign(t, img, s, sigtest.Options{Legacy: true})
	}
	reg.Sign(t, img, s, sigtest.Options{})

	st := signature.NewRegistryStore(signature.RegistryOptions{Insecure: []string{reg.Host}, MaxCandidates: 2})
	cs, err := st.Signatures(ctx, img.Repo, img.Digest)
	if err != nil || len(cs) != 3 || cs[2].Err == nil || !strings.Contains(cs[2].Err.Error(), "more than 2") {
		t.Fatalf("MaxCandidates 2: %d candidates %v", len(cs), err)
	}

	st = signature.NewRegistryStore(signature.RegistryOptions{Insecure: []string{reg.Host}, MaxArtifactBytes: 2000})
	cs, err = st.Signatures(ctx, img.Repo, img.Digest)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 2 {
		t.Fatalf("MaxArtifactBytes: %d candidates", len(cs))
	}
	for _, c := range cs {
		if c.Err == nil || !strings.Contains(c.Err.Error(), "size limit") {
			t.Errorf("%s: %v, want a size error", c.Source, c.Err)
		}
	}
}

// TestRegistryHostileReferrers: a referrer of another type is not read; a bundle
// that does not decode and a tag-schema referrer whose subject is another digest
// are malformed candidates.
func TestRegistryHostileReferrers(t *testing.T) {
	ctx := context.Background()
	reg := sigtest.NewRegistry(t, false)
	img := reg.Push(t, "team/app", "1")
	other := reg.Push(t, "team/app", "2")
	empty := reg.PutBlob(t, "team/app", []byte("{}"))
	manifest := func(config, layerType, layer string, subject sigtest.Image) []byte {
		m := map[string]any{
			"schemaVersion": 2, "mediaType": string(types.OCIManifestSchema1),
			"config":  map[string]any{"mediaType": config, "digest": empty, "size": 2},
			"layers":  []any{map[string]any{"mediaType": layerType, "digest": layer, "size": 7}},
			"subject": map[string]any{"mediaType": string(subject.Descriptor.MediaType), "digest": subject.Digest, "size": subject.Descriptor.Size},
		}
		b, _ := json.Marshal(m)
		return b
	}
	garbage := reg.PutBlob(t, "team/app", []byte("garbage"))
	// Pushed by digest, the manifests update the subject's referrers tag.
	sbom := reg.PutManifest(t, "team/app", "", types.OCIManifestSchema1, manifest("application/spdx+json", "application/spdx+json", garbage, img))
	bad := reg.PutManifest(t, "team/app", "", types.OCIManifestSchema1, manifest(signature.MediaTypeEmpty, sigtest.BundleMediaType, garbage, img))
	lying := reg.PutManifest(t, "team/app", "", types.OCIManifestSchema1, manifest(signature.MediaTypeEmpty, sigtest.BundleMediaType, garbage, other))
	// Rewrite img's referrers tag to also list the manifest about the other image.
	index := fmt.Sprintf(`{"schemaVersion":2,"mediaType":%q,"manifests":[
		{"mediaType":%q,"digest":%q,"size":400,"artifactType":"application/spdx+json"},
		{"mediaType":%q,"digest":%q,"size":%d,"artifactType":%q},
		{"mediaType":%q,"digest":%q,"size":%d,"artifactType":%q}]}`,
		types.OCIImageIndex,
		types.OCIManifestSchema1, sbom,
		types.OCIManifestSchema1, bad, 400, sigtest.BundleMediaType,
		types.OCIManifestSchema1, lying, 400, sigtest.BundleMediaType)
	reg.PutManifest(t, "team/app", strings.Replace(img.Digest, ":", "-", 1), types.OCIImageIndex, []byte(index))

	st := signature.NewRegistryStore(signature.RegistryOptions{Insecure: []string{reg.Host}})
	cs, err := st.Signatures(ctx, img.Repo, img.Digest)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 2 {
		t.Fatalf("%d candidates: %+v", len(cs), cs)
	}
	for i, want := range []string{"bundle", "subject is " + other.Digest} {
		if cs[i].Kind != signature.KindBundle || cs[i].Err == nil || !strings.Contains(cs[i].Err.Error(), want) {
			t.Errorf("candidate %d: %s %v, want an error with %q", i, cs[i].Source, cs[i].Err, want)
		}
	}
}

// TestRegistryUnreachable: a registry that fails is an error (the image is
// unchecked), not "no signature".
func TestRegistryUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v2/" {
			w.WriteHeader(http.StatusOK)
			return
		}
		http.Error(w, "down", http.StatusInternalServerError)
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	st := signature.NewRegistryStore(signature.RegistryOptions{Insecure: []string{host}})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, _, err := st.Resolve(ctx, host+"/team/app:1"); err == nil {
		t.Error("Resolve: no error")
	}
	if _, err := st.Signatures(ctx, host+"/team/app", "sha256:"+strings.Repeat("ab", 32)); err == nil {
		t.Error("Signatures: no error")
	}
}

// BenchmarkRegistrySignatures reads the candidates of an image with a bundle
// signature, a bundle attestation, two legacy signatures and a legacy attestation
// from the loopback registry.
func BenchmarkRegistrySignatures(b *testing.B) {
	ss := sigtest.NewSigstore(b)
	reg := sigtest.NewRegistry(b, true)
	img := reg.Push(b, "team/app", "1")
	s := ss.Keyless(testIssuer, testSubject)
	reg.Attach(b,
		s.Sign(b, img, sigtest.Options{}),
		s.Attest(b, img, slsa, map[string]any{}, sigtest.Options{}),
		s.Sign(b, img, sigtest.Options{Legacy: true}),
		s.Sign(b, img, sigtest.Options{Legacy: true}),
		s.Attest(b, img, slsa, map[string]any{}, sigtest.Options{Legacy: true}),
	)
	st := signature.NewRegistryStore(signature.RegistryOptions{Insecure: []string{reg.Host}})
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		cs, err := st.Signatures(ctx, img.Repo, img.Digest)
		if err != nil || len(cs) != 5 {
			b.Fatal(len(cs), err)
		}
	}
}

// BenchmarkLayoutSignatures is BenchmarkRegistrySignatures over an OCI layout.
func BenchmarkLayoutSignatures(b *testing.B) {
	ss := sigtest.NewSigstore(b)
	l := sigtest.NewLayout(b)
	img := l.Add(b, "registry.example.com/team/app:1")
	s := ss.Keyless(testIssuer, testSubject)
	l.Attach(b,
		s.Sign(b, img, sigtest.Options{}),
		s.Attest(b, img, slsa, map[string]any{}, sigtest.Options{}),
		s.Sign(b, img, sigtest.Options{Legacy: true}),
		s.Sign(b, img, sigtest.Options{Legacy: true}),
		s.Attest(b, img, slsa, map[string]any{}, sigtest.Options{Legacy: true}),
	)
	st, err := signature.OpenLayout(l.Dir)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		cs, err := st.Signatures(ctx, img.Repo, img.Digest)
		if err != nil || len(cs) != 5 {
			b.Fatal(len(cs), err)
		}
	}
}

// TestRegistryInsecure: a plain-HTTP registry is reached only when its host is in
// RegistryOptions.Insecure (127.0.0.2: go-containerregistry reaches 127.0.0.1 over
// HTTP by itself).
func TestRegistryInsecure(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("no 127.0.0.2 here: %v", err)
	}
	srv := httptest.NewUnstartedServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	ref, err := name.ParseReference(host+"/plain/app:1", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	img, err := random.Image(64, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, _, err := signature.NewRegistryStore(signature.RegistryOptions{}).Resolve(ctx, ref.String()); err == nil {
		t.Fatal("plain HTTP without Insecure")
	}
	st := signature.NewRegistryStore(signature.RegistryOptions{Insecure: []string{host}})
	repo, digest, err := st.Resolve(ctx, ref.String())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Signatures(ctx, repo, digest); err != nil {
		t.Fatal(err)
	}
}

package signature_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/sigstore/sigstore-go/pkg/verify"

	"github.com/palisade-k8s/palisade/internal/signature"
	"github.com/palisade-k8s/palisade/internal/signature/sigtest"
)

// Tests of the registry and layout stores over artifacts made by sigtest in cosign's
// formats. The candidates they find are verified with sigstore-go directly (the
// policy verifier is tested on its own).

const (
	testIssuer  = "https://token.actions.githubusercontent.com"
	testSubject = "https://github.com/example/app/.github/workflows/release.yml@refs/tags/v1.0.0"
	slsa        = "https://slsa.dev/provenance/v1"
)

// verifyKeyless verifies a keyless candidate with sigstore-go: bound to digest
// (bundles and attestations through the statement subject, simple-signing through
// the payload), logged, of the test identity.
func verifyKeyless(t *testing.T, ss *sigtest.Sigstore, c signature.Candidate, digest string) error {
	t.Helper()
	if c.Err != nil {
		return c.Err
	}
	v, err := verify.NewVerifier(ss.TrustedRoot, verify.WithTransparencyLog(1), verify.WithIntegratedTimestamps(1))
	if err != nil {
		t.Fatal(err)
	}
	id, err := verify.NewShortCertificateIdentity(testIssuer, "", "", "^https://github.com/example/")
	if err != nil {
		t.Fatal(err)
	}
	var art verify.ArtifactPolicyOption
	if c.Kind == signature.KindSimpleSigning {
		if !bytes.Contains(c.Payload, []byte(digest)) {
			t.Fatalf("%s: payload %s does not name %s", c.Source, c.Payload, digest)
		}
		art = verify.WithArtifact(bytes.NewReader(c.Payload))
	} else {
		raw, _ := hex.DecodeString(strings.TrimPrefix(digest, "sha256:"))
		art = verify.WithArtifactDigest("sha256", raw)
	}
	_, err = v.Verify(c.Entity, verify.NewPolicy(art, verify.WithCertificateIdentity(id)))
	return err
}

// kinds counts the candidates of each kind, and fails on a malformed one.
func kinds(t *testing.T, cs []signature.Candidate) map[signature.Kind]int {
	t.Helper()
	n := map[signature.Kind]int{}
	for _, c := range cs {
		if c.Err != nil {
			t.Errorf("%s: %v", c.Source, c.Err)
		}
		n[c.Kind]++
	}
	return n
}

// signAll attaches every form to img: a bundle signature, two legacy signatures, a
// bundle attestation and a legacy attestation.
func signAll(t *testing.T, attach func(testing.TB, ...sigtest.Artifact), ss *sigtest.Sigstore, img sigtest.Image) {
	s := ss.Keyless(testIssuer, testSubject)
	pred := map[string]any{"buildDefinition": map[string]any{"buildType": "https://example.com/build"}}
	attach(t,
		s.Sign(t, img, sigtest.Options{}),
		s.Sign(t, img, sigtest.Options{Legacy: true}),
		s.Sign(t, img, sigtest.Options{Legacy: true, Timestamp: true}),
		s.Attest(t, img, slsa, pred, sigtest.Options{}),
		s.Attest(t, img, slsa, pred, sigtest.Options{Legacy: true}),
	)
}

func checkAll(t *testing.T, ss *sigtest.Sigstore, cs []signature.Candidate, digest string) {
	t.Helper()
	n := kinds(t, cs)
	if n[signature.KindBundle] != 2 || n[signature.KindSimpleSigning] != 2 || n[signature.KindLegacyAttestation] != 1 || len(cs) != 5 {
		t.Fatalf("candidates: %v", n)
	}
	for _, c := range cs {
		if err := verifyKeyless(t, ss, c, digest); err != nil {
			t.Errorf("%s (%s): %v", c.Source, c.Kind, err)
		}
	}
}

func TestRegistrySignatures(t *testing.T) {
	ss := sigtest.NewSigstore(t)
	for _, referrers := range []bool{true, false} {
		name := "referrers API"
		if !referrers {
			name = "referrers tag schema"
		}
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			reg := sigtest.NewRegistry(t, referrers)
			img := reg.Push(t, "team/app", "1")
			signAll(t, reg.Attach, ss, img)
			st := signature.NewRegistryStore(signature.RegistryOptions{Insecure: []string{reg.Host}})
			repo, digest, err := st.Resolve(ctx, img.Ref)
			if err != nil || repo != img.Repo || digest != img.Digest {
				t.Fatalf("Resolve(%s) = %s %s %v, want %s %s", img.Ref, repo, digest, err, img.Repo, img.Digest)
			}
			cs, err := st.Signatures(ctx, repo, digest)
			if err != nil {
				t.Fatal(err)
			}
			checkAll(t, ss, cs, img.Digest)
			var sources []string
			for _, c := range cs {
				sources = append(sources, c.Source)
			}
			want := []string{"referrer sha256:", "referrer sha256:", "tag sha256-" + img.Digest[7:19] + "....sig layer 1", "tag sha256-" + img.Digest[7:19] + "....sig layer 2", "tag sha256-" + img.Digest[7:19] + "....att layer 1"}
			for i, w := range want {
				if !strings.HasPrefix(sources[i], w) {
					t.Errorf("sources %q, want %q", sources, want)
					break
				}
			}

			// Nothing attached: no candidates, no error.
			other := reg.Push(t, "team/app", "2")
			cs, err = st.Signatures(ctx, other.Repo, other.Digest)
			if err != nil || len(cs) != 0 {
				t.Fatalf("unsigned: %d candidates, %v", len(cs), err)
			}
		})
	}
}

func TestRegistryResolve(t *testing.T) {
	ctx := context.Background()
	reg := sigtest.NewRegistry(t, true)
	img := reg.Push(t, "team/app", "1")
	idx := reg.PushIndex(t, "team/multi", "1")
	st := signature.NewRegistryStore(signature.RegistryOptions{Insecure: []string{reg.Host}})
	pinned := "sha256:" + strings.Repeat("ab", 32)
	for _, c := range []struct{ ref, repo, digest string }{
		{img.Ref, img.Repo, img.Digest},
		{img.Pinned, img.Repo, img.Digest},
		{idx.Ref, idx.Repo, idx.Digest}, // the index's digest, as cosign signs it
		// Pinned references are not looked up (the host does not exist).
		{"nginx@" + pinned, "docker.io/library/nginx", pinned},
		{"registry.invalid/a/b:1@" + pinned, "registry.invalid/a/b", pinned},
	} {
		repo, digest, err := st.Resolve(ctx, c.ref)
		if err != nil || repo != c.repo || digest != c.digest {
			t.Errorf("Resolve(%s) = %s %s %v, want %s %s", c.ref, repo, digest, err, c.repo, c.digest)
		}
	}
	for _, ref := range []string{reg.Host + "/team/app:missing", "Bad/Ref", "nginx@sha256:abc"} {
		if _, _, err := st.Resolve(ctx, ref); err == nil {
			t.Errorf("Resolve(%s): no error", ref)
		}
	}
}

func TestParseReference(t *testing.T) {
	for _, c := range []struct{ ref, repo, tag, digest string }{
		{"nginx", "docker.io/library/nginx", "latest", ""},
		{"nginx:1.27", "docker.io/library/nginx", "1.27", ""},
		{"ghcr.io/example/app:v1", "ghcr.io/example/app", "v1", ""},
		{"localhost:5000/app", "localhost:5000/app", "latest", ""},
		{"example/app@sha256:" + strings.Repeat("0", 64), "docker.io/example/app", "", "sha256:" + strings.Repeat("0", 64)},
	} {
		repo, tag, digest, err := signature.ParseReference(c.ref)
		if err != nil || repo != c.repo || tag != c.tag || digest != c.digest {
			t.Errorf("ParseReference(%s) = %s %s %s %v", c.ref, repo, tag, digest, err)
		}
	}
}

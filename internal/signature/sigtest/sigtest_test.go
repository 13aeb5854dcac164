package sigtest

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/tlog"
	"github.com/sigstore/sigstore-go/pkg/verify"
	sigsig "github.com/sigstore/sigstore/pkg/signature"

	"github.com/palisade-k8s/palisade/internal/signature"
)

const (
	testIssuer  = "https://token.actions.githubusercontent.com"
	testSubject = "https://github.com/example/app/.github/workflows/release.yml@refs/tags/v1.0.0"
)

func keyMaterial(t *testing.T, k *Key) root.TrustedMaterial {
	t.Helper()
	v, err := sigsig.LoadVerifier(k.Public, crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	return root.NewTrustedPublicKeyMaterial(func(string) (root.TimeConstrainedVerifier, error) {
		return root.NewExpiringKey(v, time.Time{}, time.Time{}), nil
	})
}

// verifyBundle verifies a bundle artifact with sigstore-go: bound to digest, signed
// by k (or the keyless identity when k is nil).
func verifyBundle(t *testing.T, ss *Sigstore, k *Key, a Artifact, digest string, tlogs bool) error {
	t.Helper()
	var b bundle.Bundle
	if err := b.UnmarshalJSON(a.Data); err != nil {
		return err
	}
	var tm root.TrustedMaterial = ss.TrustedRoot
	opts := []verify.VerifierOption{}
	if tlogs {
		opts = append(opts, verify.WithTransparencyLog(1), verify.WithIntegratedTimestamps(1))
	} else {
		opts = append(opts, verify.WithCurrentTime())
	}
	var pol verify.PolicyOption
	if k != nil {
		tm = root.TrustedMaterialCollection{ss.TrustedRoot, keyMaterial(t, k)}
		pol = verify.WithKey()
	} else {
		id, err := verify.NewShortCertificateIdentity(testIssuer, "", "", "^https://github.com/example/")
		if err != nil {
			t.Fatal(err)
		}
		pol = verify.WithCertificateIdentity(id)
	}
	v, err := verify.NewVerifier(tm, opts...)
	if err != nil {
		t.Fatal(err)
	}
	_, hexd, _ := strings.Cut(digest, ":")
	raw, _ := hex.DecodeString(hexd)
	_, err = v.Verify(&b, verify.NewPolicy(verify.WithArtifactDigest("sha256", raw), pol))
	return err
}

func TestTrustedRoot(t *testing.T) {
	ss := NewSigstore(t)
	tr, err := root.NewTrustedRootFromPath(ss.TrustedRootPath)
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.FulcioCertificateAuthorities()) != 1 || len(tr.RekorLogs()) != 1 || len(tr.TimestampingAuthorities()) != 1 || len(tr.CTLogs()) != 1 {
		t.Fatalf("trusted root: %d CAs, %d logs, %d TSAs, %d CT logs", len(tr.FulcioCertificateAuthorities()), len(tr.RekorLogs()), len(tr.TimestampingAuthorities()), len(tr.CTLogs()))
	}
}

// TestBundles: bundles made by sigtest verify with sigstore-go, keyed and keyless, and
// every tampering knob makes them fail.
func TestBundles(t *testing.T) {
	ss := NewSigstore(t)
	img := Image{Repo: "registry.example.com/app", Digest: "sha256:" + strings.Repeat("ab", 32)}
	other := "sha256:" + strings.Repeat("cd", 32)
	keys := map[KeyAlg]*Key{}
	for _, alg := range []KeyAlg{ECDSAP256, Ed25519, RSA} {
		keys[alg] = NewKey(t, alg)
	}
	type tc struct {
		name  string
		s     Signer
		o     Options
		tlogs bool
		ok    bool
	}
	cases := []tc{
		{"keyless", ss.Keyless(testIssuer, testSubject), Options{}, true, true},
		{"keyless v0.2", ss.Keyless(testIssuer, testSubject), Options{BundleVersion: "v0.2"}, true, true},
		{"keyless v0.1", ss.Keyless(testIssuer, testSubject), Options{BundleVersion: "v0.1"}, true, true},
		{"keyless timestamp", ss.Keyless(testIssuer, testSubject), Options{Timestamp: true}, true, true},
		{"keyless another identity", ss.Keyless(testIssuer, "https://github.com/evil/app"), Options{}, true, false},
		{"keyless another issuer", ss.Keyless("https://accounts.google.com", testSubject), Options{}, true, false},
		{"keyless another digest", ss.Keyless(testIssuer, testSubject), Options{Digest: other}, true, false},
		{"keyless modified payload", ss.Keyless(testIssuer, testSubject), Options{ModifyPayload: true}, true, false},
		{"keyless no tlog", ss.Keyless(testIssuer, testSubject), Options{NoTlog: true}, true, false},
		{"keyless expired", ss.Keyless(testIssuer, testSubject), Options{Expired: true}, true, false},
		{"keyless past, logged in time", ss.Keyless(testIssuer, testSubject), Options{CertNotBefore: time.Now().Add(-3 * time.Hour)}, true, true},
	}
	for alg, k := range keys {
		cases = append(cases,
			tc{"key " + string(alg), Signer{Key: k}, Options{}, false, true},
			tc{"key logged " + string(alg), ss.Keyed(k), Options{}, true, true},
			tc{"key another digest " + string(alg), Signer{Key: k}, Options{Digest: other}, false, false},
			tc{"key modified " + string(alg), Signer{Key: k}, Options{ModifyPayload: true}, false, false},
			tc{"key no tlog " + string(alg), ss.Keyed(k), Options{NoTlog: true}, true, false},
		)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := c.s.Sign(t, img, c.o)
			if a.Kind != signature.KindBundle || a.PredicateType != CosignSignPredicateType {
				t.Fatalf("artifact %s %s", a.Kind, a.PredicateType)
			}
			err := verifyBundle(t, ss, c.s.Key, a, img.Digest, c.tlogs)
			if (err == nil) != c.ok {
				t.Fatalf("verified: %v, want ok %v", err, c.ok)
			}
		})
	}
	t.Run("wrong key", func(t *testing.T) {
		a := Signer{Key: keys[ECDSAP256]}.Sign(t, img, Options{})
		if err := verifyBundle(t, ss, NewKey(t, ECDSAP256), a, img.Digest, false); err == nil {
			t.Fatal("verified with another key")
		}
	})
	t.Run("attestation", func(t *testing.T) {
		a := ss.Keyless(testIssuer, testSubject).Attest(t, img, "https://slsa.dev/provenance/v1", map[string]any{"buildDefinition": map[string]any{"buildType": "x"}}, Options{})
		if err := verifyBundle(t, ss, nil, a, img.Digest, true); err != nil {
			t.Fatal(err)
		}
		if a.Annotations[AnnotationBundlePredicateType] != "https://slsa.dev/provenance/v1" {
			t.Fatal(a.Annotations)
		}
	})
}

// TestLegacy: legacy artifacts carry cosign's annotations; the signature verifies over
// the payload and the signed entry timestamp over the log entry.
func TestLegacy(t *testing.T) {
	ss := NewSigstore(t)
	img := Image{Repo: "registry.example.com/app", Digest: "sha256:" + strings.Repeat("ab", 32)}
	k := NewKey(t, ECDSAP256)
	for _, c := range []struct {
		name string
		s    Signer
		o    Options
	}{
		{"keyless", ss.Keyless(testIssuer, testSubject), Options{Legacy: true, Timestamp: true}},
		{"keyed", ss.Keyed(k), Options{Legacy: true}},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := c.s.Sign(t, img, c.o)
			if a.Kind != signature.KindSimpleSigning || a.MediaType != SimpleSigningMediaType || a.Tag() != "sha256-"+strings.Repeat("ab", 32)+".sig" {
				t.Fatalf("%+v", a)
			}
			var p simpleSigning
			if err := json.Unmarshal(a.Data, &p); err != nil || p.Critical.Image.DockerManifestDigest != img.Digest {
				t.Fatalf("payload %s: %v", a.Data, err)
			}
			sig, err := base64.StdEncoding.DecodeString(a.Annotations[AnnotationSignature])
			if err != nil {
				t.Fatal(err)
			}
			pub := k.Public
			if c.s.Key == nil {
				blk, _ := pem.Decode([]byte(a.Annotations[AnnotationCertificate]))
				cert, err := x509.ParseCertificate(blk.Bytes)
				if err != nil {
					t.Fatal(err)
				}
				pub = cert.PublicKey
				if !strings.Contains(a.Annotations[AnnotationChain], "CERTIFICATE") || a.Annotations[AnnotationRFC3161] == "" {
					t.Fatal(a.Annotations)
				}
			}
			v, err := sigsig.LoadVerifier(pub, crypto.SHA256)
			if err != nil {
				t.Fatal(err)
			}
			if err := v.VerifySignature(bytes.NewReader(sig), bytes.NewReader(a.Data)); err != nil {
				t.Fatal(err)
			}
			var rb struct {
				SignedEntryTimestamp []byte
				Payload              struct {
					Body           string `json:"body"`
					IntegratedTime int64  `json:"integratedTime"`
					LogIndex       int64  `json:"logIndex"`
					LogID          string `json:"logID"`
				}
			}
			if err := json.Unmarshal([]byte(a.Annotations[AnnotationBundle]), &rb); err != nil {
				t.Fatal(err)
			}
			body, _ := base64.StdEncoding.DecodeString(rb.Payload.Body)
			id, _ := hex.DecodeString(rb.Payload.LogID)
			e, err := tlog.NewEntry(body, rb.Payload.IntegratedTime, rb.Payload.LogIndex, id, rb.SignedEntryTimestamp, nil) //nolint:staticcheck // cosign's SET bundle is a v1 entry
			if err != nil {
				t.Fatal(err)
			}
			if err := tlog.VerifySET(e, ss.TrustedRoot.RekorLogs()); err != nil {
				t.Fatal(err)
			}
		})
	}
	t.Run("attestation", func(t *testing.T) {
		a := ss.Keyed(k).Attest(t, img, "https://slsa.dev/provenance/v1", map[string]any{}, Options{Legacy: true})
		if a.Kind != signature.KindLegacyAttestation || a.MediaType != DSSEMediaType || !strings.HasSuffix(a.Tag(), ".att") || a.Annotations[AnnotationBundle] == "" || a.Annotations["predicateType"] == "" {
			t.Fatalf("%+v", a)
		}
		var env dsseEnvelope
		if err := json.Unmarshal(a.Data, &env); err != nil {
			t.Fatal(err)
		}
		v, _ := sigsig.LoadVerifier(k.Public, crypto.SHA256)
		if err := v.VerifySignature(bytes.NewReader(env.Signatures[0].Sig), bytes.NewReader(PAE(env.PayloadType, env.Payload))); err != nil {
			t.Fatal(err)
		}
	})
}

// TestAttach: artifacts attached to a registry (with and without the referrers API)
// and to a layout are where cosign puts them.
func TestAttach(t *testing.T) {
	ss := NewSigstore(t)
	for _, referrers := range []bool{true, false} {
		r := NewRegistry(t, referrers)
		img := r.Push(t, "team/app", "1")
		s := ss.Keyless(testIssuer, testSubject)
		r.Sign(t, img, s, Options{})
		r.Sign(t, img, s, Options{Legacy: true})
		r.Sign(t, img, s, Options{Legacy: true})
		r.Attest(t, img, s, "https://slsa.dev/provenance/v1", map[string]any{}, Options{Legacy: true})
		d, err := name.NewDigest(img.Pinned, name.Insecure)
		if err != nil {
			t.Fatal(err)
		}
		idx, err := remote.Referrers(d)
		if err != nil {
			t.Fatal(err)
		}
		im, _ := idx.IndexManifest()
		// go-containerregistry's registry reports the config's media type as the
		// artifactType (real registries report the manifest's artifactType); the
		// tag schema keeps the manifest's.
		want := BundleMediaType
		if referrers {
			want = "application/vnd.oci.empty.v1+json"
		}
		if len(im.Manifests) != 1 || im.Manifests[0].ArtifactType != want {
			t.Fatalf("referrers (api %v): %+v", referrers, im.Manifests)
		}
		sig, err := remote.Image(d.Context().Tag(strings.Replace(img.Digest, ":", "-", 1) + ".sig"))
		if err != nil {
			t.Fatal(err)
		}
		if ls, _ := sig.Layers(); len(ls) != 2 {
			t.Fatalf("%d .sig layers", len(ls))
		}
		idxImg := r.PushIndex(t, "team/multi", "1")
		r.Sign(t, idxImg, s, Options{})
	}
	l := NewLayout(t)
	img := l.Add(t, "registry.example.com/team/app:1")
	l.Sign(t, img, ss.Keyless(testIssuer, testSubject), Options{})
	l.Sign(t, img, ss.Keyless(testIssuer, testSubject), Options{Legacy: true})
	l.Sign(t, img, ss.Keyless(testIssuer, testSubject), Options{Legacy: true})
	b, err := os.ReadFile(filepath.Join(l.Dir, "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	var index struct {
		Manifests []struct {
			ArtifactType string            `json:"artifactType"`
			Annotations  map[string]string `json:"annotations"`
		} `json:"manifests"`
	}
	if err := json.Unmarshal(b, &index); err != nil {
		t.Fatal(err)
	}
	if len(index.Manifests) != 3 || index.Manifests[1].ArtifactType != BundleMediaType ||
		index.Manifests[2].Annotations[RefNameAnnotation] != "registry.example.com/team/app:"+strings.Replace(img.Digest, ":", "-", 1)+".sig" {
		t.Fatalf("index.json: %s", b)
	}
}

package signature_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/palisade-k8s/palisade/internal/signature"
	"github.com/palisade-k8s/palisade/internal/signature/sigtest"
)

const (
	e2eIssuer  = "https://token.actions.githubusercontent.com"
	e2eSubject = "https://github.com/example/app/.github/workflows/release.yml@refs/tags/v1.0.0"
	e2eSLSA    = "https://slsa.dev/provenance/v1"
)

// TestVerifyEndToEnd verifies artifacts in cosign's formats (sigtest: legacy .sig and
// .att tags, Sigstore bundle referrers, with and without the referrers API) read from
// a loopback registry, against a policy on disk (keys, trusted_root.json), over the
// tampering cases: every one fails with its reason.
func TestVerifyEndToEnd(t *testing.T) {
	ss := sigtest.NewSigstore(t)
	key := sigtest.NewKey(t, sigtest.ECDSAP256)
	otherKey := sigtest.NewKey(t, sigtest.ECDSAP256)
	keyless := ss.Keyless(e2eIssuer, e2eSubject)
	// The virtual certificates carry no SCTs: the trusted root without its CT log
	// (Palisade demands SCTs of a root that lists CT logs, as cosign does).
	var tr map[string]any
	if err := json.Unmarshal(ss.TrustedRootJSON, &tr); err != nil {
		t.Fatal(err)
	}
	delete(tr, "ctlogs")
	rootJSON, _ := json.Marshal(tr)
	rootPath := filepath.Join(t.TempDir(), "trusted_root.json")
	if err := os.WriteFile(rootPath, rootJSON, 0o600); err != nil {
		t.Fatal(err)
	}
	pred := map[string]any{"buildDefinition": map[string]any{"buildType": "https://example.com/build/v1"}}

	policy := func(tlog string, attest bool) signature.Policy {
		keyed := signature.Requirement{Match: []string{"**/keyed/**"}, Keys: []string{filepath.Base(key.Path)}, TransparencyLog: tlog, Line: 2}
		kl := signature.Requirement{Match: []string{"**/keyless/**"}, Keyless: &signature.Keyless{Issuer: e2eIssuer, Subject: `^https://github\.com/example/`}, Line: 5}
		if attest {
			a := []signature.Attestation{{PredicateType: e2eSLSA, Condition: `predicate.buildDefinition.buildType == "https://example.com/build/v1"`, Line: 8}}
			keyed.Attestations, kl.Attestations = a, a
		}
		return signature.Policy{Verify: []signature.Requirement{keyed, kl}, TrustedRoot: rootPath}
	}

	type sign func(img sigtest.Image, legacy bool) []sigtest.Artifact
	signWith := func(s sigtest.Signer, o sigtest.Options) sign {
		return func(img sigtest.Image, legacy bool) []sigtest.Artifact {
			o.Legacy = legacy
			return []sigtest.Artifact{s.Sign(t, img, o)}
		}
	}
	withAttestation := func(s sigtest.Signer, o sigtest.Options, predicate any) sign {
		return func(img sigtest.Image, legacy bool) []sigtest.Artifact {
			o.Legacy = legacy
			return []sigtest.Artifact{s.Sign(t, img, sigtest.Options{Legacy: legacy}), s.Attest(t, img, e2eSLSA, predicate, o)}
		}
	}
	for _, tc := range []struct {
		name    string
		repo    string // keyed/... or keyless/...
		tlog    string
		attest  bool
		sign    sign
		allowed bool
		reason  signature.Reason
	}{
		{"keyed", "keyed/app", signature.TlogRequired, false, signWith(ss.Keyed(key), sigtest.Options{}), true, ""},
		{"keyed without log, skip", "keyed/app", signature.TlogSkip, false, signWith(ss.Keyed(key), sigtest.Options{NoTlog: true}), true, ""},
		{"keyed without log, required", "keyed/app", signature.TlogRequired, false, signWith(ss.Keyed(key), sigtest.Options{NoTlog: true}), false, signature.MissingTlog},
		{"keyed by another key", "keyed/app", signature.TlogSkip, false, signWith(ss.Keyed(otherKey), sigtest.Options{}), false, signature.UntrustedKey},
		{"keyed over another digest", "keyed/app", signature.TlogSkip, false, signWith(ss.Keyed(key), sigtest.Options{Digest: "sha256:" + sixtyFour("a")}), false, signature.DigestMismatch},
		{"keyless", "keyless/app", "", false, signWith(keyless, sigtest.Options{}), true, ""},
		{"keyless with a timestamp", "keyless/app", "", false, signWith(keyless, sigtest.Options{Timestamp: true}), true, ""},
		{"keyless, v0.1 bundle with a signed entry timestamp only", "keyless/app", "", false, signWith(keyless, sigtest.Options{NoInclusionProof: true, BundleVersion: "v0.1"}), true, ""},
		{"keyless, another subject", "keyless/app", "", false, signWith(ss.Keyless(e2eIssuer, "https://github.com/evil/app/x@refs/heads/main"), sigtest.Options{}), false, signature.WrongIdentity},
		{"keyless, another issuer", "keyless/app", "", false, signWith(ss.Keyless("https://accounts.google.com", e2eSubject), sigtest.Options{}), false, signature.WrongIdentity},
		{"keyless over another digest", "keyless/app", "", false, signWith(keyless, sigtest.Options{Digest: "sha256:" + sixtyFour("b")}), false, signature.DigestMismatch},
		{"keyless, modified payload", "keyless/app", "", false, signWith(keyless, sigtest.Options{ModifyPayload: true}), false, signature.BadSignature},
		{"keyless without log", "keyless/app", "", false, signWith(keyless, sigtest.Options{NoTlog: true, Timestamp: true}), false, signature.MissingTlog},
		{"keyless, expired certificate", "keyless/app", "", false, signWith(keyless, sigtest.Options{Expired: true}), false, signature.CertificateExpired},
		{"keyless, expired now but logged in time", "keyless/app", "", false, signWith(keyless, sigtest.Options{CertNotBefore: time.Now().Add(-3 * time.Hour)}), true, ""},
		{"unsigned", "keyless/app", "", false, func(sigtest.Image, bool) []sigtest.Artifact { return nil }, false, signature.NoSignature},
		{"keyed, attested", "keyed/app", signature.TlogSkip, true, withAttestation(ss.Keyed(key), sigtest.Options{NoTlog: true}, pred), true, ""},
		{"keyless, attested", "keyless/app", "", true, withAttestation(keyless, sigtest.Options{}, pred), true, ""},
		{"keyless, attestation fails its condition", "keyless/app", "", true, withAttestation(keyless, sigtest.Options{}, map[string]any{"buildDefinition": map[string]any{"buildType": "other"}}), false, signature.ConditionFailed},
		{"keyless, attestation missing", "keyless/app", "", true, signWith(keyless, sigtest.Options{}), false, signature.MissingAttestation},
	} {
		for _, form := range []struct {
			name              string
			legacy, referrers bool
		}{{"legacy tag", true, true}, {"bundle referrer", false, true}, {"bundle tag schema", false, false}} {
			t.Run(tc.name+"/"+form.name, func(t *testing.T) {
				if tc.name == "keyless, v0.1 bundle with a signed entry timestamp only" && form.legacy {
					t.Skip("legacy signatures have no inclusion proof anyway")
				}
				reg := sigtest.NewRegistry(t, form.referrers)
				img := reg.Push(t, tc.repo, "v1")
				if arts := tc.sign(img, form.legacy); len(arts) > 0 {
					reg.Attach(t, arts...)
				}
				v, err := signature.New(policy(tc.tlog, tc.attest), signature.Options{Dir: filepath.Dir(key.Path), File: ".palisade.yaml"})
				if err != nil {
					t.Fatal(err)
				}
				store := signature.NewRegistryStore(signature.RegistryOptions{Insecure: []string{reg.Host}})
				res := v.Verify(context.Background(), store, img.Ref, "")
				t.Log(res.Summary())
				if res.Allowed != tc.allowed {
					t.Fatalf("Allowed = %v, want %v: %s", res.Allowed, tc.allowed, res.Summary())
				}
				if res.Digest != img.Digest || res.Name != img.Repo {
					t.Errorf("resolved %s@%s, want %s", res.Name, res.Digest, img.Pinned)
				}
				if tc.reason != "" {
					if fs := res.Failures(); len(fs) == 0 || fs[0].Reason != tc.reason {
						t.Fatalf("failures = %+v, want %s", fs, tc.reason)
					}
				}
			})
		}
	}
}

// TestVerifyLayout verifies an air-gapped OCI layout: images and their signatures
// (a keyless bundle referrer, a keyed legacy tag, an attestation) and nothing else
// but the trusted root and the key.
func TestVerifyLayout(t *testing.T) {
	ss := sigtest.NewSigstore(t)
	key := sigtest.NewKey(t, sigtest.Ed25519)
	var tr map[string]any
	if err := json.Unmarshal(ss.TrustedRootJSON, &tr); err != nil {
		t.Fatal(err)
	}
	delete(tr, "ctlogs")
	rootJSON, _ := json.Marshal(tr)
	rootPath := filepath.Join(t.TempDir(), "trusted_root.json")
	if err := os.WriteFile(rootPath, rootJSON, 0o600); err != nil {
		t.Fatal(err)
	}
	l := sigtest.NewLayout(t)
	signed := l.Add(t, "registry.example.com/keyless/app:v1")
	keyed := l.Add(t, "registry.example.com/keyed/app:v1")
	unsigned := l.Add(t, "registry.example.com/keyless/other:v1")
	keyless := ss.Keyless(e2eIssuer, e2eSubject)
	l.Attach(t,
		keyless.Sign(t, signed, sigtest.Options{}),
		keyless.Attest(t, signed, e2eSLSA, map[string]any{"ok": true}, sigtest.Options{}),
		ss.Keyed(key).Sign(t, keyed, sigtest.Options{Legacy: true, NoTlog: true}),
	)
	p := signature.Policy{Verify: []signature.Requirement{
		{Match: []string{"registry.example.com/keyed/**"}, Keys: []string{filepath.Base(key.Path)}, TransparencyLog: signature.TlogSkip},
		{Match: []string{"registry.example.com/keyless/**"}, Keyless: &signature.Keyless{Issuer: e2eIssuer, Subject: `^https://github\.com/example/`},
			Attestations: []signature.Attestation{{PredicateType: e2eSLSA, Condition: "predicate.ok"}}},
	}, TrustedRoot: rootPath, Default: signature.DefaultDeny}
	v, err := signature.New(p, signature.Options{Dir: filepath.Dir(key.Path)})
	if err != nil {
		t.Fatal(err)
	}
	store, err := signature.OpenLayout(l.Dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		ref     string
		allowed bool
		reason  signature.Reason
	}{
		{signed.Ref, true, ""},
		{keyed.Ref, true, ""},
		{unsigned.Ref, false, signature.NoSignature},
		{"registry.example.com/elsewhere/app:v1", false, signature.NotMatched},
	} {
		res := v.Verify(context.Background(), store, tc.ref, "")
		t.Logf("%s: %s", tc.ref, res.Summary())
		if res.Allowed != tc.allowed {
			t.Errorf("%s: Allowed = %v: %s", tc.ref, res.Allowed, res.Summary())
		}
		if fs := res.Failures(); tc.reason != "" && (len(fs) == 0 || fs[0].Reason != tc.reason) {
			t.Errorf("%s: failures %+v, want %s", tc.ref, fs, tc.reason)
		}
	}
}

func sixtyFour(c string) string {
	out := ""
	for range 64 {
		out += c
	}
	return out
}

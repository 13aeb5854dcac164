package signature_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/palisade-k8s/palisade/internal/signature"
	"github.com/palisade-k8s/palisade/internal/signature/sigtest"
)

// The identity the keyless cases trust: a GitHub Actions release workflow.
const (
	ghIssuer  = "https://token.actions.githubusercontent.com"
	ghSubject = "https://github.com/example/payments/.github/workflows/release.yml@refs/tags/v1.2.0"
	ghPattern = `^https://github\.com/example/payments/\.github/workflows/.+@refs/tags/v.+$`
)

// TestCosignDifferentialSigtest is the differential over signatures made by sigtest
// as cosign stores them: keyless (the virtual Sigstore's certificate authority and
// transparency log), judged by cosign verify --trusted-root --offline and by Palisade
// with the same trusted_root.json and identity; and keyed with the other key
// algorithms cosign reads (Ed25519, RSA) and with a log entry of the virtual log.
func TestCosignDifferentialSigtest(t *testing.T) {
	c := newCosign(t)
	ss := sigtest.NewSigstore(t)
	sreg := sigtest.NewRegistry(t, true)
	reg := &loopRegistry{host: sreg.Host}
	dir := t.TempDir()
	// The policy's files, relative to its directory as in .palisade.yaml. The trusted
	// root leaves out the virtual Sigstore's CT log: its certificates carry no signed
	// certificate timestamps, so neither verifier may demand one (cosign
	// --insecure-ignore-sct; Palisade demands SCTs only of a root with CT logs).
	var tr map[string]any
	if err := json.Unmarshal(ss.TrustedRootJSON, &tr); err != nil {
		t.Fatal(err)
	}
	delete(tr, "ctlogs")
	trJSON, err := json.Marshal(tr)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "trusted_root.json"), trJSON, 0o600); err != nil {
		t.Fatal(err)
	}
	keyFile := func(f form, k *sigtest.Key) string {
		p := string(f) + "-" + string(k.Alg) + ".pub"
		if err := os.WriteFile(filepath.Join(dir, p), k.PEM, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}

	keylessArgs := []string{"--trusted-root", "trusted_root.json",
		"--certificate-identity-regexp", ghPattern, "--certificate-oidc-issuer", ghIssuer,
		"--insecure-ignore-sct=true", "--offline=true"}
	keylessPol := signature.Policy{
		Verify: []signature.Requirement{{
			Match:   []string{reg.host + "/**"},
			Keyless: &signature.Keyless{Issuer: ghIssuer, Subject: ghPattern},
			Line:    3,
		}},
		TrustedRoot: "trusted_root.json",
		Default:     signature.DefaultDeny,
	}

	var cases []diffCase
	n := 0
	// add pushes an image for one case, signs it with s (unless s is zero) and adds
	// the case.
	add := func(f form, caseName string, s sigtest.Signer, o sigtest.Options, args []string, pol signature.Policy, accept bool, reasons ...signature.Reason) {
		n++
		repo := fmt.Sprintf("sigtest/%s/case%d", f, n)
		img := sreg.Push(t, repo, "v1")
		if s != (sigtest.Signer{}) {
			o.Legacy = f == legacyForm
			if o.Digest == "other" {
				o.Digest = sreg.Push(t, repo+"-other", "v1").Digest
			}
			sreg.Sign(t, img, s, o)
		}
		ref, err := name.NewDigest(img.Pinned, name.Insecure)
		if err != nil {
			t.Fatal(err)
		}
		cases = append(cases, diffCase{name: caseName, form: f, ref: ref, cosignArgs: args, pol: pol,
			accept: accept, reasons: reasons})
	}

	good := ss.Keyless(ghIssuer, ghSubject)
	for _, f := range []form{legacyForm, bundleForm} {
		kl := func(caseName string, s sigtest.Signer, o sigtest.Options, accept bool, reasons ...signature.Reason) {
			add(f, "keyless: "+caseName, s, o, keylessArgs, keylessPol, accept, reasons...)
		}
		kl("signed", good, sigtest.Options{}, true)
		kl("signed, with a timestamp", good, sigtest.Options{Timestamp: true}, true)
		kl("another identity", ss.Keyless(ghIssuer, "https://github.com/attacker/payments/.github/workflows/release.yml@refs/tags/v1.2.0"), sigtest.Options{}, false, signature.WrongIdentity)
		kl("another issuer", ss.Keyless("https://accounts.example.com", ghSubject), sigtest.Options{}, false, signature.WrongIdentity)
		kl("another digest", good, sigtest.Options{Digest: "other"}, false, signature.DigestMismatch)
		// sigstore-go checks a bundle's log entry against the envelope before the
		// signature.
		kl("modified payload", good, sigtest.Options{ModifyPayload: true}, false, signature.BadSignature, signature.MissingTlog)
		kl("missing log entry", good, sigtest.Options{NoTlog: true}, false, signature.MissingTlog)
		kl("expired certificate", good, sigtest.Options{Expired: true}, false, signature.CertificateExpired)
		// Expired now, but logged while it was valid: the log's time is the verified
		// time, so both accept.
		kl("expired now, logged in validity", good, sigtest.Options{CertNotBefore: time.Now().Add(-2 * time.Hour), IntegratedTime: time.Now().Add(-2*time.Hour + time.Minute)}, true)
		// Logged after it expired, but timestamped (RFC 3161) while it was valid: the
		// certificate must be valid at every verified time, so both reject.
		kl("logged after expiry, timestamped", good, sigtest.Options{CertNotBefore: time.Now().Add(-time.Minute), IntegratedTime: time.Now().Add(20 * time.Minute), Timestamp: true}, false, signature.CertificateExpired)
		kl("unsigned", sigtest.Signer{}, sigtest.Options{}, false, signature.NoSignature)

		for _, alg := range []sigtest.KeyAlg{sigtest.ECDSAP256, sigtest.Ed25519, sigtest.RSA} {
			k := sigtest.NewKey(t, alg)
			pub := keyFile(f, k)
			noLog := []string{"--key", pub, "--insecure-ignore-tlog=true"}
			withLog := []string{"--key", pub, "--trusted-root", "trusted_root.json", "--offline=true"}
			add(f, "key "+string(alg)+", no log", sigtest.Signer{Key: k}, sigtest.Options{}, noLog,
				keyPolicy(reg, pub, signature.TlogSkip, ""), true)
			if alg == sigtest.ECDSAP256 {
				add(f, "key "+string(alg)+", logged", ss.Keyed(k), sigtest.Options{}, withLog,
					keyPolicy(reg, pub, signature.TlogRequired, "trusted_root.json"), true)
			}
			add(f, "key "+string(alg)+", modified", sigtest.Signer{Key: k}, sigtest.Options{ModifyPayload: true}, noLog,
				keyPolicy(reg, pub, signature.TlogSkip, ""), false, modifiedReasons(f)...)
		}
	}
	runDifferential(t, c, reg, dir, cases)
}

// TestCosignDifferentialAttestations is the differential over in-toto attestations
// made by sigtest as cosign stores them (keyless), judged by cosign verify-attestation
// --type and by Palisade with a requirement demanding the attestation. Every image is
// also validly signed, so only the attestation decides.
func TestCosignDifferentialAttestations(t *testing.T) {
	c := newCosign(t)
	ss := sigtest.NewSigstore(t)
	sreg := sigtest.NewRegistry(t, true)
	reg := &loopRegistry{host: sreg.Host}
	dir := t.TempDir()
	var tr map[string]any
	if err := json.Unmarshal(ss.TrustedRootJSON, &tr); err != nil {
		t.Fatal(err)
	}
	delete(tr, "ctlogs") // no SCTs on sigtest's certificates: see TestCosignDifferentialSigtest
	trJSON, err := json.Marshal(tr)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "trusted_root.json"), trJSON, 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"--type", slsaV1, "--trusted-root", "trusted_root.json",
		"--certificate-identity-regexp", ghPattern, "--certificate-oidc-issuer", ghIssuer,
		"--insecure-ignore-sct=true", "--offline=true"}
	pol := signature.Policy{
		Verify: []signature.Requirement{{
			Match:        []string{reg.host + "/**"},
			Keyless:      &signature.Keyless{Issuer: ghIssuer, Subject: ghPattern},
			Attestations: []signature.Attestation{{PredicateType: slsaV1, Line: 6}},
			Line:         3,
		}},
		TrustedRoot: "trusted_root.json",
		Default:     signature.DefaultDeny,
	}
	var pred map[string]any
	if err := json.Unmarshal([]byte(provenance), &pred); err != nil {
		t.Fatal(err)
	}

	good := ss.Keyless(ghIssuer, ghSubject)
	var cases []diffCase
	n := 0
	for _, f := range []form{legacyForm, bundleForm} {
		add := func(caseName string, s sigtest.Signer, predicateType string, o sigtest.Options, accept bool, reasons ...signature.Reason) {
			n++
			repo := fmt.Sprintf("attest/%s/case%d", f, n)
			img := sreg.Push(t, repo, "v1")
			sreg.Sign(t, img, good, sigtest.Options{Legacy: f == legacyForm})
			if s != (sigtest.Signer{}) {
				o.Legacy = f == legacyForm
				if o.Digest == "other" {
					o.Digest = sreg.Push(t, repo+"-other", "v1").Digest
				}
				sreg.Attest(t, img, s, predicateType, pred, o)
			}
			ref, err := name.NewDigest(img.Pinned, name.Insecure)
			if err != nil {
				t.Fatal(err)
			}
			cases = append(cases, diffCase{name: "attestation: " + caseName, form: f, ref: ref, verb: "verify-attestation",
				cosignArgs: args, pol: pol, accept: accept, reasons: reasons})
		}
		add("attested", good, slsaV1, sigtest.Options{}, true)
		add("another predicate type", good, "https://example.com/other/v1", sigtest.Options{}, false, signature.MissingAttestation)
		add("another identity", ss.Keyless(ghIssuer, "https://github.com/attacker/payments/.github/workflows/release.yml@refs/tags/v1.2.0"), slsaV1, sigtest.Options{}, false, signature.MissingAttestation, signature.WrongIdentity)
		add("another digest", good, slsaV1, sigtest.Options{Digest: "other"}, false, signature.MissingAttestation, signature.DigestMismatch)
		add("modified statement", good, slsaV1, sigtest.Options{ModifyPayload: true}, false, signature.MissingAttestation, signature.BadSignature, signature.MissingTlog)
		add("missing log entry", good, slsaV1, sigtest.Options{NoTlog: true}, false, signature.MissingAttestation, signature.MissingTlog)
		add("expired certificate", good, slsaV1, sigtest.Options{Expired: true}, false, signature.MissingAttestation, signature.CertificateExpired)
		add("none", sigtest.Signer{}, "", sigtest.Options{}, false, signature.MissingAttestation, signature.NoSignature)
	}
	runDifferential(t, c, reg, dir, cases)
}

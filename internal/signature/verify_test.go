package signature

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sigstore/sigstore-go/pkg/root"
)

const slsaType = "https://slsa.dev/provenance/v1"

// fixture is one test world: two keys on disk, a virtual Sigstore, an image digest.
type fixture struct {
	dir          string
	key, other   *testKey
	v            *virtual
	digest       string
	otherDigest  string
	keyedPayload []byte
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	dir := t.TempDir()
	f := &fixture{dir: dir, v: newVirtual(t), digest: randomDigest(t), otherDigest: randomDigest(t)}
	f.key = newKey(t, dir, "cosign.pub", "ecdsa")
	f.other = newKey(t, dir, "other.pub", "ecdsa")
	f.keyedPayload = simpleSigning(keyedRepo, f.digest)
	return f
}

func (f *fixture) keyedReq(tlog string) Requirement {
	return Requirement{Match: []string{"registry.example.com/payments/**"}, Keys: []string{"cosign.pub"}, TransparencyLog: tlog, Line: 3}
}

func (f *fixture) keylessReq() Requirement {
	return Requirement{Match: []string{"ghcr.io/example/**"}, Keyless: &Keyless{Issuer: testIssuer, Subject: `^https://github.com/example/.+@refs/tags/v.+$`}, Line: 7}
}

func (f *fixture) verifier(t testing.TB, trusted root.TrustedMaterial, reqs ...Requirement) *Verifier {
	t.Helper()
	if trusted == nil {
		trusted = f.v.trusted
	}
	v, err := New(Policy{Verify: reqs}, Options{Dir: f.dir, File: ".palisade.yaml", TrustedMaterial: trusted})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// check verifies ref over cands and checks the verdict and the decisive reason.
func check(t *testing.T, v *Verifier, ref, digest string, cands []Candidate, allowed bool, reason Reason) *Result {
	t.Helper()
	res := v.Verify(context.Background(), &memStore{digest: digest, cands: cands}, ref, "")
	t.Log(res.Summary())
	if res.Allowed != allowed {
		t.Fatalf("Allowed = %v, want %v: %s\n%+v", res.Allowed, allowed, res.Summary(), res)
	}
	if reason != "" {
		fs := res.Failures()
		if len(fs) == 0 || fs[0].Reason != reason {
			t.Fatalf("reason = %+v, want %s: %s", fs, reason, res.Summary())
		}
		if fs[0].Detail == "" {
			t.Fatalf("failure without detail: %+v", fs[0])
		}
	}
	if res.Digest != digest && res.Unchecked == nil {
		t.Errorf("Digest = %q, want %q", res.Digest, digest)
	}
	return res
}

func TestVerifyKeyed(t *testing.T) {
	f := newFixture(t)
	ref := keyedRepo + ":v1"
	tampered := simpleSigning(keyedRepo, f.digest)
	tampered = []byte(strings.Replace(string(tampered), "payments/api", "payments/apx", 1))

	for _, tc := range []struct {
		name    string
		tlog    string
		cands   func() []Candidate
		allowed bool
		reason  Reason
	}{
		{"signed, no log", TlogSkip, func() []Candidate { return []Candidate{signKeyed(t, f.key, f.keyedPayload, nil)} }, true, ""},
		{"signed and logged", TlogRequired, func() []Candidate { return []Candidate{signKeyed(t, f.key, f.keyedPayload, f.v.vs)} }, true, ""},
		{"no log entry", TlogRequired, func() []Candidate { return []Candidate{signKeyed(t, f.key, f.keyedPayload, nil)} }, false, MissingTlog},
		{"another key", TlogSkip, func() []Candidate { return []Candidate{signKeyed(t, f.other, f.keyedPayload, nil)} }, false, UntrustedKey},
		{"another digest", TlogSkip, func() []Candidate {
			return []Candidate{signKeyed(t, f.key, simpleSigning(keyedRepo, f.otherDigest), nil)}
		}, false, DigestMismatch},
		{"modified payload", TlogSkip, func() []Candidate {
			c := signKeyed(t, f.key, f.keyedPayload, nil)
			c.Payload = tampered
			return []Candidate{c}
		}, false, BadSignature},
		{"nothing attached", TlogSkip, func() []Candidate { return nil }, false, NoSignature},
		{"undecodable", TlogSkip, func() []Candidate {
			return []Candidate{{Kind: KindSimpleSigning, Source: "tag sha256-x.sig layer 0", Err: errors.New("bad base64")}}
		}, false, Malformed},
		{"one good among bad", TlogSkip, func() []Candidate {
			return []Candidate{signKeyed(t, f.other, f.keyedPayload, nil), signKeyed(t, f.key, f.keyedPayload, nil)}
		}, true, ""},
		{"keyless signature under a keyed requirement", TlogSkip, func() []Candidate {
			return []Candidate{f.v.signKeyless(t, testSubject, testIssuer, f.keyedPayload)}
		}, false, UntrustedKey},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := f.verifier(t, nil, f.keyedReq(tc.tlog))
			res := check(t, v, ref, f.digest, tc.cands(), tc.allowed, tc.reason)
			if tc.allowed {
				s := res.Requirements[0].Signers[0]
				if s.Key != "cosign.pub" {
					t.Errorf("signer = %+v", s)
				}
				if tc.tlog == TlogRequired && (s.LogIndex != 7 || s.IntegratedTime == 0) {
					t.Errorf("log index/time not reported: %+v", s)
				}
				if tc.tlog == TlogSkip && s.LogIndex != -1 {
					t.Errorf("log index without log: %+v", s)
				}
			}
			if tc.reason == DigestMismatch && res.Failures()[0].Seen != f.otherDigest {
				t.Errorf("Seen = %q, want %q", res.Failures()[0].Seen, f.otherDigest)
			}
		})
	}
}

func TestVerifyKeyTypes(t *testing.T) {
	f := newFixture(t)
	for _, kind := range []string{"ecdsa", "ed25519", "rsa"} {
		t.Run(kind, func(t *testing.T) {
			k := newKey(t, f.dir, kind+".pub", kind)
			req := f.keyedReq(TlogSkip)
			req.Keys = []string{"other.pub", kind + ".pub"}
			v := f.verifier(t, nil, req)
			res := check(t, v, keyedRepo+"@"+f.digest, f.digest, []Candidate{signKeyed(t, k, f.keyedPayload, nil)}, true, "")
			if got := res.Requirements[0].Signers[0].Key; got != kind+".pub" {
				t.Errorf("key = %q", got)
			}
		})
	}
}

func TestVerifyKeyless(t *testing.T) {
	f := newFixture(t)
	ref := testRepo + ":v1.0.0"
	payload := simpleSigning(testRepo, f.digest)
	stranger := newVirtual(t)
	// A root trusting the virtual log of both Sigstores but only the first's CA: a
	// certificate of the second is logged but does not chain.
	mixed := &testRoot{cas: f.v.trusted.cas, rekor: map[string]*root.TransparencyLog{}}
	for id, l := range f.v.trusted.rekor {
		mixed.rekor[id] = l
	}
	for id, l := range stranger.trusted.rekor {
		mixed.rekor[id] = l
	}

	for _, tc := range []struct {
		name    string
		trusted root.TrustedMaterial
		cands   func() []Candidate
		allowed bool
		reason  Reason
	}{
		{"signed", nil, func() []Candidate { return []Candidate{f.v.signKeyless(t, testSubject, testIssuer, payload)} }, true, ""},
		{"cosign v3 bundle statement", nil, func() []Candidate {
			return []Candidate{f.v.attestKeyless(t, testSubject, testIssuer, statementJSON(f.digest, CosignSignPredicateType, "{}"))}
		}, true, ""},
		{"another subject", nil, func() []Candidate {
			return []Candidate{f.v.signKeyless(t, "https://github.com/evil/app/.github/workflows/x.yml@refs/heads/main", testIssuer, payload)}
		}, false, WrongIdentity},
		{"another issuer", nil, func() []Candidate {
			return []Candidate{f.v.signKeyless(t, testSubject, "https://accounts.google.com", payload)}
		}, false, WrongIdentity},
		{"another digest", nil, func() []Candidate {
			return []Candidate{f.v.signKeyless(t, testSubject, testIssuer, simpleSigning(testRepo, f.otherDigest))}
		}, false, DigestMismatch},
		{"statement about another digest", nil, func() []Candidate {
			return []Candidate{f.v.attestKeyless(t, testSubject, testIssuer, statementJSON(f.otherDigest, CosignSignPredicateType, "{}"))}
		}, false, DigestMismatch},
		{"modified payload", nil, func() []Candidate {
			c := f.v.signKeyless(t, testSubject, testIssuer, payload)
			c.Payload = simpleSigning(testRepo+"x", f.digest)
			return []Candidate{c}
		}, false, BadSignature},
		{"untrusted CA", mixed, func() []Candidate { return []Candidate{stranger.signKeyless(t, testSubject, testIssuer, payload)} }, false, UntrustedKey},
		{"log not trusted", nil, func() []Candidate { return []Candidate{stranger.signKeyless(t, testSubject, testIssuer, payload)} }, false, MissingTlog},
		{"no SCT while the root has CT logs", f.v.vs, func() []Candidate {
			return []Candidate{f.v.signKeyless(t, testSubject, testIssuer, payload)}
		}, false, UntrustedKey},
		{"key signature under a keyless requirement", nil, func() []Candidate {
			return []Candidate{signKeyed(t, f.key, payload, nil)}
		}, false, UntrustedKey},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := f.verifier(t, tc.trusted, f.keylessReq())
			res := check(t, v, ref, f.digest, tc.cands(), tc.allowed, tc.reason)
			if tc.allowed {
				s := res.Requirements[0].Signers[0]
				if s.Issuer != testIssuer || s.Subject != testSubject || s.LogIndex < 0 || s.IntegratedTime == 0 {
					t.Errorf("signer = %+v", s)
				}
			}
			if tc.reason == WrongIdentity {
				fl := res.Failures()[0]
				if !strings.Contains(fl.Seen, " / ") || !strings.Contains(res.Summary(), fl.Seen) {
					t.Errorf("the identity seen is not shown: %+v; %s", fl, res.Summary())
				}
			}
		})
	}
}

// TestVerifyExpiredCertificate: a short-lived certificate is judged at the time the
// transparency log recorded the signature, never at the current time; without a
// verified time it fails.
func TestVerifyExpiredCertificate(t *testing.T) {
	f := newFixture(t)
	past := newPastCA(t, f.v)
	payload := simpleSigning(testRepo, f.digest)
	notBefore := time.Now().Add(-2 * time.Hour) // valid for ten minutes, long expired
	v := f.verifier(t, past.trusted, f.keylessReq())
	ref := testRepo + "@" + f.digest

	res := check(t, v, ref, f.digest, []Candidate{past.sign(t, payload, notBefore, notBefore.Add(5*time.Minute))}, true, "")
	if s := res.Requirements[0].Signers[0]; s.IntegratedTime != notBefore.Add(5*time.Minute).Unix() {
		t.Errorf("integrated time = %d", s.IntegratedTime)
	}
	res = check(t, v, ref, f.digest, []Candidate{past.sign(t, payload, notBefore, notBefore.Add(time.Hour))}, false, CertificateExpired)
	if !strings.Contains(res.Summary(), "valid ") {
		t.Errorf("summary does not give the validity: %s", res.Summary())
	}
	check(t, v, ref, f.digest, []Candidate{past.sign(t, payload, notBefore, time.Time{})}, false, MissingTlog)
}

func TestVerifyAttestations(t *testing.T) {
	f := newFixture(t)
	ref := keyedRepo + ":v1"
	req := f.keyedReq(TlogSkip)
	req.Attestations = []Attestation{{PredicateType: slsaType, Condition: `predicate.buildDefinition.buildType == "https://example.com/build/v1" && predicate.runDetails.builder.id.startsWith("https://github.com/")`, Line: 9}}
	good := `{"buildDefinition":{"buildType":"https://example.com/build/v1"},"runDetails":{"builder":{"id":"https://github.com/actions/runner"}}}`
	bad := `{"buildDefinition":{"buildType":"https://evil.example/build"},"runDetails":{"builder":{"id":"https://github.com/actions/runner"}}}`
	sig := func() Candidate { return signKeyed(t, f.key, f.keyedPayload, nil) }

	for _, tc := range []struct {
		name    string
		cands   func() []Candidate
		allowed bool
		reason  Reason
	}{
		{"signed and attested", func() []Candidate {
			return []Candidate{sig(), attestKeyed(t, f.key, statementJSON(f.digest, slsaType, good))}
		}, true, ""},
		{"no attestation", func() []Candidate { return []Candidate{sig()} }, false, MissingAttestation},
		{"attestation of another type", func() []Candidate {
			return []Candidate{sig(), attestKeyed(t, f.key, statementJSON(f.digest, "https://spdx.dev/Document", "{}"))}
		}, false, MissingAttestation},
		{"attested by another key", func() []Candidate {
			return []Candidate{sig(), attestKeyed(t, f.other, statementJSON(f.digest, slsaType, good))}
		}, false, MissingAttestation},
		{"condition false", func() []Candidate {
			return []Candidate{sig(), attestKeyed(t, f.key, statementJSON(f.digest, slsaType, bad))}
		}, false, ConditionFailed},
		{"condition error", func() []Candidate {
			return []Candidate{sig(), attestKeyed(t, f.key, statementJSON(f.digest, slsaType, `{"other":1}`))}
		}, false, ConditionFailed},
		{"attestation about another digest", func() []Candidate {
			return []Candidate{sig(), attestKeyed(t, f.key, statementJSON(f.otherDigest, slsaType, good))}
		}, false, MissingAttestation},
		{"attestation but no signature", func() []Candidate { return []Candidate{attestKeyed(t, f.key, statementJSON(f.digest, slsaType, good))} }, false, NoSignature},
		{"one failing, one passing", func() []Candidate {
			return []Candidate{sig(), attestKeyed(t, f.key, statementJSON(f.digest, slsaType, bad)), attestKeyed(t, f.key, statementJSON(f.digest, slsaType, good))}
		}, true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := f.verifier(t, nil, req)
			res := check(t, v, ref, f.digest, tc.cands(), tc.allowed, tc.reason)
			if tc.allowed {
				var types []string
				for _, s := range res.Requirements[0].Signers {
					types = append(types, s.PredicateType)
				}
				if !slices.Contains(types, slsaType) || !strings.Contains(res.Summary(), "attested "+slsaType) {
					t.Errorf("attestation not reported: %v; %s", types, res.Summary())
				}
			}
			if tc.name == "attestation about another digest" && !slices.ContainsFunc(res.Requirements[0].Failures, func(f Failure) bool { return f.Reason == DigestMismatch }) {
				t.Errorf("the candidate's digest mismatch is not listed: %+v", res.Requirements[0].Failures)
			}
		})
	}
}

func TestVerifyKeylessAttestation(t *testing.T) {
	f := newFixture(t)
	req := f.keylessReq()
	req.Attestations = []Attestation{{PredicateType: slsaType, Condition: `statement.subject.exists(s, s.name == "image") && predicate.level >= 3`}}
	v := f.verifier(t, nil, req)
	sig := f.v.signKeyless(t, testSubject, testIssuer, simpleSigning(testRepo, f.digest))
	att := f.v.attestKeyless(t, testSubject, testIssuer, statementJSON(f.digest, slsaType, `{"level":3}`))
	check(t, v, testRepo+":v1", f.digest, []Candidate{sig, att}, true, "")
	low := f.v.attestKeyless(t, testSubject, testIssuer, statementJSON(f.digest, slsaType, `{"level":2}`))
	check(t, v, testRepo+":v1", f.digest, []Candidate{sig, low}, false, ConditionFailed)
	evil := f.v.attestKeyless(t, "mallory@example.com", testIssuer, statementJSON(f.digest, slsaType, `{"level":3}`))
	res := check(t, v, testRepo+":v1", f.digest, []Candidate{sig, evil}, false, MissingAttestation)
	if !slices.ContainsFunc(res.Requirements[0].Failures, func(f Failure) bool {
		return f.Reason == WrongIdentity && strings.Contains(f.Seen, "mallory@example.com")
	}) {
		t.Errorf("the attestation's identity is not shown: %+v", res.Requirements[0].Failures)
	}
}

func TestVerifyRequirementsAndDefault(t *testing.T) {
	f := newFixture(t)
	keyed := f.keyedReq(TlogSkip)
	keyless := f.keylessReq()
	keyless.Match = []string{"registry.example.com/**"}
	sig := signKeyed(t, f.key, f.keyedPayload, nil)
	sigKeyless := f.v.signKeyless(t, testSubject, testIssuer, f.keyedPayload)

	v := f.verifier(t, nil, keyed, keyless)
	res := check(t, v, keyedRepo+":v1", f.digest, []Candidate{sig, sigKeyless}, true, "")
	if len(res.Requirements) != 2 || res.Requirements[1].Pattern != "registry.example.com/**" {
		t.Fatalf("requirements = %+v", res.Requirements)
	}
	if !strings.HasPrefix(res.Summary(), "verified: signed by cosign.pub; signed by "+testIssuer) {
		t.Errorf("summary = %s", res.Summary())
	}
	res = check(t, v, keyedRepo+":v1", f.digest, []Candidate{sig}, false, UntrustedKey)
	if !res.Requirements[0].OK || res.Requirements[1].OK {
		t.Errorf("requirements = %+v", res.Requirements)
	}

	// Not matched: the default decides, without reaching the store.
	for _, def := range []string{"", DefaultAllow, DefaultDeny} {
		v, err := New(Policy{Verify: []Requirement{keyed}, Default: def}, Options{Dir: f.dir})
		if err != nil {
			t.Fatal(err)
		}
		store := &memStore{digest: f.digest}
		res := v.Verify(context.Background(), store, "docker.io/library/nginx:1.27", "")
		if !res.Defaulted || res.Allowed != (def != DefaultDeny) || store.resolves != 0 || res.Name != "docker.io/library/nginx" {
			t.Errorf("default %q: %+v (resolves %d)", def, res, store.resolves)
		}
		if def == DefaultDeny && (res.Failures()[0].Reason != NotMatched || !strings.Contains(res.Summary(), "default is deny")) {
			t.Errorf("deny: %+v %s", res.Failures(), res.Summary())
		}
	}
}

func TestVerifyUnchecked(t *testing.T) {
	f := newFixture(t)
	v := f.verifier(t, nil, f.keyedReq(TlogSkip))
	res := v.Verify(context.Background(), &memStore{digest: f.digest, err: errors.New("registry said 503")}, keyedRepo+":v1", "")
	if res.Allowed || res.Unchecked == nil || res.Unchecked.Reason != Unreachable || !strings.Contains(res.Summary(), "503") {
		t.Errorf("store failure: %+v", res)
	}
	res = v.Verify(context.Background(), &memStore{resolveErr: errors.New("no such host")}, keyedRepo+":v1", "")
	if res.Allowed || res.Unchecked == nil || res.Unchecked.Reason != Unreachable {
		t.Errorf("resolve failure: %+v", res)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res = v.Verify(ctx, &memStore{digest: f.digest, cands: []Candidate{signKeyed(t, f.key, f.keyedPayload, nil)}}, keyedRepo+":v1", "")
	if res.Allowed || res.Unchecked == nil || res.Unchecked.Reason != Unreachable {
		t.Errorf("deadline: %+v", res)
	}
	// A digest given is used as is: the store is not asked to resolve.
	store := &memStore{cands: []Candidate{signKeyed(t, f.key, f.keyedPayload, nil)}}
	res = v.Verify(context.Background(), store, keyedRepo+":v1", f.digest)
	if !res.Allowed || store.resolves != 0 || res.Digest != f.digest {
		t.Errorf("given digest: %+v (resolves %d)", res, store.resolves)
	}
	res = v.Verify(context.Background(), store, keyedRepo+":v1", "sha256:nothex")
	if res.Allowed || res.Unchecked == nil || res.Unchecked.Reason != Malformed {
		t.Errorf("bad digest: %+v", res)
	}
}

func TestMessageSignatureOverManifest(t *testing.T) {
	f := newFixture(t)
	v := f.verifier(t, nil, f.keylessReq())
	manifest := []byte(`{"schemaVersion":2}`)
	e, err := f.v.vs.Sign(testSubject, testIssuer, manifest)
	if err != nil {
		t.Fatal(err)
	}
	sum := "sha256:" + hexSHA256(manifest)
	c := Candidate{Kind: KindBundle, Source: "referrer", Entity: e}
	check(t, v, testRepo+":v1", sum, []Candidate{c}, true, "")
	check(t, v, testRepo+":v1", f.digest, []Candidate{c}, false, DigestMismatch)
}

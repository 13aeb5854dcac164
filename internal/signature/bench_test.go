package signature

import (
	"context"
	"testing"
)

// BenchmarkVerifyKeyed verifies one image signed with a key and logged (cosign sign
// --key): the simple-signing payload, the signature, the log's signed entry
// timestamp, the digest binding.
func BenchmarkVerifyKeyed(b *testing.B) {
	f := newFixture(b)
	v := f.verifier(b, nil, f.keyedReq(TlogRequired))
	store := &memStore{digest: f.digest, cands: []Candidate{signKeyed(b, f.key, f.keyedPayload, f.v.vs)}}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if res := v.Verify(ctx, store, keyedRepo+":v1", ""); !res.Allowed {
			b.Fatal(res.Summary())
		}
	}
}

// BenchmarkVerifyKeyless verifies one image signed keyless (cosign sign with a
// Fulcio certificate) with a SLSA provenance attestation and its condition: the
// certificate chain at the log's time, the identity, the log entry, the CEL
// condition.
func BenchmarkVerifyKeyless(b *testing.B) {
	f := newFixture(b)
	req := f.keylessReq()
	req.Attestations = []Attestation{{PredicateType: slsaType, Condition: `predicate.level >= 3`}}
	v := f.verifier(b, nil, req)
	sig := f.v.signKeyless(b, testSubject, testIssuer, simpleSigning(testRepo, f.digest))
	att := f.v.attestKeyless(b, testSubject, testIssuer, statementJSON(f.digest, slsaType, `{"level":3}`))
	store := &memStore{digest: f.digest, cands: []Candidate{sig, att}}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if res := v.Verify(ctx, store, testRepo+":v1", ""); !res.Allowed {
			b.Fatal(res.Summary())
		}
	}
}

// BenchmarkNew compiles a policy with a key, a keyless identity and a condition.
func BenchmarkNew(b *testing.B) {
	f := newFixture(b)
	req := f.keylessReq()
	req.Attestations = []Attestation{{PredicateType: slsaType, Condition: `predicate.level >= 3`}}
	p := Policy{Verify: []Requirement{f.keyedReq(TlogRequired), req}}
	o := Options{Dir: f.dir, TrustedMaterial: f.v.trusted}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := New(p, o); err != nil {
			b.Fatal(err)
		}
	}
}

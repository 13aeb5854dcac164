package signature

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/distribution/reference"
	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
	"github.com/sigstore/sigstore-go/pkg/verify"
)

// Verify judges one image: resolves ref through store (unless digest is given), reads
// its candidates and checks every matching requirement. It never returns nil; a store
// failure is Result.Unchecked.
//
// The requirements are matched against the reference's normalised name first, so an
// image no requirement matches is judged by the default without reaching the
// registry. Candidates are verified in place (sigstore-go edits a certificate's
// unhandled extensions): a store returns fresh candidates for each call.
func (v *Verifier) Verify(ctx context.Context, store Store, ref, digest string) *Result {
	res := &Result{Ref: ref, Digest: digest}
	name, parsed := normaliseName(ref)
	if !parsed {
		if digest != "" {
			res.Unchecked = &Failure{Reason: Malformed, Detail: fmt.Sprintf("%q is not an image reference", truncate(ref, 200))}
			return res
		}
		n, d, err := resolve(ctx, store, ref)
		if err != nil {
			res.Unchecked = unreachable(ref, err)
			return res
		}
		name, res.Digest = n, d
	}
	res.Name = name

	matched := v.matching(name)
	if len(matched) == 0 {
		res.Defaulted = true
		res.Allowed = v.policy.Default != DefaultDeny
		return res
	}

	if res.Digest == "" {
		n, d, err := resolve(ctx, store, ref)
		if err != nil {
			res.Unchecked = unreachable(ref, err)
			return res
		}
		res.Name, res.Digest = n, d
	}
	if _, _, err := splitDigest(res.Digest); err != nil {
		res.Unchecked = &Failure{Reason: Malformed, Detail: err.Error()}
		return res
	}
	if err := ctx.Err(); err != nil {
		res.Unchecked = unreachable(ref, err)
		return res
	}
	cands, err := store.Signatures(ctx, res.Name, res.Digest)
	if err != nil {
		res.Unchecked = &Failure{Reason: Unreachable, Detail: fmt.Sprintf("read the signatures of %s@%s: %v", res.Name, res.Digest, err)}
		return res
	}
	ins := make([]*inspected, len(cands))
	for i, c := range cands {
		ins[i] = inspect(c)
	}
	res.Allowed = true
	for _, m := range matched {
		if err := ctx.Err(); err != nil {
			res.Allowed = false
			res.Unchecked = unreachable(ref, err)
			return res
		}
		rr := m.req.judge(ctx, ins, res.Digest)
		rr.Pattern = m.pattern
		if !rr.OK {
			res.Allowed = false
		}
		res.Requirements = append(res.Requirements, rr)
	}
	return res
}

// resolve calls the store, turning a panic of a hostile artifact into an error.
func resolve(ctx context.Context, store Store, ref string) (name, digest string, err error) {
	if err := ctx.Err(); err != nil {
		return "", "", err
	}
	name, digest, err = store.Resolve(ctx, ref)
	if err == nil && digest == "" {
		err = errors.New("the store returned no digest")
	}
	return name, digest, err
}

func unreachable(ref string, err error) *Failure {
	detail := fmt.Sprintf("resolve %s: %v", ref, err)
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		detail = fmt.Sprintf("%s: the verification deadline passed: %v", ref, err)
	}
	return &Failure{Reason: Unreachable, Detail: detail}
}

// normaliseName is the repository a reference names, as distribution/reference
// normalises it (nginx is docker.io/library/nginx).
func normaliseName(ref string) (string, bool) {
	if ref == "" || len(ref) > 4096 {
		return "", false
	}
	n, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return "", false
	}
	return n.Name(), true
}

// splitDigest checks an OCI digest: "sha256:" and 64 lowercase hex digits (or
// sha512 and 128).
func splitDigest(d string) (alg string, sum []byte, err error) {
	alg, h, ok := strings.Cut(d, ":")
	want := map[string]int{"sha256": 64, "sha512": 128}[alg]
	if !ok || want == 0 || len(h) != want || strings.ToLower(h) != h {
		return "", nil, fmt.Errorf("%q is not a sha256 or sha512 digest", truncate(d, 200))
	}
	sum, err = hex.DecodeString(h)
	if err != nil {
		return "", nil, fmt.Errorf("%q is not a sha256 or sha512 digest", truncate(d, 200))
	}
	return alg, sum, nil
}

// inspected is a candidate with what can be read from it before verification:
// enough to route it (signature or attestation of which type) and to explain a
// failure (the certificate identity seen). Nothing here is trusted until the
// candidate verifies.
type inspected struct {
	c       Candidate
	fail    *Failure
	cert    *x509.Certificate
	seen    string // "issuer / subject" of the certificate
	hint    string // public-key hint
	message verify.MessageSignatureContent
	stmt    *statement
}

func inspect(c Candidate) (in *inspected) {
	in = &inspected{c: c}
	malformed := func(format string, a ...any) *inspected {
		in.fail = &Failure{Reason: Malformed, Source: c.Source, Detail: fmt.Sprintf(format, a...)}
		return in
	}
	defer func() {
		if r := recover(); r != nil {
			in = &inspected{c: c, fail: &Failure{Reason: Malformed, Source: c.Source, Detail: fmt.Sprintf("undecodable artifact: %v", r)}}
		}
	}()
	if c.Err != nil {
		return malformed("undecodable artifact: %v", c.Err)
	}
	if c.Entity == nil {
		return malformed("undecodable artifact: nothing to verify")
	}
	vc, err := c.Entity.VerificationContent()
	if err != nil || vc == nil {
		return malformed("no certificate or public key: %v", err)
	}
	if cert := vc.Certificate(); cert != nil {
		in.cert = cert
		if s, err := certificate.SummarizeCertificate(cert); err == nil {
			in.seen = s.Extensions.Issuer + " / " + s.SubjectAlternativeName
		} else {
			in.seen = "(certificate without a Fulcio identity)"
		}
	} else if pk := vc.PublicKey(); pk != nil {
		in.hint = pk.Hint()
	} else {
		return malformed("no certificate or public key")
	}
	sc, err := c.Entity.SignatureContent()
	if err != nil || sc == nil {
		return malformed("no signature: %v", err)
	}
	switch {
	case sc.EnvelopeContent() != nil:
		env := sc.EnvelopeContent().RawEnvelope()
		if env == nil {
			return malformed("empty DSSE envelope")
		}
		st, err := parseStatement(env.PayloadType, env.Payload)
		if err != nil {
			return malformed("DSSE envelope: %v", err)
		}
		in.stmt = st
	case sc.MessageSignatureContent() != nil:
		in.message = sc.MessageSignatureContent()
	default:
		return malformed("neither a message signature nor a DSSE envelope")
	}
	if c.Kind == KindSimpleSigning && len(c.Payload) == 0 {
		return malformed("simple-signing signature without its payload")
	}
	return in
}

// isSignature says whether the candidate is an image signature (as opposed to an
// attestation): cosign's simple-signing signature, a message signature, or cosign
// v3's statement of predicate type https://sigstore.dev/cosign/sign/v1.
func (in *inspected) isSignature() bool {
	if in.fail != nil {
		return false
	}
	if in.stmt != nil {
		return in.stmt.PredicateType == CosignSignPredicateType
	}
	return true
}

// judge checks one requirement over the candidates.
func (r *requirement) judge(ctx context.Context, cands []*inspected, digest string) RequirementResult {
	rr := RequirementResult{Line: r.src.Line}
	signed, sigs, others := false, 0, 0
	for _, in := range cands {
		if in.fail != nil {
			rr.Failures = append(rr.Failures, *in.fail)
			continue
		}
		if !in.isSignature() {
			others++
			continue
		}
		sigs++
		if err := ctx.Err(); err != nil {
			rr.Failures = append(rr.Failures, Failure{Reason: Unreachable, Source: in.c.Source, Detail: "the verification deadline passed: " + err.Error()})
			break
		}
		s, f := r.verifyCandidate(in, digest, "")
		if f != nil {
			rr.Failures = append(rr.Failures, *f)
			continue
		}
		signed = true
		rr.Signers = append(rr.Signers, s)
	}
	if sigs == 0 {
		detail := "no signature is attached to " + digest
		if others > 0 {
			detail += fmt.Sprintf(" (%d attestations, no signature)", others)
		}
		rr.Failures = append(rr.Failures, Failure{Reason: NoSignature, Detail: detail})
	}
	attested := true
	for _, a := range r.attestations {
		s, fails, ok := r.attest(ctx, a, cands, digest)
		rr.Failures = append(rr.Failures, fails...)
		if ok {
			rr.Signers = append(rr.Signers, s)
		} else {
			attested = false
		}
	}
	rr.OK = signed && attested
	return rr
}

// identities describes the requirement's trusted identities for messages.
func (r *requirement) identities() string {
	var parts []string
	for _, k := range r.keys {
		parts = append(parts, k.path)
	}
	if r.keyless != nil {
		parts = append(parts, r.keyless.text)
	}
	return strings.Join(parts, ", ")
}

// verifyCandidate verifies one candidate with the requirement's identities and binds
// it to digest. predicateType is set when it is verified as an attestation.
func (r *requirement) verifyCandidate(in *inspected, digest, predicateType string) (s Signer, fail *Failure) {
	src := in.c.Source
	defer func() {
		if p := recover(); p != nil {
			fail = &Failure{Reason: Malformed, Source: src, Detail: fmt.Sprintf("undecodable artifact: %v", p)}
		}
	}()
	artifact, f := r.artifactPolicy(in, digest)
	if f != nil {
		return Signer{}, f
	}
	var res *verify.VerificationResult
	var key *publicKey
	if in.cert != nil {
		if r.keyless == nil {
			return Signer{}, &Failure{Reason: UntrustedKey, Source: src, Seen: in.seen,
				Detail: fmt.Sprintf("signed with a certificate (%s) but the requirement trusts keys only (%s)", in.seen, r.identities())}
		}
		var err error
		res, err = r.keyless.verifier.Verify(in.c.Entity, verify.NewPolicy(artifact, verify.WithCertificateIdentity(r.keyless.identity)))
		if err != nil {
			return Signer{}, r.classifyKeyless(in, err)
		}
	} else {
		if len(r.keys) == 0 {
			return Signer{}, &Failure{Reason: UntrustedKey, Source: src,
				Detail: fmt.Sprintf("signed with a public key but the requirement trusts a keyless identity only (%s)", r.keyless.text)}
		}
		var err error
		res, key, err = r.verifyKeyed(in, artifact)
		if err != nil {
			return Signer{}, r.classifyKeyed(in, err)
		}
	}
	if f := bind(in, digest); f != nil {
		return Signer{}, f
	}
	s = Signer{Source: src, PredicateType: predicateType, LogIndex: -1}
	if key != nil {
		s.Key = key.path
	} else if res.Signature != nil && res.Signature.Certificate != nil {
		s.Issuer = res.Signature.Certificate.Extensions.Issuer
		s.Subject = res.Signature.Certificate.SubjectAlternativeName
	}
	if r.tlog || in.cert != nil {
		for _, ts := range res.VerifiedTimestamps {
			if ts.Type == "Tlog" {
				s.IntegratedTime = ts.Timestamp.Unix()
				break
			}
		}
		if entries, err := in.c.Entity.TlogEntries(); err == nil && len(entries) > 0 {
			s.LogIndex = entries[0].LogIndex()
		}
	}
	return s, nil
}

// artifactPolicy says what the signature is over: a simple-signing payload, the
// image manifest's digest (a message signature without a payload), or the DSSE
// envelope's own payload (bound to the digest by the statement's subject).
func (r *requirement) artifactPolicy(in *inspected, digest string) (verify.ArtifactPolicyOption, *Failure) {
	switch {
	case len(in.c.Payload) > 0 && in.message != nil:
		return verify.WithArtifact(bytes.NewReader(in.c.Payload)), nil
	case in.message != nil:
		alg, sum, _ := splitDigest(digest)
		got := in.message.Digest()
		gotAlg := strings.ToLower(strings.ReplaceAll(in.message.DigestAlgorithm(), "_", ""))
		wantAlg := map[string]string{"sha256": "sha2256", "sha512": "sha2512"}[alg]
		if gotAlg != wantAlg || !bytes.Equal(got, sum) {
			seen := fmt.Sprintf("%s:%s", in.message.DigestAlgorithm(), hex.EncodeToString(got))
			if gotAlg == "sha2256" {
				seen = "sha256:" + hex.EncodeToString(got)
			}
			return nil, &Failure{Reason: DigestMismatch, Source: in.c.Source, Seen: seen,
				Detail: fmt.Sprintf("the signature is over %s, not %s", truncate(seen, 140), digest)}
		}
		return verify.WithArtifactDigest(alg, sum), nil
	default:
		return verify.WithoutArtifactUnsafe(), nil
	}
}

// verifyKeyed tries the requirement's keys: the one the candidate's hint names, else
// each in turn.
func (r *requirement) verifyKeyed(in *inspected, artifact verify.ArtifactPolicyOption) (*verify.VerificationResult, *publicKey, error) {
	keys := r.keys
	for _, k := range r.keys {
		if in.hint != "" && k.hints[in.hint] {
			keys = []*publicKey{k}
			break
		}
	}
	var firstErr error
	for _, k := range keys {
		res, err := k.verifier.Verify(in.c.Entity, verify.NewPolicy(artifact, verify.WithKey()))
		if err == nil {
			return res, k, nil
		}
		if firstErr == nil || isSignatureError(firstErr) && !isSignatureError(err) {
			firstErr = err
		}
	}
	return nil, nil, firstErr
}

// payloadNotLogged says whether sigstore-go found a log entry for the signature
// whose recorded payload hash or artifact digest differs from the candidate's: the
// payload was modified after it was logged.
func payloadNotLogged(msg string) bool {
	return strings.HasPrefix(msg, "failed to verify log inclusion") &&
		(strings.Contains(msg, "does not match envelope payload hash") || strings.Contains(msg, "does not match artifact"))
}

func isSignatureError(err error) bool {
	msg := err.Error()
	return strings.HasPrefix(msg, "failed to verify signature") || strings.HasPrefix(msg, "failed to get signature verifier")
}

// namedKey is the requirement's key the candidate names: by its hint (a bundle's
// public-key hint), else by the key its transparency-log entry records (cosign's
// legacy signatures carry no hint). It only explains a failure: nothing is trusted
// because of it.
func (r *requirement) namedKey(in *inspected) *publicKey {
	for _, k := range r.keys {
		if in.hint != "" && k.hints[in.hint] {
			return k
		}
	}
	entries, err := in.c.Entity.TlogEntries()
	if err != nil {
		return nil
	}
	for _, e := range entries {
		logged, ok := e.PublicKey().(interface{ Equal(crypto.PublicKey) bool })
		if !ok {
			continue
		}
		for _, k := range r.keys {
			if logged.Equal(k.pub) {
				return k
			}
		}
	}
	return nil
}

// classifyKeyed turns sigstore-go's error for a key-signed candidate into a Reason.
func (r *requirement) classifyKeyed(in *inspected, err error) *Failure {
	f := &Failure{Source: in.c.Source}
	msg := err.Error()
	hinted := r.namedKey(in) != nil
	switch {
	case payloadNotLogged(msg):
		f.Reason = BadSignature
		f.Detail = "the signed payload is not the one the transparency log recorded (modified payload?): " + msg
	case strings.Contains(msg, "transparency log certificate does not match") && !hinted:
		f.Reason = UntrustedKey
		f.Detail = fmt.Sprintf("the transparency log records another key than the requirement's (%s): %s", r.identities(), msg)
	case strings.HasPrefix(msg, "failed to verify log inclusion"), strings.HasPrefix(msg, "failed to verify timestamps"):
		f.Reason = MissingTlog
		f.Detail = "no verified transparency-log entry (inclusion proof or signed entry timestamp of a log of the trusted root): " + msg
	case isSignatureError(err) && hinted:
		f.Reason = BadSignature
		f.Detail = "the signature does not verify over its payload with the key it names (modified payload?): " + msg
	case isSignatureError(err):
		f.Reason = UntrustedKey
		f.Detail = fmt.Sprintf("not signed by a key of the requirement (%s): %s", r.identities(), msg)
	case strings.Contains(msg, "validity window"):
		f.Reason = UntrustedKey
		f.Detail = msg
	case strings.HasPrefix(msg, "failed to fetch"):
		f.Reason = Malformed
		f.Detail = msg
	default:
		f.Reason = BadSignature
		f.Detail = msg
	}
	return f
}

// classifyKeyless turns sigstore-go's error for a certificate-signed candidate into
// a Reason. sigstore-go checks in order: the transparency log (and the log time
// within the certificate's validity), the observer timestamps, the chain to the
// trusted root at those times, the SCTs, the signature, and last the identity.
func (r *requirement) classifyKeyless(in *inspected, err error) *Failure {
	f := &Failure{Source: in.c.Source}
	msg := err.Error()
	var noMatch *verify.ErrNoMatchingCertificateIdentity
	switch {
	case errors.As(err, &noMatch):
		f.Reason = WrongIdentity
		f.Seen = in.seen
		f.Detail = fmt.Sprintf("signed by %s, the requirement trusts %s", in.seen, r.keyless.text)
	case payloadNotLogged(msg):
		f.Reason = BadSignature
		f.Detail = "the signed payload is not the one the transparency log recorded (modified payload?): " + msg
	case strings.Contains(msg, "integrated time outside certificate validity"):
		f.Reason = CertificateExpired
		f.Detail = "the transparency log recorded the signature outside the certificate's validity (" + validity(in.cert) + ")"
	case strings.HasPrefix(msg, "failed to verify log inclusion"):
		f.Reason = MissingTlog
		f.Detail = "no verified transparency-log entry (inclusion proof or signed entry timestamp of a log of the trusted root): " + msg
	case strings.HasPrefix(msg, "failed to verify timestamps"):
		f.Reason = CertificateExpired
		f.Detail = "no verified timestamp (transparency log or RFC 3161) to check the certificate (" + validity(in.cert) + ") at: " + msg
	case strings.HasPrefix(msg, "failed to verify leaf certificate"):
		f.Reason, f.Detail = r.keyless.leafFailure(in)
	case strings.HasPrefix(msg, "failed to verify signed certificate timestamp"), strings.HasPrefix(msg, "SCTs required"):
		f.Reason = UntrustedKey
		f.Detail = "the certificate has no valid signed certificate timestamp of a CT log of the trusted root: " + msg
	case strings.HasPrefix(msg, "failed to verify signature"):
		f.Reason = BadSignature
		f.Detail = "the signature does not verify over its payload with the certificate's key (modified payload?): " + msg
	case strings.HasPrefix(msg, "failed to fetch"), strings.HasPrefix(msg, "failed to summarize"):
		f.Reason = Malformed
		f.Detail = msg
	default:
		f.Reason = BadSignature
		f.Detail = msg
	}
	return f
}

// leafFailure says why the certificate did not chain at the verified times: it
// chains at a time within its own validity (expired when signed, CertificateExpired)
// or not at all (UntrustedKey).
func (k *keylessIdentity) leafFailure(in *inspected) (Reason, string) {
	cert := in.cert
	mid := cert.NotBefore.Add(cert.NotAfter.Sub(cert.NotBefore) / 2)
	chains := false
	for _, ca := range k.trusted.FulcioCertificateAuthorities() {
		if _, err := ca.Verify(cert, mid); err == nil {
			chains = true
			break
		}
	}
	if !chains {
		return UntrustedKey, fmt.Sprintf("the certificate (%s) does not chain to a certificate authority of the trusted root", in.seen)
	}
	times := "no verified time"
	if logTimes, err := k.verifier.VerifyTransparencyLogInclusion(in.c.Entity); err == nil {
		if all, err := k.verifier.VerifyObserverTimestamps(in.c.Entity, logTimes); err == nil && len(all) > 0 {
			var ts []string
			for _, t := range all {
				ts = append(ts, t.Timestamp.UTC().Format(time.RFC3339)+" ("+t.Type+")")
			}
			times = "signed at " + strings.Join(ts, ", ")
		}
	}
	return CertificateExpired, fmt.Sprintf("the certificate was not valid when signed: %s, %s", validity(cert), times)
}

func validity(cert *x509.Certificate) string {
	if cert == nil {
		return "no certificate"
	}
	return "valid " + cert.NotBefore.UTC().Format(time.RFC3339) + " to " + cert.NotAfter.UTC().Format(time.RFC3339)
}

// bind checks, after the signature verified, that it is about digest: the
// simple-signing payload's critical.image.docker-manifest-digest, or a subject of
// the in-toto statement.
func bind(in *inspected, digest string) *Failure {
	switch {
	case len(in.c.Payload) > 0 && in.message != nil:
		seen, err := simpleSigningDigest(in.c.Payload)
		if err != nil {
			return &Failure{Reason: Malformed, Source: in.c.Source, Detail: "simple-signing payload: " + err.Error()}
		}
		if seen != digest {
			return &Failure{Reason: DigestMismatch, Source: in.c.Source, Seen: truncate(seen, 140),
				Detail: fmt.Sprintf("the signature is over %s, not %s", truncate(seen, 140), digest)}
		}
	case in.stmt != nil:
		if !in.stmt.about(digest) {
			seen := in.stmt.subjects()
			return &Failure{Reason: DigestMismatch, Source: in.c.Source, Seen: seen,
				Detail: fmt.Sprintf("the statement is about %s, not %s", seen, digest)}
		}
	}
	return nil
}

// match is a requirement that matched an image, and the pattern that matched.
type match struct {
	req     *requirement
	pattern string
}

// matching returns the requirements whose patterns match a normalised repository
// name, in policy order.
func (v *Verifier) matching(name string) []match {
	var matched []match
	for _, r := range v.reqs {
		for _, p := range r.patterns {
			if p.match(name) {
				matched = append(matched, match{r, p.text})
				break
			}
		}
	}
	return matched
}

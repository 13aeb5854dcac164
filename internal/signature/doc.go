// Package signature decides whether an image is authorized: signed (or attested) by
// an identity the policy trusts. It is the strong form of a registry allow-list.
//
// A Policy (the images section of .palisade.yaml) lists Requirements; every one whose
// Match patterns match an image's repository must pass, and an image no requirement
// matches is judged by the policy's Default (allow or deny). A requirement names its
// trusted identities: public keys (PEM: ECDSA, Ed25519, RSA; cosign.pub) or a keyless
// identity (the OIDC issuer and a subject pattern of a Fulcio certificate, checked
// against the trusted root's certificate authorities, with signed certificate
// timestamps and transparency-log inclusion proven offline from the signature's own
// inclusion proof or signed entry timestamp), and the attestations it demands (an
// in-toto predicate type and a CEL condition over the predicate).
//
// Signatures are Candidates found by a Store: a registry (OCI 1.1 referrers, the
// referrers tag schema, cosign's legacy sha256-<digest>.sig and .att tags) or an OCI
// image layout on disk, so that an air-gapped site carries images, signatures and one
// trusted_root.json and nothing else. The cryptography is sigstore-go's
// (github.com/sigstore/sigstore-go); nothing here fetches a trusted root or reaches a
// transparency log. Every failure says why (Reason), and a wrong identity shows the
// identity seen.
//
// New compiles a policy once (keys, trusted root, patterns, regular expressions, CEL
// conditions with a cost limit); Verifier.Verify judges one image. A candidate is a
// signature (cosign's simple-signing payload, a message signature over the manifest,
// or cosign v3's in-toto statement of predicate type
// https://sigstore.dev/cosign/sign/v1) or an attestation (an in-toto statement of
// another predicate type). sigstore-go's verify package checks it: the transparency
// log (a signed entry timestamp or an inclusion proof of a log of the trusted root,
// unless a keyed requirement says skip), the observer timestamps (the log's time or
// an RFC 3161 timestamp), the certificate chain at those times (never at the current
// time: an expired certificate passes only if it was valid when logged), the signed
// certificate timestamps when the trusted root lists CT logs, the signature, and the
// identity; then this package binds it to the digest (the payload's
// docker-manifest-digest, a statement subject) and evaluates the condition. sigstore-go's
// errors are classified into Reasons by the step that failed.
package signature

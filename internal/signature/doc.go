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
package signature

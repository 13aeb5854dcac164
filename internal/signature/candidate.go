package signature

import (
	"context"

	"github.com/sigstore/sigstore-go/pkg/verify"
)

// Kind is the form a candidate was found in.
type Kind string

// The forms of signatures and attestations.
const (
	// KindBundle is a Sigstore bundle (an OCI 1.1 referrer, or the referrers tag
	// schema): a message signature or a DSSE envelope.
	KindBundle Kind = "bundle"
	// KindSimpleSigning is cosign's legacy signature (a layer of the
	// sha256-<digest>.sig tag): a signature over a simple-signing payload.
	KindSimpleSigning Kind = "simple-signing"
	// KindLegacyAttestation is cosign's legacy attestation (a layer of the
	// sha256-<digest>.att tag): a DSSE envelope of an in-toto statement.
	KindLegacyAttestation Kind = "legacy-attestation"
)

// Candidate is one signature or attestation attached to an image digest, not yet
// verified.
type Candidate struct {
	Kind Kind
	// Source says where it was found, for reports ("referrer sha256:ab12...",
	// "tag sha256-ab12....sig layer 1").
	Source string
	// Entity is what sigstore-go verifies: the bundle, or a legacy signature or
	// attestation converted (certificate or none, signature or envelope,
	// transparency-log entry from cosign's bundle annotation, RFC 3161 timestamp).
	Entity verify.SignedEntity
	// Payload is the signed simple-signing payload (KindSimpleSigning): its
	// critical.image.docker-manifest-digest binds the signature to a digest.
	Payload []byte
	// Err is set when the artifact could not be decoded (Entity is nil): a Malformed
	// failure naming Source.
	Err error
}

// Store finds images' digests and the signatures attached to them.
type Store interface {
	// Resolve returns the normalised repository and the digest a reference names:
	// its own digest when pinned, else the digest its tag resolves to (an index's
	// digest for a multi-platform image, as cosign signs it).
	Resolve(ctx context.Context, ref string) (name, digest string, err error)
	// Signatures returns the candidates attached to digest in repository name:
	// referrers (with the tag-schema fallback) and the legacy .sig and .att tags.
	// None found is not an error.
	Signatures(ctx context.Context, name, digest string) ([]Candidate, error)
}

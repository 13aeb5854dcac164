package signature

// Result is the verdict on one image.
type Result struct {
	// Ref is the reference as written (by the workload, or on the command line);
	// Name the normalised repository; Digest the digest verified (the one the
	// reference names, or the one its tag resolved to).
	Ref, Name, Digest string
	// Allowed is the verdict.
	Allowed bool
	// Defaulted is set when no requirement matched: Policy.Default decided.
	Defaulted bool
	// Requirements are the results of the requirements that matched, in policy
	// order.
	Requirements []RequirementResult
	// Unchecked is set when the signatures could not be read (the registry failed,
	// the deadline passed): the image is neither verified nor known to be unsigned.
	// Allowed is then false.
	Unchecked *Failure
}

// RequirementResult is one requirement's verdict.
type RequirementResult struct {
	// Line is the requirement's line in the configuration; Pattern the Match pattern
	// that matched.
	Line    int
	Pattern string
	OK      bool
	// Signers are the identities whose signatures (and attestations) were verified.
	Signers []Signer
	// Failures say why each candidate was rejected (empty when OK, unless some
	// candidates failed and another passed).
	Failures []Failure
}

// Signer is one verified signature or attestation.
type Signer struct {
	// Key is the key file that verified it (keyed); Issuer and Subject the
	// certificate identity (keyless).
	Key             string
	Issuer, Subject string
	// PredicateType is set for an attestation.
	PredicateType string
	// Source is where it was found (Candidate.Source).
	Source string
	// LogIndex is its transparency-log index (-1 without one); IntegratedTime the
	// log's time (Unix seconds, 0 without one).
	LogIndex       int64
	IntegratedTime int64
}

// Reason classifies a failure.
type Reason string

// The reasons a verification fails.
const (
	// NoSignature: nothing was attached to the digest (or nothing of a kind the
	// requirement accepts).
	NoSignature Reason = "no-signature"
	// DigestMismatch: a signature (or statement subject) over another digest.
	DigestMismatch Reason = "digest-mismatch"
	// WrongIdentity: a valid certificate of another issuer or subject (Failure.Seen
	// shows the identity seen).
	WrongIdentity Reason = "wrong-identity"
	// UntrustedKey: signed by a key the requirement does not list, or a certificate
	// not chaining to the trusted root.
	UntrustedKey Reason = "untrusted-key"
	// BadSignature: the signature does not verify over its payload (a modified
	// payload).
	BadSignature Reason = "bad-signature"
	// MissingTlog: no transparency-log inclusion proof or signed entry timestamp
	// (or one that does not verify) where the requirement demands one.
	MissingTlog Reason = "missing-tlog"
	// CertificateExpired: the certificate was not valid at any verified time (a
	// log's integrated time or a signed timestamp).
	CertificateExpired Reason = "certificate-expired"
	// MissingAttestation: no attestation of the predicate type by a trusted identity.
	MissingAttestation Reason = "missing-attestation"
	// ConditionFailed: an attestation's predicate does not satisfy the condition
	// (or the condition failed to evaluate).
	ConditionFailed Reason = "condition-failed"
	// Malformed: an attached artifact could not be decoded.
	Malformed Reason = "malformed"
	// NotMatched: no requirement matched and the policy's default is deny.
	NotMatched Reason = "not-matched"
	// Unreachable: the signatures could not be read (Result.Unchecked).
	Unreachable Reason = "unreachable"
)

// Failure is one reason a verification failed.
type Failure struct {
	Reason Reason
	// Detail is the human explanation, without secrets.
	Detail string
	// Source is the candidate it is about ("" for the image as a whole).
	Source string
	// Seen is the identity seen for WrongIdentity ("issuer / subject") and the
	// digest seen for DigestMismatch.
	Seen string
}

// Summary is one line saying why an image failed (or that it passed), for findings and
// admission messages.
func (r *Result) Summary() string {
	panic("signature: Result.Summary not implemented")
}

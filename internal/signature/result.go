package signature

import (
	"fmt"
	"slices"
	"strings"
)

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
	switch {
	case r.Unchecked != nil:
		return "signatures not checked: " + r.Unchecked.Detail
	case r.Defaulted && r.Allowed:
		return fmt.Sprintf("no requirement matches %s: allowed by default", r.Name)
	case r.Defaulted:
		return fmt.Sprintf("no requirement matches %s and the default is deny", r.Name)
	}
	var parts []string
	for i := range r.Requirements {
		rr := &r.Requirements[i]
		if r.Allowed {
			parts = append(parts, rr.signed())
			continue
		}
		if rr.OK {
			continue
		}
		f := rr.Decisive()
		if f == nil {
			parts = append(parts, fmt.Sprintf("requirement %s failed", rr.label()))
			continue
		}
		s := fmt.Sprintf("requirement %s: %s: %s", rr.label(), f.Reason, f.Detail)
		if f.Source != "" {
			s += " [" + f.Source + "]"
		}
		if n := len(rr.Failures) - 1; n > 0 {
			s += fmt.Sprintf(" (and %d more)", n)
		}
		parts = append(parts, s)
	}
	if r.Allowed {
		return "verified: " + strings.Join(parts, "; ")
	}
	return strings.Join(parts, "; ")
}

// label names a requirement in messages: its line and the pattern that matched.
func (rr *RequirementResult) label() string {
	if rr.Line > 0 {
		return fmt.Sprintf("at line %d (%s)", rr.Line, rr.Pattern)
	}
	return "(" + rr.Pattern + ")"
}

// signed says who signed (and attested), for a passing requirement.
func (rr *RequirementResult) signed() string {
	var sig, att []string
	for _, s := range rr.Signers {
		who := s.Key
		if who == "" {
			who = s.Issuer + " / " + s.Subject
		}
		if s.PredicateType != "" {
			att = append(att, s.PredicateType+" by "+who)
		} else if !slices.Contains(sig, who) {
			sig = append(sig, who)
		}
	}
	out := "signed by " + strings.Join(sig, ", ")
	if len(att) > 0 {
		out += "; attested " + strings.Join(att, ", ")
	}
	return out
}

// reasonRank orders reasons from the most to the least telling: a candidate that
// got furthest through verification explains a failure best.
var reasonRank = map[Reason]int{
	ConditionFailed:    1,
	DigestMismatch:     2,
	WrongIdentity:      3,
	CertificateExpired: 4,
	MissingTlog:        5,
	BadSignature:       6,
	UntrustedKey:       7,
	Malformed:          8,
	Unreachable:        9,
	MissingAttestation: 10,
	NoSignature:        11,
	NotMatched:         12,
}

// Decisive is the failure that best explains a failed requirement (nil when it
// passed or has no failure): when a signature verified, the attestation's failure;
// else the failure of the candidate that got furthest.
func (rr *RequirementResult) Decisive() *Failure {
	if rr.OK || len(rr.Failures) == 0 {
		return nil
	}
	signed := false
	for _, s := range rr.Signers {
		if s.PredicateType == "" {
			signed = true
		}
	}
	var best *Failure
	for i := range rr.Failures {
		f := &rr.Failures[i]
		if signed && f.Reason != ConditionFailed && f.Reason != MissingAttestation && f.Reason != Unreachable {
			continue
		}
		if signed && f.Reason == MissingAttestation {
			// A missing attestation is decisive over the attestation candidates'
			// own failures only when none of them says more.
			if best == nil {
				best = f
			}
			continue
		}
		if best == nil || reasonRank[f.Reason] < reasonRank[best.Reason] {
			best = f
		}
	}
	if best == nil {
		best = &rr.Failures[0]
	}
	return best
}

// Failures lists every failure of the result: Unchecked, the deny default
// (NotMatched), and the decisive failure of each failed requirement.
func (r *Result) Failures() []Failure {
	switch {
	case r.Unchecked != nil:
		return []Failure{*r.Unchecked}
	case r.Defaulted && !r.Allowed:
		return []Failure{{Reason: NotMatched, Detail: fmt.Sprintf("no requirement matches %s and the default is deny", r.Name)}}
	}
	var out []Failure
	for i := range r.Requirements {
		if f := r.Requirements[i].Decisive(); f != nil {
			out = append(out, *f)
		}
	}
	return out
}

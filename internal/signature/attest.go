package signature

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// CosignSignPredicateType is the predicate type of the in-toto statement cosign v3
// signs for `cosign sign` in the Sigstore bundle format (--new-bundle-format, the
// default of cosign v3): its subject is the image digest and its predicate empty.
// A verified statement of this type is an image signature, not an attestation.
const CosignSignPredicateType = "https://sigstore.dev/cosign/sign/v1"

// inTotoPayloadType is the DSSE payload type of an in-toto statement.
const inTotoPayloadType = "application/vnd.in-toto+json"

// Bounds on a statement: sigstore-go limits subjects to 1,024; a statement (an
// SBOM predicate can be large) is bounded by the store's artifact size, and again
// here.
const (
	maxStatementBytes = 16 << 20
	maxSubjects       = 1024
)

// statement is an in-toto statement (v0.1 or v1) as read from a DSSE payload.
type statement struct {
	Type          string    `json:"_type"`
	PredicateType string    `json:"predicateType"`
	Subject       []subject `json:"subject"`
	// raw is the whole statement; predicate the predicate, both as JSON.
	raw       []byte
	predicate json.RawMessage
}

type subject struct {
	Name   string            `json:"name"`
	Digest map[string]string `json:"digest"`
}

// parseStatement decodes a DSSE payload of type in-toto.
func parseStatement(payloadType, payloadB64 string) (*statement, error) {
	if payloadType != inTotoPayloadType {
		return nil, fmt.Errorf("payload type %q, want %q", truncate(payloadType, 80), inTotoPayloadType)
	}
	if base64.StdEncoding.DecodedLen(len(payloadB64)) > maxStatementBytes {
		return nil, fmt.Errorf("statement larger than %d bytes", maxStatementBytes)
	}
	raw, err := base64.StdEncoding.DecodeString(payloadB64)
	if err != nil {
		// DSSE allows URL-safe base64 too.
		raw, err = base64.URLEncoding.DecodeString(payloadB64)
		if err != nil {
			return nil, errors.New("payload is not base64")
		}
	}
	var st struct {
		statement
		Predicate json.RawMessage `json:"predicate"`
	}
	if err := json.Unmarshal(raw, &st); err != nil {
		return nil, fmt.Errorf("undecodable in-toto statement: %v", err)
	}
	if !strings.HasPrefix(st.Type, "https://in-toto.io/Statement/") {
		return nil, fmt.Errorf("_type %q is not an in-toto statement", truncate(st.Type, 80))
	}
	if st.PredicateType == "" {
		return nil, errors.New("in-toto statement without predicateType")
	}
	if len(st.Subject) == 0 || len(st.Subject) > maxSubjects {
		return nil, fmt.Errorf("in-toto statement with %d subjects (1 to %d)", len(st.Subject), maxSubjects)
	}
	out := st.statement
	out.raw = raw
	out.predicate = st.Predicate
	return &out, nil
}

// about says whether a subject of the statement has digest ("sha256:<hex>").
func (s *statement) about(digest string) bool {
	alg, hexSum, ok := strings.Cut(digest, ":")
	if !ok {
		return false
	}
	for _, sub := range s.Subject {
		if v, ok := sub.Digest[alg]; ok && strings.EqualFold(v, hexSum) {
			return true
		}
	}
	return false
}

// subjects lists the statement's subject digests, for a DigestMismatch.
func (s *statement) subjects() string {
	var out []string
	for _, sub := range s.Subject {
		for alg, v := range sub.Digest {
			out = append(out, alg+":"+truncate(v, 128))
		}
		if len(out) >= 4 {
			break
		}
	}
	sort.Strings(out)
	if len(out) == 0 {
		return "no digest"
	}
	return strings.Join(out, ", ")
}

// simpleSigningDigest reads critical.image.docker-manifest-digest of cosign's
// simple-signing payload (the "cosign container image signature" format).
func simpleSigningDigest(payload []byte) (string, error) {
	if len(payload) > maxStatementBytes {
		return "", fmt.Errorf("larger than %d bytes", maxStatementBytes)
	}
	var p struct {
		Critical struct {
			Image struct {
				Digest string `json:"docker-manifest-digest"`
			} `json:"image"`
			Type string `json:"type"`
		} `json:"critical"`
	}
	if err := json.Unmarshal(payload, &p); err != nil {
		return "", fmt.Errorf("undecodable: %v", err)
	}
	if p.Critical.Image.Digest == "" {
		return "", errors.New("no critical.image.docker-manifest-digest")
	}
	return p.Critical.Image.Digest, nil
}

// attestation is a compiled Attestation.
type attestation struct {
	src       Attestation
	condition *condition
}

func compileAttestation(a Attestation) (*attestation, error) {
	if a.PredicateType == "" {
		return nil, errors.New("attestation without predicateType")
	}
	out := &attestation{src: a}
	if a.Condition != "" {
		c, err := compileCondition(a.Condition)
		if err != nil {
			return nil, fmt.Errorf("condition: %w", err)
		}
		out.condition = c
	}
	return out, nil
}

// attest looks for a verified attestation of a's predicate type about digest whose
// predicate satisfies the condition. It returns the signer of the first one, or the
// failures: each candidate's, then MissingAttestation when none verified.
func (r *requirement) attest(ctx context.Context, a *attestation, cands []*inspected, digest string) (Signer, []Failure, bool) {
	var fails []Failure
	found, verified := 0, 0
	for _, in := range cands {
		if in.fail != nil || in.stmt == nil || in.stmt.PredicateType != a.src.PredicateType {
			continue
		}
		found++
		if err := ctx.Err(); err != nil {
			fails = append(fails, Failure{Reason: Unreachable, Source: in.c.Source, Detail: "the verification deadline passed: " + err.Error()})
			break
		}
		s, f := r.verifyCandidate(in, digest, a.src.PredicateType)
		if f != nil {
			fails = append(fails, *f)
			continue
		}
		verified++
		if a.condition != nil {
			ok, detail := a.condition.eval(ctx, in.stmt)
			if !ok {
				fails = append(fails, Failure{Reason: ConditionFailed, Source: in.c.Source, Detail: fmt.Sprintf("attestation %s: %s", a.src.PredicateType, detail)})
				continue
			}
		}
		return s, fails, true
	}
	if verified == 0 {
		detail := fmt.Sprintf("no attestation of type %s about %s signed by %s", a.src.PredicateType, digest, r.identities())
		if found > 0 {
			detail += fmt.Sprintf(" (%d found, none verified", found)
			for _, f := range fails {
				if f.Reason != ConditionFailed {
					detail += fmt.Sprintf("; %s: %s", f.Reason, f.Detail)
					break
				}
			}
			detail += ")"
		}
		fails = append(fails, Failure{Reason: MissingAttestation, Detail: detail})
	}
	return Signer{}, fails, false
}

package signature

// Cosign's legacy formats, converted into what sigstore-go verifies.
//
// Before Sigstore bundles, cosign attached a signature to an image digest as a layer of
// the manifest tagged sha256-<hex>.sig: the layer is the signed payload (a simple-signing
// JSON document naming the digest), and the layer's annotations carry the rest: the
// signature (base64), the Fulcio certificate and its chain (PEM) for keyless signatures,
// the Rekor "bundle" (the signed entry timestamp, SET, with the log entry it signs) and an
// RFC 3161 timestamp. Attestations are layers of the sha256-<hex>.att manifest: the layer
// is a DSSE envelope of an in-toto statement, with the same annotations. cosign v3 still
// writes both with --new-bundle-format=false, and registries hold years of them.
//
// FromCosignLayer turns one such layer into a Candidate whose Entity is a
// verify.SignedEntity, so that sigstore-go verifies it exactly as it verifies a bundle:
// the message signature over the payload (or the envelope), the certificate chained to
// the trusted root, the SET against the trusted root's Rekor keys (with the entry's
// signature, key and digest compared to the layer's) and the timestamp against its
// timestamp authorities. FromBundle does the same for a Sigstore bundle. Neither
// verifies anything: they decode, bounded, and an input they cannot decode is
// Candidate.Err.

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/digitorus/timestamp"
	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/tlog"
	"github.com/sigstore/sigstore-go/pkg/verify"
)

// Media types of cosign's legacy layers and of Sigstore bundles.
const (
	// MediaTypeSimpleSigning is a layer of a .sig manifest: a simple-signing payload.
	MediaTypeSimpleSigning = "application/vnd.dev.cosign.simplesigning.v1+json"
	// MediaTypeDSSE is a layer of a .att manifest: a DSSE envelope.
	MediaTypeDSSE = "application/vnd.dsse.envelope.v1+json"
	// MediaTypeBundlePrefix begins the media types of Sigstore bundles
	// ("application/vnd.dev.sigstore.bundle.v0.3+json",
	// "application/vnd.dev.sigstore.bundle+json;version=0.2").
	MediaTypeBundlePrefix = "application/vnd.dev.sigstore.bundle"
	// MediaTypeInToto is the payload type of an attestation's envelope.
	MediaTypeInToto = "application/vnd.in-toto+json"
)

// The annotations of a cosign legacy layer (cosign's pkg/oci/static).
const (
	AnnotationSignature   = "dev.cosignproject.cosign/signature"
	AnnotationCertificate = "dev.sigstore.cosign/certificate"
	AnnotationChain       = "dev.sigstore.cosign/chain"
	AnnotationBundle      = "dev.sigstore.cosign/bundle"
	AnnotationTimestamp   = "dev.sigstore.cosign/rfc3161timestamp"
)

// Bounds of the conversion. The stores bound what they read (RegistryOptions); these
// hold whatever a caller passes.
const (
	// MaxPayloadBytes bounds a layer's payload and a bundle (SBOM attestations are
	// large).
	MaxPayloadBytes = 32 << 20
	// maxAnnotationBytes bounds one annotation (a certificate chain, a Rekor bundle).
	maxAnnotationBytes = 256 << 10
	// maxSignatureBytes bounds a decoded signature (an RSA-4096 signature is 512).
	maxSignatureBytes = 4 << 10
	// maxChainCertificates bounds the certificates of the chain annotation.
	maxChainCertificates = 8
	// maxEnvelopeSignatures bounds the signatures of a DSSE envelope.
	maxEnvelopeSignatures = 8
)

// legacyVersion is what a converted legacy entity reports as its version: sigstore-go
// then verifies a certificate's ECDSA P-384/P-521 signature over SHA-256 as well (its
// compatibility verifier for old clients), as cosign's legacy verifier does.
const legacyVersion = "v0.1"

// FromCosignLayer converts one layer of a cosign .sig manifest (kind
// KindSimpleSigning: mediaType MediaTypeSimpleSigning, payload the simple-signing
// document) or .att manifest (KindLegacyAttestation: MediaTypeDSSE, payload the DSSE
// envelope) with its annotations into a Candidate. An empty mediaType is taken as the
// kind's. A layer that cannot be decoded (another media type, no or bad signature,
// certificate or chain that does not parse, a Rekor bundle or timestamp annotation that
// does not decode, over the bounds) is returned with Err set and no Entity; source is
// copied into the Candidate for reports.
func FromCosignLayer(kind Kind, mediaType string, annotations map[string]string, payload []byte, source string) Candidate {
	c := Candidate{Kind: kind, Source: source}
	e, err := cosignLayer(kind, mediaType, annotations, payload)
	if err != nil {
		c.Err = err
		return c
	}
	c.Entity = e
	if kind == KindSimpleSigning {
		c.Payload = payload
	}
	return c
}

// FromBundle converts a Sigstore bundle (JSON, media types v0.1 to v0.3; mediaType is the
// OCI artifact or layer type it was found under, "" when unknown) into a Candidate of
// KindBundle. A bundle that does not decode or validate is returned with Err set.
func FromBundle(mediaType string, data []byte, source string) Candidate {
	c := Candidate{Kind: KindBundle, Source: source}
	b, err := decodeBundle(mediaType, data)
	if err != nil {
		c.Err = err
		return c
	}
	c.Entity = b
	return c
}

func decodeBundle(mediaType string, data []byte) (*bundle.Bundle, error) {
	if mediaType != "" && !strings.HasPrefix(mediaType, MediaTypeBundlePrefix) {
		return nil, fmt.Errorf("media type %q is not a Sigstore bundle", mediaType)
	}
	if len(data) > MaxPayloadBytes {
		return nil, fmt.Errorf("bundle of %d bytes exceeds the limit of %d", len(data), MaxPayloadBytes)
	}
	var b bundle.Bundle
	if err := b.UnmarshalJSON(data); err != nil {
		return nil, fmt.Errorf("bundle: %w", err)
	}
	// UnmarshalJSON checks the structure and parses the log entries; decode the rest
	// now, so that a certificate or envelope that does not decode is Err rather than a
	// failure of verification.
	if _, err := b.VerificationContent(); err != nil {
		return nil, fmt.Errorf("bundle: verification material: %w", err)
	}
	sc, err := b.SignatureContent()
	if err != nil {
		return nil, fmt.Errorf("bundle: %w", err)
	}
	if env := sc.EnvelopeContent(); env != nil {
		if n := len(env.RawEnvelope().Signatures); n == 0 || n > maxEnvelopeSignatures {
			return nil, fmt.Errorf("bundle: DSSE envelope of %d signatures (1 to %d)", n, maxEnvelopeSignatures)
		}
	}
	return &b, nil
}

func cosignLayer(kind Kind, mediaType string, annotations map[string]string, payload []byte) (*legacyEntity, error) {
	want := ""
	switch kind {
	case KindSimpleSigning:
		want = MediaTypeSimpleSigning
	case KindLegacyAttestation:
		want = MediaTypeDSSE
	default:
		return nil, fmt.Errorf("%q is not a kind of cosign layer", kind)
	}
	if mediaType != "" && mediaType != want {
		return nil, fmt.Errorf("layer media type %q, not %s", mediaType, want)
	}
	if len(payload) > MaxPayloadBytes {
		return nil, fmt.Errorf("layer of %d bytes exceeds the limit of %d", len(payload), MaxPayloadBytes)
	}
	if len(payload) == 0 {
		return nil, errors.New("empty layer")
	}
	for _, k := range []string{AnnotationSignature, AnnotationCertificate, AnnotationChain, AnnotationBundle, AnnotationTimestamp} {
		if n := len(annotations[k]); n > maxAnnotationBytes {
			return nil, fmt.Errorf("annotation %s of %d bytes exceeds the limit of %d", k, n, maxAnnotationBytes)
		}
	}

	e := &legacyEntity{}
	var err error
	if e.verification, err = legacyVerificationContent(annotations); err != nil {
		return nil, err
	}
	if s := annotations[AnnotationBundle]; s != "" {
		entry, err := rekorBundle(s)
		if err != nil {
			return nil, fmt.Errorf("annotation %s: %w", AnnotationBundle, err)
		}
		e.entries = []*tlog.Entry{entry}
	}
	if s := annotations[AnnotationTimestamp]; s != "" {
		ts, err := rfc3161Timestamp(s)
		if err != nil {
			return nil, fmt.Errorf("annotation %s: %w", AnnotationTimestamp, err)
		}
		e.timestamps = [][]byte{ts}
	}

	switch kind {
	case KindSimpleSigning:
		e.signature, err = simpleSigningSignature(annotations[AnnotationSignature], payload, e.entries)
	default:
		e.signature, err = legacyEnvelope(payload)
		if err == nil && len(e.entries) == 0 && len(e.timestamps) == 1 && timestampOver(e.timestamps[0], payload) {
			e.signature = &layerTimestampedEnvelope{Envelope: e.signature.(*bundle.Envelope), layer: payload}
		}
	}
	if err != nil {
		return nil, err
	}
	return e, nil
}

// layerTimestampedEnvelope is the envelope of an attestation that cosign before v3
// timestamped over the whole layer (the envelope's JSON, which holds the signature)
// rather than over the signature, as cosign v3 and bundles do. Its Signature, which
// sigstore-go hashes to check a timestamp's imprint (and compares with a log entry's:
// it has none), is the layer.
type layerTimestampedEnvelope struct {
	*bundle.Envelope
	layer []byte
}

func (e *layerTimestampedEnvelope) Signature() []byte { return e.layer }

// timestampOver reports whether an RFC 3161 timestamp response's message imprint is
// the hash of data.
func timestampOver(tsr, data []byte) bool {
	ts, err := timestamp.ParseResponse(tsr)
	if err != nil || !ts.HashAlgorithm.Available() {
		return false
	}
	h := ts.HashAlgorithm.New()
	h.Write(data)
	return bytes.Equal(h.Sum(nil), ts.HashedMessage)
}

// simpleSigningSignature is the message signature of a .sig layer over its payload. The
// digest is only sigstore-go's hint (it hashes the payload itself); it is computed with
// the algorithm of the Rekor entry, if any, so that the entry's digest compares.
func simpleSigningSignature(b64 string, payload []byte, entries []*tlog.Entry) (verify.SignatureContent, error) {
	if b64 == "" {
		return nil, fmt.Errorf("no signature (annotation %s)", AnnotationSignature)
	}
	if base64.StdEncoding.DecodedLen(len(b64)) > maxSignatureBytes {
		return nil, fmt.Errorf("annotation %s: signature longer than %d bytes", AnnotationSignature, maxSignatureBytes)
	}
	sig, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(sig) == 0 {
		return nil, fmt.Errorf("annotation %s: not a base64 signature", AnnotationSignature)
	}
	if !json.Valid(payload) {
		return nil, errors.New("simple-signing payload is not JSON")
	}
	hash := crypto.SHA256
	for _, entry := range entries {
		if _, alg, ok := entry.GetHashedRekordDigest(); ok {
			switch strings.ToLower(alg) {
			case "sha384", "sha2_384":
				hash = crypto.SHA384
			case "sha512", "sha2_512":
				hash = crypto.SHA512
			}
		}
	}
	var digest []byte
	var name string
	switch hash {
	case crypto.SHA384:
		d := sha512.Sum384(payload)
		digest, name = d[:], protocommon.HashAlgorithm_SHA2_384.String()
	case crypto.SHA512:
		d := sha512.Sum512(payload)
		digest, name = d[:], protocommon.HashAlgorithm_SHA2_512.String()
	default:
		d := sha256.Sum256(payload)
		digest, name = d[:], protocommon.HashAlgorithm_SHA2_256.String()
	}
	return bundle.NewMessageSignature(digest, name, sig), nil
}

// legacyEnvelope decodes the DSSE envelope of a .att layer (cosign marshals the
// envelope's protobuf message with encoding/json: payloadType, payload and sig in
// base64).
func legacyEnvelope(payload []byte) (verify.SignatureContent, error) {
	var env dsse.Envelope
	if err := json.Unmarshal(payload, &env); err != nil {
		return nil, fmt.Errorf("DSSE envelope: %w", err)
	}
	if env.PayloadType != MediaTypeInToto {
		return nil, fmt.Errorf("DSSE envelope of payload type %q, not %s", env.PayloadType, MediaTypeInToto)
	}
	if _, err := env.DecodeB64Payload(); err != nil || env.Payload == "" {
		return nil, errors.New("DSSE envelope: payload is not base64")
	}
	switch n := len(env.Signatures); {
	case n == 0:
		return nil, errors.New("DSSE envelope without signatures")
	case n > maxEnvelopeSignatures:
		return nil, fmt.Errorf("DSSE envelope of %d signatures (at most %d)", n, maxEnvelopeSignatures)
	}
	for i, s := range env.Signatures {
		if len(s.Sig) > 2*maxSignatureBytes {
			return nil, fmt.Errorf("DSSE envelope: signature %d longer than %d bytes", i+1, maxSignatureBytes)
		}
		if sig, err := base64.StdEncoding.DecodeString(s.Sig); err != nil || len(sig) == 0 {
			return nil, fmt.Errorf("DSSE envelope: signature %d is not base64", i+1)
		}
	}
	return &bundle.Envelope{Envelope: &env}, nil
}

// legacyVerificationContent is the certificate (keyless) or, without one, a public key
// the verifier supplies (keyed: a legacy layer names no key).
func legacyVerificationContent(annotations map[string]string) (verify.VerificationContent, error) {
	certPEM := annotations[AnnotationCertificate]
	if strings.TrimSpace(certPEM) == "" {
		if strings.TrimSpace(annotations[AnnotationChain]) != "" {
			return nil, fmt.Errorf("annotation %s without %s", AnnotationChain, AnnotationCertificate)
		}
		return &legacyKey{}, nil
	}
	certs, err := parseCertificates(certPEM, 1)
	if err != nil {
		return nil, fmt.Errorf("annotation %s: %w", AnnotationCertificate, err)
	}
	c := &legacyCertificate{leaf: certs[0]}
	if chain := annotations[AnnotationChain]; strings.TrimSpace(chain) != "" {
		if c.intermediates, err = parseCertificates(chain, maxChainCertificates); err != nil {
			return nil, fmt.Errorf("annotation %s: %w", AnnotationChain, err)
		}
	}
	return c, nil
}

// parseCertificates decodes PEM CERTIFICATE blocks, at least one and at most max.
func parseCertificates(s string, max int) ([]*x509.Certificate, error) {
	rest := []byte(s)
	var certs []*x509.Certificate
	for {
		rest = bytes.TrimSpace(rest)
		if len(rest) == 0 {
			break
		}
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, errors.New("not PEM")
		}
		if block.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("PEM block %q, not CERTIFICATE", block.Type)
		}
		if len(certs) == max {
			return nil, fmt.Errorf("more than %d certificates", max)
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("certificate %d: %w", len(certs)+1, err)
		}
		certs = append(certs, cert)
	}
	if len(certs) == 0 {
		return nil, errors.New("no certificate")
	}
	return certs, nil
}

// cosignRekorBundle is cosign's Rekor bundle annotation (pkg/cosign/bundle.RekorBundle):
// the SET and the payload it signs, whose body is the base64 canonical log entry.
type cosignRekorBundle struct {
	SignedEntryTimestamp []byte
	Payload              struct {
		Body           json.RawMessage `json:"body"`
		IntegratedTime int64           `json:"integratedTime"`
		LogIndex       int64           `json:"logIndex"`
		LogID          string          `json:"logID"`
	}
}

// rekorBundle decodes the Rekor bundle annotation into a log entry with its inclusion
// promise (no inclusion proof: the legacy format has none).
func rekorBundle(s string) (*tlog.Entry, error) {
	var rb cosignRekorBundle
	if err := json.Unmarshal([]byte(s), &rb); err != nil {
		return nil, fmt.Errorf("not a Rekor bundle: %w", err)
	}
	if len(rb.SignedEntryTimestamp) == 0 {
		return nil, errors.New("no SignedEntryTimestamp")
	}
	var b64 string
	if err := json.Unmarshal(rb.Payload.Body, &b64); err != nil || b64 == "" {
		return nil, errors.New("payload body is not a base64 string")
	}
	body, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, errors.New("payload body is not base64")
	}
	logID, err := hex.DecodeString(rb.Payload.LogID)
	if err != nil || len(logID) == 0 {
		return nil, fmt.Errorf("payload logID %q is not hex", rb.Payload.LogID)
	}
	if rb.Payload.LogIndex < 0 {
		return nil, fmt.Errorf("payload logIndex %d", rb.Payload.LogIndex)
	}
	var kv struct {
		Kind       string `json:"kind"`
		APIVersion string `json:"apiVersion"`
	}
	if err := json.Unmarshal(body, &kv); err != nil || kv.Kind == "" || kv.APIVersion == "" {
		return nil, errors.New("payload body is not a Rekor entry")
	}
	entry, err := tlog.NewTlogEntry(&protorekor.TransparencyLogEntry{
		LogIndex:          rb.Payload.LogIndex,
		LogId:             &protocommon.LogId{KeyId: logID},
		KindVersion:       &protorekor.KindVersion{Kind: kv.Kind, Version: kv.APIVersion},
		IntegratedTime:    rb.Payload.IntegratedTime,
		InclusionPromise:  &protorekor.InclusionPromise{SignedEntryTimestamp: rb.SignedEntryTimestamp},
		CanonicalizedBody: body,
	})
	if err != nil {
		return nil, fmt.Errorf("payload body: %w", err)
	}
	return entry, nil
}

// rfc3161Timestamp decodes cosign's timestamp annotation
// ({"SignedRFC3161Timestamp": base64 DER TimeStampResponse}).
func rfc3161Timestamp(s string) ([]byte, error) {
	var ts struct {
		SignedRFC3161Timestamp []byte
	}
	if err := json.Unmarshal([]byte(s), &ts); err != nil {
		return nil, fmt.Errorf("not an RFC 3161 timestamp: %w", err)
	}
	if len(ts.SignedRFC3161Timestamp) == 0 {
		return nil, errors.New("no SignedRFC3161Timestamp")
	}
	if _, err := timestamp.ParseResponse(ts.SignedRFC3161Timestamp); err != nil {
		return nil, fmt.Errorf("not an RFC 3161 timestamp response: %w", err)
	}
	return ts.SignedRFC3161Timestamp, nil
}

// legacyEntity is a cosign legacy signature or attestation as a verify.SignedEntity.
type legacyEntity struct {
	verification verify.VerificationContent
	signature    verify.SignatureContent
	entries      []*tlog.Entry
	timestamps   [][]byte
}

var _ verify.SignedEntity = (*legacyEntity)(nil)

func (e *legacyEntity) HasInclusionPromise() bool {
	for _, entry := range e.entries {
		if entry.HasInclusionPromise() {
			return true
		}
	}
	return false
}

func (e *legacyEntity) HasInclusionProof() bool {
	for _, entry := range e.entries {
		if entry.HasInclusionProof() {
			return true
		}
	}
	return false
}

func (e *legacyEntity) VerificationContent() (verify.VerificationContent, error) {
	return e.verification, nil
}

func (e *legacyEntity) SignatureContent() (verify.SignatureContent, error) {
	return e.signature, nil
}

func (e *legacyEntity) Timestamps() ([][]byte, error) { return e.timestamps, nil }

func (e *legacyEntity) TlogEntries() ([]*tlog.Entry, error) { return e.entries, nil }

func (e *legacyEntity) Version() (string, error) { return legacyVersion, nil }

// legacyCertificate is a keyless layer's certificate with the chain annotation's
// certificates (candidates for path building; trust comes only from the trusted root).
type legacyCertificate struct {
	leaf          *x509.Certificate
	intermediates []*x509.Certificate
}

func (c *legacyCertificate) CompareKey(key any, _ root.TrustedMaterial) bool {
	cert, ok := key.(*x509.Certificate)
	return ok && c.leaf.Equal(cert)
}

func (c *legacyCertificate) ValidAtTime(t time.Time, _ root.TrustedMaterial) bool {
	return !c.leaf.NotAfter.Before(t) && !c.leaf.NotBefore.After(t)
}

func (c *legacyCertificate) Certificate() *x509.Certificate      { return c.leaf }
func (c *legacyCertificate) Intermediates() []*x509.Certificate  { return c.intermediates }
func (c *legacyCertificate) PublicKey() verify.PublicKeyProvider { return nil }

// legacyKey is a keyed layer's verification content: the layer names no key, so the
// trusted material's PublicKeyVerifier (given the empty hint) supplies the key being
// tried.
type legacyKey struct{}

func (k *legacyKey) Hint() string { return "" }

func (k *legacyKey) CompareKey(key any, tm root.TrustedMaterial) bool {
	v, err := tm.PublicKeyVerifier(k.Hint())
	if err != nil {
		return false
	}
	pub, err := v.PublicKey()
	if err != nil {
		return false
	}
	eq, ok := key.(interface{ Equal(crypto.PublicKey) bool })
	return ok && eq.Equal(pub)
}

func (k *legacyKey) ValidAtTime(t time.Time, tm root.TrustedMaterial) bool {
	v, err := tm.PublicKeyVerifier(k.Hint())
	return err == nil && v.ValidAtTime(t)
}

func (k *legacyKey) Certificate() *x509.Certificate      { return nil }
func (k *legacyKey) Intermediates() []*x509.Certificate  { return nil }
func (k *legacyKey) PublicKey() verify.PublicKeyProvider { return k }

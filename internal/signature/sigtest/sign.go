package sigtest

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/go-openapi/runtime"
	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protodsse "github.com/sigstore/protobuf-specs/gen/pb-go/dsse"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"github.com/sigstore/rekor/pkg/generated/models"
	"github.com/sigstore/rekor/pkg/pki"
	"github.com/sigstore/rekor/pkg/types"
	_ "github.com/sigstore/rekor/pkg/types/dsse/v0.0.1"         // the dsse entry kind
	_ "github.com/sigstore/rekor/pkg/types/hashedrekord/v0.0.1" // the hashedrekord entry kind
	"github.com/sigstore/sigstore-go/pkg/tlog"
	sigsig "github.com/sigstore/sigstore/pkg/signature"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/palisade-k8s/palisade/internal/signature"
)

// Media types and annotations of cosign's artifacts.
const (
	// BundleMediaType is the Sigstore bundle v0.3 media type (the referrer's
	// artifactType and its layer's media type, as cosign v3 writes them).
	BundleMediaType = "application/vnd.dev.sigstore.bundle.v0.3+json"
	// SimpleSigningMediaType is a legacy .sig layer's media type.
	SimpleSigningMediaType = "application/vnd.dev.cosign.simplesigning.v1+json"
	// DSSEMediaType is a legacy .att layer's media type.
	DSSEMediaType = "application/vnd.dsse.envelope.v1+json"
	// InTotoPayloadType is the DSSE payload type of an in-toto statement.
	InTotoPayloadType = "application/vnd.in-toto+json"
	// CosignSignPredicateType is the predicate of cosign v3's bundle-format image
	// signature (an in-toto statement about the digest, empty predicate).
	CosignSignPredicateType = "https://sigstore.dev/cosign/sign/v1"

	AnnotationSignature   = "dev.cosignproject.cosign/signature"
	AnnotationCertificate = "dev.sigstore.cosign/certificate"
	AnnotationChain       = "dev.sigstore.cosign/chain"
	AnnotationBundle      = "dev.sigstore.cosign/bundle"
	AnnotationRFC3161     = "dev.sigstore.cosign/rfc3161timestamp"
	// AnnotationBundleContent and AnnotationBundlePredicateType annotate cosign's
	// bundle referrer manifests.
	AnnotationBundleContent       = "dev.sigstore.bundle.content"
	AnnotationBundlePredicateType = "dev.sigstore.bundle.predicateType"
)

// Signer is an identity that signs: a key (Key set), or a certificate of the virtual
// Sigstore for Issuer and Subject (keyless: Key nil). Sigstore is also the
// transparency log and timestamp authority of keyed signatures; a keyed Signer
// without one makes signatures without a log entry (cosign --tlog-upload=false).
type Signer struct {
	Key             *Key
	Sigstore        *Sigstore
	Issuer, Subject string
}

// Keyless is a Signer with a certificate for issuer and subject (an email, or a URI
// such as a GitHub workflow ref).
func (s *Sigstore) Keyless(issuer, subject string) Signer {
	return Signer{Sigstore: s, Issuer: issuer, Subject: subject}
}

// Keyed is a Signer with key whose signatures are logged in s (unless NoTlog).
func (s *Sigstore) Keyed(k *Key) Signer { return Signer{Key: k, Sigstore: s} }

// Options choose the form of a signature and how it is broken.
type Options struct {
	// Legacy makes cosign's legacy form (a layer of the sha256-<hex>.sig or .att
	// tag) instead of a Sigstore bundle referrer.
	Legacy bool
	// BundleVersion is the bundle's version: "v0.3" (default), "v0.2" or "v0.1"
	// (certificate chain, and for v0.1 only a signed entry timestamp).
	BundleVersion string
	// Digest, if set, is the digest signed (or the statement's subject) instead of
	// the image's: a signature over another digest, attached to the image.
	Digest string
	// ModifyPayload changes the payload after signing (a modified payload).
	ModifyPayload bool
	// NoTlog leaves out the transparency-log entry.
	NoTlog bool
	// NoInclusionProof keeps only the signed entry timestamp of the log entry (v0.1
	// bundles and legacy signatures never have a proof).
	NoInclusionProof bool
	// Timestamp adds an RFC 3161 timestamp of the signature (now).
	Timestamp bool
	// Expired (keyless): the certificate was valid from 2h to 1h50m ago, the log
	// entry is integrated now and no timestamp is added: expired at every verified
	// time.
	Expired bool
	// CertNotBefore (keyless) starts the certificate's 10 minute validity (default:
	// one minute ago); IntegratedTime is the log's time (default: CertNotBefore plus
	// one minute, now for keys).
	CertNotBefore, IntegratedTime time.Time
	// Annotations are the simple-signing payload's optional section (legacy
	// signatures).
	Annotations map[string]string
}

// Artifact is one signature or attestation made for an image, in the form cosign
// stores it, not yet attached. A bundle form is the bundle JSON of one referrer
// manifest; a legacy form is one layer of the .sig or .att tag.
type Artifact struct {
	Kind signature.Kind
	// Subject is the image it is attached to.
	Subject Image
	// MediaType and Data are the bundle's media type and JSON, or the legacy layer's
	// media type and content (a simple-signing payload or a DSSE envelope).
	MediaType string
	Data      []byte
	// Annotations are the legacy layer's annotations (signature, certificate, chain,
	// bundle, rfc3161timestamp, predicateType), or the bundle referrer manifest's.
	Annotations map[string]string
	// PredicateType is the attestation's (CosignSignPredicateType for a bundle
	// signature), "" for a simple-signing signature.
	PredicateType string
}

// Tag is the legacy tag the artifact is a layer of ("" for a bundle).
func (a Artifact) Tag() string {
	switch a.Kind {
	case signature.KindSimpleSigning:
		return strings.Replace(a.Subject.Digest, ":", "-", 1) + ".sig"
	case signature.KindLegacyAttestation:
		return strings.Replace(a.Subject.Digest, ":", "-", 1) + ".att"
	}
	return ""
}

// Sign signs img's digest as cosign sign does: a bundle whose DSSE envelope holds an
// in-toto statement of predicate CosignSignPredicateType (cosign v3), or with
// o.Legacy a simple-signing payload for the .sig tag.
func (s Signer) Sign(t testing.TB, img Image, o Options) Artifact {
	t.Helper()
	var a Artifact
	var err error
	if o.Legacy {
		a, err = s.signLegacy(img, o)
	} else {
		a, err = s.attest(img, CosignSignPredicateType, map[string]any{}, o)
	}
	if err != nil {
		t.Fatalf("sigtest: signing %s: %v", img.Digest, err)
	}
	return a
}

// Attest makes an in-toto attestation of predicateType with predicate (marshalled as
// JSON) about img's digest, as cosign attest does: a bundle referrer, or with
// o.Legacy a DSSE envelope for the .att tag.
func (s Signer) Attest(t testing.TB, img Image, predicateType string, predicate any, o Options) Artifact {
	t.Helper()
	a, err := s.attest(img, predicateType, predicate, o)
	if err != nil {
		t.Fatalf("sigtest: attesting %s: %v", img.Digest, err)
	}
	return a
}

// material is what a signature carries besides the signature itself.
type material struct {
	cert   *x509.Certificate // keyless
	signer sigsig.Signer
	pubPEM []byte // the public key or certificate PEM in a log entry
	logged time.Time
}

func (s Signer) material(o Options) (*material, error) {
	if s.Key != nil {
		m := &material{signer: s.Key.signer, pubPEM: s.Key.PEM, logged: o.IntegratedTime}
		if m.logged.IsZero() {
			m.logged = time.Now()
		}
		return m, nil
	}
	if s.Sigstore == nil {
		return nil, fmt.Errorf("a keyless signer needs a Sigstore")
	}
	start, logged := o.CertNotBefore, o.IntegratedTime
	if start.IsZero() {
		start = time.Now().Add(-time.Minute)
	}
	if o.Expired {
		start, logged = time.Now().Add(-2*time.Hour), time.Now()
	}
	if logged.IsZero() {
		logged = start.Add(time.Minute)
	}
	cert, key, err := s.Sigstore.leaf(s.Issuer, s.Subject, start, 10*time.Minute)
	if err != nil {
		return nil, err
	}
	sg, err := sigsig.LoadSigner(key, crypto.SHA256)
	if err != nil {
		return nil, err
	}
	return &material{cert: cert, signer: sg, logged: logged,
		pubPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})}, nil
}

func (s Signer) logs(o Options) bool { return s.Sigstore != nil && !o.NoTlog }

// simpleSigning is cosign's payload (github.com/sigstore/sigstore payload.Cosign).
type simpleSigning struct {
	Critical struct {
		Identity struct {
			DockerReference string `json:"docker-reference"`
		} `json:"identity"`
		Image struct {
			DockerManifestDigest string `json:"docker-manifest-digest"`
		} `json:"image"`
		Type string `json:"type"`
	} `json:"critical"`
	Optional map[string]string `json:"optional"`
}

func (s Signer) signLegacy(img Image, o Options) (Artifact, error) {
	var p simpleSigning
	p.Critical.Identity.DockerReference = img.Repo
	p.Critical.Image.DockerManifestDigest = img.Digest
	if o.Digest != "" {
		p.Critical.Image.DockerManifestDigest = o.Digest
	}
	p.Critical.Type = "cosign container image signature"
	p.Optional = o.Annotations
	payload, err := json.Marshal(p)
	if err != nil {
		return Artifact{}, err
	}
	m, err := s.material(o)
	if err != nil {
		return Artifact{}, err
	}
	sig, err := m.signer.SignMessage(bytes.NewReader(payload))
	if err != nil {
		return Artifact{}, err
	}
	ann := map[string]string{AnnotationSignature: base64.StdEncoding.EncodeToString(sig)}
	if err := s.legacyMaterial(ann, m, "hashedrekord", payload, sig, o); err != nil {
		return Artifact{}, err
	}
	if o.ModifyPayload {
		payload = bytes.Replace(payload, []byte(`"optional":`), []byte(`"optional":{"tampered":"yes"},"x":`), 1)
	}
	return Artifact{Kind: signature.KindSimpleSigning, Subject: img, MediaType: SimpleSigningMediaType, Data: payload, Annotations: ann}, nil
}

// legacyMaterial adds the certificate, chain, log bundle and timestamp annotations of
// a legacy layer.
func (s Signer) legacyMaterial(ann map[string]string, m *material, kind string, logged, sig []byte, o Options) error {
	if m.cert != nil {
		ann[AnnotationCertificate] = string(m.pubPEM)
		ann[AnnotationChain] = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.Sigstore.Intermediate.Raw})) +
			string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.Sigstore.Root.Raw}))
	}
	if s.logs(o) {
		e, err := s.Sigstore.logEntry(kind, logged, sig, m.pubPEM, m.logged, false)
		if err != nil {
			return err
		}
		b, err := json.Marshal(map[string]any{
			"SignedEntryTimestamp": e.GetInclusionPromise().GetSignedEntryTimestamp(),
			"Payload": map[string]any{
				"body":           base64.StdEncoding.EncodeToString(e.GetCanonicalizedBody()),
				"integratedTime": e.GetIntegratedTime(),
				"logIndex":       e.GetLogIndex(),
				"logID":          hex.EncodeToString(e.GetLogId().GetKeyId()),
			},
		})
		if err != nil {
			return err
		}
		ann[AnnotationBundle] = string(b)
	}
	if o.Timestamp && s.Sigstore != nil && !o.Expired {
		tsr, err := s.Sigstore.vs.TimestampResponse(sig)
		if err != nil {
			return err
		}
		b, err := json.Marshal(map[string]any{"SignedRFC3161Timestamp": tsr})
		if err != nil {
			return err
		}
		ann[AnnotationRFC3161] = string(b)
	}
	return nil
}

// statement is an in-toto statement.
type statement struct {
	Type          string    `json:"_type"`
	Subject       []subject `json:"subject"`
	PredicateType string    `json:"predicateType"`
	Predicate     any       `json:"predicate"`
}

type subject struct {
	Name   string            `json:"name,omitempty"`
	Digest map[string]string `json:"digest"`
}

// dsseEnvelope is a DSSE envelope as JSON.
type dsseEnvelope struct {
	PayloadType string    `json:"payloadType"`
	Payload     []byte    `json:"payload"`
	Signatures  []dsseSig `json:"signatures"`
}

type dsseSig struct {
	KeyID string `json:"keyid"`
	Sig   []byte `json:"sig"`
}

// PAE is DSSE's pre-authentication encoding.
func PAE(payloadType string, payload []byte) []byte {
	return fmt.Appendf(nil, "DSSEv1 %d %s %d %s", len(payloadType), payloadType, len(payload), payload)
}

func (s Signer) attest(img Image, predicateType string, predicate any, o Options) (Artifact, error) {
	d := img.Digest
	if o.Digest != "" {
		d = o.Digest
	}
	alg, hexd, ok := strings.Cut(d, ":")
	if !ok {
		return Artifact{}, fmt.Errorf("digest %q", d)
	}
	st := statement{Type: "https://in-toto.io/Statement/v1", PredicateType: predicateType, Predicate: predicate,
		Subject: []subject{{Digest: map[string]string{alg: hexd}}}}
	if o.Legacy {
		st.Type = "https://in-toto.io/Statement/v0.1"
		st.Subject[0].Name = img.Repo
	}
	payload, err := json.Marshal(st)
	if err != nil {
		return Artifact{}, err
	}
	m, err := s.material(o)
	if err != nil {
		return Artifact{}, err
	}
	sig, err := m.signer.SignMessage(bytes.NewReader(PAE(InTotoPayloadType, payload)))
	if err != nil {
		return Artifact{}, err
	}
	env := dsseEnvelope{PayloadType: InTotoPayloadType, Payload: payload, Signatures: []dsseSig{{Sig: sig}}}
	envJSON, err := json.Marshal(env)
	if err != nil {
		return Artifact{}, err
	}
	modified := payload
	if o.ModifyPayload {
		modified = bytes.Replace(payload, []byte(`"predicate":`), []byte(`"predicate":{"tampered":true},"x":`), 1)
	}
	if o.Legacy {
		// cosign writes the signature annotation empty on an attestation layer (the
		// signature is in the envelope) and its reader requires the annotation.
		ann := map[string]string{"predicateType": predicateType, AnnotationSignature: ""}
		if err := s.legacyMaterial(ann, m, "dsse", envJSON, sig, o); err != nil {
			return Artifact{}, err
		}
		env.Payload = modified
		data, err := json.Marshal(env)
		if err != nil {
			return Artifact{}, err
		}
		return Artifact{Kind: signature.KindLegacyAttestation, Subject: img, MediaType: DSSEMediaType, Data: data,
			Annotations: ann, PredicateType: predicateType}, nil
	}
	version := o.BundleVersion
	if version == "" {
		version = "v0.3"
	}
	vm := &protobundle.VerificationMaterial{}
	switch {
	case m.cert == nil:
		vm.Content = &protobundle.VerificationMaterial_PublicKey{PublicKey: &protocommon.PublicKeyIdentifier{Hint: s.Key.Hint}}
	case version == "v0.3":
		vm.Content = &protobundle.VerificationMaterial_Certificate{Certificate: &protocommon.X509Certificate{RawBytes: m.cert.Raw}}
	default:
		vm.Content = &protobundle.VerificationMaterial_X509CertificateChain{X509CertificateChain: &protocommon.X509CertificateChain{
			Certificates: []*protocommon.X509Certificate{{RawBytes: m.cert.Raw}, {RawBytes: s.Sigstore.Intermediate.Raw}, {RawBytes: s.Sigstore.Root.Raw}}}}
	}
	if s.logs(o) {
		e, err := s.Sigstore.logEntry("dsse", envJSON, sig, m.pubPEM, m.logged, version != "v0.1" && !o.NoInclusionProof)
		if err != nil {
			return Artifact{}, err
		}
		vm.TlogEntries = []*protorekor.TransparencyLogEntry{e}
	}
	if o.Timestamp && s.Sigstore != nil && !o.Expired {
		tsr, err := s.Sigstore.vs.TimestampResponse(sig)
		if err != nil {
			return Artifact{}, err
		}
		vm.TimestampVerificationData = &protobundle.TimestampVerificationData{
			Rfc3161Timestamps: []*protocommon.RFC3161SignedTimestamp{{SignedTimestamp: tsr}}}
	}
	mt := BundleMediaType
	switch version {
	case "v0.1", "v0.2":
		mt = "application/vnd.dev.sigstore.bundle+json;version=" + strings.TrimPrefix(version, "v")
	}
	pb := &protobundle.Bundle{
		MediaType:            mt,
		VerificationMaterial: vm,
		Content: &protobundle.Bundle_DsseEnvelope{DsseEnvelope: &protodsse.Envelope{
			Payload: modified, PayloadType: InTotoPayloadType,
			Signatures: []*protodsse.Signature{{Sig: sig}},
		}},
	}
	data, err := protojson.Marshal(pb)
	if err != nil {
		return Artifact{}, err
	}
	return Artifact{Kind: signature.KindBundle, Subject: img, MediaType: mt, Data: data, PredicateType: predicateType,
		Annotations: map[string]string{
			"org.opencontainers.image.created": time.Now().UTC().Format(time.RFC3339),
			AnnotationBundleContent:            "dsse-envelope",
			AnnotationBundlePredicateType:      predicateType,
		}}, nil
}

// logEntry enters a signature in the virtual transparency log: kind "hashedrekord"
// (artifact is the signed payload) or "dsse" (artifact is the envelope JSON), with
// the public key or certificate pub, at time at; proof adds an inclusion proof with
// a signed checkpoint to the signed entry timestamp.
func (s *Sigstore) logEntry(kind string, artifact, sig, pub []byte, at time.Time, proof bool) (*protorekor.TransparencyLogEntry, error) {
	ctx := context.Background()
	props := types.ArtifactProperties{PublicKeyBytes: [][]byte{pub}, PKIFormat: string(pki.X509), SignatureBytes: sig}
	version := "0.0.1"
	switch kind {
	case "hashedrekord":
		sum := sha256.Sum256(artifact)
		props.ArtifactHash = "sha256:" + hex.EncodeToString(sum[:])
	case "dsse":
		props.ArtifactBytes = artifact
	}
	pe, err := types.NewProposedEntry(ctx, kind, version, props)
	if err != nil {
		return nil, fmt.Errorf("rekor entry: %w", err)
	}
	impl, err := types.CreateVersionedEntry(pe)
	if err != nil {
		return nil, fmt.Errorf("rekor entry: %w", err)
	}
	body, err := types.CanonicalizeEntry(ctx, impl)
	if err != nil {
		return nil, fmt.Errorf("rekor entry: %w", err)
	}
	// Check that the canonical body parses back as an entry.
	if _, err := models.UnmarshalProposedEntry(bytes.NewReader(body), runtime.JSONConsumer()); err != nil {
		return nil, err
	}
	const logIndex = 0
	set, err := s.vs.RekorSignPayload(tlog.RekorPayload{
		Body: base64.StdEncoding.EncodeToString(body), IntegratedTime: at.Unix(), LogIndex: logIndex,
		LogID: hex.EncodeToString(s.rekorLogID),
	})
	if err != nil {
		return nil, err
	}
	e := &protorekor.TransparencyLogEntry{
		LogIndex:          logIndex,
		LogId:             &protocommon.LogId{KeyId: s.rekorLogID},
		KindVersion:       &protorekor.KindVersion{Kind: kind, Version: version},
		IntegratedTime:    at.Unix(),
		InclusionPromise:  &protorekor.InclusionPromise{SignedEntryTimestamp: set},
		CanonicalizedBody: body,
	}
	if proof {
		p, err := s.vs.GetInclusionProof(body)
		if err != nil {
			return nil, err
		}
		root, err := hex.DecodeString(*p.RootHash)
		if err != nil {
			return nil, err
		}
		e.InclusionProof = &protorekor.InclusionProof{
			LogIndex: *p.LogIndex, RootHash: root, TreeSize: *p.TreeSize,
			Checkpoint: &protorekor.Checkpoint{Envelope: *p.Checkpoint},
		}
	}
	return e, nil
}

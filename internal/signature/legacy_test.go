package signature

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
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

	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protodsse "github.com/sigstore/protobuf-specs/gen/pb-go/dsse"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/testing/ca"
	"github.com/sigstore/sigstore-go/pkg/tlog"
	"github.com/sigstore/sigstore-go/pkg/verify"
	sigsig "github.com/sigstore/sigstore/pkg/signature"
	"google.golang.org/protobuf/encoding/protojson"
)

// The tests build artifacts in cosign's exact formats (cosign v3.1.3: pkg/oci/static for
// the layer annotations, pkg/cosign/bundle for the Rekor bundle and the timestamp,
// cmd/cosign/cli/attest for the envelope) signed by a test key and by sigstore-go's
// virtual Sigstore (a Fulcio CA, a Rekor log, a timestamp authority), convert them and
// verify the result with sigstore-go's verify package directly.

const (
	legacyIdentity = "builder@example.com"
	legacyIssuer   = "https://issuer.example.com"
)

// legacyFixture signs an image digest in cosign's legacy formats.
type legacyFixture struct {
	t      testing.TB
	vs     *ca.VirtualSigstore
	key    *ecdsa.PrivateKey
	digest string // sha256:<hex>
}

func newLegacyFixture(t testing.TB) *legacyFixture {
	t.Helper()
	vs, err := ca.NewVirtualSigstore()
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	manifest := make([]byte, 32)
	if _, err := rand.Read(manifest); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(manifest)
	return &legacyFixture{t: t, vs: vs, key: key, digest: "sha256:" + hex.EncodeToString(sum[:])}
}

func (f *legacyFixture) digestBytes() []byte {
	b, _ := hex.DecodeString(strings.TrimPrefix(f.digest, "sha256:"))
	return b
}

// payload is cosign's simple-signing payload for the digest.
func (f *legacyFixture) payload() []byte {
	return []byte(fmt.Sprintf(`{"critical":{"identity":{"docker-reference":"registry.example.com/app"},"image":{"docker-manifest-digest":%q},"type":"cosign container image signature"},"optional":null}`, f.digest))
}

// statement is an in-toto statement about the digest (cosign attest --type
// slsaprovenance1).
func (f *legacyFixture) statement() []byte {
	return []byte(fmt.Sprintf(`{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"registry.example.com/app","digest":{"sha256":%q}}],"predicateType":"https://slsa.dev/provenance/v1","predicate":{"buildDefinition":{"buildType":"https://example.com/build"}}}`, strings.TrimPrefix(f.digest, "sha256:")))
}

// legacyLayer is one layer of a .sig or .att manifest.
type legacyLayer struct {
	mediaType   string
	annotations map[string]string
	payload     []byte
}

func (l legacyLayer) candidate(kind Kind) Candidate {
	return FromCosignLayer(kind, l.mediaType, l.annotations, l.payload, "tag sha256-test.sig layer 1")
}

// with returns a copy of the layer with an annotation set ("" deletes it).
func (l legacyLayer) with(key, value string) legacyLayer {
	a := make(map[string]string, len(l.annotations))
	for k, v := range l.annotations {
		a[k] = v
	}
	if value == "" {
		delete(a, key)
	} else {
		a[key] = value
	}
	l.annotations = a
	return l
}

// cosignRekorBundleJSON is cosign's bundle.RekorBundle as it marshals it.
type cosignRekorBundleJSON struct {
	SignedEntryTimestamp []byte
	Payload              cosignRekorPayloadJSON
}

type cosignRekorPayloadJSON struct {
	Body           interface{} `json:"body"`
	IntegratedTime int64       `json:"integratedTime"`
	LogIndex       int64       `json:"logIndex"`
	LogID          string      `json:"logID"`
}

// rekorBundle is the bundle annotation for a log entry body, its SET signed by the
// virtual Rekor.
func (f *legacyFixture) rekorBundle(body []byte, integratedTime, logIndex int64) string {
	f.t.Helper()
	logID, err := f.vs.RekorLogID()
	if err != nil {
		f.t.Fatal(err)
	}
	p := tlog.RekorPayload{Body: base64.StdEncoding.EncodeToString(body), IntegratedTime: integratedTime, LogIndex: logIndex, LogID: logID}
	set, err := f.vs.RekorSignPayload(p)
	if err != nil {
		f.t.Fatal(err)
	}
	b, err := json.Marshal(cosignRekorBundleJSON{SignedEntryTimestamp: set, Payload: cosignRekorPayloadJSON{Body: p.Body, IntegratedTime: p.IntegratedTime, LogIndex: p.LogIndex, LogID: p.LogID}})
	if err != nil {
		f.t.Fatal(err)
	}
	return string(b)
}

func legacyTimestampAnnotation(tsr []byte) string {
	b, _ := json.Marshal(struct{ SignedRFC3161Timestamp []byte }{tsr})
	return string(b)
}

func legacyPEM(certs ...*x509.Certificate) string {
	var b []byte
	for _, c := range certs {
		b = append(b, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	return string(b)
}

// chain is the chain annotation: the virtual Fulcio's intermediate and root.
func (f *legacyFixture) chain() string {
	fca := f.vs.FulcioCertificateAuthorities()[0].(*root.FulcioCertificateAuthority)
	return legacyPEM(append(append([]*x509.Certificate{}, fca.Intermediates...), fca.Root)...)
}

// keylessSig is a .sig layer signed by a Fulcio certificate, logged in Rekor and
// timestamped.
func (f *legacyFixture) keylessSig(payload []byte) legacyLayer {
	f.t.Helper()
	te, err := f.vs.Sign(legacyIdentity, legacyIssuer, payload)
	if err != nil {
		f.t.Fatal(err)
	}
	vc, _ := te.VerificationContent()
	sc, _ := te.SignatureContent()
	entries, _ := te.TlogEntries()
	tle := entries[0].TransparencyLogEntry()
	tss, _ := te.Timestamps()
	return legacyLayer{
		mediaType: MediaTypeSimpleSigning,
		payload:   payload,
		annotations: map[string]string{
			AnnotationSignature:   base64.StdEncoding.EncodeToString(sc.MessageSignatureContent().Signature()),
			AnnotationCertificate: legacyPEM(vc.Certificate()),
			AnnotationChain:       f.chain(),
			AnnotationBundle:      f.rekorBundle(tle.CanonicalizedBody, tle.IntegratedTime, tle.LogIndex),
			AnnotationTimestamp:   legacyTimestampAnnotation(tss[0]),
		},
	}
}

// cosignEnvelope is the layer of a .att manifest: cosign marshals the protobuf DSSE
// envelope with encoding/json.
func cosignEnvelope(t testing.TB, env *dsse.Envelope) []byte {
	t.Helper()
	payload, err := env.DecodeB64Payload()
	if err != nil {
		t.Fatal(err)
	}
	pe := &protodsse.Envelope{Payload: payload, PayloadType: env.PayloadType}
	for _, s := range env.Signatures {
		sig, err := base64.StdEncoding.DecodeString(s.Sig)
		if err != nil {
			t.Fatal(err)
		}
		pe.Signatures = append(pe.Signatures, &protodsse.Signature{Sig: sig, Keyid: s.KeyID})
	}
	b, err := json.Marshal(pe)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// keylessAtt is a .att layer: a DSSE envelope signed by a Fulcio certificate, logged in
// Rekor (a dsse entry) and timestamped.
func (f *legacyFixture) keylessAtt(statement []byte) legacyLayer {
	f.t.Helper()
	te, err := f.vs.Attest(legacyIdentity, legacyIssuer, statement)
	if err != nil {
		f.t.Fatal(err)
	}
	vc, _ := te.VerificationContent()
	sc, _ := te.SignatureContent()
	entries, _ := te.TlogEntries()
	tle := entries[0].TransparencyLogEntry()
	tss, _ := te.Timestamps()
	return legacyLayer{
		mediaType: MediaTypeDSSE,
		payload:   cosignEnvelope(f.t, sc.EnvelopeContent().RawEnvelope()),
		annotations: map[string]string{
			AnnotationSignature:   "",
			AnnotationCertificate: legacyPEM(vc.Certificate()),
			AnnotationChain:       f.chain(),
			AnnotationBundle:      f.rekorBundle(tle.CanonicalizedBody, tle.IntegratedTime, tle.LogIndex),
			AnnotationTimestamp:   legacyTimestampAnnotation(tss[0]),
			"predicateType":       "https://slsa.dev/provenance/v1",
		},
	}
}

func (f *legacyFixture) publicKeyPEM() []byte {
	der, err := x509.MarshalPKIXPublicKey(&f.key.PublicKey)
	if err != nil {
		f.t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

func (f *legacyFixture) sign(message []byte) []byte {
	f.t.Helper()
	h := sha256.Sum256(message)
	sig, err := ecdsa.SignASN1(rand.Reader, f.key, h[:])
	if err != nil {
		f.t.Fatal(err)
	}
	return sig
}

// keyedSig is a .sig layer signed by the key (cosign sign --key), with a hashedrekord
// entry in the log when logged.
func (f *legacyFixture) keyedSig(payload []byte, logged bool) legacyLayer {
	f.t.Helper()
	sig := f.sign(payload)
	l := legacyLayer{
		mediaType:   MediaTypeSimpleSigning,
		payload:     payload,
		annotations: map[string]string{AnnotationSignature: base64.StdEncoding.EncodeToString(sig)},
	}
	if logged {
		h := sha256.Sum256(payload)
		body := fmt.Sprintf(`{"apiVersion":"0.0.1","kind":"hashedrekord","spec":{"data":{"hash":{"algorithm":"sha256","value":%q}},"signature":{"content":%q,"publicKey":{"content":%q}}}}`,
			hex.EncodeToString(h[:]), base64.StdEncoding.EncodeToString(sig), base64.StdEncoding.EncodeToString(f.publicKeyPEM()))
		l.annotations[AnnotationBundle] = f.rekorBundle([]byte(body), time.Now().Unix(), 7)
	}
	return l
}

// keyedAtt is a .att layer signed by the key (cosign attest --key), with a dsse entry in
// the log when logged.
func (f *legacyFixture) keyedAtt(statement []byte, logged bool) legacyLayer {
	f.t.Helper()
	sig := f.sign(dsse.PAE(MediaTypeInToto, statement))
	env := &dsse.Envelope{PayloadType: MediaTypeInToto, Payload: base64.StdEncoding.EncodeToString(statement),
		Signatures: []dsse.Signature{{Sig: base64.StdEncoding.EncodeToString(sig)}}}
	layer := cosignEnvelope(f.t, env)
	l := legacyLayer{mediaType: MediaTypeDSSE, payload: layer, annotations: map[string]string{AnnotationSignature: ""}}
	if logged {
		envHash := sha256.Sum256(layer)
		payloadHash := sha256.Sum256(statement)
		body := fmt.Sprintf(`{"apiVersion":"0.0.1","kind":"dsse","spec":{"envelopeHash":{"algorithm":"sha256","value":%q},"payloadHash":{"algorithm":"sha256","value":%q},"signatures":[{"signature":%q,"verifier":%q}]}}`,
			hex.EncodeToString(envHash[:]), hex.EncodeToString(payloadHash[:]), base64.StdEncoding.EncodeToString(sig), base64.StdEncoding.EncodeToString(f.publicKeyPEM()))
		l.annotations[AnnotationBundle] = f.rekorBundle([]byte(body), time.Now().Unix(), 8)
	}
	return l
}

// layerTimestamped is an attestation as cosign v2 timestamped it: no log entry, the
// timestamp over the layer rather than the signature.
func (f *legacyFixture) layerTimestamped(l legacyLayer) legacyLayer {
	f.t.Helper()
	tsr, err := f.vs.TimestampResponse(l.payload)
	if err != nil {
		f.t.Fatal(err)
	}
	return l.with(AnnotationBundle, "").with(AnnotationTimestamp, legacyTimestampAnnotation(tsr))
}

// verification says how a test verifies a candidate.
type verification struct {
	keyed bool
	// tlog requires a log entry (with its integrated time as the observer
	// timestamp); otherwise keyless needs an RFC 3161 timestamp and keyed nothing.
	tlog bool
}

// verify verifies c with sigstore-go: keyless against the virtual Sigstore and the
// identity, keyed with the fixture's key (the trusted material's PublicKeyVerifier,
// whatever the hint); the artifact is the payload (simple signing) or the digest (a
// statement subject).
func (f *legacyFixture) verify(c Candidate, how verification) error {
	if c.Err != nil {
		return fmt.Errorf("candidate: %w", c.Err)
	}
	var tm root.TrustedMaterial = f.vs
	var popts []verify.PolicyOption
	if how.keyed {
		v, err := sigsig.LoadECDSAVerifier(&f.key.PublicKey, crypto.SHA256)
		if err != nil {
			return err
		}
		keys := root.NewTrustedPublicKeyMaterial(func(string) (root.TimeConstrainedVerifier, error) {
			return root.NewExpiringKey(v, time.Time{}, time.Time{}), nil
		})
		tm = root.TrustedMaterialCollection{f.vs, keys}
		popts = append(popts, verify.WithKey())
	} else {
		id, err := verify.NewShortCertificateIdentity(legacyIssuer, "", legacyIdentity, "")
		if err != nil {
			return err
		}
		popts = append(popts, verify.WithCertificateIdentity(id))
	}
	var vopts []verify.VerifierOption
	switch {
	case how.tlog:
		vopts = append(vopts, verify.WithTransparencyLog(1), verify.WithObserverTimestamps(1))
	case how.keyed:
		vopts = append(vopts, verify.WithCurrentTime())
	default:
		vopts = append(vopts, verify.WithSignedTimestamps(1))
	}
	v, err := verify.NewVerifier(tm, vopts...)
	if err != nil {
		return err
	}
	artifact := verify.WithArtifactDigest("sha256", f.digestBytes())
	if c.Kind == KindSimpleSigning {
		artifact = verify.WithArtifact(bytes.NewReader(c.Payload))
	}
	_, err = v.Verify(c.Entity, verify.NewPolicy(artifact, popts...))
	return err
}

func TestFromCosignLayerVerifies(t *testing.T) {
	f := newLegacyFixture(t)
	for _, tc := range []struct {
		name  string
		kind  Kind
		layer legacyLayer
		how   verification
	}{
		{"keyless signature, log", KindSimpleSigning, f.keylessSig(f.payload()), verification{tlog: true}},
		{"keyless signature, timestamp only", KindSimpleSigning, f.keylessSig(f.payload()).with(AnnotationBundle, ""), verification{}},
		{"keyless signature without chain", KindSimpleSigning, f.keylessSig(f.payload()).with(AnnotationChain, ""), verification{tlog: true}},
		{"keyed signature, log", KindSimpleSigning, f.keyedSig(f.payload(), true), verification{keyed: true, tlog: true}},
		{"keyed signature, no log", KindSimpleSigning, f.keyedSig(f.payload(), false), verification{keyed: true}},
		{"keyless attestation, log", KindLegacyAttestation, f.keylessAtt(f.statement()), verification{tlog: true}},
		{"keyless attestation, timestamp only", KindLegacyAttestation, f.keylessAtt(f.statement()).with(AnnotationBundle, ""), verification{}},
		{"keyless attestation, timestamp over the layer (cosign v2)", KindLegacyAttestation, f.layerTimestamped(f.keylessAtt(f.statement())), verification{}},
		{"keyed attestation, log", KindLegacyAttestation, f.keyedAtt(f.statement(), true), verification{keyed: true, tlog: true}},
		{"keyed attestation, no log", KindLegacyAttestation, f.keyedAtt(f.statement(), false), verification{keyed: true}},
		{"no media type", KindSimpleSigning, func() legacyLayer { l := f.keyedSig(f.payload(), false); l.mediaType = ""; return l }(), verification{keyed: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.layer.candidate(tc.kind)
			if c.Err != nil {
				t.Fatalf("Err = %v", c.Err)
			}
			if c.Kind != tc.kind || c.Source != "tag sha256-test.sig layer 1" || c.Entity == nil {
				t.Fatalf("candidate %+v", c)
			}
			if tc.kind == KindSimpleSigning && !bytes.Equal(c.Payload, tc.layer.payload) {
				t.Fatalf("Payload = %q", c.Payload)
			}
			if tc.kind == KindLegacyAttestation && c.Payload != nil {
				t.Fatalf("attestation Payload = %q", c.Payload)
			}
			if err := f.verify(c, tc.how); err != nil {
				t.Fatalf("verify: %v", err)
			}
		})
	}
}

// TestFromCosignLayerContent checks what the entity exposes: the certificate and its
// chain, the log entry of the SET with its index and time, the timestamp, the
// signature or envelope.
func TestFromCosignLayerContent(t *testing.T) {
	f := newLegacyFixture(t)
	l := f.keylessSig(f.payload())
	c := l.candidate(KindSimpleSigning)
	if c.Err != nil {
		t.Fatal(c.Err)
	}
	vc, _ := c.Entity.VerificationContent()
	if vc.Certificate() == nil || vc.PublicKey() != nil {
		t.Fatalf("keyless verification content: certificate %v, key %v", vc.Certificate(), vc.PublicKey())
	}
	if n := len(vc.Intermediates()); n != 2 {
		t.Errorf("%d chain certificates, want 2 (intermediate, root)", n)
	}
	entries, _ := c.Entity.TlogEntries()
	if len(entries) != 1 || !entries[0].HasInclusionPromise() || entries[0].HasInclusionProof() {
		t.Fatalf("log entries %v", entries)
	}
	if entries[0].LogIndex() != 1000 || entries[0].IntegratedTime().IsZero() {
		t.Errorf("log index %d, time %v", entries[0].LogIndex(), entries[0].IntegratedTime())
	}
	if !c.Entity.HasInclusionPromise() || c.Entity.HasInclusionProof() {
		t.Error("entity: inclusion promise and no proof expected")
	}
	ts, _ := c.Entity.Timestamps()
	if len(ts) != 1 {
		t.Errorf("%d timestamps", len(ts))
	}
	sc, _ := c.Entity.SignatureContent()
	if sc.MessageSignatureContent() == nil || sc.EnvelopeContent() != nil {
		t.Fatal("simple signing: want a message signature")
	}
	if want, _ := base64.StdEncoding.DecodeString(l.annotations[AnnotationSignature]); !bytes.Equal(sc.Signature(), want) {
		t.Error("signature differs from the annotation's")
	}

	k := f.keyedSig(f.payload(), false).candidate(KindSimpleSigning)
	vc, _ = k.Entity.VerificationContent()
	if vc.Certificate() != nil || vc.PublicKey() == nil {
		t.Fatal("keyed verification content: want a public key")
	}
	if entries, _ := k.Entity.TlogEntries(); len(entries) != 0 || k.Entity.HasInclusionPromise() {
		t.Errorf("unlogged signature has log entries %v", entries)
	}

	a := f.keylessAtt(f.statement()).candidate(KindLegacyAttestation)
	sc, _ = a.Entity.SignatureContent()
	if sc.EnvelopeContent() == nil {
		t.Fatal("attestation: want an envelope")
	}
	st, err := sc.EnvelopeContent().Statement()
	if err != nil || st.PredicateType != "https://slsa.dev/provenance/v1" {
		t.Fatalf("statement %v, %v", st, err)
	}
}

func TestFromCosignLayerTampered(t *testing.T) {
	f := newLegacyFixture(t)
	other := newLegacyFixture(t) // another Sigstore and another key
	sig := f.keylessSig(f.payload())
	keyed := f.keyedSig(f.payload(), true)
	att := f.keylessAtt(f.statement())

	// A SET over the right entry signed by another log, and a valid SET of another
	// signature's entry.
	foreignSET := other.keylessSig(f.payload()).annotations[AnnotationBundle]
	otherEntry := f.keylessSig(f.payload()).annotations[AnnotationBundle]
	var rb cosignRekorBundleJSON
	if err := json.Unmarshal([]byte(sig.annotations[AnnotationBundle]), &rb); err != nil {
		t.Fatal(err)
	}
	rb.SignedEntryTimestamp[len(rb.SignedEntryTimestamp)-1] ^= 1
	flippedSET, _ := json.Marshal(rb)
	rb.SignedEntryTimestamp[len(rb.SignedEntryTimestamp)-1] ^= 1
	rb.Payload.IntegratedTime++
	otherTime, _ := json.Marshal(rb)

	modified := bytes.Replace(f.payload(), []byte("registry.example.com/app"), []byte("registry.example.com/evil"), 1)
	otherStatement := strings.Replace(string(f.statement()), "example.com/build", "example.com/evil", 1)
	modifiedEnvelope := func(l legacyLayer) legacyLayer {
		var env dsse.Envelope
		if err := json.Unmarshal(l.payload, &env); err != nil {
			t.Fatal(err)
		}
		env.Payload = base64.StdEncoding.EncodeToString([]byte(otherStatement))
		l.payload, _ = json.Marshal(env)
		return l
	}
	withPayload := func(l legacyLayer, p []byte) legacyLayer { l.payload = p; return l }
	withMediaType := func(l legacyLayer, mt string) legacyLayer { l.mediaType = mt; return l }
	envelope := func(s string) legacyLayer { return withPayload(att, []byte(s)) }

	for _, tc := range []struct {
		name  string
		kind  Kind
		layer legacyLayer
		how   verification
		err   string // the Err wanted; "" means decoded, and verification fails
	}{
		// Undecodable: Err.
		{"bad base64 signature", KindSimpleSigning, sig.with(AnnotationSignature, "not base64!"), verification{}, "not a base64 signature"},
		{"no signature", KindSimpleSigning, sig.with(AnnotationSignature, ""), verification{}, "no signature"},
		{"certificate garbage", KindSimpleSigning, sig.with(AnnotationCertificate, "garbage"), verification{}, "dev.sigstore.cosign/certificate: not PEM"},
		{"certificate not DER", KindSimpleSigning, sig.with(AnnotationCertificate, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), verification{}, "dev.sigstore.cosign/certificate: certificate 1"},
		{"certificate a key", KindSimpleSigning, sig.with(AnnotationCertificate, string(f.publicKeyPEM())), verification{}, `PEM block "PUBLIC KEY"`},
		{"chain garbage", KindSimpleSigning, sig.with(AnnotationChain, sig.annotations[AnnotationChain]+"garbage"), verification{}, "dev.sigstore.cosign/chain: not PEM"},
		{"chain too long", KindSimpleSigning, sig.with(AnnotationChain, strings.Repeat(sig.annotations[AnnotationChain], 5)), verification{}, "more than 8 certificates"},
		{"chain without certificate", KindSimpleSigning, sig.with(AnnotationCertificate, ""), verification{}, "without dev.sigstore.cosign/certificate"},
		{"bundle not JSON", KindSimpleSigning, sig.with(AnnotationBundle, "{"), verification{}, "not a Rekor bundle"},
		{"bundle without SET", KindSimpleSigning, sig.with(AnnotationBundle, `{"Payload":{"body":"e30=","logID":"00"}}`), verification{}, "no SignedEntryTimestamp"},
		{"bundle body not base64", KindSimpleSigning, sig.with(AnnotationBundle, `{"SignedEntryTimestamp":"AA==","Payload":{"body":"%%","logID":"00"}}`), verification{}, "body is not base64"},
		{"bundle body not a string", KindSimpleSigning, sig.with(AnnotationBundle, `{"SignedEntryTimestamp":"AA==","Payload":{"body":{},"logID":"00"}}`), verification{}, "body is not a base64 string"},
		{"bundle body not an entry", KindSimpleSigning, sig.with(AnnotationBundle, `{"SignedEntryTimestamp":"AA==","Payload":{"body":"e30=","logID":"00"}}`), verification{}, "not a Rekor entry"},
		{"bundle body unknown kind", KindSimpleSigning, sig.with(AnnotationBundle, `{"SignedEntryTimestamp":"AA==","Payload":{"body":"`+base64.StdEncoding.EncodeToString([]byte(`{"kind":"nope","apiVersion":"0.0.1","spec":{}}`))+`","logID":"00"}}`), verification{}, "payload body"},
		{"bundle logID not hex", KindSimpleSigning, sig.with(AnnotationBundle, strings.Replace(sig.annotations[AnnotationBundle], `"logID":"`, `"logID":"zz`, 1)), verification{}, "is not hex"},
		{"timestamp garbage", KindSimpleSigning, sig.with(AnnotationTimestamp, "[]"), verification{}, "not an RFC 3161 timestamp"},
		{"timestamp not DER", KindSimpleSigning, sig.with(AnnotationTimestamp, legacyTimestampAnnotation([]byte("garbage"))), verification{}, "not an RFC 3161 timestamp response"},
		{"timestamp empty", KindSimpleSigning, sig.with(AnnotationTimestamp, "{}"), verification{}, "no SignedRFC3161Timestamp"},
		{"annotation too long", KindSimpleSigning, sig.with(AnnotationChain, strings.Repeat(" ", maxAnnotationBytes+1)), verification{}, "exceeds the limit"},
		{"signature too long", KindSimpleSigning, sig.with(AnnotationSignature, strings.Repeat("AAAA", maxSignatureBytes)), verification{}, "longer than"},
		{"payload not JSON", KindSimpleSigning, withPayload(keyed, []byte("not json")), verification{}, "not JSON"},
		{"empty payload", KindSimpleSigning, withPayload(keyed, nil), verification{}, "empty layer"},
		{"payload too long", KindSimpleSigning, withPayload(keyed, make([]byte, MaxPayloadBytes+1)), verification{}, "exceeds the limit"},
		{"other media type", KindSimpleSigning, withMediaType(sig, "application/vnd.oci.image.layer.v1.tar+gzip"), verification{}, "media type"},
		{"attestation as signature", KindSimpleSigning, withMediaType(sig, MediaTypeDSSE), verification{}, "media type"},
		{"bundle kind", KindBundle, sig, verification{}, "not a kind of cosign layer"},
		{"envelope not JSON", KindLegacyAttestation, envelope("{"), verification{}, "DSSE envelope"},
		{"envelope of another payload type", KindLegacyAttestation, envelope(`{"payloadType":"text/plain","payload":"e30=","signatures":[{"sig":"AA=="}]}`), verification{}, "payload type"},
		{"envelope payload not base64", KindLegacyAttestation, envelope(`{"payloadType":"application/vnd.in-toto+json","payload":"%%","signatures":[{"sig":"AA=="}]}`), verification{}, "payload is not base64"},
		{"envelope without signatures", KindLegacyAttestation, envelope(`{"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[]}`), verification{}, "without signatures"},
		{"envelope signature not base64", KindLegacyAttestation, envelope(`{"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[{"sig":"%%"}]}`), verification{}, "signature 1 is not base64"},
		{"envelope of too many signatures", KindLegacyAttestation, envelope(`{"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[` + strings.Repeat(`{"sig":"AA=="},`, 8) + `{"sig":"AA=="}]}`), verification{}, "9 signatures"},

		// Decoded, but the signature does not verify.
		{"modified payload", KindSimpleSigning, withPayload(sig, modified), verification{tlog: true}, ""},
		{"modified payload, timestamp only", KindSimpleSigning, withPayload(sig.with(AnnotationBundle, ""), modified), verification{}, ""},
		{"modified payload, keyed, no log", KindSimpleSigning, withPayload(keyed.with(AnnotationBundle, ""), modified), verification{keyed: true}, ""},
		{"modified payload, keyed", KindSimpleSigning, withPayload(keyed, modified), verification{keyed: true, tlog: true}, ""},
		{"SET flipped", KindSimpleSigning, sig.with(AnnotationBundle, string(flippedSET)), verification{tlog: true}, ""},
		{"SET of another log", KindSimpleSigning, sig.with(AnnotationBundle, foreignSET), verification{tlog: true}, ""},
		{"SET of another entry", KindSimpleSigning, sig.with(AnnotationBundle, otherEntry), verification{tlog: true}, ""},
		{"SET over another time", KindSimpleSigning, sig.with(AnnotationBundle, string(otherTime)), verification{tlog: true}, ""},
		{"no log entry", KindSimpleSigning, sig.with(AnnotationBundle, ""), verification{tlog: true}, ""},
		{"no log entry, keyed", KindSimpleSigning, keyed.with(AnnotationBundle, ""), verification{keyed: true, tlog: true}, ""},
		{"signed by another key", KindSimpleSigning, other.keyedSig(f.payload(), false), verification{keyed: true}, ""},
		{"certificate of another signer", KindSimpleSigning, sig.with(AnnotationCertificate, f.keylessSig(f.payload()).annotations[AnnotationCertificate]), verification{tlog: true}, ""},
		{"certificate of another CA", KindSimpleSigning, other.keylessSig(f.payload()), verification{tlog: true}, ""},
		{"keyed signature as keyless", KindSimpleSigning, keyed, verification{tlog: true}, ""},
		{"keyless signature as keyed", KindSimpleSigning, sig, verification{keyed: true, tlog: true}, ""},
		{"timestamp of another signature", KindSimpleSigning, sig.with(AnnotationBundle, "").with(AnnotationTimestamp, f.keylessSig(f.payload()).annotations[AnnotationTimestamp]), verification{}, ""},
		{"no timestamp, no log", KindSimpleSigning, sig.with(AnnotationBundle, "").with(AnnotationTimestamp, ""), verification{}, ""},
		{"modified statement", KindLegacyAttestation, modifiedEnvelope(att), verification{tlog: true}, ""},
		{"modified statement, keyed", KindLegacyAttestation, modifiedEnvelope(f.keyedAtt(f.statement(), false)), verification{keyed: true}, ""},
		{"statement of another digest", KindLegacyAttestation, f.keyedAtt(other.statement(), false), verification{keyed: true}, ""},
		{"attestation SET of another log", KindLegacyAttestation, att.with(AnnotationBundle, other.keylessAtt(f.statement()).annotations[AnnotationBundle]), verification{tlog: true}, ""},
		{"attestation timestamped over another layer", KindLegacyAttestation, withPayload(f.layerTimestamped(att), f.keylessAtt(f.statement()).payload), verification{}, ""},
		{"attestation without log entry", KindLegacyAttestation, att.with(AnnotationBundle, ""), verification{tlog: true}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.layer.candidate(tc.kind)
			if tc.err != "" {
				if c.Err == nil || c.Entity != nil || c.Payload != nil {
					t.Fatalf("Err = %v, Entity %v: want an error containing %q and no entity", c.Err, c.Entity, tc.err)
				}
				if !strings.Contains(c.Err.Error(), tc.err) {
					t.Fatalf("Err = %q, want it to contain %q", c.Err, tc.err)
				}
				if c.Source == "" || c.Kind != tc.kind {
					t.Errorf("Source %q, Kind %q", c.Source, c.Kind)
				}
				return
			}
			if c.Err != nil {
				t.Fatalf("Err = %v: want a decoded candidate that fails verification", c.Err)
			}
			if err := f.verify(c, tc.how); err == nil {
				t.Fatal("verified")
			} else {
				t.Logf("rejected: %v", err)
			}
		})
	}
}

// legacyBundle is a Sigstore bundle of the given media type from a virtual Sigstore
// entity: a DSSE attestation (with an inclusion proof from v0.2) or a message signature.
func (f *legacyFixture) bundle(mediaType string, attestation bool) []byte {
	f.t.Helper()
	var te *ca.TestEntity
	var err error
	proof := mediaType != "application/vnd.dev.sigstore.bundle+json;version=0.1"
	kind := "hashedrekord"
	if attestation {
		kind = "dsse"
		te, err = f.vs.AttestAtTime(legacyIdentity, legacyIssuer, f.statement(), time.Now().Add(5*time.Minute), proof)
	} else {
		te, err = f.vs.Sign(legacyIdentity, legacyIssuer, f.payload())
	}
	if err != nil {
		f.t.Fatal(err)
	}
	vc, _ := te.VerificationContent()
	sc, _ := te.SignatureContent()
	entries, _ := te.TlogEntries()
	tle := entries[0].TransparencyLogEntry()
	var rb cosignRekorBundleJSON
	if err := json.Unmarshal([]byte(f.rekorBundle(tle.CanonicalizedBody, tle.IntegratedTime, tle.LogIndex)), &rb); err != nil {
		f.t.Fatal(err)
	}
	tle.KindVersion = &protorekor.KindVersion{Kind: kind, Version: "0.0.1"}
	if proof && tle.InclusionProof == nil {
		p, err := f.vs.GetInclusionProof(tle.CanonicalizedBody)
		if err != nil {
			f.t.Fatal(err)
		}
		rootHash, _ := hex.DecodeString(*p.RootHash)
		tle.InclusionProof = &protorekor.InclusionProof{LogIndex: *p.LogIndex, RootHash: rootHash, TreeSize: *p.TreeSize,
			Checkpoint: &protorekor.Checkpoint{Envelope: *p.Checkpoint}}
		for _, h := range p.Hashes {
			b, _ := hex.DecodeString(h)
			tle.InclusionProof.Hashes = append(tle.InclusionProof.Hashes, b)
		}
	}
	tle.InclusionPromise = &protorekor.InclusionPromise{SignedEntryTimestamp: rb.SignedEntryTimestamp}
	pb := &protobundle.Bundle{
		MediaType: mediaType,
		VerificationMaterial: &protobundle.VerificationMaterial{
			Content:     &protobundle.VerificationMaterial_Certificate{Certificate: &protocommon.X509Certificate{RawBytes: vc.Certificate().Raw}},
			TlogEntries: []*protorekor.TransparencyLogEntry{tle},
		},
	}
	if attestation {
		env := sc.EnvelopeContent().RawEnvelope()
		payload, _ := env.DecodeB64Payload()
		s, _ := base64.StdEncoding.DecodeString(env.Signatures[0].Sig)
		pb.Content = &protobundle.Bundle_DsseEnvelope{DsseEnvelope: &protodsse.Envelope{Payload: payload, PayloadType: env.PayloadType, Signatures: []*protodsse.Signature{{Sig: s}}}}
	} else {
		ms := sc.MessageSignatureContent()
		pb.Content = &protobundle.Bundle_MessageSignature{MessageSignature: &protocommon.MessageSignature{
			MessageDigest: &protocommon.HashOutput{Algorithm: protocommon.HashAlgorithm_SHA2_256, Digest: ms.Digest()},
			Signature:     ms.Signature(),
		}}
	}
	b, err := protojson.Marshal(pb)
	if err != nil {
		f.t.Fatal(err)
	}
	return b
}

func TestFromBundle(t *testing.T) {
	f := newLegacyFixture(t)
	for _, tc := range []struct {
		name, mediaType, ociType string
		attestation              bool
	}{
		{"v0.3 attestation (cosign --new-bundle-format)", "application/vnd.dev.sigstore.bundle.v0.3+json", "application/vnd.dev.sigstore.bundle.v0.3+json", true},
		{"v0.3 message signature", "application/vnd.dev.sigstore.bundle.v0.3+json", "application/vnd.dev.sigstore.bundle.v0.3+json", false},
		{"v0.2 attestation", "application/vnd.dev.sigstore.bundle+json;version=0.2", "application/vnd.dev.sigstore.bundle+json;version=0.2", true},
		{"v0.1 attestation", "application/vnd.dev.sigstore.bundle+json;version=0.1", "application/vnd.dev.sigstore.bundle+json;version=0.1", true},
		{"v0.1 message signature", "application/vnd.dev.sigstore.bundle+json;version=0.1", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := FromBundle(tc.ociType, f.bundle(tc.mediaType, tc.attestation), "referrer sha256:ab12")
			if c.Err != nil {
				t.Fatal(c.Err)
			}
			if c.Kind != KindBundle || c.Source != "referrer sha256:ab12" || c.Entity == nil || c.Payload != nil {
				t.Fatalf("candidate %+v", c)
			}
			if tc.attestation {
				if err := f.verify(c, verification{tlog: true}); err != nil {
					t.Fatalf("verify: %v", err)
				}
				return
			}
			// A message signature is verified over the signed artifact.
			c.Kind, c.Payload = KindSimpleSigning, f.payload()
			if err := f.verify(c, verification{tlog: true}); err != nil {
				t.Fatalf("verify: %v", err)
			}
		})
	}
}

func TestFromBundleRejects(t *testing.T) {
	f := newLegacyFixture(t)
	good := f.bundle("application/vnd.dev.sigstore.bundle.v0.3+json", true)
	v03 := "application/vnd.dev.sigstore.bundle.v0.3+json"
	replace := func(old, new string) []byte {
		if !bytes.Contains(good, []byte(old)) {
			t.Fatalf("bundle has no %q", old)
		}
		return bytes.Replace(good, []byte(old), []byte(new), 1)
	}
	var pb protobundle.Bundle
	if err := protojson.Unmarshal(good, &pb); err != nil {
		t.Fatal(err)
	}
	cert := pb.GetVerificationMaterial().GetCertificate()
	pb.VerificationMaterial.Content = &protobundle.VerificationMaterial_X509CertificateChain{X509CertificateChain: &protocommon.X509CertificateChain{Certificates: []*protocommon.X509Certificate{cert}}}
	chain, _ := protojson.Marshal(&pb)
	pb.VerificationMaterial.Content = &protobundle.VerificationMaterial_Certificate{Certificate: &protocommon.X509Certificate{RawBytes: []byte("garbage")}}
	badCert, _ := protojson.Marshal(&pb)
	pb.VerificationMaterial.Content = &protobundle.VerificationMaterial_Certificate{Certificate: cert}
	dsseEnv := pb.GetDsseEnvelope()
	sigs := dsseEnv.Signatures
	dsseEnv.Signatures = nil
	noSignatures, _ := protojson.Marshal(&pb)
	for range maxEnvelopeSignatures + 1 {
		dsseEnv.Signatures = append(dsseEnv.Signatures, sigs...)
	}
	manySignatures, _ := protojson.Marshal(&pb)
	dsseEnv.Signatures = sigs
	pb.VerificationMaterial.TlogEntries[0].InclusionProof = nil
	noProof, _ := protojson.Marshal(&pb)

	for _, tc := range []struct {
		name, mediaType string
		data            []byte
		err             string
	}{
		{"not a bundle media type", "application/vnd.in-toto+json", good, "is not a Sigstore bundle"},
		{"not JSON", v03, []byte("{"), "bundle:"},
		{"empty", v03, nil, "bundle:"},
		{"unknown field", v03, replace(`"mediaType"`, `"bogus":1, "mediaType"`), "bundle:"},
		{"v0.4", v03, replace("bundle.v0.3+json", "bundle.v0.4+json"), "not yet supported"},
		{"no media type", v03, replace(`"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json",`, ""), "bundle:"},
		{"v0.3 with a chain", v03, chain, "certificate chain"},
		{"v0.3 without inclusion proof", v03, noProof, "inclusion proof missing"},
		{"too long", v03, make([]byte, MaxPayloadBytes+1), "exceeds the limit"},
		{"certificate not DER", v03, badCert, "verification material"},
		{"envelope without signatures", v03, noSignatures, "0 signatures"},
		{"envelope of too many signatures", v03, manySignatures, "9 signatures"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := FromBundle(tc.mediaType, tc.data, "referrer sha256:ab12")
			if c.Err == nil || c.Entity != nil {
				t.Fatalf("Err = nil, want one containing %q", tc.err)
			}
			if !strings.Contains(c.Err.Error(), tc.err) {
				t.Fatalf("Err = %q, want it to contain %q", c.Err, tc.err)
			}
			if c.Kind != KindBundle || c.Source != "referrer sha256:ab12" {
				t.Errorf("Kind %q, Source %q", c.Kind, c.Source)
			}
		})
	}

	// A decoded bundle whose statement was modified fails verification.
	var env struct{ DsseEnvelope struct{ Payload string } }
	if err := json.Unmarshal(good, &env); err != nil {
		t.Fatal(err)
	}
	other := base64.StdEncoding.EncodeToString(bytes.Replace(f.statement(), []byte("example.com/build"), []byte("example.com/evil"), 1))
	c := FromBundle(v03, replace(env.DsseEnvelope.Payload, other), "referrer")
	if c.Err != nil {
		t.Fatal(c.Err)
	}
	if err := f.verify(c, verification{tlog: true}); err == nil {
		t.Fatal("modified statement verified")
	}
}

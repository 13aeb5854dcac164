package signature

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/testing/ca"
	"github.com/sigstore/sigstore-go/pkg/tlog"
	"github.com/sigstore/sigstore-go/pkg/verify"
	sigsig "github.com/sigstore/sigstore/pkg/signature"
)

// The identities of the keyless tests.
const (
	testIssuer  = "https://token.actions.githubusercontent.com"
	testSubject = "https://github.com/example/app/.github/workflows/release.yml@refs/tags/v1.0.0"
	testRepo    = "ghcr.io/example/app"
	keyedRepo   = "registry.example.com/payments/api"
)

// memStore is a Store in memory.
type memStore struct {
	digest     string
	cands      []Candidate
	err        error
	resolveErr error
	resolves   int
}

func (s *memStore) Resolve(_ context.Context, ref string) (string, string, error) {
	s.resolves++
	if s.resolveErr != nil {
		return "", "", s.resolveErr
	}
	n, ok := normaliseName(ref)
	if !ok {
		return "", "", fmt.Errorf("bad reference %q", ref)
	}
	return n, s.digest, nil
}

func (s *memStore) Signatures(context.Context, string, string) ([]Candidate, error) {
	return s.cands, s.err
}

// randomDigest is a digest of random bytes.
func randomDigest(t testing.TB) string {
	b := make([]byte, 32)
	rand.Read(b)
	return fmt.Sprintf("sha256:%x", sha256.Sum256(b))
}

// simpleSigning is cosign's simple-signing payload for an image digest.
func simpleSigning(repo, digest string) []byte {
	return fmt.Appendf(nil, `{"critical":{"identity":{"docker-reference":%q},"image":{"docker-manifest-digest":%q},"type":"cosign container image signature"},"optional":null}`, repo, digest)
}

// statementJSON is an in-toto v1 statement about digest.
func statementJSON(digest, predicateType, predicate string) []byte {
	hexSum := digest[len("sha256:"):]
	return fmt.Appendf(nil, `{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"image","digest":{"sha256":%q}}],"predicateType":%q,"predicate":%s}`, hexSum, predicateType, predicate)
}

// testKey is a signing key with its public key written as cosign.pub.
type testKey struct {
	priv crypto.Signer
	pub  crypto.PublicKey
	pem  []byte
	path string // relative to the test's directory
	hint string
}

func newKey(t testing.TB, dir, name, kind string) *testKey {
	t.Helper()
	var priv crypto.Signer
	var err error
	switch kind {
	case "ecdsa":
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "ed25519":
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	case "rsa":
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	}
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(priv.Public())
	if err != nil {
		t.Fatal(err)
	}
	k := &testKey{priv: priv, pub: priv.Public(), pem: pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), path: name}
	sum := sha256.Sum256(der)
	k.hint = base64.StdEncoding.EncodeToString(sum[:])
	if dir != "" {
		if err := os.WriteFile(filepath.Join(dir, name), k.pem, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return k
}

func (k *testKey) signer(t testing.TB) sigsig.Signer {
	s, err := sigsig.LoadSigner(k.priv, crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// keyContent is the verification content of a key-signed entity: a public key
// named by its hint.
type keyContent struct{ hint string }

func (k *keyContent) CompareKey(key any, tm root.TrustedMaterial) bool {
	v, err := tm.PublicKeyVerifier(k.hint)
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

func (k *keyContent) ValidAtTime(t time.Time, tm root.TrustedMaterial) bool {
	v, err := tm.PublicKeyVerifier(k.hint)
	return err == nil && v.ValidAtTime(t)
}
func (k *keyContent) Certificate() *x509.Certificate                           { return nil }
func (k *keyContent) Intermediates() []*x509.Certificate                       { return nil }
func (k *keyContent) PublicKey() verify.PublicKeyProvider                      { return k }
func (k *keyContent) Hint() string                                             { return k.hint }
func (e *testEntity) VerificationContent() (verify.VerificationContent, error) { return e.vc, nil }

// testEntity is a signed entity built in the tests.
type testEntity struct {
	vc      verify.VerificationContent
	sc      verify.SignatureContent
	entries []*tlog.Entry
}

func (e *testEntity) HasInclusionPromise() bool { return len(e.entries) > 0 }
func (e *testEntity) HasInclusionProof() bool   { return false }
func (e *testEntity) SignatureContent() (verify.SignatureContent, error) {
	return e.sc, nil
}
func (e *testEntity) Timestamps() ([][]byte, error)       { return nil, nil }
func (e *testEntity) TlogEntries() ([]*tlog.Entry, error) { return e.entries, nil }
func (e *testEntity) Version() (string, error)            { return "v0.3", nil }

// signKeyed signs a simple-signing payload with k (cosign sign --key): the
// candidate of a legacy .sig layer. log, if set, records it in the virtual
// Sigstore's transparency log.
func signKeyed(t testing.TB, k *testKey, payload []byte, log *ca.VirtualSigstore) Candidate {
	t.Helper()
	sig, err := k.signer(t).SignMessage(bytes.NewReader(payload))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(payload)
	e := &testEntity{vc: &keyContent{hint: k.hint}, sc: bundle.NewMessageSignature(sum[:], "SHA2_256", sig)}
	if log != nil {
		e.entries = []*tlog.Entry{hashedRekord(t, log, k.pem, sum[:], sig, time.Now())}
	}
	return Candidate{Kind: KindSimpleSigning, Source: "keyed " + k.path, Entity: e, Payload: payload}
}

// attestKeyed signs an in-toto statement with k in a DSSE envelope (cosign attest
// --key --tlog-upload=false).
func attestKeyed(t testing.TB, k *testKey, stmt []byte) Candidate {
	t.Helper()
	env := signEnvelope(t, k.signer(t), stmt)
	return Candidate{Kind: KindLegacyAttestation, Source: "attestation " + k.path,
		Entity: &testEntity{vc: &keyContent{hint: k.hint}, sc: &bundle.Envelope{Envelope: env}}}
}

func signEnvelope(t testing.TB, s sigsig.Signer, stmt []byte) *dsse.Envelope {
	sig, err := s.SignMessage(bytes.NewReader(dsse.PAE(inTotoPayloadType, stmt)))
	if err != nil {
		t.Fatal(err)
	}
	return &dsse.Envelope{PayloadType: inTotoPayloadType, Payload: base64.StdEncoding.EncodeToString(stmt),
		Signatures: []dsse.Signature{{Sig: base64.StdEncoding.EncodeToString(sig)}}}
}

// hashedRekord is a Rekor v1 hashedrekord entry with its signed entry timestamp
// (the SET cosign stores in its bundle annotation), signed by the virtual log.
// verifier is the PEM public key or certificate.
func hashedRekord(t testing.TB, log *ca.VirtualSigstore, verifier, sum, sig []byte, at time.Time) *tlog.Entry {
	t.Helper()
	body := fmt.Appendf(nil, `{"apiVersion":"0.0.1","kind":"hashedrekord","spec":{"data":{"hash":{"algorithm":"sha256","value":%q}},"signature":{"content":%q,"publicKey":{"content":%q}}}}`,
		hex.EncodeToString(sum), base64.StdEncoding.EncodeToString(sig), base64.StdEncoding.EncodeToString(verifier))
	logID, err := log.RekorLogID()
	if err != nil {
		t.Fatal(err)
	}
	set, err := log.RekorSignPayload(tlog.RekorPayload{Body: base64.StdEncoding.EncodeToString(body), IntegratedTime: at.Unix(), LogIndex: 7, LogID: logID})
	if err != nil {
		t.Fatal(err)
	}
	rawID, _ := hex.DecodeString(logID)
	e, err := tlog.NewEntry(body, at.Unix(), 7, rawID, set, nil)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// testRoot is trusted material assembled in the tests.
type testRoot struct {
	root.BaseTrustedMaterial
	cas   []root.CertificateAuthority
	tsas  []root.TimestampingAuthority
	rekor map[string]*root.TransparencyLog
	ct    map[string]*root.TransparencyLog
}

func (r *testRoot) FulcioCertificateAuthorities() []root.CertificateAuthority { return r.cas }
func (r *testRoot) TimestampingAuthorities() []root.TimestampingAuthority     { return r.tsas }
func (r *testRoot) RekorLogs() map[string]*root.TransparencyLog               { return r.rekor }
func (r *testRoot) CTLogs() map[string]*root.TransparencyLog                  { return r.ct }

// virtual is a virtual Sigstore (sigstore-go's test certificate authority,
// transparency log and timestamp authority) and its trusted material without CT
// logs (the virtual CA issues certificates without SCTs).
type virtual struct {
	vs      *ca.VirtualSigstore
	trusted *testRoot
}

func newVirtual(t testing.TB) *virtual {
	t.Helper()
	vs, err := ca.NewVirtualSigstore()
	if err != nil {
		t.Fatal(err)
	}
	rekor := vs.RekorLogs()
	for _, l := range rekor {
		l.ValidityPeriodStart = time.Now().Add(-24 * time.Hour)
	}
	return &virtual{vs: vs, trusted: &testRoot{cas: vs.FulcioCertificateAuthorities(), tsas: vs.TimestampingAuthorities(), rekor: rekor}}
}

// signKeyless signs a simple-signing payload with a Fulcio certificate of identity
// (cosign sign, keyless): a message signature, a transparency-log entry with its
// SET, an RFC 3161 timestamp.
func (v *virtual) signKeyless(t testing.TB, subject, issuer string, payload []byte) Candidate {
	t.Helper()
	e, err := v.vs.Sign(subject, issuer, payload)
	if err != nil {
		t.Fatal(err)
	}
	return Candidate{Kind: KindSimpleSigning, Source: "keyless " + subject, Entity: e, Payload: payload}
}

// attestKeyless signs a statement with a Fulcio certificate in a DSSE envelope (a
// Sigstore bundle's content).
func (v *virtual) attestKeyless(t testing.TB, subject, issuer string, stmt []byte) Candidate {
	t.Helper()
	e, err := v.vs.Attest(subject, issuer, stmt)
	if err != nil {
		t.Fatal(err)
	}
	return Candidate{Kind: KindBundle, Source: "bundle " + subject, Entity: e}
}

// pastCA is a certificate authority of the tests whose certificates can be issued
// in the past (the virtual Sigstore's are issued now), logged in the virtual
// Sigstore's transparency log.
type pastCA struct {
	rootCert, inter *x509.Certificate
	interKey        *ecdsa.PrivateKey
	log             *virtual
	trusted         *testRoot
}

func newPastCA(t testing.TB, log *virtual) *pastCA {
	t.Helper()
	rootCert, rootKey, err := ca.GenerateRootCa()
	if err != nil {
		t.Fatal(err)
	}
	interKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "past-intermediate"},
		NotBefore: time.Now().Add(-5 * time.Hour), NotAfter: time.Now().Add(5 * time.Hour),
		KeyUsage: x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
		BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, rootCert, &interKey.PublicKey, rootKey)
	if err != nil {
		t.Fatal(err)
	}
	inter, _ := x509.ParseCertificate(der)
	p := &pastCA{rootCert: rootCert, inter: inter, interKey: interKey, log: log}
	p.trusted = &testRoot{
		cas: []root.CertificateAuthority{&root.FulcioCertificateAuthority{Root: rootCert, Intermediates: []*x509.Certificate{inter},
			ValidityPeriodStart: time.Now().Add(-6 * time.Hour), ValidityPeriodEnd: time.Now().Add(6 * time.Hour), URI: "https://past.fulcio.test"}},
		rekor: log.trusted.rekor,
	}
	return p
}

// sign signs payload with a certificate valid for ten minutes from notBefore, logged
// at logged (no log entry when logged is zero).
func (p *pastCA) sign(t testing.TB, payload []byte, notBefore, logged time.Time) Candidate {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	cert, err := ca.GenerateLeafCert(testSubject, testIssuer, notBefore, key, p.inter, p.interKey)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := sigsig.LoadSigner(key, crypto.SHA256)
	sig, err := s.SignMessage(bytes.NewReader(payload))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(payload)
	e := &certEntity{testEntity: testEntity{vc: bundle.NewCertificate(cert), sc: bundle.NewMessageSignature(sum[:], "SHA2_256", sig)}}
	if !logged.IsZero() {
		certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})
		e.entries = []*tlog.Entry{hashedRekord(t, p.log.vs, certPEM, sum[:], sig, logged)}
	}
	return Candidate{Kind: KindSimpleSigning, Source: "past " + notBefore.UTC().Format(time.Kitchen), Entity: e, Payload: payload}
}

type certEntity struct{ testEntity }

func hexSHA256(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

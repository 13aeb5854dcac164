package signature

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"encoding/pem"
	"math/big"
	"testing"
	"time"

	ct "github.com/google/certificate-transparency-go"
	"github.com/google/certificate-transparency-go/tls"
	ctx509 "github.com/google/certificate-transparency-go/x509"
	ctx509util "github.com/google/certificate-transparency-go/x509util"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/tlog"
	sigsig "github.com/sigstore/sigstore/pkg/signature"
)

// signWithSCT signs payload with a certificate of the past CA that embeds a signed
// certificate timestamp of ctKey (as Fulcio's certificates do), logged now.
func (p *pastCA) signWithSCT(t *testing.T, payload []byte, ctKey *ecdsa.PrivateKey) Candidate {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	notBefore := time.Now().Add(-time.Minute).Truncate(time.Second)
	tmpl := func(extra ...pkix.Extension) *x509.Certificate {
		return &x509.Certificate{
			SerialNumber: big.NewInt(42), EmailAddresses: []string{testSubject},
			NotBefore: notBefore, NotAfter: notBefore.Add(10 * time.Minute),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
			ExtraExtensions: append([]pkix.Extension{{Id: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 1}, Value: []byte(testIssuer)}}, extra...),
		}
	}
	create := func(c *x509.Certificate) *x509.Certificate {
		der, err := x509.CreateCertificate(rand.Reader, c, p.inter, &key.PublicKey, p.interKey)
		if err != nil {
			t.Fatal(err)
		}
		out, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	pre := create(tmpl())
	der, _ := x509.MarshalPKIXPublicKey(ctKey.Public())
	sct := ct.SignedCertificateTimestamp{SCTVersion: ct.V1, LogID: ct.LogID{KeyID: sha256.Sum256(der)}, Timestamp: uint64(time.Now().UnixMilli())}
	input, err := ct.SerializeSCTSignatureInput(sct, ct.LogEntry{Leaf: ct.MerkleTreeLeaf{
		Version: ct.V1, LeafType: ct.TimestampedEntryLeafType,
		TimestampedEntry: &ct.TimestampedEntry{Timestamp: sct.Timestamp, EntryType: ct.PrecertLogEntryType,
			PrecertEntry: &ct.PreCert{IssuerKeyHash: sha256.Sum256(p.inter.RawSubjectPublicKeyInfo), TBSCertificate: pre.RawTBSCertificate}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256(input)
	sig, err := ctKey.Sign(rand.Reader, h[:], crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	sct.Signature = ct.DigitallySigned{Algorithm: tls.SignatureAndHashAlgorithm{Hash: tls.SHA256, Signature: tls.ECDSA}, Signature: sig}
	list, err := ctx509util.MarshalSCTsIntoSCTList([]*ct.SignedCertificateTimestamp{&sct})
	if err != nil {
		t.Fatal(err)
	}
	listBytes, err := tls.Marshal(*list)
	if err != nil {
		t.Fatal(err)
	}
	ext, _ := asn1.Marshal(listBytes)
	cert := create(tmpl(pkix.Extension{Id: asn1.ObjectIdentifier(ctx509.OIDExtensionCTSCT), Value: ext}))

	s, _ := sigsig.LoadSigner(key, crypto.SHA256)
	msgSig, err := s.SignMessage(bytes.NewReader(payload))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(payload)
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})
	e := &testEntity{vc: bundle.NewCertificate(cert), sc: bundle.NewMessageSignature(sum[:], "SHA2_256", msgSig),
		entries: []*tlog.Entry{hashedRekord(t, p.log.vs, certPEM, sum[:], msgSig, time.Now())}}
	return Candidate{Kind: KindSimpleSigning, Source: "sct", Entity: e, Payload: payload}
}

// TestVerifySCT: with CT logs in the trusted root, a certificate needs a valid
// signed certificate timestamp of one of them.
func TestVerifySCT(t *testing.T) {
	f := newFixture(t)
	past := newPastCA(t, f.v)
	ctKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	strangerCT, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKIXPublicKey(ctKey.Public())
	id := sha256.Sum256(der)
	withCT := *past.trusted
	withCT.ct = map[string]*root.TransparencyLog{hex.EncodeToString(id[:]): {
		ID: id[:], PublicKey: ctKey.Public(), HashFunc: crypto.SHA256, SignatureHashFunc: crypto.SHA256,
		ValidityPeriodStart: time.Now().Add(-time.Hour),
	}}
	v := f.verifier(t, &withCT, f.keylessReq())
	payload := simpleSigning(testRepo, f.digest)
	ref := testRepo + "@" + f.digest
	check(t, v, ref, f.digest, []Candidate{past.signWithSCT(t, payload, ctKey)}, true, "")
	check(t, v, ref, f.digest, []Candidate{past.signWithSCT(t, payload, strangerCT)}, false, UntrustedKey)
	check(t, v, ref, f.digest, []Candidate{past.sign(t, payload, time.Now().Add(-time.Minute), time.Now())}, false, UntrustedKey)
}

package sigtest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"fmt"
	"math/big"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/testing/ca"
)

// Sigstore is a virtual Sigstore: a Fulcio-like certificate authority issuing
// short-lived certificates for OIDC identities, a Rekor-like transparency log (signed
// entry timestamps, inclusion proofs with a signed checkpoint) and an RFC 3161
// timestamp authority (sigstore-go's pkg/testing/ca), with its trusted_root.json.
// Nothing is served: signing happens in process.
type Sigstore struct {
	// TrustedRootPath is trusted_root.json written in the test's temporary directory;
	// TrustedRootJSON its content; TrustedRoot it parsed back.
	TrustedRootPath string
	TrustedRootJSON []byte
	TrustedRoot     *root.TrustedRoot

	// Root and Intermediate are the certificate authority's chain.
	Root, Intermediate *x509.Certificate

	vs              *ca.VirtualSigstore
	intermediateKey *ecdsa.PrivateKey
	rekorLogID      []byte
}

// NewSigstore makes a virtual Sigstore and writes its trusted_root.json. The
// certificate authority and the transparency log are valid from 24 hours before to
// 24 hours after now (the timestamp authority's leaf for ±5 minutes: sigstore-go's
// test helper), so that tests can sign at other times.
func NewSigstore(t testing.TB) *Sigstore {
	t.Helper()
	s, err := newSigstore(t.TempDir())
	if err != nil {
		t.Fatalf("sigtest: virtual sigstore: %v", err)
	}
	return s
}

func newSigstore(dir string) (*Sigstore, error) {
	vs, err := ca.NewVirtualSigstore()
	if err != nil {
		return nil, err
	}
	now := time.Now()
	start, end := now.Add(-24*time.Hour), now.Add(24*time.Hour)
	rootKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	rootCert, err := createCert(&x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "sigtest", Organization: []string{"sigtest.palisade.dev"}},
		NotBefore:             start.Add(-time.Hour),
		NotAfter:              end.Add(time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}, nil, rootKey.Public(), rootKey)
	if err != nil {
		return nil, err
	}
	interKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	interCert, err := createCert(&x509.Certificate{
		SerialNumber:          big.NewInt(2),
		Subject:               pkix.Name{CommonName: "sigtest-intermediate", Organization: []string{"sigtest.palisade.dev"}},
		NotBefore:             start,
		NotAfter:              end,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}, rootCert, interKey.Public(), rootKey)
	if err != nil {
		return nil, err
	}
	fulcio := &root.FulcioCertificateAuthority{
		Root: rootCert, Intermediates: []*x509.Certificate{interCert},
		ValidityPeriodStart: start, ValidityPeriodEnd: end,
		URI: "https://fulcio.sigtest.localhost",
	}
	// The virtual log's IDs are hex strings in its map; the trusted root holds the raw
	// key ID (the SHA-256 of the log's public key) and its validity is widened.
	logs := func(in map[string]*root.TransparencyLog) (map[string]*root.TransparencyLog, []byte, error) {
		out := map[string]*root.TransparencyLog{}
		var id []byte
		for k, l := range in {
			raw, err := hex.DecodeString(k)
			if err != nil {
				return nil, nil, err
			}
			c := *l
			c.ID, id = raw, raw
			c.ValidityPeriodStart, c.ValidityPeriodEnd = start, end
			out[k] = &c
		}
		return out, id, nil
	}
	rekor, rekorID, err := logs(vs.RekorLogs())
	if err != nil {
		return nil, err
	}
	ct, _, err := logs(vs.CTLogs())
	if err != nil {
		return nil, err
	}
	tr, err := root.NewTrustedRoot(root.TrustedRootMediaType01,
		[]root.CertificateAuthority{fulcio}, ct, vs.TimestampingAuthorities(), rekor)
	if err != nil {
		return nil, err
	}
	js, err := tr.MarshalJSON()
	if err != nil {
		return nil, err
	}
	back, err := root.NewTrustedRootFromJSON(js)
	if err != nil {
		return nil, fmt.Errorf("trusted root does not parse back: %w", err)
	}
	p := filepath.Join(dir, "trusted_root.json")
	if err := os.WriteFile(p, js, 0o600); err != nil {
		return nil, err
	}
	return &Sigstore{
		TrustedRootPath: p, TrustedRootJSON: js, TrustedRoot: back,
		Root: rootCert, Intermediate: interCert,
		vs: vs, intermediateKey: interKey, rekorLogID: rekorID,
	}, nil
}

// The Fulcio certificate extensions of the OIDC issuer: v1 (raw string) and v2 (DER
// UTF8String).
var (
	oidIssuerV1 = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 1}
	oidIssuerV2 = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 8}
)

// leaf issues a code-signing certificate for subject (a URI SAN when it parses as an
// absolute URI, else an email SAN) and issuer, valid from notBefore for lifetime.
func (s *Sigstore) leaf(issuer, subject string, notBefore time.Time, lifetime time.Duration) (*x509.Certificate, crypto.Signer, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	v2, err := asn1.MarshalWithParams(issuer, "utf8")
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		NotBefore:    notBefore,
		NotAfter:     notBefore.Add(lifetime),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
		ExtraExtensions: []pkix.Extension{
			{Id: oidIssuerV1, Value: []byte(issuer)},
			{Id: oidIssuerV2, Value: v2},
		},
	}
	if u, err := url.Parse(subject); err == nil && u.Scheme != "" && u.Host != "" {
		tmpl.URIs = []*url.URL{u}
	} else {
		tmpl.EmailAddresses = []string{subject}
	}
	c, err := createCert(tmpl, s.Intermediate, key.Public(), s.intermediateKey)
	return c, key, err
}

func createCert(tmpl, parent *x509.Certificate, pub crypto.PublicKey, priv crypto.Signer) (*x509.Certificate, error) {
	if parent == nil {
		parent = tmpl
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, priv)
	if err != nil {
		return nil, err
	}
	return x509.ParseCertificate(der)
}

package sigtest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"

	"github.com/sigstore/sigstore/pkg/signature"
)

// KeyAlg is the algorithm of a signing key.
type KeyAlg string

// The key algorithms cosign's key files hold.
const (
	ECDSAP256 KeyAlg = "ecdsa-p256"
	Ed25519   KeyAlg = "ed25519"
	RSA       KeyAlg = "rsa"
)

// Key is a signing key pair with its public key written as cosign writes cosign.pub
// (a PEM "PUBLIC KEY" block, PKIX).
type Key struct {
	Alg KeyAlg
	// Private signs; Public is its public key.
	Private crypto.Signer
	Public  crypto.PublicKey
	// PEM is the public key file's content; Path the file (in the test's temporary
	// directory).
	PEM  []byte
	Path string
	// Hint is the key's hint in a Sigstore bundle (base64 of the SHA-256 of the PKIX
	// public key), as cosign and sigstore-go write it.
	Hint string

	signer signature.Signer
}

// NewKey generates a key pair and writes its public key to a file.
func NewKey(t testing.TB, alg KeyAlg) *Key {
	t.Helper()
	k, err := newKey(alg, t.TempDir())
	if err != nil {
		t.Fatalf("sigtest: key %s: %v", alg, err)
	}
	return k
}

func newKey(alg KeyAlg, dir string) (*Key, error) {
	var priv crypto.Signer
	var err error
	switch alg {
	case ECDSAP256:
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case Ed25519:
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	case RSA:
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	default:
		panic("sigtest: unknown key algorithm " + string(alg))
	}
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKIXPublicKey(priv.Public())
	if err != nil {
		return nil, err
	}
	s, err := signature.LoadSigner(priv, crypto.SHA256)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(der)
	k := &Key{
		Alg: alg, Private: priv, Public: priv.Public(),
		PEM:    pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}),
		Path:   filepath.Join(dir, "cosign-"+string(alg)+".pub"),
		Hint:   base64.StdEncoding.EncodeToString(sum[:]),
		signer: s,
	}
	if err := os.WriteFile(k.Path, k.PEM, 0o600); err != nil {
		return nil, err
	}
	return k, nil
}

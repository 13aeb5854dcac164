package imagetest

import (
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"strings"
)

// The fake credentials of the images, made at run time from a fixed seed (so the
// source holds nothing a secret scanner would report, and the images, hence their
// digests and the cache, are the same on every run). None was ever issued by anyone.

// SecretFile is a credential file a layer adds and a later layer deletes.
type SecretFile struct {
	// Path is absolute ("/root/.ssh/id_ed25519").
	Path string
	// Layer adds it; DeletedIn is the later layer whose whiteout removes it.
	Layer, DeletedIn int
}

// fakePrivateKey is an Ed25519 private key in PKCS #8 PEM, from a fixed seed.
func fakePrivateKey() []byte {
	seed := sha256.Sum256([]byte("palisade imagetest: not a real key"))
	der, err := x509.MarshalPKCS8PrivateKey(ed25519.NewKeyFromSeed(seed[:]))
	if err != nil {
		panic(err) // an Ed25519 key always marshals
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE" + " KEY", Bytes: der})
}

// fakeAWSCredentials is an AWS shared credentials file with an access key ID and a
// secret access key of the right shape.
func fakeAWSCredentials() []byte {
	g := &rnd{state: 0x1a6e}
	const base32, alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	id := "AK" + "IA" + g.string(base32, 16)
	secret := g.string(alnum, 20) + "/" + g.string(alnum, 9) + "+" + g.string(alnum, 9)
	return fmt.Appendf(nil, "[default]\naws_access_key_id = %s\naws_secret_access_key = %s\nregion = eu-west-1\n", id, secret)
}

// rnd is a deterministic generator (a linear congruential one: enough for shapes).
type rnd struct{ state uint64 }

func (g *rnd) string(charset string, n int) string {
	var b strings.Builder
	for range n {
		g.state = g.state*6364136223846793005 + 1442695040888963407
		b.WriteByte(charset[(g.state>>33)%uint64(len(charset))])
	}
	return b.String()
}

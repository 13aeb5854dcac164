package signature

import (
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"testing"
)

// FuzzKeys: New on hostile key files and trusted roots never panics; what it accepts
// verifies without panicking either.
func FuzzKeys(f *testing.F) {
	dir := f.TempDir()
	k := newKey(f, dir, "seed.pub", "ecdsa")
	ed := newKey(f, dir, "ed.pub", "ed25519")
	v := newVirtual(f)
	rootJSON := writeRoot(f, v, filepath.Join(dir, "root.json"))
	f.Add(k.pem, rootJSON)
	f.Add(ed.pem, []byte(`{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1","tlogs":[{"baseUrl":"x","hashAlgorithm":"SHA2_256","publicKey":{"rawBytes":"AAAA","keyDetails":"PKIX_ECDSA_P256_SHA_256"},"logId":{"keyId":"AAAA"}}]}`))
	f.Add([]byte("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"), []byte(`{}`))
	f.Add([]byte("-----BEGIN RSA PUBLIC KEY-----\nMAoCAwEAAQIDAQAB\n-----END RSA PUBLIC KEY-----\n"), []byte(`[]`))
	digest := randomDigest(f)
	cands := []Candidate{signKeyed(f, k, simpleSigning(keyedRepo, digest), nil)}

	f.Fuzz(func(t *testing.T, key, rootData []byte) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "key.pub"), key, 0o600)
		os.WriteFile(filepath.Join(dir, "root.json"), rootData, 0o600)
		keyed := Requirement{Match: []string{"**"}, Keys: []string{"key.pub"}, TransparencyLog: TlogSkip}
		if v, err := New(Policy{Verify: []Requirement{keyed}}, Options{Dir: dir}); err == nil {
			v.Verify(context.Background(), &memStore{digest: digest, cands: cands}, keyedRepo, "")
		}
		keyless := Requirement{Match: []string{"**"}, Keyless: &Keyless{Issuer: testIssuer, Subject: ".*"}}
		keyed.TransparencyLog = TlogRequired
		if v, err := New(Policy{Verify: []Requirement{keyless, keyed}, TrustedRoot: "root.json"}, Options{Dir: dir}); err == nil {
			v.Verify(context.Background(), &memStore{digest: digest, cands: cands}, keyedRepo, "")
		}
	})
}

// FuzzStatement: the DSSE payloads and simple-signing payloads of attached artifacts
// are read before and after verification without panicking.
func FuzzStatement(f *testing.F) {
	d := randomDigest(f)
	f.Add(statementJSON(d, slsaType, `{"a":[1,2,{"b":null}]}`), d)
	f.Add(simpleSigning(keyedRepo, d), d)
	f.Add([]byte(`{"_type":"https://in-toto.io/Statement/v0.1","predicateType":"x","subject":[{"digest":{"sha256":1}}]}`), "sha256:")
	c, err := compileCondition(`has(predicate.a) && predicate.a.size() > 1 && statement.subject[0].digest.sha256 != ""`)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, payload []byte, digest string) {
		if st, err := parseStatement(inTotoPayloadType, base64.StdEncoding.EncodeToString(payload)); err == nil {
			st.about(digest)
			st.subjects()
			c.eval(context.Background(), st)
		}
		simpleSigningDigest(payload)
		splitDigest(digest)
	})
}

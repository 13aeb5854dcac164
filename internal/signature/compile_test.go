package signature

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sigstore/sigstore-go/pkg/root"
)

func TestMatchPatterns(t *testing.T) {
	for _, tc := range []struct {
		pattern string
		yes, no []string
	}{
		{"registry.example.com/payments/**",
			[]string{"registry.example.com/payments", "registry.example.com/payments/api", "registry.example.com/payments/a/b/c"},
			[]string{"registry.example.com/paymentsx", "registry.example.com/other/api", "evil.com/registry.example.com/payments/api"}},
		{"ghcr.io/example/*",
			[]string{"ghcr.io/example/app"},
			[]string{"ghcr.io/example/app/sub", "ghcr.io/example", "ghcr.io/examplex/app"}},
		{"ghcr.io/*/app",
			[]string{"ghcr.io/example/app", "ghcr.io/other/app"},
			[]string{"ghcr.io/a/b/app", "ghcr.io/example/app2"}},
		{"ghcr.io/**/app",
			[]string{"ghcr.io/example/app", "ghcr.io/a/b/app"},
			[]string{"ghcr.io/example/app2"}},
		{"nginx", []string{"docker.io/library/nginx"}, []string{"docker.io/library/nginx2", "docker.io/x/nginx"}},
		{"bitnami/*", []string{"docker.io/bitnami/redis"}, []string{"docker.io/library/redis"}},
		{"localhost:5000/app", []string{"localhost:5000/app"}, []string{"docker.io/localhost:5000/app"}},
		{"**", []string{"docker.io/library/nginx", "ghcr.io/a/b"}, nil},
		{"registry.example.com/a.b", []string{"registry.example.com/a.b"}, []string{"registry.example.com/axb"}},
	} {
		p, err := compilePattern(tc.pattern)
		if err != nil {
			t.Fatalf("%s: %v", tc.pattern, err)
		}
		for _, n := range tc.yes {
			if !p.match(n) {
				t.Errorf("%s does not match %s", tc.pattern, n)
			}
		}
		for _, n := range tc.no {
			if p.match(n) {
				t.Errorf("%s matches %s", tc.pattern, n)
			}
		}
	}
	for _, bad := range []string{"", "ghcr.io/app@sha256:abc", "a b"} {
		if _, err := compilePattern(bad); err == nil {
			t.Errorf("pattern %q accepted", bad)
		}
	}
}

func TestNewErrors(t *testing.T) {
	f := newFixture(t)
	os.WriteFile(filepath.Join(f.dir, "private.pem"), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: []byte("TOPSECRETKEYMATERIAL")}), 0o600)
	os.WriteFile(filepath.Join(f.dir, "garbage.pub"), []byte("not a key"), 0o600)
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	der, _ := x509.MarshalPKIXPublicKey(&small.PublicKey)
	os.WriteFile(filepath.Join(f.dir, "small.pub"), pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o600)
	os.WriteFile(filepath.Join(f.dir, "root.json"), []byte(`{"mediaType": 12`), 0o600)

	keyed := func(mut func(*Requirement)) Policy {
		r := f.keyedReq(TlogSkip)
		mut(&r)
		return Policy{Verify: []Requirement{r}}
	}
	keyless := func(mut func(*Keyless)) Policy {
		r := f.keylessReq()
		k := *r.Keyless
		mut(&k)
		r.Keyless = &k
		return Policy{Verify: []Requirement{r}}
	}
	for _, tc := range []struct {
		name    string
		p       Policy
		trusted bool
		want    string
	}{
		{"missing key", keyed(func(r *Requirement) { r.Keys = []string{"nope.pub"} }), false, ".palisade.yaml:3: key nope.pub"},
		{"private key", keyed(func(r *Requirement) { r.Keys = []string{"private.pem"} }), false, ".palisade.yaml:3: key private.pem: is a private key"},
		{"garbage key", keyed(func(r *Requirement) { r.Keys = []string{"garbage.pub"} }), false, "not a PEM public key"},
		{"small RSA", keyed(func(r *Requirement) { r.Keys = []string{"small.pub"} }), false, "RSA key of 1024 bits"},
		{"no match", keyed(func(r *Requirement) { r.Match = nil }), false, ".palisade.yaml:3: requirement without match patterns"},
		{"no identity", keyed(func(r *Requirement) { r.Keys = nil }), false, "without an identity"},
		{"bad tlog", keyed(func(r *Requirement) { r.TransparencyLog = "maybe" }), false, `transparencyLog "maybe"`},
		{"tlog without root", keyed(func(r *Requirement) { r.TransparencyLog = "" }), false, "no trustedRoot"},
		{"keyless without root", keyless(func(*Keyless) {}), false, "no trustedRoot"},
		{"keyless skip", Policy{Verify: []Requirement{{Match: []string{"a/b"}, Keyless: &Keyless{Issuer: "i", Subject: "s"}, TransparencyLog: TlogSkip, Line: 4}}}, true, ".palisade.yaml:4: transparencyLog: skip applies to keys only"},
		{"no subject", keyless(func(k *Keyless) { k.Subject = "" }), true, ".palisade.yaml:7: keyless.subject is required"},
		{"two issuers", keyless(func(k *Keyless) { k.IssuerRegexp = ".*" }), true, "exactly one of issuer and issuerRegexp"},
		{"bad subject regexp", keyless(func(k *Keyless) { k.Subject = "(" }), true, ".palisade.yaml:7: keyless"},
		{"bad issuer regexp", keyless(func(k *Keyless) { k.Issuer, k.IssuerRegexp = "", "[" }), true, ".palisade.yaml:7: keyless"},
		{"bad condition", keyed(func(r *Requirement) {
			r.Attestations = []Attestation{{PredicateType: slsaType, Condition: "predicate.x ==", Line: 5}}
		}), false, ".palisade.yaml:3: attestation at line 5: condition:"},
		{"condition not bool", keyed(func(r *Requirement) {
			r.Attestations = []Attestation{{PredicateType: slsaType, Condition: `"yes"`, Line: 5}}
		}), false, "want bool"},
		{"no predicate type", keyed(func(r *Requirement) { r.Attestations = []Attestation{{Line: 5}} }), false, "without predicateType"},
		{"bad default", Policy{Default: "maybe"}, false, `images.default "maybe"`},
		{"missing root", Policy{TrustedRoot: "nope.json"}, false, ".palisade.yaml: images.trustedRoot"},
		{"bad root", Policy{TrustedRoot: "root.json"}, false, ".palisade.yaml: images.trustedRoot root.json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := Options{Dir: f.dir, File: ".palisade.yaml"}
			if tc.trusted {
				o.TrustedMaterial = f.v.trusted
			}
			_, err := New(tc.p, o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "TOPSECRET") || strings.Contains(err.Error(), "VE9QU0VDUkVU") {
				t.Fatalf("the error shows the key: %v", err)
			}
		})
	}
}

// writeRoot writes the virtual Sigstore's trusted_root.json (without CT logs: its
// certificates carry no SCTs).
func writeRoot(t testing.TB, v *virtual, path string) []byte {
	t.Helper()
	// The virtual Sigstore's log IDs are the hex strings' bytes; a trusted root
	// carries the raw key ID.
	logs := map[string]*root.TransparencyLog{}
	for id, l := range v.trusted.rekor {
		c := *l
		c.ID, _ = hex.DecodeString(id)
		logs[id] = &c
	}
	tr, err := root.NewTrustedRoot(root.TrustedRootMediaType01, v.trusted.cas, nil, v.trusted.tsas, logs)
	if err != nil {
		t.Fatal(err)
	}
	data, err := tr.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return data
}

func TestTrustedRootFile(t *testing.T) {
	f := newFixture(t)
	writeRoot(t, f.v, filepath.Join(f.dir, "trusted_root.json"))
	p := Policy{Verify: []Requirement{f.keylessReq(), f.keyedReq(TlogRequired)}, TrustedRoot: "trusted_root.json"}
	v, err := New(p, Options{Dir: f.dir, File: ".palisade.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	check(t, v, testRepo+":v1", f.digest, []Candidate{f.v.signKeyless(t, testSubject, testIssuer, simpleSigning(testRepo, f.digest))}, true, "")
	check(t, v, keyedRepo+":v1", f.digest, []Candidate{signKeyed(t, f.key, f.keyedPayload, f.v.vs)}, true, "")
	other := newVirtual(t)
	check(t, v, testRepo+":v1", f.digest, []Candidate{other.signKeyless(t, testSubject, testIssuer, simpleSigning(testRepo, f.digest))}, false, MissingTlog)
}

func TestGeneration(t *testing.T) {
	f := newFixture(t)
	rootPath := filepath.Join(f.dir, "trusted_root.json")
	writeRoot(t, f.v, rootPath)
	p := Policy{Verify: []Requirement{f.keyedReq(TlogRequired)}, TrustedRoot: "trusted_root.json"}
	gen := func(p Policy) string {
		t.Helper()
		v, err := New(p, Options{Dir: f.dir})
		if err != nil {
			t.Fatal(err)
		}
		return v.Generation()
	}
	g1 := gen(p)
	if g1 != gen(p) || !strings.HasPrefix(g1, "sha256:") {
		t.Fatalf("generation not stable: %s", g1)
	}
	// Another key in the same file.
	newKey(t, f.dir, "cosign.pub", "ecdsa")
	g2 := gen(p)
	if g2 == g1 {
		t.Error("a new key does not change the generation")
	}
	// Another trusted root.
	writeRoot(t, newVirtual(t), rootPath)
	g3 := gen(p)
	if g3 == g2 {
		t.Error("a new trusted root does not change the generation")
	}
	// Another policy.
	p.Default = DefaultDeny
	if gen(p) == g3 {
		t.Error("a new policy does not change the generation")
	}
}

func TestParsePublicKey(t *testing.T) {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	one := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	if _, err := ParsePublicKey(one); err != nil {
		t.Fatal(err)
	}
	r, _ := rsa.GenerateKey(rand.Reader, 2048)
	if _, err := ParsePublicKey(pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&r.PublicKey)})); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{
		"two keys":    append(append([]byte{}, one...), one...),
		"certificate": pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		"empty":       nil,
		"truncated":   pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der[:20]}),
	} {
		if _, err := ParsePublicKey(data); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
}

// TestConditionCostLimit: a condition that would run too long stops at the cost
// limit and fails.
func TestConditionCostLimit(t *testing.T) {
	c, err := compileCondition(`predicate.items.all(x, predicate.items.all(y, x != y || x == y))`)
	if err != nil {
		t.Fatal(err)
	}
	items := strings.Repeat(`1,`, 3000) + "1"
	st := &statement{raw: []byte(`{}`), predicate: []byte(`{"items":[` + items + `]}`)}
	ok, detail := c.eval(context.Background(), st)
	if ok || !strings.Contains(detail, "cost") {
		t.Fatalf("ok=%v detail=%s", ok, detail)
	}
	small := &statement{raw: []byte(`{}`), predicate: []byte(`{"items":[1,2,3]}`)}
	if ok, detail := c.eval(context.Background(), small); !ok {
		t.Fatalf("small: %s", detail)
	}
}

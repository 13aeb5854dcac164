package signature

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/verify"
	sigsig "github.com/sigstore/sigstore/pkg/signature"
)

// Bounds on the policy's own files: a public key is a few hundred bytes, the public
// Sigstore trusted_root.json about 10 KiB.
const (
	maxKeyBytes         = 64 << 10
	maxTrustedRootBytes = 4 << 20
	maxPatterns         = 256
	maxRequirements     = 1024
	minRSABits          = 2048
)

// requirement is a compiled Requirement.
type requirement struct {
	src          Requirement
	patterns     []pattern
	keys         []*publicKey
	keyless      *keylessIdentity
	attestations []*attestation
	tlog         bool
}

// publicKey is one trusted key file with the verifier that trusts only it.
type publicKey struct {
	path     string
	hints    map[string]bool
	verifier *verify.Verifier
}

// keylessIdentity is a compiled Keyless with the verifier of the trusted root.
type keylessIdentity struct {
	identity verify.CertificateIdentity
	text     string
	verifier *verify.Verifier
	trusted  root.TrustedMaterial
}

// pattern is one Match pattern compiled to an anchored regular expression.
type pattern struct {
	text string
	re   *regexp.Regexp
}

// New compiles a policy. A key, trusted root or condition that does not load or
// compile is an error naming the file and line of the requirement.
func New(p Policy, o Options) (*Verifier, error) {
	v := &Verifier{policy: p}
	gen := sha256.New()
	policyJSON, _ := json.Marshal(p)
	fmt.Fprintf(gen, "policy %d\n", len(policyJSON))
	gen.Write(policyJSON)

	switch p.Default {
	case "", DefaultAllow, DefaultDeny:
	default:
		return nil, fmt.Errorf("%s: images.default %q: want %q or %q", fileName(o), p.Default, DefaultAllow, DefaultDeny)
	}
	if len(p.Verify) > maxRequirements {
		return nil, fmt.Errorf("%s: images.verify: %d requirements, at most %d", fileName(o), len(p.Verify), maxRequirements)
	}

	trusted := o.TrustedMaterial
	switch {
	case trusted != nil:
		// A material given in memory (--tuf, tests) has no bytes to digest: its
		// identity makes the generation, so a new material is a new generation.
		fmt.Fprintf(gen, "material %p\n", trusted)
	case p.TrustedRoot != "":
		data, err := readBounded(resolvePath(o.Dir, p.TrustedRoot), maxTrustedRootBytes)
		if err != nil {
			return nil, fmt.Errorf("%s: images.trustedRoot: %w", fileName(o), err)
		}
		tr, err := parseTrustedRoot(data)
		if err != nil {
			return nil, fmt.Errorf("%s: images.trustedRoot %s: %w", fileName(o), p.TrustedRoot, err)
		}
		trusted = tr
		fmt.Fprintf(gen, "root %d\n", len(data))
		gen.Write(data)
	}

	keyCache := map[string]*publicKey{}
	for i := range p.Verify {
		r, err := compileRequirement(p.Verify[i], o, trusted, keyCache, gen)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", where(o, p.Verify[i].Line), err)
		}
		v.reqs = append(v.reqs, r)
	}
	v.generation = "sha256:" + hex.EncodeToString(gen.Sum(nil))
	return v, nil
}

// parseTrustedRoot reads a trusted_root.json without letting a hostile file panic
// the process.
func parseTrustedRoot(data []byte) (tr *root.TrustedRoot, err error) {
	defer func() {
		if r := recover(); r != nil {
			tr, err = nil, fmt.Errorf("undecodable trusted root: %v", r)
		}
	}()
	return root.NewTrustedRootFromJSON(data)
}

func compileRequirement(src Requirement, o Options, trusted root.TrustedMaterial, keyCache map[string]*publicKey, gen io.Writer) (*requirement, error) {
	r := &requirement{src: src}
	if len(src.Match) == 0 {
		return nil, errors.New("requirement without match patterns")
	}
	if len(src.Match) > maxPatterns {
		return nil, fmt.Errorf("%d match patterns, at most %d", len(src.Match), maxPatterns)
	}
	for _, m := range src.Match {
		pt, err := compilePattern(m)
		if err != nil {
			return nil, err
		}
		r.patterns = append(r.patterns, pt)
	}
	if len(src.Keys) == 0 && src.Keyless == nil {
		return nil, errors.New("requirement without an identity: give keys or keyless")
	}
	switch src.TransparencyLog {
	case "", TlogRequired:
		r.tlog = true
	case TlogSkip:
		if len(src.Keys) == 0 {
			return nil, errors.New("transparencyLog: skip applies to keys only; a keyless signature needs the transparency log")
		}
	default:
		return nil, fmt.Errorf("transparencyLog %q: want %q or %q", src.TransparencyLog, TlogRequired, TlogSkip)
	}
	if r.tlog && trusted == nil {
		return nil, errors.New("the transparency log is required but the policy has no trustedRoot (give trustedRoot, or transparencyLog: skip for keys signed without the log)")
	}
	for _, path := range src.Keys {
		k, err := loadKey(path, o, trusted, r.tlog, keyCache, gen)
		if err != nil {
			return nil, err
		}
		r.keys = append(r.keys, k)
	}
	if src.Keyless != nil {
		kl, err := compileKeyless(*src.Keyless, trusted)
		if err != nil {
			return nil, err
		}
		r.keyless = kl
	}
	for _, a := range src.Attestations {
		ca, err := compileAttestation(a)
		if err != nil {
			if a.Line > 0 {
				return nil, fmt.Errorf("attestation at line %d: %w", a.Line, err)
			}
			return nil, err
		}
		r.attestations = append(r.attestations, ca)
	}
	return r, nil
}

// compilePattern compiles a Match pattern: "*" matches within one path component,
// "**" across components, and "x/**" also matches x itself. A pattern whose first
// component is a plain name is normalised as a reference is ("nginx" is
// docker.io/library/nginx).
func compilePattern(m string) (pattern, error) {
	if m == "" {
		return pattern{}, errors.New("empty match pattern")
	}
	if len(m) > 512 || strings.ContainsAny(m, "@ \t\n") {
		return pattern{}, fmt.Errorf("match pattern %q: not a repository pattern", m)
	}
	norm := normalisePattern(m)
	rest, suffix := norm, "$"
	if strings.HasSuffix(rest, "/**") {
		rest, suffix = strings.TrimSuffix(rest, "/**"), "(/.*)?$"
	}
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(rest); {
		switch {
		case strings.HasPrefix(rest[i:], "**"):
			b.WriteString(".*")
			i += 2
		case rest[i] == '*':
			b.WriteString("[^/]*")
			i++
		default:
			j := strings.IndexByte(rest[i:], '*')
			if j < 0 {
				j = len(rest) - i
			}
			b.WriteString(regexp.QuoteMeta(rest[i : i+j]))
			i += j
		}
	}
	b.WriteString(suffix)
	re, err := regexp.Compile(b.String())
	if err != nil {
		return pattern{}, fmt.Errorf("match pattern %q: %w", m, err)
	}
	return pattern{text: m, re: re}, nil
}

// normalisePattern prefixes docker.io (and library/ for one component) as
// distribution/reference does for names.
func normalisePattern(m string) string {
	first, _, hasSlash := strings.Cut(m, "/")
	if strings.Contains(first, "*") {
		return m
	}
	if hasSlash && (strings.ContainsAny(first, ".:") || first == "localhost") {
		return m
	}
	if first == "index.docker.io" {
		return "docker.io" + strings.TrimPrefix(m, "index.docker.io")
	}
	if !hasSlash {
		return "docker.io/library/" + m
	}
	return "docker.io/" + m
}

func (p pattern) match(name string) bool { return p.re.MatchString(name) }

// resolvePath makes path relative to dir.
func resolvePath(dir, path string) string {
	if filepath.IsAbs(path) || dir == "" {
		return path
	}
	return filepath.Join(dir, path)
}

// readBounded reads a file of at most limit bytes.
func readBounded(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, limit)
	}
	return data, nil
}

// loadKey reads one PEM public key and builds the verifier that trusts it alone.
func loadKey(path string, o Options, trusted root.TrustedMaterial, tlog bool, cache map[string]*publicKey, gen io.Writer) (*publicKey, error) {
	full := resolvePath(o.Dir, path)
	cacheKey := fmt.Sprintf("%s|%t", full, tlog)
	if k, ok := cache[cacheKey]; ok {
		return k, nil
	}
	data, err := readBounded(full, maxKeyBytes)
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", path, err)
	}
	fmt.Fprintf(gen, "key %s %d\n", path, len(data))
	gen.Write(data)
	pub, err := ParsePublicKey(data)
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", path, err)
	}
	sv, err := sigsig.LoadVerifier(pub, crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", path, err)
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", path, err)
	}
	sum := sha256.Sum256(der)
	k := &publicKey{path: path, hints: map[string]bool{
		base64.StdEncoding.EncodeToString(sum[:]): true,
		hex.EncodeToString(sum[:]):                true,
	}}
	expiring := root.NewExpiringKey(sv, time.Time{}, time.Time{})
	keyMaterial := root.NewTrustedPublicKeyMaterial(func(string) (root.TimeConstrainedVerifier, error) {
		return expiring, nil
	})
	var material root.TrustedMaterial = keyMaterial
	opts := []verify.VerifierOption{verify.WithNoObserverTimestamps()}
	if tlog {
		material = root.TrustedMaterialCollection{trusted, keyMaterial}
		opts = []verify.VerifierOption{verify.WithTransparencyLog(1), verify.WithObserverTimestamps(1)}
	}
	k.verifier, err = verify.NewVerifier(material, opts...)
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", path, err)
	}
	cache[cacheKey] = k
	return k, nil
}

// ParsePublicKey decodes one PEM public key (PKIX "PUBLIC KEY", as cosign.pub, or
// PKCS #1 "RSA PUBLIC KEY"): ECDSA P-256/P-384/P-521, Ed25519, or RSA of at least
// 2048 bits. A private key is refused without echoing it.
func ParsePublicKey(data []byte) (crypto.PublicKey, error) {
	block, rest := pem.Decode(data)
	if block == nil {
		return nil, errors.New("not a PEM public key")
	}
	if strings.Contains(block.Type, "PRIVATE") {
		return nil, errors.New("is a private key (give the public key, cosign.pub)")
	}
	if len(bytes.TrimSpace(rest)) != 0 {
		return nil, errors.New("more than one PEM block (one public key per file)")
	}
	var pub crypto.PublicKey
	var err error
	switch block.Type {
	case "PUBLIC KEY":
		pub, err = x509.ParsePKIXPublicKey(block.Bytes)
	case "RSA PUBLIC KEY":
		pub, err = x509.ParsePKCS1PublicKey(block.Bytes)
	default:
		return nil, fmt.Errorf("PEM block %q is not a public key", truncate(block.Type, 40))
	}
	if err != nil {
		return nil, fmt.Errorf("undecodable public key: %w", err)
	}
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256(), elliptic.P384(), elliptic.P521():
		default:
			return nil, errors.New("unsupported ECDSA curve")
		}
	case ed25519.PublicKey:
	case *rsa.PublicKey:
		if k.N.BitLen() < minRSABits {
			return nil, fmt.Errorf("RSA key of %d bits, at least %d", k.N.BitLen(), minRSABits)
		}
	default:
		return nil, fmt.Errorf("unsupported key type %T", pub)
	}
	return pub, nil
}

// compileKeyless compiles a certificate identity (cosign's
// --certificate-oidc-issuer[-regexp] and --certificate-identity-regexp).
func compileKeyless(k Keyless, trusted root.TrustedMaterial) (*keylessIdentity, error) {
	if trusted == nil {
		return nil, errors.New("keyless needs the policy's trustedRoot (the certificate authorities and logs to trust)")
	}
	if k.Subject == "" {
		return nil, errors.New("keyless.subject is required (a regular expression of the certificate identity)")
	}
	if (k.Issuer == "") == (k.IssuerRegexp == "") {
		return nil, errors.New("keyless needs exactly one of issuer and issuerRegexp")
	}
	id, err := verify.NewShortCertificateIdentity(k.Issuer, k.IssuerRegexp, "", k.Subject)
	if err != nil {
		return nil, fmt.Errorf("keyless: %w", err)
	}
	issuer := k.Issuer
	if issuer == "" {
		issuer = "~" + k.IssuerRegexp
	}
	opts := []verify.VerifierOption{verify.WithTransparencyLog(1), verify.WithObserverTimestamps(1)}
	if len(trusted.CTLogs()) > 0 {
		opts = append(opts, verify.WithSignedCertificateTimestamps(1))
	}
	vf, err := verify.NewVerifier(trusted, opts...)
	if err != nil {
		return nil, fmt.Errorf("keyless: %w", err)
	}
	return &keylessIdentity{identity: id, text: issuer + " / ~" + k.Subject, verifier: vf, trusted: trusted}, nil
}

// where is "FILE:LINE" for errors.
func where(o Options, line int) string {
	if line > 0 {
		return fmt.Sprintf("%s:%d", fileName(o), line)
	}
	return fileName(o)
}

func fileName(o Options) string {
	if o.File == "" {
		return "policy"
	}
	return o.File
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

package signature_test

// Interoperability with cosign, the reference signer and verifier (its CLI, built from
// its own module by hack/cosign.sh, so cosign never enters Palisade's go.mod):
//
//   - TestCosignInterop: what cosign signs and attests (keyed, --tlog-upload=false: in
//     the legacy sha256-<digest>.sig/.att tags, as Sigstore bundles in OCI 1.1
//     referrers, and through the referrers tag schema on a registry without the
//     referrers API) on a loopback registry, Palisade's verifier accepts, also from
//     the OCI layout cosign save writes; an attestation whose predicate fails the
//     policy's condition, or of another predicate type, it rejects.
//   - TestCosignDifferential: cosign's own keyed signatures, tampered (another
//     digest, another key, a modified payload, a missing log entry, no signature at
//     all): cosign verify and Palisade judge the same images with the same trust,
//     every case cosign rejects Palisade rejects and every case cosign accepts
//     Palisade accepts, each for the reason the case names. The outcomes are logged
//     as a table.
//   - TestCosignDifferentialSigtest and TestCosignDifferentialAttestations
//     (interop_sigtest_test.go): the same over keyless signatures and attestations of
//     sigtest's virtual Sigstore (another identity, another issuer, another digest, a
//     modified payload, a missing log entry, an expired certificate, certificate
//     validity at the log's and a timestamp's time) and keyed signatures of every key
//     algorithm, judged by cosign verify / verify-attestation --trusted-root
//     --offline with the same trusted_root.json.
//
// cosign runs offline: a fresh HOME and TUF_ROOT, and HTTP(S)_PROXY pointing at a
// closed loopback port, so anything but the loopback registry (which is never
// proxied) fails at once instead of reaching the network.

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/sigstore/sigstore-go/pkg/root"

	"github.com/palisade-k8s/palisade/internal/signature"
)

// EnvCosign names the cosign binary (make test sets it from hack/cosign.sh); without
// it the interoperability tests skip, unless PALISADE_REQUIRE_TOOLS=1.
const EnvCosign = "PALISADE_COSIGN"

// slsaV1 is the predicate type cosign attest --type slsaprovenance1 writes.
const slsaV1 = "https://slsa.dev/provenance/v1"

// provenance is a SLSA v1 provenance predicate (cosign attest --predicate).
const provenance = `{
  "buildDefinition": {
    "buildType": "https://ci.example.com/build/v1",
    "externalParameters": {"repository": "https://git.example.com/payments"},
    "internalParameters": {},
    "resolvedDependencies": []
  },
  "runDetails": {
    "builder": {"id": "https://ci.example.com/builder"},
    "metadata": {"invocationId": "run-17"}
  }
}`

// cosignBin is the cosign binary, or skips the test.
func cosignBin(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: no cosign runs")
	}
	bin := os.Getenv(EnvCosign)
	if bin == "" {
		if os.Getenv("PALISADE_REQUIRE_TOOLS") == "1" {
			t.Fatalf("%s is not set and PALISADE_REQUIRE_TOOLS=1 (make test sets it from hack/cosign.sh)", EnvCosign)
		}
		t.Skipf("%s is not set (make test sets it from hack/cosign.sh)", EnvCosign)
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("%s: %v", EnvCosign, err)
	}
	return bin
}

// cosignCLI runs cosign offline in its own home.
type cosignCLI struct {
	bin  string
	home string
}

// testPassword encrypts the test keys cosign generates (COSIGN_PASSWORD).
const testPassword = "interop-test-password"

func newCosign(t *testing.T) *cosignCLI {
	home := t.TempDir()
	for _, d := range []string{"docker", "tuf"} {
		if err := os.MkdirAll(filepath.Join(home, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	return &cosignCLI{bin: cosignBin(t), home: home}
}

// run runs cosign in dir and returns its combined output.
func (c *cosignCLI) run(dir string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.bin, args...)
	cmd.Dir = dir
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + c.home,
		"DOCKER_CONFIG=" + filepath.Join(c.home, "docker"),
		"TUF_ROOT=" + filepath.Join(c.home, "tuf"),
		"TMPDIR=" + os.TempDir(),
		"COSIGN_PASSWORD=" + testPassword,
		// Nothing leaves the machine: every non-loopback request goes to a closed port.
		"HTTP_PROXY=http://127.0.0.1:1",
		"HTTPS_PROXY=http://127.0.0.1:1",
		"http_proxy=http://127.0.0.1:1",
		"https_proxy=http://127.0.0.1:1",
	}
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err := cmd.Run()
	return out.String(), err
}

// must runs cosign and fails the test when it fails.
func (c *cosignCLI) must(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := c.run(dir, args...)
	if err != nil {
		t.Fatalf("cosign %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// keyPair generates an encrypted cosign key pair in dir/<prefix>.key and .pub.
func (c *cosignCLI) keyPair(t *testing.T, dir, prefix string) (priv, pub string) {
	t.Helper()
	c.must(t, dir, "generate-key-pair", "--output-key-prefix", prefix)
	return filepath.Join(dir, prefix+".key"), filepath.Join(dir, prefix+".pub")
}

// registryFlags reach the loopback registry over plain HTTP.
var registryFlags = []string{"--allow-insecure-registry", "--allow-http-registry"}

// form is where cosign stores a signature: the legacy tags or a bundle referrer.
type form string

const (
	legacyForm form = "legacy"
	bundleForm form = "bundle"
)

func (f form) flag() string { return "--new-bundle-format=" + fmt.Sprint(f == bundleForm) }

// sign signs ref (repo@digest) with key, without a transparency log.
func (c *cosignCLI) sign(t *testing.T, dir, key, ref string, f form) {
	t.Helper()
	args := []string{"sign", "--key", key, "--tlog-upload=false", "--use-signing-config=false", f.flag(), "-y"}
	c.must(t, dir, append(append(args, registryFlags...), ref)...)
}

// attest attests ref with key: the SLSA v1 provenance predicate file, no log.
func (c *cosignCLI) attest(t *testing.T, dir, key, predicate, ref string, f form) {
	t.Helper()
	args := []string{"attest", "--key", key, "--type", "slsaprovenance1", "--predicate", predicate,
		"--tlog-upload=false", "--use-signing-config=false", f.flag(), "-y"}
	c.must(t, dir, append(append(args, registryFlags...), ref)...)
}

// loopRegistry is go-containerregistry's registry on loopback, with the referrers API.
type loopRegistry struct {
	host string
}

func startRegistry(t *testing.T) *loopRegistry { return startRegistryWith(t, true) }

// startRegistryWith starts a registry with or without the referrers API (without it,
// cosign and Palisade use the referrers tag schema: a sha256-<hex> tag).
func startRegistryWith(t *testing.T, referrers bool) *loopRegistry {
	srv := httptest.NewServer(registry.New(registry.WithReferrersSupport(referrers), registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	return &loopRegistry{host: strings.TrimPrefix(srv.URL, "http://")}
}

func (r *loopRegistry) repo(t *testing.T, path string) name.Repository {
	t.Helper()
	repo, err := name.NewRepository(r.host+"/"+path, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	return repo
}

// push writes img to repo and returns its pinned reference.
func push(t *testing.T, repo name.Repository, img v1.Image) name.Digest {
	t.Helper()
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(repo.Tag("latest"), img); err != nil {
		t.Fatalf("push %s: %v", repo, err)
	}
	return repo.Digest(d.String())
}

func randomImage(t *testing.T) v1.Image {
	t.Helper()
	img, err := random.Image(512, 1)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// legacyTag is cosign's tag of a digest's signatures (".sig") or attestations (".att").
func legacyTag(repo name.Repository, d name.Digest, suffix string) name.Tag {
	return repo.Tag(strings.Replace(d.DigestStr(), ":", "-", 1) + suffix)
}

// referrer is the manifest of the single Sigstore bundle referring to d. The bundle is
// recognised by its layer's media type, as cosign finds it: go-containerregistry's
// registry reports a referrer's config media type (application/vnd.oci.empty.v1+json)
// as its artifactType, not the manifest's artifactType that cosign sets.
func referrer(t *testing.T, d name.Digest) name.Digest {
	t.Helper()
	idx, err := remote.Referrers(d)
	if err != nil {
		t.Fatalf("referrers of %s: %v", d, err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	var found []name.Digest
	for _, desc := range m.Manifests {
		ref := d.Context().Digest(desc.Digest.String())
		img, err := remote.Image(ref)
		if err != nil {
			t.Fatalf("referrer %s: %v", ref, err)
		}
		man, err := img.Manifest()
		if err != nil {
			t.Fatalf("referrer %s: %v", ref, err)
		}
		if len(man.Layers) == 1 && strings.HasPrefix(string(man.Layers[0].MediaType), "application/vnd.dev.sigstore.bundle") {
			found = append(found, ref)
		}
	}
	if len(found) != 1 {
		t.Fatalf("referrers of %s: want one Sigstore bundle, got %+v", d, m.Manifests)
	}
	return found[0]
}

// transplant copies the signature manifest src (and its blobs) into repository dst:
// to the tag dstTag when given (cosign's legacy tags), else by digest (a referrer).
// tamper, when set, rewrites each layer's content; subject, when set, replaces the
// manifest's subject (the digest a referrer refers to).
func transplant(t *testing.T, src name.Reference, dst name.Repository, dstTag string, tamper func([]byte) []byte, subject *v1.Descriptor) {
	t.Helper()
	desc, err := remote.Get(src)
	if err != nil {
		t.Fatalf("get %s: %v", src, err)
	}
	var m map[string]any
	if err := json.Unmarshal(desc.Manifest, &m); err != nil {
		t.Fatalf("manifest of %s: %v", src, err)
	}
	copyBlob := func(b map[string]any, edit func([]byte) []byte) {
		d := b["digest"].(string)
		mt, _ := b["mediaType"].(string)
		l, err := remote.Layer(src.Context().Digest(d))
		if err != nil {
			t.Fatalf("blob %s: %v", d, err)
		}
		rc, err := l.Compressed()
		if err != nil {
			t.Fatalf("blob %s: %v", d, err)
		}
		var buf bytes.Buffer
		_, err = buf.ReadFrom(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("blob %s: %v", d, err)
		}
		data := buf.Bytes()
		if edit != nil {
			data = edit(data)
		}
		nl := static.NewLayer(data, types.MediaType(mt))
		if err := remote.WriteLayer(dst, nl); err != nil {
			t.Fatalf("write blob to %s: %v", dst, err)
		}
		nd, _ := nl.Digest()
		b["digest"] = nd.String()
		b["size"] = len(data)
	}
	if cfg, ok := m["config"].(map[string]any); ok {
		copyBlob(cfg, nil)
	}
	layers, _ := m["layers"].([]any)
	for _, l := range layers {
		copyBlob(l.(map[string]any), tamper)
	}
	if subject != nil {
		m["subject"] = map[string]any{
			"mediaType": string(subject.MediaType),
			"digest":    subject.Digest.String(),
			"size":      subject.Size,
		}
	}
	raw, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	mt, _ := m["mediaType"].(string)
	man := rawManifest{raw: raw, mediaType: types.MediaType(mt)}
	var ref name.Reference
	if dstTag != "" {
		ref = dst.Tag(dstTag)
	} else {
		h, _, err := v1.SHA256(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		ref = dst.Digest(h.String())
	}
	if err := remote.Put(ref, man); err != nil {
		t.Fatalf("put %s: %v", ref, err)
	}
}

// rawManifest is a manifest put as written.
type rawManifest struct {
	raw       []byte
	mediaType types.MediaType
}

func (r rawManifest) RawManifest() ([]byte, error)        { return r.raw, nil }
func (r rawManifest) MediaType() (types.MediaType, error) { return r.mediaType, nil }

// imageDescriptor is the descriptor of d's manifest (a referrer's subject).
func imageDescriptor(t *testing.T, d name.Digest) *v1.Descriptor {
	t.Helper()
	desc, err := remote.Head(d)
	if err != nil {
		t.Fatalf("head %s: %v", d, err)
	}
	return &v1.Descriptor{MediaType: desc.MediaType, Digest: desc.Digest, Size: desc.Size}
}

// tamperSimpleSigning changes a legacy signature layer's simple-signing payload
// (an optional claim the signer never made) and keeps the signature annotation.
func tamperSimpleSigning(t *testing.T) func([]byte) []byte {
	return func(b []byte) []byte {
		var p map[string]any
		if err := json.Unmarshal(b, &p); err != nil {
			t.Fatalf("simple-signing payload: %v", err)
		}
		p["optional"] = map[string]any{"tampered": "yes"}
		out, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
}

// tamperBundle changes the in-toto statement inside a bundle's DSSE envelope (a
// predicate field the signer never wrote), keeping the subject and the signature.
func tamperBundle(t *testing.T) func([]byte) []byte {
	return func(b []byte) []byte {
		var bun map[string]any
		if err := json.Unmarshal(b, &bun); err != nil {
			t.Fatalf("bundle: %v", err)
		}
		env, ok := bun["dsseEnvelope"].(map[string]any)
		if !ok {
			t.Fatalf("bundle without a DSSE envelope: %s", b)
		}
		stmtBytes, err := base64.StdEncoding.DecodeString(env["payload"].(string))
		if err != nil {
			t.Fatalf("bundle payload: %v", err)
		}
		var stmt map[string]any
		if err := json.Unmarshal(stmtBytes, &stmt); err != nil {
			t.Fatalf("bundle statement: %v", err)
		}
		pred, _ := stmt["predicate"].(map[string]any)
		if pred == nil {
			pred = map[string]any{}
		}
		pred["tampered"] = "yes"
		stmt["predicate"] = pred
		stmtBytes, err = json.Marshal(stmt)
		if err != nil {
			t.Fatal(err)
		}
		env["payload"] = base64.StdEncoding.EncodeToString(stmtBytes)
		out, err := json.Marshal(bun)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
}

// logRoot writes a trusted_root.json with one transparency log (a key of our own) and
// nothing else: enough for cosign and Palisade to demand a log entry of keyed
// signatures offline, without trusting anything real.
func logRoot(t *testing.T, dir string) string {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	logs := map[string]*root.TransparencyLog{"log": {
		BaseURL:             "https://rekor.invalid",
		ID:                  []byte("interop-test-log"),
		ValidityPeriodStart: time.Now().Add(-time.Hour),
		HashFunc:            crypto.SHA256,
		PublicKey:           k.Public(),
		SignatureHashFunc:   crypto.SHA256,
	}}
	tr, err := root.NewTrustedRoot(root.TrustedRootMediaType01, nil, nil, nil, logs)
	if err != nil {
		t.Fatal(err)
	}
	b, err := tr.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "trusted_root.json")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// palisadeVerify judges ref under pol (paths relative to dir) through a registry store
// on the loopback registry.
func palisadeVerify(t *testing.T, reg *loopRegistry, dir string, pol signature.Policy, ref string) *signature.Result {
	t.Helper()
	return palisadeVerifyIn(t, signature.NewRegistryStore(signature.RegistryOptions{Insecure: []string{reg.host}}), dir, pol, ref)
}

// palisadeVerifyIn judges ref under pol through store.
func palisadeVerifyIn(t *testing.T, store signature.Store, dir string, pol signature.Policy, ref string) *signature.Result {
	t.Helper()
	v, err := signature.New(pol, signature.Options{Dir: dir, File: filepath.Join(dir, ".palisade.yaml")})
	if err != nil {
		t.Fatalf("signature.New: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res := v.Verify(ctx, store, ref, "")
	if res == nil {
		t.Fatalf("Verify(%s) returned nil", ref)
	}
	return res
}

// keyPolicy trusts the key file pub (relative to dir) for everything on reg.
func keyPolicy(reg *loopRegistry, pub, tlog, trustedRoot string, att ...signature.Attestation) signature.Policy {
	return signature.Policy{
		Verify: []signature.Requirement{{
			Match:           []string{reg.host + "/**"},
			Keys:            []string{pub},
			TransparencyLog: tlog,
			Attestations:    att,
			Line:            3,
		}},
		TrustedRoot: trustedRoot,
		Default:     signature.DefaultDeny,
	}
}

// reasons lists the reasons of a result's failures.
func reasons(r *signature.Result) []signature.Reason {
	var out []signature.Reason
	if r.Unchecked != nil {
		out = append(out, r.Unchecked.Reason)
	}
	for _, rr := range r.Requirements {
		for _, f := range rr.Failures {
			out = append(out, f.Reason)
		}
	}
	return out
}

func hasReason(r *signature.Result, want signature.Reason) bool {
	for _, got := range reasons(r) {
		if got == want {
			return true
		}
	}
	return false
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCosignInterop(t *testing.T) {
	c := newCosign(t)
	reg := startRegistry(t)
	dir := t.TempDir()
	key, _ := c.keyPair(t, dir, "cosign")
	predicate := writeFile(t, dir, "provenance.json", provenance)

	for _, f := range []form{legacyForm, bundleForm} {
		t.Run("sign "+string(f), func(t *testing.T) {
			ref := push(t, reg.repo(t, "interop/sign-"+string(f)), randomImage(t))
			c.sign(t, dir, key, ref.String(), f)
			c.must(t, dir, append([]string{"verify", "--key", "cosign.pub", "--insecure-ignore-tlog=true"}, append(registryFlags, ref.String())...)...)

			res := palisadeVerify(t, reg, dir, keyPolicy(reg, "cosign.pub", signature.TlogSkip, ""), ref.String())
			if !res.Allowed {
				t.Fatalf("cosign sign (%s) then Palisade: rejected: %s %+v", f, res.Summary(), res.Requirements)
			}
			if res.Digest != ref.DigestStr() {
				t.Errorf("Result.Digest = %s, want %s", res.Digest, ref.DigestStr())
			}
			if len(res.Requirements) != 1 || len(res.Requirements[0].Signers) == 0 || res.Requirements[0].Signers[0].Key == "" {
				t.Errorf("Result names no key signer: %+v", res.Requirements)
			}
		})
		t.Run("attest "+string(f), func(t *testing.T) {
			ref := push(t, reg.repo(t, "interop/attest-"+string(f)), randomImage(t))
			c.sign(t, dir, key, ref.String(), f)
			c.attest(t, dir, key, predicate, ref.String(), f)
			c.must(t, dir, append([]string{"verify-attestation", "--key", "cosign.pub", "--type", "slsaprovenance1", "--insecure-ignore-tlog=true"}, append(registryFlags, ref.String())...)...)

			good := signature.Attestation{PredicateType: slsaV1, Line: 5,
				Condition: `predicate.buildDefinition.buildType == "https://ci.example.com/build/v1" && predicate.runDetails.builder.id.startsWith("https://ci.example.com/")`}
			res := palisadeVerify(t, reg, dir, keyPolicy(reg, "cosign.pub", signature.TlogSkip, "", good), ref.String())
			if !res.Allowed {
				t.Fatalf("cosign attest (%s) then Palisade: rejected: %s %+v", f, res.Summary(), res.Requirements)
			}
			var attested bool
			for _, s := range res.Requirements[0].Signers {
				attested = attested || s.PredicateType == slsaV1
			}
			if !attested {
				t.Errorf("no attestation signer in %+v", res.Requirements[0].Signers)
			}

			bad := signature.Attestation{PredicateType: slsaV1, Line: 5,
				Condition: `predicate.runDetails.builder.id == "https://evil.example.com/builder"`}
			res = palisadeVerify(t, reg, dir, keyPolicy(reg, "cosign.pub", signature.TlogSkip, "", bad), ref.String())
			if res.Allowed || !hasReason(res, signature.ConditionFailed) {
				t.Errorf("condition not met: want rejected with %s, got allowed=%v %v (%s)", signature.ConditionFailed, res.Allowed, reasons(res), res.Summary())
			}

			other := signature.Attestation{PredicateType: "https://example.com/other/v1", Line: 5}
			res = palisadeVerify(t, reg, dir, keyPolicy(reg, "cosign.pub", signature.TlogSkip, "", other), ref.String())
			if res.Allowed || !hasReason(res, signature.MissingAttestation) {
				t.Errorf("another predicate type: want rejected with %s, got allowed=%v %v (%s)", signature.MissingAttestation, res.Allowed, reasons(res), res.Summary())
			}

			// Carried across an air gap: cosign save writes the image, its signatures
			// and attestations to an OCI layout; Palisade verifies from the layout.
			layoutDir := filepath.Join(t.TempDir(), "layout")
			c.must(t, dir, append(append([]string{"save", "--dir", layoutDir}, registryFlags...), ref.String())...)
			store, err := signature.OpenLayout(layoutDir)
			if err != nil {
				t.Fatalf("OpenLayout of cosign save's layout: %v", err)
			}
			res = palisadeVerifyIn(t, store, dir, keyPolicy(reg, "cosign.pub", signature.TlogSkip, "", good), ref.String())
			if !res.Allowed {
				t.Errorf("cosign save (%s) then Palisade on the layout: rejected: %s %+v", f, res.Summary(), res.Requirements)
			}
		})
	}

	// A registry without the referrers API: cosign attaches the bundle through the
	// referrers tag schema (a sha256-<hex> tag listing it), Palisade finds it there.
	t.Run("sign bundle, tag schema", func(t *testing.T) {
		old := startRegistryWith(t, false)
		ref := push(t, old.repo(t, "interop/tag-schema"), randomImage(t))
		c.sign(t, dir, key, ref.String(), bundleForm)
		c.attest(t, dir, key, predicate, ref.String(), bundleForm)
		c.must(t, dir, append([]string{"verify", "--key", "cosign.pub", "--insecure-ignore-tlog=true"}, append(registryFlags, ref.String())...)...)
		if _, err := remote.Head(legacyTag(ref.Context(), ref, "")); err != nil {
			t.Fatalf("no referrers tag schema index for %s: %v", ref, err)
		}
		att := signature.Attestation{PredicateType: slsaV1, Line: 5}
		res := palisadeVerify(t, old, dir, keyPolicy(old, "cosign.pub", signature.TlogSkip, "", att), ref.String())
		if !res.Allowed {
			t.Fatalf("cosign sign on a registry without referrers API, then Palisade: rejected: %s %+v", res.Summary(), res.Requirements)
		}
	})
}

// diffCase is one case of the differential: an image with what is attached to it, and
// the trust both verifiers are given.
type diffCase struct {
	name string
	form form
	// ref is the image judged (repo@digest).
	ref name.Digest
	// cosignArgs are cosign verify's trust flags; pol is Palisade's policy.
	cosignArgs []string
	pol        signature.Policy
	// verb is cosign's command: verify (the default) or verify-attestation.
	verb string
	// accept is what both must decide; reasons are Palisade's acceptable reasons when
	// rejecting (one of them must be given).
	accept  bool
	reasons []signature.Reason
}

func TestCosignDifferential(t *testing.T) {
	c := newCosign(t)
	reg := startRegistry(t)
	dir := t.TempDir()
	key, _ := c.keyPair(t, dir, "cosign")
	c.keyPair(t, dir, "other")
	trustedRoot := logRoot(t, dir)

	keyArgs := func(pub string) []string { return []string{"--key", pub, "--insecure-ignore-tlog=true"} }
	keyPol := func(pub string) signature.Policy { return keyPolicy(reg, pub, signature.TlogSkip, "") }

	var cases []diffCase
	for _, f := range []form{legacyForm, bundleForm} {
		img, other := randomImage(t), randomImage(t)
		// sigTag is the tag a transplanted legacy signature goes to ("" for a referrer).
		sigTag := func(d name.Digest) string {
			if f == legacyForm {
				return legacyTag(d.Context(), d, ".sig").TagStr()
			}
			return ""
		}
		// signed is what cosign attached to d: its .sig tag or its bundle referrer.
		signed := func(d name.Digest) name.Reference {
			if f == legacyForm {
				return legacyTag(d.Context(), d, ".sig")
			}
			return referrer(t, d)
		}
		var tamper func([]byte) []byte
		if f == legacyForm {
			tamper = tamperSimpleSigning(t)
		} else {
			tamper = tamperBundle(t)
		}
		// fresh pushes img to a repository of its own for one case.
		fresh := func(caseName string, im v1.Image) name.Digest {
			return push(t, reg.repo(t, "diff/"+string(f)+"/"+caseName), im)
		}

		// Signed by cosign with the trusted key.
		valid := fresh("valid", img)
		c.sign(t, dir, key, valid.String(), f)
		cases = append(cases, diffCase{name: "signed", form: f, ref: valid,
			cosignArgs: keyArgs("cosign.pub"), pol: keyPol("cosign.pub"), accept: true})

		// Copied as is into another repository (the control of the transplants below).
		copied := fresh("copied", img)
		transplant(t, signed(valid), copied.Context(), sigTag(copied), nil, imageDescriptor(t, copied))
		cases = append(cases, diffCase{name: "signed, copied", form: f, ref: copied,
			cosignArgs: keyArgs("cosign.pub"), pol: keyPol("cosign.pub"), accept: true})

		// Another identity: signed with the trusted key, verified against another.
		cases = append(cases, diffCase{name: "another key", form: f, ref: valid,
			cosignArgs: keyArgs("other.pub"), pol: keyPol("other.pub"), reasons: []signature.Reason{signature.UntrustedKey}})

		// Another digest: the signature of another image attached to this one.
		src := fresh("other-digest-src", other)
		c.sign(t, dir, key, src.String(), f)
		moved := fresh("other-digest", img)
		transplant(t, signed(src), moved.Context(), sigTag(moved), nil, imageDescriptor(t, moved))
		cases = append(cases, diffCase{name: "another digest", form: f, ref: moved,
			cosignArgs: keyArgs("cosign.pub"), pol: keyPol("cosign.pub"), reasons: []signature.Reason{signature.DigestMismatch}})

		// A modified payload: the signed payload changed after signing.
		modified := fresh("modified", img)
		transplant(t, signed(valid), modified.Context(), sigTag(modified), tamper, imageDescriptor(t, modified))
		cases = append(cases, diffCase{name: "modified payload", form: f, ref: modified,
			cosignArgs: keyArgs("cosign.pub"), pol: keyPol("cosign.pub"), reasons: modifiedReasons(f)})

		// A missing log entry: signed without the transparency log, verified demanding
		// one (of the test log in trusted_root.json).
		cases = append(cases, diffCase{name: "missing log entry", form: f, ref: valid,
			cosignArgs: []string{"--key", "cosign.pub", "--trusted-root", trustedRoot, "--offline=true"},
			pol:        keyPolicy(reg, "cosign.pub", signature.TlogRequired, "trusted_root.json"),
			reasons:    []signature.Reason{signature.MissingTlog}})

		// No signature at all.
		unsigned := fresh("unsigned", img)
		cases = append(cases, diffCase{name: "unsigned", form: f, ref: unsigned,
			cosignArgs: keyArgs("cosign.pub"), pol: keyPol("cosign.pub"), reasons: []signature.Reason{signature.NoSignature}})
	}

	runDifferential(t, c, reg, dir, cases)
}

// modifiedReasons are the reasons for a keyed signature over a modified payload: a
// bundle names its key (a hint), so the signature is known to be bad; a legacy
// signature does not, and one that fails under every trusted key may as well be
// another key's (cosign says "invalid signature" for both).
func modifiedReasons(f form) []signature.Reason {
	if f == legacyForm {
		return []signature.Reason{signature.BadSignature, signature.UntrustedKey}
	}
	return []signature.Reason{signature.BadSignature}
}

// runDifferential judges every case with cosign verify and with Palisade, logs the
// table and fails on any disagreement (or a case cosign itself decides against its
// premise).
func runDifferential(t *testing.T, c *cosignCLI, reg *loopRegistry, dir string, cases []diffCase) {
	t.Helper()
	verdict := func(ok bool) string {
		if ok {
			return "accept"
		}
		return "reject"
	}
	var table strings.Builder
	fmt.Fprintf(&table, "%-40s %-7s %-7s %-9s %s\n", "case", "form", "cosign", "palisade", "palisade's reasons")
	for _, tc := range cases {
		verb := tc.verb
		if verb == "" {
			verb = "verify"
		}
		args := append([]string{verb}, tc.cosignArgs...)
		args = append(append(args, registryFlags...), tc.ref.String())
		out, err := c.run(dir, args...)
		cosignOK := err == nil
		res := palisadeVerify(t, reg, dir, tc.pol, tc.ref.String())
		rs := reasons(res)
		fmt.Fprintf(&table, "%-40s %-7s %-7s %-9s %v\n", tc.name, tc.form, verdict(cosignOK), verdict(res.Allowed), rs)

		label := fmt.Sprintf("%s (%s)", tc.name, tc.form)
		if cosignOK != tc.accept {
			t.Errorf("%s: cosign %s, the case expects %s: %s", label, verdict(cosignOK), verdict(tc.accept), lastLines(out, 4))
		}
		if res.Allowed != cosignOK {
			t.Errorf("%s: cosign %s, Palisade %s (%s)", label, verdict(cosignOK), verdict(res.Allowed), res.Summary())
		}
		if !tc.accept && !res.Allowed && len(tc.reasons) > 0 && !slices.ContainsFunc(tc.reasons, func(r signature.Reason) bool { return hasReason(res, r) }) {
			t.Errorf("%s: Palisade rejects with %v, want one of %v (%s)", label, rs, tc.reasons, res.Summary())
		}
	}
	t.Logf("cosign verify and Palisade on the same images:\n%s", table.String())
}

// lastLines is the end of a command's output, for messages.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

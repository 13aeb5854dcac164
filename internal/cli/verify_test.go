package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/signature/sigtest"
)

// signedRegistry is a loopback registry with a keyed-signed image, a keyless-signed
// image of another identity and an unsigned image, and the configuration of a
// policy trusting the key and the keyless identity of the CI.
type signedRegistry struct {
	reg                     *sigtest.Registry
	signed, other, unsigned sigtest.Image
	config                  string
}

func newSignedRegistry(t *testing.T) *signedRegistry {
	t.Helper()
	ss := sigtest.NewSigstore(t)
	key := sigtest.NewKey(t, sigtest.ECDSAP256)
	reg := sigtest.NewRegistry(t, true)
	s := &signedRegistry{reg: reg,
		signed:   reg.Push(t, "shop/web", "1.0"),
		other:    reg.Push(t, "shop/api", "1.0"),
		unsigned: reg.Push(t, "shop/db", "1.0"),
	}
	reg.Sign(t, s.signed, ss.Keyed(key), sigtest.Options{})
	reg.Sign(t, s.other, ss.Keyless("https://accounts.example.com", "eve@example.com"), sigtest.Options{})
	dir := t.TempDir()
	s.config = filepath.Join(dir, ".palisade.yaml")
	cfg := fmt.Sprintf(`images:
  verify:
  - match: ["%s/shop/**", "127.0.0.1:1/**"]
    keys: [%q]
    keyless: {issuer: "https://token.actions.githubusercontent.com", subject: "^https://github.com/example/"}
  trustedRoot: %q
`, reg.Host, key.Path, ss.TrustedRootPath)
	if err := os.WriteFile(s.config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestScanImagesVerify: scan --images verifies every workload image against the
// images policy: an unsigned image and one signed by another identity are PAL-115
// findings on the container's image field saying why (the identity seen), a signed
// one passes, and an image whose registry cannot be reached is PAL-116.
func TestScanImagesVerify(t *testing.T) {
	s := newSignedRegistry(t)
	dir := t.TempDir()
	manifest := fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: web, image: %s}
      - {name: api, image: %s}
      - {name: db, image: %s}
      - {name: gone, image: 127.0.0.1:1/shop/gone:1.0}
`, s.signed.Ref, s.other.Ref, s.unsigned.Ref)
	if err := os.WriteFile(filepath.Join(dir, "web.yaml"), []byte(manifest), 0o600); err != nil {
		t.Fatal(err)
	}
	r := run(t, nil, "scan", dir, "--images", "--config", s.config, "--insecure-registry", s.reg.Host, "--insecure-registry", "127.0.0.1:1",
		"--image-cache", t.TempDir(), "--include", "PAL-115", "--include", "PAL-116", "--fail-on", "none", "-o", "json")
	var rep struct {
		Findings []struct {
			RuleID   string `json:"ruleID"`
			Message  string `json:"message"`
			Location struct {
				File string `json:"file"`
				Line int    `json:"line"`
			} `json:"location"`
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("exit %d: %v\n%s\n%s", r.code, err, r.stdout, r.stderr)
	}
	got := map[string]string{}
	for _, f := range rep.Findings {
		got[f.RuleID+" "+f.Location.File+":"+fmt.Sprint(f.Location.Line)] = f.Message
	}
	file := filepath.Join(dir, "web.yaml")
	for _, w := range []struct{ key, msg string }{
		// sigtest's keyless certificates carry no SCT while its trusted root has a
		// CT log: the verdict is untrusted-key rather than wrong-identity.
		{fmt.Sprintf("PAL-115 %s:11", file), "is not authorized: requirement at line 3"},
		{fmt.Sprintf("PAL-115 %s:12", file), "no-signature"},
		{fmt.Sprintf("PAL-116 %s:13", file), "signatures could not be checked"},
	} {
		if !strings.Contains(got[w.key], w.msg) {
			t.Errorf("%s: %q, want it to say %q", w.key, got[w.key], w.msg)
		}
	}
	if len(got) != 3 {
		t.Errorf("findings %v, want 3 (the signed image passes)", got)
	}
}

// TestImageVerify: palisade image verify resolves and verifies the references named,
// reports each failure on the image (text and JSON), and exits 1 when an image is not
// authorized, 0 when all are.
func TestImageVerify(t *testing.T) {
	s := newSignedRegistry(t)
	args := []string{"image", "verify", "--config", s.config, "--insecure-registry", s.reg.Host}
	r := run(t, nil, append(args, s.signed.Ref)...)
	if r.code != ExitOK || strings.Contains(r.stdout, "PAL-11") {
		t.Errorf("signed image: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = run(t, nil, append(args, s.signed.Ref, s.unsigned.Ref, "-o", "json")...)
	if r.code != ExitFindings {
		t.Fatalf("unsigned image: exit %d, want 1\n%s%s", r.code, r.stdout, r.stderr)
	}
	var rep struct {
		Findings []struct {
			RuleID   string `json:"ruleID"`
			Message  string `json:"message"`
			Location struct {
				Image *struct {
					Ref    string `json:"ref"`
					Digest string `json:"digest"`
				} `json:"image"`
			} `json:"location"`
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Findings) != 1 || rep.Findings[0].RuleID != "PAL-115" || rep.Findings[0].Location.Image == nil ||
		rep.Findings[0].Location.Image.Ref != s.unsigned.Ref || rep.Findings[0].Location.Image.Digest != s.unsigned.Digest ||
		!strings.Contains(rep.Findings[0].Message, "no-signature: no signature is attached to "+s.unsigned.Digest) {
		t.Errorf("findings %+v", rep.Findings)
	}
	r = run(t, nil, append(args, "127.0.0.1:1/shop/gone:1.0", "--insecure-registry", "127.0.0.1:1")...)
	if r.code != ExitFindings || !strings.Contains(r.stdout, "PAL-116") || !strings.Contains(r.stdout, "its signatures could not be checked") {
		t.Errorf("unreachable registry: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// Without an images policy there is nothing to verify against.
	empty := filepath.Join(t.TempDir(), ".palisade.yaml")
	if err := os.WriteFile(empty, []byte("failOn: high\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r = run(t, nil, "image", "verify", "--config", empty, s.signed.Ref)
	if r.code != ExitUsage || !strings.Contains(r.stderr, "no images policy") {
		t.Errorf("no policy: exit %d\n%s", r.code, r.stderr)
	}
}

// TestImageVerifyLayout: image verify --layout reads the images and their
// signatures from an OCI layout, with nothing reached over the network.
func TestImageVerifyLayout(t *testing.T) {
	ss := sigtest.NewSigstore(t)
	key := sigtest.NewKey(t, sigtest.ECDSAP256)
	l := sigtest.NewLayout(t)
	signed := l.Add(t, "registry.example.com/payments/api:1.0")
	unsigned := l.Add(t, "registry.example.com/payments/db:1.0")
	l.Sign(t, signed, ss.Keyed(key), sigtest.Options{Legacy: true})
	cfg := filepath.Join(t.TempDir(), ".palisade.yaml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf("images:\n  verify:\n  - match: [\"registry.example.com/payments/**\"]\n    keys: [%q]\n  trustedRoot: %q\n", key.Path, ss.TrustedRootPath)), 0o600); err != nil {
		t.Fatal(err)
	}
	r := run(t, nil, "image", "verify", "--config", cfg, "--layout", l.Dir, signed.Ref, unsigned.Ref)
	if r.code != ExitFindings || strings.Count(r.stdout, "PAL-115") != 1 || !strings.Contains(r.stdout, unsigned.Ref) || strings.Contains(r.stdout, signed.Ref+"\"") {
		t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

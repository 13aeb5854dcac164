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

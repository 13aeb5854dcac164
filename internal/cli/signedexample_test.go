package cli

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/palisade-k8s/palisade/internal/signature/sigtest"
)

var regenSigned = flag.Bool("regen-signed-example", false, "write examples/signed again: an OCI layout with a signed and an unsigned image, the key and the policy")

// TestSignedExample writes the bundled example of palisade image verify --layout
// (examples/signed, the README's sample) when asked: an air-gapped layout holding
// registry.example.com/payments/api:1.0 signed by keys/cosign.pub (a Sigstore bundle
// as an OCI referrer, without a transparency log, so the policy skips it) and
// registry.example.com/payments/db:1.0 unsigned. The README test runs the sample, so
// the committed files are checked on every run; this only makes them.
func TestSignedExample(t *testing.T) {
	if !*regenSigned {
		t.Skip("run with -regen-signed-example to write examples/signed")
	}
	root := filepath.Join("..", "..", "examples", "signed")
	if err := os.RemoveAll(root); err != nil {
		t.Fatal(err)
	}
	l := sigtest.NewLayout(t)
	api := l.Add(t, "registry.example.com/payments/api:1.0")
	l.Add(t, "registry.example.com/payments/db:1.0")
	key := sigtest.NewKey(t, sigtest.ECDSAP256)
	l.Sign(t, api, sigtest.Signer{Key: key}, sigtest.Options{})
	if err := os.CopyFS(filepath.Join(root, "layout"), os.DirFS(l.Dir)); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "keys"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "keys", "cosign.pub"), key.PEM, 0o644); err != nil {
		t.Fatal(err)
	}
	policy := `# The images policy of the example of palisade image verify --layout (README).
images:
  verify:
  - match: ["registry.example.com/payments/**"]
    keys: [keys/cosign.pub]
    # Signed offline, without a transparency log.
    transparencyLog: skip
  default: deny
`
	if err := os.WriteFile(filepath.Join(root, "palisade.yaml"), []byte(policy), 0o644); err != nil {
		t.Fatal(err)
	}
}

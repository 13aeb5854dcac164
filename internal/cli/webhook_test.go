package cli

import (
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWebhookCerts: the CA signs a serving certificate for the names asked.
func TestWebhookCerts(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "certs")
	r := run(t, nil, "webhook", "certs", "--out-dir", dir, "--dns-name", "palisade.palisade.svc", "--ip", "127.0.0.1")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	read := func(name string) *x509.Certificate {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := pem.Decode(data)
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	ca, leaf := read("ca.crt"), read("tls.crt")
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, DNSName: "palisade.palisade.svc"}); err != nil {
		t.Error(err)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, DNSName: "127.0.0.1"}); err != nil {
		t.Error(err)
	}
	if st, _ := os.Stat(filepath.Join(dir, "tls.key")); st.Mode().Perm() != 0o600 {
		t.Errorf("key mode %v", st.Mode())
	}
	if r := run(t, nil, "webhook", "certs", "--out-dir", dir); r.code != 2 || !strings.Contains(r.stderr, "DNS name or IP") {
		t.Errorf("no names: exit %d %s", r.code, r.stderr)
	}
}

// TestWebhookServeUsage: serving needs a certificate, and a configuration that
// validates.
func TestWebhookServeUsage(t *testing.T) {
	if r := run(t, nil, "webhook", "serve", "--no-cluster"); r.code != 2 || !strings.Contains(r.stderr, "HTTPS only") {
		t.Errorf("without certificate: exit %d %s", r.code, r.stderr)
	}
	dir := t.TempDir()
	if r := run(t, nil, "webhook", "certs", "--out-dir", dir, "--ip", "127.0.0.1"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	cfg := filepath.Join(dir, "bad.yaml")
	os.WriteFile(cfg, []byte("webhook:\n  actions: {rules: {PAL-001: maybe}}\n"), 0o644)
	r := run(t, nil, "webhook", "serve", "--no-cluster", "--listen", "127.0.0.1:0", "--config", cfg,
		"--tls-cert-file", filepath.Join(dir, "tls.crt"), "--tls-key-file", filepath.Join(dir, "tls.key"))
	if r.code != 2 || !strings.Contains(r.stderr, "line 2") {
		t.Errorf("bad config: exit %d %s", r.code, r.stderr)
	}
}

// TestWebhookServeLimits: the review limits are flags, sizes as quantities; a review
// memory that cannot hold the largest review is a usage error.
func TestWebhookServeLimits(t *testing.T) {
	dir := t.TempDir()
	if r := run(t, nil, "webhook", "certs", "--out-dir", dir, "--ip", "127.0.0.1"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	serve := func(args ...string) result {
		return run(t, nil, append([]string{"webhook", "serve", "--no-cluster", "--listen", "127.0.0.1:0",
			"--tls-cert-file", filepath.Join(dir, "tls.crt"), "--tls-key-file", filepath.Join(dir, "tls.key")}, args...)...)
	}
	if r := serve("--review-memory", "16Mi"); r.code != 2 || !strings.Contains(r.stderr, "review memory (16777216 bytes) cannot hold one review of the largest size (7340032 bytes") {
		t.Errorf("small review memory: exit %d %s", r.code, r.stderr)
	}
	if r := serve("--review-memory", "16Mi", "--max-review-bytes", "1Mi", "--max-review-values", "10000", "--listen", "256.0.0.1:0"); r.code != 2 || strings.Contains(r.stderr, "review memory") {
		t.Errorf("small review memory for small reviews: exit %d %s", r.code, r.stderr)
	}
	if r := serve("--max-review-bytes", "lots"); r.code != 2 || !strings.Contains(r.stderr, "--max-review-bytes") {
		t.Errorf("bad size: exit %d %s", r.code, r.stderr)
	}
}

// TestWebhookCertsRefusesOverwrite: certs never replaces a file in --out-dir (a CA key
// above all) without --force, and names every file it would overwrite.
func TestWebhookCertsRefusesOverwrite(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "certs")
	if r := run(t, nil, "webhook", "certs", "--out-dir", dir, "--ip", "127.0.0.1"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	caKey, err := os.ReadFile(filepath.Join(dir, "ca.key"))
	if err != nil {
		t.Fatal(err)
	}
	r := run(t, nil, "webhook", "certs", "--out-dir", dir, "--ip", "127.0.0.1")
	if r.code != 2 || !strings.Contains(r.stderr, "already holds ca.crt, ca.key, tls.crt, tls.key: refusing to overwrite") || !strings.Contains(r.stderr, "--force") {
		t.Errorf("second run: exit %d %s", r.code, r.stderr)
	}
	if again, _ := os.ReadFile(filepath.Join(dir, "ca.key")); string(again) != string(caKey) {
		t.Error("ca.key overwritten without --force")
	}
	if r := run(t, nil, "webhook", "certs", "--out-dir", dir, "--ip", "127.0.0.1", "--force"); r.code != 0 {
		t.Fatalf("--force: exit %d %s", r.code, r.stderr)
	}
	if again, _ := os.ReadFile(filepath.Join(dir, "ca.key")); string(again) == string(caKey) {
		t.Error("ca.key not replaced with --force")
	}
}

// TestWebhookServeConnectionLimits: the connection and review limits must be positive.
func TestWebhookServeConnectionLimits(t *testing.T) {
	dir := t.TempDir()
	if r := run(t, nil, "webhook", "certs", "--out-dir", dir, "--ip", "127.0.0.1"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	for _, flag := range []string{"--max-connections=0", "--max-reviews=0", "--max-queued-reviews=-1"} {
		r := run(t, nil, "webhook", "serve", "--no-cluster", "--listen", "127.0.0.1:0", flag,
			"--tls-cert-file", filepath.Join(dir, "tls.crt"), "--tls-key-file", filepath.Join(dir, "tls.key"))
		if r.code != 2 || !strings.Contains(r.stderr, "must be at least") {
			t.Errorf("%s: exit %d %s", flag, r.code, r.stderr)
		}
	}
}

// TestWebhookServeImageFlags: the signature verification's deadline, cache size and
// tag TTL are checked; a policy whose key does not load is a usage error naming it.
func TestWebhookServeImageFlags(t *testing.T) {
	dir := t.TempDir()
	if r := run(t, nil, "webhook", "certs", "--out-dir", dir, "--ip", "127.0.0.1"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	serve := func(args ...string) result {
		return run(t, nil, append([]string{"webhook", "serve", "--no-cluster", "--listen", "127.0.0.1:0",
			"--tls-cert-file", filepath.Join(dir, "tls.crt"), "--tls-key-file", filepath.Join(dir, "tls.key")}, args...)...)
	}
	for _, flag := range []string{"--image-deadline=0s", "--image-cache-size=0", "--image-tag-ttl=10m"} {
		if r := serve(flag); r.code != 2 || !strings.Contains(r.stderr, "--image-tag-ttl positive and at most 5m") {
			t.Errorf("%s: exit %d %s", flag, r.code, r.stderr)
		}
	}
	cfg := filepath.Join(dir, "images.yaml")
	os.WriteFile(cfg, []byte("images:\n  verify:\n  - match: [\"registry.example.com/**\"]\n    keys: [missing.pub]\n    transparencyLog: skip\n"), 0o644)
	if r := serve("--config", cfg); r.code != 2 || !strings.Contains(r.stderr, "missing.pub") {
		t.Errorf("missing key: exit %d %s", r.code, r.stderr)
	}
}

//go:build linux

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/palisade-k8s/palisade/internal/signature/sigtest"
)

// The signature path (-signed): the review's images are in a registry on loopback
// (in this process), signed with a key as cosign signs them (a Sigstore bundle
// referrer for the application's image, cosign's legacy .sig tag for the sidecar's),
// and the server's configuration trusts the key for them (images.verify), so each
// review resolves the images' tags and verifies their signatures: the first through
// the registry, then from the server's cache of verdicts (by digest and policy
// generation) and of tag resolutions. The percentiles are those of the cache hit
// path, which is what a cluster sees for the images it runs all day.

// signedFixture is the registry, the key and the configuration of the signature
// path.
type signedFixture struct {
	tb     *fixtureTB
	host   string
	config string
	// images maps the deployment's image references to the signed ones.
	images map[string]string
}

// newSignedFixture pushes and signs the deployment's images and writes the
// configuration into dir.
func newSignedFixture(dir string) (f *signedFixture, err error) {
	tb := &fixtureTB{dir: dir}
	defer func() {
		if v := recover(); v != nil {
			tb.cleanup()
			f, err = nil, fmt.Errorf("signed images: %v", v)
		}
	}()
	reg := sigtest.NewRegistry(tb, true)
	key := sigtest.NewKey(tb, sigtest.ECDSAP256)
	signer := sigtest.Signer{Key: key}
	api := reg.Push(tb, "shop/checkout-api", "4.12.3")
	reg.Attach(tb, signer.Sign(tb, api, sigtest.Options{}))
	envoy := reg.Push(tb, "platform/envoy", "1.31.2")
	reg.Attach(tb, signer.Sign(tb, envoy, sigtest.Options{Legacy: true}))
	cfg := filepath.Join(dir, "palisade.yaml")
	policy := fmt.Sprintf("images:\n  verify:\n  - match: [%q]\n    keys: [%q]\n    transparencyLog: skip\n", reg.Host+"/**", key.Path)
	if err := os.WriteFile(cfg, []byte(policy), 0o600); err != nil {
		tb.cleanup()
		return nil, err
	}
	return &signedFixture{tb: tb, host: reg.Host, config: cfg, images: map[string]string{
		"registry.example.com/shop/checkout-api:4.12.3": api.Ref,
		"registry.example.com/platform/envoy:1.31.2":    envoy.Ref,
	}}, nil
}

// serverArgs are the server's arguments for the fixture.
func (f *signedFixture) serverArgs() []string {
	return []string{"--config", f.config, "--insecure-registry", f.host}
}

// rewrite points the deployment's images at the signed ones.
func (f *signedFixture) rewrite(deployment []byte) []byte {
	s := string(deployment)
	for from, to := range f.images {
		s = strings.ReplaceAll(s, "image: "+from, "image: "+to)
	}
	return []byte(s)
}

func (f *signedFixture) close() { f.tb.cleanup() }

// fixtureTB lets the test support package that signs images run in this program:
// a failure panics (newSignedFixture recovers it), temporary directories are made
// in dir, and cleanups run at close.
type fixtureTB struct {
	testing.TB
	dir      string
	mu       sync.Mutex
	cleanups []func()
	n        int
}

func (t *fixtureTB) Helper()                           {}
func (t *fixtureTB) Fatal(args ...any)                 { panic(fmt.Sprint(args...)) }
func (t *fixtureTB) Fatalf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }
func (t *fixtureTB) Errorf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }
func (t *fixtureTB) Cleanup(f func()) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.cleanups = append(t.cleanups, f)
}

func (t *fixtureTB) TempDir() string {
	t.mu.Lock()
	t.n++
	n := t.n
	t.mu.Unlock()
	d := filepath.Join(t.dir, fmt.Sprintf("fixture-%d", n))
	if err := os.MkdirAll(d, 0o700); err != nil {
		panic(err)
	}
	return d
}

func (t *fixtureTB) cleanup() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for i := len(t.cleanups) - 1; i >= 0; i-- {
		t.cleanups[i]()
	}
	t.cleanups = nil
}

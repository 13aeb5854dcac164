// Package imagetest is test support (imported by tests and tools/imagebench only):
// real container images built from real artifacts, with the ground truth of what
// they hold.
//
//   - A Debian root filesystem made of real Debian packages by hack/debian-rootfs.sh
//     (debootstrap, cached), found through PALISADE_DEBIAN_ROOTFS, with what
//     `dpkg-query --admindir` says is installed in it.
//   - A Go binary built from testdata/goapp, a module requiring old, real module
//     versions (and one replacement) from the module proxy, with what `go version -m`
//     says it holds; for linux/amd64 and linux/arm64.
//   - An npm tree installed by `npm ci` from the npm registry with the pinned old
//     packages of testdata/npmapp, with what `npm ls --all --json` says it holds.
//
// Build packs them with go-containerregistry into an image (the root filesystem; the
// binary and the npm tree under /app; a layer adding a fake private key and a cloud
// credential file; a later layer deleting them with whiteouts; User root) and writes
// it as an OCI image layout, an OCI archive, a `docker save` archive and, with a
// linux/arm64 image of the binary beside it, a two-platform index; Set.Serve serves
// them from a registry on loopback. Layer tars carry the root filesystem's real
// owners, modes (setuid included), symlinks and hardlinks.
//
// BuildLarge adds a large image for benchmarks (over 500 MB: large incompressible
// files and many small files on top of the test image).
//
// Everything built is cached by content under PALISADE_IMAGETEST_CACHE (default
// ~/.cache/palisade/imagetest): a later run costs a few file reads. An entry unused
// for a week is removed when another of its kind is built. A test whose
// inputs are unavailable (PALISADE_DEBIAN_ROOTFS unset, no npm, no network) skips,
// unless PALISADE_REQUIRE_IMAGES=1 (make test) turns that into a failure; under
// -short (make race) the image tests skip.
package imagetest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// Environment variables.
const (
	// EnvRootFS names the Debian root filesystem directory (hack/debian-rootfs.sh).
	EnvRootFS = "PALISADE_DEBIAN_ROOTFS"
	// EnvRequire set to 1 makes missing inputs a failure instead of a skip.
	EnvRequire = "PALISADE_REQUIRE_IMAGES"
	// EnvCache overrides the cache directory.
	EnvCache = "PALISADE_IMAGETEST_CACHE"
)

// CacheDir is where built artifacts are cached.
func CacheDir() string {
	if d := os.Getenv(EnvCache); d != "" {
		return d
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "palisade", "imagetest")
	}
	return filepath.Join(os.TempDir(), "palisade-imagetest")
}

// Required reports whether missing inputs fail the tests (PALISADE_REQUIRE_IMAGES=1).
func Required() bool { return os.Getenv(EnvRequire) == "1" }

// unavailable skips the test, or fails it when the images are required.
func unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if Required() {
		t.Fatalf("%s (%s=1: the image tests must run; run `make test`, which builds the root filesystem with hack/debian-rootfs.sh)", msg, EnvRequire)
	}
	t.Skipf("%s (run `make test`, or set %s=$(hack/debian-rootfs.sh))", msg, EnvRootFS)
}

// short skips under -short: the images cost seconds to minutes on a cold cache.
func short(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: the image tests build real images (make test runs them)")
	}
}

// moduleRoot is the repository root, from this file's location.
func moduleRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// testdata is the path of testdata/name of this package.
func testdata(name string) string {
	return filepath.Join(moduleRoot(), "internal", "imagetest", "testdata", name)
}

// hashFiles is the hex SHA-256 of the named files' contents and of extra strings.
func hashFiles(files []string, extra ...string) (string, error) {
	h := sha256.New()
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s\x00", filepath.Base(f))
		_, err = io.Copy(h, fh)
		fh.Close()
		if err != nil {
			return "", err
		}
	}
	for _, e := range extra {
		fmt.Fprintf(h, "%s\x00", e)
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

// publish renames a finished build directory into place. When another process got
// there first, its result is kept and tmp is removed.
func publish(tmp, dest string) error {
	if err := os.Rename(tmp, dest); err != nil {
		if _, serr := os.Stat(filepath.Join(dest, doneFile)); serr == nil {
			return os.RemoveAll(tmp)
		}
		os.RemoveAll(tmp)
		return err
	}
	return nil
}

// tempDir makes a build directory beside the cache entries (readable by all, as
// the entry it becomes).
func tempDir(cache, prefix string) (string, error) {
	dir, err := os.MkdirTemp(cache, prefix)
	if err != nil {
		return "", err
	}
	return dir, os.Chmod(dir, 0o755)
}

// doneFile marks a complete cache entry.
const doneFile = "DONE"

// done reports whether dir is a complete cache entry, and marks it used now.
func done(dir string) bool {
	f := filepath.Join(dir, doneFile)
	if _, err := os.Stat(f); err != nil {
		return false
	}
	now := time.Now()
	_ = os.Chtimes(f, now, now) // best effort: a read-only cache is still a cache
	return true
}

// stale is how long an unused cache entry is kept once another entry of its kind is
// built (an edit of testdata or a new Debian point release makes a new entry).
const stale = 7 * 24 * time.Hour

// prune removes the complete entries of cache whose name starts with prefix and that
// were last used more than stale ago, but keep.
func prune(cache, prefix, keep string) {
	entries, err := os.ReadDir(cache)
	if err != nil {
		return
	}
	for _, e := range entries {
		dir := filepath.Join(cache, e.Name())
		if !e.IsDir() || !strings.HasPrefix(e.Name(), prefix) || dir == keep {
			continue
		}
		if fi, err := os.Stat(filepath.Join(dir, doneFile)); err == nil && time.Since(fi.ModTime()) > stale {
			logf("removing %s, unused for %s", dir, time.Since(fi.ModTime()).Round(time.Hour))
			os.RemoveAll(dir)
		}
	}
}

func markDone(dir string) error {
	return os.WriteFile(filepath.Join(dir, doneFile), nil, 0o644)
}

// logf says what a cold build is doing, on standard error (a cache hit says
// nothing): a cold build takes seconds to minutes.
func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "imagetest: "+format+"\n", args...)
}

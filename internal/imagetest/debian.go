package imagetest

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// DebPackage is one line of dpkg-query's ground truth.
type DebPackage struct {
	Name, Version, Arch string
	// SourceName and SourceVersion are dpkg's ${source:Package} and
	// ${source:Version}: the package's own name and version when it has no Source
	// field.
	SourceName, SourceVersion string
	// Status is dpkg's ${db:Status-Abbrev} ("ii ": installed).
	Status string
}

// Installed reports whether dpkg considers the package installed.
func (p DebPackage) Installed() bool { return strings.HasPrefix(p.Status, "ii") }

// DebianRootFS is the Debian root filesystem of PALISADE_DEBIAN_ROOTFS, as
// hack/debian-rootfs.sh built it. It skips the test when the variable is unset (fails
// when PALISADE_REQUIRE_IMAGES=1) and under -short.
func DebianRootFS(t testing.TB) string {
	t.Helper()
	short(t)
	dir := os.Getenv(EnvRootFS)
	if dir == "" {
		unavailable(t, "%s is not set", EnvRootFS)
	}
	if err := CheckRootFS(dir); err != nil {
		t.Fatalf("%s=%s: %v", EnvRootFS, dir, err)
	}
	return dir
}

// CheckRootFS reports whether dir looks like a root filesystem from
// hack/debian-rootfs.sh: a dpkg database, and the ground truth beside it.
func CheckRootFS(dir string) error {
	if _, err := os.Stat(filepath.Join(dir, "var", "lib", "dpkg", "status")); err != nil {
		return fmt.Errorf("not a Debian root filesystem: %w", err)
	}
	if _, err := os.Stat(DpkgTruthFile(dir)); err != nil {
		return fmt.Errorf("no ground truth beside it (hack/debian-rootfs.sh writes it): %w", err)
	}
	return nil
}

// DpkgTruthFile is the file hack/debian-rootfs.sh writes beside the root
// filesystem: dpkg-query's list of its packages.
func DpkgTruthFile(rootfs string) string {
	return filepath.Join(filepath.Dir(filepath.Clean(rootfs)), "dpkg-query.tsv")
}

// DpkgTruth reads the packages dpkg-query listed (every status; see Installed).
func DpkgTruth(rootfs string) ([]DebPackage, error) {
	file := DpkgTruthFile(rootfs)
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ParseDpkgTruth(f, file)
}

// ParseDpkgTruth parses dpkg-query -W -f with the format of hack/debian-rootfs.sh:
// package, version, architecture, source package, source version and status,
// tab-separated.
func ParseDpkgTruth(r io.Reader, name string) ([]DebPackage, error) {
	var out []DebPackage
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 6 || f[0] == "" || f[1] == "" {
			return nil, fmt.Errorf("%s:%d: want 6 tab-separated fields, got %q", name, n, line)
		}
		out = append(out, DebPackage{Name: f[0], Version: f[1], Arch: f[2], SourceName: f[3], SourceVersion: f[4], Status: f[5]})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no packages", name)
	}
	return out, nil
}

// OSRelease reads the root filesystem's /etc/os-release (a symlink to
// ../usr/lib/os-release on Debian) as key -> unquoted value.
func OSRelease(rootfs string) (map[string]string, error) {
	file := filepath.Join(rootfs, "usr", "lib", "os-release")
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for line := range strings.Lines(string(data)) {
		line = strings.TrimSpace(line)
		k, v, ok := strings.Cut(line, "=")
		if !ok || strings.HasPrefix(line, "#") {
			continue
		}
		out[k] = strings.Trim(v, `"'`)
	}
	return out, nil
}

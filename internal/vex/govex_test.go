package vex

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// goVexModule is the reference Go implementation of OpenVEX, read from the module
// proxy for its test documents only (it is not a dependency).
const goVexModule = "github.com/openvex/go-vex@v0.2.7"

// goVexTestdata is the directory of go-vex's test documents (pkg/vex/testdata),
// downloaded through the module proxy when the module cache does not hold it.
func goVexTestdata(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: go-vex is not downloaded")
	}
	cmd := exec.Command("go", "mod", "download", "-json", goVexModule)
	cmd.Dir = t.TempDir() // outside this module: go.mod is not read or changed
	out, err := cmd.Output()
	var m struct{ Dir string }
	if err == nil {
		err = json.Unmarshal(out, &m)
	}
	if err != nil || m.Dir == "" {
		t.Fatalf("go mod download %s: %v\n%s", goVexModule, err, out)
	}
	return filepath.Join(m.Dir, "pkg", "vex", "testdata")
}

// TestGoVexDocuments: every OpenVEX document of the reference implementation's tests
// (v0.0.1 with string vulnerabilities and products, v0.2.0 with objects, percent-
// encoded image digests, subcomponents, statements that inherit or give their
// timestamps) reads, and the v0.2.0 demonstration document decides findings of the
// image it names as it says.
func TestGoVexDocuments(t *testing.T) {
	dir := goVexTestdata(t)
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no documents in %s: %v", dir, err)
	}
	docs := map[string]*Document{}
	for _, file := range files {
		if strings.HasPrefix(filepath.Base(file), "csaf") {
			continue // CSAF, not OpenVEX
		}
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		d, err := Parse(file, strings.NewReader(string(data)))
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		docs[filepath.Base(file)] = d
	}
	demo := docs["v0.2.0.json"]
	if demo == nil {
		t.Fatal("v0.2.0.json did not read")
	}
	ix := NewIndex([]*Document{demo})
	const alpine = "sha256:124c7d2707904eea7431fffe91522a01e5a861a624ee31d03372cc1d138a3126"
	for _, tc := range []struct {
		id, purl, digest, want string
	}{
		{"CVE-2023-1255", "pkg:apk/alpine/libssl3@3.0.8-r3?arch=x86_64&distro=alpine-3.17.3", alpine, "fixed"},
		{"CVE-2023-3446", "pkg:apk/alpine/libcrypto3@3.0.8-r3?arch=x86_64", alpine, "not_affected"},
		{"CVE-2023-3446", "pkg:apk/alpine/libcrypto3@3.0.8-r4", alpine, ""},
		{"CVE-2023-3446", "pkg:apk/alpine/busybox@1.36.0-r9", alpine, ""},
		{"CVE-2023-3446", "pkg:apk/alpine/libcrypto3@3.0.8-r3", "sha256:0000000000000000000000000000000000000000000000000000000000000000", ""},
	} {
		got := ""
		if s := ix.Suppression(vulnFinding(tc.id, nil, tc.purl, "alpine:3.17", tc.digest)); s != nil {
			got = s.VEX.Status
		}
		if got != tc.want {
			t.Errorf("%s in %s (%s): %q, want %q", tc.id, tc.purl, tc.digest, got, tc.want)
		}
	}
}

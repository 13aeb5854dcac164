package images_test

import (
	"crypto/rand"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/palisade-k8s/palisade/internal/checks/checktest"
	"github.com/palisade-k8s/palisade/internal/checks/images"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/secrets"
	"github.com/palisade-k8s/palisade/internal/software"
)

// fakeGitHubToken is a GitHub token with a valid checksum, generated now (none was
// ever issued).
func fakeGitHubToken(t testing.TB) string {
	const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 30)
	for i := range b {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(alnum))))
		if err != nil {
			t.Fatal(err)
		}
		b[i] = alnum[n.Int64()]
	}
	return "ghp_" + string(b) + secrets.Base62CRC32(string(b))
}

func imageFindings(t testing.TB, info *inventory.ImageInfo, rules ...string) []finding.Finding {
	t.Helper()
	res, err := checktest.ScanImages(nil, rules, checktest.ImageObject(info))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range res.Report.Internal {
		t.Errorf("internal error: %v", e)
	}
	var out []finding.Finding
	for _, f := range res.Report.Findings {
		for _, r := range rules {
			if f.RuleID == r {
				out = append(out, f)
			}
		}
	}
	return out
}

// TestConfigSecretOnce: an ENV value is also in the history step that set it; it is
// one secret, reported once, at the ENV.
func TestConfigSecretOnce(t *testing.T) {
	tok := fakeGitHubToken(t)
	info := &inventory.ImageInfo{Ref: "registry.example.com/web:1", Digest: "sha256:" + strings.Repeat("ab", 32), Source: "registry",
		Config: inventory.ImageConfig{User: "1000", Env: []string{"PATH=/bin", "GITHUB_TOKEN=" + tok},
			History: []inventory.ImageHistory{{CreatedBy: "ENV GITHUB_TOKEN=" + tok, EmptyLayer: true, Layer: -1}}},
		Files: checktest.NewMemImage(nil)}
	fs := imageFindings(t, info, "PAL-121")
	if len(fs) != 1 || fs[0].Path != "config.Env[1]" {
		t.Fatalf("findings %+v, want one at config.Env[1]", fs)
	}
	f := fs[0]
	if strings.Contains(f.Message, tok) || !strings.Contains(f.Message, "ghp_****") {
		t.Errorf("message %q not masked", f.Message)
	}
	if len(f.SecretDigests) != 1 {
		t.Errorf("%d digests, want 1", len(f.SecretDigests))
	}
	img := f.Location.Image
	if img == nil || img.Ref != info.Ref || img.Digest != info.Digest || img.LayerIndex != -1 || img.Field != "config.Env[1]" || f.Location.File != info.Ref {
		t.Errorf("location %+v (image %+v)", f.Location, img)
	}
}

// TestDeletedSecretLocation: the finding names the image digest, the layer (index
// and diffID) that holds the secret, and the path.
func TestDeletedSecretLocation(t *testing.T) {
	tok := fakeGitHubToken(t)
	info := &inventory.ImageInfo{Ref: "registry.example.com/web:1", Digest: "sha256:" + strings.Repeat("cd", 32), Source: "registry",
		Config: inventory.ImageConfig{User: "1000"},
		Layers: []inventory.ImageLayer{{DiffID: "sha256:" + strings.Repeat("01", 32)}, {DiffID: "sha256:" + strings.Repeat("02", 32)}, {DiffID: "sha256:" + strings.Repeat("03", 32)}},
		Files: checktest.NewMemImage([][]checktest.ImageFile{
			{{ImageEntry: inventory.ImageEntry{Path: "/etc", Type: inventory.EntryDir, Mode: 0o755}}},
			{{ImageEntry: inventory.ImageEntry{Path: "/root/.git-credentials", Mode: 0o600}, Content: []byte("https://ci:" + tok + "@github.com\n")}},
			{{ImageEntry: inventory.ImageEntry{Path: "/root/.git-credentials"}, Deleted: true}},
		})}
	fs := imageFindings(t, info, "PAL-122", "PAL-123")
	if len(fs) != 1 || fs[0].RuleID != "PAL-123" {
		t.Fatalf("findings %+v, want one of PAL-123", fs)
	}
	img := fs[0].Location.Image
	if img.LayerIndex != 1 || img.Layer != info.Layers[1].DiffID || img.Path != "/root/.git-credentials" || img.Digest != info.Digest {
		t.Errorf("image location %+v", img)
	}
	if strings.Contains(fs[0].Message, tok) {
		t.Errorf("message %q shows the secret", fs[0].Message)
	}
}

// TestEOLClock: without asOf, PAL-128 judges against the clock.
func TestEOLClock(t *testing.T) {
	info := &inventory.ImageInfo{Ref: "debian:10", Source: "registry", Config: inventory.ImageConfig{User: "1000"},
		Software: software.Inventory{Distro: &software.Distro{ID: "debian", VersionID: "10", PrettyName: "Debian GNU/Linux 10 (buster)"}},
		Files:    checktest.NewMemImage(nil)}
	for _, c := range []struct {
		day  string
		want int
	}{{"2024-06-30", 0}, {"2024-07-01", 1}} {
		d, _ := time.Parse(time.DateOnly, c.day)
		restore := images.SetNow(d.Add(12 * time.Hour))
		fs := imageFindings(t, info, "PAL-128")
		restore()
		if len(fs) != c.want {
			t.Errorf("on %s: %d findings, want %d: %+v", c.day, len(fs), c.want, fs)
		}
	}
}

// TestRootfsHasNoUser: a root filesystem directory has no configuration, so its
// empty User says nothing.
func TestRootfsHasNoUser(t *testing.T) {
	info := &inventory.ImageInfo{Ref: "/srv/rootfs", Source: "rootfs", Files: checktest.NewMemImage(nil)}
	if fs := imageFindings(t, info, "PAL-120"); len(fs) != 0 {
		t.Errorf("findings on a root filesystem: %+v", fs)
	}
	info.Source = "registry"
	if fs := imageFindings(t, info, "PAL-120"); len(fs) != 1 {
		t.Errorf("an image without User: %d findings, want 1", len(fs))
	}
}

// BenchmarkImageRules runs the image rules on an image of 20,000 entries in 5
// layers, 40 of them kept credential files.
func BenchmarkImageRules(b *testing.B) {
	var layers [][]checktest.ImageFile
	for l := 0; l < 5; l++ {
		var files []checktest.ImageFile
		for i := 0; i < 4000; i++ {
			files = append(files, checktest.ImageFile{ImageEntry: inventory.ImageEntry{Path: fmt.Sprintf("/usr/lib/pkg%d/file%d.so", l, i), Mode: 0o644, Size: 10000}})
		}
		for i := 0; i < 8; i++ {
			files = append(files, checktest.ImageFile{ImageEntry: inventory.ImageEntry{Path: fmt.Sprintf("/home/u%d/.npmrc", i), Mode: 0o600},
				Content: []byte("registry=https://registry.npmjs.org/\n//registry.npmjs.org/:_authToken=${NPM_TOKEN}\n")})
		}
		layers = append(layers, files)
	}
	info := &inventory.ImageInfo{Ref: "bench", Source: "registry", Config: inventory.ImageConfig{User: "1000", Env: []string{"PATH=/bin"}},
		Software: software.Inventory{Distro: &software.Distro{ID: "debian", VersionID: "12"}}, Files: checktest.NewMemImage(layers)}
	rules := []string{"PAL-120", "PAL-121", "PAL-122", "PAL-123", "PAL-124", "PAL-125", "PAL-126", "PAL-127", "PAL-128"}
	for b.Loop() {
		imageFindings(b, info, rules...)
	}
}

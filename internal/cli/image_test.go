package cli

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/sbom"
	"github.com/palisade-k8s/palisade/internal/software"
)

func TestImageUsage(t *testing.T) {
	for _, args := range [][]string{
		{"image"},
		{"image", "a:1", "b:1", "-o", "cyclonedx"},
		{"image", "a:1", "--all-platforms", "-o", "spdx-json"},
		{"image", "a:1", "--output-dir", "out"},
		{"image", "a:1", "--platform", "linux/amd64", "--all-platforms"},
		{"image", "a:1", "--image-parallel", "0"},
		{"image", "a:1", "-o", "cyclonedx", "--framework", "cis-1.12"},
	} {
		if r := run(t, nil, args...); r.code != ExitUsage {
			t.Errorf("%v: exit %d, want %d (usage)\n%s%s", args, r.code, ExitUsage, r.stdout, r.stderr)
		}
	}
}

// An image that cannot be reached is an input error naming it (exit 3), with a
// progress line on standard error, never in the report.
func TestImageUnreachable(t *testing.T) {
	ref := "127.0.0.1:1/nothing:1"
	r := run(t, nil, "image", ref, "--insecure-registry", "127.0.0.1:1")
	if r.code != ExitInputErrors {
		t.Fatalf("exit %d, want 3\n%s%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "INPUT ERROR "+ref+": ") || !strings.Contains(r.stdout, "Scanned 0 images (0 packages) from 1 input: no findings; 1 input error.\nResult: some input could not be read (exit 3).") {
		t.Errorf("report:\n%s", r.stdout)
	}
	if !strings.HasPrefix(r.stderr, "image "+ref+": not read: ") || strings.Contains(r.stdout, "not read:") {
		t.Errorf("progress on stderr only, one line per image: stderr %q", r.stderr)
	}
	r = run(t, nil, "image", ref, "--insecure-registry", "127.0.0.1:1", "-o", "json")
	var rep struct {
		InputErrors []struct {
			Location struct{ File string }
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || len(rep.InputErrors) != 1 || rep.InputErrors[0].Location.File != ref {
		t.Errorf("JSON report %v: %s", err, r.stdout)
	}
}

// manifests writes a Deployment whose containers run images (an init container
// runs the last one) and returns its directory.
func manifests(t *testing.T, images ...string) string {
	t.Helper()
	var cs strings.Builder
	for i, img := range images[:len(images)-1] {
		cs.WriteString("      - name: c" + string(rune('0'+i)) + "\n        image: " + img + "\n")
	}
	y := `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      initContainers:
      - name: init
        image: ` + images[len(images)-1] + `
      containers:
` + cs.String()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "web.yaml"), []byte(y), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// scan --images: an image that cannot be reached is a coverage entry naming it
// (exit 3), never a silent pass; without --images nothing is reached and the exit
// code is what the manifests alone give.
func TestScanImagesUnreachable(t *testing.T) {
	dir := manifests(t, "127.0.0.1:1/app:1", "127.0.0.1:1/init:1")
	cache := t.TempDir()
	r := run(t, nil, "scan", dir, "--images", "--insecure-registry", "127.0.0.1:1", "--image-cache", cache, "--fail-on", "none")
	if r.code != ExitInputErrors {
		t.Fatalf("exit %d, want 3\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"NOT CHECKED image 127.0.0.1:1/app:1: ", "NOT CHECKED image 127.0.0.1:1/init:1: ", "Result: incomplete, some images could not be read (exit 3)."} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("report lacks %q:\n%s", want, r.stdout)
		}
	}
	r = run(t, nil, "scan", dir, "--images", "--insecure-registry", "127.0.0.1:1", "--image-cache", cache, "--fail-on", "none", "-o", "json")
	var rep struct {
		Coverage []struct{ Kind, Image, Reason string }
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || len(rep.Coverage) != 2 || rep.Coverage[0].Kind != "Image" || rep.Coverage[0].Image != "127.0.0.1:1/app:1" || rep.Coverage[0].Reason == "" {
		t.Errorf("JSON coverage %v: %+v", err, rep.Coverage)
	}
	if !strings.Contains(r.stderr, "palisade: not checked: image 127.0.0.1:1/app:1: ") {
		t.Errorf("stderr: %s", r.stderr)
	}
	r = run(t, nil, "scan", dir, "--fail-on", "none")
	if r.code != ExitOK || strings.Contains(r.stdout, "NOT CHECKED") || strings.Contains(r.stdout, "images (") || r.stderr != "" {
		t.Errorf("without --images: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// testRegistry serves images on loopback and counts the requests for blobs other
// than image configurations (the layers).
func testRegistry(t *testing.T) (host string, blobs *atomic.Int32, configs map[string]bool) {
	t.Helper()
	blobs = &atomic.Int32{}
	configs = map[string]bool{}
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, d, ok := strings.Cut(r.URL.Path, "/blobs/"); ok && r.Method == http.MethodGet && !configs[d] {
			blobs.Add(1)
		}
		reg.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://"), blobs, configs
}

func pushImage(t *testing.T, ref string, img v1.Image) {
	t.Helper()
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(r, img, remote.WithTransport(http.DefaultTransport)); err != nil {
		t.Fatal(err)
	}
}

func rootImage(t *testing.T) v1.Image {
	t.Helper()
	return archImage(t, "amd64")
}

// archImage is a random image of linux/arch whose user is root.
func archImage(t *testing.T, arch string) v1.Image {
	t.Helper()
	img, err := random.Image(512, 2)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Config.User = "linux", arch, "0"
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// palisade image reads an image from a registry on loopback and an OCI layout, and
// the JSON report lists it with its digest.
func TestImageRead(t *testing.T) {
	host, _, _ := testRegistry(t)
	img := rootImage(t)
	ref := host + "/shop/web:1"
	pushImage(t, ref, img)
	dir := filepath.Join(t.TempDir(), "layout")
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AppendImage(img); err != nil {
		t.Fatal(err)
	}
	want, _ := img.Digest()
	r := run(t, nil, "image", ref, dir, "--insecure-registry", host, "-o", "json", "--fail-on", "none")
	if r.code != ExitOK {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	var rep struct {
		Summary struct{ Images int }
		Images  []struct{ Name, Digest, Source string }
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Summary.Images != 1 && rep.Summary.Images != 2 {
		t.Errorf("images %+v", rep)
	}
	for _, i := range rep.Images {
		if i.Digest != want.String() {
			t.Errorf("image %s digest %s, want %s", i.Name, i.Digest, want)
		}
	}
}

// scan --images reads each image of the workloads once, names the workloads that
// run it, and a second scan takes the analysed image from the cache without
// pulling a layer again.
func TestScanImagesRegistry(t *testing.T) {
	host, blobs, configs := testRegistry(t)
	ref := host + "/shop/web:1"
	img := rootImage(t)
	cfg, err := img.ConfigName()
	if err != nil {
		t.Fatal(err)
	}
	configs[cfg.String()] = true
	pushImage(t, ref, img)
	dir := manifests(t, ref, ref)
	cache := t.TempDir()
	args := []string{"scan", dir, "--images", "--insecure-registry", host, "--image-cache", cache, "--fail-on", "none", "-o", "json"}
	r := run(t, nil, args...)
	if r.code != ExitOK {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	var rep struct {
		Summary struct{ Objects, Images int }
		Images  []struct {
			Name      string
			Workloads []struct{ Kind, Name string }
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Summary.Images != 1 || len(rep.Images) != 1 || rep.Images[0].Name != ref || len(rep.Images[0].Workloads) != 1 || rep.Images[0].Workloads[0].Name != "web" {
		t.Errorf("report %+v", rep)
	}
	pulled := blobs.Load()
	if pulled == 0 {
		t.Fatal("no layer pulled")
	}
	r = run(t, nil, args...)
	if r.code != ExitOK || blobs.Load() != pulled {
		t.Errorf("second scan: exit %d, %d more layers pulled (want 0: the digest is cached)", r.code, blobs.Load()-pulled)
	}
	text := run(t, nil, "scan", dir, "--images", "--insecure-registry", host, "--image-cache", cache, "--fail-on", "none")
	if !strings.Contains(text.stdout, "run by: Deployment/shop/web") || !strings.Contains(text.stdout, "and 1 image (") {
		t.Errorf("text report:\n%s", text.stdout)
	}
}

// -o cyclonedx writes the SBOM of one image; --output-dir one file per image.
func TestImageSBOM(t *testing.T) {
	host, _, _ := testRegistry(t)
	pushImage(t, host+"/a:1", rootImage(t))
	pushImage(t, host+"/b:1", rootImage(t))
	r := run(t, nil, "image", host+"/a:1", "--insecure-registry", host, "-o", "cyclonedx", "--fail-on", "none")
	if r.code != ExitOK || !strings.Contains(r.stdout, `"bomFormat": "CycloneDX"`) {
		t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	out := t.TempDir()
	r = run(t, nil, "image", host+"/a:1", host+"/b:1", "--insecure-registry", host, "-o", "spdx-json", "--output-dir", out, "--fail-on", "none")
	files, _ := filepath.Glob(filepath.Join(out, "*.spdx.json"))
	if r.code != ExitOK || len(files) != 2 {
		t.Errorf("exit %d, files %v\n%s", r.code, files, r.stderr)
	}
}

// The name of an SBOM file keeps only safe characters and never repeats.
func TestSBOMFileName(t *testing.T) {
	used := map[string]bool{}
	for _, c := range []struct{ in, want string }{
		{"reg.example:5000/shop/web:1", "reg.example_5000_shop_web_1"},
		{"reg.example:5000/shop/web:1", "reg.example_5000_shop_web_1-2"},
		{"../../etc/passwd", "_._.._etc_passwd"},
		{".hidden", "_hidden"},
	} {
		if got := sbomFileName(c.in, used); got != c.want {
			t.Errorf("sbomFileName(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// --all-platforms reads every image of an index, each named with its platform;
// --platform one of them.
func TestImagePlatforms(t *testing.T) {
	var idx v1.ImageIndex = empty.Index
	for _, arch := range []string{"amd64", "arm64"} {
		img := archImage(t, arch)
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: arch}}})
	}
	dir := filepath.Join(t.TempDir(), "oci")
	if _, err := layout.Write(dir, idx); err != nil {
		t.Fatal(err)
	}
	names := func(args ...string) string {
		t.Helper()
		r := run(t, nil, append([]string{"image", dir, "-o", "json", "--fail-on", "none"}, args...)...)
		var rep struct {
			Images []struct{ Name, Platform string }
		}
		if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
			t.Fatalf("%v: %s%s", err, r.stdout, r.stderr)
		}
		var out []string
		for _, i := range rep.Images {
			out = append(out, i.Name+"="+i.Platform)
		}
		return strings.Join(out, ",")
	}
	if got, want := names("--all-platforms"), dir+" (linux/amd64)=linux/amd64,"+dir+" (linux/arm64)=linux/arm64"; got != want {
		t.Errorf("--all-platforms: %s, want %s", got, want)
	}
	if got, want := names("--platform", "linux/arm64"), dir+"=linux/arm64"; got != want {
		t.Errorf("--platform linux/arm64: %s, want %s", got, want)
	}
}

// A hostile layer (an entry that climbs out of the root) is an input error naming
// the image, the layer and the entry (exit 3).
func TestImageHostileLayer(t *testing.T) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	body := []byte("pwned\n")
	if err := tw.WriteHeader(&tar.Header{Name: "../../evil", Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	tw.Write(body)
	tw.Close()
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(buf.Bytes())), nil })
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "hostile.tar")
	tag, _ := name.NewTag("hostile:1")
	if err := tarball.WriteToFile(file, tag, img); err != nil {
		t.Fatal(err)
	}
	r := run(t, nil, "image", file)
	if r.code != ExitInputErrors || !strings.Contains(r.stdout, "INPUT ERROR "+file+": layer sha256:") || !strings.Contains(r.stdout, `"../../evil"`) {
		t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// --rootfs reads a directory as an image.
func TestImageRootFS(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "etc"), 0o755)
	os.WriteFile(filepath.Join(dir, "etc", "os-release"), []byte("ID=debian\nVERSION_ID=\"12\"\n"), 0o644)
	r := run(t, nil, "image", "--rootfs", dir, "-o", "json", "--fail-on", "none")
	var rep struct {
		Images []struct{ Name, Source string }
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || len(rep.Images) != 1 || rep.Images[0].Name != dir || rep.Images[0].Source != "rootfs" {
		t.Errorf("exit %d %v\n%s%s", r.code, err, r.stdout, r.stderr)
	}
}

// --sbom reads an SBOM as an image's inventory.
func TestImageSBOMInput(t *testing.T) {
	file := filepath.Join(t.TempDir(), "app.cdx.json")
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	subj := sbom.Subject{Name: "reg.example/app:1", Software: software.Inventory{Packages: []software.Package{{
		Ecosystem: software.NPM, Name: "left-pad", Version: "1.3.0", PURL: "pkg:npm/left-pad@1.3.0", Cataloger: "npm",
		Location: software.Location{Path: "/app/package-lock.json", Layer: -1}}}}}
	if err := sbom.WriteCycloneDX(f, subj, sbom.Tool{Name: "test", Version: "1"}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	r := run(t, nil, "image", "--sbom", file, "-o", "json", "--fail-on", "none")
	var rep struct {
		Images []struct {
			Name, Source string
			Packages     []software.Package
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || r.code != ExitOK || len(rep.Images) != 1 || rep.Images[0].Source != "sbom" ||
		len(rep.Images[0].Packages) != 1 || rep.Images[0].Packages[0].PURL != "pkg:npm/left-pad@1.3.0" {
		t.Errorf("exit %d %v\n%s%s", r.code, err, r.stdout, r.stderr)
	}
}

const imageRuleID = "PAL-991"

// A stand-in for the image rules: the image runs as root (from its configuration),
// and a file of its filesystem is read while the rules run.
func init() {
	rules.Register(&rules.Rule{
		Meta: rules.Meta{ID: imageRuleID, Title: "Test image rule", Severity: finding.High, Category: "test",
			Rationale: "A stand-in for the image rules.", Remediation: "None.", Frameworks: rules.Frameworks{Layer: "container"}},
		OptIn: true,
		Kinds: []string{finding.ImageKind},
		Object: func(p *rules.Pass, o *inventory.Object) {
			if o.Image.Config.User == "0" {
				p.ReportImage(o.Image.Location(-1, "", "config.User"), nil, "the image runs as root")
			}
		},
	})
}

// Image findings go through the scan's pipeline: the gate and exit code, baselines,
// the report formats; with scan --images they name the workloads that run the image.
func TestImageRulesPipeline(t *testing.T) {
	host, _, _ := testRegistry(t)
	ref := host + "/shop/web:1"
	pushImage(t, ref, rootImage(t))
	r := run(t, nil, "image", ref, "--insecure-registry", host, "--include", imageRuleID, "-o", "json")
	var rep struct {
		Findings []struct {
			RuleID   string
			Object   struct{ Kind, Name string }
			Location struct {
				File  string
				Image struct{ Ref, Digest, Field string }
			}
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || r.code != ExitFindings || len(rep.Findings) != 1 {
		t.Fatalf("exit %d %v\n%s%s", r.code, err, r.stdout, r.stderr)
	}
	f := rep.Findings[0]
	if f.RuleID != imageRuleID || f.Object.Kind != "Image" || f.Object.Name != ref || f.Location.File != ref || f.Location.Image.Digest == "" || f.Location.Image.Field != "config.User" {
		t.Errorf("finding %+v", f)
	}
	baseline := filepath.Join(t.TempDir(), "baseline.yaml")
	if r := run(t, nil, "image", ref, "--insecure-registry", host, "--include", imageRuleID, "--write-baseline", baseline); r.code != ExitFindings {
		t.Fatalf("write baseline: exit %d\n%s", r.code, r.stderr)
	}
	if r := run(t, nil, "image", ref, "--insecure-registry", host, "--include", imageRuleID, "--baseline", baseline); r.code != ExitOK {
		t.Errorf("with the baseline: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, format := range []string{"sarif", "junit"} {
		if r := run(t, nil, "image", ref, "--insecure-registry", host, "--include", imageRuleID, "-o", format); r.code != ExitFindings || !strings.Contains(r.stdout, imageRuleID) {
			t.Errorf("-o %s: exit %d\n%s", format, r.code, r.stdout)
		}
	}
	dir := manifests(t, ref, ref)
	r = run(t, nil, "scan", dir, "--images", "--insecure-registry", host, "--image-cache", t.TempDir(), "--include", imageRuleID)
	if r.code != ExitFindings || !strings.Contains(r.stdout, "image  "+ref+"@sha256:") || !strings.Contains(r.stdout, "run by: Deployment/shop/web\n  HIGH") {
		t.Errorf("scan --images: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

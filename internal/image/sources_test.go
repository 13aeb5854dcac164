package image

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"log"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

func v1Layer(t testing.TB, entries ...te) v1.Layer {
	t.Helper()
	b := layerTar(t, entries...)
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil })
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// testImage is a two-layer image whose second layer deletes a file of the first;
// marker makes images of different platforms differ.
func testImage(t testing.TB, p v1.Platform, marker string) v1.Image {
	t.Helper()
	img, err := mutate.Append(empty.Image,
		mutate.Addendum{Layer: v1Layer(t, dir("etc/"), file("etc/os-release", "ID=test\n"), file("etc/secret", "s3cr3t"), withMode(dir("tmp/"), 0o1777)), History: v1.History{CreatedBy: "ADD rootfs.tar /"}},
		mutate.Addendum{Layer: v1Layer(t, whiteout("etc/.wh.secret"), file("usr/bin/app", "app "+marker), symlink("bin", "usr/bin"), hardlink("usr/bin/app2", "usr/bin/app")), History: v1.History{CreatedBy: "RUN rm /etc/secret"}},
	)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture, cfg.Variant = p.OS, p.Architecture, p.Variant
	cfg.Created = v1.Time{Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	cfg.Config.User = "app"
	cfg.Config.Env = []string{"PATH=/usr/bin", "MODE=" + marker}
	cfg.Config.Labels = map[string]string{"org.opencontainers.image.title": "app"}
	cfg.Config.Entrypoint = []string{"/usr/bin/app"}
	cfg.Config.Cmd = []string{"--serve"}
	cfg.Config.WorkingDir = "/srv"
	cfg.Config.ExposedPorts = map[string]struct{}{"8080/tcp": {}, "443/tcp": {}}
	cfg.History = []v1.History{cfg.History[0], {CreatedBy: "ENV MODE=x", EmptyLayer: true}, cfg.History[1]}
	img, err = mutate.ConfigFile(img, cfg)
	if err != nil {
		t.Fatal(err)
	}
	img = mutate.MediaType(img, types.OCIManifestSchema1)
	return mutate.ConfigMediaType(img, types.OCIConfigJSON)
}

// tarDir packs a directory as BuildKit's type=oci exporter does.
func tarDir(t testing.TB, dir, out string) {
	t.Helper()
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tw := tar.NewWriter(f)
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if err := tw.WriteHeader(&tar.Header{Name: filepath.ToSlash(rel), Mode: 0o644, Size: int64(len(b)), Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		_, err = tw.Write(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
}

func writeLayout(t testing.TB, idx v1.ImageIndex) string {
	t.Helper()
	dir := t.TempDir()
	if _, err := layout.Write(dir, idx); err != nil {
		t.Fatal(err)
	}
	return dir
}

func loopbackRegistry(t testing.TB) string {
	t.Helper()
	s := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(s.Close)
	return strings.TrimPrefix(s.URL, "http://")
}

func openOne(t testing.TB, ref string, o Options) *Image {
	t.Helper()
	imgs, err := Open(context.Background(), ref, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(imgs) != 1 {
		t.Fatalf("%s: %d images", ref, len(imgs))
	}
	return imgs[0]
}

// TestSourcesAgree: the same image as an OCI layout, an OCI archive, a docker-save
// archive and in a registry reads the same.
func TestSourcesAgree(t *testing.T) {
	ctx := context.Background()
	amd := v1.Platform{OS: "linux", Architecture: "amd64"}
	img := testImage(t, amd, "x")
	digest, _ := img.Digest()
	cfgName, _ := img.ConfigName()

	lay := writeLayout(t, mutate.AppendManifests(empty.Index, mutate.IndexAddendum{Add: img}))
	ociTar := filepath.Join(t.TempDir(), "image.tar")
	tarDir(t, lay, ociTar)
	dockerTar := filepath.Join(t.TempDir(), "docker.tar")
	if err := tarball.WriteToFile(dockerTar, name.MustParseReference("test/app:1"), img); err != nil {
		t.Fatal(err)
	}
	host := loopbackRegistry(t)
	ref := host + "/test/app:1"
	if err := remote.Write(mustRef(t, ref), img); err != nil {
		t.Fatal(err)
	}

	var want []string
	for _, tc := range []struct{ ref, source, digest string }{
		{lay, "oci-layout", digest.String()},
		{ociTar, "oci-archive", digest.String()},
		{dockerTar, "docker-archive", cfgName.String()},
		{ref, "registry", digest.String()},
	} {
		t.Run(tc.source, func(t *testing.T) {
			var prog []Progress
			o := Options{Keep: keepAll, TempDir: t.TempDir(), Insecure: []string{host}, Progress: func(p Progress) { prog = append(prog, p) }}
			im := openOne(t, tc.ref, o)
			if im.Ref != tc.ref || im.Source != tc.source || im.Digest != tc.digest || im.Platform != "linux/amd64" {
				t.Errorf("info: ref %q source %q digest %q platform %q", im.Ref, im.Source, im.Digest, im.Platform)
			}
			c := im.Config
			if c.User != "app" || !slices.Equal(c.Env, []string{"PATH=/usr/bin", "MODE=x"}) || c.Labels["org.opencontainers.image.title"] != "app" ||
				!slices.Equal(c.Entrypoint, []string{"/usr/bin/app"}) || !slices.Equal(c.Cmd, []string{"--serve"}) || c.WorkingDir != "/srv" ||
				!slices.Equal(c.ExposedPorts, []string{"443/tcp", "8080/tcp"}) || c.Created != "2026-01-02T03:04:05Z" {
				t.Errorf("config %+v", c)
			}
			if len(c.History) != 3 || c.History[0].Layer != 0 || c.History[1].Layer != -1 || !c.History[1].EmptyLayer || c.History[2].Layer != 1 {
				t.Errorf("history %+v", c.History)
			}
			if len(im.Layers) != 2 || im.Layers[1].CreatedBy != "RUN rm /etc/secret" || im.Layers[0].DiffID == "" || im.Layers[0].Digest == "" || im.Layers[0].Size == 0 {
				t.Errorf("layers %+v", im.Layers)
			}
			f, err := im.Read(ctx, o)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			got := append(walkLines(t, f), view(t, f)...)
			if want == nil {
				want = got
			} else if !slices.Equal(got, want) {
				t.Errorf("read differs:\n got %q\nwant %q", got, want)
			}
			if b, err := fs.ReadFile(f, "bin/app2"); err != nil || string(b) != "app x" {
				t.Errorf("bin/app2: %q %v", b, err)
			}
			if vs := f.Versions("etc/secret"); len(vs) != 1 || vs[0].Layer != 0 {
				t.Errorf("versions of the deleted secret: %+v", vs)
			}
			last := prog[len(prog)-1]
			if !last.Done || last.Layers != 2 || last.Layer != 2 || last.Bytes == 0 || last.Image != tc.ref {
				t.Errorf("progress %+v", prog)
			}
			if tc.source != "docker-archive" && last.Bytes != last.Total {
				t.Errorf("progress bytes %d of %d", last.Bytes, last.Total)
			}
		})
	}
}

func TestPlatforms(t *testing.T) {
	plats := []v1.Platform{{OS: "linux", Architecture: "amd64"}, {OS: "linux", Architecture: "arm64", Variant: "v8"}, {OS: "linux", Architecture: "arm", Variant: "v7"}}
	var adds []mutate.IndexAddendum
	for _, p := range plats {
		p := p
		adds = append(adds, mutate.IndexAddendum{Add: testImage(t, p, p.Architecture), Descriptor: v1.Descriptor{Platform: &p}})
	}
	att := testImage(t, v1.Platform{OS: "unknown", Architecture: "unknown"}, "att")
	adds = append(adds, mutate.IndexAddendum{Add: att, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "unknown", Architecture: "unknown"}, Annotations: map[string]string{"vnd.docker.reference.type": "attestation-manifest"}}})
	idx := mutate.IndexMediaType(mutate.AppendManifests(empty.Index, adds...), types.OCIImageIndex)
	flat := writeLayout(t, idx)
	nested := writeLayout(t, mutate.AppendManifests(empty.Index, mutate.IndexAddendum{Add: idx}))
	host := loopbackRegistry(t)
	ref := host + "/multi/app:1"
	if err := remote.WriteIndex(mustRef(t, ref), idx); err != nil {
		t.Fatal(err)
	}
	for _, src := range []string{flat, nested, ref} {
		for _, tc := range []struct {
			platform string
			all      bool
			want     []string
			err      string
		}{
			{platform: "linux/arm64", want: []string{"linux/arm64/v8"}},
			{platform: "linux/arm64/v8", want: []string{"linux/arm64/v8"}},
			{platform: "linux/arm/v7", want: []string{"linux/arm/v7"}},
			{platform: "", want: []string{"linux/amd64"}}, // the host's (tests run on linux/amd64 or fail loudly below)
			{all: true, want: []string{"linux/amd64", "linux/arm64/v8", "linux/arm/v7"}},
			{platform: "linux/s390x", err: "no image for platform linux/s390x in the index (present: linux/amd64, linux/arm64/v8, linux/arm/v7)"},
			{platform: "linux/arm/v6", err: "present: linux/amd64"},
			{platform: "linux", err: "invalid platform"},
		} {
			if tc.platform == "" && !tc.all && (hostOS() != "linux/amd64") {
				continue
			}
			imgs, err := Open(context.Background(), src, Options{Platform: tc.platform, AllPlatforms: tc.all, Insecure: []string{host}})
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Errorf("%s %s: error %v, want %q", src, tc.platform, err, tc.err)
				}
				continue
			}
			if err != nil {
				t.Errorf("%s %s: %v", src, tc.platform, err)
				continue
			}
			var got []string
			for _, im := range imgs {
				got = append(got, im.Platform)
				if !strings.HasSuffix(im.Config.Env[1], "="+strings.Split(im.Platform, "/")[1]) {
					t.Errorf("%s: wrong image for %s: %v", src, im.Platform, im.Config.Env)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("%s %q all=%v: %q, want %q", src, tc.platform, tc.all, got, tc.want)
			}
		}
	}
}

func mustRef(t testing.TB, s string) name.Reference {
	t.Helper()
	r, err := name.ParseReference(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func hostOS() string {
	p, _ := wantPlatform("")
	return platformString(p)
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for ref, want := range map[string]string{
		"./missing.tar":             "no such file",
		filepath.Join(dir, "x.tar"): "no such file",
		dir:                         "not an OCI image layout",
	} {
		if _, err := Open(ctx, ref, Options{}); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", ref, err, want)
		}
	}
	notImage := filepath.Join(dir, "n.tar")
	if err := os.WriteFile(notImage, layerTar(t, file("hello", "x")), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(ctx, notImage, Options{}); err == nil || !strings.Contains(err.Error(), "not an image archive") {
		t.Errorf("plain tar: %v", err)
	}
}

// TestCorruptBlob: a layer whose content does not match its digest fails to read.
func TestCorruptBlob(t *testing.T) {
	img := testImage(t, v1.Platform{OS: "linux", Architecture: "amd64"}, "x")
	lay := writeLayout(t, mutate.AppendManifests(empty.Index, mutate.IndexAddendum{Add: img}))
	im := openOne(t, lay, Options{})
	p := filepath.Join(lay, "blobs", "sha256", strings.TrimPrefix(im.Layers[1].Digest, "sha256:"))
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)-1] ^= 0xff
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = im.Read(context.Background(), Options{TempDir: t.TempDir()})
	var le *LayerError
	if !errors.As(err, &le) || le.Layer != im.Layers[1].Digest {
		t.Errorf("corrupt blob: %v", err)
	}
}

// TestInsecureRegistry: a plain-HTTP registry is reached only when its host is in
// Options.Insecure (127.0.0.2: go-containerregistry reaches 127.0.0.1 over HTTP by
// itself).
func TestInsecureRegistry(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("no 127.0.0.2 here: %v", err)
	}
	s := httptest.NewUnstartedServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	s.Listener.Close()
	s.Listener = ln
	s.Start()
	defer s.Close()
	host := strings.TrimPrefix(s.URL, "http://")
	ref := host + "/plain/app:1"
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(r, testImage(t, v1.Platform{OS: "linux", Architecture: "amd64"}, "x")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := Open(ctx, ref, Options{}); err == nil {
		t.Fatal("plain HTTP without Insecure")
	}
	imgs, err := Open(ctx, ref, Options{Insecure: []string{host}})
	if err != nil {
		t.Fatal(err)
	}
	f, err := imgs[0].Read(ctx, Options{Keep: keepAll, TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if b, err := fs.ReadFile(f, "usr/bin/app"); err != nil || string(b) != "app x" {
		t.Errorf("usr/bin/app: %q %v", b, err)
	}
}

// TestLayoutSymlinkEscape: a layout's blob that is a symlink out of the layout is
// not followed.
func TestLayoutSymlinkEscape(t *testing.T) {
	img := testImage(t, v1.Platform{OS: "linux", Architecture: "amd64"}, "x")
	lay := writeLayout(t, mutate.AppendManifests(empty.Index, mutate.IndexAddendum{Add: img}))
	im := openOne(t, lay, Options{})
	outside := filepath.Join(t.TempDir(), "outside")
	p := filepath.Join(lay, "blobs", "sha256", strings.TrimPrefix(im.Layers[0].Digest, "sha256:"))
	if err := os.Rename(p, outside); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, p); err != nil {
		t.Fatal(err)
	}
	if _, err := im.Read(context.Background(), Options{TempDir: t.TempDir()}); err == nil {
		t.Fatal("a blob outside the layout was read")
	}
}

func TestDockerArchiveOfSeveralImages(t *testing.T) {
	a := testImage(t, v1.Platform{OS: "linux", Architecture: "amd64"}, "a")
	b := testImage(t, v1.Platform{OS: "linux", Architecture: "arm64"}, "b")
	p := filepath.Join(t.TempDir(), "two.tar")
	ta, _ := name.NewTag("test/a:1")
	tb, _ := name.NewTag("test/b:1")
	if err := tarball.MultiWriteToFile(p, map[name.Tag]v1.Image{ta: a, tb: b}); err != nil {
		t.Fatal(err)
	}
	imgs, err := Open(context.Background(), p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, im := range imgs {
		got = append(got, im.Platform+" "+im.Config.Env[1])
	}
	slices.Sort(got)
	if want := []string{"linux/amd64 MODE=a", "linux/arm64 MODE=b"}; !slices.Equal(got, want) {
		t.Errorf("images %q, want %q", got, want)
	}
}

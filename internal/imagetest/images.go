package imagetest

import (
	"archive/tar"
	"compress/gzip"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// builderVersion is part of every image cache key: change it when the images change.
const builderVersion = "imagetest images 1"

// The layers of the test image, base first.
const (
	LayerDebian = iota // the Debian root filesystem
	LayerApp           // /app: the Go binary and the npm project
	LayerSecret        // adds SecretFiles
	LayerDelete        // deletes them (whiteouts)
)

// Paths inside the test image.
const (
	// GoAppPath is the Go binary (in both platforms' images).
	GoAppPath = "/app/goapp"
	// NPMAppPath is the npm project (package.json, package-lock.json, node_modules).
	NPMAppPath = "/app"
	// DockerTag is the tag the docker-save archive records.
	DockerTag = "palisade.test/imagetest/app:1"
)

// Config is the test image's configuration (linux/amd64).
var Config = v1.Config{
	User:       "root",
	Env:        []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "APP_ENV=test", "NODE_PATH=/app/node_modules"},
	Entrypoint: []string{GoAppPath},
	Cmd:        []string{"serve"},
	WorkingDir: "/app",
	ExposedPorts: map[string]struct{}{
		"8080/tcp": {},
	},
	Labels: map[string]string{"org.opencontainers.image.title": "palisade imagetest"},
}

// ARM64User is the user of the linux/arm64 image (a non-root one).
const ARM64User = "65532:65532"

// SecretFiles are the credential files LayerSecret adds and LayerDelete deletes.
var SecretFiles = []SecretFile{
	{Path: "/root/.ssh/id_ed25519", Layer: LayerSecret, DeletedIn: LayerDelete},
	{Path: "/root/.aws/credentials", Layer: LayerSecret, DeletedIn: LayerDelete},
}

// Inputs are the artifacts an image set is built from.
type Inputs struct {
	RootFS         string // hack/debian-rootfs.sh's root filesystem
	Go, GoARM64    *GoBinary
	NPM            *NPMTree
	CacheDirectory string // "" is CacheDir()
}

// Set is the test image in every form, and the ground truth of what it holds.
type Set struct {
	// Layout is an OCI image layout directory holding the linux/amd64 image (its
	// index.json names the manifest directly).
	Layout string
	// IndexLayout is an OCI image layout whose index.json names a two-platform image
	// index (linux/amd64: the image of Layout; linux/arm64: the Go binary alone, as
	// BuildKit writes a multi-platform build).
	IndexLayout string
	// OCIArchive is Layout as a tar archive (BuildKit's type=oci output).
	OCIArchive string
	// DockerArchive is a `docker save` archive of the linux/amd64 image, tagged
	// DockerTag.
	DockerArchive string

	// Image and ARM64 are the two images, Index the index (read from the layouts).
	Image, ARM64 v1.Image
	Index        v1.ImageIndex

	Truth Truth
}

// Truth is what the images hold, from the tools that made their contents.
type Truth struct {
	RootFS string
	// Deb is what dpkg-query says is installed in the root filesystem.
	Deb []DebPackage
	// OSRelease is the root filesystem's os-release.
	OSRelease map[string]string
	// Go is the binary at GoAppPath of the linux/amd64 image, GoARM64 that of the
	// linux/arm64 one (go version -m).
	Go, GoARM64 *GoBinary
	// NPM is the tree under NPMAppPath (npm ls --all --json).
	NPM *NPMTree
}

// Images is the test image set, built from the Debian root filesystem
// (PALISADE_DEBIAN_ROOTFS), testdata/goapp and testdata/npmapp, or read from the
// cache. It skips (or fails, see Required) when an input is unavailable, and under
// -short.
func Images(t testing.TB) *Set {
	t.Helper()
	in := Inputs{RootFS: DebianRootFS(t), Go: GoApp(t, "amd64"), GoARM64: GoApp(t, "arm64"), NPM: NPMApp(t)}
	s, err := Build(in)
	if err != nil {
		t.Fatalf("building the test images: %v", err)
	}
	return s
}

// Build writes the image set of in into the cache (keyed by every input's content)
// or finds it there.
func Build(in Inputs) (*Set, error) {
	cache := in.CacheDirectory
	if cache == "" {
		cache = CacheDir()
	}
	debs, err := DpkgTruth(in.RootFS)
	if err != nil {
		return nil, err
	}
	osr, err := OSRelease(in.RootFS)
	if err != nil {
		return nil, err
	}
	var installed []DebPackage
	for _, p := range debs {
		if p.Installed() {
			installed = append(installed, p)
		}
	}
	abs, err := filepath.Abs(in.RootFS)
	if err != nil {
		return nil, err
	}
	key, err := hashFiles([]string{
		DpkgTruthFile(in.RootFS), filepath.Join(filepath.Dir(abs), "BUILD-INFO"),
		in.Go.File, in.GoARM64.File,
		filepath.Join(in.NPM.Dir, "package-lock.json"), filepath.Join(filepath.Dir(in.NPM.Dir), "npm-ls.json"),
	}, builderVersion, abs)
	if err != nil {
		return nil, err
	}
	dest := filepath.Join(cache, "images-"+key)
	if !done(dest) {
		if err := os.MkdirAll(cache, 0o755); err != nil {
			return nil, err
		}
		tmp, err := tempDir(cache, ".images-")
		if err != nil {
			return nil, err
		}
		logf("building the test images (Debian root filesystem, Go binary, npm tree) into %s", dest)
		if err := buildSet(in, tmp); err != nil {
			os.RemoveAll(tmp)
			return nil, err
		}
		if err := publish(tmp, dest); err != nil {
			return nil, err
		}
		prune(cache, "images-", dest)
	}
	s := &Set{
		Layout:        filepath.Join(dest, "oci-layout"),
		IndexLayout:   filepath.Join(dest, "oci-index"),
		OCIArchive:    filepath.Join(dest, "image.oci.tar"),
		DockerArchive: filepath.Join(dest, "image.docker.tar"),
		Truth:         Truth{RootFS: in.RootFS, Deb: installed, OSRelease: osr, Go: in.Go, GoARM64: in.GoARM64, NPM: in.NPM},
	}
	if s.Image, err = layoutImage(s.Layout); err != nil {
		return nil, err
	}
	ii, err := layout.ImageIndexFromPath(s.IndexLayout)
	if err != nil {
		return nil, err
	}
	im, err := ii.IndexManifest()
	if err != nil {
		return nil, err
	}
	if len(im.Manifests) != 1 {
		return nil, fmt.Errorf("%s: %d manifests in index.json, want 1", s.IndexLayout, len(im.Manifests))
	}
	if s.Index, err = ii.ImageIndex(im.Manifests[0].Digest); err != nil {
		return nil, err
	}
	if s.ARM64, err = platformImage(s.Index, "arm64"); err != nil {
		return nil, err
	}
	return s, nil
}

// layoutImage is the one image of an OCI layout directory.
func layoutImage(dir string) (v1.Image, error) {
	ii, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		return nil, err
	}
	im, err := ii.IndexManifest()
	if err != nil {
		return nil, err
	}
	if len(im.Manifests) != 1 {
		return nil, fmt.Errorf("%s: %d manifests in index.json, want 1", dir, len(im.Manifests))
	}
	return ii.Image(im.Manifests[0].Digest)
}

func platformImage(idx v1.ImageIndex, arch string) (v1.Image, error) {
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	for _, d := range im.Manifests {
		if d.Platform != nil && d.Platform.Architecture == arch {
			return idx.Image(d.Digest)
		}
	}
	return nil, fmt.Errorf("no linux/%s image in the index", arch)
}

// buildSet writes every form of the image set into dir.
func buildSet(in Inputs, dir string) error {
	layers := filepath.Join(dir, "layers")
	if err := os.MkdirAll(layers, 0o755); err != nil {
		return err
	}
	base, err := writeLayer(filepath.Join(layers, "debian.tar.gz"), gzip.DefaultCompression, func(w *layerWriter) error {
		return w.tree(in.RootFS, "", nil)
	})
	if err != nil {
		return err
	}
	app, err := appLayer(filepath.Join(layers, "app.tar.gz"), in.Go, in.NPM)
	if err != nil {
		return err
	}
	secret, err := writeLayer(filepath.Join(layers, "secret.tar.gz"), gzip.DefaultCompression, func(w *layerWriter) error {
		return w.files(
			file{name: "root/", mode: 0o700},
			file{name: "root/.ssh/", mode: 0o700},
			file{name: "root/.ssh/id_ed25519", mode: 0o600, data: fakePrivateKey()},
			file{name: "root/.aws/", mode: 0o755},
			file{name: "root/.aws/credentials", mode: 0o600, data: fakeAWSCredentials()},
		)
	})
	if err != nil {
		return err
	}
	// A file's whiteout (.wh.NAME) and a directory's (the whole of /root/.aws).
	del, err := writeLayer(filepath.Join(layers, "delete.tar.gz"), gzip.DefaultCompression, func(w *layerWriter) error {
		return w.files(
			file{name: "root/", mode: 0o700},
			file{name: "root/.ssh/", mode: 0o700},
			file{name: "root/.ssh/.wh.id_ed25519", mode: 0o600},
			file{name: "root/.wh..aws", mode: 0o600},
		)
	})
	if err != nil {
		return err
	}
	img, err := image("amd64", Config, []v1.Layer{base, app, secret, del}, []v1.History{
		{CreatedBy: "debootstrap --variant=minbase --include=openssh-server,ca-certificates bookworm / (hack/debian-rootfs.sh)"},
		{CreatedBy: "ENV APP_ENV=test NODE_PATH=/app/node_modules", EmptyLayer: true},
		{CreatedBy: "COPY goapp package.json package-lock.json node_modules /app/ # buildkit"},
		{CreatedBy: "COPY credentials /root/ # buildkit"},
		{CreatedBy: "RUN /bin/sh -c rm -rf /root/.ssh/id_ed25519 /root/.aws # buildkit"},
		{CreatedBy: "USER root", EmptyLayer: true},
		{CreatedBy: `ENTRYPOINT ["/app/goapp"]`, EmptyLayer: true},
	})
	if err != nil {
		return err
	}
	armApp, err := writeLayer(filepath.Join(layers, "app-arm64.tar.gz"), gzip.DefaultCompression, func(w *layerWriter) error {
		return goLayer(w, in.GoARM64)
	})
	if err != nil {
		return err
	}
	armCfg := Config
	armCfg.User = ARM64User
	armCfg.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin"}
	arm, err := image("arm64", armCfg, []v1.Layer{armApp}, []v1.History{
		{CreatedBy: "COPY goapp /app/ # buildkit"},
		{CreatedBy: "USER " + ARM64User, EmptyLayer: true},
	})
	if err != nil {
		return err
	}
	idx := mutate.AppendManifests(mutate.IndexMediaType(empty.Index, types.OCIImageIndex),
		mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
		mutate.IndexAddendum{Add: arm, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm64"}}},
	)

	// The forms.
	single, err := layout.Write(filepath.Join(dir, "oci-layout"), empty.Index)
	if err != nil {
		return err
	}
	if err := single.AppendImage(img, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": "1"})); err != nil {
		return err
	}
	multi, err := layout.Write(filepath.Join(dir, "oci-index"), empty.Index)
	if err != nil {
		return err
	}
	if err := multi.AppendIndex(idx, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": "multi"})); err != nil {
		return err
	}
	if err := tarDir(filepath.Join(dir, "oci-layout"), filepath.Join(dir, "image.oci.tar")); err != nil {
		return err
	}
	tag, err := name.NewTag(DockerTag)
	if err != nil {
		return err
	}
	if err := tarball.WriteToFile(filepath.Join(dir, "image.docker.tar"), tag, img); err != nil {
		return err
	}
	if err := os.RemoveAll(layers); err != nil {
		return err
	}
	return markDone(dir)
}

// appLayer is /app: the Go binary and the npm project, owned by root (COPY).
func appLayer(file string, bin *GoBinary, npm *NPMTree) (v1.Layer, error) {
	return writeLayer(file, gzip.DefaultCompression, func(w *layerWriter) error {
		if err := goLayer(w, bin); err != nil {
			return err
		}
		return w.tree(npm.Dir, "app/", &owner{})
	})
}

// goLayer writes app/ and the binary app/goapp.
func goLayer(w *layerWriter, bin *GoBinary) error {
	if err := w.files(file{name: "app/", mode: 0o755}); err != nil {
		return err
	}
	fi, err := os.Stat(bin.File)
	if err != nil {
		return err
	}
	f, err := os.Open(bin.File)
	if err != nil {
		return err
	}
	defer f.Close()
	return w.entry(modeInfo{fi, 0o755}, "app/goapp", "", f, &owner{}, "")
}

// modeInfo is a FileInfo with other permission bits.
type modeInfo struct {
	fs.FileInfo
	perm fs.FileMode
}

func (m modeInfo) Mode() fs.FileMode { return m.FileInfo.Mode()&^fs.ModePerm | m.perm }

// image assembles an OCI image of linux/arch.
func image(arch string, cfg v1.Config, layers []v1.Layer, history []v1.History) (v1.Image, error) {
	img, err := mutate.AppendLayers(mutate.MediaType(empty.Image, types.OCIManifestSchema1), layers...)
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.Architecture, cf.OS = arch, "linux"
	cf.Config = cfg
	cf.Created = v1.Time{Time: epoch}
	for i := range history {
		history[i].Created = v1.Time{Time: epoch}
	}
	cf.History = history
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return nil, err
	}
	return mutate.ConfigMediaType(img, types.OCIConfigJSON), nil
}

// tarDir writes dir's files into a tar archive (regular files and directories).
func tarDir(dir, out string) error {
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(f)
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || path == dir {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		h, err := tar.FileInfoHeader(fi, "")
		if err != nil {
			return err
		}
		h.Name = filepath.ToSlash(rel)
		if d.IsDir() {
			h.Name += "/"
		}
		h.Uid, h.Gid, h.Uname, h.Gname = 0, 0, "", ""
		h.ModTime, h.AccessTime, h.ChangeTime = epoch, time.Time{}, time.Time{}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if d.Type().IsRegular() {
			src, err := os.Open(path)
			if err != nil {
				return err
			}
			defer src.Close()
			if _, err := io.Copy(tw, src); err != nil {
				return err
			}
		}
		return nil
	})
	if cerr := tw.Close(); err == nil {
		err = cerr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// BuildStandard builds (or finds in the cache) the standard test image set outside a
// test, for the benchmark programs: the Debian root filesystem at rootfs, or, when
// rootfs is "", the one hack/debian-rootfs.sh finds or builds; the Go binaries for
// amd64 and arm64 and the npm tree. progress receives a line per step. It returns the
// set and the amd64 Go binary in it.
func BuildStandard(rootfs string, progress func(string)) (*Set, *GoBinary, error) {
	if rootfs == "" {
		progress("finding or building the Debian root filesystem (hack/debian-rootfs.sh)")
		cmd := exec.Command(filepath.Join(moduleRoot(), "hack", "debian-rootfs.sh"))
		cmd.Stderr = os.Stderr
		out, err := cmd.Output()
		if err != nil {
			return nil, nil, fmt.Errorf("hack/debian-rootfs.sh: %w", err)
		}
		rootfs = strings.TrimSpace(string(out))
	}
	if err := CheckRootFS(rootfs); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", rootfs, err)
	}
	progress("building or finding the Go binaries, the npm tree and the test images")
	goAMD, err := BuildGoApp("amd64")
	if err != nil {
		return nil, nil, err
	}
	goARM, err := BuildGoApp("arm64")
	if err != nil {
		return nil, nil, err
	}
	npm, err := InstallNPMApp()
	if err != nil {
		return nil, nil, err
	}
	set, err := Build(Inputs{RootFS: rootfs, Go: goAMD, GoARM64: goARM, NPM: npm})
	return set, goAMD, err
}

package main

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// The user the image runs as: numeric, so that a pod with runAsNonRoot and no
// runAsUser is admitted by the kubelet (it cannot check a user name), and the same as
// distroless's nonroot user and the runAsUser/runAsGroup of deploy/ and the chart.
const (
	uid  = 65532
	user = "65532:65532"
	// binDir holds the binaries; the first binary is the entrypoint.
	binDir = "/usr/local/bin"
)

// passwd and group name root and nonroot (as distroless static:nonroot does), so
// that tools and the Go runtime resolving the user find an entry; neither has a shell.
const (
	passwd = "root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"
	group  = "root:x:0:\nnonroot:x:65532:\n"
)

// Binary is one program of the image: its file name in binDir and its main package.
type Binary struct {
	Name    string // file name in /usr/local/bin, e.g. "palisade"
	Package string // main package, e.g. "./cmd/palisade"
}

// Meta is what the image says about itself: OCI labels and annotations, the layout's
// reference name, and the time stamped on every file and on the config.
type Meta struct {
	Version  string    // org.opencontainers.image.version, stamped into the binary too
	Revision string    // org.opencontainers.image.revision (a commit)
	Source   string    // org.opencontainers.image.source (the repository URL)
	Created  time.Time // SOURCE_DATE_EPOCH: file times and the config's created
}

func (m Meta) labels() map[string]string {
	l := map[string]string{
		"org.opencontainers.image.title":       "palisade",
		"org.opencontainers.image.description": "Kubernetes security scanner and admission webhook",
		"org.opencontainers.image.licenses":    "Apache-2.0",
		"org.opencontainers.image.source":      m.Source,
		"org.opencontainers.image.version":     m.Version,
		"org.opencontainers.image.revision":    m.Revision,
		"org.opencontainers.image.created":     m.Created.UTC().Format(time.RFC3339),
	}
	for k, v := range l {
		if v == "" {
			delete(l, k)
		}
	}
	return l
}

// Compile builds each binary statically for platform (CGO_ENABLED=0, -trimpath, no
// VCS stamp, version linked in) into dir and returns the files in the order given.
// The go command's builds are reproducible: the same source, toolchain and flags give
// the same bytes.
func Compile(goCmd, moduleDir, dir string, p v1.Platform, bins []Binary, version string) ([]string, error) {
	var files []string
	for _, b := range bins {
		out, err := filepath.Abs(filepath.Join(dir, p.OS+"_"+p.Architecture, b.Name))
		if err != nil {
			return nil, err
		}
		ldflags := "-s -w"
		if version != "" {
			ldflags += " -X github.com/palisade-k8s/palisade/internal/cli.Version=" + version
		}
		cmd := exec.Command(goCmd, "build", "-trimpath", "-buildvcs=false", "-ldflags", ldflags, "-o", out, b.Package)
		cmd.Dir = moduleDir
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+p.OS, "GOARCH="+p.Architecture, "GOFLAGS=-mod=readonly")
		if p.Variant != "" && p.Architecture == "arm" {
			cmd.Env = append(cmd.Env, "GOARM="+strings.TrimPrefix(p.Variant, "v"))
		}
		if msg, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("go build %s for %s/%s: %v\n%s", b.Package, p.OS, p.Architecture, err, msg)
		}
		files = append(files, out)
	}
	return files, nil
}

// Image assembles the image of one platform from its binaries (paths; the first is
// the entrypoint): one layer with /etc/passwd, /etc/group, /tmp and the binaries, and
// nothing else (no shell, no package manager). Every byte depends only on the
// binaries, the platform and meta.
func Image(p v1.Platform, binaries []string, meta Meta) (v1.Image, error) {
	if len(binaries) == 0 {
		return nil, errors.New("image: no binary")
	}
	layerTar, err := rootfs(binaries, meta.Created)
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar)), nil
	}, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, err
	}
	created := v1.Time{Time: meta.Created.UTC()}
	img := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	img, err = mutate.Append(img, mutate.Addendum{
		Layer:     layer,
		MediaType: types.OCILayer,
		History:   v1.History{Created: created, CreatedBy: "tools/ociimage", Comment: "palisade binaries, /etc/passwd, /etc/group, /tmp"},
	})
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.Architecture, cf.OS, cf.Variant, cf.Created = p.Architecture, p.OS, p.Variant, created
	cf.Config = v1.Config{
		User:       user,
		Entrypoint: []string{path.Join(binDir, filepath.Base(binaries[0]))},
		Env:        []string{"PATH=" + binDir},
		WorkingDir: "/",
		Labels:     meta.labels(),
	}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return nil, err
	}
	return mutate.Annotations(img, meta.labels()).(v1.Image), nil
}

// Index is the multi-platform image: one manifest per platform.
func Index(images map[string]v1.Image, platforms []v1.Platform, meta Meta) v1.ImageIndex {
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	var adds []mutate.IndexAddendum
	for _, p := range platforms {
		adds = append(adds, mutate.IndexAddendum{Add: images[p.String()], Descriptor: v1.Descriptor{Platform: &p}})
	}
	idx = mutate.AppendManifests(idx, adds...)
	return mutate.Annotations(idx, meta.labels()).(v1.ImageIndex)
}

// WriteLayout writes idx as a new OCI image layout in dir, its descriptor named
// refName (org.opencontainers.image.ref.name, the tag skopeo and crane read). dir must
// not exist or be an earlier layout, which is replaced.
func WriteLayout(dir string, idx v1.ImageIndex, refName string) error {
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		if _, err := os.Stat(filepath.Join(dir, "oci-layout")); err != nil {
			return fmt.Errorf("%s exists and is not an OCI image layout; not replacing it", dir)
		}
		if err := os.RemoveAll(dir); err != nil {
			return err
		}
	}
	lp, err := layout.Write(dir, empty.Index)
	if err != nil {
		return err
	}
	var opts []layout.Option
	if refName != "" {
		opts = append(opts, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": refName}))
	}
	return lp.AppendIndex(idx, opts...)
}

// rootfs is the layer's tar: directories, then files, sorted, all owned by root (the
// binaries are not writable by the user the image runs as) and stamped with mtime.
func rootfs(binaries []string, mtime time.Time) ([]byte, error) {
	type entry struct {
		name string
		mode int64
		data []byte
		dir  bool
		uid  int
	}
	entries := []entry{
		{name: "etc/", mode: 0o755, dir: true},
		{name: "home/", mode: 0o755, dir: true},
		{name: "home/nonroot/", mode: 0o700, dir: true, uid: uid},
		{name: "tmp/", mode: 0o1777, dir: true},
		{name: "usr/", mode: 0o755, dir: true},
		{name: "usr/local/", mode: 0o755, dir: true},
		{name: "usr/local/bin/", mode: 0o755, dir: true},
		{name: "etc/group", mode: 0o644, data: []byte(group)},
		{name: "etc/passwd", mode: 0o644, data: []byte(passwd)},
	}
	for _, b := range binaries {
		data, err := os.ReadFile(b)
		if err != nil {
			return nil, err
		}
		entries = append(entries, entry{name: strings.TrimPrefix(path.Join(binDir, filepath.Base(b)), "/"), mode: 0o755, data: data})
	}
	sort.SliceStable(entries, func(i, j int) bool {
		if entries[i].dir != entries[j].dir {
			return entries[i].dir
		}
		return entries[i].name < entries[j].name
	})
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Mode: e.mode, ModTime: mtime.UTC(), Uid: e.uid, Gid: e.uid, Format: tar.FormatPAX}
		if e.dir {
			h.Typeflag = tar.TypeDir
		} else {
			h.Typeflag, h.Size = tar.TypeReg, int64(len(e.data))
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(e.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

package image

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/palisade-k8s/palisade/internal/inventory"
)

const (
	maxJSONBlob     = 4 << 20 // an index, manifest or config
	maxIndexDepth   = 4       // nested indexes
	maxArchiveFiles = 100_000 // entries of an OCI or docker archive
	maxLayers       = 1000
)

func open(ctx context.Context, ref string, o Options) ([]*Image, error) {
	st, err := os.Stat(ref)
	switch {
	case err == nil && st.IsDir():
		root, err := os.OpenRoot(ref)
		if err != nil {
			return nil, err
		}
		s := &dirStore{root: root}
		if !s.has("oci-layout") || !s.has("index.json") {
			_ = root.Close()
			return nil, fmt.Errorf("%s: not an OCI image layout (no oci-layout and index.json; a root filesystem is read with --rootfs)", ref)
		}
		defer root.Close()
		return openOCI(ref, "oci-layout", s, o)
	case err == nil:
		idx, err := indexArchive(ref)
		if err != nil {
			return nil, err
		}
		if idx.has("oci-layout") && idx.has("index.json") {
			return openOCI(ref, "oci-archive", idx, o)
		}
		if idx.has("manifest.json") {
			return openDocker(ref, idx)
		}
		return nil, fmt.Errorf("%s: not an image archive (no index.json or manifest.json)", ref)
	case looksLikePath(ref):
		return nil, err
	}
	return openRemote(ctx, ref, o)
}

// looksLikePath keeps a mistyped file name from becoming a registry request.
func looksLikePath(ref string) bool {
	for _, p := range []string{"/", "./", "../", "~"} {
		if strings.HasPrefix(ref, p) {
			return true
		}
	}
	for _, s := range []string{".tar", ".tar.gz", ".tgz", ".oci"} {
		if strings.HasSuffix(ref, s) {
			return true
		}
	}
	return false
}

// store reads the files of an OCI layout: a directory or a tar archive.
type store interface {
	has(name string) bool
	open(name string) (io.ReadCloser, int64, error)
}

type dirStore struct{ root *os.Root }

func (s *dirStore) has(name string) bool {
	st, err := s.root.Stat(name)
	return err == nil && st.Mode().IsRegular()
}

func (s *dirStore) open(name string) (io.ReadCloser, int64, error) {
	f, err := s.root.Open(name)
	if err != nil {
		return nil, 0, err
	}
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		_ = f.Close()
		return nil, 0, fmt.Errorf("%s: not a regular file", name)
	}
	return f, st.Size(), nil
}

// archiveIndex is where each regular file of a tar archive is: the archive is read
// in place (io.SectionReader), never extracted.
type archiveIndex struct {
	path  string
	files map[string][2]int64 // offset, size
	links map[string]string   // symlinks (docker save links duplicate layers)
}

func indexArchive(file string) (*archiveIndex, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	idx := &archiveIndex{path: file, files: map[string][2]int64{}, links: map[string]string{}}
	tr := tar.NewReader(f)
	for n := 0; ; n++ {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: not a tar archive: %w", file, err)
		}
		if n >= maxArchiveFiles {
			return nil, fmt.Errorf("%s: more than %d entries", file, maxArchiveFiles)
		}
		name := path.Clean(strings.TrimPrefix(hdr.Name, "./"))
		switch hdr.Typeflag {
		case tar.TypeSymlink:
			idx.links[name] = path.Join(path.Dir(name), hdr.Linkname)
			continue
		case tar.TypeLink:
			idx.links[name] = path.Clean(hdr.Linkname)
			continue
		case tar.TypeReg: // archive/tar reads TypeRegA as TypeReg
		default:
			continue
		}
		// archive/tar reads headers straight from f: the file offset now is the
		// start of the entry's content.
		off, err := f.Seek(0, io.SeekCurrent)
		if err != nil {
			return nil, err
		}
		idx.files[name] = [2]int64{off, hdr.Size}
	}
	return idx, nil
}

func (a *archiveIndex) has(name string) bool { _, ok := a.files[a.resolve(name)]; return ok }

// resolve follows the archive's links (bounded); names stay inside the archive.
func (a *archiveIndex) resolve(name string) string {
	name = path.Clean(name)
	for i := 0; i < 8; i++ {
		t, ok := a.links[name]
		if !ok {
			break
		}
		name = t
	}
	return name
}

func (a *archiveIndex) open(name string) (io.ReadCloser, int64, error) {
	loc, ok := a.files[a.resolve(name)]
	if !ok {
		return nil, 0, fmt.Errorf("%s: no %s in the archive", a.path, name)
	}
	f, err := os.Open(a.path)
	if err != nil {
		return nil, 0, err
	}
	return struct {
		io.Reader
		io.Closer
	}{io.NewSectionReader(f, loc[0], loc[1]), f}, loc[1], nil
}

// blob opens a content-addressed blob, verifying its size and digest as it is read.
func blob(s store, d v1.Descriptor) (io.ReadCloser, error) {
	if d.Digest.Algorithm != "sha256" || len(d.Digest.Hex) != 64 {
		return nil, fmt.Errorf("unsupported digest %q", d.Digest)
	}
	if _, err := hex.DecodeString(d.Digest.Hex); err != nil {
		return nil, fmt.Errorf("invalid digest %q", d.Digest)
	}
	rc, size, err := s.open("blobs/sha256/" + d.Digest.Hex)
	if err != nil {
		return nil, err
	}
	if d.Size > 0 && size != d.Size {
		_ = rc.Close()
		return nil, fmt.Errorf("blob %s: size %d, the descriptor says %d", d.Digest, size, d.Size)
	}
	return &verifier{rc: rc, want: d.Digest.Hex, h: sha256.New()}, nil
}

type verifier struct {
	rc   io.ReadCloser
	want string
	h    interface {
		io.Writer
		Sum([]byte) []byte
	}
}

func (v *verifier) Read(b []byte) (int, error) {
	n, err := v.rc.Read(b)
	v.h.Write(b[:n])
	if err == io.EOF && hex.EncodeToString(v.h.Sum(nil)) != v.want {
		return n, fmt.Errorf("blob sha256:%s: digest mismatch", v.want)
	}
	return n, err
}

func (v *verifier) Close() error { return v.rc.Close() }

func readJSON(s store, d v1.Descriptor) ([]byte, error) {
	if d.Size > maxJSONBlob {
		return nil, fmt.Errorf("blob %s: %d bytes, over %d", d.Digest, d.Size, maxJSONBlob)
	}
	rc, err := blob(s, d)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, maxJSONBlob+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxJSONBlob {
		return nil, fmt.Errorf("blob %s: over %d bytes", d.Digest, maxJSONBlob)
	}
	return b, nil
}

func openOCI(ref, source string, s store, o Options) ([]*Image, error) {
	rc, _, err := s.open("index.json")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	raw, err := io.ReadAll(io.LimitReader(rc, maxJSONBlob))
	_ = rc.Close()
	if err != nil {
		return nil, fmt.Errorf("%s: index.json: %w", ref, err)
	}
	im, err := v1.ParseIndexManifest(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("%s: index.json: %w", ref, err)
	}
	manifest := func(d v1.Descriptor) (*v1.Manifest, *v1.ConfigFile, error) {
		b, err := readJSON(s, d)
		if err != nil {
			return nil, nil, err
		}
		m, err := v1.ParseManifest(bytes.NewReader(b))
		if err != nil {
			return nil, nil, fmt.Errorf("manifest %s: %w", d.Digest, err)
		}
		cb, err := readJSON(s, m.Config)
		if err != nil {
			return nil, nil, err
		}
		cfg, err := v1.ParseConfigFile(bytes.NewReader(cb))
		if err != nil {
			return nil, nil, fmt.Errorf("config %s: %w", m.Config.Digest, err)
		}
		return m, cfg, nil
	}
	w := walker{
		child: func(d v1.Descriptor) (*v1.IndexManifest, error) {
			b, err := readJSON(s, d)
			if err != nil {
				return nil, err
			}
			return v1.ParseIndexManifest(bytes.NewReader(b))
		},
		platform: func(d v1.Descriptor) (*v1.Platform, error) {
			_, cfg, err := manifest(d)
			if err != nil {
				return nil, err
			}
			return cfg.Platform(), nil
		},
	}
	descs, err := w.choose(ref, im, o)
	if err != nil {
		return nil, err
	}
	var out []*Image
	for _, d := range descs {
		m, cfg, err := manifest(d)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", ref, err)
		}
		img, err := newImage(ref, source, d.Digest.String(), m.Layers, cfg)
		if err != nil {
			return nil, err
		}
		for i, l := range m.Layers {
			img.layers[i].open = func(context.Context) (io.ReadCloser, error) { return blob(s.(reopenable).reopen(), l) }
		}
		out = append(out, img)
	}
	return out, nil
}

// reopenable gives a store that stays valid after Open returns (a layout
// directory's os.Root is closed then).
type reopenable interface{ reopen() store }

func (s *dirStore) reopen() store {
	return &lazyDirStore{dir: s.root.Name()}
}

func (a *archiveIndex) reopen() store { return a }

// lazyDirStore opens the layout directory again for each blob.
type lazyDirStore struct{ dir string }

func (l *lazyDirStore) has(name string) bool { return false }

func (l *lazyDirStore) open(name string) (io.ReadCloser, int64, error) {
	root, err := os.OpenRoot(l.dir)
	if err != nil {
		return nil, 0, err
	}
	defer root.Close()
	return (&dirStore{root: root}).open(name)
}

// newImage fills an Image's info from its manifest layers and config.
func newImage(ref, source, digest string, layers []v1.Descriptor, cfg *v1.ConfigFile) (*Image, error) {
	if len(layers) > maxLayers {
		return nil, fmt.Errorf("%s: %d layers, over %d", ref, len(layers), maxLayers)
	}
	if len(cfg.RootFS.DiffIDs) != len(layers) {
		return nil, fmt.Errorf("%s: the config lists %d layers, the manifest %d", ref, len(cfg.RootFS.DiffIDs), len(layers))
	}
	img := &Image{layers: make([]layerSource, len(layers))}
	img.Ref, img.Digest, img.Source = ref, digest, source
	img.Platform = platformString(cfg.Platform())
	for i, l := range layers {
		img.Layers = append(img.Layers, inventory.ImageLayer{Digest: l.Digest.String(), DiffID: cfg.RootFS.DiffIDs[i].String(), Size: l.Size})
		img.layers[i].size = l.Size
	}
	img.Config = configOf(cfg, img.Layers)
	return img, nil
}

func platformString(p *v1.Platform) string {
	if p == nil || p.OS == "" {
		return ""
	}
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// configOf is the runtime configuration and history; it names each layer's step.
func configOf(cfg *v1.ConfigFile, layers []inventory.ImageLayer) inventory.ImageConfig {
	c := cfg.Config
	out := inventory.ImageConfig{User: c.User, Env: c.Env, Labels: c.Labels, Entrypoint: c.Entrypoint, Cmd: c.Cmd, WorkingDir: c.WorkingDir}
	for p := range c.ExposedPorts {
		out.ExposedPorts = append(out.ExposedPorts, p)
	}
	sort.Strings(out.ExposedPorts)
	if !cfg.Created.IsZero() {
		out.Created = cfg.Created.UTC().Format(time.RFC3339)
	}
	li := 0
	for _, h := range cfg.History {
		ih := inventory.ImageHistory{CreatedBy: h.CreatedBy, Comment: h.Comment, EmptyLayer: h.EmptyLayer, Layer: -1}
		if !h.EmptyLayer {
			ih.Layer = li
			if li < len(layers) {
				layers[li].CreatedBy = h.CreatedBy
			}
			li++
		}
		out.History = append(out.History, ih)
	}
	return out
}

// walker flattens an index (nested indexes included) into its images.
type walker struct {
	child    func(v1.Descriptor) (*v1.IndexManifest, error)
	platform func(v1.Descriptor) (*v1.Platform, error) // when the descriptor has none
}

func (w walker) images(im *v1.IndexManifest, depth int) ([]v1.Descriptor, error) {
	if depth > maxIndexDepth {
		return nil, fmt.Errorf("indexes nested deeper than %d", maxIndexDepth)
	}
	var out []v1.Descriptor
	for _, d := range im.Manifests {
		switch {
		case d.MediaType.IsIndex():
			sub, err := w.child(d)
			if err != nil {
				return nil, err
			}
			imgs, err := w.images(sub, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, imgs...)
		case d.MediaType.IsImage():
			if d.Annotations["vnd.docker.reference.type"] == "attestation-manifest" {
				continue
			}
			if d.Platform == nil || d.Platform.OS == "" {
				p, err := w.platform(d)
				if err != nil {
					return nil, err
				}
				d.Platform = p
			}
			if d.Platform != nil && d.Platform.OS == "unknown" {
				continue
			}
			out = append(out, d)
		}
	}
	return out, nil
}

// choose picks the images of o's platform (or all of them).
func (w walker) choose(ref string, im *v1.IndexManifest, o Options) ([]v1.Descriptor, error) {
	all, err := w.images(im, 0)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	if len(all) == 0 {
		return nil, fmt.Errorf("%s: the index holds no image", ref)
	}
	if o.AllPlatforms || (len(all) == 1 && o.Platform == "") {
		return all, nil
	}
	want, err := wantPlatform(o.Platform)
	if err != nil {
		return nil, err
	}
	var best *v1.Descriptor
	for i := range all {
		p := all[i].Platform
		if p == nil || !platformMatch(*want, *p) {
			continue
		}
		if best == nil || (want.Variant == "" && p.Variant == "" && best.Platform.Variant != "") {
			best = &all[i]
		}
	}
	if best == nil {
		var have []string
		for _, d := range all {
			have = append(have, platformString(d.Platform))
		}
		return nil, fmt.Errorf("%s: no image for platform %s in the index (present: %s)", ref, platformString(want), strings.Join(have, ", "))
	}
	return []v1.Descriptor{*best}, nil
}

func wantPlatform(s string) (*v1.Platform, error) {
	if s == "" {
		return &v1.Platform{OS: runtime.GOOS, Architecture: runtime.GOARCH}, nil
	}
	p, err := v1.ParsePlatform(s)
	if err != nil || p.OS == "" || p.Architecture == "" {
		return nil, fmt.Errorf("invalid platform %q (want os/arch[/variant])", s)
	}
	return p, nil
}

// platformMatch: same OS and architecture; a wanted variant must be the image's
// (arm64 without a variant is v8).
func platformMatch(want, have v1.Platform) bool {
	if want.OS != have.OS || want.Architecture != have.Architecture {
		return false
	}
	if want.OSVersion != "" && want.OSVersion != have.OSVersion {
		return false
	}
	norm := func(p v1.Platform) string {
		if p.Architecture == "arm64" && p.Variant == "" {
			return "v8"
		}
		return p.Variant
	}
	return want.Variant == "" || norm(want) == norm(have)
}

// openRemote reads a registry reference; hosts in o.Insecure are reached over
// plain HTTP.
func openRemote(ctx context.Context, ref string, o Options) ([]*Image, error) {
	r, err := name.ParseReference(ref)
	if err != nil {
		return nil, fmt.Errorf("%s: not a file, an OCI layout or an image reference: %w", ref, err)
	}
	for _, h := range o.Insecure {
		if h == r.Context().RegistryStr() {
			if r, err = name.ParseReference(ref, name.Insecure); err != nil {
				return nil, err
			}
			break
		}
	}
	opts := func(ctx context.Context) []remote.Option {
		return []remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(authn.DefaultKeychain)}
	}
	repo := r.Context()
	desc, err := remote.Get(r, opts(ctx)...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	fromImage := func(digest string, img v1.Image) (*Image, error) {
		m, err := img.Manifest()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", ref, err)
		}
		cfg, err := img.ConfigFile()
		if err != nil {
			return nil, fmt.Errorf("%s: config: %w", ref, err)
		}
		out, err := newImage(ref, "registry", digest, m.Layers, cfg)
		if err != nil {
			return nil, err
		}
		for i, l := range m.Layers {
			out.layers[i].open = func(ctx context.Context) (io.ReadCloser, error) {
				rl, err := remote.Layer(repo.Digest(l.Digest.String()), opts(ctx)...)
				if err != nil {
					return nil, err
				}
				return rl.Compressed()
			}
		}
		return out, nil
	}
	if !desc.MediaType.IsIndex() {
		img, err := desc.Image()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", ref, err)
		}
		out, err := fromImage(desc.Digest.String(), img)
		if err != nil {
			return nil, err
		}
		return []*Image{out}, nil
	}
	idx, err := desc.ImageIndex()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	w := walker{
		child: func(d v1.Descriptor) (*v1.IndexManifest, error) {
			sub, err := remote.Index(repo.Digest(d.Digest.String()), opts(ctx)...)
			if err != nil {
				return nil, err
			}
			return sub.IndexManifest()
		},
		platform: func(d v1.Descriptor) (*v1.Platform, error) {
			img, err := remote.Image(repo.Digest(d.Digest.String()), opts(ctx)...)
			if err != nil {
				return nil, err
			}
			cfg, err := img.ConfigFile()
			if err != nil {
				return nil, err
			}
			return cfg.Platform(), nil
		},
	}
	descs, err := w.choose(ref, im, o)
	if err != nil {
		return nil, err
	}
	var out []*Image
	for _, d := range descs {
		img, err := remote.Image(repo.Digest(d.Digest.String()), opts(ctx)...)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", ref, err)
		}
		one, err := fromImage(d.Digest.String(), img)
		if err != nil {
			return nil, err
		}
		out = append(out, one)
	}
	return out, nil
}

// openDocker reads a `docker save` archive with go-containerregistry's tarball
// package. Its layers are stored uncompressed: a layer's digest is its diffID, and
// the image's digest is its config digest (the image ID docker prints), as such an
// archive has no manifest.
func openDocker(ref string, idx *archiveIndex) ([]*Image, error) {
	opener := func() (io.ReadCloser, error) { return os.Open(ref) }
	mf, err := tarball.LoadManifest(opener)
	if err != nil {
		return nil, fmt.Errorf("%s: manifest.json: %w", ref, err)
	}
	if len(mf) == 0 {
		return nil, fmt.Errorf("%s: manifest.json lists no image", ref)
	}
	var out []*Image
	for _, d := range mf {
		var tag *name.Tag
		if len(mf) > 1 {
			if len(d.RepoTags) == 0 {
				return nil, fmt.Errorf("%s: an archive of several images needs a tag for each", ref)
			}
			t, err := name.NewTag(d.RepoTags[0])
			if err != nil {
				return nil, fmt.Errorf("%s: %w", ref, err)
			}
			tag = &t
		}
		img, err := tarball.Image(opener, tag)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", ref, err)
		}
		cfg, err := img.ConfigFile()
		if err != nil {
			return nil, fmt.Errorf("%s: config: %w", ref, err)
		}
		cn, err := img.ConfigName()
		if err != nil {
			return nil, fmt.Errorf("%s: config: %w", ref, err)
		}
		if len(cfg.RootFS.DiffIDs) != len(d.Layers) {
			return nil, fmt.Errorf("%s: the config lists %d layers, manifest.json %d", ref, len(cfg.RootFS.DiffIDs), len(d.Layers))
		}
		descs := make([]v1.Descriptor, len(d.Layers))
		for i, p := range d.Layers {
			descs[i] = v1.Descriptor{Digest: cfg.RootFS.DiffIDs[i], Size: idx.files[idx.resolve(p)][1], MediaType: types.DockerUncompressedLayer}
		}
		one, err := newImage(ref, "docker-archive", cn.String(), descs, cfg)
		if err != nil {
			return nil, err
		}
		for i, p := range d.Layers {
			p := path.Clean(p)
			one.layers[i].open = func(context.Context) (io.ReadCloser, error) {
				rc, _, err := idx.open(p)
				return rc, err
			}
		}
		out = append(out, one)
	}
	return out, nil
}

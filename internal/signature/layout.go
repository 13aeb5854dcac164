package signature

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"strings"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Annotations of an OCI layout's index.json.
const (
	// AnnotationRefName names a manifest ("registry.example.com/app:1", or a bare
	// tag "1").
	AnnotationRefName = "org.opencontainers.image.ref.name"
	// annotationContainerdName is containerd's full name of an exported image.
	annotationContainerdName = "io.containerd.image.name"
	// annotationCosignKind marks the manifests of a layout written by cosign save
	// (dev.cosignproject.cosign/image, imageIndex, sigs, atts).
	annotationCosignKind = "kind"
)

// Bounds of a layout.
const (
	// maxLayoutIndexBytes bounds index.json.
	maxLayoutIndexBytes = 16 << 20
	// maxLayoutScanEntries and maxLayoutScanBytes bound the search of a cosign save
	// layout's blobs for referrer manifests (cosign does not list them in index.json);
	// maxLayoutScanBlob is the largest blob considered.
	maxLayoutScanEntries = 100_000
	maxLayoutScanBytes   = 64 << 20
	maxLayoutScanBlob    = 64 << 10
)

// LayoutOptions bound what a layout store reads.
type LayoutOptions struct {
	// MaxArtifactBytes bounds one manifest or signature layer read (0: 4 MiB);
	// MaxCandidates the candidates of one digest (0: 64).
	MaxArtifactBytes int64
	MaxCandidates    int
}

// layoutStore reads images' digests and signatures from an OCI image layout: the
// manifests index.json names, referrers (manifests whose subject is the digest, listed
// in index.json as oras copies them, or only present as blobs in a layout cosign save
// wrote) and cosign's legacy tags (manifests named REPO:sha256-<hex>.sig or .att, or
// cosign save's sigs and atts). Every file is read through an os.Root confined to the
// directory, bounded and checked against its digest.
type layoutStore struct {
	dir      string
	root     *os.Root
	index    []v1.Descriptor
	maxBytes int64
	max      int

	once     sync.Once
	subjects map[v1.Hash][]v1.Descriptor
	scanErr  error
}

// OpenLayout is a Store over an OCI image layout directory holding images and their
// signatures (referrers by subject, and cosign's tags as
// org.opencontainers.image.ref.name annotations). It reads nothing outside dir.
func OpenLayout(dir string) (Store, error) {
	return OpenLayoutWith(dir, LayoutOptions{})
}

// OpenLayoutWith is OpenLayout with bounds.
func OpenLayoutWith(dir string, o LayoutOptions) (Store, error) {
	if o.MaxArtifactBytes <= 0 {
		o.MaxArtifactBytes = DefaultMaxArtifactBytes
	}
	if o.MaxCandidates <= 0 {
		o.MaxCandidates = DefaultMaxCandidates
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("OCI layout %s: %w", dir, err)
	}
	s := &layoutStore{dir: dir, root: root, maxBytes: o.MaxArtifactBytes, max: o.MaxCandidates}
	raw, err := s.readFile("index.json", maxLayoutIndexBytes)
	if err != nil {
		root.Close()
		return nil, fmt.Errorf("OCI layout %s: %w", dir, err)
	}
	var idx v1.IndexManifest
	if err := json.Unmarshal(raw, &idx); err != nil {
		root.Close()
		return nil, fmt.Errorf("OCI layout %s: index.json: %w", dir, err)
	}
	s.index = idx.Manifests
	return s, nil
}

// readFile reads name in the layout, at most max bytes.
func (s *layoutStore) readFile(name string, max int64) ([]byte, error) {
	f, err := s.root.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", name)
	}
	if st.Size() > max {
		return nil, fmt.Errorf("%s: %d bytes %w (%d bytes)", name, st.Size(), errTooLarge, max)
	}
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%s: %w (%d bytes)", name, errTooLarge, max)
	}
	return b, nil
}

// blobPath is a blob's path, for digests whose algorithm and hex are well formed.
func blobPath(h v1.Hash) (string, hash.Hash, error) {
	var hh hash.Hash
	size := 0
	switch h.Algorithm {
	case "sha256":
		hh, size = sha256.New(), 64
	case "sha512":
		hh, size = sha512.New(), 128
	default:
		return "", nil, fmt.Errorf("digest algorithm %q", h.Algorithm)
	}
	if len(h.Hex) != size || strings.Trim(h.Hex, "0123456789abcdef") != "" {
		return "", nil, fmt.Errorf("digest %q", h)
	}
	return "blobs/" + h.Algorithm + "/" + h.Hex, hh, nil
}

// readBlob reads a blob, at most max bytes, and checks its digest. A blob missing,
// too large or not matching its digest is an artifactErr.
func (s *layoutStore) readBlob(h v1.Hash, max int64) ([]byte, error) {
	p, hh, err := blobPath(h)
	if err != nil {
		return nil, artifactErr{err}
	}
	b, err := s.readFile(p, max)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, errTooLarge) {
			return nil, artifactErr{fmt.Errorf("blob %s: %w", h, err)}
		}
		return nil, err
	}
	hh.Write(b)
	if got := hex.EncodeToString(hh.Sum(nil)); got != h.Hex {
		return nil, artifactErr{fmt.Errorf("blob %s does not match its digest (%s:%s)", h, h.Algorithm, got)}
	}
	return b, nil
}

func (s *layoutStore) manifest(h v1.Hash) ([]byte, error) { return s.readBlob(h, s.maxBytes) }
func (s *layoutStore) blob(h v1.Hash) ([]byte, error)     { return s.readBlob(h, s.maxBytes) }

// Resolve finds ref among the manifests index.json names: by its full name (as
// written or normalised), else by its tag alone when the layout names manifests by
// bare tags, else the one image of a layout written by cosign save. A digest
// reference is its own digest.
func (s *layoutStore) Resolve(_ context.Context, ref string) (string, string, error) {
	repo, tag, digest, err := ParseReference(ref)
	if err != nil {
		return "", "", err
	}
	if digest != "" {
		return repo, digest, nil
	}
	var full, bare, cosign []v1.Hash
	for _, d := range s.index {
		for _, n := range []string{d.Annotations[AnnotationRefName], d.Annotations[annotationContainerdName]} {
			if n == "" {
				continue
			}
			if !strings.ContainsAny(n, "/:@") {
				if n == tag {
					bare = appendUnique(bare, d.Digest)
				}
				continue
			}
			if n == ref {
				full = appendUnique(full, d.Digest)
				continue
			}
			if r, t, _, err := ParseReference(n); err == nil && r == repo && t == tag {
				full = appendUnique(full, d.Digest)
			}
		}
		switch d.Annotations[annotationCosignKind] {
		case "dev.cosignproject.cosign/image", "dev.cosignproject.cosign/imageIndex":
			cosign = appendUnique(cosign, d.Digest)
		}
	}
	for _, m := range [][]v1.Hash{full, bare, cosign} {
		switch len(m) {
		case 0:
			continue
		case 1:
			return repo, m[0].String(), nil
		default:
			return "", "", fmt.Errorf("%s: the OCI layout %s names %d different manifests so", ref, s.dir, len(m))
		}
	}
	return "", "", fmt.Errorf("%s: not in the OCI layout %s (no manifest named so)", ref, s.dir)
}

func appendUnique(hs []v1.Hash, h v1.Hash) []v1.Hash {
	for _, x := range hs {
		if x == h {
			return hs
		}
	}
	return append(hs, h)
}

// manifestType says whether a descriptor may be an image manifest (an artifact).
func manifestType(mt types.MediaType) bool {
	return mt == types.OCIManifestSchema1 || mt == types.DockerManifestSchema2 || mt == ""
}

// scan finds the referrers of every subject once: the manifests index.json lists, and
// in a layout cosign save wrote, the small blobs that are manifests with a subject.
func (s *layoutStore) scan() error {
	s.once.Do(func() {
		s.subjects = map[v1.Hash][]v1.Descriptor{}
		cosignSave := false
		for _, d := range s.index {
			if d.Annotations[annotationCosignKind] != "" {
				cosignSave = true
			}
			if !manifestType(d.MediaType) || d.Size > s.maxBytes {
				continue
			}
			raw, err := s.manifest(d.Digest)
			if err != nil {
				var ae artifactErr
				if errors.As(err, &ae) {
					continue // a listed manifest missing: not a referrer we can read
				}
				s.scanErr = err
				return
			}
			s.addReferrer(d, raw)
		}
		if cosignSave {
			s.scanErr = s.scanBlobs()
		}
	})
	return s.scanErr
}

// addReferrer records raw (the manifest d) as a referrer of its subject.
func (s *layoutStore) addReferrer(d v1.Descriptor, raw []byte) {
	var m struct {
		ArtifactType string         `json:"artifactType"`
		Subject      *v1.Descriptor `json:"subject"`
		Config       struct {
			MediaType string `json:"mediaType"`
		} `json:"config"`
	}
	if json.Unmarshal(raw, &m) != nil || m.Subject == nil {
		return
	}
	if d.ArtifactType == "" {
		d.ArtifactType = m.ArtifactType
	}
	if d.ArtifactType == "" {
		d.ArtifactType = m.Config.MediaType
	}
	for _, x := range s.subjects[m.Subject.Digest] {
		if x.Digest == d.Digest {
			return
		}
	}
	s.subjects[m.Subject.Digest] = append(s.subjects[m.Subject.Digest], d)
}

// scanBlobs reads the small JSON blobs of blobs/sha256 looking for referrer manifests
// (cosign save's layout), bounded in entries and bytes.
func (s *layoutStore) scanBlobs() error {
	f, err := s.root.Open("blobs/sha256")
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	entries, err := f.ReadDir(maxLayoutScanEntries)
	if err != nil && err != io.EOF {
		return fmt.Errorf("OCI layout %s: blobs: %w", s.dir, err)
	}
	var total int64
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		info, err := e.Info()
		if err != nil || info.Size() > maxLayoutScanBlob || info.Size() < 2 {
			continue
		}
		if total += info.Size(); total > maxLayoutScanBytes {
			break
		}
		h := v1.Hash{Algorithm: "sha256", Hex: e.Name()}
		raw, err := s.readBlob(h, maxLayoutScanBlob)
		if err != nil || !bytes.HasPrefix(bytes.TrimLeft(raw, " \t\r\n"), []byte("{")) {
			continue
		}
		s.addReferrer(v1.Descriptor{MediaType: types.OCIManifestSchema1, Digest: h, Size: int64(len(raw))}, raw)
	}
	return nil
}

// Signatures returns the candidates attached to digest: its referrers, then the
// manifests named after its legacy tags (REPO:sha256-<hex>.sig or the bare tag), then
// in a layout written by cosign save the sigs and atts of its image.
func (s *layoutStore) Signatures(_ context.Context, _ string, digest string) ([]Candidate, error) {
	h, err := v1.NewHash(digest)
	if err != nil {
		return nil, fmt.Errorf("digest %q: %w", digest, err)
	}
	if err := s.scan(); err != nil {
		return nil, err
	}
	c := newCollector(s, h, s.maxBytes, s.max)
	for _, d := range s.subjects[h] {
		if err := c.referrer(d); err != nil {
			return nil, err
		}
	}
	cosignImage := false
	for _, d := range s.index {
		if k := d.Annotations[annotationCosignKind]; (k == "dev.cosignproject.cosign/image" || k == "dev.cosignproject.cosign/imageIndex") && d.Digest == h {
			cosignImage = true
		}
	}
	for _, kind := range []Kind{KindSimpleSigning, KindLegacyAttestation} {
		tag := legacyTag(h, kind)
		cosignKind := "dev.cosignproject.cosign/sigs"
		if kind == KindLegacyAttestation {
			cosignKind = "dev.cosignproject.cosign/atts"
		}
		for _, d := range s.index {
			n := d.Annotations[AnnotationRefName]
			named := n == tag || strings.HasSuffix(n, ":"+tag)
			if !named && !(cosignImage && d.Annotations[annotationCosignKind] == cosignKind) {
				continue
			}
			src := "tag " + shortTag(h, kind)
			if !named {
				src = "layout " + strings.TrimPrefix(cosignKind, "dev.cosignproject.cosign/")
			}
			if d.Size > s.maxBytes {
				c.add(Candidate{Kind: kind, Source: src, Err: fmt.Errorf("manifest of %d bytes %w (%d bytes)", d.Size, errTooLarge, s.maxBytes)})
				continue
			}
			raw, err := s.manifest(d.Digest)
			if err != nil {
				if err := c.artifactFailure(kind, src, err); err != nil {
					return nil, err
				}
				continue
			}
			if err := c.legacy(kind, raw, src); err != nil {
				return nil, err
			}
		}
	}
	return c.out, nil
}

package signature

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Collecting the candidates of one digest from the manifests attached to it, for both
// stores.

// fetcher reads manifests and blobs by digest, bounded and checked against the
// digest. An error about the artifact itself (missing, too large, another digest) is
// an artifactErr: the candidate is malformed; any other error means the store could
// not be read.
type fetcher interface {
	manifest(h v1.Hash) ([]byte, error)
	blob(h v1.Hash) ([]byte, error)
}

type artifactErr struct{ err error }

func (e artifactErr) Error() string { return e.err.Error() }
func (e artifactErr) Unwrap() error { return e.err }

// MediaTypeEmpty is the OCI empty descriptor (the config of artifact manifests).
const MediaTypeEmpty = "application/vnd.oci.empty.v1+json"

// collector gathers the candidates of subject, at most max.
type collector struct {
	f        fetcher
	subject  v1.Hash
	maxBytes int64
	max      int
	out      []Candidate
	full     bool
	seen     map[v1.Hash]bool
}

func newCollector(f fetcher, subject v1.Hash, maxBytes int64, max int) *collector {
	return &collector{f: f, subject: subject, maxBytes: maxBytes, max: max, seen: map[v1.Hash]bool{}}
}

// add appends c unless the bound is reached; the first candidate over the bound is
// replaced by one saying so.
func (c *collector) add(cand Candidate) {
	switch {
	case len(c.out) < c.max:
		c.out = append(c.out, cand)
	case !c.full:
		c.full = true
		c.out = append(c.out, Candidate{Kind: cand.Kind, Source: cand.Source,
			Err: fmt.Errorf("more than %d signatures and attestations are attached to %s; the rest were not read", c.max, c.subject)})
	}
}

// referrerTypes are the artifact types whose referrers are read. A registry that
// reports the config's media type (go-containerregistry's) gives the empty
// descriptor's; an artifactType left out gives "".
func wantReferrer(artifactType string) bool {
	switch {
	case strings.HasPrefix(artifactType, MediaTypeBundlePrefix),
		artifactType == MediaTypeInToto, artifactType == MediaTypeDSSE,
		artifactType == MediaTypeEmpty, artifactType == "":
		return true
	}
	return false
}

// referrer reads one referrer manifest: its Sigstore bundle layers (cosign v3's
// signatures and attestations) and its DSSE layers (cosign's attestations written as
// referrers, with the legacy annotations). Referrers of other types (SBOMs, ...) are
// skipped without being read.
func (c *collector) referrer(d v1.Descriptor) error {
	if c.full || !wantReferrer(d.ArtifactType) || c.seen[d.Digest] {
		return nil
	}
	c.seen[d.Digest] = true
	src := "referrer " + short(d.Digest)
	m, err := c.readManifest(d.Digest, d.Size)
	if err != nil {
		return c.artifactFailure(KindBundle, src, err)
	}
	if m.Subject == nil || m.Subject.Digest != c.subject {
		seen := "none"
		if m.Subject != nil {
			seen = m.Subject.Digest.String()
		}
		c.add(Candidate{Kind: KindBundle, Source: src, Err: fmt.Errorf("referrer's subject is %s, not %s", seen, c.subject)})
		return nil
	}
	n := 0
	for i, l := range m.Layers {
		mt := string(l.MediaType)
		var kind Kind
		switch {
		case strings.HasPrefix(mt, MediaTypeBundlePrefix):
			kind = KindBundle
		case mt == MediaTypeDSSE:
			kind = KindLegacyAttestation
		default:
			continue
		}
		n++
		lsrc := src
		if len(m.Layers) > 1 {
			lsrc = fmt.Sprintf("%s layer %d", src, i+1)
		}
		data, err := c.readBlob(l)
		if err != nil {
			if err := c.artifactFailure(kind, lsrc, err); err != nil {
				return err
			}
			continue
		}
		if kind == KindBundle {
			c.add(FromBundle(mt, data, lsrc))
		} else {
			c.add(FromCosignLayer(kind, mt, l.Annotations, data, lsrc))
		}
	}
	return nil
}

// legacy reads the layers of a cosign .sig or .att manifest (raw).
func (c *collector) legacy(kind Kind, raw []byte, src string) error {
	m, err := v1.ParseManifest(bytes.NewReader(raw))
	if err != nil {
		c.add(Candidate{Kind: kind, Source: src, Err: fmt.Errorf("manifest: %w", err)})
		return nil
	}
	for i, l := range m.Layers {
		if c.full {
			return nil
		}
		lsrc := fmt.Sprintf("%s layer %d", src, i+1)
		data, err := c.readBlob(l)
		if err != nil {
			if err := c.artifactFailure(kind, lsrc, err); err != nil {
				return err
			}
			continue
		}
		c.add(FromCosignLayer(kind, string(l.MediaType), l.Annotations, data, lsrc))
	}
	return nil
}

func (c *collector) readManifest(h v1.Hash, size int64) (*v1.Manifest, error) {
	if size > c.maxBytes {
		return nil, artifactErr{fmt.Errorf("manifest of %d bytes %w (%d bytes)", size, errTooLarge, c.maxBytes)}
	}
	raw, err := c.f.manifest(h)
	if err != nil {
		return nil, err
	}
	var m v1.Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, artifactErr{fmt.Errorf("manifest: %w", err)}
	}
	return &m, nil
}

func (c *collector) readBlob(l v1.Descriptor) ([]byte, error) {
	if l.Size > c.maxBytes {
		return nil, artifactErr{fmt.Errorf("layer of %d bytes %w (%d bytes)", l.Size, errTooLarge, c.maxBytes)}
	}
	return c.f.blob(l.Digest)
}

// artifactFailure records an artifact error as a malformed candidate and returns any
// other error.
func (c *collector) artifactFailure(kind Kind, src string, err error) error {
	var ae artifactErr
	if errors.As(err, &ae) {
		c.add(Candidate{Kind: kind, Source: src, Err: err})
		return nil
	}
	return err
}

// legacyTag is cosign's tag for the signatures (.sig) or attestations (.att) of h.
func legacyTag(h v1.Hash, kind Kind) string {
	suffix := ".sig"
	if kind == KindLegacyAttestation {
		suffix = ".att"
	}
	return h.Algorithm + "-" + h.Hex + suffix
}

// shortTag abbreviates legacyTag for reports ("sha256-ab12cd34ef56....sig").
func shortTag(h v1.Hash, kind Kind) string {
	t := legacyTag(h, kind)
	return h.Algorithm + "-" + h.Hex[:min(12, len(h.Hex))] + "..." + t[strings.LastIndexByte(t, '.'):]
}

// short abbreviates a digest for reports ("sha256:ab12cd34ef56").
func short(h v1.Hash) string { return h.Algorithm + ":" + h.Hex[:min(12, len(h.Hex))] }

package signature

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

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

// collector gathers the candidates of subject, at most max: jobs (one per referrer
// manifest, one per legacy layer) are queued in order, run a few at a time, and their
// candidates kept in queue order.
type collector struct {
	f        fetcher
	subject  v1.Hash
	maxBytes int64
	max      int
	jobs     []job
	out      []Candidate
	full     bool
	seen     map[v1.Hash]bool
}

// job reads one artifact into its candidates; an error is a store failure.
type job func() ([]Candidate, error)

// collectParallel is how many artifacts are read at once.
const collectParallel = 4

func newCollector(f fetcher, subject v1.Hash, maxBytes int64, max int) *collector {
	return &collector{f: f, subject: subject, maxBytes: maxBytes, max: max, seen: map[v1.Hash]bool{}}
}

// queue adds a job unless enough are queued to reach the bound (every job gives at
// least one candidate, but a referrer whose layers are not Sigstore's).
func (c *collector) queue(j job) {
	if len(c.jobs) <= c.max {
		c.jobs = append(c.jobs, j)
	}
}

// now queues a candidate known without reading anything.
func (c *collector) now(cand Candidate) {
	c.queue(func() ([]Candidate, error) { return []Candidate{cand}, nil })
}

// run runs the queued jobs and returns the candidates in queue order, bounded.
func (c *collector) run() ([]Candidate, error) {
	res := make([][]Candidate, len(c.jobs))
	errs := make([]error, len(c.jobs))
	sem := make(chan struct{}, collectParallel)
	var wg sync.WaitGroup
	for i, j := range c.jobs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			res[i], errs[i] = j()
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for _, r := range res {
		for _, cand := range r {
			c.add(cand)
		}
	}
	return c.out, nil
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

// referrer queues one referrer manifest: its Sigstore bundle layers (cosign v3's
// signatures and attestations) and its DSSE layers (cosign's attestations written as
// referrers, with the legacy annotations). Referrers of other types (SBOMs, ...) are
// skipped without being read.
func (c *collector) referrer(d v1.Descriptor) {
	if !wantReferrer(d.ArtifactType) || c.seen[d.Digest] {
		return
	}
	c.seen[d.Digest] = true
	c.queue(func() ([]Candidate, error) { return c.readReferrer(d) })
}

func (c *collector) readReferrer(d v1.Descriptor) ([]Candidate, error) {
	src := "referrer " + short(d.Digest)
	m, err := c.readManifest(d.Digest, d.Size)
	if err != nil {
		return c.artifactFailure(nil, KindBundle, src, err)
	}
	if m.Subject == nil || m.Subject.Digest != c.subject {
		seen := "none"
		if m.Subject != nil {
			seen = m.Subject.Digest.String()
		}
		return []Candidate{{Kind: KindBundle, Source: src, Err: fmt.Errorf("referrer's subject is %s, not %s", seen, c.subject)}}, nil
	}
	var out []Candidate
	for i, l := range m.Layers {
		if len(out) > c.max {
			break
		}
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
		lsrc := src
		if len(m.Layers) > 1 {
			lsrc = fmt.Sprintf("%s layer %d", src, i+1)
		}
		data, err := c.readBlob(l)
		if err != nil {
			if out, err = c.artifactFailure(out, kind, lsrc, err); err != nil {
				return nil, err
			}
			continue
		}
		if kind == KindBundle {
			out = append(out, FromBundle(mt, data, lsrc))
		} else {
			out = append(out, FromCosignLayer(kind, mt, l.Annotations, data, lsrc))
		}
	}
	return out, nil
}

// legacy queues the layers of a cosign .sig or .att manifest (raw).
func (c *collector) legacy(kind Kind, raw []byte, src string) {
	m, err := v1.ParseManifest(bytes.NewReader(raw))
	if err != nil {
		c.now(Candidate{Kind: kind, Source: src, Err: fmt.Errorf("manifest: %w", err)})
		return
	}
	for i, l := range m.Layers {
		lsrc := fmt.Sprintf("%s layer %d", src, i+1)
		c.queue(func() ([]Candidate, error) {
			data, err := c.readBlob(l)
			if err != nil {
				return c.artifactFailure(nil, kind, lsrc, err)
			}
			return []Candidate{FromCosignLayer(kind, string(l.MediaType), l.Annotations, data, lsrc)}, nil
		})
	}
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

// artifactFailure appends an artifact error to out as a malformed candidate and
// returns any other error.
func (c *collector) artifactFailure(out []Candidate, kind Kind, src string, err error) ([]Candidate, error) {
	var ae artifactErr
	if errors.As(err, &ae) {
		return append(out, Candidate{Kind: kind, Source: src, Err: err}), nil
	}
	return nil, err
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

package signature

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/distribution/reference"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// RegistryOptions say how a registry store reaches registries.
type RegistryOptions struct {
	// Insecure lists registry hosts reached over plain HTTP ("127.0.0.1:5000").
	Insecure []string
	// Keychain gives credentials (authn.DefaultKeychain when nil).
	Keychain authn.Keychain
	// MaxArtifactBytes bounds one manifest or signature layer read (0: 4 MiB);
	// MaxCandidates the candidates of one digest (0: 64).
	MaxArtifactBytes int64
	MaxCandidates    int
	// Transport, if set, carries the requests (tests, proxies); the default is a
	// shared clone of http.DefaultTransport.
	Transport http.RoundTripper
}

// The defaults of RegistryOptions' bounds.
const (
	DefaultMaxArtifactBytes = 4 << 20
	DefaultMaxCandidates    = 64
)

func (o RegistryOptions) withDefaults() RegistryOptions {
	if o.Keychain == nil {
		o.Keychain = authn.DefaultKeychain
	}
	if o.MaxArtifactBytes <= 0 {
		o.MaxArtifactBytes = DefaultMaxArtifactBytes
	}
	if o.MaxCandidates <= 0 {
		o.MaxCandidates = DefaultMaxCandidates
	}
	if o.Transport == nil {
		o.Transport = http.DefaultTransport.(*http.Transport).Clone()
	}
	return o
}

// registryStore reads signatures from registries: the OCI 1.1 referrers of a digest
// (go-containerregistry falls back to the referrers tag schema, sha256-<hex>, when the
// registry has no referrers API) and cosign's legacy sha256-<hex>.sig and .att tags.
// Every response body is bounded (a manifest, an index, a layer); a blob is read by
// digest and checked against it.
type registryStore struct {
	o         RegistryOptions
	transport http.RoundTripper
}

// NewRegistryStore is a Store over registries (go-containerregistry).
func NewRegistryStore(o RegistryOptions) Store {
	o = o.withDefaults()
	return &registryStore{o: o, transport: limitTransport{next: o.Transport, max: o.MaxArtifactBytes}}
}

// ParseReference normalises an image reference as distribution/reference does
// ("nginx" is docker.io/library/nginx:latest): the repository name, and the tag and
// digest it names (tag "latest" when it names neither).
func ParseReference(ref string) (repo, tag, digest string, err error) {
	if len(ref) > 4096 {
		return "", "", "", fmt.Errorf("image reference of %d bytes", len(ref))
	}
	n, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return "", "", "", fmt.Errorf("image reference %q: %w", ref, err)
	}
	if c, ok := n.(reference.Digested); ok {
		digest = c.Digest().String()
		if _, err := v1.NewHash(digest); err != nil {
			return "", "", "", fmt.Errorf("image reference %q: %w", ref, err)
		}
	}
	if t, ok := n.(reference.Tagged); ok {
		tag = t.Tag()
	}
	if tag == "" && digest == "" {
		tag = "latest"
	}
	return n.Name(), tag, digest, nil
}

// nameOptions are go-containerregistry's options for repository repo: plain HTTP for
// the insecure hosts.
func (s *registryStore) nameOptions(repo string) []name.Option {
	host, _, _ := strings.Cut(repo, "/")
	if slices.Contains(s.o.Insecure, host) || (host == "docker.io" && slices.Contains(s.o.Insecure, name.DefaultRegistry)) {
		return []name.Option{name.Insecure}
	}
	return nil
}

func (s *registryStore) puller(ctx context.Context) (*remote.Puller, []remote.Option, error) {
	opts := []remote.Option{
		remote.WithContext(ctx),
		remote.WithAuthFromKeychain(s.o.Keychain),
		remote.WithTransport(s.transport),
		remote.WithUserAgent("palisade"),
	}
	p, err := remote.NewPuller(opts...)
	if err != nil {
		return nil, nil, err
	}
	return p, append(opts, remote.Reuse(p)), nil
}

func (s *registryStore) Resolve(ctx context.Context, ref string) (string, string, error) {
	repo, tag, digest, err := ParseReference(ref)
	if err != nil {
		return "", "", err
	}
	if digest != "" {
		return repo, digest, nil
	}
	r, err := name.NewRepository(repo, s.nameOptions(repo)...)
	if err != nil {
		return "", "", fmt.Errorf("%s: %w", ref, err)
	}
	p, _, err := s.puller(ctx)
	if err != nil {
		return "", "", err
	}
	t := r.Tag(tag)
	desc, err := p.Head(ctx, t)
	if err != nil && ctx.Err() == nil && !isStatus(err, http.StatusUnauthorized, http.StatusNotFound) {
		// Some registries answer HEAD badly; GET is authoritative.
		var d *remote.Descriptor
		if d, err = p.Get(ctx, t); err == nil {
			desc = &d.Descriptor
		}
	}
	if err != nil {
		return "", "", fmt.Errorf("resolving %s: %w", ref, err)
	}
	return repo, desc.Digest.String(), nil
}

func (s *registryStore) Signatures(ctx context.Context, repo, digest string) ([]Candidate, error) {
	h, err := v1.NewHash(digest)
	if err != nil {
		return nil, fmt.Errorf("digest %q: %w", digest, err)
	}
	r, err := name.NewRepository(repo, s.nameOptions(repo)...)
	if err != nil {
		return nil, fmt.Errorf("repository %q: %w", repo, err)
	}
	p, opts, err := s.puller(ctx)
	if err != nil {
		return nil, err
	}
	f := &registryFetcher{ctx: ctx, repo: r, p: p, max: s.o.MaxArtifactBytes}
	c := newCollector(f, h, s.o.MaxArtifactBytes, s.o.MaxCandidates)

	idx, err := remote.Referrers(r.Digest(digest), opts...)
	if err != nil {
		return nil, fmt.Errorf("referrers of %s@%s: %w", repo, digest, err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("referrers of %s@%s: %w", repo, digest, err)
	}
	for _, d := range im.Manifests {
		if err := c.referrer(d); err != nil {
			return nil, err
		}
	}
	for _, kind := range []Kind{KindSimpleSigning, KindLegacyAttestation} {
		tag := legacyTag(h, kind)
		desc, err := p.Get(ctx, r.Tag(tag))
		if isStatus(err, http.StatusNotFound) {
			continue
		}
		if err != nil {
			if errors.Is(err, errTooLarge) {
				c.add(Candidate{Kind: kind, Source: "tag " + shortTag(h, kind), Err: err})
				continue
			}
			return nil, fmt.Errorf("%s:%s: %w", repo, tag, err)
		}
		if err := c.legacy(kind, desc.Manifest, "tag "+shortTag(h, kind)); err != nil {
			return nil, err
		}
	}
	return c.out, nil
}

// registryFetcher reads a repository's manifests and blobs by digest.
type registryFetcher struct {
	ctx  context.Context
	repo name.Repository
	p    *remote.Puller
	max  int64
}

func (f *registryFetcher) manifest(h v1.Hash) ([]byte, error) {
	d, err := f.p.Get(f.ctx, f.repo.Digest(h.String()))
	if err != nil {
		return nil, classify(err)
	}
	return d.Manifest, nil
}

func (f *registryFetcher) blob(h v1.Hash) ([]byte, error) {
	l, err := f.p.Layer(f.ctx, f.repo.Digest(h.String()))
	if err != nil {
		return nil, classify(err)
	}
	rc, err := l.Compressed()
	if err != nil {
		return nil, classify(err)
	}
	defer rc.Close()
	// The reader checks the digest at EOF.
	b, err := io.ReadAll(io.LimitReader(rc, f.max+1))
	if err != nil {
		return nil, classify(err)
	}
	if int64(len(b)) > f.max {
		return nil, artifactErr{fmt.Errorf("blob %s: %w (%d bytes)", h, errTooLarge, f.max)}
	}
	return b, nil
}

// classify says whether a registry error is about the artifact (missing, too
// large, not matching its digest: the candidate is malformed) or about reaching the
// registry (the image is unchecked).
func classify(err error) error {
	if isStatus(err, http.StatusNotFound) || errors.Is(err, errTooLarge) {
		return artifactErr{err}
	}
	var te *transport.Error
	if errors.As(err, &te) {
		return err
	}
	// go-containerregistry's digest checks of manifests and blobs.
	if msg := err.Error(); strings.Contains(msg, "error verifying") || strings.Contains(msg, "does not match requested digest") {
		return artifactErr{err}
	}
	return err
}

func isStatus(err error, codes ...int) bool {
	var te *transport.Error
	return err != nil && errors.As(err, &te) && slices.Contains(codes, te.StatusCode)
}

// errTooLarge is a response over the bound.
var errTooLarge = errors.New("exceeds the size limit")

// limitTransport bounds every response body: a registry cannot make Palisade read
// an unbounded manifest or referrers index.
type limitTransport struct {
	next http.RoundTripper
	max  int64
}

func (t limitTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err != nil || resp.Body == nil {
		return resp, err
	}
	if resp.ContentLength > t.max {
		resp.Body.Close()
		return nil, fmt.Errorf("%s: response of %d bytes %w (%d bytes)", req.URL.Path, resp.ContentLength, errTooLarge, t.max)
	}
	resp.Body = &limitedBody{rc: resp.Body, left: t.max}
	return resp, nil
}

type limitedBody struct {
	rc   io.ReadCloser
	left int64
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// One more byte tells a body of exactly the limit from a longer one.
		var one [1]byte
		if n, _ := b.rc.Read(one[:]); n > 0 {
			return 0, fmt.Errorf("response body %w", errTooLarge)
		}
		return 0, io.EOF
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *limitedBody) Close() error { return b.rc.Close() }

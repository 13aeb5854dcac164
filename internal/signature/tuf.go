package signature

import (
	"context"
	"fmt"

	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/tuf"
)

// FetchTrustedRoot gets trusted_root.json from a Sigstore TUF repository (url; ""
// for the public-good instance, tuf.DefaultMirror), verified from the TUF root that
// sigstore-go embeds, and caches the repository's metadata under cacheDir. It is the
// one place Palisade reaches a TUF server, and only when a command is given --tuf:
// otherwise the policy's trustedRoot file is the trust, and nothing is fetched.
func FetchTrustedRoot(ctx context.Context, url, cacheDir string) (*root.TrustedRoot, error) {
	o := tuf.DefaultOptions().WithContext(ctx)
	if url != "" {
		o = o.WithRepositoryBaseURL(url)
	}
	if cacheDir != "" {
		o = o.WithCachePath(cacheDir)
	}
	tr, err := root.FetchTrustedRootWithOptions(o)
	if err != nil {
		return nil, fmt.Errorf("trusted root from TUF %s: %w", o.RepositoryBaseURL, err)
	}
	return tr, nil
}

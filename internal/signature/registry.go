package signature

import "github.com/google/go-containerregistry/pkg/authn"

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
}

// NewRegistryStore is a Store over registries (go-containerregistry).
func NewRegistryStore(o RegistryOptions) Store {
	panic("signature: NewRegistryStore not implemented")
}

// OpenLayout is a Store over an OCI image layout directory holding images and their
// signatures (referrers by subject, and cosign's tags as
// org.opencontainers.image.ref.name annotations). It reads nothing outside dir.
func OpenLayout(dir string) (Store, error) {
	panic("signature: OpenLayout not implemented")
}

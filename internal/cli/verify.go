package cli

import (
	"fmt"
	"path/filepath"

	"github.com/palisade-k8s/palisade/internal/config"
	"github.com/palisade-k8s/palisade/internal/signature"
	"github.com/palisade-k8s/palisade/internal/source"
)

// trust is the verification of images under the configuration's images policy (nil
// when it has none): keys and the trusted root read, conditions compiled, relative
// paths from the configuration file's directory. store reads the signatures (nil:
// the registries, with the --insecure-registry hosts).
func (im *imageFlags) trust(cfg *config.Config, store signature.Store) (*source.Trust, error) {
	if cfg == nil || !cfg.Images.Applies() {
		return nil, nil
	}
	o := signature.Options{File: cfg.Path}
	if cfg.Path != "" {
		o.Dir = filepath.Dir(cfg.Path)
	}
	v, err := signature.New(cfg.Images.Policy, o)
	if err != nil {
		return nil, fmt.Errorf("images policy: %w", err)
	}
	if store == nil {
		store = signature.NewRegistryStore(signature.RegistryOptions{Insecure: im.insecure})
	}
	return &source.Trust{Verifier: v, Store: store, Parallel: max(im.parallel, 4)}, nil
}

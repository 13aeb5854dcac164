package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/spf13/cobra"

	"github.com/palisade-k8s/palisade/internal/checks/images"
	"github.com/palisade-k8s/palisade/internal/config"
	"github.com/palisade-k8s/palisade/internal/safetext"
	"github.com/palisade-k8s/palisade/internal/scan"
	"github.com/palisade-k8s/palisade/internal/signature"
	"github.com/palisade-k8s/palisade/internal/source"
)

// trust is the verification of images under the configuration's images policy (nil
// when it has none): keys and the trusted root read, conditions compiled, relative
// paths from the configuration file's directory. store reads the signatures (nil:
// the registries, with the --insecure-registry hosts); material, if set, replaces
// the policy's trustedRoot (--tuf).
func (im *imageFlags) trust(cfg *config.Config, store signature.Store, material root.TrustedMaterial) (*source.Trust, error) {
	if cfg == nil || !cfg.Images.Applies() {
		return nil, nil
	}
	o := signature.Options{File: cfg.Path, TrustedMaterial: material}
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

// newImageVerify is palisade image verify: the images policy alone, over references
// resolved and verified without reading the images themselves.
func newImageVerify(stdout, stderr io.Writer) *cobra.Command {
	var (
		o          scan.Options
		out        outputFlags
		im         imageFlags
		configFile string
		layout     string
		tufURL     string
	)
	c := &cobra.Command{
		Use:   "verify REF...",
		Short: "Verify images' signatures and attestations against the images policy, offline",
		Long: `Verify that each image is authorized by the images policy of the configuration
(images.verify, images.trustedRoot, images.default in .palisade.yaml): every requirement
whose match patterns match the image's repository must pass, with a signature over the
image's digest by one of its keys or keyless identities and the attestations it demands;
an image no requirement matches is judged by images.default. Only the references are
resolved (a tag to its digest) and the signatures read: Sigstore bundles attached as OCI
referrers (or through the referrers tag schema), cosign's sha256-<digest>.sig and .att
tags. Certificates, transparency-log proofs and timestamps are verified offline against
the trusted_root.json of the policy; nothing else is fetched.

--layout DIR reads the images and their signatures from an OCI image layout instead of
the registries (an air-gapped site carries the layout and trusted_root.json across the
gap). --tuf fetches trusted_root.json from the Sigstore TUF repository (the public-good
instance, or --tuf=URL) instead of the policy's file, caching the TUF metadata under
~/.cache/palisade/tuf: the only time Palisade reaches a TUF server.

Findings: PAL-115 for an image the policy rejects, saying why (no signature, a signature
over another digest, another identity and the one seen, an untrusted key, a missing
transparency-log proof, an expired certificate, a missing attestation, a failed
condition), PAL-116 for an image whose signatures could not be read. Report formats and
exit codes are those of scan: 0 every image authorized; 1 findings at or above
--fail-on (both rules are high); 2 usage or configuration error (a key, trusted root or
condition that does not load names its file and line).`,
		Example: `  palisade image verify registry.example.com/payments/api:1.4.2
  palisade image verify ghcr.io/example/app@sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 -o json
  palisade image verify --layout ./airgap registry.example.com/payments/api:1.4.2
  palisade image verify --tuf ghcr.io/example/app:v1.2.0`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := out.prepare(&o, configFile, stderr)
			if err != nil {
				return err
			}
			if !cfg.Images.Applies() {
				fmt.Fprintln(stderr, "palisade: the configuration has no images policy: write images.verify (and images.trustedRoot) in .palisade.yaml, or name the file with --config")
				return exitError{ExitUsage}
			}
			var store signature.Store
			from := "registry"
			if layout != "" {
				if store, err = signature.OpenLayout(layout); err != nil {
					safetext.Fprintln(stderr, "palisade: --layout:", err)
					return exitError{ExitUsage}
				}
				from = "oci-layout"
			}
			var material root.TrustedMaterial
			if cmd.Flags().Changed("tuf") {
				cache := ""
				if dir, err := os.UserCacheDir(); err == nil {
					cache = filepath.Join(dir, "palisade", "tuf")
				}
				url := tufURL
				if url == tufDefault {
					url = ""
				}
				tr, err := signature.FetchTrustedRoot(cmd.Context(), url, cache)
				if err != nil {
					safetext.Fprintln(stderr, "palisade: --tuf:", err)
					return exitError{ExitUsage}
				}
				material = tr
			}
			trust, err := im.trust(cfg, store, material)
			if err != nil {
				safetext.Fprintln(stderr, "palisade:", err)
				return exitError{ExitUsage}
			}
			o.Source, o.Config, o.Version = &source.Verified{Refs: args, Trust: trust, From: from}, cfg, Version
			o.Include = []string{images.SignatureRuleID, images.UncheckedRuleID}
			return out.run(cmd.Context(), o, stdout, stderr)
		},
	}
	f := c.Flags()
	out.register(c, &o, &configFile)
	for _, n := range []string{"include", "exclude", "pss-version", "pss-level", "framework"} {
		_ = f.MarkHidden(n)
	}
	f.StringVar(&layout, "layout", "", "read the images and their signatures from this OCI image layout directory instead of the registries")
	f.StringVar(&tufURL, "tuf", "", "fetch trusted_root.json from the Sigstore TUF repository (--tuf for the public-good instance, --tuf=URL for another) instead of the policy's trustedRoot")
	f.Lookup("tuf").NoOptDefVal = tufDefault
	f.StringArrayVar(&im.insecure, "insecure-registry", nil, "registry HOST[:PORT] reached over plain HTTP (repeatable)")
	f.IntVar(&im.parallel, "parallel", 4, "images verified at once")
	return c
}

// tufDefault is --tuf without a value: the public-good instance.
const tufDefault = "sigstore"

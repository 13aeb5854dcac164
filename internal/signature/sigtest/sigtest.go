// Package sigtest is test support for image signatures: images pushed to an in-process
// registry on loopback (go-containerregistry's registry) or written as OCI layouts, and
// signed as cosign signs them, keyed (cosign's key formats) and keyless (a virtual
// Sigstore from sigstore-go's test helpers: a certificate authority, a transparency log
// and a timestamp authority, with its trusted_root.json), in every form the verifier
// reads: Sigstore bundles as OCI 1.1 referrers and through the referrers tag schema,
// legacy sha256-<digest>.sig and .att tags. Tests only.
package sigtest

// Package sigtest is test support for image signatures: images pushed to an in-process
// registry on loopback (go-containerregistry's registry) or written as OCI layouts, and
// signed as cosign signs them, keyed (cosign's key formats) and keyless (a virtual
// Sigstore from sigstore-go's test helpers: a certificate authority, a transparency log
// and a timestamp authority, with its trusted_root.json), in every form the verifier
// reads: Sigstore bundles as OCI 1.1 referrers and through the referrers tag schema,
// legacy sha256-<digest>.sig and .att tags. Tests only.
//
// A typical test:
//
//	ss := sigtest.NewSigstore(t)                  // ss.TrustedRootPath: trusted_root.json
//	key := sigtest.NewKey(t, sigtest.ECDSAP256)    // key.Path: cosign.pub
//	reg := sigtest.NewRegistry(t, true)            // referrers API (false: tag schema)
//	img := reg.Push(t, "team/app", "1")            // img.Ref, img.Pinned, img.Digest
//	reg.Sign(t, img, ss.Keyless(issuer, subject), sigtest.Options{})            // bundle referrer
//	reg.Sign(t, img, sigtest.Signer{Key: key}, sigtest.Options{Legacy: true})   // .sig tag, no log
//	reg.Sign(t, img, ss.Keyed(key), sigtest.Options{})                          // bundle, logged
//	reg.Attest(t, img, ss.Keyless(issuer, subject), "https://slsa.dev/provenance/v1", pred, sigtest.Options{Legacy: true}) // .att
//	// RegistryOptions{Insecure: []string{reg.Host}}
//
// Options break a signature as the tampering cases need: Digest (a signature over
// another digest), ModifyPayload, NoTlog, NoInclusionProof, Expired (a certificate
// expired at every verified time), CertNotBefore/IntegratedTime, Timestamp (an RFC
// 3161 timestamp), BundleVersion. Signer.Sign and Signer.Attest make an Artifact
// without attaching it (its MediaType, Data and Annotations are exactly what a
// referrer's bundle layer or a legacy tag's layer holds); Registry.Attach and
// Layout.Attach store it. NewLayout writes an OCI layout (index.json ref names,
// referrers listed with their artifactType, legacy tags as REPO:sha256-<hex>.sig).
//
// The virtual certificates carry no signed certificate timestamps (SCTs).
package sigtest

package images

// PAL-115 and PAL-116: an image not signed by an identity the images policy trusts,
// and an image whose signatures could not be checked. The strong form of PAL-105's
// registry allow-list: an image runs only if a trusted identity (a key the policy
// lists, or a keyless certificate identity of the trusted root's certificate
// authority) signed its digest, with the attestations the policy demands.
//
// The verification is done before the rules run, by whoever reads the images
// (internal/signature through the source of scan --images, cluster --images and
// image verify, or the admission review): Inventory.ImageTrust holds the verdict of
// each image reference as written. These rules turn a verdict into a finding on the
// container's image field (workloads), or on the image itself (palisade image verify,
// palisade image). A reference no verdict is recorded for is not judged here: the
// policy does not apply to it, or nothing verified it; the rules are Scoped to the
// workloads and images with a verdict, so that a compliance view counts image
// provenance (CIS 5.5.1) as evaluated only where something was verified.

import (
	"fmt"
	"strings"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/signature"
	"github.com/palisade-k8s/palisade/internal/workload"
)

// The rules of image signatures.
const (
	SignatureRuleID = "PAL-115"
	UncheckedRuleID = "PAL-116"
)

const (
	refSigstore        = "https://docs.sigstore.dev/cosign/verifying/verify/"
	refPolicyCtrl      = "https://docs.sigstore.dev/policy-controller/overview/"
	refSLSA            = "https://slsa.dev/spec/v1.0/provenance"
	refK8sVerifySigned = "https://kubernetes.io/docs/tasks/administer-cluster/verify-signed-artifacts/"
)

// IndexImageTrust makes the rules of image signatures see the inventory's signature
// verdicts (Inventory.ImageTrust). It reads no object: the verdicts are set before
// the rules run, by the source or the admission review.
var IndexImageTrust = inventory.NewIndex("image-trust", nil, func(inv *inventory.Inventory) map[string]*signature.Result {
	return inv.ImageTrust
})

var signatureFrameworks = rules.Frameworks{CIS: []string{"5.5.1"}, NSA: []string{nsaImages}, Layer: layerContainer}

func init() {
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: SignatureRuleID, Title: "Image not signed by a trusted identity", Severity: high, Category: catImages,
			Rationale: "A registry allow-list trusts whoever can push to the registry; a signature trusts only who built the image. " +
				"With an images policy in .palisade.yaml (images.verify), every image a workload runs must be signed, over its digest, by a key the policy lists or by a keyless identity " +
				"(an OIDC issuer and subject of a certificate of the trusted root's certificate authority, logged in its transparency log), and carry the attestations the policy demands " +
				"(an in-toto predicate type, a CEL condition over the predicate, such as SLSA provenance from the expected builder). " +
				"Signatures are read from the registry (Sigstore bundles as OCI referrers, cosign's sha256-<digest>.sig and .att tags) or from an OCI layout, and verified offline against a local trusted_root.json. " +
				"An image no requirement matches is judged by images.default (allow or deny). The finding says why the image failed: no signature, a signature over another digest, " +
				"another identity (the one seen), an untrusted key, a missing transparency-log proof, an expired certificate, a missing attestation or a failed condition.",
			Remediation: "Sign the image's digest with a trusted identity (cosign sign --key, or keyless from the CI workflow the policy names) and attach the attestations the policy demands (cosign attest); " +
				"deploy the image by the digest that was signed. If the identity is legitimate, add it to images.verify; never relax the policy for an image you cannot trace to its build.",
			References: []string{refSigstore, refK8sVerifySigned, refPolicyCtrl, refSLSA, refImagePolicy},
			Frameworks: signatureFrameworks,
		},
		Kinds:    []string{inventory.ImageKind},
		Needs:    []inventory.AnyIndex{IndexImageTrust},
		Deferred: true,
		Scoped:   true,
		Targets:  rules.Scan | rules.Admission | rules.ImageReview,
		Workload: func(p *rules.Pass, w *workload.Workload) { checkWorkloadTrust(p, w, false) },
		Object:   func(p *rules.Pass, o *inventory.Object) { checkImageTrust(p, o, false) },
	})
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: UncheckedRuleID, Title: "Image signatures could not be checked", Severity: high, Category: catImages,
			Rationale: "An image the images policy applies to whose signatures could not be read (the registry failed or refused, the verification's deadline passed) is neither verified nor known to be unsigned. " +
				"Treating it as signed would let an attacker who can disturb the registry past the policy; this rule reports it so that nothing passes unverified. " +
				"At admission its action decides whether such a pod is denied (the default) or allowed and audited.",
			Remediation: "Make the registry reachable with the credentials Palisade uses (docker config, --insecure-registry for a plain-HTTP registry on a test network) and verify again; " +
				"for air-gapped sites copy the image and its signatures into an OCI layout (palisade image verify --layout DIR).",
			References: []string{refSigstore, refK8sVerifySigned, refImagePolicy},
			Frameworks: signatureFrameworks,
		},
		Kinds:    []string{inventory.ImageKind},
		Needs:    []inventory.AnyIndex{IndexImageTrust},
		Deferred: true,
		Scoped:   true,
		Targets:  rules.Scan | rules.Admission | rules.ImageReview,
		Workload: func(p *rules.Pass, w *workload.Workload) { checkWorkloadTrust(p, w, true) },
		Object:   func(p *rules.Pass, o *inventory.Object) { checkImageTrust(p, o, true) },
	})
}

// verdict returns the failed verdict on ref that the rule reports (PAL-116: the
// unchecked ones; PAL-115: the others that are not allowed), or nil.
func verdict(inv *inventory.Inventory, ref string, unchecked bool) *signature.Result {
	r := inventory.Get(inv, IndexImageTrust)[ref]
	if r == nil || r.Allowed || (r.Unchecked != nil) != unchecked {
		return nil
	}
	return r
}

// checkWorkloadTrust reports each container whose image's verdict failed. The
// verdicts are known once the input is read (the images are verified after the
// workloads that name them), so the findings are settled then.
func checkWorkloadTrust(p *rules.Pass, w *workload.Workload, unchecked bool) {
	counted := false // the settle functions of one object run one after the other
	forEachImage(w, func(c *workload.Container, _ *imageRef) {
		name, image := c.Name, c.Image
		p.ReportSettled(func(inv *inventory.Inventory, f *finding.Finding) bool {
			if !counted && inventory.Get(inv, IndexImageTrust)[image] != nil {
				counted = true
				p.InScope()
			}
			r := verdict(inv, image, unchecked)
			if r == nil {
				return false
			}
			f.Message = fmt.Sprintf("container %q image %q%s%s", name, image, digestNote(image, r), why(r))
			return true
		}, c.Field("image"), c.Name, "container %q image %q", c.Name, c.Image)
	})
}

// checkImageTrust reports an image read on its own (palisade image verify, palisade
// image) whose verdict failed. The images of workloads (scan --images) are reported
// on the containers that run them instead.
func checkImageTrust(p *rules.Pass, o *inventory.Object, unchecked bool) {
	img := o.Image
	if img == nil || len(img.Workloads) > 0 {
		return
	}
	ref, at := img.Ref, img.Location(-1, "", "signature")
	origin := o.Origin
	p.ReportSettled(func(inv *inventory.Inventory, f *finding.Finding) bool {
		if inventory.Get(inv, IndexImageTrust)[ref] != nil {
			p.InScope()
		}
		r := verdict(inv, ref, unchecked)
		if r == nil {
			return false
		}
		if at.Digest == "" {
			at.Digest = r.Digest
		}
		f.Location = origin
		f.Location.Image = &at
		f.Path = at.Field
		f.Message = fmt.Sprintf("image %q%s%s", ref, digestNote(ref, r), why(r))
		return true
	}, "", "", "image %q", ref)
}

// why is the end of a message: why the signatures could not be read, or why the
// image is not authorized (Result.Summary).
func why(r *signature.Result) string {
	if u := r.Unchecked; u != nil {
		d := u.Detail
		if d == "" {
			d = string(u.Reason)
		}
		return ": its signatures could not be checked: " + d
	}
	return " is not authorized: " + r.Summary()
}

// digestNote names the digest verified when the reference does not (a tag resolved
// through the registry).
func digestNote(ref string, r *signature.Result) string {
	if r.Digest == "" || strings.HasSuffix(ref, "@"+r.Digest) {
		return ""
	}
	return " (" + r.Digest + ")"
}

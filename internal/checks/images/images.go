package images

// A container image reference decides which code a container runs. A tag is a mutable
// pointer: whoever can push to the repository can change what `app:1.2` (and even
// more so `app` or `app:latest`) means, and different nodes can hold different images
// under the same tag in their caches, so the same pod spec runs different code on
// different nodes and a compromised registry or account silently swaps it. A digest
// names exactly one image. The registry a reference points at is a trust decision:
// an allow-list keeps workloads to vetted registries, and frozen registries such as
// k8s.gcr.io never receive patched images.
//
// References are parsed with the distribution reference grammar, as the kubelet and the
// API server's defaulting do (github.com/distribution/reference), and normalised the
// way they are: `nginx` is `docker.io/library/nginx`, `registry:5000/app` is the
// repository `app` on host `registry:5000` without a tag, and `app:1.2@sha256:...` is
// pinned by its digest whatever its tag.
//
// One placeholder is left alone: Istio's injector replaces `image: auto` in pods it is
// asked to inject (sidecar.istio.io/inject: "true"), so that value is not an image.

import (
	"errors"
	"fmt"
	"path"
	"strings"
	"sync"

	"github.com/distribution/reference"
	corev1 "k8s.io/api/core/v1"

	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/workload"
)

const (
	catImages = "images"
	nsaImages = "Pod security: building secure container images"

	refImages        = "https://kubernetes.io/docs/concepts/containers/images/"
	refImageNames    = "https://kubernetes.io/docs/concepts/containers/images/#image-names"
	refPullPolicy    = "https://kubernetes.io/docs/concepts/containers/images/#imagepullpolicy-defaulting"
	refRefGrammar    = "https://github.com/distribution/reference/blob/main/reference.go"
	refConfigImages  = "https://kubernetes.io/docs/concepts/configuration/overview/#container-images"
	refImagePolicy   = "https://kubernetes.io/docs/reference/access-authn-authz/admission-controllers/#imagepolicywebhook"
	refAlwaysPull    = "https://kubernetes.io/docs/reference/access-authn-authz/admission-controllers/#alwayspullimages"
	refRegistryK8sIO = "https://kubernetes.io/blog/2023/02/06/k8s-gcr-io-freeze-announcement/"
)

// imageRef is a parsed container image reference.
type imageRef struct {
	// Name is the normalised repository name ("docker.io/library/nginx").
	Name string
	// Tag and Digest are as written; either may be empty.
	Tag, Digest string
	// Err is set when the reference does not follow the grammar (or is empty).
	Err error
}

// Pinned reports whether the reference names one image by content.
func (r *imageRef) Pinned() bool { return r.Digest != "" }

var imageCache sync.Map // string -> *imageRef

// parseImage parses a container image reference with the normalisation the kubelet
// applies (familiar Docker Hub names get docker.io and library/). Results are cached:
// the same images recur across workloads and rules.
func parseImage(s string) *imageRef {
	if v, ok := imageCache.Load(s); ok {
		return v.(*imageRef)
	}
	r := &imageRef{}
	if s == "" {
		r.Err = fmt.Errorf("no image is set")
	} else if named, err := reference.ParseNormalizedNamed(s); err != nil {
		r.Err = err
	} else {
		r.Name = named.Name()
		if t, ok := named.(reference.Tagged); ok {
			r.Tag = t.Tag()
		}
		if d, ok := named.(reference.Digested); ok {
			r.Digest = d.Digest().String()
		}
	}
	imageCache.Store(s, r)
	return r
}

// registryPattern is a prefix of a normalised repository name, taken component by
// component, with path.Match globs allowed inside a component
// ("*.dkr.ecr.eu-west-1.amazonaws.com/team"). "index.docker.io" means docker.io, as
// it does in references, and a URL scheme ("https://") is ignored.
type registryPattern struct {
	pattern string
	parts   int
	glob    bool
}

func newRegistryPattern(s string) (registryPattern, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	// A registry written as a URL means its host.
	if _, rest, ok := strings.Cut(s, "://"); ok {
		s = rest
	}
	s = strings.Trim(s, "/")
	if s == "" {
		return registryPattern{}, false
	}
	if s == "index.docker.io" || strings.HasPrefix(s, "index.docker.io/") {
		s = "docker.io" + strings.TrimPrefix(s, "index.docker.io")
	}
	return registryPattern{pattern: s, parts: strings.Count(s, "/") + 1, glob: strings.ContainsAny(s, "*?[")}, true
}

// validRegistryPattern checks an item of allowedRegistries: a non-empty prefix whose
// globs are well formed.
func validRegistryPattern(s string) error {
	rp, ok := newRegistryPattern(s)
	if !ok {
		return errors.New("empty prefix")
	}
	return rules.CheckGlob(rp.pattern)
}

// validRegistryMove checks an item of PAL-106's registries: prefix or
// prefix=replacement.
func validRegistryMove(s string) error {
	prefix, _, _ := strings.Cut(s, "=")
	return validRegistryPattern(prefix)
}

// match returns the leading components of name that the pattern matches, or "". The
// domain is compared without case (host names are case-insensitive; the rest of a
// reference is lower case by the grammar).
func (rp registryPattern) match(name string) string {
	parts := strings.SplitN(name, "/", rp.parts+1)
	if len(parts) < rp.parts {
		return ""
	}
	head := strings.Join(parts[:rp.parts], "/")
	lower := strings.ToLower(head)
	if rp.glob {
		if ok, _ := path.Match(rp.pattern, lower); ok {
			return head
		}
		return ""
	}
	if lower == rp.pattern {
		return head
	}
	return ""
}

// forEachImage calls fn for each container whose image reference parses; PAL-101
// reports the others, so that no other image rule guesses about them.
func forEachImage(w *workload.Workload, fn func(c *workload.Container, r *imageRef)) {
	for _, c := range w.Containers {
		if r := parseImage(c.Image); r.Err == nil && !injectedImage(w, c) {
			fn(c, r)
		}
	}
}

// injectedImage reports whether the container's image is a placeholder that an
// admission webhook replaces: Istio's injector fills in `image: auto` in pods marked
// for injection (by label or, in older releases, annotation).
func injectedImage(w *workload.Workload, c *workload.Container) bool {
	const istioInject = "sidecar.istio.io/inject"
	return c.Image == "auto" && (w.Meta.Labels[istioInject] == "true" || w.Meta.Annotations[istioInject] == "true")
}

func globsMatch(globs []string, s string) bool {
	for _, g := range globs {
		if ok, _ := path.Match(g, s); ok || g == s {
			return true
		}
	}
	return false
}

// knownReplacements suggests where a deprecated registry's images live now.
var knownReplacements = map[string]string{
	"k8s.gcr.io": "registry.k8s.io",
}

func init() {
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-101", Title: "Image reference missing or invalid", Severity: medium, Category: catImages,
			Rationale: "An image that is empty or does not follow the image reference grammar cannot be pulled: the kubelet refuses it (InvalidImageName) and the API server rejects a Pod without an image. " +
				"Such references usually come from an unrendered template or a typo, and no other image check can judge them.",
			Remediation: "Set image to a valid reference, [registry[:port]/]repository[:tag][@digest], with a lower-case repository, for example registry.example.com/team/app:1.4.2@sha256:<digest>.",
			References:  []string{refImageNames, refRefGrammar},
			Frameworks:  rules.Frameworks{NSA: []string{nsaImages}, Layer: layerContainer},
		},
		Targets: rules.Scan | rules.Admission | rules.ImageReview,
		Workload: func(p *rules.Pass, w *workload.Workload) {
			for _, c := range w.Containers {
				r := parseImage(c.Image)
				switch {
				case r.Err == nil:
				case c.Image == "" && w.Object.Ref.Kind == "Pod":
					p.Report(c.Field("image"), c.Name, "container %q has no image; the API server rejects the Pod", c.Name)
				case c.Image == "":
					p.Report(c.Field("image"), c.Name, "container %q has no image; its pods cannot be created unless something fills it in", c.Name)
				default:
					p.Report(c.Field("image"), c.Name, "container %q image %q is not a valid image reference: %v", c.Name, c.Image, r.Err)
				}
			}
		},
	})
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-102", Title: "Image without a tag or with tag latest", Severity: medium, Category: catImages,
			Rationale: "A reference without a tag means :latest, and latest is whatever was pushed last: the code that runs changes without any change to the manifest, " +
				"rollbacks cannot return to a known version and nodes may run different images. A digest-pinned reference is immutable whatever its tag.",
			Remediation: "Use a specific version tag, and preferably pin the digest too (app:1.4.2@sha256:<digest>).",
			References:  []string{refConfigImages, refImageNames},
			Frameworks:  rules.Frameworks{NSA: []string{nsaImages}, Layer: layerContainer},
		},
		Targets: rules.Scan | rules.Admission | rules.ImageReview,
		Workload: func(p *rules.Pass, w *workload.Workload) {
			forEachImage(w, func(c *workload.Container, r *imageRef) {
				switch {
				case r.Pinned():
				case r.Tag == "":
					p.Report(c.Field("image"), c.Name, "container %q image %q has no tag, so it means %s:latest", c.Name, c.Image, r.Name)
				case r.Tag == "latest":
					p.Report(c.Field("image"), c.Name, "container %q image %q uses the mutable tag latest", c.Name, c.Image)
				}
			})
		},
	})
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-103", Title: "Image not pinned by digest", Severity: low, Category: catImages,
			Rationale: "Tags can be moved to other images by anyone who can push to the repository. Only a digest guarantees that every node runs the image that was tested, " +
				"scanned and signed, and that a compromised registry account cannot swap it.",
			Remediation: "Reference the image by digest (registry.example.com/app:1.4.2@sha256:<digest>); let a tool such as Renovate or a CI step resolve and update digests.",
			References:  []string{refImageNames, refConfigImages},
			Frameworks:  rules.Frameworks{NSA: []string{nsaImages}, Layer: layerContainer},
			Params: []rules.Param{{Name: "namespaces", Syntax: rules.Glob, Description: "Globs of the namespaces where images must be pinned by digest (path.Match syntax).",
				Default: []string{"*"}}},
		},
		Targets: rules.Scan | rules.Admission | rules.ImageReview,
		Workload: func(p *rules.Pass, w *workload.Workload) {
			if !globsMatch(p.Strings("namespaces"), w.Object.Ref.Namespace) {
				return
			}
			forEachImage(w, func(c *workload.Container, r *imageRef) {
				if !r.Pinned() {
					p.Report(c.Field("image"), c.Name, "container %q image %q is not pinned by digest", c.Name, c.Image)
				}
			})
		},
	})
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-104", Title: "Mutable image not always pulled", Severity: low, Category: catImages,
			Rationale: "With imagePullPolicy IfNotPresent or Never, a node runs whatever image it has cached under a tag: nodes drift apart as the tag moves, and a pod can run a private image " +
				"another pod pulled with credentials it does not have itself. When imagePullPolicy is unset the API server defaults it to Always only for :latest or a reference without a tag, " +
				"and to IfNotPresent for any other tag. Digest-pinned images are immutable and are not concerned.",
			Remediation: "Pin the image by digest, or set imagePullPolicy: Always (and consider the AlwaysPullImages admission plugin on multi-tenant clusters).",
			References:  []string{refPullPolicy, refAlwaysPull},
			Frameworks:  rules.Frameworks{NSA: []string{nsaImages}, Layer: layerContainer},
		},
		Workload: func(p *rules.Pass, w *workload.Workload) {
			forEachImage(w, func(c *workload.Container, r *imageRef) {
				if r.Pinned() {
					return
				}
				_, defaulted := c.Defaulted("imagePullPolicy")
				switch pol := c.ImagePullPolicy; {
				case pol == corev1.PullAlways:
				case defaulted:
					p.Report(c.Field("imagePullPolicy"), c.Name, "container %q sets no imagePullPolicy, so the API server defaults it to %s for image %q (tag %q), which is not pinned by digest",
						c.Name, pol, c.Image, r.Tag)
				case pol == corev1.PullIfNotPresent || pol == corev1.PullNever:
					p.Report(c.Field("imagePullPolicy"), c.Name, "container %q sets imagePullPolicy=%s for image %q, which is not pinned by digest", c.Name, pol, c.Image)
				default:
					p.Report(c.Field("imagePullPolicy"), c.Name, "container %q sets imagePullPolicy=%q, which is not a valid policy (Always, IfNotPresent, Never), for image %q", c.Name, pol, c.Image)
				}
			})
		},
	})
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-105", Title: "Image from a registry outside the allow-list", Severity: medium, Category: catImages,
			Rationale: "Images are code from whoever controls the registry. Restricting workloads to registries the organisation vets, mirrors and scans keeps typosquatted, " +
				"abandoned and unscanned images out of the cluster. The rule is inactive until allowedRegistries is set.",
			Remediation: "Pull the image from an allowed registry (mirror it there), or add its registry to allowedRegistries; enforce the same list at admission (for example with a ValidatingAdmissionPolicy or the ImagePolicyWebhook).",
			References:  []string{refImagePolicy, refImageNames},
			Frameworks:  rules.Frameworks{CIS: []string{"5.5.1"}, NSA: []string{nsaImages}, Layer: layerContainer},
			Params: []rules.Param{{Name: "allowedRegistries", Valid: validRegistryPattern, Description: "Allowed prefixes of the normalised image name, compared component by component " +
				"(\"docker.io/library\" allows the official Docker Hub images, which familiar names such as nginx normalise to; \"registry.example.com/team\"; " +
				"path.Match globs within a component, \"*.dkr.ecr.eu-west-1.amazonaws.com\"). Empty (the default) turns the rule off.",
				Default: []string{}, Required: true}},
		},
		Targets: rules.Scan | rules.Admission | rules.ImageReview,
		Workload: func(p *rules.Pass, w *workload.Workload) {
			raw := p.Strings("allowedRegistries")
			var allowed []registryPattern
			for _, s := range raw {
				if rp, ok := newRegistryPattern(s); ok {
					allowed = append(allowed, rp)
				}
			}
			if len(allowed) == 0 {
				return
			}
			forEachImage(w, func(c *workload.Container, r *imageRef) {
				for _, rp := range allowed {
					if rp.match(r.Name) != "" {
						return
					}
				}
				p.Report(c.Field("image"), c.Name, "container %q image %q (%s) is not from an allowed registry (%s)", c.Name, c.Image, r.Name, strings.Join(raw, ", "))
			})
		},
	})
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-106", Title: "Image from a deprecated registry", Severity: medium, Category: catImages,
			Rationale: "Deprecated registries are frozen or scheduled to go away: k8s.gcr.io has received no new images since April 2023, so images there never get security fixes, " +
				"and pulls break when the registry is turned off. Its images, and all newer versions, are on registry.k8s.io.",
			Remediation: "Pull the image from the registry that replaced it (registry.k8s.io for k8s.gcr.io) and move to a maintained version.",
			References:  []string{refRegistryK8sIO, "https://kubernetes.io/blog/2022/11/28/registry-k8s-io-faster-cheaper-ga/"},
			Frameworks:  rules.Frameworks{NSA: []string{nsaImages}, Layer: layerContainer},
			Params: []rules.Param{{Name: "registries", Valid: validRegistryMove, Description: "Deprecated prefixes of the normalised image name, compared as for allowedRegistries of PAL-105; " +
				"write prefix=replacement to suggest where the images moved (k8s.gcr.io is known to have moved to registry.k8s.io).",
				Default: []string{"k8s.gcr.io"}}},
		},
		Targets: rules.Scan | rules.Admission | rules.ImageReview,
		Workload: func(p *rules.Pass, w *workload.Workload) {
			type deprecated struct {
				registryPattern
				replacement string
			}
			var list []deprecated
			for _, s := range p.Strings("registries") {
				prefix, repl, _ := strings.Cut(s, "=")
				if rp, ok := newRegistryPattern(prefix); ok {
					repl = strings.Trim(strings.TrimSpace(repl), "/")
					if repl == "" {
						repl = knownReplacements[rp.pattern]
					}
					list = append(list, deprecated{rp, repl})
				}
			}
			forEachImage(w, func(c *workload.Container, r *imageRef) {
				for _, d := range list {
					head := d.match(r.Name)
					if head == "" {
						continue
					}
					if d.replacement == "" {
						p.Report(c.Field("image"), c.Name, "container %q image %q comes from deprecated registry %s", c.Name, c.Image, head)
					} else {
						p.Report(c.Field("image"), c.Name, "container %q image %q comes from deprecated registry %s; use %s", c.Name, c.Image, head, suggestImage(d.replacement, r, head))
					}
					return
				}
			})
		},
	})
}

// suggestImage rewrites a reference onto a replacement prefix, keeping tag and digest.
func suggestImage(replacement string, r *imageRef, head string) string {
	s := replacement + strings.TrimPrefix(r.Name, head)
	if r.Tag != "" {
		s += ":" + r.Tag
	}
	if r.Digest != "" {
		s += "@" + r.Digest
	}
	return s
}

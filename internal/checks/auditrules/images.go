package auditrules

// Images from registries the organisation does not vet: the scan rule PAL-105
// judges manifests, this judges what was actually deployed, by whom (a kubectl run
// of an attacker's tool image, a patched Deployment pulling from a personal
// registry). Idle until the allow-list is set.

import (
	"path"
	"strings"

	"github.com/distribution/reference"

	"github.com/palisade-k8s/palisade/internal/audit"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/rules"
)

func init() {
	audit.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-919", Title: "Pod or workload with an image from a registry outside the allow-list", Severity: finding.Medium, Category: catAudit,
			Rationale: "An image is code from whoever controls its registry. A workload deployed from a registry the organisation does not vet (a personal Docker Hub account, an attacker's registry) runs code nobody scanned or signed, which is how cryptominers and tools arrive in clusters. " +
				"Pods and every pod controller are judged from the request body, with names normalised as the kubelet does (nginx is docker.io/library/nginx); the rule is idle while allowedRegistries is empty.",
			Remediation: "Check who deployed the image and what it is. Mirror the images you need into a registry you control, and enforce the allow-list at admission (palisade admission, an admission policy or image signatures).",
			References:  []string{refAuditing, "https://attack.mitre.org/techniques/T1204/003/"},
			Frameworks:  rules.Frameworks{MITRE: []string{"T1204.003", "T1610"}, Layer: layerCluster},
			Params: []rules.Param{{Name: "allowedRegistries", Required: true, Default: []string{}, Valid: rules.CheckGlob,
				Description: "Allowed prefixes of the normalised image name, component by component, with shell patterns inside a component (\"registry.example.com\", \"docker.io/library\", \"*.dkr.ecr.eu-west-1.amazonaws.com\")."}},
		},
		Targets: rules.Audit,
	}, podNeeds, func(s *audit.Setup) audit.Detector {
		var allowed []string
		for _, a := range s.Strings("allowedRegistries") {
			a = strings.Trim(strings.ToLower(strings.TrimSpace(a)), "/")
			if _, rest, ok := strings.Cut(a, "://"); ok {
				a = rest
			}
			if a != "" {
				allowed = append(allowed, a)
			}
		}
		return &registryDetector{allowed: allowed, memo: newMemo(s), verdicts: audit.NewLRU[string, bool](4096)}
	})
}

type registryDetector struct {
	allowed []string
	memo    memo
	// verdicts caches allows per image reference (the same images recur).
	verdicts *audit.LRU[string, bool]
}

func (d *registryDetector) Event(c *audit.Context) {
	if len(d.allowed) == 0 {
		return
	}
	w := podWriteOf(c)
	if w == nil {
		return
	}
	var outside []string
	for _, im := range w.Images() {
		if !d.allows(im.Image) {
			outside = append(outside, im.Image)
		}
	}
	if len(outside) == 0 || !d.memo.fresh(w.Ref, w.Verb, strings.Join(outside, ",")) {
		return
	}
	if len(outside) > 8 {
		outside = outside[:8]
	}
	c.Report(audit.Report{Object: w.Ref, Path: w.Spec,
		Message: w.What() + " " + verbText(w.Verb) + " with image" + plural(len(outside)) + " from outside the allowed registries: " + strings.Join(outside, ", ")})
}

// allows reports whether the normalised name of image starts with an allowed
// prefix. An image reference that does not parse is not allowed.
func (d *registryDetector) allows(image string) bool {
	if v, ok := d.verdicts.Get(image); ok {
		return v
	}
	v := d.judge(image)
	if len(image) <= 512 { // a reference is at most 255 characters of name plus tag or digest
		d.verdicts.Put(image, v)
	}
	return v
}

func (d *registryDetector) judge(image string) bool {
	named, err := reference.ParseNormalizedNamed(image)
	if err != nil {
		return false
	}
	name := named.Name()
	for _, a := range d.allowed {
		n := strings.Count(a, "/") + 1
		parts := strings.SplitN(name, "/", n+1)
		if len(parts) < n {
			continue
		}
		head := strings.ToLower(strings.Join(parts[:n], "/"))
		if ok, _ := path.Match(a, head); ok || a == head {
			return true
		}
	}
	return false
}

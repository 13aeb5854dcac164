package report

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/safetext"
	"github.com/palisade-k8s/palisade/internal/software"
)

// Image is a container image a scan read (palisade image, scan --images): what it is,
// what is installed in it, and the workloads that run it.
type Image struct {
	// Name is the image object's name (the reference, with the platform when an
	// index was read for several): findings on the image name it.
	Name string `json:"name"`
	// Ref is the image as the user (or a workload) named it; Digest the manifest
	// digest; Platform "os/arch[/variant]"; Source what was read (registry,
	// oci-layout, oci-archive, docker-archive, rootfs, sbom).
	Ref      string `json:"ref"`
	Digest   string `json:"digest,omitempty"`
	Platform string `json:"platform,omitempty"`
	Source   string `json:"source,omitempty"`
	// Layers counts the image's layers.
	Layers   int                `json:"layers"`
	Distro   *software.Distro   `json:"distro,omitempty"`
	Packages []software.Package `json:"packages"`
	// Workloads are the objects that run the image (scan --images), in input order.
	Workloads []finding.ObjectRef `json:"workloads,omitempty"`
	// Signature is the image's verification against the images policy (image
	// verify, --images with a policy); nil when nothing verified it.
	Signature *ImageSignature `json:"signature,omitempty"`
}

// ImageSignature is the verdict of the images policy on one image.
type ImageSignature struct {
	// Verdict is one of the Verdict constants.
	Verdict string `json:"verdict"`
	// Digest is the digest verified (a tag's resolution).
	Digest string `json:"digest,omitempty"`
	// Summary says who signed it, or why it failed (signature.Result.Summary).
	Summary string `json:"summary"`
}

// The verdicts of ImageSignature.
const (
	VerdictVerified  = "verified"           // every matching requirement passed
	VerdictRejected  = "rejected"           // a requirement failed (PAL-115)
	VerdictUnchecked = "unchecked"          // the signatures could not be read (PAL-116)
	VerdictDefault   = "allowed-by-default" // no requirement matched, default allow
	VerdictDenied    = "denied-by-default"  // no requirement matched, default deny (PAL-115)
)

// SetImages records the images a scan read, and counts them and their packages in
// the summary.
func (r *Report) SetImages(imgs []Image) {
	r.Images = imgs
	r.Summary.Images = len(imgs)
	r.Summary.Packages = 0
	for i := range imgs {
		if imgs[i].Packages == nil {
			imgs[i].Packages = []software.Package{}
		}
		r.Summary.Packages += len(imgs[i].Packages)
	}
}

// SetImageScan says the report is of images only (palisade image): its summary
// counts images even when none could be read.
func (r *Report) SetImageScan() { r.imageScan = true }

// image returns the image whose object is named name.
func (r *Report) image(name string) *Image {
	for i := range r.Images {
		if r.Images[i].Name == name {
			return &r.Images[i]
		}
	}
	return nil
}

// writeImagesText writes, for each image, what it is, its packages per ecosystem and
// the workloads that run it, then a blank line.
func writeImagesText(w io.Writer, r *Report, bold func(string) safetext.Raw) {
	for _, img := range r.Images {
		safetext.Fprintf(w, "%s  %s\n", bold("Image"), img.Name)
		var about []string
		if img.Digest != "" {
			about = append(about, img.Digest)
		}
		if img.Platform != "" {
			about = append(about, img.Platform)
		}
		if img.Source != "" {
			about = append(about, img.Source)
		}
		if d := img.Distro; d != nil {
			about = append(about, distroName(d))
		}
		if len(about) > 0 {
			safetext.Fprintf(w, "  %s\n", strings.Join(about, "  "))
		}
		if img.Layers > 0 || len(img.Packages) > 0 || img.Signature == nil {
			// image verify reads no layer: it has no packages to count.
			safetext.Fprintf(w, "  %s: %s\n", plural(len(img.Packages), "package"), ecosystemCounts(img.Packages))
		}
		if v := imageVulnerabilities(r, img.Name); v != "" {
			safetext.Fprintf(w, "  %s\n", v)
		}
		if len(img.Workloads) > 0 {
			safetext.Fprintf(w, "  run by: %s\n", workloadList(img.Workloads))
		}
		if sig := img.Signature; sig != nil {
			if strings.HasPrefix(sig.Summary, sig.Verdict+":") {
				safetext.Fprintf(w, "  signature: %s\n", sig.Summary)
			} else {
				safetext.Fprintf(w, "  signature: %s: %s\n", sig.Verdict, sig.Summary)
			}
		}
	}
	if len(r.Images) > 0 {
		fmt.Fprintln(w)
	}
}

// distroName is a distribution release as people name it ("debian 12 (bookworm)").
func distroName(d *software.Distro) string {
	s := d.ID
	if d.VersionID != "" {
		s += " " + d.VersionID
	}
	if d.VersionCodename != "" {
		s += " (" + d.VersionCodename + ")"
	}
	return s
}

// ecosystemCounts is "120 deb, 35 golang", by count then name; "none" when empty.
func ecosystemCounts(pkgs []software.Package) string {
	counts := map[software.Ecosystem]int{}
	for _, p := range pkgs {
		counts[p.Ecosystem]++
	}
	if len(counts) == 0 {
		return "none"
	}
	eco := make([]software.Ecosystem, 0, len(counts))
	for e := range counts {
		eco = append(eco, e)
	}
	sort.Slice(eco, func(i, j int) bool {
		if counts[eco[i]] != counts[eco[j]] {
			return counts[eco[i]] > counts[eco[j]]
		}
		return eco[i] < eco[j]
	})
	parts := make([]string, len(eco))
	for i, e := range eco {
		parts[i] = fmt.Sprintf("%d %s", counts[e], e)
	}
	return strings.Join(parts, ", ")
}

// workloadList names workloads ("Deployment/shop/web, CronJob/shop/backup").
func workloadList(refs []finding.ObjectRef) string {
	names := make([]string, len(refs))
	for i, ref := range refs {
		names[i] = ref.String()
	}
	return strings.Join(names, ", ")
}

// imageRunBy is the line under an image's findings naming the workloads that run it
// ("" when none do, or f is not on an image).
func imageRunBy(r *Report, f *finding.Finding) string {
	if !f.Object.IsImage() {
		return ""
	}
	if img := r.image(f.Object.Name); img != nil && len(img.Workloads) > 0 {
		return "run by: " + workloadList(img.Workloads)
	}
	return ""
}

// imagesSummary is the summary's part about images: "2 images (431 packages)".
func imagesSummary(s Summary) string {
	return fmt.Sprintf("%s (%s)", plural(s.Images, "image"), pluralGrouped(s.Packages, "package"))
}

// imageGap is a coverage gap of an image (scan --images) as a line of text.
func imageGap(g finding.CoverageGap) (string, bool) {
	if g.Kind != finding.ImageKind || g.Image == "" {
		return "", false
	}
	return safetext.Sprintf("image %s: %s", g.Image, g.Reason), true
}

// imagesOnly reports whether every coverage gap is an image's.
func imagesOnly(gaps []finding.CoverageGap) bool {
	for _, g := range gaps {
		if _, ok := imageGap(g); !ok {
			return false
		}
	}
	return true
}

// coverageCount counts gaps as "2 kinds", "1 image", "2 kinds and 1 image".
func coverageCount(gaps []finding.CoverageGap) string {
	kinds, images := 0, 0
	for _, g := range gaps {
		if _, ok := imageGap(g); ok {
			images++
		} else {
			kinds++
		}
	}
	switch {
	case images == 0:
		return plural(kinds, "kind")
	case kinds == 0:
		return plural(images, "image")
	}
	return plural(kinds, "kind") + " and " + plural(images, "image")
}

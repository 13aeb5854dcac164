package images

// PAL-128: an end-of-life distribution release. A release past its end of life gets
// no security updates: every vulnerability found after that date stays in the
// image's packages for good, and vulnerability scanners stop reporting on it. The
// release comes from /etc/os-release (ImageInfo.Software.Distro); the dates from the
// table in eol.go, judged against today's date or the rule's asOf parameter.

import (
	"fmt"
	"time"

	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/rules"
)

// now is the clock PAL-128 judges against when asOf is not set (tests replace it).
var now = time.Now

func validDate(s string) error {
	if s == "" {
		return nil
	}
	_, err := time.Parse(time.DateOnly, s)
	return err
}

func init() {
	registerImage(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-128", Title: "End-of-life distribution release in the image", Severity: medium,
			Rationale: "A distribution release past its end of life gets no more security updates: vulnerabilities found since stay in the image's packages, and rebuilding the image does not fix them. " +
				"The dates come from a table kept in Palisade (internal/checks/images/eol.go, with each distribution's source and the date it was written): Debian LTS, Ubuntu standard support, Alpine, RHEL and UBI maintenance support, CentOS, Fedora, Amazon Linux, Rocky Linux, AlmaLinux.",
			Remediation: "Rebuild the image on a supported release of the distribution (or a distroless base that tracks one) and keep it current with a tool such as Renovate or Dependabot.",
			References:  []string{"https://endoflife.date/", "https://wiki.debian.org/LTS", "https://ubuntu.com/about/release-cycle", "https://alpinelinux.org/releases/"},
			Params: []rules.Param{{Name: "asOf", Valid: validDate, Default: "",
				Description: "The date (YYYY-MM-DD) to judge end of life at, for reproducible reports; empty (the default) is today."}},
		},
		Object: func(p *rules.Pass, o *inventory.Object) {
			img := o.Image
			if img == nil || img.Software.Distro == nil {
				return
			}
			d := img.Software.Distro
			end, src, ok := eolOf(d)
			if !ok {
				return
			}
			at := now()
			if s := p.String("asOf"); s != "" {
				if t, err := time.Parse(time.DateOnly, s); err == nil {
					at = t
				}
			}
			if !eolPassed(end, at) {
				return
			}
			file, layer := "/etc/os-release", -1
			if img.Files != nil {
				layer = img.Files.LayerOf("etc/os-release")
				if layer < 0 {
					if l := img.Files.LayerOf("usr/lib/os-release"); l >= 0 {
						file, layer = "/usr/lib/os-release", l
					}
				}
			}
			name := d.PrettyName
			if name == "" {
				name = fmt.Sprintf("%s %s", src.name, d.VersionID)
			}
			p.ReportImage(img.Location(layer, file, ""), nil, "the distribution release %s reached its end of life on %s (%s, %s; table of %s): it gets no security updates",
				name, end.Format(time.DateOnly), src.meaning, src.url, eolTableDate)
		},
	})
}

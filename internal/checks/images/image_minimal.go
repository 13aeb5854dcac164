package images

// PAL-127: a shell or a package manager in an image that claims to be minimal.
// Distroless images promise no shell and no package manager: an attacker who gets
// code execution in such a container has no interpreter to script with and no way to
// install tools. An image that claims the promise but breaks it (a debug variant in
// production, a base image with a shell copied over a distroless one) gives a false
// sense of it. Informational: nothing is wrong with a shell in an ordinary image.
//
// The claim is read from:
//   - /etc/os-release whose PRETTY_NAME or ID says Distroless (gcr.io/distroless
//     images write PRETTY_NAME="Distroless");
//   - the distroless package layout: /var/lib/dpkg/status.d without
//     /var/lib/dpkg/status;
//   - a label org.opencontainers.image.base.name or org.opencontainers.image.title
//     naming distroless, or the image reference's repository naming it.

import (
	"io/fs"
	"path"
	"regexp"
	"strings"

	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/rules"
)

// binDirs are where shells and package managers are installed.
var binDirs = map[string]bool{"/bin": true, "/usr/bin": true, "/sbin": true, "/usr/sbin": true, "/usr/local/bin": true, "/usr/local/sbin": true}

var (
	shells          = map[string]bool{"sh": true, "bash": true, "ash": true, "dash": true, "zsh": true, "ksh": true, "mksh": true, "busybox": true, "toybox": true}
	packageManagers = regexp.MustCompile(`^(?:apt|apt-get|dpkg|apk|rpm|dnf|tdnf|yum|microdnf|zypper|opkg|pip|pip[23](?:\.[0-9]+)?)$`)
)

// minimalClaim says why the image claims to be minimal, or "".
func minimalClaim(img *inventory.ImageInfo) string {
	if d := img.Software.Distro; d != nil && (strings.Contains(strings.ToLower(d.PrettyName), "distroless") || strings.Contains(strings.ToLower(d.ID), "distroless")) {
		return "its /etc/os-release says " + d.PrettyName
	}
	for _, k := range []string{"org.opencontainers.image.base.name", "org.opencontainers.image.title"} {
		if v := img.Config.Labels[k]; strings.Contains(strings.ToLower(v), "distroless") {
			return "its label " + k + " is " + v
		}
	}
	if repo, _, _ := strings.Cut(img.Ref, "@"); strings.Contains(strings.ToLower(path.Dir(repo)+"/"), "/distroless/") {
		return "its reference names distroless"
	}
	if img.Files != nil {
		if st, err := fs.Stat(img.Files, "var/lib/dpkg/status.d"); err == nil && st.IsDir() {
			if _, err := fs.Stat(img.Files, "var/lib/dpkg/status"); err != nil {
				return "it has the distroless package layout (/var/lib/dpkg/status.d)"
			}
		}
	}
	return ""
}

func init() {
	registerImage(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-127", Title: "Shell or package manager in a minimal image", Severity: low,
			Rationale: "Distroless images promise no shell and no package manager, so that code execution in a container finds no interpreter to script with and no way to install tools. " +
				"An image that claims to be distroless (its os-release, labels, reference or package layout) but contains one breaks the promise, often through a debug variant or a binary copied in.",
			Remediation: "Build from the non-debug distroless base and copy only the application into it (multi-stage build); use kubectl debug with an ephemeral container to troubleshoot instead of a shell in the image.",
			References:  []string{"https://github.com/GoogleContainerTools/distroless", "https://kubernetes.io/docs/tasks/debug/debug-application/debug-running-pod/#ephemeral-container"},
		},
		Object: func(p *rules.Pass, o *inventory.Object) {
			img := o.Image
			if img == nil {
				return
			}
			claim := minimalClaim(img)
			if claim == "" {
				return
			}
			err := visibleEntries(img, func(e *inventory.ImageEntry) {
				if e.Type != inventory.EntryRegular && e.Type != inventory.EntrySymlink && e.Type != inventory.EntryHardlink || !binDirs[path.Dir(e.Path)] {
					return
				}
				name := path.Base(e.Path)
				what := ""
				switch {
				case shells[name]:
					what = "the shell"
				case packageManagers.MatchString(name):
					what = "the package manager"
				default:
					return
				}
				p.ReportImage(img.Location(e.Layer, e.Path, ""), nil, "the image claims to be minimal (%s) but contains %s %s (layer %d)", claim, what, e.Path, e.Layer)
			})
			if err != nil {
				p.Fail(err)
			}
		},
	})
}

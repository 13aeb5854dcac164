package software

import "github.com/package-url/packageurl-go"

// OSPURL is the Package URL of an OS package (purl types deb, apk, rpm): the
// namespace is the distribution's ID (fallback when the distribution is unknown:
// "debian" for deb, "alpine" for apk, none for rpm), the distro qualifier its
// release (Distro.Release), arch the architecture; extra holds more qualifiers as
// key, value pairs (upstream, epoch). Empty qualifiers are left out; qualifiers are in
// the canonical order (by key).
func OSPURL(eco Ecosystem, d *Distro, name, version, arch string, extra ...string) string {
	ns := ""
	if d != nil && d.ID != "" {
		ns = d.ID
	} else {
		switch eco {
		case Deb:
			ns = "debian"
		case APK:
			ns = "alpine"
		}
	}
	qs := make(packageurl.Qualifiers, 0, 2+len(extra)/2)
	add := func(k, v string) {
		if v != "" {
			qs = append(qs, packageurl.Qualifier{Key: k, Value: v})
		}
	}
	add("arch", arch)
	add("distro", d.Release())
	for i := 0; i+1 < len(extra); i += 2 {
		add(extra[i], extra[i+1])
	}
	p := packageurl.NewPackageURL(string(eco), ns, name, version, qs, "")
	return p.ToString()
}

package images

// The end-of-life table of PAL-128: the date after which each release of the common
// container base distributions gets no more security updates from its publisher,
// with where that date is published. A release missing from the table is not
// judged (never a guess); a newer release of a listed distribution is added when the
// table is updated.
//
// What "end of life" means, per distribution: the last day of free public security
// support. Debian: the end of Debian LTS (the Debian LTS team's, in the public
// archive), not only of the security team's support. Ubuntu: the end of standard
// support (ESM needs an Ubuntu Pro subscription the image does not have). Alpine:
// the end of support of the main repository. RHEL (and UBI), Rocky Linux,
// AlmaLinux: the end of maintenance support (not the paid extended life cycle).
// CentOS: the end of CentOS Linux and CentOS Stream updates. Fedora: the end of
// updates. Amazon Linux: the end of support.

import (
	"strings"
	"time"

	"github.com/palisade-k8s/palisade/internal/software"
)

// eolTableDate is when the table was written and its dates checked against the
// sources.
const eolTableDate = "2026-12-06"

// eolSource is where a distribution's dates are published.
type eolSource struct {
	name, url, meaning string
}

var eolSources = map[string]eolSource{
	"debian":    {"Debian", "https://wiki.debian.org/LTS", "the end of Debian LTS"},
	"ubuntu":    {"Ubuntu", "https://ubuntu.com/about/release-cycle", "the end of standard support"},
	"alpine":    {"Alpine Linux", "https://alpinelinux.org/releases/", "the end of support"},
	"rhel":      {"Red Hat Enterprise Linux", "https://access.redhat.com/support/policy/updates/errata", "the end of maintenance support"},
	"centos":    {"CentOS", "https://www.centos.org/centos-linux-eol/", "the end of updates"},
	"fedora":    {"Fedora Linux", "https://docs.fedoraproject.org/en-US/releases/eol/", "the end of updates"},
	"amzn":      {"Amazon Linux", "https://docs.aws.amazon.com/linux/al2023/ug/release-cadence.html", "the end of support"},
	"rocky":     {"Rocky Linux", "https://wiki.rockylinux.org/rocky/version/", "the end of security support"},
	"almalinux": {"AlmaLinux", "https://wiki.almalinux.org/release-notes/", "the end of security support"},
}

// eolDates maps distribution ID and release (as eolRelease spells it) to the last
// day of support.
var eolDates = map[string]map[string]string{
	"debian": {
		"7": "2018-05-31", "8": "2020-06-30", "9": "2022-06-30", "10": "2024-06-30",
		"11": "2026-08-31", "12": "2028-06-30", "13": "2030-06-30",
	},
	"ubuntu": {
		"14.04": "2019-04-30", "16.04": "2021-04-30", "18.04": "2023-05-31", "20.04": "2025-05-31",
		"22.04": "2027-06-01", "24.04": "2029-05-31",
		"20.10": "2021-07-22", "21.04": "2022-01-20", "21.10": "2022-07-14", "22.10": "2023-07-20",
		"23.04": "2024-01-25", "23.10": "2024-07-11", "24.10": "2025-07-10",
	},
	"alpine": {
		"3.7": "2019-11-01", "3.8": "2020-05-01", "3.9": "2020-11-01", "3.10": "2021-05-01",
		"3.11": "2021-11-01", "3.12": "2022-05-01", "3.13": "2022-11-01", "3.14": "2023-05-01",
		"3.15": "2023-11-01", "3.16": "2024-05-23", "3.17": "2024-11-22", "3.18": "2025-05-09",
		"3.19": "2025-11-01", "3.20": "2026-04-01", "3.21": "2026-11-01", "3.22": "2027-05-01",
	},
	"rhel":      {"6": "2020-11-30", "7": "2024-06-30", "8": "2029-05-31", "9": "2032-05-31"},
	"centos":    {"6": "2020-11-30", "7": "2024-06-30", "8": "2021-12-31", "stream-8": "2024-05-31", "stream-9": "2027-05-31"},
	"fedora":    {"35": "2022-12-13", "36": "2023-05-16", "37": "2023-12-05", "38": "2024-05-21", "39": "2024-11-26", "40": "2025-05-13", "41": "2025-12-15", "42": "2026-05-28"},
	"amzn":      {"2018.03": "2023-12-31", "2": "2026-06-30", "2023": "2029-06-30"},
	"rocky":     {"8": "2029-05-31", "9": "2032-05-31"},
	"almalinux": {"8": "2029-03-01", "9": "2032-05-31"},
}

// eolRelease is the table's key for a distribution release: the major version
// (Debian, RHEL and its rebuilds, CentOS Linux, Fedora), major.minor (Alpine,
// Ubuntu), the whole VERSION_ID (Amazon Linux), stream-N for CentOS Stream.
func eolRelease(d *software.Distro) (id, release string) {
	id = strings.ToLower(d.ID)
	v := d.VersionID
	major, rest, _ := strings.Cut(v, ".")
	switch id {
	case "debian", "rhel", "fedora", "rocky", "almalinux":
		return id, major
	case "centos":
		if strings.Contains(strings.ToLower(d.PrettyName), "stream") {
			return id, "stream-" + major
		}
		return id, major
	case "alpine", "ubuntu":
		minor, _, _ := strings.Cut(rest, ".")
		if minor == "" {
			return id, v
		}
		return id, major + "." + minor
	}
	return id, v
}

// eolOf returns the end of life of the release and its source, ok false when the
// table does not list the release.
func eolOf(d *software.Distro) (end time.Time, src eolSource, ok bool) {
	if d == nil {
		return time.Time{}, eolSource{}, false
	}
	id, rel := eolRelease(d)
	date, ok := eolDates[id][rel]
	if !ok {
		return time.Time{}, eolSource{}, false
	}
	end, err := time.Parse(time.DateOnly, date)
	if err != nil {
		return time.Time{}, eolSource{}, false
	}
	return end, eolSources[id], true
}

// eolPassed reports whether the last day of support, end, is over at the time at
// (judged in UTC: the day after end).
func eolPassed(end, at time.Time) bool {
	return !at.UTC().Before(end.AddDate(0, 0, 1))
}

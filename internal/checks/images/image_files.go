package images

// PAL-124..PAL-126: what an image's files allow. A setuid or setgid binary runs with
// its owner's (usually root's) privileges whoever starts it: the standard ones of a
// distribution (passwd, su, mount) are known and reviewed, any other is a privilege
// escalation path. A world-writable file or directory outside the temporary
// directories lets any user of the container change what another runs or reads.
// An SSH server in a container is a second way in that bypasses kubectl exec and its
// audit, and host keys baked into an image are the same private key in every
// container that runs it.

import (
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/rules"
)

// expectedSetID are the setuid and setgid binaries the base images of the common
// distributions install (Debian and Ubuntu: login, passwd, mount, util-linux,
// openssh-client, bsdutils, cron; Alpine: busybox's bbsuid; RHEL, UBI, Fedora, CentOS,
// Amazon Linux: shadow-utils, util-linux, pam, openssh). Each is both /bin and
// /usr/bin (merged /usr) where either exists. sudo, pkexec and anything under
// /usr/local or an application directory are not expected.
var expectedSetID = func() map[string]bool {
	m := map[string]bool{}
	for _, p := range []string{
		// setuid root
		"bin/su", "bin/mount", "bin/umount", "bin/ping", "bin/ping6", "bin/fusermount", "bin/fusermount3",
		"bin/passwd", "bin/chsh", "bin/chfn", "bin/gpasswd", "bin/newgrp", "bin/newuidmap", "bin/newgidmap",
		"bin/bbsuid", "sbin/unix_chkpwd", "sbin/pam_timestamp_check", "sbin/mount.nfs",
		"lib/openssh/ssh-keysign", "libexec/openssh/ssh-keysign",
		"lib/dbus-1.0/dbus-daemon-launch-helper", "libexec/dbus-1/dbus-daemon-launch-helper",
		// setgid (shadow, tty, crontab, mail, ssh)
		"bin/chage", "bin/expiry", "bin/wall", "bin/write", "bin/bsd-write", "bin/crontab", "bin/ssh-agent",
		"bin/dotlockfile", "bin/mlocate", "bin/locate", "sbin/pam_extrausers_chkpwd", "sbin/netreport",
		"libexec/utempter/utempter", "lib/x86_64-linux-gnu/utempter/utempter", "lib/aarch64-linux-gnu/utempter/utempter",
	} {
		m["/"+p] = true
		m["/usr/"+p] = true
	}
	return m
}()

// tempDirs are the directories meant to be world-writable, with the sticky bit
// (only a file's owner may delete or rename it): their contents are not judged.
var tempDirs = []string{"/tmp", "/var/tmp", "/dev/shm", "/run/lock", "/var/lock"}

// octalMode writes a mode as chmod does, with the setuid, setgid and sticky digit.
func octalMode(m fs.FileMode) string {
	n := uint32(m.Perm())
	if m&fs.ModeSetuid != 0 {
		n |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		n |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		n |= 0o1000
	}
	return fmt.Sprintf("%04o", n)
}

// inTempDir reports whether p is a temporary directory (dir true) or inside one.
func inTempDir(p string) (in, dir bool) {
	for _, t := range tempDirs {
		if p == t {
			return true, true
		}
		if strings.HasPrefix(p, t+"/") {
			return true, false
		}
	}
	return false, false
}

// sshServers are the file names of SSH server binaries.
var sshServers = map[string]bool{"sshd": true, "dropbear": true}

// sshServerPackages are the packages that install an SSH server.
var sshServerPackages = map[string]bool{"openssh-server": true, "dropbear": true, "dropbear-bin": true, "openssh-server-pam": true}

// isHostKey reports whether p is an SSH host private key (/etc/ssh/ssh_host_*_key,
// dropbear's /etc/dropbear/dropbear_*_host_key).
func isHostKey(p string) bool {
	b := path.Base(p)
	switch path.Dir(p) {
	case "/etc/ssh":
		return strings.HasPrefix(b, "ssh_host_") && strings.HasSuffix(b, "_key")
	case "/etc/dropbear":
		return strings.HasPrefix(b, "dropbear_") && strings.HasSuffix(b, "_host_key")
	}
	return false
}

func init() {
	registerImage(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-124", Title: "Unexpected setuid or setgid file in the image", Severity: medium,
			Rationale: "A setuid or setgid executable runs with the privileges of its owner or group (usually root) whoever starts it: a flaw in it, or a file an attacker can replace, " +
				"turns any process of the container into root. Distribution base images ship a known set (passwd, su, mount, unix_chkpwd, ...); any other setuid or setgid file was added by the image's build.",
			Remediation: "Remove the bit in the build (RUN chmod u-s,g-s <file>, or find / -perm /6000 -type f -exec chmod a-s {} + for all of them), and run containers with allowPrivilegeEscalation: false, which makes the kernel ignore it (no_new_privs).",
			References:  []string{refK8sSecurityCkl, "https://kubernetes.io/docs/tasks/configure-pod-container/security-context/"},
			Params: []rules.Param{{Name: "allowedPaths", Syntax: rules.Glob, Default: []string{},
				Description: "Globs of absolute paths (path.Match syntax) of setuid and setgid files to accept besides the distributions' standard ones."}},
		},
		Object: func(p *rules.Pass, o *inventory.Object) {
			img := o.Image
			if img == nil {
				return
			}
			allowed := p.Strings("allowedPaths")
			err := visibleEntries(img, func(e *inventory.ImageEntry) {
				if e.Type != inventory.EntryRegular || e.Mode&(fs.ModeSetuid|fs.ModeSetgid) == 0 || expectedSetID[e.Path] || globsMatch(allowed, e.Path) {
					return
				}
				var bits []string
				if e.Mode&fs.ModeSetuid != 0 {
					bits = append(bits, fmt.Sprintf("setuid (runs as UID %d)", e.UID))
				}
				if e.Mode&fs.ModeSetgid != 0 {
					bits = append(bits, fmt.Sprintf("setgid (runs with GID %d)", e.GID))
				}
				p.ReportImage(img.Location(e.Layer, e.Path, ""), nil, "%s is %s, mode %s, added in layer %d, and is not a standard setuid/setgid binary",
					e.Path, strings.Join(bits, " and "), octalMode(e.Mode), e.Layer)
			})
			if err != nil {
				p.Fail(err)
			}
		},
	})
	registerImage(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-125", Title: "World-writable file or directory in the image", Severity: medium,
			Rationale: "Any user of a container may change a world-writable file (a script, a configuration, a library another process loads) or, in a world-writable directory without the sticky bit, " +
				"delete and replace the files of others. Outside /tmp, /var/tmp, /dev/shm and /run/lock (sticky, meant for it) that lets an unprivileged process tamper with what a privileged one runs.",
			Remediation: "Remove the write permission for others in the build (chmod o-w), give the files to the user that writes them, and mount writable data as a volume (emptyDir) with readOnlyRootFilesystem: true.",
			References:  []string{refK8sSecurityCkl},
			Params: []rules.Param{{Name: "allowedPaths", Syntax: rules.Glob, Default: []string{},
				Description: "Globs of absolute paths (path.Match syntax) that may be world-writable besides the temporary directories."}},
		},
		Object: func(p *rules.Pass, o *inventory.Object) {
			img := o.Image
			if img == nil {
				return
			}
			allowed := p.Strings("allowedPaths")
			err := visibleEntries(img, func(e *inventory.ImageEntry) {
				if e.Type != inventory.EntryRegular && e.Type != inventory.EntryDir || e.Mode&0o002 == 0 || globsMatch(allowed, e.Path) {
					return
				}
				in, isTemp := inTempDir(e.Path)
				switch {
				case isTemp && e.Mode&fs.ModeSticky != 0, in && !isTemp:
					return
				case isTemp:
					p.ReportImage(img.Location(e.Layer, e.Path, ""), nil, "the temporary directory %s is world-writable without the sticky bit (mode %s): any user may delete or replace the files of others", e.Path, octalMode(e.Mode))
				case e.Type == inventory.EntryDir:
					p.ReportImage(img.Location(e.Layer, e.Path, ""), nil, "the directory %s is world-writable (mode %s, layer %d)", e.Path, octalMode(e.Mode), e.Layer)
				default:
					p.ReportImage(img.Location(e.Layer, e.Path, ""), nil, "the file %s is world-writable (mode %s, layer %d)", e.Path, octalMode(e.Mode), e.Layer)
				}
			})
			if err != nil {
				p.Fail(err)
			}
		},
	})
	registerImage(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-126", Title: "SSH server or SSH host keys in the image", Severity: medium,
			Rationale: "An SSH server in a container is a second way in, with its own credentials and none of the API server's authentication, authorisation and audit of kubectl exec; " +
				"SSH host private keys baked into an image are the same key in every container that runs it, readable by anyone who can pull it, so any of them can impersonate all the others.",
			Remediation: "Do not run SSH in containers: use kubectl exec or kubectl debug (ephemeral containers). Remove the openssh-server package and the /etc/ssh/ssh_host_*_key files from the image; generate host keys at start-up if a server is truly needed.",
			References:  []string{"https://kubernetes.io/docs/tasks/debug/debug-application/debug-running-pod/", refK8sSecurityCkl},
		},
		Object: func(p *rules.Pass, o *inventory.Object) {
			img := o.Image
			if img == nil {
				return
			}
			server := false
			err := visibleEntries(img, func(e *inventory.ImageEntry) {
				switch {
				case e.Type == inventory.EntryRegular && sshServers[path.Base(e.Path)] && strings.Contains(e.Path, "bin/"):
					server = true
					p.ReportImage(img.Location(e.Layer, e.Path, ""), nil, "the image contains the SSH server %s (layer %d)", e.Path, e.Layer)
				case e.Type == inventory.EntryRegular && isHostKey(e.Path):
					p.ReportImage(img.Location(e.Layer, e.Path, ""), nil, "the image contains the SSH host private key %s (layer %d): every container of the image has the same key", e.Path, e.Layer)
				}
			})
			if err != nil {
				p.Fail(err)
			}
			if server {
				return
			}
			for _, pkg := range img.Software.Packages {
				if sshServerPackages[pkg.Name] && (pkg.Ecosystem == "deb" || pkg.Ecosystem == "apk" || pkg.Ecosystem == "rpm") {
					p.ReportImage(img.Location(pkg.Location.Layer, pkg.Location.Path, ""), nil, "the image has the SSH server package %s %s installed (%s)", pkg.Name, pkg.Version, pkg.Location.Path)
					return
				}
			}
		},
	})
}

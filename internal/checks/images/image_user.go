package images

// PAL-120: the image runs as root. The configuration's User is what a runtime runs
// the entrypoint as unless the pod sets runAsUser: empty (no USER instruction), root,
// UID 0 (with or without a group: "0:0", "0:1000", "root:root"), or a named user
// that the image's own /etc/passwd maps to UID 0.

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"io/fs"
	"strconv"
	"strings"

	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/rules"
)

// Bounds of the /etc/passwd read.
const (
	maxPasswdBytes = 1 << 20
	maxPasswdLines = 100_000
)

// passwdUID is the UID /etc/passwd gives user: found false when the file does not
// list it. The file is read up to maxPasswdBytes and maxPasswdLines; a malformed line
// is skipped, as the C library skips it.
func passwdUID(r io.Reader, user string) (uid int, found bool, err error) {
	prefix := []byte(user + ":")
	sc := bufio.NewScanner(io.LimitReader(r, maxPasswdBytes))
	sc.Buffer(make([]byte, 0, 4096), maxPasswdBytes)
	for n := 0; sc.Scan(); n++ {
		if n >= maxPasswdLines {
			return 0, false, errors.New("more than 100000 lines")
		}
		line := sc.Bytes()
		if !bytes.HasPrefix(line, prefix) {
			continue
		}
		f := bytes.SplitN(line, []byte(":"), 4)
		if len(f) < 4 || string(f[0]) != user {
			continue
		}
		id, err := strconv.Atoi(string(f[2]))
		if err != nil || id < 0 {
			continue
		}
		return id, true, nil
	}
	return 0, false, sc.Err()
}

// rootUser says why a configuration User runs as root ("" if it does not, or if
// that cannot be known), reading /etc/passwd of files for a named user.
func rootUser(user string, files fs.FS) string {
	name, group, hasGroup := strings.Cut(user, ":")
	switch {
	case user == "":
		return "sets no User (no USER instruction), so it runs as root"
	case name == "root" || name == "0":
		if hasGroup {
			return "runs as root (User " + strconv.Quote(user) + ", UID 0 with group " + strconv.Quote(group) + ")"
		}
		return "runs as root (User " + strconv.Quote(user) + ")"
	}
	if _, err := strconv.Atoi(name); err == nil || files == nil {
		return ""
	}
	f, err := files.Open("etc/passwd")
	if err != nil {
		return "" // not kept, or absent: the runtime would refuse the user
	}
	defer f.Close()
	if uid, found, err := passwdUID(f, name); err == nil && found && uid == 0 {
		return "runs as root: User " + strconv.Quote(user) + " has UID 0 in /etc/passwd"
	}
	return ""
}

func init() {
	registerImage(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-120", Title: "Image runs as root", Severity: high,
			Rationale: "An image whose configuration sets no User, root, UID 0 (\"0:0\", \"root:root\") or a user its /etc/passwd maps to UID 0 runs its processes as root unless every pod that runs it sets runAsUser: " +
				"a compromised process then owns the container's files and is one kernel or runtime flaw away from the node. Pods with runAsNonRoot refuse to start it.",
			Remediation: "Build the image with a USER instruction naming an unprivileged numeric UID (USER 10001:10001) and give the files it writes to that user; set runAsNonRoot and runAsUser in the pod too.",
			References:  []string{refOCIConfig, refDockerfileUser},
			Frameworks:  rules.Frameworks{NSA: []string{nsaNonRoot, nsaImages}, Layer: layerContainer},
		},
		Object: func(p *rules.Pass, o *inventory.Object) {
			img := o.Image
			if img == nil || !hasConfig(img) {
				return
			}
			var files fs.FS
			if img.Files != nil {
				files = img.Files
			}
			if why := rootUser(img.Config.User, files); why != "" {
				p.ReportImage(img.Location(-1, "", "config.User"), nil, "the image %s", why)
			}
		},
	})
}

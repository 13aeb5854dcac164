package nodecollect

// File metadata: the owner, group and mode of the files the CIS checks name, read
// under the host root (symbolic links followed inside it), the names from the
// host's /etc/passwd and /etc/group. Only metadata: no kubeconfig, key,
// certificate or environment file is ever opened.

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"github.com/palisade-k8s/palisade/internal/nodefacts"
)

const (
	// maxDirEntries bounds a directory listed (a drop-in or PKI directory).
	maxDirEntries = 4096
	// maxPKIFiles bounds the certificates and keys recorded under the PKI
	// directory.
	maxPKIFiles = 512
	// maxAccountsFile bounds /etc/passwd and /etc/group.
	maxAccountsFile = 4 << 20
)

func sortEntries(es []fs.DirEntry) {
	sort.Slice(es, func(i, j int) bool { return es[i].Name() < es[j].Name() })
}

// parseAccounts reads /etc/passwd or /etc/group: NAME:x:ID:... lines, the first
// name of an ID kept.
func parseAccounts(data []byte) map[int]string {
	out := map[int]string{}
	for _, l := range strings.Split(string(data), "\n") {
		f := strings.Split(l, ":")
		if len(f) < 3 || f[0] == "" || strings.HasPrefix(f[0], "#") {
			continue
		}
		id, err := strconv.Atoi(f[2])
		if err != nil || id < 0 {
			continue
		}
		if _, ok := out[id]; !ok {
			out[id] = f[0]
		}
	}
	return out
}

// fileMeta examines the host path p for role, from where the path came.
func (c *collector) fileMeta(p, role, from string) nodefacts.File {
	f := nodefacts.File{Path: p, Role: role, From: from, UID: -1, GID: -1}
	if !c.spend() {
		f.Error = "not examined: the collector's bound on work was reached"
		return f
	}
	_, fi, err := c.host.stat(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return f
		}
		f.Error = c.errText(err)
		return f
	}
	f.Exists = true
	switch {
	case fi.IsDir():
		f.Type = "dir"
	case fi.Mode().IsRegular():
		f.Type = "file"
	default:
		f.Type = "other"
	}
	f.Mode = fmt.Sprintf("%04o", fi.Mode().Perm()|setBits(fi.Mode()))
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		f.UID, f.GID = int(st.Uid), int(st.Gid)
		f.User, f.Group = c.users[f.UID], c.groups[f.GID]
	}
	return f
}

// setBits are the setuid, setgid and sticky bits in their octal places.
func setBits(m fs.FileMode) fs.FileMode {
	var b fs.FileMode
	if m&fs.ModeSetuid != 0 {
		b |= 04000
	}
	if m&fs.ModeSetgid != 0 {
		b |= 02000
	}
	if m&fs.ModeSticky != 0 {
		b |= 01000
	}
	return b
}

// addFile records a file's metadata once per path and role.
func (c *collector) addFile(p, role, from string) {
	if p == "" {
		return
	}
	key := role + "\x00" + p
	if c.seen[key] {
		return
	}
	c.seen[key] = true
	c.facts.Files = append(c.facts.Files, c.fileMeta(p, role, from))
}

// addFirst records the first existing of the candidates (the profile's locations),
// else the first, missing.
func (c *collector) addFirst(cands []string, role, from string) {
	for _, p := range cands {
		if _, _, err := c.host.stat(p); err == nil {
			c.addFile(p, role, from)
			return
		}
	}
	if len(cands) > 0 {
		c.addFile(cands[0], role, from)
	}
}

// addPKI records the PKI directory and every *.crt and *.key under it (bounded).
func (c *collector) addPKI(dir string) {
	c.addFile(dir, nodefacts.RolePKIDir, "profile")
	n := 0
	var walk func(d string, depth int)
	walk = func(d string, depth int) {
		if depth > 4 || n >= maxPKIFiles {
			return
		}
		_, es, err := c.host.readDir(d)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) && d != dir {
				c.note("%s: %s", d, c.errText(err))
			}
			return
		}
		for _, e := range es {
			p := path.Join(d, e.Name())
			switch {
			case e.IsDir():
				walk(p, depth+1)
			case strings.HasSuffix(e.Name(), ".crt"):
				n++
				c.addFile(p, nodefacts.RolePKICert, "under "+dir)
			case strings.HasSuffix(e.Name(), ".key"):
				n++
				c.addFile(p, nodefacts.RolePKIKey, "under "+dir)
			}
			if n >= maxPKIFiles {
				c.note("%s: more than %d certificates and keys; the rest are not listed", dir, maxPKIFiles)
				return
			}
		}
	}
	walk(dir, 0)
}

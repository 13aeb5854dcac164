// Package dpkg catalogs the packages dpkg installed (Debian, Ubuntu and their
// derivatives): var/lib/dpkg/status, and the var/lib/dpkg/status.d directory of
// distroless images (one file per package, no dpkg). A package is listed when dpkg
// has its files on disk: every Status but "not-installed" and "config-files" (the
// packages `dpkg-query -W` lists, less those removed with their configuration
// files kept); an entry without Status (status.d) is installed.
package dpkg

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/palisade-k8s/palisade/internal/software"
)

const (
	statusFile = "var/lib/dpkg/status"
	statusDir  = "var/lib/dpkg/status.d"
	// Bounds: a Debian system with 5,000 packages has a status file of 10 MB.
	maxFile     = 256 << 20 // bytes read from one file
	maxLine     = 1 << 20   // bytes in one line
	maxStanzas  = 1 << 18   // packages in one file
	maxDirFiles = 1 << 16   // files in status.d
)

func init() {
	software.Register(software.Cataloger{Name: "dpkg", Keep: Keep, Catalog: Catalog})
}

// Keep keeps the status file, the files of status.d but their md5sums, and the
// packages' copyright files (their licenses).
func Keep(name string, _ fs.FileMode, _ int64, _ []byte) bool {
	if name == statusFile {
		return true
	}
	if strings.HasPrefix(name, statusDir+"/") {
		return !strings.HasSuffix(name, ".md5sums")
	}
	return isCopyright(name)
}

// entry is one package stanza.
type entry struct {
	name, version, arch string
	source, srcVersion  string // Source: "name (version)", either empty when absent
	state               string // the third word of Status, "" when absent
	line                int    // the stanza's first line
}

// installed reports whether dpkg has the package's files on disk.
func (e *entry) installed() bool {
	return e.state != "not-installed" && e.state != "config-files"
}

// key is the entry's identity in a database: a package is installed once per
// architecture (Multi-Arch: same).
func (e *entry) key() string { return e.name + ":" + e.arch }

// parse reads the stanzas of a dpkg database file (deb822: "Field: value" lines,
// continuation lines starting with a blank, stanzas separated by blank lines),
// calling fn for each stanza with a Package. Malformed lines and stanzas are
// returned; err is what stopped the read (an I/O error, a bound).
func parse(ctx context.Context, r io.Reader, fn func(entry)) (bad []software.LineError, err error) {
	var e entry
	err = database.Read(ctx, r, func(n int, line []byte, start bool) {
		if start {
			e.line = n
		}
		if line[0] == ' ' || line[0] == '\t' {
			if start {
				bad = append(bad, software.LineError{Line: n, Msg: "continuation line without a field"})
			}
			return // continuation of a multi-line field: none we read
		}
		i := bytes.IndexByte(line, ':')
		if i <= 0 || bytes.IndexByte(line[:i], ' ') >= 0 || bytes.IndexByte(line[:i], '\t') >= 0 {
			bad = append(bad, software.LineError{Line: n, Msg: "not a field"})
			return
		}
		name, value := line[:i], bytes.TrimSpace(line[i+1:])
		switch {
		case bytes.EqualFold(name, []byte("package")):
			e.name = string(value)
		case bytes.EqualFold(name, []byte("version")):
			e.version = string(value)
		case bytes.EqualFold(name, []byte("architecture")):
			e.arch = string(value)
		case bytes.EqualFold(name, []byte("source")):
			src, ver, _ := strings.Cut(string(value), " ")
			e.source = src
			if ver = strings.TrimSpace(ver); strings.HasPrefix(ver, "(") && strings.HasSuffix(ver, ")") {
				e.srcVersion = strings.TrimSpace(ver[1 : len(ver)-1])
			}
		case bytes.EqualFold(name, []byte("status")):
			if f := bytes.Fields(value); len(f) == 3 {
				e.state = string(f[2])
			} else {
				bad = append(bad, software.LineError{Line: n, Msg: fmt.Sprintf("Status %q is not three words", value)})
			}
		}
	}, func() {
		switch {
		case e.name == "":
			bad = append(bad, software.LineError{Line: e.line, Msg: "stanza without Package"})
		case e.version == "" && e.installed():
			bad = append(bad, software.LineError{Line: e.line, Msg: fmt.Sprintf("package %q without Version", e.name)})
		case e.version == "":
			// a package dpkg knows but not installed (purged) has no version
		default:
			fn(e)
		}
		e = entry{}
	})
	return bad, err
}

var database = software.Stanzas{
	MaxFile: maxFile, MaxLine: maxLine, Max: maxStanzas, Noun: "stanzas",
	Blank: func(line []byte) bool { return len(bytes.TrimSpace(line)) == 0 },
}

// Catalog reads var/lib/dpkg/status and the files of var/lib/dpkg/status.d.
func Catalog(ctx context.Context, fsys fs.FS, env software.Env) ([]software.Package, []software.Problem) {
	var (
		pkgs  []software.Package
		probs []software.Problem
	)
	p, pr := catalogFile(ctx, fsys, env, statusFile)
	pkgs, probs = append(pkgs, p...), append(probs, pr...)
	ents, err := fs.ReadDir(fsys, statusDir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		probs = append(probs, software.Problem{Path: "/" + statusDir, Err: err.Error()})
	}
	if len(ents) > maxDirFiles {
		probs = append(probs, software.Problem{Path: "/" + statusDir, Err: fmt.Sprintf("more than %d files: the rest is not read", maxDirFiles)})
		ents = ents[:maxDirFiles]
	}
	for _, d := range ents {
		if ctx.Err() != nil {
			probs = append(probs, software.Problem{Path: "/" + statusDir, Err: ctx.Err().Error()})
			break
		}
		name := path.Join(statusDir, d.Name())
		if d.IsDir() || !Keep(name, 0, 0, nil) {
			continue // a directory, or an md5sums file
		}
		p, pr := catalogFile(ctx, fsys, env, name)
		pkgs, probs = append(pkgs, p...), append(probs, pr...)
	}
	return pkgs, append(probs, addLicenses(ctx, fsys, pkgs)...)
}

// catalogFile reads one database file; a missing file is no package.
func catalogFile(ctx context.Context, fsys fs.FS, env software.Env, name string) ([]software.Package, []software.Problem) {
	abs := "/" + name
	f, probs := software.OpenDatabase(fsys, name)
	if f == nil {
		return nil, probs
	}
	defer f.Close()
	var ents []entry
	bad, err := parse(ctx, f, func(e entry) {
		if e.installed() {
			ents = append(ents, e)
		}
	})
	probs = software.FileProblems(abs, bad, err)
	final := make(map[string]string, len(ents))
	for i := range ents {
		final[ents[i].key()] = ents[i].version
	}
	layer := software.Attribute(ctx, env.Layers, name, final, versions(ctx))
	pkgs := make([]software.Package, 0, len(ents))
	for i := range ents {
		pkgs = append(pkgs, pkg(&ents[i], env.Distro, abs, layer[ents[i].key()]))
	}
	sort.Slice(pkgs, func(i, j int) bool { return pkgs[i].Name < pkgs[j].Name })
	return pkgs, probs
}

// versions parses an older version of a database file into its installed packages'
// versions, for software.Attribute.
func versions(ctx context.Context) func(io.Reader) (map[string]string, error) {
	return func(r io.Reader) (map[string]string, error) {
		m := map[string]string{}
		_, err := parse(ctx, r, func(e entry) {
			if e.installed() {
				m[e.key()] = e.version
			}
		})
		return m, err
	}
}

// pkg is the Package of an entry: the source package as `dpkg-query -W
// -f '${source:Package} ${source:Version}'` prints it (the binary's name and version
// when Source omits them).
func pkg(e *entry, d *software.Distro, abs string, layer int) software.Package {
	srcName, srcVer := e.source, e.srcVersion
	if srcName == "" {
		srcName = e.name
	}
	if srcVer == "" || srcVer == e.version {
		srcVer = ""
	}
	upstream := ""
	if srcName != e.name || srcVer != "" {
		upstream = srcName
		if srcVer != "" {
			upstream += "@" + srcVer
		}
	}
	return software.Package{
		Ecosystem:     software.Deb,
		Name:          e.name,
		Version:       e.version,
		PURL:          software.OSPURL(software.Deb, d, e.name, e.version, e.arch, "upstream", upstream),
		SourceName:    srcName,
		SourceVersion: srcVer,
		Arch:          e.arch,
		Cataloger:     "dpkg",
		Location:      software.Location{Path: abs, Layer: layer},
	}
}

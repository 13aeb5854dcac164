// Package apk catalogs the packages apk-tools installed (Alpine, Wolfi, Chainguard):
// lib/apk/db/installed, one block of "X:value" lines per package (P name, V version,
// A architecture, o origin: the source package, L license), blocks separated by
// blank lines.
package apk

import (
	"context"
	"io"
	"io/fs"

	"github.com/palisade-k8s/palisade/internal/software"
)

const (
	installed = "lib/apk/db/installed"
	// Bounds: an Alpine system with 1,000 packages has a database of a few MB.
	maxFile     = 256 << 20
	maxLine     = 1 << 20
	maxPackages = 1 << 18
)

func init() {
	software.Register(software.Cataloger{Name: "apk", Keep: Keep, Catalog: Catalog})
}

// Keep keeps the installed database.
func Keep(name string, _ fs.FileMode, _ int64, _ []byte) bool { return name == installed }

// entry is one package block.
type entry struct {
	name, version, arch, origin, license string
	line                                 int
}

// parse reads the blocks of an installed database, calling fn for each with a name
// and a version; malformed lines and blocks are returned with their line, err is
// what stopped the read.
func parse(ctx context.Context, r io.Reader, fn func(entry)) (bad []software.LineError, err error) {
	var e entry
	err = database.Read(ctx, r, func(n int, l []byte, start bool) {
		line := string(l)
		if start {
			e.line = n
		}
		if len(line) < 2 || line[1] != ':' {
			bad = append(bad, software.LineError{Line: n, Msg: "not a field"})
			return
		}
		v := line[2:]
		switch line[0] {
		case 'P':
			e.name = v
		case 'V':
			e.version = v
		case 'A':
			e.arch = v
		case 'o':
			e.origin = v
		case 'L':
			e.license = v
		}
	}, func() {
		if e.name == "" || e.version == "" {
			bad = append(bad, software.LineError{Line: e.line, Msg: "package without P: or V:"})
		} else {
			fn(e)
		}
		e = entry{}
	})
	return bad, err
}

var database = software.Stanzas{MaxFile: maxFile, MaxLine: maxLine, Max: maxPackages, Noun: "packages"}

// Catalog reads lib/apk/db/installed.
func Catalog(ctx context.Context, fsys fs.FS, env software.Env) ([]software.Package, []software.Problem) {
	const abs = "/" + installed
	f, probs := software.OpenDatabase(fsys, installed)
	if f == nil {
		return nil, probs
	}
	defer f.Close()
	var ents []entry
	bad, err := parse(ctx, f, func(e entry) { ents = append(ents, e) })
	probs = software.FileProblems(abs, bad, err)
	final := make(map[string]string, len(ents))
	for _, e := range ents {
		final[e.name] = e.version
	}
	layer := software.Attribute(ctx, env.Layers, installed, final, func(r io.Reader) (map[string]string, error) {
		m := map[string]string{}
		_, err := parse(ctx, r, func(e entry) { m[e.name] = e.version })
		return m, err
	})
	pkgs := make([]software.Package, 0, len(ents))
	for _, e := range ents {
		upstream := ""
		if e.origin != e.name {
			upstream = e.origin
		}
		p := software.Package{
			Ecosystem:  software.APK,
			Name:       e.name,
			Version:    e.version,
			PURL:       software.OSPURL(software.APK, env.Distro, e.name, e.version, e.arch, "upstream", upstream),
			SourceName: e.origin,
			Arch:       e.arch,
			Cataloger:  "apk",
			Location:   software.Location{Path: abs, Layer: layer[e.name]},
		}
		if e.license != "" {
			p.Licenses = []string{e.license}
		}
		pkgs = append(pkgs, p)
	}
	return pkgs, probs
}

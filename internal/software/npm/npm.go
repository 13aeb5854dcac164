// Package npm catalogs Node.js packages: the package.json of every package
// installed under a node_modules directory (what `npm ls` lists, including npm's own
// tree in /usr/local/lib/node_modules), and package-lock.json / npm-shrinkwrap.json
// (lockfileVersion 1, 2 and 3) for projects whose dependencies are not installed
// beside the lockfile.
//
// When a lockfile's directory has a node_modules directory, the installed
// package.json files are the truth (a production install leaves the dev
// dependencies and other platforms' optional ones out), so that lockfile adds
// nothing. A lockfile alone (an application bundled without node_modules) lists
// what it would install in production: every entry but those marked dev, links
// to workspace sources and the project itself.
package npm

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/palisade-k8s/palisade/internal/software"
)

// Name is the cataloger's name.
const Name = "npm"

// Bounds.
const (
	MaxLockfileSize    = 64 << 20
	MaxPackageJSONSize = 4 << 20
	maxEntries         = 200000
	maxDepth           = 64
)

func init() {
	software.Register(software.Cataloger{Name: Name, Keep: Keep, Catalog: Catalog})
}

// Keep keeps package.json files of installed packages and lockfiles.
func Keep(name string, mode fs.FileMode, size int64, head []byte) bool {
	if !mode.IsRegular() {
		return false
	}
	switch path.Base(name) {
	case "package.json":
		return size <= MaxPackageJSONSize && installedDir(path.Dir(name))
	case "package-lock.json", "npm-shrinkwrap.json":
		return size <= MaxLockfileSize && !strings.Contains(name, "node_modules/")
	}
	return false
}

// installedDir reports whether dir is a package directory in a node_modules
// directory: node_modules/x or node_modules/@scope/x.
func installedDir(dir string) bool {
	parent := path.Dir(dir)
	if path.Base(parent) == "node_modules" {
		return !strings.HasPrefix(path.Base(dir), ".")
	}
	return strings.HasPrefix(path.Base(parent), "@") && path.Base(path.Dir(parent)) == "node_modules"
}

// Catalog reads installed package.json files and lockfiles.
func Catalog(ctx context.Context, fsys fs.FS, env software.Env) ([]software.Package, []software.Problem) {
	var pkgs []software.Package
	var probs []software.Problem
	problem := func(name string, err error) {
		probs = append(probs, software.Problem{Path: "/" + name, Err: err.Error()})
	}
	for _, f := range env.FilesOf(ctx, fsys) {
		if ctx.Err() != nil {
			break
		}
		name := f.Name
		switch path.Base(name) {
		case "package.json", "package-lock.json", "npm-shrinkwrap.json":
		default:
			continue
		}
		if !Keep(name, f.Mode, f.Size, nil) {
			continue
		}
		loc := software.Location{Path: "/" + name, Layer: env.LayerOf(name)}
		if path.Base(name) == "package.json" {
			b, err := software.ReadFile(fsys, name, MaxPackageJSONSize)
			if err != nil {
				problem(name, err)
				continue
			}
			p, err := ParsePackageJSON(b)
			if err != nil {
				problem(name, err)
				continue
			}
			if p != nil {
				p.Location = loc
				pkgs = append(pkgs, *p)
			}
			continue
		}
		if st, err := fs.Stat(fsys, path.Join(path.Dir(name), "node_modules")); err == nil && st.IsDir() {
			continue // installed: the package.json files say what
		}
		b, err := software.ReadFile(fsys, name, MaxLockfileSize)
		if err != nil {
			problem(name, err)
			continue
		}
		found, err := ParseLockfile(b)
		if err != nil {
			problem(name, err)
		}
		for i := range found {
			found[i].Location = loc
		}
		software.AttributePackages(ctx, env.Layers, name, found, MaxLockfileSize, ParseLockfile)
		pkgs = append(pkgs, found...)
	}
	if err := ctx.Err(); err != nil {
		probs = append(probs, software.Problem{Path: "/", Err: err.Error()})
	}
	return pkgs, probs
}

// packageJSON is what a package.json says about the package.
type packageJSON struct {
	Name     string          `json:"name"`
	Version  string          `json:"version"`
	License  json.RawMessage `json:"license"`
	Licenses json.RawMessage `json:"licenses"`
}

// ParsePackageJSON reads an installed package's package.json: nil, nil when it
// names no package (a package.json without name or version).
func ParsePackageJSON(b []byte) (*software.Package, error) {
	var pj packageJSON
	if err := json.Unmarshal(b, &pj); err != nil {
		return nil, fmt.Errorf("package.json: %w", err)
	}
	if pj.Name == "" || pj.Version == "" {
		return nil, nil
	}
	p := pkg(pj.Name, pj.Version)
	p.Licenses = licenses(pj.License, pj.Licenses)
	return &p, nil
}

func pkg(name, version string) software.Package {
	return software.Package{
		Ecosystem: software.NPM,
		Name:      name,
		Version:   version,
		PURL:      PURL(name, version),
	}
}

// PURL is the Package URL of an npm package: pkg:npm/%40scope/name@version.
func PURL(name, version string) string {
	ns := ""
	if strings.HasPrefix(name, "@") {
		if i := strings.IndexByte(name, '/'); i > 0 {
			ns, name = name[:i], name[i+1:]
		}
	}
	return packageurl.NewPackageURL(packageurl.TypeNPM, ns, name, version, nil, "").ToString()
}

// licenses reads the license field (an SPDX expression, or the legacy {"type": }
// object) or the legacy licenses array.
func licenses(license, legacy json.RawMessage) []string {
	one := func(raw json.RawMessage) string {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
		var o struct {
			Type string `json:"type"`
		}
		if json.Unmarshal(raw, &o) == nil {
			return o.Type
		}
		return ""
	}
	if len(license) > 0 {
		if s := one(license); s != "" {
			return []string{s}
		}
	}
	var list []json.RawMessage
	if len(legacy) == 0 || json.Unmarshal(legacy, &list) != nil {
		return nil
	}
	var out []string
	for _, raw := range list {
		if s := one(raw); s != "" && len(out) < 16 {
			out = append(out, s)
		}
	}
	return out
}

// lockfile is package-lock.json: "packages" (v2, v3) keyed by install path, or
// "dependencies" (v1) nested by name.
type lockfile struct {
	LockfileVersion int                       `json:"lockfileVersion"`
	Packages        map[string]lockPackage    `json:"packages"`
	Dependencies    map[string]lockDependency `json:"dependencies"`
}

type lockPackage struct {
	Name    string          `json:"name"`
	Version string          `json:"version"`
	Dev     bool            `json:"dev"`
	Link    bool            `json:"link"`
	License json.RawMessage `json:"license"`
}

type lockDependency struct {
	Version      string                    `json:"version"`
	Dev          bool                      `json:"dev"`
	Dependencies map[string]lockDependency `json:"dependencies"`
}

// ParseLockfile reads a package-lock.json or npm-shrinkwrap.json: the packages it
// installs in production (not dev), once per name and version. Location is left
// to the caller.
func ParseLockfile(b []byte) ([]software.Package, error) {
	var lf lockfile
	if err := json.Unmarshal(b, &lf); err != nil {
		return nil, fmt.Errorf("package-lock.json: %w", err)
	}
	seen := map[string]bool{}
	var out []software.Package
	add := func(name, version string, lic []string) {
		if name == "" || version == "" || len(out) >= maxEntries {
			return
		}
		key := name + "@" + version
		if seen[key] {
			return
		}
		seen[key] = true
		p := pkg(name, version)
		p.Licenses = lic
		out = append(out, p)
	}
	if lf.Packages != nil {
		for key, e := range lf.Packages {
			i := strings.LastIndex(key, "node_modules/")
			if i < 0 || e.Link || e.Dev {
				continue // the project, a workspace's source, a link, a dev dependency
			}
			name := key[i+len("node_modules/"):]
			if e.Name != "" {
				name = e.Name // an alias: "node_modules/x": {"name": "real"}
			}
			add(name, e.Version, licenses(e.License, nil))
		}
		sortPackages(out)
		return out, nil
	}
	var visit func(deps map[string]lockDependency, depth int) error
	visit = func(deps map[string]lockDependency, depth int) error {
		if depth > maxDepth {
			return fmt.Errorf("package-lock.json: dependencies nested over %d levels", maxDepth)
		}
		for name, d := range deps {
			if d.Dev {
				continue
			}
			// A dependency from git, a tarball or a directory has its source as
			// version: no release to name.
			if !strings.Contains(d.Version, ":") {
				add(name, d.Version, nil)
			}
			if err := visit(d.Dependencies, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	err := visit(lf.Dependencies, 0)
	sortPackages(out)
	return out, err
}

func sortPackages(p []software.Package) {
	// Map order is random: keep the output stable.
	sort.Slice(p, func(i, j int) bool { return p[i].PURL < p[j].PURL })
}

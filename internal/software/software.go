// Package software is the model of what is installed in an image or a root
// filesystem: packages of every ecosystem with the Package URL that names them, the
// distribution release they belong to, and where each was read from. Catalogers (one
// subpackage per package database or ecosystem, registered by importing
// software/all) read an io/fs.FS: an image's merged filesystem, a directory, or a
// fstest.MapFS in tests. Vulnerability matching is keyed by what this package records
// (ecosystem, name, version, source package, distribution release), so catalogers
// record those exactly as the package database spells them.
package software

import (
	"context"
	"errors"
	"io/fs"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
)

// Ecosystem names a package ecosystem by its Package URL type.
type Ecosystem string

// Ecosystems.
const (
	Deb      Ecosystem = "deb"    // dpkg: Debian, Ubuntu, distroless
	APK      Ecosystem = "apk"    // Alpine, Wolfi
	RPM      Ecosystem = "rpm"    // RHEL, Fedora, Amazon Linux, SUSE, ...
	Golang   Ecosystem = "golang" // Go modules in binaries; the toolchain is the module "stdlib"
	NPM      Ecosystem = "npm"
	PyPI     Ecosystem = "pypi"
	Maven    Ecosystem = "maven"
	Gem      Ecosystem = "gem"      // Ruby gems
	NuGet    Ecosystem = "nuget"    // .NET
	Cargo    Ecosystem = "cargo"    // Rust crates (cargo-auditable binaries)
	Composer Ecosystem = "composer" // PHP
)

// Package is one installed package.
type Package struct {
	Ecosystem Ecosystem `json:"ecosystem"`
	Name      string    `json:"name"`
	// Version as the package database spells it (a dpkg version with its epoch, an
	// rpm EVR "epoch:version-release" with the epoch omitted when absent, a Go
	// module version with its "v").
	Version string `json:"version"`
	// PURL is the Package URL (https://github.com/package-url/purl-spec), with the
	// distribution qualifier for OS packages (distro=debian-12).
	PURL string `json:"purl"`
	// SourceName and SourceVersion are the source package (dpkg Source, rpm
	// SOURCERPM, apk origin) when the database records one; SourceVersion is set
	// only when it differs from Version. Distribution advisories are keyed by them.
	SourceName    string `json:"sourceName,omitempty"`
	SourceVersion string `json:"sourceVersion,omitempty"`
	Arch          string `json:"arch,omitempty"`
	// OS is the operating system a binary was built for (Go: GOOS), when it records
	// one; advisories limited to other systems do not apply to it.
	OS       string   `json:"os,omitempty"`
	Licenses []string `json:"licenses,omitempty"`
	// Cataloger names the cataloger that found the package ("dpkg", "go-binary").
	Cataloger string `json:"cataloger"`
	// Location is where it was read from.
	Location Location `json:"location"`
}

// Location is a package's evidence: the file it was read from and the layer that
// added it.
type Location struct {
	// Path is the file inside the filesystem, absolute ("/var/lib/dpkg/status",
	// "/usr/local/bin/app", "/app/lib/x.jar!/META-INF/maven/g/a/pom.properties").
	Path string `json:"path"`
	// Layer is the index of the layer that added the package (0 is the base layer);
	// -1 when unknown (a directory, an SBOM). For a package database shared by many
	// packages it is the oldest layer from which every later layer's version of the
	// database still lists the package at this version.
	Layer int `json:"layer"`
	// LayerDiffID is that layer's uncompressed digest (filled by the image reader).
	LayerDiffID string `json:"layerDiffID,omitempty"`
}

// Distro is the distribution release of a filesystem, from /etc/os-release (or
// /usr/lib/os-release).
type Distro struct {
	ID              string   `json:"id"`                        // "debian", "alpine", "rhel"
	IDLike          []string `json:"idLike,omitempty"`          // ID_LIKE
	VersionID       string   `json:"versionID,omitempty"`       // "12", "3.19.1"
	VersionCodename string   `json:"versionCodename,omitempty"` // "bookworm"
	PrettyName      string   `json:"prettyName,omitempty"`
}

// Inventory is what a filesystem holds.
type Inventory struct {
	Distro   *Distro   `json:"distro,omitempty"`
	Packages []Package `json:"packages"`
	// Problems are files that could not be read (a malformed package database);
	// the rest of the inventory is still there.
	Problems []Problem `json:"problems,omitempty"`
}

// Problem is a file a cataloger could not read.
type Problem struct {
	Path string `json:"path"`
	Err  string `json:"error"`
}

// Layers is implemented by filesystems made of layers (an image's): catalogers use it
// to say which layer added a package. A directory has no layers.
type Layers interface {
	// LayerOf is the index of the layer the final version of name comes from, or -1.
	LayerOf(name string) int
	// Versions lists each layer's version of name that was kept (see
	// Cataloger.Keep), oldest first, ending with the final one if it still exists.
	Versions(name string) []Version
}

// Version is one layer's version of a file.
type Version struct {
	Layer int
	Open  func() (fs.File, error)
}

// Env is what a cataloger is given besides the filesystem.
type Env struct {
	// Distro is the filesystem's distribution release, nil if unknown.
	Distro *Distro
	// Layers is the filesystem's layers, nil for a directory.
	Layers Layers
	// Files is every regular file of the filesystem, listed once by Catalog for
	// every cataloger (see Walk); nil when the caller did not list them (a
	// cataloger's Catalog called alone), then FilesOf walks the filesystem.
	Files []File
}

// File is a regular file of the filesystem being cataloged.
type File struct {
	// Name is its unrooted path, as io/fs names it ("usr/bin/app").
	Name string
	Mode fs.FileMode
	Size int64
}

// FilesOf returns env.Files, or walks fsys (Walk) when the caller gave none.
func (env Env) FilesOf(ctx context.Context, fsys fs.FS) []File {
	if env.Files != nil {
		return env.Files
	}
	return Walk(ctx, fsys)
}

// Walk lists every regular file of fsys in fs.WalkDir's order (lexical within a
// directory), but those of the kernel's pseudo filesystems (/proc, /sys, /dev). It
// skips what it cannot read and stops when ctx is done. The list is never nil.
func Walk(ctx context.Context, fsys fs.FS) []File {
	files := []File{}
	_ = fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if ctx.Err() != nil {
			return fs.SkipAll
		}
		if err != nil {
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			if name == "proc" || name == "sys" || name == "dev" {
				return fs.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil || !info.Mode().IsRegular() {
			return nil
		}
		files = append(files, File{Name: name, Mode: info.Mode(), Size: info.Size()})
		return nil
	})
	return files
}

// A Cataloger finds the packages of one package database or ecosystem.
type Cataloger struct {
	// Name is the cataloger's name, recorded on each package ("dpkg").
	Name string
	// Keep says, from a file's path (unrooted, as io/fs names it), mode, size and
	// first bytes (up to 512), whether the image reader must keep its content for
	// Catalog. It is called for every regular file of every layer, so it must be
	// cheap: decide on the name first.
	Keep func(name string, mode fs.FileMode, size int64, head []byte) bool
	// Catalog reads the packages. Paths are unrooted ("var/lib/dpkg/status");
	// Package.Location.Path is absolute. A file it cannot read is a Problem, and the
	// rest goes on. Catalog must honour ctx and bound what it reads. A cataloger
	// that looks for files anywhere in fsys ranges over env.FilesOf(ctx, fsys), the
	// one walk Catalog shares among all, and never walks fsys itself.
	Catalog func(ctx context.Context, fsys fs.FS, env Env) ([]Package, []Problem)
}

var (
	mu         sync.Mutex
	catalogers = map[string]Cataloger{}
	// keepers is the snapshot of the registered Keep functions that Keep reads
	// without a lock or an allocation; Register clears it, Keep rebuilds it.
	keepers atomic.Pointer[[]func(string, fs.FileMode, int64, []byte) bool]
)

// Register adds a cataloger; catalogers register in init. A name registered twice
// panics.
func Register(c Cataloger) {
	mu.Lock()
	defer mu.Unlock()
	if _, dup := catalogers[c.Name]; dup {
		panic("software: cataloger " + c.Name + " registered twice")
	}
	catalogers[c.Name] = c
	keepers.Store(nil)
}

// All returns the registered catalogers, by name.
func All() []Cataloger {
	mu.Lock()
	defer mu.Unlock()
	out := make([]Cataloger, 0, len(catalogers))
	for _, c := range catalogers {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Catalog runs every registered cataloger on fsys and returns the inventory, with
// the distribution release (ReadDistro). layers is nil for a directory.
func Catalog(ctx context.Context, fsys fs.FS, layers Layers) Inventory {
	var inv Inventory
	d, err := ReadDistro(fsys)
	if err != nil {
		p := Problem{Path: "/" + osRelease, Err: err.Error()}
		var pe *fs.PathError
		if errors.As(err, &pe) {
			p = Problem{Path: pe.Path, Err: pe.Err.Error()}
		}
		inv.Problems = append(inv.Problems, p)
	}
	inv.Distro = d
	// One walk for every cataloger: a walk of a large directory takes seconds.
	env := Env{Distro: d, Layers: layers, Files: Walk(ctx, fsys)}
	for _, c := range All() {
		if ctx.Err() != nil {
			inv.Problems = append(inv.Problems, Problem{Path: "/", Err: ctx.Err().Error()})
			break
		}
		pkgs, probs := c.Catalog(ctx, fsys, env)
		for i := range pkgs {
			pkgs[i].Cataloger = c.Name
		}
		inv.Packages = append(inv.Packages, pkgs...)
		inv.Problems = append(inv.Problems, probs...)
	}
	sort.SliceStable(inv.Packages, func(i, j int) bool {
		a, b := inv.Packages[i], inv.Packages[j]
		if a.Ecosystem != b.Ecosystem {
			return a.Ecosystem < b.Ecosystem
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		if a.Version != b.Version {
			return a.Version < b.Version
		}
		return a.Location.Path < b.Location.Path
	})
	return inv
}

// Keep reports whether any registered cataloger keeps the file (Cataloger.Keep), or
// whether ReadDistro reads it. It is called on every entry of every layer: after the
// first call it reads a snapshot of the catalogers, without a lock or an allocation.
func Keep(name string, mode fs.FileMode, size int64, head []byte) bool {
	switch name {
	case osRelease, osReleaseLib, "etc/alpine-release", "etc/centos-release", "etc/redhat-release", "etc/debian_version":
		return true
	}
	ks := keepers.Load()
	if ks == nil {
		ks = snapshotKeepers()
	}
	for _, k := range *ks {
		if k(name, mode, size, head) {
			return true
		}
	}
	return false
}

// snapshotKeepers stores and returns the Keep functions of the registered catalogers.
func snapshotKeepers() *[]func(string, fs.FileMode, int64, []byte) bool {
	mu.Lock()
	defer mu.Unlock()
	if ks := keepers.Load(); ks != nil {
		return ks
	}
	names := make([]string, 0, len(catalogers))
	for n := range catalogers {
		names = append(names, n)
	}
	sort.Strings(names)
	ks := make([]func(string, fs.FileMode, int64, []byte) bool, 0, len(names))
	for _, n := range names {
		if k := catalogers[n].Keep; k != nil {
			ks = append(ks, k)
		}
	}
	keepers.Store(&ks)
	return &ks
}

// NormalizeName is the form of a package name under which two spellings of one
// package compare equal in its ecosystem, as the ecosystem defines it: PyPI per PEP
// 503 (lowercase, every run of '-', '_' and '.' one '-'); NuGet and Packagist
// (Composer) lowercase (both registries are case-insensitive); every other ecosystem's
// names are compared exactly. Advisory databases and installed packages are matched
// on it.
func NormalizeName(eco Ecosystem, name string) string {
	switch eco {
	case PyPI:
		b := make([]byte, 0, len(name))
		sep := false
		for i := 0; i < len(name); i++ {
			c := name[i]
			if c == '-' || c == '_' || c == '.' {
				sep = true
				continue
			}
			if sep {
				b = append(b, '-')
			}
			sep = false
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			b = append(b, c)
		}
		if sep {
			b = append(b, '-')
		}
		return string(b)
	case NuGet, Composer:
		return strings.ToLower(name)
	}
	return name
}

// Package golang catalogs the Go modules compiled into Go binaries, from the build
// information the Go linker embeds in every binary (debug/buildinfo): the main
// module, every dependency, and the toolchain as the module "stdlib", which is how
// the Go vulnerability database (and govulncheck) names the standard library.
//
// Replacements (`=> path version` in `go version -m`) are recorded as the replacing
// module, since that is the code in the binary and what govulncheck matches; a
// replacement by a local directory (no version) is recorded under the original
// module path with no version. A main module built outside version control has the
// version "(devel)": it is recorded with no version (unknown, so nothing matches it),
// as is a toolchain version that is not a release ("devel go1.23-abc").
package golang

import (
	"bytes"
	"context"
	"debug/buildinfo"
	"debug/elf"
	"fmt"
	"io"
	"io/fs"
	"regexp"
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/palisade-k8s/palisade/internal/software"
)

// Name is the cataloger's name.
const Name = "go-binary"

// Bounds.
const (
	// MaxBinarySize is the largest file read as a Go binary (kubelet and friends
	// are 100-200 MB).
	MaxBinarySize = 512 << 20
	// maxModules bounds the modules recorded per binary.
	maxModules = 20000
)

func init() {
	software.Register(software.Cataloger{Name: Name, Keep: Keep, Catalog: Catalog})
}

// Keep keeps regular files that are executable (or under a bin directory) and
// start with an executable format's magic: ELF, Mach-O (thin or fat) or PE.
func Keep(name string, mode fs.FileMode, size int64, head []byte) bool {
	return software.IsExecutableCandidate(name, mode, size, MaxBinarySize) && IsExecutable(head)
}

// IsExecutable reports whether head starts with the magic of an ELF, Mach-O or PE
// file.
func IsExecutable(head []byte) bool {
	switch {
	case bytes.HasPrefix(head, []byte("\x7fELF")):
		return true
	case bytes.HasPrefix(head, []byte("MZ")):
		return true
	case bytes.HasPrefix(head, []byte("\xfe\xed\xfa\xce")), bytes.HasPrefix(head, []byte("\xfe\xed\xfa\xcf")),
		bytes.HasPrefix(head, []byte("\xce\xfa\xed\xfe")), bytes.HasPrefix(head, []byte("\xcf\xfa\xed\xfe")),
		bytes.HasPrefix(head, []byte("\xca\xfe\xba\xbe")):
		return true
	}
	return false
}

// Catalog reads the build information of every Go binary in fsys.
func Catalog(ctx context.Context, fsys fs.FS, env software.Env) ([]software.Package, []software.Problem) {
	candidate := func(f software.File) bool {
		// The cheap tests first: the head is read only from a candidate.
		return Keep(f.Name, f.Mode, f.Size, []byte("\x7fELF")) && Keep(f.Name, f.Mode, f.Size, software.ReadHead(fsys, f.Name, 16))
	}
	return software.PerFile(ctx, fsys, env, candidate, func(fsys fs.FS, f software.File) ([]software.Package, error) {
		bi, err := readFile(fsys, f.Name, f.Size)
		if err != nil || bi == nil {
			return nil, err
		}
		return Packages(bi), nil
	})
}

// readFile reads the build information of a binary: nil, nil when it is not a Go
// binary.
func readFile(fsys fs.FS, name string, size int64) (*buildinfo.BuildInfo, error) {
	r, err := software.OpenReaderAt(fsys, name, size, "binary")
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return Read(r)
}

// Read reads the build information of a binary: nil, nil when r is not a Go
// binary (or not an executable at all).
func Read(r io.ReaderAt) (bi *buildinfo.BuildInfo, err error) {
	defer func() {
		// The object file parsers of the standard library are not all hardened
		// against hostile files; a panic is a malformed binary.
		if p := recover(); p != nil {
			bi, err = nil, fmt.Errorf("malformed executable: %v", p)
		}
	}()
	if !mayBeGo(r) {
		return nil, nil
	}
	bi, err = buildinfo.Read(r)
	if err != nil {
		switch err.Error() {
		case "unrecognized file format", "not a Go executable":
			return nil, nil
		}
		return nil, fmt.Errorf("go build information: %w", err)
	}
	return bi, nil
}

// goSections are sections only the Go linker writes: an ELF file without any
// of them is not a Go binary, and buildinfo.Read would search its whole data
// segment for the build information's magic (slow on large shared objects).
var goSections = []string{".go.buildinfo", ".note.go.buildid", ".gopclntab", ".gosymtab", ".data.rel.ro.gopclntab"}

// mayBeGo reports whether r may be a Go binary: false only for an ELF file
// without Go's sections.
func mayBeGo(r io.ReaderAt) bool {
	magic := make([]byte, 4)
	if _, err := r.ReadAt(magic, 0); err != nil || string(magic) != "\x7fELF" {
		return true
	}
	f, err := elf.NewFile(r)
	if err != nil {
		return true // buildinfo.Read says what is wrong
	}
	for _, name := range goSections {
		if f.Section(name) != nil {
			return true
		}
	}
	return false
}

// Packages lists the modules of a binary's build information: the main module
// (when it has a path), the dependencies (replacements applied) and "stdlib".
// Location is left to the caller.
func Packages(bi *buildinfo.BuildInfo) []software.Package {
	arch, goos := "", ""
	for _, s := range bi.Settings {
		switch s.Key {
		case "GOARCH":
			arch = s.Value
		case "GOOS":
			goos = s.Value
		}
	}
	var out []software.Package
	add := func(modPath, version string) {
		if modPath == "" || len(out) >= maxModules {
			return
		}
		out = append(out, software.Package{
			Ecosystem: software.Golang,
			Name:      modPath,
			Version:   version,
			PURL:      PURL(modPath, version),
			Arch:      arch,
			OS:        goos,
		})
	}
	if m := bi.Main; m.Path != "" && m.Path != "command-line-arguments" {
		v := m.Version
		if v == "(devel)" {
			v = ""
		}
		add(m.Path, v)
	}
	for _, d := range bi.Deps {
		if d == nil {
			continue
		}
		switch {
		case d.Replace == nil:
			add(d.Path, d.Version)
		case d.Replace.Version == "" || d.Replace.Version == "(devel)":
			// A local directory: the code is not the module's release.
			add(d.Path, "")
		default:
			add(d.Replace.Path, d.Replace.Version)
		}
	}
	if v := StdlibVersion(bi.GoVersion); v != "" {
		add("stdlib", v)
	}
	return out
}

// PURL is the Package URL of a Go module: pkg:golang/<module path>@<version>, the
// last path element the name.
func PURL(modPath, version string) string {
	ns, name := "", modPath
	if i := strings.LastIndexByte(modPath, '/'); i >= 0 {
		ns, name = modPath[:i], modPath[i+1:]
	}
	return packageurl.NewPackageURL(packageurl.TypeGolang, ns, name, version, nil, "").ToString()
}

var goTag = regexp.MustCompile(`^go1(\.\d+)?(\.\d+)?(?:(beta|rc)(\d+))?$`)

// StdlibVersion converts a toolchain version ("go1.21.3", "go1.21rc2", "go1.22.1
// X:boringcrypto", "go1.20.4-bigcorp") to the semantic version the Go
// vulnerability database uses ("v1.21.3", "v1.21.0-rc.2", "v1.22.1", "v1.20.4"); ""
// when it is not a release (a development toolchain).
func StdlibVersion(goVersion string) string {
	f := strings.Fields(goVersion)
	if len(f) == 0 {
		return ""
	}
	tag := f[0]
	// A vendor suffix after the release ("go1.20.4-bigcorp"): the release is what
	// the code is.
	if i := strings.IndexByte(tag, '-'); i >= 0 {
		tag = tag[:i]
	}
	m := goTag.FindStringSubmatch(tag)
	if m == nil {
		return ""
	}
	minor, patch := m[1], m[2]
	if minor == "" {
		minor = ".0"
	}
	if patch == "" {
		patch = ".0"
	}
	v := "v1" + minor + patch
	if m[3] != "" {
		v += "-" + m[3] + "." + m[4]
	}
	return v
}

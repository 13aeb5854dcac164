// Package rust catalogs the crates compiled into Rust binaries built with
// cargo-auditable (https://github.com/rust-secure-code/cargo-auditable), which
// embeds the dependency tree as zlib-compressed JSON in a ".dep-v0" section (ELF
// and PE). Build-time dependencies (kind "build": build scripts, proc macros) are
// not in the binary and are left out; the root crate is the application, recorded
// like Go's main module.
//
// Why: Wolfi/Chainguard and Alpine build their Rust packages with
// cargo-auditable, so Rust binaries in those images (and in images built the
// same way) carry their crate list; a Rust binary without it has nothing to read.
package rust

import (
	"bytes"
	"compress/zlib"
	"context"
	"debug/elf"
	"debug/pe"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"

	"github.com/package-url/packageurl-go"

	"github.com/palisade-k8s/palisade/internal/software"
)

// Name is the cataloger's name.
const Name = "rust-auditable"

// Bounds.
const (
	MaxBinarySize  = 512 << 20
	maxSectionSize = 8 << 20
	maxJSONSize    = 64 << 20
	maxPackages    = 100000
)

// SectionName is the section cargo-auditable writes.
const SectionName = ".dep-v0"

func init() {
	software.Register(software.Cataloger{Name: Name, Keep: Keep, Catalog: Catalog})
}

// Keep keeps executable ELF and PE files (as the Go cataloger does).
func Keep(name string, mode fs.FileMode, size int64, head []byte) bool {
	return software.IsExecutableCandidate(name, mode, size, MaxBinarySize) &&
		(bytes.HasPrefix(head, []byte("\x7fELF")) || bytes.HasPrefix(head, []byte("MZ")))
}

// Catalog reads the audit data of every executable of fsys.
func Catalog(ctx context.Context, fsys fs.FS, env software.Env) ([]software.Package, []software.Problem) {
	candidate := func(f software.File) bool {
		// The cheap tests first: the head is read only from a candidate.
		return Keep(f.Name, f.Mode, f.Size, []byte("\x7fELF")) && Keep(f.Name, f.Mode, f.Size, software.ReadHead(fsys, f.Name, 4))
	}
	return software.PerFile(ctx, fsys, env, candidate, func(fsys fs.FS, f software.File) ([]software.Package, error) {
		return readFile(fsys, f.Name, f.Size)
	})
}

func readFile(fsys fs.FS, name string, size int64) ([]software.Package, error) {
	r, err := software.OpenReaderAt(fsys, name, size, "binary")
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return Read(r)
}

// Read reads the crates of an executable's audit data: nil, nil when it has none
// (or is not an ELF or PE file).
func Read(r io.ReaderAt) (pkgs []software.Package, err error) {
	defer func() {
		// The object file parsers of the standard library are not all hardened
		// against hostile files; a panic is a malformed binary.
		if p := recover(); p != nil {
			pkgs, err = nil, fmt.Errorf("malformed executable: %v", p)
		}
	}()
	sec, err := section(r)
	if sec == nil || err != nil {
		return nil, err
	}
	zr, err := zlib.NewReader(sec)
	if err != nil {
		return nil, fmt.Errorf("%s section: %w", SectionName, err)
	}
	b, err := io.ReadAll(io.LimitReader(zr, maxJSONSize+1))
	if err != nil {
		return nil, fmt.Errorf("%s section: %w", SectionName, err)
	}
	if len(b) > maxJSONSize {
		return nil, fmt.Errorf("%s section: over %d bytes inflated", SectionName, maxJSONSize)
	}
	return Parse(b)
}

// section returns a reader of the audit data section, nil if there is none.
func section(r io.ReaderAt) (io.Reader, error) {
	magic := make([]byte, 4)
	if _, err := r.ReadAt(magic, 0); err != nil {
		return nil, nil
	}
	var size uint64
	var sr io.Reader
	switch {
	case bytes.Equal(magic, []byte("\x7fELF")):
		f, err := elf.NewFile(r)
		if err != nil {
			return nil, nil // not an ELF file the standard library reads
		}
		s := f.Section(SectionName)
		if s == nil || s.Type == elf.SHT_NOBITS {
			return nil, nil
		}
		size, sr = s.Size, s.Open()
	case bytes.Equal(magic[:2], []byte("MZ")):
		f, err := pe.NewFile(r)
		if err != nil {
			return nil, nil
		}
		s := f.Section(SectionName)
		if s == nil {
			return nil, nil
		}
		size, sr = uint64(s.Size), s.Open()
	default:
		return nil, nil
	}
	if size > maxSectionSize {
		return nil, fmt.Errorf("%s section of %d bytes is over the bound of %d", SectionName, size, maxSectionSize)
	}
	return io.LimitReader(sr, maxSectionSize), nil
}

// Parse reads cargo-auditable's JSON: every crate but build-time ones.
func Parse(b []byte) ([]software.Package, error) {
	var info struct {
		Packages []struct {
			Name    string `json:"name"`
			Version string `json:"version"`
			Source  string `json:"source"`
			Kind    string `json:"kind"`
		} `json:"packages"`
	}
	if err := json.Unmarshal(b, &info); err != nil {
		return nil, fmt.Errorf("%s section: %w", SectionName, err)
	}
	if len(info.Packages) > maxPackages {
		return nil, fmt.Errorf("%s section: %d packages, over the bound of %d", SectionName, len(info.Packages), maxPackages)
	}
	var out []software.Package
	for _, p := range info.Packages {
		if p.Kind == "build" || p.Name == "" || p.Version == "" {
			continue
		}
		out = append(out, software.Package{
			Ecosystem: software.Cargo,
			Name:      p.Name,
			Version:   p.Version,
			PURL:      packageurl.NewPackageURL(packageurl.TypeCargo, "", p.Name, p.Version, nil, "").ToString(),
		})
	}
	return out, nil
}

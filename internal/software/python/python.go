// Package python catalogs installed Python distributions from their core
// metadata (https://packaging.python.org/en/latest/specifications/core-metadata/):
// `*.dist-info/METADATA` (wheels, pip), `*.egg-info/PKG-INFO` or a `*.egg-info`
// file (setuptools, distribution packages) and `*.egg/EGG-INFO/PKG-INFO`
// (unzipped eggs), wherever they are (site-packages,
// dist-packages, virtual environments). The name is recorded as the metadata
// spells it; the Package URL carries the PEP 503 normalised name, as the purl
// specification and vulnerability databases key PyPI packages by it.
package python

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/palisade-k8s/palisade/internal/software"
)

// Name is the cataloger's name.
const Name = "python"

// Bounds: the metadata headers come first; the rest is the long description.
const (
	MaxMetadataSize = 64 << 20
	maxHeader       = 1 << 20
	maxFields       = 10000
)

func init() {
	software.Register(software.Cataloger{Name: Name, Keep: Keep, Catalog: Catalog})
}

// Keep keeps the metadata files of installed distributions.
func Keep(name string, mode fs.FileMode, size int64, head []byte) bool {
	return mode.IsRegular() && size <= MaxMetadataSize && isMetadata(name)
}

func isMetadata(name string) bool {
	base := path.Base(name)
	switch {
	case base == "METADATA":
		return strings.HasSuffix(path.Dir(name), ".dist-info")
	case base == "PKG-INFO":
		// setuptools' *.egg-info directory, or an unzipped egg's EGG-INFO.
		dir := path.Dir(name)
		return strings.HasSuffix(dir, ".egg-info") || path.Base(dir) == "EGG-INFO" && strings.HasSuffix(path.Dir(dir), ".egg")
	}
	return strings.HasSuffix(base, ".egg-info")
}

// Catalog reads every distribution's metadata in fsys.
func Catalog(ctx context.Context, fsys fs.FS, env software.Env) ([]software.Package, []software.Problem) {
	return software.PerFile(ctx, fsys, env, func(f software.File) bool { return isMetadata(f.Name) }, readFile)
}

func readFile(fsys fs.FS, f software.File) ([]software.Package, error) {
	r, err := fsys.Open(f.Name)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	b, err := io.ReadAll(io.LimitReader(r, maxHeader))
	if err != nil {
		return nil, err
	}
	p, err := ParseMetadata(b)
	if err != nil {
		return nil, err
	}
	return []software.Package{*p}, nil
}

// ParseMetadata reads core metadata (the header fields of an email message, up
// to the first empty line): Name, Version, and the license from
// License-Expression, License (when it is a name, not the license's text) or the
// "License ::" classifiers.
func ParseMetadata(b []byte) (*software.Package, error) {
	fields := map[string][]string{}
	var last string
	n := 0
	for lineNo := 1; len(b) > 0; lineNo++ {
		var line []byte
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			line, b = b, nil
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(bytes.TrimSpace(line)) == 0 {
			break // the body
		}
		if line[0] == ' ' || line[0] == '\t' {
			if last == "" {
				return nil, fmt.Errorf("line %d: continuation line before any field", lineNo)
			}
			vs := fields[last]
			vs[len(vs)-1] += "\n" + strings.TrimSpace(string(line))
			continue
		}
		i := bytes.IndexByte(line, ':')
		if i <= 0 {
			return nil, fmt.Errorf("line %d: not a metadata field", lineNo)
		}
		if n++; n > maxFields {
			return nil, fmt.Errorf("line %d: over %d fields", lineNo, maxFields)
		}
		last = strings.ToLower(strings.TrimSpace(string(line[:i])))
		fields[last] = append(fields[last], strings.TrimSpace(string(line[i+1:])))
	}
	first := func(k string) string {
		if v := fields[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	name, version := first("name"), first("version")
	if name == "" {
		return nil, fmt.Errorf("no Name field")
	}
	if version == "" {
		return nil, fmt.Errorf("no Version field")
	}
	return &software.Package{
		Ecosystem: software.PyPI,
		Name:      name,
		Version:   version,
		PURL:      PURL(name, version),
		Licenses:  licenses(first("license-expression"), first("license"), fields["classifier"]),
	}, nil
}

func licenses(expression, license string, classifiers []string) []string {
	if expression != "" {
		return []string{expression}
	}
	if license != "" && license != "UNKNOWN" && len(license) <= 128 && !strings.Contains(license, "\n") {
		return []string{license}
	}
	var out []string
	for _, c := range classifiers {
		if strings.HasPrefix(c, "License ::") && len(out) < 16 {
			parts := strings.Split(c, "::")
			if l := strings.TrimSpace(parts[len(parts)-1]); l != "" && l != "OSI Approved" {
				out = append(out, l)
			}
		}
	}
	return out
}

var separators = regexp.MustCompile(`[-_.]+`)

// Normalize is a name normalised per PEP 503: lower case, runs of "-", "_" and
// "." as one "-".
func Normalize(name string) string {
	return strings.ToLower(separators.ReplaceAllString(name, "-"))
}

// PURL is the Package URL of a PyPI distribution: pkg:pypi/<normalised
// name>@version.
func PURL(name, version string) string {
	return packageurl.NewPackageURL(packageurl.TypePyPi, "", Normalize(name), version, nil, "").ToString()
}

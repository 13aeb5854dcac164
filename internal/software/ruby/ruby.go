// Package ruby catalogs installed Ruby gems from the specifications RubyGems
// writes when it installs a gem (<gem dir>/specifications/<name>-<version>.gemspec,
// and specifications/default/ for the gems that come with Ruby). These files are
// generated Ruby in a fixed shape, so they are read line by line, never
// evaluated: the "# stub: name version platform" line and the s.name, s.version,
// s.license(s) assignments.
//
// Why: Ruby images carry Fluentd (the CNCF log collector, a DaemonSet in many
// clusters) and Rails applications; vulnerability data is keyed by gem name and
// version.
package ruby

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/palisade-k8s/palisade/internal/software"
)

// Name is the cataloger's name.
const Name = "ruby-gemspec"

// Bounds.
const (
	MaxGemspecSize = 1 << 20
	maxLine        = 64 << 10
)

func init() {
	software.Register(software.Cataloger{Name: Name, Keep: Keep, Catalog: Catalog})
}

// Keep keeps installed gem specifications.
func Keep(name string, mode fs.FileMode, size int64, head []byte) bool {
	return mode.IsRegular() && size <= MaxGemspecSize && isSpec(name)
}

func isSpec(name string) bool {
	if !strings.HasSuffix(name, ".gemspec") {
		return false
	}
	dir := path.Dir(name)
	if path.Base(dir) == "default" {
		dir = path.Dir(dir)
	}
	return path.Base(dir) == "specifications"
}

// Catalog reads every installed gem specification of fsys.
func Catalog(ctx context.Context, fsys fs.FS, env software.Env) ([]software.Package, []software.Problem) {
	return software.PerFile(ctx, fsys, env, func(f software.File) bool { return isSpec(f.Name) }, readFile)
}

func readFile(fsys fs.FS, f software.File) ([]software.Package, error) {
	b, err := software.ReadFile(fsys, f.Name, MaxGemspecSize)
	if err != nil {
		return nil, err
	}
	p, err := ParseGemspec(b)
	if err != nil {
		return nil, err
	}
	return []software.Package{*p}, nil
}

var (
	stub    = regexp.MustCompile(`^# stub: (\S+) (\S+)`)
	assign  = regexp.MustCompile(`^\s*\w+\.(name|version|licenses?)\s*=\s*(.*)$`)
	quoted  = regexp.MustCompile(`"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'`)
	version = regexp.MustCompile(`^Gem::Version\.new\(`)
)

// ParseGemspec reads an installed gem specification: name and version from the
// stub line or the s.name/s.version assignments (which win), licenses from
// s.license or s.licenses.
func ParseGemspec(b []byte) (*software.Package, error) {
	var name, ver string
	var licenses []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 4096), maxLine)
	for sc.Scan() {
		line := sc.Text()
		if m := stub.FindStringSubmatch(line); m != nil && name == "" {
			name, ver = m[1], m[2]
			continue
		}
		m := assign.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		rhs := version.ReplaceAllString(m[2], "")
		var values []string
		for _, q := range quoted.FindAllStringSubmatch(rhs, 16) {
			values = append(values, q[1]+q[2])
		}
		if len(values) == 0 {
			continue
		}
		switch m[1] {
		case "name":
			name = values[0]
		case "version":
			ver = values[0]
		default:
			licenses = values
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("gemspec: %w", err)
	}
	if name == "" || ver == "" {
		return nil, fmt.Errorf("gemspec: no name and version")
	}
	return &software.Package{
		Ecosystem: software.Gem,
		Name:      name,
		Version:   ver,
		PURL:      packageurl.NewPackageURL(packageurl.TypeGem, "", name, ver, nil, "").ToString(),
		Licenses:  licenses,
	}, nil
}

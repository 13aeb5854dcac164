// Package java catalogs Java archives (.jar, .war, .ear, and Jenkins' .jpi/.hpi),
// including the archives nested in them (WEB-INF/lib, BOOT-INF/lib, an ear's
// modules): each META-INF/maven/<group>/<artifact>/pom.properties is a package
// (a shaded jar holds several); an archive without one is named by its
// META-INF/MANIFEST.MF (Implementation-*/Bundle-* attributes) and its file name
// ("commons-io-2.11.0.jar").
//
// The name is "groupId:artifactId" (as the Maven ecosystem of OSV keys packages),
// or the artifact alone when the group is unknown; the purl is
// pkg:maven/<group>/<artifact>@<version>. Location.Path is the archive, nested
// ones after "!/": "/app/x.war!/WEB-INF/lib/y.jar".
//
// Archives are hostile: nesting depth, entries, the size of a nested archive and
// of every file read, and the bytes inflated per top-level archive are bounded
// (zip bombs), and what goes over is a problem naming the archive.
package java

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
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
const Name = "java-archive"

// Bounds.
const (
	// MaxArchiveSize is the largest archive file read.
	MaxArchiveSize = 512 << 20
	// maxNestedSize bounds a nested archive (read into memory).
	maxNestedSize = 64 << 20
	maxDepth      = 4
	maxEntries    = 200000
	// maxMetaSize bounds a pom.properties or MANIFEST.MF.
	maxMetaSize = 1 << 20
)

// maxInflate bounds the bytes inflated per top-level archive (a variable for
// tests).
var maxInflate int64 = 512 << 20

func init() {
	software.Register(software.Cataloger{Name: Name, Keep: Keep, Catalog: Catalog})
}

// IsArchiveName reports whether name has a Java archive's extension.
func IsArchiveName(name string) bool {
	switch strings.ToLower(path.Ext(name)) {
	case ".jar", ".war", ".ear", ".jpi", ".hpi":
		return true
	}
	return false
}

// Keep keeps Java archives: a Java archive's extension and a zip's magic.
func Keep(name string, mode fs.FileMode, size int64, head []byte) bool {
	return mode.IsRegular() && size <= MaxArchiveSize && IsArchiveName(name) &&
		(head == nil || bytes.HasPrefix(head, []byte("PK")))
}

// Catalog reads every Java archive of fsys.
func Catalog(ctx context.Context, fsys fs.FS, env software.Env) ([]software.Package, []software.Problem) {
	var pkgs []software.Package
	var probs []software.Problem
	for _, f := range env.FilesOf(ctx, fsys) {
		if ctx.Err() != nil {
			break
		}
		name := f.Name
		if !IsArchiveName(name) {
			continue
		}
		if f.Size > MaxArchiveSize {
			probs = append(probs, software.Problem{Path: "/" + name, Err: fmt.Sprintf("archive of %d bytes is over the bound of %d", f.Size, MaxArchiveSize)})
			continue
		}
		found, bad := readFile(ctx, fsys, name, f.Size)
		layer := env.LayerOf(name)
		for i := range found {
			found[i].Location.Layer = layer
		}
		pkgs = append(pkgs, found...)
		probs = append(probs, bad...)
	}
	if err := ctx.Err(); err != nil {
		probs = append(probs, software.Problem{Path: "/", Err: err.Error()})
	}
	return pkgs, probs
}

func readFile(ctx context.Context, fsys fs.FS, name string, size int64) ([]software.Package, []software.Problem) {
	problem := func(err error) []software.Problem {
		return []software.Problem{{Path: "/" + name, Err: err.Error()}}
	}
	r, err := software.OpenReaderAt(fsys, name, size, "archive")
	if err != nil {
		return nil, problem(err)
	}
	defer r.Close()
	return ReadArchive(ctx, r, r.Size, "/"+name)
}

// ReadArchive reads the packages of a Java archive and of the archives nested in
// it; loc is the archive's Location.Path. Problems name the archive (nested
// ones by their "!/" path); the rest goes on.
func ReadArchive(ctx context.Context, r io.ReaderAt, size int64, loc string) ([]software.Package, []software.Problem) {
	a := &archiveReader{ctx: ctx, budget: maxInflate}
	a.read(r, size, loc, 0)
	return a.pkgs, a.probs
}

type archiveReader struct {
	ctx    context.Context
	budget int64 // bytes left to inflate
	pkgs   []software.Package
	probs  []software.Problem
}

var errBudget = errors.New("over the bound of bytes inflated per archive (a zip bomb?)")

func (a *archiveReader) problem(loc string, err error) {
	a.probs = append(a.probs, software.Problem{Path: loc, Err: err.Error()})
}

// readEntry reads a file of the archive within limit and the inflate budget.
func (a *archiveReader) readEntry(f *zip.File, limit int64) ([]byte, error) {
	if f.UncompressedSize64 > uint64(limit) {
		return nil, fmt.Errorf("%s: %d bytes, over the bound of %d", f.Name, f.UncompressedSize64, limit)
	}
	if int64(f.UncompressedSize64) > a.budget {
		return nil, errBudget
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Name, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, min(limit, a.budget)+1))
	a.budget -= int64(len(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Name, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s: over %d bytes", f.Name, limit)
	}
	if a.budget < 0 {
		return nil, errBudget
	}
	return b, nil
}

func (a *archiveReader) read(r io.ReaderAt, size int64, loc string, depth int) {
	// archive/zip allocates every central directory entry before saying how
	// many there are: count them first.
	if n, err := entryCount(r, size); err != nil {
		a.problem(loc, fmt.Errorf("java archive: %w", err))
		return
	} else if n > maxEntries {
		a.problem(loc, fmt.Errorf("java archive: %d entries, over the bound of %d", n, maxEntries))
		return
	}
	zr, err := zip.NewReader(r, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		a.problem(loc, fmt.Errorf("java archive: %w", err))
		return
	}
	if len(zr.File) > maxEntries {
		a.problem(loc, fmt.Errorf("java archive: %d entries, over the bound of %d", len(zr.File), maxEntries))
		return
	}
	var poms, nested []*zip.File
	var manifest *zip.File
	for _, f := range zr.File {
		switch {
		case isPomProperties(f.Name):
			poms = append(poms, f)
		case f.Name == "META-INF/MANIFEST.MF":
			manifest = f
		case IsArchiveName(f.Name) && !f.FileInfo().IsDir():
			nested = append(nested, f)
		}
	}
	found := 0
	for _, f := range poms {
		b, err := a.readEntry(f, maxMetaSize)
		if err != nil {
			a.problem(loc, err)
			if err == errBudget {
				return
			}
			continue
		}
		if p, ok := fromPomProperties(b); ok {
			p.Location.Path = loc
			a.pkgs = append(a.pkgs, p)
			found++
		}
	}
	if found == 0 {
		var attrs map[string]string
		if manifest != nil {
			b, err := a.readEntry(manifest, maxMetaSize)
			if err != nil {
				a.problem(loc, err)
				if err == errBudget {
					return
				}
			} else {
				attrs = ParseManifest(b)
			}
		}
		if p, ok := fromManifest(attrs, path.Base(loc)); ok {
			p.Location.Path = loc
			a.pkgs = append(a.pkgs, p)
		}
	}
	if depth >= maxDepth && len(nested) > 0 {
		a.problem(loc, fmt.Errorf("java archive: archives nested over %d levels are not read", maxDepth))
		return
	}
	for _, f := range nested {
		if a.ctx.Err() != nil {
			return
		}
		inner := loc + "!/" + f.Name
		b, err := a.readEntry(f, maxNestedSize)
		if err != nil {
			a.problem(inner, err)
			if err == errBudget {
				return
			}
			continue
		}
		a.read(bytes.NewReader(b), int64(len(b)), inner, depth+1)
	}
}

// entryCount reads the number of entries from a zip's end of central directory
// record (or its zip64 record).
func entryCount(r io.ReaderAt, size int64) (uint64, error) {
	const eocdLen, maxComment = 22, 65535
	if size < eocdLen {
		return 0, zip.ErrFormat
	}
	tail := min(size, eocdLen+maxComment)
	buf := make([]byte, tail)
	if _, err := r.ReadAt(buf, size-tail); err != nil && err != io.EOF {
		return 0, err
	}
	i := bytes.LastIndex(buf, []byte("PK\x05\x06"))
	if i < 0 || len(buf)-i < eocdLen {
		return 0, zip.ErrFormat
	}
	n := uint64(binary.LittleEndian.Uint16(buf[i+10:]))
	if n != 0xffff {
		return n, nil
	}
	// zip64: the locator is just before the record and points at the zip64
	// end of central directory record.
	if i < 20 || string(buf[i-20:i-16]) != "PK\x06\x07" {
		return n, nil
	}
	off := binary.LittleEndian.Uint64(buf[i-20+8:])
	rec := make([]byte, 56)
	if off > uint64(size) {
		return 0, zip.ErrFormat
	}
	if _, err := r.ReadAt(rec, int64(off)); err != nil || string(rec[:4]) != "PK\x06\x06" {
		return 0, zip.ErrFormat
	}
	return binary.LittleEndian.Uint64(rec[32:]), nil
}

// isPomProperties matches META-INF/maven/<group>/<artifact>/pom.properties.
func isPomProperties(name string) bool {
	if !strings.HasPrefix(name, "META-INF/maven/") || !strings.HasSuffix(name, "/pom.properties") {
		return false
	}
	return strings.Count(name, "/") == 4
}

// ParseProperties reads a Java .properties file's key=value (or key: value)
// lines; comments (#, !) and line continuations are honoured, escapes are not
// decoded beyond "\:", "\=" and "\ ".
func ParseProperties(b []byte) map[string]string {
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 4096), maxMetaSize+1)
	var logical string
	for sc.Scan() {
		line := strings.TrimLeft(sc.Text(), " \t\f")
		if logical == "" && (line == "" || line[0] == '#' || line[0] == '!') {
			continue
		}
		if strings.HasSuffix(line, `\`) && !strings.HasSuffix(line, `\\`) {
			logical += strings.TrimSuffix(line, `\`)
			continue
		}
		logical += line
		k, v := splitProperty(logical)
		logical = ""
		if len(out) < 1000 {
			out[k] = v
		}
	}
	return out
}

func splitProperty(line string) (string, string) {
	for i := 0; i < len(line); i++ {
		switch line[i] {
		case '\\':
			i++
		case '=', ':', ' ', '\t':
			k := unescape(line[:i])
			v := strings.TrimLeft(line[i:], " \t")
			if v != "" && (v[0] == '=' || v[0] == ':') {
				v = v[1:]
			}
			return k, unescape(strings.TrimSpace(v))
		}
	}
	return unescape(line), ""
}

func unescape(s string) string {
	return strings.NewReplacer(`\:`, ":", `\=`, "=", `\ `, " ", `\\`, `\`).Replace(s)
}

func fromPomProperties(b []byte) (software.Package, bool) {
	props := ParseProperties(b)
	g, art, v := props["groupId"], props["artifactId"], props["version"]
	if art == "" || v == "" || strings.Contains(v, "${") {
		return software.Package{}, false
	}
	return pkg(g, art, v), true
}

func pkg(group, artifact, version string) software.Package {
	name := artifact
	if group != "" {
		name = group + ":" + artifact
	}
	return software.Package{
		Ecosystem: software.Maven,
		Name:      name,
		Version:   version,
		PURL:      packageurl.NewPackageURL(packageurl.TypeMaven, group, artifact, version, nil, "").ToString(),
	}
}

// ParseManifest reads the main section of a MANIFEST.MF: "Name: value" lines,
// continued by lines starting with one space, up to the first empty line.
func ParseManifest(b []byte) map[string]string {
	out := map[string]string{}
	var last string
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSuffix(line, "\r")
		if line == "" {
			break
		}
		if line[0] == ' ' {
			if last != "" {
				out[last] += line[1:]
			}
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok || len(out) >= 1000 {
			last = ""
			continue
		}
		last = strings.TrimSpace(k)
		out[last] = strings.TrimSpace(v)
	}
	return out
}

// fileVersion splits "commons-io-2.11.0.jar" into the artifact and the version.
var fileVersion = regexp.MustCompile(`^(.+?)[-_](\d[0-9A-Za-z.+_-]*)$`)

// fromManifest names an archive without pom.properties by its manifest and file
// name: the version from Implementation-Version, Bundle-Version or the file
// name; the artifact from the file name, Bundle-SymbolicName or
// Implementation-Title; the group from Implementation-Vendor-Id.
func fromManifest(attrs map[string]string, file string) (software.Package, bool) {
	stem := strings.TrimSuffix(file, path.Ext(file))
	var fileArtifact, fileVer string
	if m := fileVersion.FindStringSubmatch(stem); m != nil {
		fileArtifact, fileVer = m[1], m[2]
	}
	version := first(attrs["Implementation-Version"], attrs["Bundle-Version"], fileVer)
	bsn, _, _ := strings.Cut(attrs["Bundle-SymbolicName"], ";")
	artifact := first(fileArtifact, strings.TrimSpace(bsn), attrs["Implementation-Title"], stem)
	if version == "" || artifact == "" {
		return software.Package{}, false
	}
	return pkg(attrs["Implementation-Vendor-Id"], artifact, version), true
}

func first(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

package software

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
)

// The os-release files (os-release(5)): etc/os-release first, usr/lib/os-release when
// it is missing.
const (
	osRelease    = "etc/os-release"
	osReleaseLib = "usr/lib/os-release"
	// maxOSRelease bounds what ReadDistro reads: real files are under 1 KiB.
	maxOSRelease = 64 << 10
)

// ReadDistro reads the distribution release from etc/os-release, or
// usr/lib/os-release when the first is missing; when neither exists (images older
// than os-release: CentOS 6, Debian 6, old Alpine), from the release files those
// distributions had (releaseFiles); nil, nil when there is none of them. The
// format is os-release(5): KEY=value lines, values optionally in single or double
// quotes with shell backslash escapes, comments and blank lines ignored; ID defaults
// to "linux". A file over 64 KiB, or one that cannot be read, is a *fs.PathError
// naming it (absolute).
func ReadDistro(fsys fs.FS) (*Distro, error) {
	for _, name := range []string{osRelease, osReleaseLib} {
		f, err := OpenFile(fsys, name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, &fs.PathError{Op: "read", Path: "/" + name, Err: unwrapPath(err)}
		}
		d, err := parseOSRelease(f)
		f.Close()
		if err != nil {
			return nil, &fs.PathError{Op: "read", Path: "/" + name, Err: unwrapPath(err)}
		}
		return d, nil
	}
	for _, rf := range releaseFiles {
		data, err := readSmall(fsys, rf.name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, &fs.PathError{Op: "read", Path: "/" + rf.name, Err: unwrapPath(err)}
		}
		if d := rf.parse(strings.TrimSpace(string(data))); d != nil {
			return d, nil
		}
	}
	return nil, nil
}

// readSmall reads a file of at most maxOSRelease bytes.
func readSmall(fsys fs.FS, name string) ([]byte, error) {
	f, err := OpenFile(fsys, name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxOSRelease+1))
	if err == nil && len(data) > maxOSRelease {
		err = fmt.Errorf("larger than %d bytes", maxOSRelease)
	}
	return data, err
}

// releaseFiles are the distributions' own release files, read when there is no
// os-release, with the Distro each says (ID and VERSION_ID as the distribution's
// later os-release spells them).
var releaseFiles = []struct {
	name  string
	parse func(content string) *Distro
}{
	{"etc/alpine-release", func(c string) *Distro { // "3.2.3"
		return &Distro{ID: "alpine", VersionID: firstLine(c), PrettyName: "Alpine Linux v" + firstLine(c)}
	}},
	{"etc/centos-release", redhatRelease},
	{"etc/redhat-release", redhatRelease},
	{"etc/debian_version", func(c string) *Distro { // "6.0.10", "7.11", "bookworm/sid"
		v := firstLine(c)
		d := &Distro{ID: "debian", PrettyName: "Debian GNU/Linux " + v}
		if major, _, _ := strings.Cut(v, "."); major != "" && strings.Trim(major, "0123456789") == "" {
			d.VersionID = major
		}
		return d
	}},
}

// redhatRelease reads "CentOS release 6.10 (Final)", "Red Hat Enterprise Linux
// Server release 6.10 (Santiago)", "Fedora release 20 (Heisenbug)": the version
// after "release"; CentOS's VERSION_ID is the major version, RHEL's major.minor.
func redhatRelease(c string) *Distro {
	line := firstLine(c)
	before, after, ok := strings.Cut(line, " release ")
	if !ok {
		return nil
	}
	ver, _, _ := strings.Cut(strings.TrimSpace(after), " ")
	d := &Distro{PrettyName: line, VersionID: ver}
	switch {
	case strings.HasPrefix(before, "CentOS"):
		d.ID, d.IDLike = "centos", []string{"rhel", "fedora"}
		d.VersionID, _, _ = strings.Cut(ver, ".")
	case strings.HasPrefix(before, "Red Hat Enterprise Linux"):
		d.ID, d.IDLike = "rhel", []string{"fedora"}
	case strings.HasPrefix(before, "Fedora"):
		d.ID = "fedora"
	default:
		return nil
	}
	return d
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return strings.TrimSpace(l)
}

// unwrapPath is the cause of a *fs.PathError, err itself otherwise.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// parseOSRelease reads an os-release file.
func parseOSRelease(r io.Reader) (*Distro, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxOSRelease+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxOSRelease {
		return nil, fmt.Errorf("larger than %d bytes", maxOSRelease)
	}
	d := &Distro{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), maxOSRelease+1)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		key, raw, ok := strings.Cut(line, "=")
		if !ok {
			continue // os-release(5): lines that are not assignments are ignored
		}
		val := unquoteOSRelease(raw)
		switch strings.TrimSpace(key) {
		case "ID":
			d.ID = val
		case "ID_LIKE":
			d.IDLike = strings.Fields(val)
		case "VERSION_ID":
			d.VersionID = val
		case "VERSION_CODENAME":
			d.VersionCodename = val
		case "PRETTY_NAME":
			d.PrettyName = val
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if d.ID == "" {
		d.ID = "linux"
	}
	return d, nil
}

// unquoteOSRelease decodes a value as a shell would: an unquoted word, or a single- or
// double-quoted string where a backslash escapes $, ", \ and ` (double quotes) or any
// character (unquoted). Quoted parts may be concatenated ("a"'b'c).
func unquoteOSRelease(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				b.WriteString(s[i+1:])
				return b.String()
			}
			b.WriteString(s[i+1 : i+1+j])
			i += j + 1
		case '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) && strings.IndexByte("$\"\\`", s[i+1]) >= 0 {
					i++
				}
				b.WriteByte(s[i])
			}
		case '\\':
			if i+1 < len(s) {
				i++
				b.WriteByte(s[i])
			}
		case ' ', '\t':
			return b.String() // an unquoted blank ends the value (a trailing comment)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// Release is the distribution release as Package URLs of OS packages spell it in
// their distro qualifier ("debian-12", "alpine-3.19.1"): the ID, then VERSION_ID
// when set; "" for a nil Distro.
func (d *Distro) Release() string {
	if d == nil || d.ID == "" {
		return ""
	}
	if d.VersionID == "" {
		return d.ID
	}
	return d.ID + "-" + d.VersionID
}

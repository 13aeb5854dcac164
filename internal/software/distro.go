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
// usr/lib/os-release when the first is missing; nil, nil when neither exists. The
// format is os-release(5): KEY=value lines, values optionally in single or double
// quotes with shell backslash escapes, comments and blank lines ignored; ID defaults
// to "linux". A file over 64 KiB, or one that cannot be read, is a *fs.PathError
// naming it (absolute).
func ReadDistro(fsys fs.FS) (*Distro, error) {
	for _, name := range []string{osRelease, osReleaseLib} {
		f, err := fsys.Open(name)
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
	return nil, nil
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

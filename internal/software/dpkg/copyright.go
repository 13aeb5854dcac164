package dpkg

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"sort"
	"strings"

	"github.com/palisade-k8s/palisade/internal/software"
)

// The status file has no license: a package's licenses are in its copyright file,
// usr/share/doc/<package>/copyright, machine-readable (DEP-5: "License:" fields) in
// most packages, free text naming /usr/share/common-licenses/<name> in the others.

const (
	docDir       = "usr/share/doc/"
	maxCopyright = 16 << 20 // bytes read from one copyright file (Boost's: 1.5 MB)
	maxLicenses  = 64       // licenses kept for one package
)

// isCopyright reports whether name is usr/share/doc/<package>/copyright.
func isCopyright(name string) bool {
	rest, ok := strings.CutPrefix(name, docDir)
	if !ok {
		return false
	}
	pkg, ok := strings.CutSuffix(rest, "/copyright")
	return ok && pkg != "" && !strings.Contains(pkg, "/")
}

// addLicenses fills the packages' Licenses from their copyright files (read once per
// package name); a file that cannot be read is a problem, a missing one is none.
func addLicenses(ctx context.Context, fsys fs.FS, pkgs []software.Package) []software.Problem {
	var probs []software.Problem
	seen := map[string][]string{}
	for i := range pkgs {
		name := pkgs[i].Name
		ls, ok := seen[name]
		if !ok {
			if ctx.Err() != nil {
				return append(probs, software.Problem{Path: "/" + docDir, Err: ctx.Err().Error()})
			}
			file := docDir + name + "/copyright"
			var err error
			ls, err = readCopyright(fsys, file)
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				probs = append(probs, software.Problem{Path: "/" + file, Err: err.Error()})
			}
			seen[name] = ls
		}
		pkgs[i].Licenses = ls
	}
	return probs
}

func readCopyright(fsys fs.FS, name string) ([]string, error) {
	f, err := software.OpenFile(fsys, name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parseCopyright(io.LimitReader(f, maxCopyright))
}

// parseCopyright returns the licenses a copyright file names, sorted: the values of
// its License fields (DEP-5), or else the files of /usr/share/common-licenses it
// refers to. It reads lines up to 64 KiB; a longer line ends the read.
func parseCopyright(r io.Reader) ([]string, error) {
	const ref = "/usr/share/common-licenses/"
	fields, refs := map[string]bool{}, map[string]bool{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 64<<10)
	for sc.Scan() && len(fields) < maxLicenses && len(refs) < maxLicenses {
		line := sc.Bytes()
		if len(line) > 8 && bytes.EqualFold(line[:8], []byte("license:")) {
			if v := strings.TrimSpace(string(line[8:])); v != "" {
				fields[v] = true
			}
			continue
		}
		for rest := line; ; {
			i := bytes.Index(rest, []byte(ref))
			if i < 0 {
				break
			}
			rest = rest[i+len(ref):]
			end := bytes.IndexFunc(rest, func(r rune) bool {
				return !(r == '-' || r == '.' || r == '+' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
			})
			if end < 0 {
				end = len(rest)
			}
			if v := strings.TrimRight(string(rest[:end]), "."); v != "" {
				refs[v] = true
			}
		}
	}
	if err := sc.Err(); err != nil && !errors.Is(err, bufio.ErrTooLong) {
		return nil, err
	}
	set := fields
	if len(set) == 0 {
		set = refs
	}
	if len(set) == 0 {
		return nil, nil
	}
	out := make([]string, 0, len(set))
	for l := range set {
		out = append(out, l)
	}
	sort.Strings(out)
	return out, nil
}

package dpkg

import (
	"bytes"
	"context"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/palisade-k8s/palisade/internal/software"
)

const dep5 = `Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: zlib

Files: *
Copyright: 1995-2013 Jean-loup Gailly and Mark Adler
License: Zlib

Files: contrib/dotzlib/*
Copyright: Henrik Ravn
license: BSL-1.0
 Boost Software License - Version 1.0 - August 17th, 2003
 .
 See /usr/share/common-licenses/GPL-2 for nothing.

Files: debian/*
License: Zlib
`

const freeText = `This is the Debian prepackaged version of the GNU C Library.

  On Debian systems, the complete text of the GNU Library
  General Public License can be found in ` + "`/usr/share/common-licenses/LGPL-2.1'" + `.
  ... and the GPL in /usr/share/common-licenses/GPL-2.
`

func TestLicenses(t *testing.T) {
	fsys := fstest.MapFS{
		statusFile: {Data: []byte("Package: zlib1g\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1:1.2.13.dfsg-1\nSource: zlib\n\n" +
			"Package: libc6\nStatus: install ok installed\nArchitecture: amd64\nVersion: 2.36-9\n\n" +
			"Package: libc6\nStatus: install ok installed\nArchitecture: i386\nVersion: 2.36-9\n\n" +
			"Package: nodoc\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1\n")},
		"usr/share/doc/zlib1g/copyright": {Data: []byte(dep5)},
		"usr/share/doc/libc6/copyright":  {Data: []byte(freeText)},
	}
	pkgs, probs := Catalog(context.Background(), fsys, software.Env{})
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	got := map[string][]string{}
	for _, p := range pkgs {
		got[p.Name+":"+p.Arch] = p.Licenses
	}
	want := map[string][]string{
		"zlib1g:amd64": {"BSL-1.0", "Zlib"},
		"libc6:amd64":  {"GPL-2", "LGPL-2.1"},
		"libc6:i386":   {"GPL-2", "LGPL-2.1"},
		"nodoc:amd64":  nil,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("licenses %v, want %v", got, want)
	}
	for name, keep := range map[string]bool{
		"usr/share/doc/zlib1g/copyright":       true,
		"usr/share/doc/zlib1g/changelog.gz":    false,
		"usr/share/doc/zlib1g/x/copyright":     false,
		"usr/share/doc//copyright":             false,
		"usr/share/doc/copyright":              false,
		"usr/local/share/doc/zlib1g/copyright": false,
	} {
		if Keep(name, 0, 0, nil) != keep {
			t.Errorf("Keep(%s) = %v", name, !keep)
		}
	}
}

// TestHostLicenses checks that every package of the machine whose copyright file has
// a License field gets licenses.
func TestHostLicenses(t *testing.T) {
	if _, err := os.Stat("/" + statusFile); err != nil {
		t.Skip("no dpkg database on this machine")
	}
	pkgs, _ := Catalog(context.Background(), os.DirFS("/"), software.Env{})
	field := regexp.MustCompile(`(?mi)^license:[ \t]*\S`)
	n := 0
	for _, p := range pkgs {
		data, err := os.ReadFile("/usr/share/doc/" + p.Name + "/copyright")
		if err != nil || !field.Match(data) {
			continue
		}
		n++
		if len(p.Licenses) == 0 {
			t.Errorf("%s: no license", p.Name)
		}
	}
	if n == 0 {
		t.Skip("no machine-readable copyright file")
	}
}

func FuzzParseCopyright(f *testing.F) {
	f.Add([]byte(dep5))
	f.Add([]byte(freeText))
	f.Fuzz(func(t *testing.T, data []byte) {
		ls, err := parseCopyright(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range ls {
			if l == "" || strings.Contains(l, "\n") {
				t.Fatalf("license %q", l)
			}
		}
	})
}

package apk

import (
	"bytes"
	"context"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/palisade-k8s/palisade/internal/software"
	"github.com/palisade-k8s/palisade/internal/software/softwaretest"
)

// installedDB is the start of an Alpine 3.19 lib/apk/db/installed.
const installedDB = `C:Q1/VLE0nXx5TQMD6f1FYvCd3XQvE4s=
P:musl
V:1.2.4_git20230717-r4
A:x86_64
S:407278
I:663552
T:the musl c library (libc) implementation
U:https://musl.libc.org/
L:MIT
o:musl
m:Timo Teräs <timo.teras@iki.fi>
t:1701789447
c:7a2a8ffbd3a89b34bfa4f0e4d9b6eb3a4fd1e327
F:lib
R:ld-musl-x86_64.so.1
a:0:0:755
Z:Q1a6Y3b4QwXDBXwLm0pGGsUwQHzmc=

C:Q1Nqw9J8ZMz7+bhMm3bEYtW7hSUns=
P:libcrypto3
V:3.1.4-r5
A:x86_64
S:1771536
I:4386816
T:Crypto library from openssl
U:https://www.openssl.org/
L:Apache-2.0
o:openssl
D:so:libc.musl-x86_64.so.1
p:so:libcrypto.so.3=3
F:lib
R:libcrypto.so.3
`

func TestCatalog(t *testing.T) {
	fsys := fstest.MapFS{installed: {Data: []byte(installedDB)}, "etc/os-release": {Data: []byte("NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.19.1\n")}}
	d, err := software.ReadDistro(fsys)
	if err != nil {
		t.Fatal(err)
	}
	pkgs, probs := Catalog(context.Background(), fsys, software.Env{Distro: d})
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	loc := software.Location{Path: "/lib/apk/db/installed", Layer: -1}
	want := []software.Package{
		{Ecosystem: software.APK, Name: "musl", Version: "1.2.4_git20230717-r4", Arch: "x86_64", SourceName: "musl", Licenses: []string{"MIT"}, Cataloger: "apk", Location: loc,
			PURL: "pkg:apk/alpine/musl@1.2.4_git20230717-r4?arch=x86_64&distro=alpine-3.19.1"},
		{Ecosystem: software.APK, Name: "libcrypto3", Version: "3.1.4-r5", Arch: "x86_64", SourceName: "openssl", Licenses: []string{"Apache-2.0"}, Cataloger: "apk", Location: loc,
			PURL: "pkg:apk/alpine/libcrypto3@3.1.4-r5?arch=x86_64&distro=alpine-3.19.1&upstream=openssl"},
	}
	if !reflect.DeepEqual(pkgs, want) {
		t.Errorf("got\n%+v\nwant\n%+v", pkgs, want)
	}
}

func TestCatalogMalformed(t *testing.T) {
	data := "P:a\nV:1\nnot a field\n\nV:2\n\n\nP:b\nV:3\n"
	pkgs, probs := Catalog(context.Background(), fstest.MapFS{installed: {Data: []byte(data)}}, software.Env{})
	if len(pkgs) != 2 || pkgs[1].Name != "b" {
		t.Errorf("packages %+v", pkgs)
	}
	var errs []string
	for _, p := range probs {
		errs = append(errs, p.Path+": "+p.Err)
	}
	want := []string{"/lib/apk/db/installed: line 3: not a field", "/lib/apk/db/installed: line 5: package without P: or V:"}
	if !reflect.DeepEqual(errs, want) {
		t.Errorf("problems %q", errs)
	}
}

func TestLayerAttribution(t *testing.T) {
	l := [][]byte{[]byte("P:musl\nV:1\n"), []byte("P:musl\nV:1\n\nP:curl\nV:8\n"), []byte("P:musl\nV:2\n\nP:curl\nV:8\n")}
	pkgs, _ := Catalog(context.Background(), fstest.MapFS{installed: {Data: l[2]}}, software.Env{Layers: softwaretest.Layers{installed: l}})
	got := map[string]int{}
	for _, p := range pkgs {
		got[p.Name] = p.Location.Layer
	}
	if want := map[string]int{"musl": 2, "curl": 1}; !reflect.DeepEqual(got, want) {
		t.Errorf("layers %v, want %v", got, want)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(installedDB))
	f.Add([]byte("P:\nV:\n\n:\nx\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = parse(context.Background(), bytes.NewReader(data), func(e entry) {
			if e.name == "" || e.version == "" {
				t.Fatalf("entry %+v", e)
			}
		})
	})
}

func BenchmarkCatalog(b *testing.B) {
	data := []byte(strings.Repeat(installedDB+"\n", 500))
	fsys := fstest.MapFS{installed: {Data: data}}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if pkgs, _ := Catalog(context.Background(), fsys, software.Env{}); len(pkgs) == 0 {
			b.Fatal("no package")
		}
	}
}

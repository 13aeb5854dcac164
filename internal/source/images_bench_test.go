package source

import (
	"context"
	"fmt"
	"io/fs"
	"testing"
	"testing/fstest"
)

// BenchmarkImagesRead measures the image source's own work on images already in
// memory (locating, cataloguing with the registered catalogers, building and
// visiting the objects): the cost around the image reader.
func BenchmarkImagesRead(b *testing.B) {
	files := fstest.MapFS{}
	var pkgs []byte
	for i := 0; i < 2000; i++ {
		pkgs = fmt.Appendf(pkgs, "pkg%d 1.%d\n", i, i)
		files[fmt.Sprintf("usr/share/doc/pkg%d/copyright", i)] = &fstest.MapFile{Data: []byte("x")}
	}
	files["pkgs.txt"] = &fstest.MapFile{Data: pkgs}
	reg := &fakeRegistry{images: map[string][]fakeImage{}}
	var refs []string
	for i := 0; i < 8; i++ {
		ref := fmt.Sprintf("img%d:1", i)
		refs = append(refs, ref)
		reg.images[ref] = []fakeImage{testImage(ref, byte('a'+i), "linux/amd64", files, nil)}
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		res, err := (&Images{Refs: refs, open: reg.open}).Read(context.Background(), Needs{})
		if err != nil || len(res.Inventory.Objects) != 8 {
			b.Fatal(err)
		}
	}
}

// BenchmarkCachedFiles measures opening a cached image and looking files up in it.
func BenchmarkCachedFiles(b *testing.B) {
	files := fstest.MapFS{"root/.npmrc": webFiles["root/.npmrc"]}
	for i := 0; i < 20000; i++ {
		files[fmt.Sprintf("usr/lib/d%d/f%d", i%100, i)] = &fstest.MapFile{Data: []byte("x")}
	}
	dir := b.TempDir()
	reg := &fakeRegistry{images: map[string][]fakeImage{"web:1": {testImage("web:1", 'a', "", files, nil)}}}
	if _, err := (&Images{Refs: []string{"web:1"}, Cache: dir, Version: "bench", open: reg.open}).Read(context.Background(), Needs{}); err != nil {
		b.Fatal(err)
	}
	cache := imageCache{dir: dir, version: "bench"}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		info, ok := cache.get(digest('a'), "")
		if !ok {
			b.Fatal("not cached")
		}
		if _, err := fs.ReadFile(info.Files, "root/.npmrc"); err != nil {
			b.Fatal(err)
		}
		if _, err := fs.ReadDir(info.Files, "usr/lib/d7"); err != nil {
			b.Fatal(err)
		}
	}
}

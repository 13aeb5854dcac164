package vulndb

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/palisade-k8s/palisade/internal/software"
)

// bundleDB is a database of two sources (one withdrawn record) and its bundle file.
func bundleDB(t *testing.T) (*DB, string, string) {
	t.Helper()
	dir := t.TempDir()
	db := openDB(t)
	importPaths(t, db, ImportOptions{Source: "Go"},
		write(t, filepath.Join(dir, "GO-2026-0001.json"), rec(t, "GO-2026-0001", "2026-01-01T00:00:00Z", false, "Go/example.com/a")),
		write(t, filepath.Join(dir, "GO-2026-0002.json"), rec(t, "GO-2026-0002", "2026-02-01T00:00:00Z", true, "Go/example.com/a")))
	importPaths(t, db, ImportOptions{Now: func() time.Time { return importTime.Add(time.Hour) }},
		writeZip(t, filepath.Join(dir, "pypi.zip"), map[string][]byte{
			"PYSEC-1.json": rec(t, "PYSEC-1", "2026-03-01T00:00:00Z", false, "PyPI/Flask"),
		}))
	path := filepath.Join(dir, "bundle.zip")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	digest, err := db.Export(context.Background(), io.MultiWriter(f, h))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(digest, "sha256:") || len(digest) != len("sha256:")+64 {
		t.Fatalf("digest %q", digest)
	}
	return db, path, digest
}

// A bundle carries every source (metadata, import time, records, withdrawn ones too)
// to another database, which then answers the same lookups; its digest and the file's
// SHA-256 are reported.
func TestBundleRoundTrip(t *testing.T) {
	db, path, digest := bundleDB(t)
	other := openDB(t)
	var last Progress
	sum := importPaths(t, other, ImportOptions{Now: func() time.Time { return importTime.Add(48 * time.Hour) }, Progress: func(p Progress) { last = p }}, path)
	data, _ := os.ReadFile(path)
	fileSum := sha256.Sum256(data)
	if sum.Bundle != digest || sum.BundleSHA256 != hex.EncodeToString(fileSum[:]) || sum.Records != 3 || sum.Withdrawn != 1 || len(sum.Problems) != 0 || !last.Done {
		t.Fatalf("summary: %+v", sum)
	}
	want, _ := db.Sources()
	got, _ := other.Sources()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("sources:\n got %+v\nwant %+v", got, want)
	}
	if !reflect.DeepEqual(sum.Sources, want) {
		t.Errorf("summary sources: %+v", sum.Sources)
	}
	for _, c := range []struct {
		eco  software.Ecosystem
		name string
		want []string
	}{
		{software.Golang, "example.com/a", []string{"Go/GO-2026-0001"}},
		{software.PyPI, "flask", []string{"PyPI/PYSEC-1"}},
	} {
		if g := ids(t, other, c.eco, c.name); !slices.Equal(g, c.want) {
			t.Errorf("%s: %v, want %v", c.name, g, c.want)
		}
	}
	// Exporting the imported database gives the same content digest.
	d2, err := other.Export(context.Background(), io.Discard)
	if err != nil || d2 != digest {
		t.Errorf("re-export digest %s, want %s (%v)", d2, digest, err)
	}
	// An empty database exports a bundle of no sources.
	if _, err := openDB(t).Export(context.Background(), io.Discard); err != nil {
		t.Error(err)
	}
}

// rewrite copies a zip, letting edit change each entry (nil drops it) and add more.
func rewrite(t *testing.T, src, dst string, edit func(name string, data []byte) []byte, add map[string][]byte) string {
	t.Helper()
	zr, err := zip.OpenReader(src)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	entries := map[string][]byte{}
	var order []string
	for _, e := range zr.File {
		rc, _ := e.Open()
		data, _ := io.ReadAll(rc)
		rc.Close()
		if data = edit(e.Name, data); data != nil {
			entries[e.Name] = data
			order = append(order, e.Name)
		}
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, data := range add {
		w, _ := zw.Create(name)
		w.Write(data)
	}
	for _, name := range order {
		w, _ := zw.Create(name)
		w.Write(entries[name])
	}
	zw.Close()
	return write(t, dst, buf.Bytes())
}

// Any change to a bundle's records or source metadata is detected and imports
// nothing.
func TestBundleTamper(t *testing.T) {
	_, path, _ := bundleDB(t)
	same := func(_ string, d []byte) []byte { return d }
	editManifest := func(f func(m map[string]any)) func(string, []byte) []byte {
		return func(name string, d []byte) []byte {
			if name != manifestName {
				return d
			}
			var m map[string]any
			json.Unmarshal(d, &m)
			f(m)
			out, _ := json.Marshal(m)
			return out
		}
	}
	dir := t.TempDir()
	for _, c := range []struct {
		name string
		edit func(string, []byte) []byte
		add  map[string][]byte
		want string
	}{
		{"record changed", func(name string, d []byte) []byte {
			if name == "Go/GO-2026-0001.json" {
				return bytes.Replace(d, []byte(`"9.9.9"`), []byte(`"0.0.1"`), 1)
			}
			return d
		}, nil, "content digest"},
		{"record removed", func(name string, d []byte) []byte {
			if name == "PyPI/PYSEC-1.json" {
				return nil
			}
			return d
		}, nil, "content digest"},
		{"record added", same, map[string][]byte{"Go/GO-2026-0009.json": rec(t, "GO-2026-0009", "2026-01-01T00:00:00Z", false, "Go/example.com/evil")}, "content digest"},
		{"record of an unknown source", same, map[string][]byte{"Evil/GO-2026-0009.json": rec(t, "GO-2026-0009", "2026-01-01T00:00:00Z", false, "Go/example.com/evil")}, "not a record of a source the manifest lists"},
		{"source metadata changed", editManifest(func(m map[string]any) {
			m["sources"].([]any)[0].(map[string]any)["importedAt"] = "2030-01-01T00:00:00Z"
		}), nil, "content digest"},
		{"digest replaced", editManifest(func(m map[string]any) { m["digest"] = "sha256:" + strings.Repeat("0", 64) }), nil, "content digest"},
		{"manifest removed", func(name string, d []byte) []byte {
			if name == manifestName {
				return nil
			}
			return d
		}, nil, ""}, // then it is an OSV zip export of two sources' records: see below
		{"other format", editManifest(func(m map[string]any) { m["version"] = 2 }), nil, "version 2"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := rewrite(t, path, filepath.Join(dir, strings.ReplaceAll(c.name, " ", "-")+".zip"), c.edit, c.add)
			db := openDB(t)
			sum, err := db.Import(context.Background(), []string{p}, ImportOptions{})
			if c.want == "" {
				// Without its manifest a bundle is a zip of OSV records, imported
				// as one more export: no bundle digest is claimed.
				if err != nil || sum.Bundle != "" {
					t.Fatalf("%+v %v", sum, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err %v, want %q", err, c.want)
			}
			if s, _ := db.Sources(); len(s) != 0 {
				t.Errorf("a tampered bundle imported %v", s)
			}
			if recs, _ := db.Lookup(software.Golang, "example.com/evil"); len(recs) != 0 {
				t.Errorf("tampered records imported")
			}
		})
	}
}

// A bundle is imported alone.
func TestBundleAlone(t *testing.T) {
	_, path, _ := bundleDB(t)
	db := openDB(t)
	other := write(t, filepath.Join(t.TempDir(), "GO-2026-0003.json"), rec(t, "GO-2026-0003", "2026-01-01T00:00:00Z", false, "Go/example.com/b"))
	for _, c := range []struct {
		paths []string
		opts  ImportOptions
	}{
		{[]string{path, other}, ImportOptions{}},
		{[]string{path}, ImportOptions{Source: "x"}},
	} {
		if _, err := db.Import(context.Background(), c.paths, c.opts); err == nil || !strings.Contains(err.Error(), "imported alone") {
			t.Errorf("%v %+v: %v", c.paths, c.opts, err)
		}
	}
}

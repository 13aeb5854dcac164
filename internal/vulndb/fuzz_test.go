package vulndb

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/palisade-k8s/palisade/internal/software"
)

// FuzzImport feeds arbitrary files to Import: as a zip (an OSV export or a bundle,
// whichever the bytes say) and as a single record. It must never panic, and what it
// imports must be found again.
func FuzzImport(f *testing.F) {
	dir := f.TempDir()
	record := rec(f, "GHSA-fuzz-0001", "2026-01-01T00:00:00Z", false, "npm/left-pad", "PyPI/Flask", "Debian:12/openssl")
	f.Add(record)
	f.Add([]byte(`{"id":"x","modified":"2026-01-01T00:00:00Z","withdrawn":"2026-01-01T00:00:00Z"}`))
	var zbuf bytes.Buffer
	zw := zip.NewWriter(&zbuf)
	w, _ := zw.Create("GHSA-fuzz-0001.json")
	w.Write(record)
	zw.Close()
	f.Add(zbuf.Bytes())
	db, err := Open(filepath.Join(dir, "seed.db"), Options{})
	if err != nil {
		f.Fatal(err)
	}
	importPaths(f, db, ImportOptions{Source: "seed"}, write(f, filepath.Join(dir, "seed.zip"), zbuf.Bytes()))
	var bundle bytes.Buffer
	if _, err := db.Export(context.Background(), &bundle); err != nil {
		f.Fatal(err)
	}
	db.Close()
	f.Add(bundle.Bytes())

	target, err := Open(filepath.Join(dir, "fuzz.db"), Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { target.Close() })
	target.bolt.NoSync = true // a throwaway database: no fsync per input
	n := 0
	f.Fuzz(func(t *testing.T, data []byte) {
		n++
		path := filepath.Join(dir, fmt.Sprintf("in%d.zip", n%4))
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		sum, err := target.Import(context.Background(), []string{path}, ImportOptions{Source: "", Now: func() time.Time { return importTime }})
		if err != nil {
			return
		}
		for _, p := range sum.Problems {
			if p.File == "" || p.Err == nil {
				t.Fatalf("problem without a file or an error: %+v", p)
			}
		}
		for _, s := range sum.Sources {
			if ValidSourceName(s.Name) != nil {
				t.Fatalf("invalid source name %q", s.Name)
			}
		}
		if _, err := target.Lookup(software.NPM, "left-pad"); err != nil {
			t.Fatal(err)
		}
	})
}

// synthetic writes a zip export of n records over names packages (npm), each record
// naming three of them.
func synthetic(b testing.TB, path string, n, names int) string {
	r := rand.New(rand.NewPCG(1, 2))
	entries := map[string][]byte{}
	for i := range n {
		id := fmt.Sprintf("GHSA-%04d-%04d-%04d", i/10000, i%10000, r.IntN(10000))
		var pkgs []string
		for range 3 {
			pkgs = append(pkgs, fmt.Sprintf("npm/pkg-%d", r.IntN(names)))
		}
		entries[id+".json"] = recNoValidate(id, pkgs...)
	}
	return writeZip(b, path, entries)
}

// recNoValidate is rec without the schema check (benchmarks write thousands).
func recNoValidate(id string, pkgs ...string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, `{"schema_version":"1.6.0","id":%q,"modified":"2026-01-01T00:00:00Z","summary":"synthetic","details":"%s","affected":[`, id, bytes.Repeat([]byte("x"), 800))
	for i, p := range pkgs {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"package":{"ecosystem":"npm","name":%q},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.2.%d"}]}]}`, p[len("npm/"):], i)
	}
	b.WriteString(`]}`)
	return b.Bytes()
}

// BenchmarkImport imports a zip export of 5,000 records (about 1 KB each).
func BenchmarkImport(b *testing.B) {
	dir := b.TempDir()
	zpath := synthetic(b, filepath.Join(dir, "npm.zip"), 5000, 2000)
	db, err := Open(filepath.Join(dir, "v.db"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	b.ResetTimer()
	for b.Loop() {
		sum, err := db.Import(context.Background(), []string{zpath}, ImportOptions{})
		if err != nil || sum.Records != 5000 {
			b.Fatal(sum, err)
		}
	}
	b.ReportMetric(float64(5000*b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkLookup looks packages up in a database of 20,000 records over 2,000
// names (about 30 records per name).
func BenchmarkLookup(b *testing.B) {
	dir := b.TempDir()
	zpath := synthetic(b, filepath.Join(dir, "npm.zip"), 20000, 2000)
	path := filepath.Join(dir, "v.db")
	db, err := Open(path, Options{})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := db.Import(context.Background(), []string{zpath}, ImportOptions{}); err != nil {
		b.Fatal(err)
	}
	db.Close()
	if db, err = Open(path, Options{ReadOnly: true}); err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	i, found := 0, 0
	for b.Loop() {
		recs, err := db.Lookup(software.NPM, fmt.Sprintf("pkg-%d", i%2000))
		if err != nil {
			b.Fatal(err)
		}
		found += len(recs)
		i++
	}
	if found == 0 {
		b.Fatal("nothing found")
	}
}

// FuzzDecodeStored: whatever osv.Parse accepts, Lookup's decoder reads the same.
func FuzzDecodeStored(f *testing.F) {
	f.Add(rec(f, "GHSA-fuzz-0001", "2026-01-01T00:00:00Z", true, "npm/left-pad", "Debian:12/openssl"))
	f.Add([]byte(`{"id":"x","modified":"2026-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"npm","name":"a"},"ranges":[{"type":"SEMVER","events":[{"introduced":null},{"fixed":"1"}]}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) { checkDecode(t, "fuzz", data) })
}

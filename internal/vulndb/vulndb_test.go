package vulndb

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"

	"github.com/palisade-k8s/palisade/internal/osv"
	"github.com/palisade-k8s/palisade/internal/osv/osvtest"
	"github.com/palisade-k8s/palisade/internal/software"
)

var importTime = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

// rec is an OSV record in the official schema: id, modified, affected packages
// "Ecosystem/name" with one range introduced 0, fixed 9.9.9; withdrawn if asked.
func rec(t testing.TB, id, modified string, withdrawn bool, pkgs ...string) []byte {
	t.Helper()
	var affected []map[string]any
	for _, p := range pkgs {
		eco, name, _ := strings.Cut(p, "/")
		affected = append(affected, map[string]any{
			"package": map[string]string{"ecosystem": eco, "name": name},
			"ranges":  []map[string]any{{"type": "ECOSYSTEM", "events": []map[string]string{{"introduced": "0"}, {"fixed": "9.9.9"}}}},
		})
	}
	r := map[string]any{"schema_version": "1.6.0", "id": id, "modified": modified, "summary": "test " + id, "affected": affected}
	if withdrawn {
		r["withdrawn"] = modified
	}
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	osvtest.Validate(t, id, data)
	return data
}

func openDB(t testing.TB) *DB {
	t.Helper()
	db, err := Open(filepath.Join(t.TempDir(), "sub", "vulndb.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func write(t testing.TB, path string, data []byte) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func writeZip(t testing.TB, path string, entries map[string][]byte) string {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range entries {
			if !yield(k) {
				return
			}
		}
	}) {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(entries[name])
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return write(t, path, buf.Bytes())
}

func importPaths(t testing.TB, db *DB, opts ImportOptions, paths ...string) *ImportSummary {
	t.Helper()
	if opts.Now == nil {
		opts.Now = func() time.Time { return importTime }
	}
	sum, err := db.Import(context.Background(), paths, opts)
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

// ids is "source/ID" of each record Lookup returns.
func ids(t testing.TB, db *DB, eco software.Ecosystem, name string) []string {
	t.Helper()
	recs, err := db.Lookup(eco, name)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range recs {
		out = append(out, r.Source+"/"+r.ID)
	}
	return out
}

func sources(t testing.TB, db *DB) map[string]Source {
	t.Helper()
	ss, err := db.Sources()
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]Source{}
	for _, s := range ss {
		m[s.Name] = s
	}
	return m
}

// The whole real Go vulnerability database: every record imported, counted, each
// one's every Go package found by Lookup, withdrawn ones never.
func TestImportGoVulnDB(t *testing.T) {
	dir := osvtest.GoVulnDB(t)
	db := openDB(t)
	var progress []Progress
	sum := importPaths(t, db, ImportOptions{Source: "Go", Progress: func(p Progress) { progress = append(progress, p) }}, dir)
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if sum.Records != len(files) || sum.Files != len(files) || len(sum.Problems) != 0 {
		t.Fatalf("imported %d records of %d files (%d files read), problems %v", sum.Records, len(files), sum.Files, sum.Problems)
	}
	if len(progress) == 0 || !progress[len(progress)-1].Done || progress[len(progress)-1].Records != len(files) {
		t.Errorf("progress: %+v", progress)
	}
	src := sources(t, db)["Go"]
	if src.Records != len(files) || src.Ecosystems["Go"] != len(files) || src.Withdrawn == 0 || src.Withdrawn != sum.Withdrawn || src.Bytes == 0 || src.Newest.IsZero() || !src.ImportedAt.Equal(importTime) || !slices.Equal(src.Origin, []string{"osv"}) {
		t.Errorf("source: %+v", src)
	}
	withdrawn := 0
	want := map[string][]string{} // package -> "Go/ID" of its records, withdrawn excluded
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		r, err := osv.ParseBytes(data, f)
		if err != nil {
			t.Fatal(err)
		}
		if r.IsWithdrawn() {
			withdrawn++
		}
		for _, a := range r.Affected {
			if _, ok := want[a.Package.Name]; !ok {
				want[a.Package.Name] = nil
			}
			if !r.IsWithdrawn() && !slices.Contains(want[a.Package.Name], "Go/"+r.ID) {
				want[a.Package.Name] = append(want[a.Package.Name], "Go/"+r.ID)
			}
		}
	}
	for name, w := range want {
		slices.Sort(w)
		if got := ids(t, db, software.Golang, name); !slices.Equal(got, w) {
			t.Errorf("Lookup(%s) = %v, want %v", name, got, w)
		}
	}
	if withdrawn != src.Withdrawn {
		t.Errorf("withdrawn %d, source says %d", withdrawn, src.Withdrawn)
	}
	gin := ids(t, db, software.Golang, "github.com/gin-gonic/gin")
	if !slices.Contains(gin, "Go/GO-2020-0001") || !slices.IsSorted(gin) {
		t.Errorf("gin: %v", gin)
	}
	recs, err := db.Lookup(software.Golang, "stdlib")
	if err != nil || len(recs) < 100 {
		t.Fatalf("stdlib: %d records, %v", len(recs), err)
	}
	for _, r := range recs {
		if r.Source != "Go" || !slices.ContainsFunc(r.Affected, func(a osv.Affected) bool { return a.Package.Name == "stdlib" }) {
			t.Fatalf("stdlib lookup returned %s from %q", r.ID, r.Source)
		}
	}
	if got := ids(t, db, software.NPM, "github.com/gin-gonic/gin"); got != nil {
		t.Errorf("npm lookup of a Go module: %v", got)
	}
}

// An osv.dev export: its source is named by its ecosystem; a malformed entry, a
// zip bomb and an oversized entry are problems naming the entry; the rest imports.
func TestImportZip(t *testing.T) {
	dir := t.TempDir()
	bomb := bytes.Repeat([]byte(" "), 2<<20)
	zpath := writeZip(t, filepath.Join(dir, "all.zip"), map[string][]byte{
		"GHSA-1.json": rec(t, "GHSA-1", "2026-01-02T00:00:00Z", false, "npm/left-pad"),
		"GHSA-2.json": rec(t, "GHSA-2", "2026-03-04T00:00:00Z", false, "npm/left-pad", "npm/@scope/pkg"),
		"bad.json":    []byte(`{"id": "X", "modified": "2026-01-01T00:00:00Z", "affected": [{"package": {"ecosystem": "npm"}}]}`),
		"bomb.json":   bomb,
		"README.md":   []byte("not a record"),
	})
	db := openDB(t)
	sum := importPaths(t, db, ImportOptions{}, zpath)
	if sum.Records != 2 || sum.Files != 4 || sum.Malformed != 2 || len(sum.Problems) != 2 {
		t.Fatalf("summary: %+v", sum)
	}
	want := []string{zpath + "!/bad.json", zpath + "!/bomb.json"}
	for i, p := range sum.Problems {
		if p.File != want[i] {
			t.Errorf("problem %d: %v, want file %s", i, p, want[i])
		}
	}
	if !strings.Contains(sum.Problems[1].Err.Error(), "zip bomb") {
		t.Errorf("bomb: %v", sum.Problems[1])
	}
	s := sources(t, db)["npm"]
	if s.Records != 2 || !s.Newest.Equal(time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC)) || s.Ecosystems["npm"] != 2 || !slices.Equal(s.Origin, []string{"all.zip"}) {
		t.Errorf("source npm: %+v (all %v)", s, sources(t, db))
	}
	if got := ids(t, db, software.NPM, "left-pad"); !slices.Equal(got, []string{"npm/GHSA-1", "npm/GHSA-2"}) {
		t.Errorf("left-pad: %v", got)
	}
	if got := ids(t, db, software.NPM, "@scope/pkg"); !slices.Equal(got, []string{"npm/GHSA-2"}) {
		t.Errorf("@scope/pkg: %v", got)
	}
	// Entry names that would leave a directory are names: nothing is extracted.
	t.Setenv("GODEBUG", "zipinsecurepath=0")
	odd := writeZip(t, filepath.Join(dir, "odd.zip"), map[string][]byte{"../x/GHSA-3.json": rec(t, "GHSA-3", "2026-01-02T00:00:00Z", false, "npm/left-pad")})
	if sum := importPaths(t, db, ImportOptions{Source: "odd"}, odd); sum.Records != 1 {
		t.Errorf("zip with a non-local name: %+v", sum)
	}
}

// Directories are walked for *.json (hidden directories skipped), single files read;
// names are compared as the ecosystem normalises them; distribution records are found
// by package name for every release.
func TestImportDirAndFile(t *testing.T) {
	dir := t.TempDir()
	adv := filepath.Join(dir, "advisories")
	write(t, filepath.Join(adv, "a", "PYSEC-1.json"), rec(t, "PYSEC-1", "2026-01-01T00:00:00Z", false, "PyPI/Django_REST.framework"))
	write(t, filepath.Join(adv, "b", "DSA-1.json"), rec(t, "DSA-1", "2026-01-01T00:00:00Z", false, "Debian:12/openssl", "Debian:11/openssl", "Ubuntu:22.04:LTS/openssl"))
	write(t, filepath.Join(adv, ".git", "X.json"), []byte("not json"))
	write(t, filepath.Join(adv, "notes.txt"), []byte("not json"))
	file := write(t, filepath.Join(dir, "single.json"), rec(t, "RUSTSEC-1", "2026-01-01T00:00:00Z", false, "crates.io/smallvec", "OSS-Fuzz/thing"))
	db := openDB(t)
	sum := importPaths(t, db, ImportOptions{}, adv, file)
	if sum.Records != 3 || len(sum.Problems) != 0 || len(sum.Sources) != 2 {
		t.Fatalf("summary: %+v", sum)
	}
	src := sources(t, db)
	if src["advisories"].Records != 2 || src["single"].Records != 1 || src["advisories"].Ecosystems["Debian"] != 1 || src["advisories"].Ecosystems["Ubuntu"] != 1 || src["single"].Ecosystems["OSS-Fuzz"] != 1 {
		t.Errorf("sources: %+v", src)
	}
	for _, name := range []string{"django-rest-framework", "Django_REST.framework", "DJANGO.rest.FRAMEWORK"} {
		if got := ids(t, db, software.PyPI, name); !slices.Equal(got, []string{"advisories/PYSEC-1"}) {
			t.Errorf("PyPI %s: %v", name, got)
		}
	}
	if got := ids(t, db, software.Deb, "openssl"); !slices.Equal(got, []string{"advisories/DSA-1"}) {
		t.Errorf("deb openssl: %v (one record once)", got)
	}
	if got := ids(t, db, software.Cargo, "smallvec"); !slices.Equal(got, []string{"single/RUSTSEC-1"}) {
		t.Errorf("cargo smallvec: %v", got)
	}
	if got := ids(t, db, software.Deb, "Openssl"); got != nil {
		t.Errorf("deb names are exact: %v", got)
	}
}

// A malformed record is a problem naming the file (and line), never fatal; a source
// of nothing but malformed records is not replaced.
func TestImportMalformed(t *testing.T) {
	dir := t.TempDir()
	good := write(t, filepath.Join(dir, "d", "GO-1.json"), rec(t, "GO-1", "2026-01-01T00:00:00Z", false, "Go/example.com/m"))
	syntax := write(t, filepath.Join(dir, "d", "GO-2.json"), []byte("{\n  \"id\": \"GO-2\",\n  \"modified\": \n}"))
	notOSV := write(t, filepath.Join(dir, "d", "GO-3.json"), []byte(`{"id": "GO-3"}`))
	array := write(t, filepath.Join(dir, "d", "GO-4.json"), []byte(`[]`))
	db := openDB(t)
	sum := importPaths(t, db, ImportOptions{Source: "Go"}, filepath.Join(dir, "d"))
	if sum.Records != 1 || sum.Malformed != 3 {
		t.Fatalf("summary: %+v", sum)
	}
	got := map[string]string{}
	for _, p := range sum.Problems {
		got[p.File] = p.Err.Error()
	}
	if !strings.HasPrefix(got[syntax], "line 4: ") {
		t.Errorf("syntax error without its line: %v", got)
	}
	if !strings.Contains(got[notOSV], `missing "modified"`) || !strings.Contains(got[array], "not a JSON object") {
		t.Errorf("problems: %v", got)
	}
	for _, p := range sum.Problems {
		if strings.Count(p.Error(), filepath.Base(p.File)) != 1 {
			t.Errorf("file named more or less than once: %s", p.Error())
		}
	}
	_ = good
	// Only malformed records: the source stays as it was.
	bad := write(t, filepath.Join(dir, "e", "GO-1.json"), []byte("{"))
	sum = importPaths(t, db, ImportOptions{Source: "Go"}, bad)
	if sum.Malformed == 0 || len(sum.Sources) != 0 || !strings.Contains(sum.Problems[len(sum.Problems)-1].Error(), `source "Go" not replaced`) {
		t.Fatalf("summary: %+v", sum)
	}
	if got := ids(t, db, software.Golang, "example.com/m"); !slices.Equal(got, []string{"Go/GO-1"}) {
		t.Errorf("after a failed re-import: %v", got)
	}
	// An empty directory replaces nothing either, and says so.
	empty := filepath.Join(dir, "empty")
	os.Mkdir(empty, 0o755)
	sum = importPaths(t, db, ImportOptions{Source: "Go"}, empty)
	if sum.Malformed != 1 || len(sum.Problems) != 1 || sum.Problems[0].File != "empty" || len(sources(t, db)) != 1 {
		t.Errorf("empty directory: %+v", sum)
	}
}

// Withdrawn records are stored and counted, never returned.
func TestImportWithdrawn(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "x", "A.json"), rec(t, "x_A", "2026-01-01T00:00:00Z", true, "npm/p"))
	write(t, filepath.Join(dir, "x", "B.json"), rec(t, "x_B", "2026-01-01T00:00:00Z", false, "npm/p"))
	db := openDB(t)
	sum := importPaths(t, db, ImportOptions{}, filepath.Join(dir, "x"))
	if sum.Records != 2 || sum.Withdrawn != 1 || sources(t, db)["x"].Withdrawn != 1 {
		t.Fatalf("summary: %+v", sum)
	}
	if got := ids(t, db, software.NPM, "p"); !slices.Equal(got, []string{"x/x_B"}) {
		t.Errorf("lookup: %v", got)
	}
}

// Importing a source again replaces its records (gone records are gone, also from
// the index) and leaves other sources alone; a record ID twice in one import: the
// later wins.
func TestImportReplace(t *testing.T) {
	dir := t.TempDir()
	a1 := write(t, filepath.Join(dir, "1", "A-1.json"), rec(t, "x_A-1", "2026-01-01T00:00:00Z", false, "npm/old"))
	a2 := write(t, filepath.Join(dir, "1", "A-2.json"), rec(t, "x_A-2", "2026-01-01T00:00:00Z", false, "npm/keep"))
	b1 := write(t, filepath.Join(dir, "b", "B-1.json"), rec(t, "x_B-1", "2026-01-01T00:00:00Z", false, "npm/old"))
	db := openDB(t)
	importPaths(t, db, ImportOptions{Source: "A"}, a1, a2)
	importPaths(t, db, ImportOptions{Source: "B"}, b1)
	a2new := write(t, filepath.Join(dir, "2", "A-2.json"), rec(t, "x_A-2", "2026-02-01T00:00:00Z", false, "npm/new"))
	a3 := write(t, filepath.Join(dir, "2", "A-3.json"), rec(t, "x_A-3", "2026-01-01T00:00:00Z", false, "npm/new"))
	a3again := write(t, filepath.Join(dir, "3", "A-3.json"), rec(t, "x_A-3", "2026-01-05T00:00:00Z", false, "npm/newer"))
	sum := importPaths(t, db, ImportOptions{Source: "A", Now: func() time.Time { return importTime.Add(time.Hour) }}, a2new, a3, a3again)
	if sum.Records != 2 {
		t.Errorf("records %d, want 2 (A-3 replaced within the import)", sum.Records)
	}
	for _, c := range []struct {
		name string
		want []string
	}{
		{"old", []string{"B/x_B-1"}},
		{"keep", nil},
		{"new", []string{"A/x_A-2"}},
		{"newer", []string{"A/x_A-3"}},
	} {
		if got := ids(t, db, software.NPM, c.name); !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
	src := sources(t, db)
	if a := src["A"]; a.Records != 2 || a.Ecosystems["npm"] != 2 || !a.ImportedAt.Equal(importTime.Add(time.Hour)) || len(a.Origin) != 3 {
		t.Errorf("A: %+v", a)
	}
	if b := src["B"]; b.Records != 1 || !b.ImportedAt.Equal(importTime) {
		t.Errorf("B: %+v", b)
	}
}

// An import stopped by its context changes nothing.
func TestImportCancelled(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "x", "A.json"), rec(t, "x_A", "2026-01-01T00:00:00Z", false, "npm/p"))
	db := openDB(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := db.Import(ctx, []string{filepath.Join(dir, "x")}, ImportOptions{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v", err)
	}
	if s := sources(t, db); len(s) != 0 {
		t.Errorf("sources after a cancelled import: %v", s)
	}
}

// Read-only: a missing database is ErrNotExist; an existing one reads while another
// reader holds it, refuses imports.
func TestReadOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v.db")
	if _, err := Open(path, Options{ReadOnly: true}); !errors.Is(err, ErrNotExist) {
		t.Fatalf("missing: %v", err)
	}
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	file := write(t, filepath.Join(t.TempDir(), "A.json"), rec(t, "x_A", "2026-01-01T00:00:00Z", false, "npm/p"))
	importPaths(t, db, ImportOptions{}, file)
	if _, err := Open(path, Options{ReadOnly: true, Timeout: 50 * time.Millisecond}); err == nil || !strings.Contains(err.Error(), "locked") {
		t.Errorf("read-only open while importing: %v", err)
	}
	db.Close()
	r1, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r1.Close()
	r2, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	if got := ids(t, r2, software.NPM, "p"); !slices.Equal(got, []string{"A/x_A"}) {
		t.Errorf("lookup: %v", got)
	}
	if _, err := r1.Import(context.Background(), []string{file}, ImportOptions{}); err == nil {
		t.Error("import into a read-only database")
	}
}

// A database of another schema is refused read-only with a message to import again;
// an import starts an older one afresh and refuses a newer one; a bbolt file that is
// not Palisade's is refused.
func TestWrongSchema(t *testing.T) {
	for _, c := range []struct {
		schema   string
		readOnly string // error substring
		write    string // "" when a writable open succeeds
	}{
		{"0", "run palisade db import again", ""},
		{"2", "run palisade db import again", "newer Palisade"},
	} {
		path := filepath.Join(t.TempDir(), "v.db")
		db, err := Open(path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		importPaths(t, db, ImportOptions{}, write(t, filepath.Join(t.TempDir(), "A.json"), rec(t, "x_A", "2026-01-01T00:00:00Z", false, "npm/p")))
		if err := db.bolt.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put(keySchema, []byte(c.schema)) }); err != nil {
			t.Fatal(err)
		}
		db.Close()
		if _, err := Open(path, Options{ReadOnly: true}); err == nil || !strings.Contains(err.Error(), c.readOnly) {
			t.Errorf("schema %s read-only: %v", c.schema, err)
		}
		db, err = Open(path, Options{})
		if c.write != "" {
			if err == nil || !strings.Contains(err.Error(), c.write) {
				t.Errorf("schema %s writable: %v", c.schema, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("schema %s writable: %v", c.schema, err)
		}
		if s, _ := db.Sources(); len(s) != 0 {
			t.Errorf("older schema kept sources: %v", s)
		}
		db.Close()
		if db, err = Open(path, Options{ReadOnly: true}); err != nil {
			t.Errorf("after the reset: %v", err)
		} else {
			db.Close()
		}
	}
	path := filepath.Join(t.TempDir(), "other.db")
	b, err := bolt.Open(path, 0o644, nil)
	if err != nil {
		t.Fatal(err)
	}
	b.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("x")); return err })
	b.Close()
	if _, err := Open(path, Options{}); err == nil || !strings.Contains(err.Error(), "not a Palisade vulnerability database") {
		t.Errorf("foreign bbolt file: %v", err)
	}
	notDB := write(t, filepath.Join(t.TempDir(), "x.db"), []byte("hello"))
	if _, err := Open(notDB, Options{ReadOnly: true}); err == nil {
		t.Error("a text file opened as a database")
	}
}

func TestSourceNames(t *testing.T) {
	for _, bad := range []string{"", "a/b", `a\b`, "a\nb", "..", strings.Repeat("x", 101)} {
		if ValidSourceName(bad) == nil {
			t.Errorf("%q accepted", bad)
		}
		if err := ValidSourceName(sanitize(bad)); err != nil {
			t.Errorf("sanitize(%q) = %q: %v", bad, sanitize(bad), err)
		}
	}
	db := openDB(t)
	if _, err := db.Import(context.Background(), []string{"x"}, ImportOptions{Source: "a/b"}); err == nil {
		t.Error("--source a/b accepted")
	}
}

func ExampleDB_Lookup() {
	dir, _ := os.MkdirTemp("", "vulndb")
	defer os.RemoveAll(dir)
	os.WriteFile(filepath.Join(dir, "GHSA-1.json"), []byte(`{"id": "GHSA-1", "modified": "2026-01-01T00:00:00Z",
  "affected": [{"package": {"ecosystem": "PyPI", "name": "Django"}, "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "4.2.1"}]}]}]}`), 0o644)
	db, _ := Open(filepath.Join(dir, "vulndb.db"), Options{})
	defer db.Close()
	sum, _ := db.Import(context.Background(), []string{filepath.Join(dir, "GHSA-1.json")}, ImportOptions{Source: "GHSA"})
	fmt.Println(sum.Records, "record")
	recs, _ := db.Lookup(software.PyPI, "django")
	for _, r := range recs {
		fmt.Println(r.Source, r.ID, r.Affected[0].Ranges[0].Events[1].Version)
	}
	// Output:
	// 1 record
	// GHSA GHSA-1 4.2.1
}

// Lookup's decoder gives what osv.Parse gives, on every record of the real Go
// vulnerability database and on the test records; its mirrors have osv's fields.
func TestDecodeStored(t *testing.T) {
	for _, c := range []struct {
		osv, mirror reflect.Type
	}{
		{reflect.TypeFor[osv.Record](), reflect.TypeFor[storedRecord]()},
		{reflect.TypeFor[osv.Affected](), reflect.TypeFor[storedAffected]()},
		{reflect.TypeFor[osv.Range](), reflect.TypeFor[storedRange]()},
	} {
		var want, got []string
		for f := range c.osv.Fields() {
			if f.Name != "Source" {
				want = append(want, f.Name+" "+f.Tag.Get("json"))
			}
		}
		for f := range c.mirror.Fields() {
			got = append(got, f.Name+" "+f.Tag.Get("json"))
		}
		for i := range want {
			want[i], _, _ = strings.Cut(want[i], ",")
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s mirror: %v, osv: %v", c.osv, got, want)
		}
	}
	files, _ := filepath.Glob(filepath.Join(osvtest.GoVulnDB(t), "*.json"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		checkDecode(t, f, data)
	}
	checkDecode(t, "event without version", []byte(`{"id":"x","modified":"2026-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"npm","name":"a"},"ranges":[{"type":"SEMVER","events":[{"introduced":null}]}]}]}`))
	// osv reads event kinds by their exact names, encoding/json struct fields in any
	// case: the stored form has only what osv read.
	hostile := []byte(`{"id":"x","modified":"2026-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"npm","name":"a"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0","INTRODUCED":"9"},{"fixed":"1","Fixed":"0"}]}]}]}`)
	checkDecode(t, "case variants", hostile)
	db := openDB(t)
	importPaths(t, db, ImportOptions{}, write(t, filepath.Join(t.TempDir(), "x.json"), hostile))
	recs, err := db.Lookup(software.NPM, "a")
	if err != nil || len(recs) != 1 || fmt.Sprint(recs[0].Affected[0].Ranges[0].Events) != "[{introduced 0} {fixed 1}]" {
		t.Errorf("lookup of a record with case variants: %v %+v", err, recs)
	}
}

// checkDecode fails unless decodeStored of data's stored form equals osv.ParseBytes
// of data (raw JSON fields compared compacted) and of the stored form.
func checkDecode(t testing.TB, name string, data []byte) {
	parsed, err := osv.ParseBytes(data, name)
	if err != nil {
		return
	}
	stored, err := json.Marshal(parsed)
	if err != nil {
		return // the import skips it too
	}
	want, err := osv.ParseBytes(stored, name)
	if err != nil {
		t.Fatalf("%s: stored form: %v\n%s", name, err, stored)
	}
	compactRaw(parsed)
	want.Modified, parsed.Modified = want.Modified.UTC(), parsed.Modified.UTC()
	if a, b := fmt.Sprintf("%+v", want), fmt.Sprintf("%+v", parsed); a != b && !strings.ContainsRune(string(data), utf8.RuneError) && utf8.Valid(data) {
		t.Fatalf("%s: stored form reads\n%s\nthe record was\n%s", name, a, b)
	}
	got, err := decodeStored(stored, name)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	got.Modified = got.Modified.UTC()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s: decoded\n%+v\nosv.Parse\n%+v", name, got, want)
	}
}

// compactRaw compacts a record's raw JSON fields, as json.Marshal does.
func compactRaw(r *osv.Record) {
	c := func(m *json.RawMessage) {
		if len(*m) == 0 {
			return
		}
		var b bytes.Buffer
		if json.Compact(&b, *m) == nil {
			*m = b.Bytes()
		}
	}
	c(&r.DatabaseSpecific)
	for i := range r.Affected {
		a := &r.Affected[i]
		c(&a.EcosystemSpecific)
		c(&a.DatabaseSpecific)
		for j := range a.Ranges {
			c(&a.Ranges[j].DatabaseSpecific)
		}
	}
}

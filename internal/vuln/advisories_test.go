package vuln

import (
	"cmp"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/osv"
	"github.com/palisade-k8s/palisade/internal/software"
)

// memDB is an in-memory Advisories: records indexed by (software ecosystem, normalized
// name) of every affected package, as internal/vulndb indexes them; unlike the store it
// also returns withdrawn records, which Match must skip itself.
type memDB struct {
	index   map[lookupKey][]*osv.Record
	lookups int
	err     error
}

func newMemDB(recs ...*osv.Record) *memDB {
	db := &memDB{index: map[lookupKey][]*osv.Record{}}
	for _, r := range recs {
		db.add(r)
	}
	return db
}

func (db *memDB) add(r *osv.Record) {
	var keys []lookupKey
	for _, a := range r.Affected {
		e, err := osv.ParseEcosystem(a.Package.Ecosystem)
		if err != nil || e.Software == "" {
			continue
		}
		k := lookupKey{e.Software, software.NormalizeName(e.Software, a.Package.Name)}
		if !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	for _, k := range keys {
		db.index[k] = append(db.index[k], r)
	}
}

// sort orders every list by source then ID, as the store returns them.
func (db *memDB) sort() {
	for _, recs := range db.index {
		slices.SortFunc(recs, func(a, b *osv.Record) int {
			return cmp.Or(strings.Compare(a.Source, b.Source), strings.Compare(a.ID, b.ID))
		})
	}
}

func (db *memDB) Lookup(eco software.Ecosystem, name string) ([]*osv.Record, error) {
	db.lookups++
	if db.err != nil {
		return nil, db.err
	}
	return db.index[lookupKey{eco, software.NormalizeName(eco, name)}], nil
}

// readRecords parses every *.json under dir; the first directory level is the source.
func readRecords(t testing.TB, dir string) []*osv.Record {
	t.Helper()
	var recs []*osv.Record
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		r, err := osv.ParseBytes(data, path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		if src, _, ok := strings.Cut(filepath.ToSlash(rel), "/"); ok {
			r.Source = src
		}
		recs = append(recs, r)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// fixtureDB is the records of testdata/osv.
func fixtureDB(t testing.TB) *memDB {
	db := newMemDB(readRecords(t, filepath.Join("testdata", "osv"))...)
	db.sort()
	return db
}

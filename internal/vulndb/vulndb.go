// Package vulndb is Palisade's local vulnerability database: OSV records imported from
// files (OSV zip exports, directories of OSV JSON, single records, Palisade bundles)
// into one embedded bbolt file, indexed by package ecosystem and name, with metadata
// per source. Scans only read it; nothing here reaches a network.
package vulndb

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/palisade-k8s/palisade/internal/osv"
	"github.com/palisade-k8s/palisade/internal/software"
)

// SchemaVersion is the version of the database layout; a database of another version
// is refused with a message to import again.
const SchemaVersion = 1

// ErrNotExist is the error of opening a database that does not exist read-only.
var ErrNotExist = errors.New("vulnerability database does not exist")

// DefaultPath is where the database lives when no --db is given: palisade/vulndb.db
// in the user's cache directory ("" when there is none).
func DefaultPath() string {
	dir, err := os.UserCacheDir()
	if err != nil || dir == "" {
		return ""
	}
	return filepath.Join(dir, "palisade", "vulndb.db")
}

// Options say how a database is opened.
type Options struct {
	// ReadOnly opens an existing database for scans (several processes may read at
	// once); a missing one is ErrNotExist.
	ReadOnly bool
	// Timeout bounds the wait for another process's lock (0: 1 second).
	Timeout time.Duration
}

// DB is an open database. Its methods are safe for concurrent use.
type DB struct{}

// Open opens (or, unless read-only, creates) the database at path.
func Open(path string, opts Options) (*DB, error) { panic("vulndb: not implemented") }

// Close closes it.
func (db *DB) Close() error { panic("vulndb: not implemented") }

// Source is one imported source of records and what is known of it.
type Source struct {
	// Name identifies the source ("Go", "Debian", or what --source named); importing a
	// source again replaces its records.
	Name string `json:"name"`
	// ImportedAt is when its records were read from their upstream files (a bundle
	// keeps the time of the original import).
	ImportedAt time.Time `json:"importedAt"`
	// Records counts its records (withdrawn ones included), Withdrawn the withdrawn.
	Records   int `json:"records"`
	Withdrawn int `json:"withdrawn"`
	// Newest is the newest "modified" time of its records: the age of the data.
	Newest time.Time `json:"newest"`
	// Ecosystems counts records per OSV ecosystem base ("Go", "Debian").
	Ecosystems map[string]int `json:"ecosystems,omitempty"`
	// Bytes is the size of its stored records.
	Bytes int64 `json:"bytes"`
	// Origin names what was imported (file names, without directories).
	Origin []string `json:"origin,omitempty"`
}

// Age is how old the source's data is at now (now - Newest).
func (s *Source) Age(now time.Time) time.Duration { return now.Sub(s.Newest) }

// Sources lists the imported sources, by name.
func (db *DB) Sources() ([]Source, error) { panic("vulndb: not implemented") }

// ImportOptions say how records are imported.
type ImportOptions struct {
	// Source names the source of every path (default: derived from each path: the
	// ecosystem of an osv.dev export, the directory or file name).
	Source string
	// Progress, if set, is called as files and records are read (at most a few
	// times a second) and once at the end with Done set.
	Progress func(Progress)
	// Now is the import time (default time.Now).
	Now func() time.Time
}

// Progress is the state of an import.
type Progress struct {
	Path                      string
	Files, Records, Malformed int
	Done                      bool
}

// Problem is a record that could not be imported: named by its file ("export.zip!/
// GHSA-xxxx.json"), skipped, never fatal to the import.
type Problem struct {
	File string
	Err  error
}

func (p Problem) Error() string { return p.File + ": " + p.Err.Error() }

// ImportSummary is what an import did.
type ImportSummary struct {
	Sources                   []Source
	Files, Records, Withdrawn int
	Problems                  []Problem
	// Bundle is the content digest of an imported bundle ("sha256:..."), "" for
	// other inputs.
	Bundle string
}

// Import streams OSV records from paths (zip exports, directories walked for *.json,
// single JSON records, bundles written by Export) into the database, each source
// replaced atomically.
func (db *DB) Import(ctx context.Context, paths []string, opts ImportOptions) (*ImportSummary, error) {
	panic("vulndb: not implemented")
}

// Export writes the whole database as one bundle (a verifiable archive: manifest with
// the sources and a content digest) to w and returns that digest ("sha256:...").
func (db *DB) Export(ctx context.Context, w io.Writer) (string, error) {
	panic("vulndb: not implemented")
}

// Lookup returns the records (withdrawn excluded) with an affected package of
// ecosystem eco (any distribution release) named name, compared by
// software.NormalizeName; each record once, by source then ID. Memory is bounded by
// what it returns: nothing else is loaded.
// Each record's Source is the name of the source it was imported from.
func (db *DB) Lookup(eco software.Ecosystem, name string) ([]*osv.Record, error) {
	panic("vulndb: not implemented")
}

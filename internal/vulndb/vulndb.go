// Package vulndb is Palisade's local vulnerability database: OSV records imported from
// files (OSV zip exports, directories of OSV JSON, single records, Palisade bundles)
// into one embedded bbolt file, indexed by package ecosystem and name, with metadata
// per source. Scans only read it; nothing here reaches a network.
//
// # Layout
//
// The file is a bbolt database (pure Go, one file, one writer and any number of
// readers, copy-on-write B+trees: a reader sees either the old or the new state of a
// source, never half an import). Its top-level buckets:
//
//   - "meta": "schema" -> SchemaVersion (decimal). A database of another version is
//     refused read-only ("import again"); an import into an older one starts it afresh.
//   - "sources": source name -> Source (JSON).
//   - "records": source name -> bucket of record ID -> the record's JSON as osv.Parse
//     read it, encoded again (canonical keys and events, compact; fields the OSV
//     model does not know are dropped; withdrawn records too).
//   - "index": source name -> bucket of keys "purl type NUL NormalizeName(name) NUL ID"
//     (empty values), one per affected package of a non-withdrawn record whose
//     ecosystem Palisade catalogues. Lookup seeks the prefix in each source and reads
//     only the records it returns.
//   - "staging": the records and index of the sources an import is writing, committed
//     in batches, moved into place in one final transaction (an interrupted import
//     leaves the previous sources as they were; its staging is dropped at the next
//     import).
//
// # Why bbolt
//
// The access pattern is key-value: a prefix seek on (ecosystem, normalised name) and
// point reads of records. bbolt (the storage engine under etcd) does exactly that in a
// small amount of pure Go; SQLite through modernc.org/sqlite would add a transpiled SQL
// engine, a larger static binary and more code to audit in a tool that reads hostile
// input, for queries Palisade never makes. bbolt's one writer and many readers let
// scans open the file read-only and concurrently and always see whole sources; commits
// are crash-safe without a log to manage; moving a staged bucket replaces a source in one
// transaction; lookups touch only the mapped pages they read, so memory does not grow
// with the database. The costs: no ad-hoc SQL for users (db status and db export cover
// inspection), a file that does not shrink (freed pages are reused by the next import),
// and an exclusive lock during an import, which a scan waits on for a second.
//
// # Inputs and bounds
//
// Import reads OSV zip exports (osv.dev's per-ecosystem all.zip), directories (walked
// for *.json, hidden directories skipped), single JSON records and bundles. A record is
// decoded by osv.Parse (at most osv.MaxRecordSize bytes, schema-required fields
// checked); one that is not is a Problem naming the file or "archive.zip!/entry" and is
// skipped. A zip holds at most MaxEntries entries; an entry larger than
// osv.MaxRecordSize, or compressed more than maxRatio to one, is a Problem (zip bombs);
// a directory at most MaxEntries files. Import stops when its context ends.
//
// # Bundles
//
// Export writes the whole database as one zip file (a bundle) that Import reads back
// on a machine without network access:
//
//   - "<source>/<ID>.json": each record as stored, sources by name, records by ID;
//   - "palisade-bundle.json", the last entry: the manifest
//     {"format": "palisade-vulndb-bundle", "version": 1, "created": time,
//     "sources": [Source...], "digest": "sha256:<hex>"}.
//
// The content digest is the SHA-256 of the line "palisade-vulndb-bundle 1\n", the
// manifest's "sources" value exactly as its bytes appear in the file, a newline, then
// for each record entry in archive order its name, a newline, its size in decimal, a
// newline and its content. Import recomputes it and refuses a bundle whose digest or
// record counts differ from the manifest's: a changed, added, removed or renamed
// record, or changed source metadata, is detected and nothing is imported. The digest
// proves integrity, not origin: whoever can rewrite the bundle can rewrite its
// manifest, so export and import also print the SHA-256 of the bundle file itself, to
// be compared across the air gap (a signature is future work). A bundle replaces the
// sources it holds and keeps their original import times.
package vulndb

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/palisade-k8s/palisade/internal/osv"
	"github.com/palisade-k8s/palisade/internal/software"
)

// SchemaVersion is the version of the database layout; a database of another version
// is refused with a message to import again.
const SchemaVersion = 1

// ErrNotExist is the error of opening a database that does not exist read-only.
var ErrNotExist = errors.New("vulnerability database does not exist")

// Bucket names.
var (
	bucketMeta    = []byte("meta")
	bucketSources = []byte("sources")
	bucketRecords = []byte("records")
	bucketIndex   = []byte("index")
	bucketStaging = []byte("staging")
	keySchema     = []byte("schema")
)

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
type DB struct {
	bolt     *bolt.DB
	path     string
	readOnly bool
	importMu sync.Mutex // one import at a time: they share the staging bucket
}

// Open opens (or, unless read-only, creates) the database at path.
func Open(path string, opts Options) (*DB, error) {
	if path == "" {
		return nil, errors.New("no vulnerability database path (no user cache directory: give --db)")
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = time.Second
	}
	if opts.ReadOnly {
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%s: %w", path, ErrNotExist)
		}
	} else if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	b, err := bolt.Open(path, 0o644, &bolt.Options{
		ReadOnly:     opts.ReadOnly,
		Timeout:      timeout,
		FreelistType: bolt.FreelistMapType,
	})
	if err != nil {
		if errors.Is(err, berrors.ErrTimeout) {
			return nil, fmt.Errorf("%s: locked by another palisade process (an import, or a scan reading it) for more than %s", path, timeout)
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	db := &DB{bolt: b, path: path, readOnly: opts.ReadOnly}
	if err := db.checkSchema(); err != nil {
		b.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return db, nil
}

// checkSchema refuses a database of another layout (read-only) and initialises a new
// one; a writable database of an older layout starts afresh (its data is imported
// again), one of a newer layout is refused.
func (db *DB) checkSchema() error {
	var found []byte
	empty := true
	err := db.bolt.View(func(tx *bolt.Tx) error {
		first, _ := tx.Cursor().First()
		empty = first == nil
		if m := tx.Bucket(bucketMeta); m != nil {
			found = bytes.Clone(m.Get(keySchema))
		}
		return nil
	})
	if err != nil {
		return err
	}
	version := -1
	if found != nil {
		if v, err := strconv.Atoi(string(found)); err == nil {
			version = v
		}
	}
	switch {
	case version == SchemaVersion:
		return nil
	case found == nil && !empty:
		return errors.New("not a Palisade vulnerability database")
	case db.readOnly && empty:
		return errors.New("empty vulnerability database: run palisade db import")
	case db.readOnly:
		return fmt.Errorf("vulnerability database of schema %s, this Palisade reads schema %d: run palisade db import again", found, SchemaVersion)
	case version > SchemaVersion:
		return fmt.Errorf("vulnerability database of schema %d, written by a newer Palisade (this one writes schema %d)", version, SchemaVersion)
	}
	// A new database, or one of an older layout: start afresh.
	return db.bolt.Update(func(tx *bolt.Tx) error {
		var names [][]byte
		if err := tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
			names = append(names, bytes.Clone(name))
			return nil
		}); err != nil {
			return err
		}
		for _, n := range names {
			if err := tx.DeleteBucket(n); err != nil {
				return err
			}
		}
		for _, n := range [][]byte{bucketMeta, bucketSources, bucketRecords, bucketIndex, bucketStaging} {
			if _, err := tx.CreateBucket(n); err != nil {
				return err
			}
		}
		return tx.Bucket(bucketMeta).Put(keySchema, []byte(strconv.Itoa(SchemaVersion)))
	})
}

// Close closes it.
func (db *DB) Close() error { return db.bolt.Close() }

// Path is the database file.
func (db *DB) Path() string { return db.path }

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
	// Newest is the newest "modified" time of its records (or "published" and
	// "withdrawn" when later: the Go database leaves "modified" at zero): the age of
	// the data.
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
func (db *DB) Sources() ([]Source, error) {
	var out []Source
	err := db.bolt.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSources)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			var s Source
			if err := json.Unmarshal(v, &s); err != nil {
				return fmt.Errorf("source %q: %w", k, err)
			}
			out = append(out, s)
			return nil
		})
	})
	return out, err
}

// indexPrefix is the index key prefix of a package: purl type NUL normalized name NUL.
func indexPrefix(eco software.Ecosystem, name string) []byte {
	k := make([]byte, 0, len(eco)+len(name)+2)
	k = append(k, eco...)
	k = append(k, 0)
	k = append(k, software.NormalizeName(eco, name)...)
	return append(k, 0)
}

// Lookup returns the records (withdrawn excluded) with an affected package of
// ecosystem eco (any distribution release) named name, compared by
// software.NormalizeName; each record once, by source then ID. Memory is bounded by
// what it returns: nothing else is loaded.
// Each record's Source is the name of the source it was imported from.
func (db *DB) Lookup(eco software.Ecosystem, name string) ([]*osv.Record, error) {
	prefix := indexPrefix(eco, name)
	var out []*osv.Record
	err := db.bolt.View(func(tx *bolt.Tx) error {
		index, records := tx.Bucket(bucketIndex), tx.Bucket(bucketRecords)
		if index == nil || records == nil {
			return nil
		}
		return index.ForEachBucket(func(src []byte) error {
			ix, recs := index.Bucket(src), records.Bucket(src)
			if ix == nil || recs == nil {
				return nil
			}
			c := ix.Cursor()
			for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
				id := k[len(prefix):]
				data := recs.Get(id)
				if data == nil {
					return fmt.Errorf("source %q: index names record %q, which is missing", src, id)
				}
				rec, err := decodeStored(data, string(src)+"/"+string(id))
				if err != nil {
					return err
				}
				if rec.IsWithdrawn() {
					continue
				}
				rec.Source = string(src)
				out = append(out, rec)
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", db.path, err)
	}
	return out, nil
}

// errReadOnly is the error of writing to a database opened read-only.
var errReadOnly = errors.New("vulnerability database opened read-only")

// ctxErr is ctx's error, or nil.
func ctxErr(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	default:
		return nil
	}
}

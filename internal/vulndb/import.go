package vulndb

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode"

	bolt "go.etcd.io/bbolt"

	"github.com/palisade-k8s/palisade/internal/osv"
)

// Bounds on what an import reads.
const (
	// MaxEntries bounds the entries of one zip and the files of one directory
	// (osv.dev's export of every ecosystem holds about 600,000 records).
	MaxEntries = 5_000_000
	// maxRatio bounds an entry's compression ratio (JSON deflates about 10 to 1; a
	// zip bomb a thousand to one).
	maxRatio = 200
	// maxProblems bounds the problems an import keeps (all are counted).
	maxProblems = 1000
	// maxIDLen bounds a record ID (the longest real ones are about 40 bytes).
	maxIDLen = 512
	// batchRecords and batchBytes bound one staging transaction.
	batchRecords = 5000
	batchBytes   = 64 << 20
)

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
	// Malformed counts the records skipped (Problems keeps the first 1,000).
	Malformed int
	// Bundle is the content digest of an imported bundle ("sha256:..."), "" for
	// other inputs.
	Bundle string
	// BundleSHA256 is the SHA-256 of the bundle file itself (hex), to compare with
	// what export printed.
	BundleSHA256 string
}

// input kinds.
type inputKind int

const (
	inputFile inputKind = iota
	inputDir
	inputZip
	inputBundle
)

type input struct {
	path   string
	kind   inputKind
	source string
}

// ValidSourceName reports why name cannot name a source (nil when it can): it is
// non-empty, at most 100 bytes, without '/', '\\' or control characters (it names
// the directories of a bundle).
func ValidSourceName(name string) error {
	switch {
	case name == "":
		return errors.New("empty source name")
	case len(name) > 100:
		return errors.New("source name longer than 100 bytes")
	case strings.ContainsAny(name, `/\`) || strings.IndexFunc(name, unicode.IsControl) >= 0 || name == "." || name == "..":
		return fmt.Errorf("source name %q: no '/', '\\', control characters, \".\" or \"..\"", name)
	}
	return nil
}

// sanitize turns a derived name into a valid source name.
func sanitize(name string) string {
	name = strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || unicode.IsControl(r) {
			return '_'
		}
		return r
	}, name)
	if len(name) > 100 {
		name = name[:100]
	}
	if name == "" || name == "." || name == ".." {
		return "default"
	}
	return name
}

// Import streams OSV records from paths (zip exports, directories walked for *.json,
// single JSON records, bundles written by Export) into the database, each source
// replaced atomically. A bundle is imported alone. A source whose paths yield no
// valid record is not replaced (a Problem says so). The error is for what stops the
// whole import (a path that cannot be read, a tampered bundle, the context); records
// that cannot be read are Problems of the summary.
func (db *DB) Import(ctx context.Context, paths []string, opts ImportOptions) (*ImportSummary, error) {
	if db.readOnly {
		return nil, errReadOnly
	}
	if len(paths) == 0 {
		return nil, errors.New("nothing to import")
	}
	if opts.Source != "" {
		if err := ValidSourceName(opts.Source); err != nil {
			return nil, err
		}
	}
	db.importMu.Lock()
	defer db.importMu.Unlock()
	inputs := make([]input, 0, len(paths))
	for _, p := range paths {
		in, err := classify(p)
		if err != nil {
			return nil, err
		}
		if in.kind == inputBundle && (len(paths) > 1 || opts.Source != "") {
			return nil, fmt.Errorf("%s: a bundle is imported alone, without --source", p)
		}
		in.source = opts.Source
		if in.source == "" {
			in.source = deriveSource(in)
		}
		inputs = append(inputs, in)
	}
	// Staging transactions are not synced: only the final one, which makes them
	// visible, must reach the disk (a database opened with NoSync, as the fuzz
	// target does, is never synced).
	syncing := !db.bolt.NoSync
	im := &importer{db: db, ctx: ctx, opts: opts, sum: &ImportSummary{}, sync: syncing}
	if im.opts.Now == nil {
		im.opts.Now = time.Now
	}
	defer im.finishProgress()
	if err := db.resetStaging(); err != nil {
		return nil, err
	}
	defer db.resetStaging() //nolint:errcheck // best effort: the next import resets it too
	db.bolt.NoSync = true
	defer func() { db.bolt.NoSync = !syncing }()
	var err error
	if inputs[0].kind == inputBundle {
		err = im.bundle(inputs[0].path)
	} else {
		err = im.files(inputs)
	}
	if err != nil {
		im.rollback()
		return nil, err
	}
	return im.sum, nil
}

// classify says what a path is.
func classify(path string) (input, error) {
	in := input{path: path}
	fi, err := os.Stat(path)
	if err != nil {
		return in, err
	}
	if fi.IsDir() {
		in.kind = inputDir
		return in, nil
	}
	if !fi.Mode().IsRegular() {
		return in, fmt.Errorf("%s: not a regular file or directory", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return in, err
	}
	defer f.Close()
	var magic [4]byte
	n, _ := io.ReadFull(f, magic[:])
	if n < 4 || (string(magic[:]) != "PK\x03\x04" && string(magic[:]) != "PK\x05\x06") {
		return in, nil
	}
	in.kind = inputZip
	zr, err := zip.NewReader(f, fi.Size())
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return in, fmt.Errorf("%s: %w", path, err)
	}
	for _, e := range zr.File {
		if e.Name == manifestName {
			in.kind = inputBundle
		}
	}
	return in, nil
}

// deriveSource names a path's source: the ecosystem of the first record of a zip
// (osv.dev's per-ecosystem export), else the directory or file name.
func deriveSource(in input) string {
	base := filepath.Base(filepath.Clean(in.path))
	if in.kind == inputDir {
		if abs, err := filepath.Abs(in.path); err == nil {
			base = filepath.Base(abs)
		}
		return sanitize(base)
	}
	base = strings.TrimSuffix(strings.TrimSuffix(base, ".json"), ".zip")
	if in.kind != inputZip {
		return sanitize(base)
	}
	zr, err := openZip(in.path)
	if err != nil {
		return sanitize(base)
	}
	defer zr.Close()
	for i, e := range zr.File {
		if i >= 100 {
			break
		}
		data, err := readEntry(e)
		if err != nil {
			continue
		}
		rec, err := osv.ParseBytes(data, e.Name)
		if err != nil {
			continue
		}
		for _, a := range rec.Affected {
			if eco, _ := osv.ParseEcosystem(a.Package.Ecosystem); eco.Base != "" {
				return sanitize(eco.Base)
			}
		}
	}
	return sanitize(base)
}

// openZip opens a zip file. Entry names are only names here (nothing is extracted):
// a name that would leave a directory (zip.ErrInsecurePath) is not an error.
func openZip(path string) (*zip.ReadCloser, error) {
	zr, err := zip.OpenReader(path)
	if errors.Is(err, zip.ErrInsecurePath) {
		err = nil
	}
	return zr, err
}

// readEntry reads one zip entry within the bounds.
func readEntry(e *zip.File) ([]byte, error) {
	if e.UncompressedSize64 > osv.MaxRecordSize {
		return nil, fmt.Errorf("entry of %d bytes (limit %d)", e.UncompressedSize64, osv.MaxRecordSize)
	}
	if e.UncompressedSize64 > maxRatio*e.CompressedSize64+64<<10 {
		return nil, fmt.Errorf("compressed %d to 1 (limit %d to 1): a zip bomb?", e.UncompressedSize64/max(e.CompressedSize64, 1), maxRatio)
	}
	rc, err := e.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, int64(e.UncompressedSize64)+1))
	if err != nil {
		return nil, err
	}
	if uint64(len(data)) > e.UncompressedSize64 {
		return nil, errors.New("entry longer than its header says")
	}
	return data, nil
}

// importer is the state of one import.
type importer struct {
	db   *DB
	ctx  context.Context
	opts ImportOptions
	sum  *ImportSummary

	sync         bool // sync the final transaction
	tx           *bolt.Tx
	batch, bytes int
	prog         Progress
	lastProg     time.Time
	staged       map[string]*stage // by source name
	order        []string
}

// stage is one source being written to the staging bucket.
type stage struct {
	src      Source
	problems int
}

func (db *DB) resetStaging() error {
	return db.bolt.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketStaging) != nil {
			if err := tx.DeleteBucket(bucketStaging); err != nil {
				return err
			}
		}
		_, err := tx.CreateBucket(bucketStaging)
		return err
	})
}

// begin returns the current staging transaction, committing it every batch.
func (im *importer) begin() (*bolt.Tx, error) {
	if im.tx != nil && (im.batch >= batchRecords || im.bytes >= batchBytes) {
		if err := im.tx.Commit(); err != nil {
			im.tx = nil
			return nil, err
		}
		im.tx = nil
	}
	if im.tx == nil {
		tx, err := im.db.bolt.Begin(true)
		if err != nil {
			return nil, err
		}
		im.tx, im.batch, im.bytes = tx, 0, 0
	}
	return im.tx, nil
}

func (im *importer) rollback() {
	if im.tx != nil {
		_ = im.tx.Rollback()
		im.tx = nil
	}
}

// stagingBuckets are the records and index buckets of a staged source.
func stagingBuckets(tx *bolt.Tx, name string) (recs, ix *bolt.Bucket, err error) {
	st := tx.Bucket(bucketStaging)
	r, err := st.CreateBucketIfNotExists(bucketRecords)
	if err != nil {
		return nil, nil, err
	}
	i, err := st.CreateBucketIfNotExists(bucketIndex)
	if err != nil {
		return nil, nil, err
	}
	if recs, err = r.CreateBucketIfNotExists([]byte(name)); err != nil {
		return nil, nil, err
	}
	ix, err = i.CreateBucketIfNotExists([]byte(name))
	return recs, ix, err
}

func (im *importer) stage(name string) *stage {
	if im.staged == nil {
		im.staged = map[string]*stage{}
	}
	s := im.staged[name]
	if s == nil {
		s = &stage{src: Source{Name: name, ImportedAt: im.opts.Now().UTC()}}
		im.staged[name] = s
		im.order = append(im.order, name)
	}
	return s
}

// problem records a file or record of stage s that could not be read.
func (im *importer) problem(s *stage, file string, err error) {
	s.problems++
	im.sum.Malformed++
	im.prog.Malformed++
	if len(im.sum.Problems) < maxProblems {
		im.sum.Problems = append(im.sum.Problems, problemOf(file, err))
	}
	im.progress(false)
}

// problemOf names a record's problem by its file once: osv's errors begin with the
// name they were given, and a line ("name:12: ...") joins the file.
func problemOf(file string, err error) Problem {
	msg := err.Error()
	if rest, ok := strings.CutPrefix(msg, file); ok {
		if after, ok := strings.CutPrefix(rest, ": "); ok {
			return Problem{File: file, Err: errors.New(after)}
		}
		if line, after, ok := strings.Cut(strings.TrimPrefix(rest, ":"), ": "); ok && strings.HasPrefix(rest, ":") && line != "" && strings.Trim(line, "0123456789") == "" {
			return Problem{File: file + ":" + line, Err: errors.New(after)}
		}
	}
	return Problem{File: file, Err: err}
}

func (im *importer) progress(done bool) {
	if im.opts.Progress == nil {
		return
	}
	now := time.Now()
	if !done && now.Sub(im.lastProg) < 200*time.Millisecond {
		return
	}
	im.lastProg = now
	p := im.prog
	p.Done = done
	im.opts.Progress(p)
}

func (im *importer) finishProgress() { im.progress(true) }

// files imports paths that are not bundles.
func (im *importer) files(inputs []input) error {
	for _, in := range inputs {
		s := im.stage(in.source)
		s.src.Origin = append(s.src.Origin, filepath.Base(filepath.Clean(in.path)))
		im.prog.Path = in.path
		im.progress(false)
		var err error
		switch in.kind {
		case inputDir:
			err = im.dir(s, in.path)
		case inputZip:
			err = im.zip(s, in.path)
		default:
			im.sum.Files++
			im.prog.Files++
			var data []byte
			if data, err = readFile(in.path); err == nil {
				err = im.add(s, in.path, data)
			} else {
				im.problem(s, in.path, err)
				err = nil
			}
		}
		if err != nil {
			return err
		}
	}
	return im.commit(nil)
}

func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, osv.MaxRecordSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > osv.MaxRecordSize {
		return nil, fmt.Errorf("file larger than %d bytes", osv.MaxRecordSize)
	}
	return data, nil
}

// dir walks a directory for *.json files (hidden directories and files skipped,
// symbolic links to directories not followed).
func (im *importer) dir(s *stage, root string) error {
	n := 0
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if path == root {
				return err
			}
			im.problem(s, path, err)
			return nil
		}
		if e := ctxErr(im.ctx); e != nil {
			return e
		}
		name := d.Name()
		if path != root && strings.HasPrefix(name, ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() || !strings.HasSuffix(strings.ToLower(name), ".json") {
			return nil
		}
		if n++; n > MaxEntries {
			return fmt.Errorf("%s: more than %d files", root, MaxEntries)
		}
		if !d.Type().IsRegular() {
			if fi, err := os.Stat(path); err != nil || !fi.Mode().IsRegular() {
				return nil
			}
		}
		im.sum.Files++
		im.prog.Files++
		data, err := readFile(path)
		if err != nil {
			im.problem(s, path, err)
			return nil
		}
		return im.add(s, path, data)
	})
}

// zip reads an OSV zip export: every *.json entry is a record.
func (im *importer) zip(s *stage, path string) error {
	zr, err := openZip(path)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	defer zr.Close()
	if len(zr.File) > MaxEntries {
		return fmt.Errorf("%s: %d entries (limit %d)", path, len(zr.File), MaxEntries)
	}
	for _, e := range zr.File {
		if err := ctxErr(im.ctx); err != nil {
			return err
		}
		if e.FileInfo().IsDir() || !strings.HasSuffix(strings.ToLower(e.Name), ".json") {
			continue
		}
		im.sum.Files++
		im.prog.Files++
		name := path + "!/" + e.Name
		data, err := readEntry(e)
		if err != nil {
			im.problem(s, name, err)
			continue
		}
		if err := im.add(s, name, data); err != nil {
			return err
		}
	}
	return nil
}

// add parses one record and stages it. Its error stops the import (the database
// failed); a record that cannot be read is a problem.
func (im *importer) add(s *stage, name string, data []byte) error {
	rec, err := osv.ParseBytes(data, name)
	if err == nil {
		err = checkRecord(rec)
	}
	if err != nil {
		im.problem(s, name, err)
		return nil
	}
	// Stored as Palisade read it (keys and events canonical, no duplicates, unknown
	// fields dropped): Lookup's decoder then reads exactly what osv.Parse did.
	stored, err := json.Marshal(rec)
	if err != nil {
		im.problem(s, name, err)
		return nil
	}
	return im.put(s, rec, stored)
}

// checkRecord refuses what the store cannot key: IDs and package names with NUL, IDs
// too long to be real.
func checkRecord(rec *osv.Record) error {
	if len(rec.ID) > maxIDLen || strings.ContainsRune(rec.ID, 0) {
		return fmt.Errorf("record ID longer than %d bytes or with NUL", maxIDLen)
	}
	for _, a := range rec.Affected {
		if strings.ContainsRune(a.Package.Name, 0) || strings.ContainsRune(a.Package.Ecosystem, 0) {
			return errors.New("package name or ecosystem with NUL")
		}
	}
	return nil
}

// indexKeys are a record's index keys (none for a withdrawn record).
func indexKeys(rec *osv.Record) [][]byte {
	if rec.IsWithdrawn() {
		return nil
	}
	var keys [][]byte
	for _, a := range rec.Affected {
		eco, err := osv.ParseEcosystem(a.Package.Ecosystem)
		if err != nil || eco.Software == "" || a.Package.Name == "" {
			continue
		}
		k := append(indexPrefix(eco.Software, a.Package.Name), rec.ID...)
		if !slices.ContainsFunc(keys, func(o []byte) bool { return bytes.Equal(o, k) }) {
			keys = append(keys, k)
		}
	}
	return keys
}

// ecosystemBases are the OSV ecosystem bases a record names, each once.
func ecosystemBases(rec *osv.Record) []string {
	var out []string
	for _, a := range rec.Affected {
		if a.Package.Ecosystem == "" {
			continue
		}
		base, _, _ := strings.Cut(a.Package.Ecosystem, ":")
		if !slices.Contains(out, base) {
			out = append(out, base)
		}
	}
	return out
}

// put stages a parsed record; a record of an ID already staged replaces it.
func (im *importer) put(s *stage, rec *osv.Record, data []byte) error {
	tx, err := im.begin()
	if err != nil {
		return err
	}
	recs, ix, err := stagingBuckets(tx, s.src.Name)
	if err != nil {
		return err
	}
	id := []byte(rec.ID)
	if old := recs.Get(id); old != nil {
		prev, err := osv.ParseBytes(old, rec.ID)
		if err != nil {
			return err
		}
		im.unaccount(s, prev, len(id)+len(old))
		for _, k := range indexKeys(prev) {
			if err := ix.Delete(k); err != nil {
				return err
			}
		}
	}
	if err := recs.Put(id, data); err != nil {
		return err
	}
	size := len(id) + len(data)
	for _, k := range indexKeys(rec) {
		if err := ix.Put(k, nil); err != nil {
			return err
		}
		size += len(k)
	}
	src := &s.src
	src.Records++
	im.sum.Records++
	im.prog.Records++
	if rec.IsWithdrawn() {
		src.Withdrawn++
		im.sum.Withdrawn++
	}
	if t := recordTime(rec); t.After(src.Newest) {
		src.Newest = t
	}
	for _, b := range ecosystemBases(rec) {
		if src.Ecosystems == nil {
			src.Ecosystems = map[string]int{}
		}
		src.Ecosystems[b]++
	}
	src.Bytes += int64(size)
	im.batch++
	im.bytes += size
	im.progress(false)
	return nil
}

// recordTime is when a record last changed: "modified", or the later "published" or
// "withdrawn" (the Go database's files leave "modified" at the zero time).
func recordTime(rec *osv.Record) time.Time {
	t := rec.Modified
	for _, u := range []*time.Time{rec.Published, rec.Withdrawn} {
		if u != nil && u.After(t) {
			t = *u
		}
	}
	return t.UTC()
}

// unaccount removes a replaced record from the counts.
func (im *importer) unaccount(s *stage, rec *osv.Record, size int) {
	src := &s.src
	src.Records--
	im.sum.Records--
	im.prog.Records--
	if rec.IsWithdrawn() {
		src.Withdrawn--
		im.sum.Withdrawn--
	}
	for _, b := range ecosystemBases(rec) {
		if src.Ecosystems[b]--; src.Ecosystems[b] <= 0 {
			delete(src.Ecosystems, b)
		}
	}
	for _, k := range indexKeys(rec) {
		size += len(k)
	}
	src.Bytes -= int64(size)
}

// commit moves the staged sources into place in one transaction: each replaces the
// source of its name. A source without a valid record replaces nothing. meta, if
// set, is the metadata to keep from a bundle (import time, origin).
func (im *importer) commit(meta map[string]Source) error {
	if err := ctxErr(im.ctx); err != nil {
		return err
	}
	if im.tx != nil {
		if err := im.tx.Commit(); err != nil {
			im.tx = nil
			return err
		}
		im.tx = nil
	}
	if im.sync {
		if err := im.db.bolt.Sync(); err != nil {
			return err
		}
		im.db.bolt.NoSync = false
	}
	var committed []Source
	err := im.db.bolt.Update(func(tx *bolt.Tx) error {
		committed = committed[:0]
		staging := tx.Bucket(bucketStaging)
		stRecs, stIx := staging.Bucket(bucketRecords), staging.Bucket(bucketIndex)
		records, index, sources := tx.Bucket(bucketRecords), tx.Bucket(bucketIndex), tx.Bucket(bucketSources)
		for _, name := range im.order {
			s := im.staged[name]
			if s.src.Records == 0 {
				if meta == nil {
					im.sum.Problems = append(im.sum.Problems, Problem{File: strings.Join(s.src.Origin, ", "), Err: fmt.Errorf("no valid OSV record: source %q not replaced", name)})
					if s.problems == 0 {
						im.sum.Malformed++
					}
					continue
				}
			}
			key := []byte(name)
			for _, b := range []*bolt.Bucket{records, index} {
				if b.Bucket(key) != nil {
					if err := b.DeleteBucket(key); err != nil {
						return err
					}
				}
			}
			if s.src.Records == 0 {
				if _, err := records.CreateBucket(key); err != nil {
					return err
				}
				if _, err := index.CreateBucket(key); err != nil {
					return err
				}
			} else {
				if err := tx.MoveBucket(key, stRecs, records); err != nil {
					return err
				}
				if err := tx.MoveBucket(key, stIx, index); err != nil {
					return err
				}
			}
			src := s.src
			if m, ok := meta[name]; ok {
				src.ImportedAt, src.Origin = m.ImportedAt, m.Origin
			}
			data, err := json.Marshal(src)
			if err != nil {
				return err
			}
			if err := sources.Put(key, data); err != nil {
				return err
			}
			committed = append(committed, src)
		}
		return nil
	})
	if err != nil {
		return err
	}
	im.sum.Sources = committed
	return nil
}

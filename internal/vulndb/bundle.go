package vulndb

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Bundle format constants (see the package documentation).
const (
	manifestName   = "palisade-bundle.json"
	bundleFormat   = "palisade-vulndb-bundle"
	bundleVersion  = 1
	maxManifest    = 16 << 20
	digestPrefix   = "sha256:"
	digestPreamble = bundleFormat + " 1\n"
)

// manifest is a bundle's manifest.
type manifest struct {
	Format  string          `json:"format"`
	Version int             `json:"version"`
	Created time.Time       `json:"created"`
	Sources json.RawMessage `json:"sources"`
	Digest  string          `json:"digest"`
}

// contentDigest accumulates a bundle's content digest.
type contentDigest struct{ h hash.Hash }

func newContentDigest(sources []byte) *contentDigest {
	d := &contentDigest{h: sha256.New()}
	d.h.Write([]byte(digestPreamble))
	d.h.Write(sources)
	d.h.Write([]byte("\n"))
	return d
}

func (d *contentDigest) entry(name string, data []byte) {
	d.h.Write([]byte(name + "\n" + strconv.Itoa(len(data)) + "\n"))
	d.h.Write(data)
}

func (d *contentDigest) sum() string { return digestPrefix + hex.EncodeToString(d.h.Sum(nil)) }

// Export writes the whole database as one bundle (a verifiable archive: manifest with
// the sources and a content digest) to w and returns that digest ("sha256:...").
// It reads one consistent snapshot of the database.
func (db *DB) Export(ctx context.Context, w io.Writer) (string, error) {
	var digest string
	err := db.bolt.View(func(tx *bolt.Tx) error {
		var sources []Source
		if b := tx.Bucket(bucketSources); b != nil {
			if err := b.ForEach(func(k, v []byte) error {
				var s Source
				if err := json.Unmarshal(v, &s); err != nil {
					return fmt.Errorf("source %q: %w", k, err)
				}
				sources = append(sources, s)
				return nil
			}); err != nil {
				return err
			}
		}
		if sources == nil {
			sources = []Source{}
		}
		srcJSON, err := json.Marshal(sources)
		if err != nil {
			return err
		}
		d := newContentDigest(srcJSON)
		zw := zip.NewWriter(w)
		records := tx.Bucket(bucketRecords)
		for _, s := range sources {
			recs := records.Bucket([]byte(s.Name))
			if recs == nil {
				continue
			}
			c := recs.Cursor()
			for k, v := c.First(); k != nil; k, v = c.Next() {
				if err := ctxErr(ctx); err != nil {
					return err
				}
				name := s.Name + "/" + string(k) + ".json"
				d.entry(name, v)
				fw, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: s.ImportedAt})
				if err != nil {
					return err
				}
				if _, err := fw.Write(v); err != nil {
					return err
				}
			}
		}
		digest = d.sum()
		m, err := json.Marshal(manifest{Format: bundleFormat, Version: bundleVersion, Created: time.Now().UTC(), Sources: srcJSON, Digest: digest})
		if err != nil {
			return err
		}
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: manifestName, Method: zip.Deflate, Modified: time.Now().UTC()})
		if err != nil {
			return err
		}
		if _, err := fw.Write(m); err != nil {
			return err
		}
		return zw.Close()
	})
	if err != nil {
		return "", err
	}
	return digest, nil
}

// fileSHA256 is the hex SHA-256 of a file.
func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// readManifest reads and checks a bundle's manifest.
func readManifest(zr *zip.Reader) (*manifest, []Source, error) {
	var entry *zip.File
	for _, e := range zr.File {
		if e.Name == manifestName {
			if entry != nil {
				return nil, nil, errors.New("two manifests")
			}
			entry = e
		}
	}
	if entry == nil {
		return nil, nil, errors.New("no " + manifestName + ": not a bundle")
	}
	if entry.UncompressedSize64 > maxManifest {
		return nil, nil, fmt.Errorf("manifest of %d bytes (limit %d)", entry.UncompressedSize64, maxManifest)
	}
	data, err := readEntry(entry)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", manifestName, err)
	}
	var m manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", manifestName, err)
	}
	if m.Format != bundleFormat || m.Version != bundleVersion {
		return nil, nil, fmt.Errorf("%s: format %q version %d, this Palisade reads %q version %d", manifestName, m.Format, m.Version, bundleFormat, bundleVersion)
	}
	if !strings.HasPrefix(m.Digest, digestPrefix) {
		return nil, nil, fmt.Errorf("%s: digest %q is not sha256:<hex>", manifestName, m.Digest)
	}
	var sources []Source
	if err := json.Unmarshal(m.Sources, &sources); err != nil {
		return nil, nil, fmt.Errorf("%s: sources: %w", manifestName, err)
	}
	seen := map[string]bool{}
	for _, s := range sources {
		if err := ValidSourceName(s.Name); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", manifestName, err)
		}
		if seen[s.Name] {
			return nil, nil, fmt.Errorf("%s: source %q twice", manifestName, s.Name)
		}
		seen[s.Name] = true
	}
	return &m, sources, nil
}

// bundle imports a bundle: every record staged, the digest and the counts checked
// against the manifest, then its sources replaced in one transaction.
func (im *importer) bundle(path string) error {
	sha, err := fileSHA256(path)
	if err != nil {
		return err
	}
	zr, err := openZip(path)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	defer zr.Close()
	if err := im.readBundle(path, &zr.Reader); err != nil {
		return err
	}
	im.sum.BundleSHA256 = sha
	return nil
}

// readBundle stages and commits a bundle read from zr (path names it in errors).
func (im *importer) readBundle(path string, zr *zip.Reader) error {
	if len(zr.File) > MaxEntries {
		return fmt.Errorf("%s: %d entries (limit %d)", path, len(zr.File), MaxEntries)
	}
	m, sources, err := readManifest(zr)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	meta := map[string]Source{}
	for _, s := range sources {
		meta[s.Name] = s
		st := im.stage(s.Name)
		st.src.Origin = s.Origin
	}
	im.prog.Path = path
	d := newContentDigest(m.Sources)
	for _, e := range zr.File {
		if err := ctxErr(im.ctx); err != nil {
			return err
		}
		if e.Name == manifestName {
			continue
		}
		src, _, ok := strings.Cut(e.Name, "/")
		if _, known := meta[src]; !ok || !known {
			return fmt.Errorf("%s: entry %q is not a record of a source the manifest lists: tampered", path, e.Name)
		}
		data, err := readEntry(e)
		if err != nil {
			return fmt.Errorf("%s!/%s: %w", path, e.Name, err)
		}
		d.entry(e.Name, data)
		im.sum.Files++
		im.prog.Files++
		if err := im.add(im.staged[src], path+"!/"+e.Name, data); err != nil {
			return err
		}
	}
	if got := d.sum(); got != m.Digest {
		return fmt.Errorf("%s: content digest %s, the manifest says %s: the bundle was changed after export; nothing imported", path, got, m.Digest)
	}
	for _, s := range sources {
		st := im.staged[s.Name]
		if st.src.Records+st.problems != s.Records || st.src.Withdrawn != s.Withdrawn {
			return fmt.Errorf("%s: source %q holds %d records (%d withdrawn), the manifest says %d (%d): nothing imported", path, s.Name, st.src.Records+st.problems, st.src.Withdrawn, s.Records, s.Withdrawn)
		}
	}
	im.sum.Bundle = m.Digest
	return im.commit(meta)
}

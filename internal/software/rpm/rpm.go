// Package rpm catalogs the packages rpm installed (RHEL, Fedora, CentOS, Rocky,
// Alma, Oracle Linux, Amazon Linux, SUSE, Mariner), from the rpm database in any of
// its three formats: SQLite (rpmdb.sqlite, rpm 4.16 and later), Berkeley DB hash
// (Packages, up to RHEL 8) and ndb (Packages.db, SUSE), in var/lib/rpm or
// usr/lib/sysimage/rpm (where Fedora and recent SUSE keep it, var/lib/rpm being a
// link). Each record is an rpm header blob. The readers are Palisade's own, pure Go
// and reading from memory: see sqlite.go, bdb.go and ndb.go. The gpg-pubkey records
// (the keys rpm imported, which `rpm -qa` lists) are not packages and are left out.
package rpm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strconv"

	"github.com/palisade-k8s/palisade/internal/software"
)

// maxDB bounds the database read: a RHEL system with 1,500 packages has an rpmdb of
// about 100 MB; the file is read into memory.
const maxDB = 512 << 20

// dirs are where the database may be, in the order rpm's newer layouts prefer.
var dirs = []string{"usr/lib/sysimage/rpm", "var/lib/rpm"}

// formats are the database files, in the order read: a directory's first existing
// one is its database.
var formats = []struct {
	file  string
	blobs func(data []byte, fn func(id int64, blob []byte, err error)) error
}{
	{"rpmdb.sqlite", sqliteBlobs},
	{"Packages.db", ndbBlobs},
	{"Packages", bdbBlobs},
}

func init() {
	software.Register(software.Cataloger{Name: "rpm", Keep: Keep, Catalog: Catalog})
}

// Keep keeps the database files (and SQLite's write-ahead log).
func Keep(name string, _ fs.FileMode, _ int64, _ []byte) bool {
	switch name {
	case "var/lib/rpm/rpmdb.sqlite", "var/lib/rpm/rpmdb.sqlite-wal", "var/lib/rpm/Packages", "var/lib/rpm/Packages.db",
		"usr/lib/sysimage/rpm/rpmdb.sqlite", "usr/lib/sysimage/rpm/rpmdb.sqlite-wal", "usr/lib/sysimage/rpm/Packages", "usr/lib/sysimage/rpm/Packages.db":
		return true
	}
	return false
}

// Catalog reads the rpm database.
func Catalog(ctx context.Context, fsys fs.FS, env software.Env) ([]software.Package, []software.Problem) {
	var (
		pkgs  []software.Package
		probs []software.Problem
		read  [][]byte // the databases read: var/lib/rpm is often a link to the other
	)
	for _, dir := range dirs {
		for _, f := range formats {
			name := path.Join(dir, f.file)
			data, err := readDB(fsys, name)
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				probs = append(probs, software.Problem{Path: "/" + name, Err: err.Error()})
				break
			}
			if f.file == "rpmdb.sqlite" {
				data, probs = withWAL(fsys, name, data, probs)
			}
			dup := false
			for _, r := range read {
				dup = dup || bytes.Equal(r, data)
			}
			if !dup {
				read = append(read, data)
				p, pr := catalogDB(ctx, env, name, data, f.blobs)
				pkgs, probs = append(pkgs, p...), append(probs, pr...)
			}
			break
		}
	}
	return pkgs, probs
}

// withWAL applies the SQLite database's write-ahead log, if any, as SQLite would
// when rpm opens it (wal.go); a log that cannot be read is a problem, and the
// database is read without it.
func withWAL(fsys fs.FS, name string, data []byte, probs []software.Problem) ([]byte, []software.Problem) {
	wal, err := readDB(fsys, name+"-wal")
	if err == nil {
		var d []byte
		if d, err = applyWAL(data, wal); err == nil {
			return d, probs
		}
	}
	if errors.Is(err, fs.ErrNotExist) {
		return data, probs
	}
	return data, append(probs, software.Problem{Path: "/" + name + "-wal", Err: err.Error()})
}

// readDB reads a database file, bounded.
func readDB(fsys fs.FS, name string) ([]byte, error) {
	f, err := software.OpenFile(fsys, name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readAll(f)
}

func readAll(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxDB+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxDB {
		return nil, fmt.Errorf("larger than %d bytes", maxDB)
	}
	return data, nil
}

// record is one package's header and its identity in the database.
type record struct {
	h   *header
	key string // name, arch and version: rpm installs several versions of a kernel
}

// records reads a database's packages; bad records are returned as errors.
func records(data []byte, blobs func([]byte, func(int64, []byte, error)) error) ([]record, []error, error) {
	var (
		recs []record
		bad  []error
	)
	err := blobs(data, func(id int64, blob []byte, err error) {
		var h *header
		if err == nil {
			h, err = parseHeader(blob)
		}
		if err != nil {
			bad = append(bad, fmt.Errorf("package record %d: %w", id, err))
			return
		}
		if h.name == "gpg-pubkey" {
			return
		}
		recs = append(recs, record{h, h.name + "\x00" + h.arch + "\x00" + h.evr()})
	})
	return recs, bad, err
}

func catalogDB(ctx context.Context, env software.Env, name string, data []byte, blobs func([]byte, func(int64, []byte, error)) error) ([]software.Package, []software.Problem) {
	abs := "/" + name
	recs, bad, err := records(data, blobs)
	var probs []software.Problem
	for _, b := range bad {
		probs = append(probs, software.Problem{Path: abs, Err: b.Error()})
	}
	if err != nil {
		probs = append(probs, software.Problem{Path: abs, Err: err.Error()})
	}
	final := make(map[string]string, len(recs))
	for _, r := range recs {
		final[r.key] = ""
	}
	layer := software.Attribute(ctx, env.Layers, name, final, func(r io.Reader) (map[string]string, error) {
		data, err := readAll(r)
		if err != nil {
			return nil, err
		}
		recs, _, err := records(data, blobs)
		m := make(map[string]string, len(recs))
		for _, r := range recs {
			m[r.key] = ""
		}
		return m, err
	})
	pkgs := make([]software.Package, 0, len(recs))
	for _, r := range recs {
		pkgs = append(pkgs, pkg(r.h, env.Distro, abs, layer[r.key]))
	}
	return pkgs, probs
}

// pkg is the Package of a header: Version is rpm's EVR (the epoch only when the
// header has one); the Package URL's version is version-release, with the epoch as
// the epoch qualifier and the source rpm's file name as upstream (purl-spec, rpm).
func pkg(h *header, d *software.Distro, abs string, layer int) software.Package {
	p := software.Package{
		Ecosystem: software.RPM,
		Name:      h.name,
		Version:   h.evr(),
		Arch:      h.arch,
		Cataloger: "rpm",
		Location:  software.Location{Path: abs, Layer: layer},
	}
	epoch := ""
	if h.epoch >= 0 {
		epoch = strconv.FormatInt(h.epoch, 10)
	}
	p.PURL = software.OSPURL(software.RPM, d, h.name, h.version+"-"+h.release, h.arch, "epoch", epoch, "upstream", h.sourceRPM)
	if name, vr, ok := parseSourceRPM(h.sourceRPM); ok {
		p.SourceName = name
		if epoch != "" {
			vr = epoch + ":" + vr
		}
		if vr != p.Version {
			p.SourceVersion = vr
		}
	}
	if h.license != "" {
		p.Licenses = []string{h.license}
	}
	return p
}

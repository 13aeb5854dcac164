package rpm

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// The SQLite database file format (https://www.sqlite.org/fileformat2.html), read for
// one table: rpm's sqlite backend keeps each package's header blob as a row of
// "Packages" (hnum INTEGER PRIMARY KEY, blob BLOB). Palisade reads the file itself
// rather than linking an SQL engine: it reads one table of a hostile file, from memory,
// with every page number, offset and length checked.

const (
	sqliteMagic = "SQLite format 3\x00"
	maxDepth    = 32 // b-tree depth: 5 is already billions of rows
)

// sqliteDB is a database file in memory.
type sqliteDB struct {
	data     []byte
	pageSize int
	usable   int
	pages    int
	// budget is what payloads may still assemble: overflow chains shared by many
	// cells must not multiply the file's size.
	budget uint64
}

func openSQLite(data []byte) (*sqliteDB, error) {
	if len(data) < 100 || string(data[:16]) != sqliteMagic {
		return nil, errors.New("not an SQLite database")
	}
	ps := int(binary.BigEndian.Uint16(data[16:]))
	if ps == 1 {
		ps = 65536
	}
	if ps < 512 || ps&(ps-1) != 0 {
		return nil, fmt.Errorf("page size %d", ps)
	}
	usable := ps - int(data[20])
	if usable < 480 {
		return nil, fmt.Errorf("usable page size %d", usable)
	}
	return &sqliteDB{data: data, pageSize: ps, usable: usable, pages: len(data) / ps, budget: 2*uint64(len(data)) + 1<<20}, nil
}

// page returns page n (1-based).
func (db *sqliteDB) page(n uint32) ([]byte, error) {
	if n < 1 || int64(n) > int64(db.pages) {
		return nil, fmt.Errorf("page %d out of the file's %d pages", n, db.pages)
	}
	off := int(n-1) * db.pageSize
	return db.data[off : off+db.pageSize], nil
}

// varint reads an SQLite variable-length integer.
func varint(b []byte) (uint64, int) {
	var v uint64
	for i := 0; i < 9 && i < len(b); i++ {
		if i == 8 {
			return v<<8 | uint64(b[i]), 9
		}
		v = v<<7 | uint64(b[i]&0x7f)
		if b[i]&0x80 == 0 {
			return v, i + 1
		}
	}
	return 0, 0
}

// rows calls fn with the payload (a record) of every row of the table b-tree rooted
// at root, in rowid order, or with the error that made a row unreadable; a malformed
// page stops the walk.
func (db *sqliteDB) rows(root uint32, fn func(rowid int64, record []byte, err error)) error {
	seen := map[uint32]bool{}
	var walk func(n uint32, depth int) error
	walk = func(n uint32, depth int) error {
		if depth > maxDepth {
			return fmt.Errorf("page %d: b-tree deeper than %d", n, maxDepth)
		}
		if seen[n] {
			return fmt.Errorf("page %d: b-tree cycle", n)
		}
		seen[n] = true
		p, err := db.page(n)
		if err != nil {
			return err
		}
		hdr := 0
		if n == 1 {
			hdr = 100
		}
		if len(p) < hdr+12 {
			return fmt.Errorf("page %d: too short", n)
		}
		typ := p[hdr]
		cells := int(binary.BigEndian.Uint16(p[hdr+3:]))
		ptrs := hdr + 8
		if typ == 0x05 {
			ptrs = hdr + 12
		} else if typ != 0x0d {
			return fmt.Errorf("page %d: type %#x is not a table b-tree page", n, typ)
		}
		if ptrs+2*cells > len(p) {
			return fmt.Errorf("page %d: %d cells overflow the page", n, cells)
		}
		for i := range cells {
			off := int(binary.BigEndian.Uint16(p[ptrs+2*i:]))
			if off >= len(p) {
				return fmt.Errorf("page %d: cell %d at %d out of the page", n, i, off)
			}
			c := p[off:]
			if typ == 0x05 {
				if len(c) < 4 {
					return fmt.Errorf("page %d: cell %d truncated", n, i)
				}
				if err := walk(binary.BigEndian.Uint32(c), depth+1); err != nil {
					return err
				}
				continue
			}
			size, k := varint(c)
			if k == 0 {
				return fmt.Errorf("page %d: cell %d: bad payload size", n, i)
			}
			rowid, k2 := varint(c[k:])
			if k2 == 0 {
				return fmt.Errorf("page %d: cell %d: bad rowid", n, i)
			}
			rec, err := db.payload(c[k+k2:], size)
			if err != nil {
				err = fmt.Errorf("page %d: cell %d: %w", n, i, err)
			}
			fn(int64(rowid), rec, err)
		}
		if typ == 0x05 {
			return walk(binary.BigEndian.Uint32(p[hdr+8:]), depth+1)
		}
		return nil
	}
	return walk(root, 0)
}

// payload assembles a table leaf cell's payload of size bytes: the part local to the
// page, then the overflow pages' chain.
func (db *sqliteDB) payload(local []byte, size uint64) ([]byte, error) {
	if size > db.budget {
		return nil, fmt.Errorf("payload of %d bytes: the payloads exceed twice the file's size", size)
	}
	db.budget -= size
	u := uint64(db.usable)
	x := u - 35
	if size <= x {
		if uint64(len(local)) < size {
			return nil, errors.New("payload truncated")
		}
		return local[:size], nil
	}
	m := (u-12)*32/255 - 23
	k := m + (size-m)%(u-4)
	if k > x {
		k = m
	}
	if uint64(len(local)) < k+4 {
		return nil, errors.New("payload truncated")
	}
	out := make([]byte, 0, size)
	out = append(out, local[:k]...)
	next := binary.BigEndian.Uint32(local[k:])
	seen := map[uint32]bool{}
	for uint64(len(out)) < size {
		if seen[next] {
			return nil, fmt.Errorf("overflow page %d: cycle", next)
		}
		seen[next] = true
		p, err := db.page(next)
		if err != nil {
			return nil, fmt.Errorf("overflow: %w", err)
		}
		chunk := p[4:db.usable]
		if rest := size - uint64(len(out)); uint64(len(chunk)) > rest {
			chunk = chunk[:rest]
		}
		out = append(out, chunk...)
		next = binary.BigEndian.Uint32(p)
	}
	return out, nil
}

// columns decodes a record into its columns: nil for NULL, the bytes of a blob or
// a text, an int64 for an integer; other types are nil.
func columns(rec []byte) ([]any, error) {
	hsize, k := varint(rec)
	if k == 0 || hsize > uint64(len(rec)) || hsize < uint64(k) {
		return nil, errors.New("bad record header")
	}
	hdr, body := rec[k:hsize], rec[hsize:]
	var cols []any
	for len(hdr) > 0 {
		st, n := varint(hdr)
		if n == 0 {
			return nil, errors.New("bad serial type")
		}
		hdr = hdr[n:]
		var size uint64
		switch {
		case st == 0 || st == 8 || st == 9 || st == 10 || st == 11:
		case st <= 4:
			size = st
		case st == 5:
			size = 6
		case st == 6 || st == 7:
			size = 8
		default:
			size = (st - 12) / 2
		}
		if size > uint64(len(body)) {
			return nil, errors.New("record truncated")
		}
		v := body[:size]
		body = body[size:]
		switch {
		case st >= 12:
			cols = append(cols, v)
		case st >= 1 && st <= 6:
			var x int64
			if len(v) > 0 && v[0]&0x80 != 0 {
				x = -1
			}
			for _, b := range v {
				x = x<<8 | int64(b)
			}
			cols = append(cols, x)
		case st == 8:
			cols = append(cols, int64(0))
		case st == 9:
			cols = append(cols, int64(1))
		default:
			cols = append(cols, nil)
		}
	}
	return cols, nil
}

// sqliteBlobs calls fn with the header blob of every row of the Packages table, or
// with the error that made a row unreadable.
func sqliteBlobs(data []byte, fn func(id int64, blob []byte, err error)) error {
	db, err := openSQLite(data)
	if err != nil {
		return err
	}
	var root uint32
	var bad error
	err = db.rows(1, func(_ int64, rec []byte, err error) {
		var cols []any
		if err == nil {
			cols, err = columns(rec)
		}
		if err != nil {
			bad = fmt.Errorf("schema: %w", err)
			return
		}
		if len(cols) < 4 {
			return
		}
		typ, _ := cols[0].([]byte)
		name, _ := cols[1].([]byte)
		page, _ := cols[3].(int64)
		if bytes.Equal(typ, []byte("table")) && bytes.Equal(name, []byte("Packages")) && page > 0 && page <= 1<<32-1 {
			root = uint32(page)
		}
	})
	if err != nil {
		return err
	}
	if root == 0 {
		if bad != nil {
			return bad
		}
		return errors.New("no Packages table")
	}
	return db.rows(root, func(rowid int64, rec []byte, err error) {
		var cols []any
		if err == nil {
			cols, err = columns(rec)
		}
		if err == nil && len(cols) < 2 {
			err = errors.New("no blob column")
		}
		if err != nil {
			fn(rowid, nil, err)
			return
		}
		if b, ok := cols[1].([]byte); ok {
			fn(rowid, b, nil)
		} else {
			fn(rowid, nil, errors.New("the blob column is not a blob"))
		}
	})
}

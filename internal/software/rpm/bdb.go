package rpm

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// The Berkeley DB hash database rpm used up to 4.16 (var/lib/rpm/Packages: RHEL 8,
// CentOS 7, Amazon Linux 2): pages of a fixed size, the first a meta page; hash pages
// hold key/data pairs, a data item too large for a page lives in a chain of overflow
// pages. The key is the package's number, the data its header blob. The layout is
// Berkeley DB's (dbinc/db_page.h); every page is read once in file order.

const (
	bdbHashMagic = 0x061561
	// page types
	bdbHashUnsorted = 2
	bdbOverflow     = 7
	bdbHash         = 13
	// hash item types
	bdbKeyData = 1
	bdbOffPage = 3
	// the generic page header
	bdbPageHeader = 26
)

// bdbBlobs calls fn with every data item of the hash database (the header blobs),
// or with the error that made one unreadable.
func bdbBlobs(data []byte, fn func(id int64, blob []byte, err error)) error {
	if len(data) < 512 {
		return errors.New("not a Berkeley DB hash database: too short")
	}
	var order binary.ByteOrder = binary.LittleEndian
	switch {
	case binary.LittleEndian.Uint32(data[12:]) == bdbHashMagic:
	case binary.BigEndian.Uint32(data[12:]) == bdbHashMagic:
		order = binary.BigEndian
	default:
		return errors.New("not a Berkeley DB hash database")
	}
	ps := int(order.Uint32(data[20:]))
	if ps < 512 || ps > 65536 || ps&(ps-1) != 0 {
		return fmt.Errorf("page size %d", ps)
	}
	if data[24] != 0 {
		return errors.New("encrypted database")
	}
	pages := len(data) / ps
	budget := 2*uint64(len(data)) + 1<<20
	for n := 1; n < pages; n++ {
		p := data[n*ps : (n+1)*ps]
		if t := p[25]; t != bdbHash && t != bdbHashUnsorted {
			continue
		}
		entries := int(order.Uint16(p[20:]))
		if bdbPageHeader+2*entries > ps {
			return fmt.Errorf("page %d: %d entries overflow the page", n, entries)
		}
		// Items are stored from the end of the page down: item i ends where item
		// i-1 starts.
		end := ps
		var key int64
		for i := range entries {
			off := int(order.Uint16(p[bdbPageHeader+2*i:]))
			if off < bdbPageHeader+2*entries || off >= end {
				return fmt.Errorf("page %d: item %d at %d out of place", n, i, off)
			}
			item := p[off:end]
			end = off
			if i%2 == 0 { // a key: the package number
				key = -1
				if item[0] == bdbKeyData && len(item) == 5 {
					key = int64(order.Uint32(item[1:]))
				}
				continue
			}
			if key == 0 {
				continue // rpm's record 0: the next package number, not a package
			}
			switch item[0] {
			case bdbKeyData:
				fn(key, item[1:], nil)
			case bdbOffPage:
				if len(item) < 12 {
					fn(key, nil, fmt.Errorf("page %d: item %d truncated", n, i))
					continue
				}
				pgno := order.Uint32(item[4:])
				tlen := uint64(order.Uint32(item[8:]))
				if tlen > budget {
					fn(key, nil, fmt.Errorf("page %d: item %d of %d bytes: the items exceed twice the file's size", n, i, tlen))
					continue
				}
				budget -= tlen
				blob, err := bdbOverflowChain(data, ps, order, pgno, tlen)
				fn(key, blob, err)
			default:
				fn(key, nil, fmt.Errorf("page %d: item %d of type %d", n, i, item[0]))
			}
		}
	}
	return nil
}

// bdbOverflowChain reads size bytes from the overflow pages starting at pgno.
func bdbOverflowChain(data []byte, ps int, order binary.ByteOrder, pgno uint32, size uint64) ([]byte, error) {
	out := make([]byte, 0, size)
	seen := map[uint32]bool{}
	for uint64(len(out)) < size {
		if pgno == 0 || int64(pgno) >= int64(len(data)/ps) || seen[pgno] {
			return nil, fmt.Errorf("overflow page %d: out of the file or a cycle", pgno)
		}
		seen[pgno] = true
		p := data[int(pgno)*ps : (int(pgno)+1)*ps]
		if p[25] != bdbOverflow {
			return nil, fmt.Errorf("overflow page %d: type %d", pgno, p[25])
		}
		l := int(order.Uint16(p[22:])) // hf_offset: the bytes used on an overflow page
		if bdbPageHeader+l > ps {
			return nil, fmt.Errorf("overflow page %d: %d bytes overflow the page", pgno, l)
		}
		chunk := p[bdbPageHeader : bdbPageHeader+l]
		if rest := size - uint64(len(out)); uint64(len(chunk)) > rest {
			chunk = chunk[:rest]
		}
		out = append(out, chunk...)
		pgno = order.Uint32(p[16:])
	}
	return out, nil
}

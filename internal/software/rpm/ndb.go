package rpm

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// The ndb database of rpm (var/lib/rpm/Packages.db: SUSE): a 32-byte header ("RpmP",
// version 0, generation, slot pages, next package index), slot pages of 16-byte slots
// ("Slot", package index, block offset, block count; offset 0 is a free slot), and
// blobs at the slots' offsets in 16-byte blocks ("BlbS", package index, timestamp,
// length, the header blob, then a tail). All little endian (rpm's
// lib/backend/ndb/rpmpkg.c).

const (
	ndbMagic     = 'R' | 'p'<<8 | 'm'<<16 | 'P'<<24
	ndbSlotMagic = 'S' | 'l'<<8 | 'o'<<16 | 't'<<24
	ndbBlobMagic = 'B' | 'l'<<8 | 'b'<<16 | 'S'<<24
	ndbPage      = 4096
	ndbBlock     = 16
	ndbHeader    = 32
	ndbBlobHead  = 16
	ndbBlobTail  = 12
)

// ndbBlobs calls fn with the header blob of every used slot, or with the error that
// made one unreadable.
func ndbBlobs(data []byte, fn func(id int64, blob []byte, err error)) error {
	le := binary.LittleEndian
	if len(data) < ndbHeader || le.Uint32(data) != ndbMagic {
		return errors.New("not an rpm ndb database")
	}
	if v := le.Uint32(data[4:]); v != 0 {
		return fmt.Errorf("ndb version %d", v)
	}
	slotPages := uint64(le.Uint32(data[12:]))
	if slotPages == 0 || slotPages*ndbPage > uint64(len(data)) {
		return fmt.Errorf("%d slot pages in a file of %d bytes", slotPages, len(data))
	}
	minBlock := slotPages * ndbPage / ndbBlock
	blocks := uint64(len(data)) / ndbBlock
	for off := uint64(ndbHeader); off < slotPages*ndbPage; off += 16 {
		s := data[off : off+16]
		if le.Uint32(s) != ndbSlotMagic {
			return fmt.Errorf("slot at %d: bad magic", off)
		}
		idx, blkoff, blkcnt := le.Uint32(s[4:]), uint64(le.Uint32(s[8:])), uint64(le.Uint32(s[12:]))
		if blkoff == 0 {
			continue
		}
		id := int64(idx)
		if blkoff < minBlock || blkoff+blkcnt > blocks || blkcnt*ndbBlock < ndbBlobHead+ndbBlobTail {
			fn(id, nil, fmt.Errorf("package %d: blocks %d+%d out of the file", idx, blkoff, blkcnt))
			continue
		}
		b := data[blkoff*ndbBlock : (blkoff+blkcnt)*ndbBlock]
		if le.Uint32(b) != ndbBlobMagic || le.Uint32(b[4:]) != idx {
			fn(id, nil, fmt.Errorf("package %d: bad blob header", idx))
			continue
		}
		n := uint64(le.Uint32(b[12:]))
		if ndbBlobHead+n+ndbBlobTail > uint64(len(b)) {
			fn(id, nil, fmt.Errorf("package %d: blob of %d bytes in %d blocks", idx, n, blkcnt))
			continue
		}
		fn(id, b[ndbBlobHead:ndbBlobHead+n], nil)
	}
	return nil
}

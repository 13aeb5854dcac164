package rpm

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// An SQLite write-ahead log (rpmdb.sqlite-wal, https://www.sqlite.org/fileformat2.html
// section 4): the pages of transactions not yet copied back into the database. rpm
// checkpoints it on close, but a database copied while rpm ran (or one made to hide
// packages from scanners) still has committed pages there, and SQLite (rpm -qa) reads
// them. applyWAL returns the database as SQLite sees it: every frame of a committed
// transaction, with the header's salts and a valid checksum chain, replaces its page.

const (
	walMagicLE   = 0x377f0682 // checksums over little-endian words
	walMagicBE   = 0x377f0683 // over big-endian words
	walHeader    = 32
	walFrameHead = 24
)

// walChecksum continues SQLite's WAL checksum over b (a multiple of 8 bytes).
func walChecksum(order binary.ByteOrder, s0, s1 uint32, b []byte) (uint32, uint32) {
	for i := 0; i+8 <= len(b); i += 8 {
		s0 += order.Uint32(b[i:]) + s1
		s1 += order.Uint32(b[i+4:]) + s0
	}
	return s0, s1
}

// applyWAL returns db with the committed frames of wal applied; db itself when the
// log is empty. The result is a new slice when frames apply.
func applyWAL(db, wal []byte) ([]byte, error) {
	if len(wal) == 0 {
		return db, nil
	}
	if len(wal) < walHeader {
		return nil, errors.New("write-ahead log: truncated header")
	}
	var order binary.ByteOrder
	switch binary.BigEndian.Uint32(wal) {
	case walMagicLE:
		order = binary.LittleEndian
	case walMagicBE:
		order = binary.BigEndian
	default:
		return nil, errors.New("write-ahead log: bad magic")
	}
	ps := int(binary.BigEndian.Uint32(wal[8:]))
	if ps < 512 || ps > 65536 || ps&(ps-1) != 0 {
		return nil, fmt.Errorf("write-ahead log: page size %d", ps)
	}
	if len(db) >= 18 {
		dps := int(binary.BigEndian.Uint16(db[16:]))
		if dps == 1 {
			dps = 65536
		}
		if dps != ps {
			return nil, fmt.Errorf("write-ahead log: page size %d, database %d", ps, dps)
		}
	}
	s0, s1 := walChecksum(order, 0, 0, wal[:24])
	if s0 != binary.BigEndian.Uint32(wal[24:]) || s1 != binary.BigEndian.Uint32(wal[28:]) {
		return db, nil // an invalid header: SQLite ignores the log
	}
	salt1, salt2 := binary.BigEndian.Uint32(wal[16:]), binary.BigEndian.Uint32(wal[20:])
	pages := map[uint32]int{} // page number -> offset of its latest committed frame
	pending := map[uint32]int{}
	size := uint32(0)
	for off := walHeader; off+walFrameHead+ps <= len(wal); off += walFrameHead + ps {
		h := wal[off : off+walFrameHead]
		if binary.BigEndian.Uint32(h[8:]) != salt1 || binary.BigEndian.Uint32(h[12:]) != salt2 {
			break
		}
		s0, s1 = walChecksum(order, s0, s1, h[:8])
		s0, s1 = walChecksum(order, s0, s1, wal[off+walFrameHead:off+walFrameHead+ps])
		if s0 != binary.BigEndian.Uint32(h[16:]) || s1 != binary.BigEndian.Uint32(h[20:]) {
			break
		}
		pgno := binary.BigEndian.Uint32(h)
		if pgno == 0 {
			break
		}
		pending[pgno] = off + walFrameHead
		if commit := binary.BigEndian.Uint32(h[4:]); commit != 0 {
			for p, o := range pending {
				pages[p] = o
			}
			clear(pending)
			size = commit
		}
	}
	if size == 0 {
		return db, nil
	}
	if uint64(size)*uint64(ps) > maxDB {
		return nil, fmt.Errorf("write-ahead log: a database of %d pages", size)
	}
	out := make([]byte, int(size)*ps)
	copy(out, db)
	for p, o := range pages {
		if p <= size {
			copy(out[int(p-1)*ps:int(p)*ps], wal[o:o+ps])
		}
	}
	return out, nil
}

package rpm

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// The header tags a package record is read from (rpm's docs/manual/tags.md).
const (
	tagName      = 1000
	tagVersion   = 1001
	tagRelease   = 1002
	tagEpoch     = 1003
	tagLicense   = 1014
	tagArch      = 1022
	tagSourceRPM = 1044
)

// The header entry types read.
const (
	typeInt32  = 4
	typeString = 6
	typeI18N   = 9
)

// Header bounds, as rpm's own (lib/header.c: HEADER_TAGS_MAX, HEADER_DATA_MAX).
const (
	maxTags = 0xffff
	maxData = 0x0fffffff
)

// header is what a package record holds.
type header struct {
	name, version, release, arch, license, sourceRPM string
	epoch                                            int64 // -1 when absent
}

// evr is the version as rpm -q prints it with %|EPOCH?{%{EPOCH}:}:{}|: the epoch
// only when the header has one.
func (h *header) evr() string {
	vr := h.version + "-" + h.release
	if h.epoch >= 0 {
		return strconv.FormatInt(h.epoch, 10) + ":" + vr
	}
	return vr
}

// parseHeader reads a header blob as an rpm database stores it: the entry count and
// the data size (big endian), the index (16-byte entries: tag, type, offset, count),
// then the data store. Every offset is checked against the data store.
func parseHeader(blob []byte) (*header, error) {
	if len(blob) < 8 {
		return nil, errors.New("header shorter than 8 bytes")
	}
	il := binary.BigEndian.Uint32(blob)
	dl := binary.BigEndian.Uint32(blob[4:])
	if il == 0 || il > maxTags || dl > maxData {
		return nil, fmt.Errorf("header of %d entries and %d bytes of data", il, dl)
	}
	index := blob[8:]
	if uint64(len(index)) < uint64(il)*16+uint64(dl) {
		return nil, fmt.Errorf("header of %d entries and %d bytes of data truncated at %d bytes", il, dl, len(blob))
	}
	data := index[il*16 : il*16+dl]
	h := &header{epoch: -1}
	for i := range il {
		e := index[i*16 : i*16+16]
		tag := binary.BigEndian.Uint32(e)
		typ := binary.BigEndian.Uint32(e[4:])
		off := binary.BigEndian.Uint32(e[8:])
		cnt := binary.BigEndian.Uint32(e[12:])
		var dst *string
		switch tag {
		case tagName:
			dst = &h.name
		case tagVersion:
			dst = &h.version
		case tagRelease:
			dst = &h.release
		case tagArch:
			dst = &h.arch
		case tagLicense:
			dst = &h.license
		case tagSourceRPM:
			dst = &h.sourceRPM
		case tagEpoch:
			if typ != typeInt32 || cnt < 1 || off%4 != 0 || uint64(off)+4 > uint64(dl) {
				return nil, fmt.Errorf("tag %d: bad entry (type %d, offset %d, count %d)", tag, typ, off, cnt)
			}
			h.epoch = int64(binary.BigEndian.Uint32(data[off:]))
			continue
		default:
			continue
		}
		if typ != typeString && typ != typeI18N || off >= dl {
			return nil, fmt.Errorf("tag %d: bad entry (type %d, offset %d)", tag, typ, off)
		}
		end := bytes.IndexByte(data[off:], 0)
		if end < 0 {
			return nil, fmt.Errorf("tag %d: string not terminated", tag)
		}
		*dst = string(data[off : off+uint32(end)])
	}
	if h.name == "" || h.version == "" {
		return nil, errors.New("header without a name or a version")
	}
	return h, nil
}

// parseSourceRPM splits a source rpm's file name ("openssl-3.0.7-27.el9.src.rpm")
// into its name and version-release; ok is false when it has not that shape.
func parseSourceRPM(s string) (name, vr string, ok bool) {
	base, cut := strings.CutSuffix(s, ".src.rpm")
	if !cut {
		if base, cut = strings.CutSuffix(s, ".nosrc.rpm"); !cut {
			return "", "", false
		}
	}
	r := strings.LastIndexByte(base, '-')
	if r <= 0 {
		return "", "", false
	}
	v := strings.LastIndexByte(base[:r], '-')
	if v <= 0 {
		return "", "", false
	}
	return base[:v], base[v+1:], true
}

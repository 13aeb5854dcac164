package load

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// document is one YAML document cut from a stream, with the 1-based line it starts on.
// A document that could not be read whole carries err instead of data.
type document struct {
	index int
	line  int
	data  []byte
	err   string
	// mode says whether the document may be configuration rather than an object;
	// format, when set, is the format of a configuration file read whole (dotenv,
	// ini, ...), not YAML.
	mode   configMode
	format string
}

// splitDocuments reads a YAML stream and calls emit for each document, in order, with
// the default limits.
func splitDocuments(r io.Reader, emit func(document) error) error {
	var sp splitter
	return sp.split(r, Limits{}, emit)
}

// splitter cuts a YAML stream into documents on "---" and "..." markers at the start
// of a line, which the YAML spec reserves at column 0, so no parse is needed to find
// document boundaries. Lines end at every break yaml.v3 knows: LF, CRLF, CR, NEL
// (U+0085), LS (U+2028) and PS (U+2029), so that yaml.v3 counts the same lines as the
// splitter and never finds a document start the splitter missed. CRLF, CR and NEL
// become LF in the documents, as yaml.v3 reads them; LS and PS are kept, since yaml.v3
// keeps them in scalars. A leading BOM is stripped. Documents
// that hold only blanks and comments are not emitted but still count towards document
// indexes, so indexes match what a person counts.
//
// A document longer than the limit is not collected: it is emitted with an error and
// the splitter goes on with the next one. A stream longer than its limit stops being
// read; the document it was in is emitted with an error, never cut short.
//
// The splitter keeps its read buffer and document scratch space between streams, so a
// walk over many files allocates them once.
type splitter struct {
	lr  lineReader
	cur []byte
}

func (sp *splitter) split(r io.Reader, lim Limits, emit func(document) error) error {
	lr := &sp.lr
	lr.reset(r, lim.maxInputBytes())
	maxDoc := lim.maxDocumentBytes()
	cur := sp.cur[:0]
	defer func() {
		if cap(cur) > 16<<20 {
			cur = nil // do not keep a huge document's buffer for the next stream
		}
		sp.cur = cur[:0]
	}()
	var (
		lineNo    int
		start     = 1
		index     int
		hasMarker bool
		// tooBig is set once the current document passed maxDoc: its data is dropped.
		tooBig    bool
		lineStart = true
		// endAtBreak: the line being read is a "..." marker with content after it,
		// which yaml.v3 refuses; the document keeps it and ends with the line.
		endAtBreak bool
	)
	flush := func(next int) error {
		isBlank := blank(cur)
		switch {
		case tooBig:
			if err := emit(document{index: index, line: start, err: tooBigMsg(maxDoc)}); err != nil {
				return err
			}
		case !isBlank:
			// cur is reused across documents; each document gets an exact-size copy.
			if err := emit(document{index: index, line: start, data: append([]byte(nil), cur...)}); err != nil {
				return err
			}
		}
		if tooBig || !isBlank || hasMarker {
			index++
		}
		cur = cur[:0]
		start = next
		hasMarker, tooBig = false, false
		return nil
	}
	add := func(b []byte) {
		if tooBig {
			return
		}
		if int64(len(cur))+int64(len(b)) > maxDoc {
			tooBig, cur = true, cur[:0]
			return
		}
		cur = append(cur, b...)
	}
	for {
		piece, brk, more, err := lr.next()
		if err != nil {
			if errors.Is(err, errInputTooLarge) {
				// The document being read is cut short: say so instead of scanning part of it.
				if tooBig {
					if err := emit(document{index: index, line: start, err: tooBigMsg(maxDoc)}); err != nil {
						return err
					}
				}
				return emit(document{index: index, line: start, err: fmt.Sprintf(
					"input larger than %s (--max-input-size): reading stopped at line %d; this document and the rest were not scanned",
					formatBytes(lr.limit), max(lineNo, 1))})
			}
			if err != io.EOF {
				return err
			}
			break
		}
		if brk > 0 && brk < 3 {
			// CRLF, CR and NEL become LF (LS and PS, 3 bytes, are kept).
			piece = append(piece[:len(piece)-brk], '\n')
		}
		if !lineStart {
			add(piece) // the rest of a line longer than the read buffer
			lineStart = !more
			if lineStart && endAtBreak {
				endAtBreak = false
				if err := flush(lineNo + 1); err != nil {
					return err
				}
			}
			continue
		}
		lineNo++
		lineStart = !more
		if lineNo == 1 {
			piece = bytes.TrimPrefix(piece, []byte("\xef\xbb\xbf"))
		}
		switch {
		case len(piece) == 0 || piece[0] != '-' && piece[0] != '.':
			add(piece)
		case isMarker(piece, "---"):
			if len(cur) > 0 || hasMarker || tooBig || index > 0 {
				if err := flush(lineNo); err != nil {
					return err
				}
			} else {
				start = lineNo
			}
			hasMarker = true
			// Content after the marker ("--- {a: 1}", "--- |") belongs to the document,
			// in the column it was in: the marker and the blanks after it become spaces
			// (at column 0, "--- ..." or "--- %x" would read as a marker or directive).
			// So does a marker line that goes on past the read buffer.
			if rest := bytes.TrimLeft(piece[3:], " \t"); more || len(rest) > 0 && rest[0] != '#' && !startsBreak(rest) {
				line := make([]byte, len(piece)-len(rest), len(piece))
				for i := range line {
					line[i] = ' '
				}
				add(append(line, rest...))
			} else {
				add([]byte{'\n'})
			}
		case isMarker(piece, "..."):
			if rest := bytes.TrimLeft(piece[3:], " \t"); more || len(rest) > 0 && rest[0] != '#' && !startsBreak(rest) {
				// Content after the end marker is an error for yaml.v3: the document
				// keeps the line for the parser to report rather than dropping it. So does
				// a marker line that goes on past the read buffer.
				add(piece)
				if more {
					endAtBreak = true
					continue
				}
			} else {
				add([]byte{'\n'})
			}
			if err := flush(lineNo + 1); err != nil {
				return err
			}
		default:
			add(piece)
		}
	}
	if len(cur) > 0 || hasMarker || tooBig {
		return flush(lineNo + 1)
	}
	return nil
}

func tooBigMsg(max int64) string {
	return fmt.Sprintf("document larger than %s (--max-document-size): not scanned", formatBytes(max))
}

// isMarker reports whether line is the marker m followed by a blank or the line end.
func isMarker(line []byte, m string) bool {
	if len(line) < 3 || string(line[:3]) != m {
		return false
	}
	return len(line) == 3 || line[3] == ' ' || line[3] == '\t' || line[3] == '\r' || startsBreak(line[3:])
}

// startsBreak reports whether b starts with a line break as documents keep them: LF,
// LS or PS.
func startsBreak(b []byte) bool {
	return len(b) > 0 && b[0] == '\n' || isLSPS(b)
}

func isLSPS(b []byte) bool {
	return len(b) >= 3 && b[0] == 0xE2 && b[1] == 0x80 && (b[2] == 0xA8 || b[2] == 0xA9)
}

// blank reports whether a document holds only whitespace, comments and directives.
func blank(b []byte) bool {
	for len(b) > 0 {
		// A line ends at LF, LS or PS.
		i, w := bytes.IndexByte(b, '\n'), 1
		line := b
		if i >= 0 {
			line = b[:i]
		}
		for off := 0; ; {
			j := bytes.IndexByte(line[off:], 0xE2)
			if j < 0 {
				break
			}
			if off += j; isLSPS(b[off:]) {
				i, w = off, 3
				break
			}
			off++
		}
		var l []byte
		if i < 0 {
			l, b = b, nil
		} else {
			l, b = b[:i], b[i+w:]
		}
		if len(l) > 0 && l[0] == '%' {
			continue // a directive (only at the start of a line)
		}
		l = bytes.TrimLeft(l, " \t\r")
		if len(l) > 0 && l[0] != '#' {
			return false
		}
	}
	return true
}

var errInputTooLarge = errors.New("input too large")

// lineReader reads a stream line by line. A line ends at any break yaml.v3 knows: LF,
// CRLF, CR, NEL, LS or PS. A line longer than the buffer comes in pieces.
type lineReader struct {
	r          io.Reader
	buf        []byte
	start, end int
	scanned    int // bytes after start known to hold no line break
	// leadAt[k] is where the next byte leadBytes[k] (a byte that may begin a break
	// other than LF) lies at or after start, as far as scan[k] has looked. Most
	// streams have none of them, and their lines are found by looking for LF alone;
	// each kind is searched for once over the stream.
	leadAt, scan [len(leadBytes)]int
	// leadMin is the least of leadAt, computed when end was leadEnd.
	leadMin, leadEnd int
	err              error // sticky: io.EOF, a read error, or errInputTooLarge
	n, limit         int64 // bytes read, and the most that may be
}

const lineBufSize = 64 << 10

func (lr *lineReader) reset(r io.Reader, limit int64) {
	if lr.buf == nil {
		lr.buf = make([]byte, lineBufSize)
	}
	lr.r, lr.start, lr.end, lr.scanned, lr.err, lr.n, lr.limit = r, 0, 0, 0, nil, 0, limit
	lr.leadAt, lr.scan = [len(leadBytes)]int{}, [len(leadBytes)]int{}
	lr.leadMin, lr.leadEnd = 0, 0
}

// leadBytes may begin a line break other than LF: CR, NEL (C2 85), LS and PS (E2 80 A8
// and A9).
var leadBytes = [...]byte{'\r', 0xC2, 0xE2}

// lead returns where the first byte that may begin a break other than LF lies at or
// after start (end if none).
func (lr *lineReader) lead() int {
	if lr.leadMin >= lr.start && (lr.leadMin < lr.leadEnd || lr.leadEnd == lr.end) {
		return lr.leadMin // a lead byte still ahead, or none and nothing read since
	}
	lead := lr.end
	for k, c := range leadBytes {
		if lr.leadAt[k] < lr.start {
			lr.leadAt[k], lr.scan[k] = lr.start, lr.start
		}
		if lr.leadAt[k] == lr.scan[k] && lr.scan[k] < lr.end {
			// Not found as far as scanned: look in what was read since.
			if j := bytes.IndexByte(lr.buf[lr.scan[k]:lr.end], c); j >= 0 {
				lr.leadAt[k] += j
			} else {
				lr.leadAt[k] = lr.end
			}
			lr.scan[k] = lr.end
		}
		lead = min(lead, lr.leadAt[k])
	}
	lr.leadMin, lr.leadEnd = lead, lr.end
	return lead
}

// next returns the next line with its break (brk is the break's length, 0 when the
// stream ends without one), or, for a line longer than the buffer, the next piece of
// it (more: the line goes on). The piece is valid until the next call.
func (lr *lineReader) next() (piece []byte, brk int, more bool, err error) {
	for {
		b := lr.buf[lr.start:lr.end]
		if lf := bytes.IndexByte(b[lr.scanned:], '\n'); lf >= 0 && lr.start+lr.scanned+lf < lr.lead() {
			// An LF with no other break before it.
			i := lr.scanned + lf
			lr.start += i + 1
			lr.scanned = 0
			return b[:i+1], 1, false, nil
		}
		// The first lr.scanned bytes are known to hold no break: a slow reader
		// adding a few bytes at a time does not make the search quadratic.
		i, w, undecided := findBreak(b[lr.scanned:], lr.err != nil)
		if i >= 0 {
			i += lr.scanned
		}
		switch {
		case i >= 0 && !undecided:
			lr.start += i + w
			lr.scanned = 0
			return b[:i+w], w, false, nil
		case !undecided && lr.err != nil:
			if len(b) == 0 {
				return nil, 0, false, lr.err
			}
			lr.start, lr.scanned = lr.end, 0
			return b, 0, false, nil
		case len(b) == len(lr.buf):
			// A full buffer and no break: hand out all but the last two bytes, which
			// may begin a break that the next read completes.
			n := len(b) - 2
			lr.start += n
			lr.scanned = 0
			return b[:n], 0, true, nil
		}
		// No break yet, but for what the last two bytes may begin.
		lr.scanned = max(len(b)-2, 0)
		lr.fill()
	}
}

func (lr *lineReader) fill() {
	if lr.start > 0 {
		lr.end = copy(lr.buf, lr.buf[lr.start:lr.end])
		for k := range lr.leadAt {
			lr.leadAt[k], lr.scan[k] = max(lr.leadAt[k]-lr.start, 0), max(lr.scan[k]-lr.start, 0)
		}
		lr.leadMin, lr.leadEnd = max(lr.leadMin-lr.start, 0), max(lr.leadEnd-lr.start, 0)
		lr.start = 0
	}
	for tries := 0; tries < 100 && lr.err == nil; tries++ {
		room := lr.buf[lr.end:]
		if left := lr.limit - lr.n; int64(len(room)) > left+1 {
			room = room[:left+1]
		}
		n, err := lr.r.Read(room)
		lr.n += int64(n)
		lr.end += n
		if lr.n > lr.limit {
			// Drop what lies past the limit; the stream is over.
			lr.end -= int(lr.n - lr.limit)
			lr.err = errInputTooLarge
			return
		}
		if err != nil {
			lr.err = err
			return
		}
		if n > 0 {
			return
		}
	}
	if lr.err == nil {
		lr.err = io.ErrNoProgress
	}
}

// findBreak finds the first line break in b: its index and width (-1 if none). It is
// undecided when b ends where a break may begin (a CR that an LF may follow, part of a
// NEL, LS or PS) and more input may come (atEOF false).
func findBreak(b []byte, atEOF bool) (i, w int, undecided bool) {
	lf := bytes.IndexByte(b, '\n')
	head := b
	if lf >= 0 {
		head = b[:lf]
	}
	// The other breaks are rare: look for their first bytes only before the LF.
	for off := 0; ; {
		j := indexBreakLead(head[off:])
		if j < 0 {
			break
		}
		j += off
		switch b[j] {
		case '\r':
			if j+1 < len(b) {
				if b[j+1] == '\n' {
					return j, 2, false
				}
				return j, 1, false
			}
			return j, 1, !atEOF
		case 0xC2:
			if j+1 < len(b) {
				if b[j+1] == 0x85 {
					return j, 2, false
				}
			} else if !atEOF {
				return j, 0, true
			}
		case 0xE2:
			if j+2 < len(b) {
				if b[j+1] == 0x80 && (b[j+2] == 0xA8 || b[j+2] == 0xA9) {
					return j, 3, false
				}
			} else if !atEOF && (j+1 == len(b) || b[j+1] == 0x80) {
				return j, 0, true
			}
		}
		off = j + 1
	}
	if lf >= 0 {
		return lf, 1, false
	}
	return -1, 0, !atEOF
}

// indexBreakLead is the index of the first byte of b that may begin a break other
// than LF (CR, or the lead byte of NEL, LS and PS), or -1.
func indexBreakLead(b []byte) int {
	i := -1
	for _, c := range [...]byte{'\r', 0xC2, 0xE2} {
		s := b
		if i >= 0 {
			s = b[:i]
		}
		if j := bytes.IndexByte(s, c); j >= 0 {
			i = j
		}
	}
	return i
}

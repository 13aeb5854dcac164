package auditlog

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
)

// errTooLong is a record longer than the bound; the reader goes on after it.
var errTooLong = errors.New("record longer than the line bound")

// lineReader cuts its input into lines, each at most max bytes. At the end of the
// input, a last line without a newline is a line, except when following (more may
// come): then next returns io.EOF and may be called again once the file grew.
type lineReader struct {
	r        io.Reader
	buf      []byte
	start    int // first unread byte
	end      int // end of the data
	max      int
	line     int  // lines returned or skipped
	eof      bool // r returned io.EOF
	err      error
	skipping bool // discarding the rest of a line that was too long
	onRead   func(int)
	follow   bool
}

func newLineReader(r io.Reader, max int) *lineReader {
	return &lineReader{r: r, buf: make([]byte, 64<<10), max: max}
}

// reset reads r from its start (a rotated or truncated file).
func (l *lineReader) reset(r io.Reader) {
	l.r, l.start, l.end, l.line, l.eof, l.err, l.skipping = r, 0, 0, 0, false, nil, false
}

// fill reads more data; it reports whether any came.
func (l *lineReader) fill() bool {
	if l.err != nil {
		return false
	}
	if l.start > 0 {
		copy(l.buf, l.buf[l.start:l.end])
		l.end -= l.start
		l.start = 0
	}
	if l.end == len(l.buf) {
		n := 2 * len(l.buf)
		if n > l.max+1 {
			n = l.max + 1
		}
		if n <= len(l.buf) {
			return false
		}
		nb := make([]byte, n)
		copy(nb, l.buf[:l.end])
		l.buf = nb
	}
	n, err := l.r.Read(l.buf[l.end:])
	if n > 0 && l.onRead != nil {
		l.onRead(n)
	}
	l.end += n
	if err == io.EOF {
		l.eof = true
	} else if err != nil {
		l.err = err
	}
	if n > 0 {
		l.eof = false
	}
	return n > 0
}

// next returns the next line (without its newline) and its 1-based number. The
// line is valid until the next call.
func (l *lineReader) next() ([]byte, int, error) {
	for {
		if i := bytes.IndexByte(l.buf[l.start:l.end], '\n'); i >= 0 {
			b := l.buf[l.start : l.start+i]
			l.start += i + 1
			l.line++
			if l.skipping {
				l.skipping = false
				continue
			}
			if len(b) > l.max {
				return nil, l.line, errTooLong
			}
			return b, l.line, nil
		}
		if l.end-l.start > l.max {
			// Too long: report it, then drop it up to its newline.
			l.start, l.end = 0, 0
			if !l.skipping {
				l.skipping = true
				return nil, l.line + 1, errTooLong
			}
		}
		if l.skipping && l.end > l.start {
			l.start, l.end = 0, 0
		}
		if l.fill() {
			continue
		}
		if l.err != nil {
			return nil, l.line + 1, l.err
		}
		// The end of the input (for now).
		if l.follow || l.end == l.start {
			return nil, l.line + 1, io.EOF
		}
		return l.flush()
	}
}

// flush returns a last line that has no newline.
func (l *lineReader) flush() ([]byte, int, error) {
	if l.end == l.start || l.skipping {
		l.skipping = false
		l.start, l.end = 0, 0
		return nil, l.line + 1, io.EOF
	}
	b := l.buf[l.start:l.end]
	l.start = l.end
	l.line++
	return b, l.line, nil
}

// firstByte returns the first byte that is not white space, reading as needed.
func (l *lineReader) firstByte() (byte, bool) {
	for i := l.start; ; i++ {
		for i >= l.end {
			if !l.fill() {
				return 0, false
			}
		}
		if !isSpace(l.buf[i]) {
			return l.buf[i], true
		}
	}
}

// jsonLines reports whether the input looks like JSON lines: its first line that is
// not blank is one whole JSON value, or the next line starts a record at its first
// column (a log whose first line was cut: the first line is an error, the rest is
// read). Else (a pretty-printed or concatenated document) it is a stream of
// documents. It reads ahead up to the line bound.
func (l *lineReader) jsonLines() bool {
	for {
		data := l.buf[l.start:l.end]
		var first []byte
		for off := 0; ; {
			i := bytes.IndexByte(data[off:], '\n')
			if i < 0 {
				break
			}
			line := data[off : off+i]
			off += i + 1
			if len(trimSpace(line)) == 0 {
				continue
			}
			if first == nil {
				first = trimSpace(line)
				if wholeValue(first) {
					return true
				}
				continue
			}
			return line[0] == '{'
		}
		if l.end-l.start > l.max || !l.fill() {
			if first == nil {
				return wholeValue(trimSpace(l.buf[l.start:l.end]))
			}
			return false
		}
	}
}

func wholeValue(b []byte) bool {
	var s scanner
	s.reset(b)
	return s.skip() == nil && s.end() == nil
}

// docReader reads a stream of JSON documents (pretty-printed, or concatenated
// without newlines as CloudWatch subscriptions deliver them to S3) and yields
// records: each top-level value, except that the elements of a top-level array and
// of the arrays "items" (EventList), "events" (aws logs filter-log-events),
// "logEvents" (a CloudWatch subscription payload) and "entries" of a top-level
// object are records of their own. Only the structure is followed here (strings,
// nesting); the decoder validates each record.
type docReader struct {
	l        *lineReader
	max      int
	maxItems int
	nl       int // newlines consumed, for line numbers

	inArray, arrayFirst   bool
	inObject, objectFirst bool
	found                 bool
	shell                 []byte
	shellLine             int
	index                 int
	rec                   []byte
	broken                bool // the structure is lost: stop
}

func newDocReader(l *lineReader, max, maxItems int) *docReader {
	return &docReader{l: l, max: max, maxItems: maxItems}
}

func (d *docReader) peekByte() (byte, bool) {
	if d.l.start >= d.l.end && !d.l.fill() {
		return 0, false
	}
	return d.l.buf[d.l.start], true
}

func (d *docReader) readByte() (byte, bool) {
	c, ok := d.peekByte()
	if ok {
		d.l.start++
		if c == '\n' {
			d.nl++
		}
	}
	return c, ok
}

func (d *docReader) ws() (byte, bool) {
	for {
		c, ok := d.peekByte()
		if !ok || !isSpace(c) {
			return c, ok
		}
		d.readByte()
	}
}

func (d *docReader) fail(msg string) error {
	d.broken = true
	if d.l.err != nil {
		return d.l.err
	}
	return errors.New(msg)
}

// value reads one value, appending it to *dst while it fits in max bytes; it
// reports whether it fit.
func (d *docReader) value(dst *[]byte, max int) (bool, error) {
	fits := true
	put := func(c byte) {
		if fits {
			if len(*dst) >= max {
				fits = false
				return
			}
			*dst = append(*dst, c)
		}
	}
	depth := 0
	inStr, esc := false, false
	for {
		c, ok := d.peekByte()
		if !ok {
			if depth == 0 && !inStr {
				return fits, nil // a scalar at the end of the input
			}
			return fits, d.fail("unexpected end of input")
		}
		switch {
		case inStr:
			d.readByte()
			put(c)
			if esc {
				esc = false
			} else if c == '\\' {
				esc = true
			} else if c == '"' {
				inStr = false
				if depth == 0 {
					return fits, nil
				}
			}
		case c == '"':
			d.readByte()
			put(c)
			inStr = true
		case c == '{' || c == '[':
			d.readByte()
			put(c)
			depth++
			if depth > maxDepth {
				return fits, d.fail("nesting too deep")
			}
		case c == '}' || c == ']':
			if depth == 0 {
				return fits, nil
			}
			d.readByte()
			put(c)
			depth--
			if depth == 0 {
				return fits, nil
			}
		case depth == 0 && (isSpace(c) || c == ','):
			return fits, nil
		default:
			d.readByte()
			put(c)
		}
	}
}

// next returns the next record, the line it starts on and its index in its
// document (0 for a top-level value).
func (d *docReader) next() ([]byte, int, int, error) {
	for {
		if d.broken {
			return nil, 0, 0, io.EOF
		}
		if d.inArray {
			c, ok := d.ws()
			if !ok {
				return nil, d.nl + 1, 0, d.fail("unexpected end of input in an array")
			}
			if c == ']' {
				d.readByte()
				d.inArray = false
				continue
			}
			if !d.arrayFirst {
				if c != ',' {
					return nil, d.nl + 1, 0, d.fail("want ',' or ']' in an array")
				}
				d.readByte()
				if _, ok := d.ws(); !ok {
					return nil, d.nl + 1, 0, d.fail("unexpected end of input in an array")
				}
			}
			d.arrayFirst = false
			d.index++
			line := d.nl + 1
			if d.index > d.maxItems {
				var sink []byte
				if _, err := d.value(&sink, 0); err != nil {
					return nil, line, d.index, err
				}
				if d.index == d.maxItems+1 {
					return nil, line, d.index, fmt.Errorf("more than %d events in one document: the rest are not read", d.maxItems)
				}
				continue
			}
			d.rec = d.rec[:0]
			fits, err := d.value(&d.rec, d.max)
			if err != nil {
				return nil, line, d.index, err
			}
			if !fits {
				return nil, line, d.index, errTooLong
			}
			return d.rec, line, d.index, nil
		}
		if d.inObject {
			c, ok := d.ws()
			if !ok {
				return nil, d.nl + 1, 0, d.fail("unexpected end of input in an object")
			}
			if c == '}' {
				d.readByte()
				d.inObject = false
				if !d.found {
					d.shell = append(d.shell, '}')
					if len(d.shell) > d.max {
						return nil, d.shellLine, 0, errTooLong
					}
					return d.shell, d.shellLine, 0, nil
				}
				continue
			}
			if !d.objectFirst {
				if c != ',' {
					return nil, d.nl + 1, 0, d.fail("want ',' or '}' in an object")
				}
				d.readByte()
				d.shell = append(d.shell, ',')
				d.ws()
			}
			d.objectFirst = false
			start := len(d.shell)
			if c, _ := d.peekByte(); c != '"' {
				return nil, d.nl + 1, 0, d.fail("want an object key")
			}
			if _, err := d.value(&d.shell, d.max+1); err != nil {
				return nil, d.nl + 1, 0, err
			}
			key := string(d.shell[start:])
			if c, ok := d.ws(); !ok || c != ':' {
				return nil, d.nl + 1, 0, d.fail("want ':' after an object key")
			}
			d.readByte()
			d.shell = append(d.shell, ':')
			c, _ = d.ws()
			if c == '[' && (key == `"items"` || key == `"events"` || key == `"logEvents"` || key == `"entries"`) {
				d.readByte()
				d.shell = append(d.shell, '[', ']')
				d.found = true
				d.inArray, d.arrayFirst, d.index = true, true, 0
				continue
			}
			if _, err := d.value(&d.shell, d.max+1); err != nil {
				return nil, d.nl + 1, 0, err
			}
			continue
		}
		c, ok := d.ws()
		if !ok {
			if d.l.err != nil {
				return nil, d.nl + 1, 0, d.fail("")
			}
			return nil, 0, 0, io.EOF
		}
		switch c {
		case '[':
			d.readByte()
			d.inArray, d.arrayFirst, d.index = true, true, 0
		case '{':
			d.readByte()
			d.inObject, d.objectFirst, d.found = true, true, false
			d.shell = append(d.shell[:0], '{')
			d.shellLine = d.nl + 1
		default:
			line := d.nl + 1
			d.rec = d.rec[:0]
			if _, err := d.value(&d.rec, d.max); err != nil {
				return nil, line, 0, err
			}
			if len(d.rec) == 0 {
				d.readByte() // a stray ',' or closing bracket
				return nil, line, 0, errors.New("not a JSON document")
			}
			return d.rec, line, 0, nil
		}
	}
}

// gzipReader unpacks a .gz input, bounding its expansion.
type gzipReader struct {
	zr    *gzip.Reader
	in    *countingReader
	out   int64
	ratio int64
}

func newGzipReader(r io.Reader, in *countingReader, ratio int) (*gzipReader, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("gzip: %w", err)
	}
	return &gzipReader{zr: zr, in: in, ratio: int64(ratio)}, nil
}

func (g *gzipReader) Read(p []byte) (int, error) {
	n, err := g.zr.Read(p)
	g.out += int64(n)
	if g.out > gzipSlack && g.out > g.ratio*g.in.n {
		return n, fmt.Errorf("gzip: expands more than %d times (a decompression bomb?): the rest is not read", g.ratio)
	}
	if err != nil && err != io.EOF {
		err = fmt.Errorf("gzip: %w", err)
	}
	return n, err
}

func (g *gzipReader) Close() error { return g.zr.Close() }

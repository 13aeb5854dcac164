package load

import (
	"bufio"
	"bytes"
	"io"
)

// document is one YAML document cut from a stream, with the 1-based line it starts on.
type document struct {
	index int
	line  int
	data  []byte
}

// splitDocuments reads a YAML stream and calls emit for each document, in order. It cuts
// on "---" and "..." markers at the start of a line, which the YAML spec reserves at
// column 0, so no parse is needed to find document boundaries. It strips a leading BOM
// and turns CRLF into LF. Documents that hold only blanks and comments are not emitted
// but still count towards document indexes, so indexes match what a person counts.
func splitDocuments(r io.Reader, emit func(document) error) error {
	var sp splitter
	return sp.split(r, emit)
}

// splitter keeps its read buffer and document scratch space between streams, so a
// walk over many files allocates them once.
type splitter struct {
	br  *bufio.Reader
	cur []byte
}

func (sp *splitter) split(r io.Reader, emit func(document) error) error {
	if sp.br == nil {
		sp.br = bufio.NewReaderSize(r, 64<<10)
	} else {
		sp.br.Reset(r)
	}
	br := sp.br
	cur := sp.cur[:0]
	defer func() { sp.cur = cur[:0] }()
	var (
		lineNo    int
		start     = 1
		index     int
		hasMarker bool
		line      []byte
	)
	flush := func(next int) error {
		isBlank := blank(cur)
		if !isBlank {
			// cur is reused across documents; each document gets an exact-size copy.
			doc := document{index: index, line: start, data: append([]byte(nil), cur...)}
			if err := emit(doc); err != nil {
				return err
			}
		}
		cur = cur[:0]
		if !isBlank || hasMarker {
			index++
		}
		start = next
		hasMarker = false
		return nil
	}
	for {
		chunk, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			line = append(line[:0], chunk...)
			for err == bufio.ErrBufferFull {
				chunk, err = br.ReadSlice('\n')
				line = append(line, chunk...)
			}
			chunk = line
		}
		if err != nil && err != io.EOF {
			return err
		}
		if len(chunk) > 0 {
			lineNo++
			if lineNo == 1 {
				chunk = bytes.TrimPrefix(chunk, []byte("\xef\xbb\xbf"))
			}
			if n := len(chunk); n >= 2 && chunk[n-2] == '\r' && chunk[n-1] == '\n' {
				chunk = append(chunk[:n-2], '\n')
			}
			switch {
			case isMarker(chunk, "---"):
				if len(cur) > 0 || hasMarker || index > 0 {
					if err := flush(lineNo); err != nil {
						return err
					}
				} else {
					start = lineNo
				}
				hasMarker = true
				// Content after the marker ("--- {a: 1}", "--- |") belongs to the document.
				rest := bytes.TrimLeft(chunk[3:], " \t")
				if len(rest) > 0 && rest[0] != '#' && rest[0] != '\n' {
					cur = append(cur, rest...)
				} else {
					cur = append(cur, '\n')
				}
			case isMarker(chunk, "..."):
				cur = append(cur, '\n')
				if err := flush(lineNo + 1); err != nil {
					return err
				}
			default:
				cur = append(cur, chunk...)
			}
		}
		if err == io.EOF {
			break
		}
	}
	if len(cur) > 0 || hasMarker {
		return flush(lineNo + 1)
	}
	return nil
}

// isMarker reports whether line is the marker m followed by a blank or the line end.
func isMarker(line []byte, m string) bool {
	if len(line) < 3 || string(line[:3]) != m {
		return false
	}
	return len(line) == 3 || line[3] == ' ' || line[3] == '\t' || line[3] == '\n' || line[3] == '\r'
}

// blank reports whether a document holds only whitespace, comments and directives.
func blank(b []byte) bool {
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		var l []byte
		if i < 0 {
			l, b = b, nil
		} else {
			l, b = b[:i], b[i+1:]
		}
		l = bytes.TrimLeft(l, " \t\r")
		if len(l) > 0 && l[0] != '#' && l[0] != '%' {
			return false
		}
	}
	return true
}

// Package yamlpos reads positions out of go.yaml.in/yaml/v3 error messages, so every
// reader of YAML in Palisade (manifests, configuration) names the same, right line.
package yamlpos

import (
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

var lineRE = regexp.MustCompile(`^yaml: line (\d+): `)

// parserProblems are the problems yaml.v3 raises from its parser (not its scanner).
// For those it reports the 0-based line of the mark, not the 1-based one.
var parserProblems = map[string]bool{
	"did not find expected ',' or ']'": true, "did not find expected ',' or '}'": true,
	"did not find expected '-' indicator": true, "did not find expected key": true,
	"did not find expected node content": true, "found undefined tag handle": true,
	"did not find expected <document start>": true, "did not find expected <stream-start>": true,
	"found duplicate %TAG directive": true, "found duplicate %YAML directive": true,
	"found incompatible YAML document": true,
}

// Split returns the 1-based line a yaml.v3 syntax error names (0 if none) and the
// message without the "yaml: line N:" prefix.
func Split(err error) (line int, msg string) {
	msg = err.Error()
	m := lineRE.FindStringSubmatch(msg)
	if m == nil {
		return 0, strings.TrimPrefix(msg, "yaml: ")
	}
	line, _ = strconv.Atoi(m[1])
	msg = msg[len(m[0]):]
	if parserProblems[msg] {
		line++
	}
	return line, msg
}

// readerProblems are the problems yaml.v3 raises while decoding its input's encoding:
// invalid UTF-8 and characters YAML does not allow (NUL and other control characters).
// Their messages carry no position.
var readerProblems = map[string]bool{
	"invalid leading UTF-8 octet": true, "incomplete UTF-8 octet sequence": true,
	"invalid trailing UTF-8 octet": true, "invalid length of a UTF-8 sequence": true,
	"invalid Unicode character": true, "control characters are not allowed": true,
}

// EncodingProblem reports whether msg (without its "yaml: " prefix) is a problem of
// the input's encoding.
func EncodingProblem(msg string) bool { return readerProblems[msg] }

// Locate is Split for an error yaml.v3 returned on data: problems of the input's
// encoding, which yaml.v3 reports without a position, are placed on the line of the
// first character it cannot read.
func Locate(err error, data []byte) (line int, msg string) {
	line, msg = Split(err)
	if line == 0 && EncodingProblem(msg) {
		if off := Unreadable(data); off >= 0 {
			line = LineAt(data, off)
		}
	}
	return line, msg
}

// Unreadable returns the offset of the first character of data that yaml.v3 refuses
// (invalid UTF-8, a surrogate, or a character outside YAML's printable set, NUL and
// other control characters included), or -1.
func Unreadable(data []byte) int {
	for i := 0; i < len(data); {
		c := data[i]
		if c >= 0x20 && c <= 0x7E || c == '\t' || c == '\n' || c == '\r' {
			i++
			continue
		}
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size <= 1 {
			return i
		}
		switch {
		case r == 0x85, r >= 0xA0 && r <= 0xD7FF, r >= 0xE000 && r <= 0xFFFD, r >= 0x10000 && r <= 0x10FFFF:
		default:
			return i
		}
		i += size
	}
	return -1
}

// LineAt returns the 1-based line of offset off in data, counting line breaks as
// yaml.v3 does: LF, CR, CRLF (once), NEL, LS and PS.
func LineAt(data []byte, off int) int {
	line := 1
	for i := 0; i < off && i < len(data); i++ {
		switch c := data[i]; {
		case c == '\n':
			line++
		case c == '\r':
			if i+1 >= len(data) || data[i+1] != '\n' {
				line++
			}
		case c == 0xC2 && i+1 < len(data) && data[i+1] == 0x85:
			line++
			i++
		case c == 0xE2 && i+2 < len(data) && data[i+1] == 0x80 && (data[i+2] == 0xA8 || data[i+2] == 0xA9):
			line++
			i += 2
		}
	}
	return line
}

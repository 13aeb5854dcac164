package auditlog

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// The scanner below reads JSON the way encoding/json does (the same grammar, the same
// nesting bound, the same string unescaping with invalid UTF-8 and lone surrogates
// replaced by U+FFFD, the same case-insensitive field names), in one pass over the
// input, without reflection. Errors name an offset and what was expected, never the
// bytes of the input (a body may hold a secret).

// maxDepth is encoding/json's nesting bound.
const maxDepth = 10000

// syntaxError is invalid JSON.
type syntaxError struct {
	msg string
	off int
}

func (e *syntaxError) Error() string { return fmt.Sprintf("invalid JSON: %s at byte %d", e.msg, e.off) }

// typeError is valid JSON that does not fit the type of a field.
type typeError struct {
	field, want, got string
}

func (e *typeError) Error() string {
	return fmt.Sprintf("field %s: want %s, got %s", e.field, e.want, e.got)
}

// scanner holds the input and a scratch buffer for unescaped strings.
type scanner struct {
	buf     []byte
	pos     int
	depth   int
	scratch []byte
}

func (s *scanner) reset(b []byte) {
	s.buf, s.pos, s.depth = b, 0, 0
}

func (s *scanner) errf(msg string) error { return &syntaxError{msg: msg, off: s.pos} }

func (s *scanner) eof() error { return &syntaxError{msg: "unexpected end of input", off: len(s.buf)} }

func (s *scanner) ws() {
	for s.pos < len(s.buf) {
		switch s.buf[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// peek skips white space and returns the next byte (0 at the end).
func (s *scanner) peek() byte {
	s.ws()
	if s.pos >= len(s.buf) {
		return 0
	}
	return s.buf[s.pos]
}

// kind names the JSON type starting with c, for type errors.
func kind(c byte) string {
	switch c {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "bool"
	case 'n':
		return "null"
	}
	return "number"
}

// end checks that only white space follows the value.
func (s *scanner) end() error {
	s.ws()
	if s.pos != len(s.buf) {
		return s.errf("data after the top-level value")
	}
	return nil
}

// null consumes a null literal if one is next.
func (s *scanner) null() (bool, error) {
	if s.peek() != 'n' {
		return false, nil
	}
	return true, s.literal("null")
}

func (s *scanner) literal(lit string) error {
	if len(s.buf)-s.pos < len(lit) {
		if string(s.buf[s.pos:]) == lit[:len(s.buf)-s.pos] {
			return s.eof()
		}
		return s.errf("invalid literal")
	}
	if string(s.buf[s.pos:s.pos+len(lit)]) != lit {
		return s.errf("invalid literal")
	}
	s.pos += len(lit)
	return nil
}

// beginObject consumes '{' (after white space).
func (s *scanner) beginObject() error {
	if c := s.peek(); c != '{' {
		if c == 0 {
			return s.eof()
		}
		return s.errf("want object")
	}
	s.pos++
	s.depth++
	if s.depth > maxDepth {
		return s.errf("nesting too deep")
	}
	return nil
}

// nextKey returns the next key of an object whose '{' beginObject consumed, with its
// ':' consumed; ok is false at the closing '}'. first is true before the first key.
// The key is only valid until the next string is read.
func (s *scanner) nextKey(first *bool) (key []byte, ok bool, err error) {
	c := s.peek()
	if *first {
		*first = false
		if c == '}' {
			s.pos++
			s.depth--
			return nil, false, nil
		}
	} else {
		switch c {
		case ',':
			s.pos++
			c = s.peek()
		case '}':
			s.pos++
			s.depth--
			return nil, false, nil
		case 0:
			return nil, false, s.eof()
		default:
			return nil, false, s.errf("want ',' or '}' after object member")
		}
	}
	if c != '"' {
		if c == 0 {
			return nil, false, s.eof()
		}
		return nil, false, s.errf("want object key")
	}
	key, err = s.str()
	if err != nil {
		return nil, false, err
	}
	if c := s.peek(); c != ':' {
		if c == 0 {
			return nil, false, s.eof()
		}
		return nil, false, s.errf("want ':' after object key")
	}
	s.pos++
	return key, true, nil
}

func (s *scanner) beginArray() error {
	if c := s.peek(); c != '[' {
		if c == 0 {
			return s.eof()
		}
		return s.errf("want array")
	}
	s.pos++
	s.depth++
	if s.depth > maxDepth {
		return s.errf("nesting too deep")
	}
	return nil
}

// nextElem reports whether an element of the array follows (its first byte is next).
func (s *scanner) nextElem(first *bool) (bool, error) {
	c := s.peek()
	if *first {
		*first = false
		if c == ']' {
			s.pos++
			s.depth--
			return false, nil
		}
		if c == 0 {
			return false, s.eof()
		}
		return true, nil
	}
	switch c {
	case ',':
		s.pos++
		if s.peek() == 0 {
			return false, s.eof()
		}
		return true, nil
	case ']':
		s.pos++
		s.depth--
		return false, nil
	case 0:
		return false, s.eof()
	}
	return false, s.errf("want ',' or ']' after array element")
}

// str reads a string (at its opening quote) and returns its unescaped bytes: a slice
// of the input when it holds no escape and is valid UTF-8, else of the scratch buffer.
func (s *scanner) str() ([]byte, error) {
	start := s.pos + 1
	ascii := true
	for i := start; i < len(s.buf); i++ {
		// Eight plain bytes at a time, then one at a time.
		for i+8 <= len(s.buf) && !special8(binary.LittleEndian.Uint64(s.buf[i:])) {
			i += 8
		}
		if i >= len(s.buf) {
			break
		}
		c := s.buf[i]
		if plain[c] {
			continue
		}
		switch {
		case c == '"':
			s.pos = i + 1
			b := s.buf[start:i]
			if !ascii && !utf8.Valid(b) {
				return s.unescape(start)
			}
			return b, nil
		case c == '\\':
			return s.unescape(start)
		case c < 0x20:
			s.pos = i
			return nil, s.errf("control character in string")
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return nil, s.eof()
}

// unescape reads the string from start (after its opening quote) into the scratch
// buffer, as encoding/json unquotes.
func (s *scanner) unescape(start int) ([]byte, error) {
	out := s.scratch[:0]
	i := start
	for i < len(s.buf) {
		c := s.buf[i]
		switch {
		case c == '"':
			s.pos = i + 1
			s.scratch = out
			return out, nil
		case c == '\\':
			if i+1 >= len(s.buf) {
				return nil, s.eof()
			}
			switch e := s.buf[i+1]; e {
			case '"', '\\', '/':
				out = append(out, e)
				i += 2
			case 'b':
				out = append(out, '\b')
				i += 2
			case 'f':
				out = append(out, '\f')
				i += 2
			case 'n':
				out = append(out, '\n')
				i += 2
			case 'r':
				out = append(out, '\r')
				i += 2
			case 't':
				out = append(out, '\t')
				i += 2
			case 'u':
				r := hex4(s.buf[i:])
				if r < 0 {
					if len(s.buf)-i < 6 && allHex(s.buf[i+2:]) {
						return nil, s.eof()
					}
					s.pos = i
					return nil, s.errf("invalid \\u escape")
				}
				i += 6
				if utf16.IsSurrogate(r) {
					if r2 := hex4(s.buf[i:]); r2 >= 0 {
						if dec := utf16.DecodeRune(r, r2); dec != unicode.ReplacementChar {
							out = utf8.AppendRune(out, dec)
							i += 6
							break
						}
					}
					r = unicode.ReplacementChar
				}
				out = utf8.AppendRune(out, r)
			default:
				s.pos = i
				return nil, s.errf("invalid escape")
			}
		case c < 0x20:
			s.pos = i
			return nil, s.errf("control character in string")
		case c < utf8.RuneSelf:
			out = append(out, c)
			i++
		default:
			r, n := utf8.DecodeRune(s.buf[i:])
			out = utf8.AppendRune(out, r)
			i += n
		}
	}
	s.scratch = out
	return nil, s.eof()
}

func allHex(b []byte) bool {
	for _, c := range b {
		if hexVal(c) < 0 {
			return false
		}
	}
	return true
}

func hexVal(c byte) rune {
	switch {
	case '0' <= c && c <= '9':
		return rune(c - '0')
	case 'a' <= c && c <= 'f':
		return rune(c - 'a' + 10)
	case 'A' <= c && c <= 'F':
		return rune(c - 'A' + 10)
	}
	return -1
}

// hex4 decodes `\uXXXX` at the start of b, or returns -1.
func hex4(b []byte) rune {
	if len(b) < 6 || b[0] != '\\' || b[1] != 'u' {
		return -1
	}
	var r rune
	for _, c := range b[2:6] {
		v := hexVal(c)
		if v < 0 {
			return -1
		}
		r = r<<4 | v
	}
	return r
}

// plain are the bytes a string holds as they are: not a quote, a backslash, a
// control character or the start of a multi-byte rune.
var plain = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// special8 reports whether one of the eight bytes of x may be a quote, a backslash,
// a control character or a byte of a multi-byte rune (it may say yes for a plain
// byte after one that is: the caller then looks byte by byte; never no for one).
func special8(x uint64) bool {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	q := x ^ (lo * '"')
	b := x ^ (lo * '\\')
	return ((q-lo)&^q|(b-lo)&^b|(x-lo*0x20)&^x|x)&hi != 0
}

// skipString validates and skips a string (at its opening quote) without unescaping.
func (s *scanner) skipString() error {
	i := s.pos + 1
	for i < len(s.buf) {
		if i+8 <= len(s.buf) && !special8(binary.LittleEndian.Uint64(s.buf[i:])&^0x8080808080808080) {
			i += 8
			continue
		}
		c := s.buf[i]
		if plain[c] || c >= 0x80 {
			i++
			continue
		}
		switch {
		case c == '"':
			s.pos = i + 1
			return nil
		case c == '\\':
			if i+1 >= len(s.buf) {
				return s.eof()
			}
			switch s.buf[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if hex4(s.buf[i:]) < 0 {
					if len(s.buf)-i < 6 && allHex(s.buf[i+2:]) {
						return s.eof()
					}
					s.pos = i
					return s.errf("invalid \\u escape")
				}
				i += 6
			default:
				s.pos = i
				return s.errf("invalid escape")
			}
		case c < 0x20:
			s.pos = i
			return s.errf("control character in string")
		default:
			i++
		}
	}
	return s.eof()
}

// number validates and skips a number, returning its text.
func (s *scanner) number() ([]byte, error) {
	start := s.pos
	i := s.pos
	n := len(s.buf)
	if i < n && s.buf[i] == '-' {
		i++
	}
	if i >= n {
		return nil, s.eof()
	}
	switch c := s.buf[i]; {
	case c == '0':
		i++
	case '1' <= c && c <= '9':
		for i < n && '0' <= s.buf[i] && s.buf[i] <= '9' {
			i++
		}
	default:
		s.pos = i
		return nil, s.errf("invalid number")
	}
	if i < n && s.buf[i] == '.' {
		i++
		if i >= n {
			return nil, s.eof()
		}
		if s.buf[i] < '0' || s.buf[i] > '9' {
			s.pos = i
			return nil, s.errf("invalid number")
		}
		for i < n && '0' <= s.buf[i] && s.buf[i] <= '9' {
			i++
		}
	}
	if i < n && (s.buf[i] == 'e' || s.buf[i] == 'E') {
		i++
		if i < n && (s.buf[i] == '+' || s.buf[i] == '-') {
			i++
		}
		if i >= n {
			return nil, s.eof()
		}
		if s.buf[i] < '0' || s.buf[i] > '9' {
			s.pos = i
			return nil, s.errf("invalid number")
		}
		for i < n && '0' <= s.buf[i] && s.buf[i] <= '9' {
			i++
		}
	}
	s.pos = i
	return s.buf[start:i], nil
}

// skip validates and skips one value of any type.
func (s *scanner) skip() error {
	switch c := s.peek(); c {
	case '{':
		if err := s.beginObject(); err != nil {
			return err
		}
		for first := true; ; {
			_, ok, err := s.nextKeyRaw(&first)
			if err != nil || !ok {
				return err
			}
			if err := s.skip(); err != nil {
				return err
			}
		}
	case '[':
		if err := s.beginArray(); err != nil {
			return err
		}
		for first := true; ; {
			ok, err := s.nextElem(&first)
			if err != nil || !ok {
				return err
			}
			if err := s.skip(); err != nil {
				return err
			}
		}
	case '"':
		return s.skipString()
	case 't':
		return s.literal("true")
	case 'f':
		return s.literal("false")
	case 'n':
		return s.literal("null")
	case 0:
		return s.eof()
	default:
		if c == '-' || ('0' <= c && c <= '9') {
			_, err := s.number()
			return err
		}
		return s.errf("invalid character")
	}
}

// nextKeyRaw is nextKey for skipping: the key is validated, not unescaped.
func (s *scanner) nextKeyRaw(first *bool) (struct{}, bool, error) {
	c := s.peek()
	if *first {
		*first = false
		if c == '}' {
			s.pos++
			s.depth--
			return struct{}{}, false, nil
		}
	} else {
		switch c {
		case ',':
			s.pos++
			c = s.peek()
		case '}':
			s.pos++
			s.depth--
			return struct{}{}, false, nil
		case 0:
			return struct{}{}, false, s.eof()
		default:
			return struct{}{}, false, s.errf("want ',' or '}' after object member")
		}
	}
	if c != '"' {
		if c == 0 {
			return struct{}{}, false, s.eof()
		}
		return struct{}{}, false, s.errf("want object key")
	}
	if err := s.skipString(); err != nil {
		return struct{}{}, false, err
	}
	if c := s.peek(); c != ':' {
		if c == 0 {
			return struct{}{}, false, s.eof()
		}
		return struct{}{}, false, s.errf("want ':' after object key")
	}
	s.pos++
	return struct{}{}, true, nil
}

// raw validates and skips one value, returning its bytes (no surrounding space).
func (s *scanner) raw() ([]byte, error) {
	s.ws()
	start := s.pos
	if err := s.skip(); err != nil {
		return nil, err
	}
	return s.buf[start:s.pos], nil
}

// int parses an integer number of at most bits bits, as encoding/json does for an
// integer field: a fraction or an exponent does not fit.
func parseInt(num []byte, bits int) (int64, bool) {
	n, err := strconv.ParseInt(string(num), 10, bits)
	return n, err == nil
}

// foldName folds a field name as encoding/json does for its case-insensitive match:
// ASCII letters to upper case, other runes to the smallest rune of their fold set.
func foldName(in []byte) string {
	var arr [32]byte
	out := arr[:0]
	for i := 0; i < len(in); {
		if c := in[i]; c < utf8.RuneSelf {
			if 'a' <= c && c <= 'z' {
				c -= 'a' - 'A'
			}
			out = append(out, c)
			i++
			continue
		}
		r, n := utf8.DecodeRune(in[i:])
		for {
			r2 := unicode.SimpleFold(r)
			if r2 <= r {
				r = r2
				break
			}
			r = r2
		}
		out = utf8.AppendRune(out, r)
		i += n
	}
	return string(out)
}

// fields maps the names of a struct's fields to their index, exactly and folded.
type fields struct {
	names  []string
	byLen  [48][]int // the fields whose name has this length
	folded map[string]int
}

func newFields(names ...string) *fields {
	f := &fields{names: names, folded: map[string]int{}}
	for i, n := range names {
		f.byLen[len(n)] = append(f.byLen[len(n)], i)
		f.folded[foldName([]byte(n))] = i
	}
	return f
}

// index returns the field a key names, or -1.
func (f *fields) index(key []byte) int {
	if len(key) < len(f.byLen) {
		for _, i := range f.byLen[len(key)] {
			if f.names[i] == string(key) {
				return i
			}
		}
	}
	if i, ok := f.folded[foldName(key)]; ok {
		return i
	}
	return -1
}

var errNotObject = errors.New("not a JSON object")

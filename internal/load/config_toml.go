package load

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"time"
	"unicode/utf8"

	"github.com/BurntSushi/toml"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
)

// maxTOMLDepth bounds how deep arrays and inline tables of a TOML file nest: the
// library's parser recurses once per level, and a file of a million "[" must be an
// input error, not a stack overflow.
const maxTOMLDepth = 512

// parseTOML reads a TOML file with github.com/BurntSushi/toml; the lines of its keys
// come from tomlLines, which reads the same text for them alone.
func parseTOML(data []byte, base finding.Location, opts *Options) ([]*inventory.Object, []finding.InputError) {
	fail := func(line int, msg string) ([]*inventory.Object, []finding.InputError) {
		loc := base
		loc.Line = max(line, 1)
		return nil, []finding.InputError{{Location: loc, Message: "invalid TOML: " + msg}}
	}
	if d, line := tomlDepth(data); d > maxTOMLDepth {
		return fail(line, fmt.Sprintf("arrays and inline tables nest more than %d deep", maxTOMLDepth))
	}
	if !utf8.Valid(data) {
		return fail(invalidUTF8Line(data), "not UTF-8")
	}
	var tree map[string]any
	if _, err := toml.NewDecoder(bytes.NewReader(data)).Decode(&tree); err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return fail(pe.Position.Line, untrusted(pe.Message))
		}
		return fail(1, untrusted(err.Error()))
	}
	norm, _ := normalizeTOML(tree).(map[string]any)
	if norm == nil {
		norm = map[string]any{}
	}
	o := newConfigObject(base, 1, formatTOML)
	o.SOPS = sopsFromTree(norm)
	if decodeConfig(opts) {
		o.Body, o.Lines = map[string]any{"data": norm}, tomlLines(data)
		stripSOPS(o, norm)
	}
	return []*inventory.Object{o}, nil
}

func invalidUTF8Line(data []byte) int {
	line := 1
	for len(data) > 0 {
		r, n := utf8.DecodeRune(data)
		if r == utf8.RuneError && n <= 1 {
			return line
		}
		if r == '\n' {
			line++
		}
		data = data[n:]
	}
	return line
}

// normalizeTOML turns the library's values into JSON-compatible ones: arrays of
// tables into []any, dates and times into RFC 3339 text, NaN and infinities into
// their TOML spelling.
func normalizeTOML(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			v[k] = normalizeTOML(e)
		}
		return v
	case []map[string]any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = normalizeTOML(e)
		}
		return out
	case []any:
		for i, e := range v {
			v[i] = normalizeTOML(e)
		}
		return v
	case time.Time:
		return v.Format(time.RFC3339Nano)
	case float64:
		switch {
		case math.IsNaN(v):
			return "nan"
		case math.IsInf(v, 1):
			return "inf"
		case math.IsInf(v, -1):
			return "-inf"
		}
	}
	return v
}

// tomlDepth returns how deep arrays and inline tables nest in a TOML text (strings
// and comments skipped), stopping at the first line past maxTOMLDepth.
func tomlDepth(data []byte) (depth, line int) {
	d, maxd, ln := 0, 0, 1
	for i := 0; i < len(data); i++ {
		switch c := data[i]; c {
		case '\n':
			ln++
		case '#':
			for i+1 < len(data) && data[i+1] != '\n' {
				i++
			}
		case '"', '\'':
			end := skipTOMLString(data, i)
			ln += bytes.Count(data[i:end], []byte{'\n'})
			i = end - 1
		case '[', '{':
			d++
			if d > maxd {
				maxd = d
				if d > maxTOMLDepth {
					return d, ln
				}
			}
		case ']', '}':
			if d > 0 {
				d--
			}
		}
	}
	return maxd, ln
}

// skipTOMLString returns the index after the string that starts at data[i] (a quote):
// basic or literal, single-line or multi-line (in triple quotes). An unclosed
// string runs to the end of its line (single) or of the text (multi-line).
func skipTOMLString(data []byte, i int) int {
	q := data[i]
	if i+2 < len(data) && data[i+1] == q && data[i+2] == q {
		j := i + 3
		for j < len(data) {
			if q == '"' && data[j] == '\\' {
				j += 2
				continue
			}
			if data[j] == q && j+2 < len(data) && data[j+1] == q && data[j+2] == q {
				j += 3
				// Up to two more quotes belong to the string ("""a"""").
				for k := 0; k < 2 && j < len(data) && data[j] == q; k++ {
					j++
				}
				return j
			}
			j++
		}
		return len(data)
	}
	j := i + 1
	for j < len(data) && data[j] != '\n' {
		if q == '"' && data[j] == '\\' {
			j += 2
			continue
		}
		if data[j] == q {
			return j + 1
		}
		j++
	}
	return min(j, len(data))
}

// tomlLines finds the line of every key, table, array element and array-of-tables
// element of a valid TOML text, under "data". It reads only what it needs (keys,
// headers, the shape of values) and is lenient: the text was parsed already.
func tomlLines(data []byte) *inventory.Lines {
	s := &tomlScanner{data: data, line: 1, lines: inventory.NewLines(0), arrays: map[tomlArray]int{}}
	root, _ := s.lines.Add(inventory.Root, "data", -1, 1)
	s.run(root)
	return s.lines
}

type tomlArray struct {
	parent int32
	key    string
}

type tomlScanner struct {
	data  []byte
	i     int
	line  int
	lines *inventory.Lines
	// arrays counts the elements of each array of tables ([[a]]) so far.
	arrays map[tomlArray]int
}

func (s *tomlScanner) run(root int32) {
	table := root
	for s.i < len(s.data) {
		s.skipSpace(true)
		if s.i >= len(s.data) {
			break
		}
		start, line := s.i, s.line
		if s.data[s.i] == '[' {
			arr := s.i+1 < len(s.data) && s.data[s.i+1] == '['
			s.i++
			if arr {
				s.i++
			}
			keys := s.keys()
			table = s.header(root, keys, arr, line)
			s.toEOL()
			continue
		}
		keys := s.keys()
		s.skipSpace(false)
		if len(keys) == 0 || s.i >= len(s.data) || s.data[s.i] != '=' {
			s.toEOL()
			if s.i == start {
				s.i++
			}
			continue
		}
		s.i++
		s.skipSpace(false)
		s.value(s.path(table, keys, line))
		s.toEOL()
	}
}

// step is the field key below parent; an array of tables stands for its last element.
func (s *tomlScanner) step(parent int32, key string, line int) int32 {
	id, _ := s.lines.Add(parent, key, -1, line)
	if n := s.arrays[tomlArray{parent, key}]; n > 0 {
		id, _ = s.lines.Add(id, "", n-1, line)
	}
	return id
}

func (s *tomlScanner) path(parent int32, keys []string, line int) int32 {
	for _, k := range keys {
		parent = s.step(parent, k, line)
	}
	return parent
}

func (s *tomlScanner) header(root int32, keys []string, arr bool, line int) int32 {
	if len(keys) == 0 {
		return root
	}
	parent := s.path(root, keys[:len(keys)-1], line)
	last := keys[len(keys)-1]
	if !arr {
		return s.step(parent, last, line)
	}
	a := tomlArray{parent, last}
	n := s.arrays[a]
	s.arrays[a] = n + 1
	id, _ := s.lines.Add(parent, last, -1, line)
	el, _ := s.lines.Add(id, "", n, line)
	return el
}

// value reads the value at s.i, recording the lines of the fields inside it.
func (s *tomlScanner) value(id int32) {
	if s.i >= len(s.data) {
		return
	}
	start := s.i
	switch c := s.data[s.i]; c {
	case '"', '\'':
		end := skipTOMLString(s.data, s.i)
		s.line += bytes.Count(s.data[s.i:end], []byte{'\n'})
		s.i = end
	case '[':
		s.i++
		for idx := 0; s.i < len(s.data); idx++ {
			s.skipSpace(true)
			if s.i >= len(s.data) || s.data[s.i] == ']' {
				s.i++
				return
			}
			el, _ := s.lines.Add(id, "", idx, s.line)
			at := s.i
			s.value(el)
			s.skipSpace(true)
			if s.i < len(s.data) && s.data[s.i] == ',' {
				s.i++
			} else if s.i == at {
				s.i++
			}
		}
	case '{':
		s.i++
		for s.i < len(s.data) {
			s.skipSpace(true)
			if s.i >= len(s.data) || s.data[s.i] == '}' {
				s.i++
				return
			}
			at, line := s.i, s.line
			keys := s.keys()
			s.skipSpace(false)
			if len(keys) > 0 && s.i < len(s.data) && s.data[s.i] == '=' {
				s.i++
				s.skipSpace(false)
				s.value(s.path(id, keys, line))
			}
			s.skipSpace(true)
			if s.i < len(s.data) && s.data[s.i] == ',' {
				s.i++
			} else if s.i == at {
				s.i++
			}
		}
	default:
		for s.i < len(s.data) {
			switch s.data[s.i] {
			case ',', ']', '}', '\n', '#':
				if s.i == start {
					s.i++
				}
				return
			}
			s.i++
		}
	}
}

// keys reads a dotted key: bare, "basic" or 'literal' parts.
func (s *tomlScanner) keys() []string {
	var keys []string
	for s.i < len(s.data) {
		s.skipSpace(false)
		if s.i >= len(s.data) {
			break
		}
		switch c := s.data[s.i]; {
		case c == '"' || c == '\'':
			end := skipTOMLString(s.data, s.i)
			raw := s.data[s.i:end]
			s.i = end
			var k string
			if c == '\'' || len(raw) < 2 {
				k = string(bytes.Trim(raw, "'"))
			} else if err := toml.Unmarshal(append(append([]byte("k = "), raw...), '\n'), &struct {
				K *string `toml:"k"`
			}{K: &k}); err != nil {
				k = string(raw[1 : len(raw)-1])
			}
			keys = append(keys, k)
		case c == '_' || c == '-' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9':
			st := s.i
			for s.i < len(s.data) {
				c := s.data[s.i]
				if !(c == '_' || c == '-' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
					break
				}
				s.i++
			}
			keys = append(keys, string(s.data[st:s.i]))
		default:
			return keys
		}
		s.skipSpace(false)
		if s.i < len(s.data) && s.data[s.i] == '.' {
			s.i++
			continue
		}
		break
	}
	return keys
}

// skipSpace skips blanks, and with newlines also line breaks and comments.
func (s *tomlScanner) skipSpace(newlines bool) {
	for s.i < len(s.data) {
		switch s.data[s.i] {
		case ' ', '\t', '\r':
			s.i++
		case '\n':
			if !newlines {
				return
			}
			s.i++
			s.line++
		case '#':
			if !newlines {
				return
			}
			for s.i < len(s.data) && s.data[s.i] != '\n' {
				s.i++
			}
		default:
			return
		}
	}
}

// toEOL skips the rest of the line (a comment) and its break.
func (s *tomlScanner) toEOL() {
	for s.i < len(s.data) && s.data[s.i] != '\n' {
		s.i++
	}
	if s.i < len(s.data) {
		s.i++
		s.line++
	}
}

package inventory

import (
	"iter"
	"strconv"
	"strings"
)

// Lines is the field-to-line table of a decoded object. Each field is stored as one
// step (a mapping key or a sequence index) below its parent field, never as its whole
// path, so the table grows with the number of fields and not with the length of their
// paths: a document nested thousands of levels deep costs memory linear in its size.
// Paths are spelled as FieldPath spells them ("spec.containers[0].image",
// "metadata.annotations['a.b/c']"). A nil table holds nothing.
type Lines struct {
	steps map[lineStep]lineField
	next  int32 // the id of the next field added (ids are never reused after Remove)
}

// lineStep names a field by its parent and its key or index.
type lineStep struct {
	parent int32 // the parent field's id, or -1 for the object itself
	index  int32 // the sequence index, or -1 for a mapping key
	key    string
}

type lineField struct{ id, line int32 }

// Root is the parent id of the object's top-level fields.
const Root int32 = -1

// NewLines returns an empty table with room for about n fields.
func NewLines(n int) *Lines { return &Lines{steps: make(map[lineStep]lineField, n)} }

// Add records line for the field one step below parent: its mapping key, or its
// sequence index when index >= 0. A field keeps the first line recorded for it; added
// reports whether it was new. The id names the field as a parent of further steps.
func (t *Lines) Add(parent int32, key string, index int, line int) (id int32, added bool) {
	s := lineStep{parent: parent, index: -1, key: key}
	if index >= 0 {
		s.index, s.key = int32(index), ""
	}
	if f, ok := t.steps[s]; ok {
		return f.id, false
	}
	id = t.next
	t.next++
	t.steps[s] = lineField{id: id, line: int32(line)}
	return id, true
}

// Len is the number of fields in the table.
func (t *Lines) Len() int {
	if t == nil {
		return 0
	}
	return len(t.steps)
}

// Line returns the line of the field at path.
func (t *Lines) Line(path string) (int, bool) {
	if line, n := t.Deepest(path); n == len(path) && n > 0 {
		return line, true
	}
	return 0, false
}

// Deepest returns the line of the longest prefix of path that is a field of the table
// and the length of that prefix (0 if none).
func (t *Lines) Deepest(path string) (line, n int) {
	if t == nil || len(t.steps) == 0 {
		return 0, 0
	}
	return t.deepest(Root, 0, path, 0)
}

// deepest resolves path from offset i, where the field at is known (line), and returns
// the line and end of the deepest field found.
func (t *Lines) deepest(at int32, line int, path string, i int) (int, int) {
	for i < len(path) {
		switch {
		case strings.HasPrefix(path[i:], "['"):
			// A quoted key ends at a "']" followed by the end of the path or another
			// step; a key may itself hold "']", so every such end is tried.
			bestLine, bestN := line, i
			for j := i + 2; ; j++ {
				k := strings.Index(path[j:], "']")
				if k < 0 {
					break
				}
				j += k
				after := j + 2
				if after < len(path) && path[after] != '.' && path[after] != '[' {
					continue
				}
				key := path[i+2 : j]
				if plainKey(key) {
					continue // FieldPath writes such a key dotted
				}
				if f, ok := t.steps[lineStep{parent: at, index: -1, key: key}]; ok {
					if l, n := t.deepest(f.id, int(f.line), path, after); n > bestN {
						bestLine, bestN = l, n
					}
				}
			}
			return bestLine, bestN
		case path[i] == '[':
			end := strings.IndexByte(path[i:], ']')
			if end < 0 {
				return line, i
			}
			digits := path[i+1 : i+end]
			idx, err := strconv.ParseInt(digits, 10, 32)
			if err != nil || idx < 0 || digits[0] == '+' || len(digits) > 1 && digits[0] == '0' {
				return line, i
			}
			f, ok := t.steps[lineStep{parent: at, index: int32(idx)}]
			if !ok {
				return line, i
			}
			at, line, i = f.id, int(f.line), i+end+1
		default:
			start := i
			if i > 0 {
				if path[i] != '.' {
					return line, i
				}
				start++
			}
			end := start
			for end < len(path) && path[end] != '.' && path[end] != '[' {
				end++
			}
			key := path[start:end]
			if !plainKey(key) {
				return line, i
			}
			f, ok := t.steps[lineStep{parent: at, index: -1, key: key}]
			if !ok {
				return line, i
			}
			at, line, i = f.id, int(f.line), end
		}
	}
	return line, i
}

// All yields every field path of the table with its line, in no particular order. It
// builds each path, so it costs the total length of all paths: for tests and tools,
// not for scans.
func (t *Lines) All() iter.Seq2[string, int] {
	return func(yield func(string, int) bool) {
		if t == nil {
			return
		}
		// Ids run to t.next: fields taken out by Remove leave gaps, and the fields
		// below them can no longer be reached.
		byID := make([]lineStep, t.next)
		present := make([]bool, t.next)
		for s, f := range t.steps {
			byID[f.id], present[f.id] = s, true
		}
		var path func(id int32) (string, bool)
		path = func(id int32) (string, bool) {
			if !present[id] {
				return "", false
			}
			s := byID[id]
			parent := ""
			if s.parent != Root {
				p, ok := path(s.parent)
				if !ok {
					return "", false
				}
				parent = p
			}
			if s.index >= 0 {
				return parent + "[" + strconv.Itoa(int(s.index)) + "]", true
			}
			return FieldPath(parent, s.key), true
		}
		for _, f := range t.steps {
			p, ok := path(f.id)
			if !ok {
				continue
			}
			if !yield(p, int(f.line)) {
				return
			}
		}
	}
}

// FieldPath joins a parent path and a key the way line tables spell paths: keys that
// are plain identifiers are dotted, others are bracketed and quoted.
func FieldPath(parent, key string) string {
	if !plainKey(key) {
		return parent + "['" + key + "']"
	}
	if parent == "" {
		return key
	}
	return parent + "." + key
}

// StepLen is how many bytes FieldPath adds to a parent path of length parent for key.
func StepLen(parent int, key string) int {
	switch {
	case !plainKey(key):
		return len(key) + 4
	case parent == 0:
		return len(key)
	}
	return len(key) + 1
}

// plainKey reports whether FieldPath writes key dotted.
func plainKey(key string) bool {
	if key == "" {
		return false
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		if !(c == '_' || c == '-' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// Remove forgets the field reached from the object by the mapping keys given (not
// sequence indexes), such as "metadata", "namespace"; the fields below it stay but
// can no longer be reached by a path.
func (t *Lines) Remove(keys ...string) {
	if t == nil || len(keys) == 0 {
		return
	}
	parent := Root
	for i, k := range keys {
		s := lineStep{parent: parent, index: -1, key: k}
		f, ok := t.steps[s]
		if !ok {
			return
		}
		if i == len(keys)-1 {
			delete(t.steps, s)
			return
		}
		parent = f.id
	}
}

package inventory

import (
	"bytes"
	"strconv"
	"testing"

	"github.com/palisade-k8s/palisade/internal/finding"
)

// table builds a line table from fields given as (parent path, key or index, line),
// in order; it returns the table and the path of each field.
func table(t *testing.T, fields []struct {
	parent string
	key    string
	index  int
	line   int
}) *Lines {
	t.Helper()
	l := NewLines(0)
	ids := map[string]int32{"": Root}
	for _, f := range fields {
		parent, ok := ids[f.parent]
		if !ok {
			t.Fatalf("no parent %q", f.parent)
		}
		id, _ := l.Add(parent, f.key, f.index, f.line)
		path := f.parent + "[" + strconv.Itoa(f.index) + "]"
		if f.index < 0 {
			path = FieldPath(f.parent, f.key)
		}
		ids[path] = id
	}
	return l
}

func TestLinesLookup(t *testing.T) {
	l := table(t, []struct {
		parent string
		key    string
		index  int
		line   int
	}{
		{"", "metadata", -1, 2},
		{"metadata", "annotations", -1, 3},
		{"metadata.annotations", "a.b/c", -1, 4},
		{"metadata.annotations", "x']", -1, 5},
		{"metadata.annotations", "x", -1, 6},
		{"metadata.annotations", "x'].y", -1, 7},
		{"", "spec", -1, 8},
		{"spec", "containers", -1, 9},
		{"spec.containers", "", 0, 10},
		{"spec.containers[0]", "image", -1, 11},
		{"spec.containers", "", 12, 12},
		{"spec", "0", -1, 13},
	})
	for _, tc := range []struct {
		path string
		line int
		ok   bool
	}{
		{"metadata", 2, true},
		{"metadata.annotations['a.b/c']", 4, true},
		{"metadata.annotations['x']']", 5, true},
		{"metadata.annotations.x", 6, true},
		{"metadata.annotations['x'].y']", 7, true},
		{"spec.containers[0].image", 11, true},
		{"spec.containers[12]", 12, true},
		{"spec.0", 13, true},
		// Spellings FieldPath never writes are not found.
		{"metadata.annotations.a.b/c", 0, false},
		{"metadata.annotations['x']", 0, false},
		{"spec.containers[00]", 0, false},
		{"spec.containers[+0]", 0, false},
		{"spec[0]", 0, false},
		{"spec.containers[0].name", 0, false},
		{"", 0, false},
	} {
		if line, ok := l.Line(tc.path); ok != tc.ok || line != tc.line {
			t.Errorf("Line(%q) = %d, %v; want %d, %v", tc.path, line, ok, tc.line, tc.ok)
		}
	}
	for _, tc := range []struct {
		path string
		line int
		n    int
	}{
		{"spec.containers[0].securityContext.privileged", 10, len("spec.containers[0]")},
		{"spec.containers[3].image", 9, len("spec.containers")},
		{"metadata.annotations['x'].y'].z", 7, len("metadata.annotations['x'].y']")},
		{"status", 0, 0},
	} {
		if line, n := l.Deepest(tc.path); line != tc.line || n != tc.n {
			t.Errorf("Deepest(%q) = %d, %d; want %d, %d", tc.path, line, n, tc.line, tc.n)
		}
	}
	if l.Len() != 12 {
		t.Errorf("Len = %d", l.Len())
	}
	var nilTable *Lines
	if _, ok := nilTable.Line("a"); ok || nilTable.Len() != 0 {
		t.Error("a nil table holds something")
	}
}

// LineOf answers from the table, and from the header lines for what lies deeper than
// the table knows (objects whose body was not decoded).
func TestLineOf(t *testing.T) {
	o := &Object{Origin: finding.Location{File: "a.yaml", Line: 1}}
	o.HeaderLines.Metadata, o.HeaderLines.Annotations = 2, 3
	o.HeaderLines.AnnotationKeys = []KeyLine{{Key: "a.b/c", Line: 4}}
	if got := o.LineOf("metadata.annotations['a.b/c']"); got != 4 {
		t.Errorf("undecoded annotation on line %d, want 4", got)
	}
	if got := o.LineOf("spec.x"); got != 1 {
		t.Errorf("missing field on line %d, want the object's 1", got)
	}
	o.Lines = NewLines(0)
	m, _ := o.Lines.Add(Root, "metadata", -1, 2)
	o.Lines.Add(m, "annotations", -1, 4) // a block mapping: the table has its first key's line
	if got := o.LineOf("metadata.annotations"); got != 4 {
		t.Errorf("annotations on line %d, want the table's 4", got)
	}
	if got := o.LineOf("metadata.annotations['a.b/c']"); got != 4 {
		t.Errorf("annotation key on line %d, want 4", got)
	}
}

// FuzzLinesPath builds a chain of fields from keys (NUL-separated; "#n" is index n)
// and checks that each is found by its FieldPath spelling, and that no path string
// makes a lookup fail or run away.
func FuzzLinesPath(f *testing.F) {
	for _, s := range []string{"spec\x00containers\x00#0\x00image", "a']\x00b", "a\x00a']['a\x00a", "x'].y\x00z", "']\x00']\x00'", "#3\x00#03"} {
		f.Add([]byte(s), "spec.containers[0]")
	}
	f.Fuzz(func(t *testing.T, keys []byte, probe string) {
		l := NewLines(0)
		at, path := Root, ""
		type field struct {
			path string
			line int
		}
		var want []field
		for i, k := range bytes.Split(keys, []byte{0}) {
			if i >= 16 {
				break
			}
			key, index := string(k), -1
			if n, err := strconv.Atoi(key[min(1, len(key)):]); len(key) > 1 && key[0] == '#' && err == nil && n >= 0 && n < 1<<20 && strconv.Itoa(n) == key[1:] {
				key, index = "", n
			}
			id, added := l.Add(at, key, index, i+1)
			if index >= 0 {
				path += "[" + strconv.Itoa(index) + "]"
			} else {
				path = FieldPath(path, key)
			}
			if added {
				want = append(want, field{path, i + 1})
			}
			// A sibling whose key holds the quoting of the next step, to confuse lookups.
			l.Add(at, key+"']['"+key, -1, 1000+i)
			at = id
		}
		// Quoted keys holding "']" can spell one path two ways; only paths spelled once
		// have one answer.
		spelled := map[string]int{}
		for p := range l.All() {
			spelled[p]++
		}
		for _, w := range want {
			if got, ok := l.Line(w.path); spelled[w.path] == 1 && (!ok || got != w.line) {
				t.Errorf("Line(%q) = %d, %v; want %d", w.path, got, ok, w.line)
			}
		}
		if _, n := l.Deepest(probe); n > len(probe) || n < 0 {
			t.Errorf("Deepest(%q) matched %d bytes", probe, n)
		}
		for p, line := range l.All() {
			if got, ok := l.Line(p); !ok || spelled[p] == 1 && got != line {
				t.Errorf("All yields %q on %d, Line finds %d, %v", p, line, got, ok)
			}
		}
	})
}

// All leaves out what Remove took out, and the fields below it.
func TestLinesAllAfterRemove(t *testing.T) {
	l := NewLines(0)
	a, _ := l.Add(Root, "a", -1, 1)
	b, _ := l.Add(a, "b", -1, 2)
	l.Add(b, "c", -1, 3)
	l.Add(Root, "d", -1, 4)
	l.Remove("a", "b")
	got := map[string]int{}
	for p, n := range l.All() {
		got[p] = n
	}
	if len(got) != 2 || got["a"] != 1 || got["d"] != 4 {
		t.Errorf("All after Remove = %v, want a:1 d:4", got)
	}
}

package yamlpos

import (
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestLocateEncodingProblems(t *testing.T) {
	for _, tc := range []struct {
		in   string
		line int
	}{
		{"a: 1\nb: \"x\x00\"\n", 2},
		{"a: 1\r\nb: 2\r\nc: \xff\n", 3},
		{"a: 1\rb: 2\rc: \x01\n", 3},
		{"a: 1\u0085b: 2\u2028c: 3\u2029d: \x7f\n", 4},
		{"a: |\n  x\n  y\xc3\n", 3},
	} {
		var n yaml.Node
		err := yaml.Unmarshal([]byte(tc.in), &n)
		if err == nil {
			t.Fatalf("%q: no error", tc.in)
		}
		if line, msg := Locate(err, []byte(tc.in)); line != tc.line || !EncodingProblem(msg) {
			t.Errorf("%q: line %d (%s), want %d", tc.in, line, msg, tc.line)
		}
	}
	// Other errors keep the line yaml.v3 gives.
	err := yaml.Unmarshal([]byte("a: 1\nb: [\n"), new(yaml.Node))
	if line, _ := Locate(err, nil); line != 3 {
		t.Errorf("syntax error on line %d, want 3", line)
	}
}

// FuzzUnreadable checks Unreadable against yaml.v3's reader: whenever yaml.v3 refuses
// the input's encoding, Unreadable finds a character it refuses, and every character
// before it is one yaml.v3 reads.
func FuzzUnreadable(f *testing.F) {
	for _, s := range []string{"a: 1\n", "a\x00", "\xff", "\xed\xa0\x80", "\xef\xbf\xbf", "\xc2\x85\xe2\x80\xa8", "\xf4\x90\x80\x80", "\xc0\x80"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		off := Unreadable(in)
		if off >= 0 {
			var n yaml.Node
			if err := yaml.Unmarshal(in[:off], &n); err != nil && EncodingProblem(strings.TrimPrefix(err.Error(), "yaml: ")) {
				t.Errorf("yaml.v3 refuses the encoding before offset %d: %v", off, err)
			}
		}
		var n yaml.Node
		err := yaml.Unmarshal(in, &n)
		if err == nil {
			return
		}
		if _, msg := Split(err); EncodingProblem(msg) && off < 0 {
			t.Errorf("yaml.v3: %v; Unreadable finds nothing", err)
		}
		if line := LineAt(in, len(in)); line < 1 {
			t.Errorf("LineAt = %d", line)
		}
	})
}

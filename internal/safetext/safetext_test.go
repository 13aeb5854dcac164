package safetext

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestEscape(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"Deployment/shop/web", "Deployment/shop/web"},
		{"naïve café 日本 🚀", "naïve café 日本 🚀"},
		{`C:\path\x1b`, `C:\path\x1b`}, // backslashes stay: escaping is idempotent
		{"a\x1b[2J\x1b]0;pwned\x07b", `a\x1b[2J\x1b]0;pwned\ab`},
		{"line\nnext\r\tTAB\x00\x7f", `line\nnext\r\tTAB\x00\x7f`},
		{"\u009b31m", `\u009b31m`},                         // C1 CSI
		{"evil\u202egnp.exe", `evil\u202egnp.exe`},         // right-to-left override
		{"a\u200bb\ufeff", `a\u200bb\ufeff`},               // zero-width space, BOM
		{"x\u2028y\u2029z\u0085", `x\u2028y\u2029z\u0085`}, // separators, NEL
		{"tag\U000e0041", `tag\U000e0041`},                 // tag character (format)
		{"bad\xff\xfeutf8\xc3", `bad\xff\xfeutf8\xc3`},
	} {
		got := Escape(tc.in)
		if got != tc.want {
			t.Errorf("Escape(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if again := Escape(got); again != got {
			t.Errorf("Escape is not idempotent on %q: %q", got, again)
		}
	}
}

// Whatever the input, the output is valid UTF-8 with no control or format character.
func FuzzEscape(f *testing.F) {
	for _, s := range []string{"", "a\x1b[1mb", "\u202e", "\xff", "x\ny"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Escape(s)
		if !utf8.ValidString(out) {
			t.Fatalf("Escape(%q) = %q: invalid UTF-8", s, out)
		}
		for _, r := range out {
			if unsafeRune(r) || r < 0x20 || r == 0x7f {
				t.Fatalf("Escape(%q) = %q keeps %U", s, out, r)
			}
		}
		if Escape(out) != out {
			t.Fatalf("not idempotent on %q", out)
		}
		if !strings.ContainsFunc(s, func(r rune) bool {
			return r < 0x20 || r == 0x7f || r == utf8.RuneError || unicode.In(r, unicode.Cc, unicode.Cf, unicode.Zl, unicode.Zp)
		}) && out != s {
			t.Fatalf("Escape(%q) = %q changed plain text", s, out)
		}
	})
}

type stringer string

func (s stringer) String() string { return string(s) }

type level int

func (l level) String() string { return "level" }

func TestFprintf(t *testing.T) {
	var b bytes.Buffer
	Fprintf(&b, "%s|%-6s|%q|%v|%v|%d|%s|%s\n", "a\x1bb", "x\ty", "q\x1b", errors.New("err\x1b[0m"), stringer("s\x07"), level(3),
		Raw("\x1b[1mbold\x1b[0m"), []string{"l\n1", "l2"})
	want := `a\x1bb|x\ty  |"q\x1b"|err\x1b[0m|s\a|3|` + "\x1b[1mbold\x1b[0m" + `|[l\n1 l2]` + "\n"
	if b.String() != want {
		t.Errorf("Fprintf = %q\nwant       %q", b.String(), want)
	}
	b.Reset()
	Fprintln(&b, "palisade:", errors.New("bad \x1b]52;c;payload\x07 input"))
	if got := b.String(); got != "palisade: bad \\x1b]52;c;payload\\a input\n" {
		t.Errorf("Fprintln = %q", got)
	}
	if got := Sprintf("%s", "\x1b"); got != `\x1b` {
		t.Errorf("Sprintf = %q", got)
	}
}

func TestJSONWriter(t *testing.T) {
	v := map[string]string{"name": "web\x1b[2J\u009b\u202e\u2028\x7fé\U000e0041日"}
	var b bytes.Buffer
	if err := json.NewEncoder(JSONWriter(&b)).Encode(v); err != nil {
		t.Fatal(err)
	}
	want := `{"name":"web\u001b[2J\u009b\u202e\u2028\u007fé\udb40\udc41日"}` + "\n"
	if b.String() != want {
		t.Errorf("got  %s\nwant %s", b.String(), want)
	}
	var back map[string]string
	if err := json.Unmarshal(b.Bytes(), &back); err != nil || back["name"] != v["name"] {
		t.Errorf("round trip: %v %q", err, back["name"])
	}
	// A character cut between two writes is still recognised.
	b.Reset()
	jw := JSONWriter(&b)
	s := []byte(`"a` + "\u202e" + `b"`)
	for i := range s {
		jw.Write(s[i : i+1])
	}
	if b.String() != `"a\u202eb"` {
		t.Errorf("byte by byte: %s", b.String())
	}
}

package network

import (
	"strings"
	"testing"
)

// FuzzNginxBreakout checks the scanners of PAL-407 against their contract: a reported
// position lies in the value and holds the character described; a value passed as
// clean holds no line break, quote or ";", and every "{" in it opens a ${variable}.
func FuzzNginxBreakout(f *testing.F) {
	for _, s := range []string{
		"", "https://$host/auth", "/${1}/$2", "CN=abc #(\n){}\n }}\nssl_engine x;#", "x\\", "a\"b", "${", "}", "$}{", "#", " #x",
		"\x00", "é;", "${a}${b}{",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		for name, scan := range map[string]func(string) (string, int, bool){"value": nginxBreakout, "path": pathBreakout} {
			what, at, ok := scan(v)
			if !ok {
				if strings.ContainsAny(v, "\n\r\"") || (name == "value" && strings.ContainsAny(v, "';")) {
					t.Errorf("%s scanner passes %q", name, v)
				}
				if name == "value" {
					for i := 0; i < len(v); i++ {
						if v[i] == '{' && (i == 0 || v[i-1] != '$') {
							t.Errorf("value scanner passes a block in %q", v)
						}
					}
				}
				continue
			}
			if at < 0 || at >= len(v) || what == "" {
				t.Fatalf("%s scanner: %q at %d in %q", name, what, at, v)
			}
			c := v[at]
			switch what {
			case "a line break":
				if c != '\n' && c != '\r' {
					t.Errorf("%s: line break at %d of %q is %q", name, at, v, c)
				}
			case "a double quote", "a single quote", `";"`, `"{"`, `"}"`, `a "#" comment`, "a trailing backslash":
				if !strings.ContainsRune(`"';{}#\`, rune(c)) {
					t.Errorf("%s: %s at %d of %q is %q", name, what, at, v, c)
				}
			case "a control character":
				if c >= 0x20 && c != 0x7f {
					t.Errorf("%s: control character at %d of %q is %q", name, at, v, c)
				}
			default:
				t.Errorf("%s: unknown description %q", name, what)
			}
		}
	})
}

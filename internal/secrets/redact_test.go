package secrets

import (
	"encoding/base64"
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	for _, tc := range []struct {
		name  string
		text  string
		known []string
		want  string
		// gone must not occur in the result (defaults to nothing beyond want).
		gone []string
	}{
		{name: "plain message", text: "resource not found: deployment.yaml", want: "resource not found: deployment.yaml"},
		{name: "environment dump", text: "GITHUB_TOKEN=" + fakeGHP + "\x00AWS_SECRET_ACCESS_KEY=" + fakeAWSSecret + "\x00HOME=/root",
			gone: []string{fakeGHP[4:], fakeAWSSecret}},
		{name: "provider token anywhere", text: "error: bad value " + fakeGHP + " in template", want: "error: bad value ghp_**** in template"},
		{name: "weak password after a key", text: "invalid: password=abc", want: "invalid: password=****"},
		{name: "Go map printing", text: "map[db:map[password:hunter2 user:app]]", want: "map[db:map[password:**** user:app]]"},
		{name: "JSON member", text: `{"apiToken": "x1", "name": "a"}`, want: `{"apiToken": "****", "name": "a"}`},
		{name: "escaped JSON", text: `{\"password\":\"s3cr3t\"}`, want: `{\"password\":\"****\"}`},
		{name: "flag", text: "run --db-password=letmein now", want: "run --db-password=**** now"},
		{name: "not a credential key", text: "secretName: app-tls, passwordFile: /run/pw", want: "secretName: app-tls, passwordFile: /run/pw"},
		{name: "comparison", text: "if password == expected", want: "if password == expected"},
		{name: "URL credentials", text: "fetch https://user:Tr0ub4dor-3@example.com/x failed", gone: []string{"Tr0ub4dor-3"}},
		{name: "private key", text: "data: " + pem("RSA PRIVATE KEY", fakePEMBody), gone: []string{fakePEMBody[:64]}},
		{name: "known literal without a key", text: "invalid literal source hunter2xyz, expected key=value",
			known: []string{"hunter2xyz"}, want: "invalid literal source ****, expected key=value"},
		{name: "known value in base64", text: "data: {pw: " + base64.StdEncoding.EncodeToString([]byte("Zq8-secret")) + "}",
			known: []string{"Zq8-secret"}, want: "data: {pw: ****}"},
		{name: "short known values are left", text: "a b", known: []string{"a", "b"}, want: "a b"},
		{name: "longest known value first", text: "abcdef", known: []string{"abc", "abcdef"}, want: "****"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Redact(tc.text, tc.known...)
			if tc.want != "" && got != tc.want {
				t.Errorf("Redact(%q) = %q, want %q", tc.text, got, tc.want)
			}
			for _, g := range tc.gone {
				if strings.Contains(got, g) {
					t.Errorf("Redact(%q) = %q still contains %q", tc.text, got, g)
				}
			}
		})
	}
}

// TestRedactLinear guards against quadratic behaviour on long messages made of keys.
func TestRedactLinear(t *testing.T) {
	const n = 1 << 17
	for _, text := range []string{
		strings.Repeat("password", n/8),
		strings.Repeat("password=", n/9),
		strings.Repeat("token:", n/6),
		strings.Repeat("a", n),
	} {
		out := Redact(text, "password")
		if len(out) > 2*len(text) {
			t.Errorf("redacted %d bytes to %d", len(text), len(out))
		}
	}
}

// FuzzRedact checks that Redact never panics, that no known value (of three
// characters or more, without the mask's own *) is left in its result, and that the
// result stays within a few times the length of the text.
func FuzzRedact(f *testing.F) {
	for _, seed := range [][2]string{
		{"map[password:hunter2 user:app]", "hunter2"},
		{"GITHUB_TOKEN=" + fakeGHP + "\x00HOME=/root", ""},
		{`{\"password\":\"s3cr3t\"}`, "s3cr3t"},
		{"invalid literal source hunter2xyz, expected key=value", "hunter2xyz"},
		{"token:token:token:", "tok"},
		{"--db-password='unclosed", ""},
		{"data: " + base64.StdEncoding.EncodeToString([]byte("Zq8-secret")), "Zq8-secret"},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, text, known string) {
		out := Redact(text, known)
		if len(known) >= minKnown && !strings.Contains(known, "*") && strings.Contains(out, known) {
			t.Fatalf("Redact(%q, %q) = %q still holds the known value", text, known, out)
		}
		if len(out) > 4*len(text)+len(Redacted) {
			t.Fatalf("Redact grew %d bytes to %d", len(text), len(out))
		}
	})
}

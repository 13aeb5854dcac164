package secrets

import (
	"strings"
	"testing"
)

// TestRandomPasswordsReported: placeholders are told from passwords by their shape,
// not by one character. Of 400 random 20-character printable passwords (a fixed
// seed; printable ASCII without the space), every one is reported under
// DB_PASSWORD, whatever it starts with or contains ($ { < > * % ... / ~ ! & @).
func TestRandomPasswordsReported(t *testing.T) {
	const printable = "!\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~"
	var missed []string
	seed := uint64(400)
	for i := 0; i < 400; i++ {
		b := make([]byte, 20)
		for j := range b {
			seed = seed*6364136223846793005 + 1442695040888963407
			b[j] = printable[(seed>>33)%uint64(len(printable))]
		}
		pw := string(b)
		ms := Detect("DB_PASSWORD", pw)
		if len(ms) != 1 || ms[0].Detector != Password {
			missed = append(missed, pw)
		}
	}
	if len(missed) > 0 {
		t.Errorf("%d of 400 random passwords not reported as passwords: %q", len(missed), missed)
	}
}

// TestPlaceholderShapes: each whole-value shape of a placeholder, and random values
// that share one character with it.
func TestPlaceholderShapes(t *testing.T) {
	for _, v := range []string{
		"${DB_PASSWORD}", "${DB_PASSWORD:-x}", "${{ secrets.DB }}", "$(DB_PASSWORD)", "$DB_PASSWORD",
		"{{ .Values.db.password }}", "{{.Values.x}}", "pre-${X}-post", "%DB_PASSWORD%", "@db.password@",
		"{password}", "{0}", "<password>", "<your-key>", "<registry password>", "%s", "%(password)s",
		"pw-%s-x", "***", "********", "ab****yz", "xxxxxxxx", "XXXX-XXXX-XXXX", "changeme", "CHANGE_ME",
		"example123", "dummy-pass", "my-dummy-pw", "testpass1", "your_password", "REPLACE_ME",
		"#{DbPassword}", "<%= db_password %>", "{% raw %}", "secret...", "...",
		"ApiKey%s", "jdbc:mysql://%s:%d/shop", "MyServiceToken-%s", "USER_%s_PASSWORD",
	} {
		if !placeholder(v) {
			t.Errorf("placeholder(%q) = false, want true", v)
		}
	}
	for _, v := range []string{
		"x9$kQ!a<b", "a<b>c9Qz", "Zq*7&k!pl", "w***Rt9!pQzLm2", "k...9Qz!pL", "%x9Qz!pLm*", "9%s!Qz#k(L",
		"$ecret!9", "${9xQ", "{x9!Qz", "contest9!Q", "Latest7xQ", "protest-7Q",
		// Random strings with a printf verb in them: letters of both cases around it.
		"WkHvJJmt%stvPnPXAh-F", "/WkHvJJmt%stvPnPXAh-F",
	} {
		if placeholder(v) {
			t.Errorf("placeholder(%q) = true, want false", v)
		}
	}
	for _, v := range []string{"/etc/secret/db-password", "~/.pgpass", "./pw.txt", "~", "!vault", "*db", "&anchor",
		"/data", "/PASSWORD_FILE", "/var/run/Secrets2024/db", "/opt/App2/config.properties",
		"@/run/secrets/pw", "$2y$10$" + fakeToken32[:22], "$6$salt$" + fakeToken32, "{SSHA}" + fakeToken32, "{cipher}" + fakeToken32} {
		if !notLiteral(v) {
			t.Errorf("notLiteral(%q) = false, want true", v)
		}
	}
	for _, v := range []string{"{noop}Zx8pLm2q", "/x9$kQ!", "/CngZ0cxP...zMCPRTo1NM", "~x9!Qz", "!x9#Qz", "*9Qz!&k", "&k9Q!z", "@x9!Qz#", "$x9!Qz", "{x9!Qz", ".x9!Qz"} {
		if notLiteral(v) {
			t.Errorf("notLiteral(%q) = true, want false", v)
		}
	}
}

func TestURLWithoutUser(t *testing.T) {
	runDetect(t, New(DefaultOptions()), []detectCase{
		{name: "redis without a user", key: "REDIS_URL", value: "redis://:Zx8pLm2qRt@redis:6379/0",
			want: []string{URLCredentials}, secrets: []string{"Zx8pLm2qRt"}},
		{name: "rediss in a file", key: "config.yaml", value: "cache:\n  url: rediss://:Kx8!pQ2z@cache.shop:6380\n",
			want: []string{URLCredentials}, secrets: []string{"Kx8!pQ2z"}},
		{name: "amqp without a user", key: "", value: "amqp://:guest2x@mq:5672/", want: []string{URLCredentials}},
		{name: "without a user, template", key: "", value: "redis://:{{ .Values.auth.password }}@redis:6379"},
		{name: "without a user, variable", key: "", value: "redis://:${REDIS_PASSWORD}@redis:6379"},
		{name: "without a user, dependent variable", key: "", value: "redis://:$(REDIS_PASSWORD)@redis:6379"},
		{name: "without a user, $VAR", key: "", value: "redis://:$REDIS_PASSWORD@redis:6379"},
		{name: "no password at all", key: "", value: "redis://redis:6379/0"},
		{name: "password starting with $", key: "", value: "redis://:$9xQz!k2@redis:6379", want: []string{URLCredentials}},
	})
	if ms := Detect("", "redis://:Zx8pLm2qRt@redis:6379/0"); len(ms) != 1 || !strings.Contains(ms[0].Note, "redis URL for host redis") {
		t.Errorf("note: %+v", ms)
	}
}

// TestJWTExamples: documentation examples are judged by exact known examples and
// whole documentation domains, not by "test" or "example" anywhere in a claim.
func TestJWTExamples(t *testing.T) {
	hs := `{"alg":"HS256","typ":"JWT"}`
	runDetect(t, New(DefaultOptions()), []detectCase{
		{name: "issuer contains test", key: "", value: jwt(hs, `{"iss":"https://auth.contest.io","sub":"svc-billing"}`, fakeJWTSig), want: []string{JWT}},
		{name: "subject contains example", key: "", value: jwt(hs, `{"iss":"https://auth.example-corp.io","sub":"counterexample"}`, fakeJWTSig), want: []string{JWT}},
		{name: "issuer with test as a word", key: "", value: jwt(hs, `{"iss":"https://test.shop.io","sub":"tester"}`, fakeJWTSig), want: []string{JWT}},
		{name: "short subject", key: "", value: jwt(hs, `{"sub":"42","iat":1700000000}`, fakeJWTSig), want: []string{JWT}},
		{name: "issuer myexample.com", key: "", value: jwt(hs, `{"iss":"https://myexample.com"}`, fakeJWTSig), want: []string{JWT}},
		{name: "jwt.io payload with another signature", key: "", value: jwt(hs, `{"sub":"1234567890","name":"John Doe","iat":1516239022}`, fakeJWTSig)},
		{name: "jwt.io payload with admin", key: "", value: jwt(`{"alg":"RS256","typ":"JWT"}`, `{"sub":"1234567890","name":"John Doe","admin":true,"iat":1516239022}`, fakeJWTSig)},
		{name: "issuer at example.com", key: "", value: jwt(hs, `{"iss":"https://auth.example.com/","sub":"u1"}`, fakeJWTSig)},
		{name: "e-mail at example.org", key: "", value: jwt(hs, `{"sub":"u1","email":"jane@example.org"}`, fakeJWTSig)},
		{name: "audience example.net", key: "", value: jwt(hs, `{"sub":"u1","aud":"example.net"}`, fakeJWTSig)},
		{name: "Istio demo token", key: "", value: jwt(`{"alg":"RS256"}`, `{"iss":"testing@secure.istio.io","sub":"testing@secure.istio.io"}`, fakeJWTSig)},
	})
}

// TestNpmrc: lines of an .npmrc that set a registry's credentials start with // and
// are assignments, not comments.
func TestNpmrc(t *testing.T) {
	npmrc := "registry=https://registry.shop.io/\n//registry.shop.io/:_authToken=" + fakeToken32 + "\nalways-auth=true\n"
	auth := b64s("deploy:" + fakeToken32[:20])
	runDetect(t, New(DefaultOptions()), []detectCase{
		{name: "auth token", key: ".npmrc", value: npmrc, want: []string{GenericToken}, secrets: []string{fakeToken32}},
		{name: "scoped path", key: ".npmrc", value: "@shop:registry=https://gitlab.shop.io/api/v4/packages/npm/\n//gitlab.shop.io/api/v4/packages/npm/:_authToken=" + fakeToken32 + "\n",
			want: []string{GenericToken}},
		{name: "basic auth", key: ".npmrc", value: "//registry.shop.io/:_auth=" + auth + "\n", want: []string{GenericToken}, secrets: []string{auth}},
		{name: "password", key: ".npmrc", value: "//registry.shop.io/:username=deploy\n//registry.shop.io/:_password=" + b64s("Zx8pLm2qRt") + "\n",
			want: []string{Password}},
		{name: "variable", key: ".npmrc", value: "//registry.shop.io/:_authToken=${NPM_TOKEN}\n"},
		{name: "comment", key: ".npmrc", value: "// _authToken=" + fakeToken32 + "\n"},
		{name: "comment with a scope-like word", key: "", value: "// see //registry/:_authToken=" + fakeToken32 + "\n"},
		{name: "code comment", key: "app.js", value: "// token=" + fakeToken32 + "\n"},
		{name: "as a key", key: "//registry.shop.io/:_authToken", value: fakeToken32, want: []string{GenericToken}},
	})
	if ms := Detect(".npmrc", npmrc); len(ms) != 1 || ms[0].Key != "_authToken" || ms[0].Line != 2 {
		t.Errorf("key and line: %+v", ms)
	}
}

package secrets

import (
	"strings"
	"testing"
)

// FuzzDetect checks that Detect never panics, that every match lies inside the value,
// and that its masked form shows at most the first four characters of the secret
// (and its description not the whole secret).
func FuzzDetect(f *testing.F) {
	for _, seed := range [][2]string{
		{"AWS_ACCESS_KEY_ID", fakeAWSID},
		{"credentials", "aws_access_key_id=" + fakeAWSID + "\naws_secret_access_key=" + fakeAWSSecret},
		{"GITHUB_TOKEN", fakeGHP},
		{"", "glpat-" + fakeToken32},
		{"", fakeSlackBot + " https://hooks.slack.com/services/" + fakeWebhookID},
		{"", fakeStripe},
		{"tls.key", pem("RSA PRIVATE KEY", fakePEMBody)},
		{"", opensshKey("none")},
		{"key.json", gcpKey(`-----BEGIN PRIVATE KEY-----\n` + strings.ReplaceAll(fakePEMBody, "\n", `\n`) + `\n-----END PRIVATE KEY-----\n`)},
		{"", "AccountKey=" + fakeAzureKey},
		{"token", jwt(`{"alg":"HS256"}`, `{"sub":"x"}`, fakeJWTSig)},
		{"DATABASE_URL", "postgresql://app:Tr0ub4dor-3@db:5432/app"},
		{".dockerconfigjson", dockerConfig("ghcr.io", "auth", b64s("u:"+fakeToken32))},
		{"DB_PASSWORD", "password123"},
		{"config.yaml", "db:\n  password: \"hunter2pass\"\n  token: '" + fakeToken32 + "'\n"},
		{"", `{\"password\":\"x9!kLm2p\"}`},
		{"", "--password 'abc' --token=\"" + fakeToken32},
		{"", "a://u:hostx@hostx"},
		{"", "--maps-key=" + fakeGoogleKey},
		{".npmrc", "//registry.npmjs.org/:_authToken=" + fakeNPM + "\n//r.io/a/:_auth=${X}\n"},
		{".pypirc", "[pypi]\npassword = " + fakePyPI},
		{"REDIS_URL", "redis://:Zx8pLm2qRt@redis:6379/0"},
		{"", "set -e\nmysqldump -uroot -p'S3cr3t' db | gzip; curl -u a:\"b c\" x && htpasswd -nbB u 'p w'\n"},
		{"", `sshpass -p "$(cat /x)" ssh h; redis-cli -a 'x`},
		{"", "sk-proj-" + fakeToken32 + "T3BlbkFJ" + fakeToken32 + " hvs." + fakeToken32 + " SG." + fakeToken32},
		{"DB_PASSWORD", "/x9$kQ!<a>***...%s"},
		{"token", jwt(`{"alg":"HS256"}`, `{"iss":"https://auth.example.com","sub":"42"}`, fakeJWTSig)},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, key, value string) {
		for _, m := range Detect(key, value) {
			if m.Offset < 0 || m.Length <= 0 || m.Offset+m.Length > len(value) {
				t.Fatalf("%s: span %d+%d outside a value of %d bytes", m.Detector, m.Offset, m.Length, len(value))
			}
			secret := value[m.Offset : m.Offset+m.Length]
			prefix, ok := strings.CutSuffix(m.Masked, "****")
			if !ok || len(prefix) > 4 || !strings.HasPrefix(secret, prefix) {
				t.Fatalf("%s: masked %q shows more than a 4-character prefix of the secret", m.Detector, m.Masked)
			}
			if len(secret) >= 8 && strings.Contains(m.Describe(), secret) {
				t.Fatalf("%s: description %q contains the secret", m.Detector, m.Describe())
			}
		}
	})
}

// FuzzDetectArgs checks DetectArgs on argument lists (value split at NUL bytes, the
// first word the program): matches lie inside their argument, masked.
func FuzzDetectArgs(f *testing.F) {
	for _, seed := range []string{
		"mysqldump\x00-uroot\x00-pS3cr3t\x00shop",
		"/usr/bin/curl\x00-u\x00admin:Zx8pLm2qRt\x00http://es",
		"htpasswd\x00-nbB\x00-C\x0010\x00admin\x00pw'x",
		"redis-cli\x00-a",
		"sshpass\x00-p$(X)\x00ssh",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, value string) {
		args := strings.Split(value, "\x00")
		for _, m := range New(DefaultOptions()).DetectArgs(args) {
			if m.Index <= 0 || m.Index >= len(args) {
				t.Fatalf("index %d of %d arguments", m.Index, len(args))
			}
			a := args[m.Index]
			if m.Offset < 0 || m.Length <= 0 || m.Offset+m.Length > len(a) {
				t.Fatalf("span %d+%d outside an argument of %d bytes", m.Offset, m.Length, len(a))
			}
			if prefix, ok := strings.CutSuffix(m.Masked, "****"); !ok || prefix != "" {
				t.Fatalf("masked %q", m.Masked)
			}
		}
	})
}

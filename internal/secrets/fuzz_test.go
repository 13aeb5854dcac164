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

package secretset

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"strings"
)

// Character sets of the generated values.
const (
	base62   = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	alnum    = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	upperB32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	upperNum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	digits   = "0123456789"
	hexLow   = "0123456789abcdef"
	lowerNum = "abcdefghijklmnopqrstuvwxyz0123456789"
	urlSafe  = alnum + "-_"
	// pwChars are the characters of generated passwords: printable, but none that a
	// YAML single-quoted scalar, a dotenv value, a shell word or a URL's userinfo
	// would have to escape.
	pwChars = alnum + "!*+-._~"
)

// value is one generated credential or look-alike.
type value struct {
	format string
	// rule is the rule ID that must report the value ("" for a look-alike).
	rule string
	// key is the environment-variable style name the value is stored under.
	key  string
	text string
	// shell marks a shell command line (placed in scripts, not under keys).
	shell bool
}

func (v value) multiline() bool { return strings.Contains(v.text, "\n") }

// gen draws every generated character from one seeded generator.
type gen struct{ r *rand.Rand }

func newGen(seed uint64) *gen { return &gen{rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))} }

func (g *gen) str(charset string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = charset[g.r.IntN(len(charset))]
	}
	return string(b)
}

func (g *gen) bytes(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(g.r.UintN(256))
	}
	return b
}

// base62CRC is the checksummed token format of GitHub's classic tokens (and npm's):
// prefix, 30 random base62 characters, then the CRC-32 (IEEE) of those 30 characters
// written in base62 (digits, upper, lower case) on 6 characters, zero-padded.
func (g *gen) base62CRC(prefix string) string {
	body := g.str(base62, 30)
	return prefix + body + crc62(body)
}

func crc62(s string) string {
	c := crc32.ChecksumIEEE([]byte(s))
	out := make([]byte, 6)
	for i := 5; i >= 0; i-- {
		out[i] = base62[c%62]
		c /= 62
	}
	return string(out)
}

// badCRC returns a token of the same shape whose checksum does not match.
func (g *gen) badCRC(prefix string) string {
	t := g.base62CRC(prefix)
	last := t[len(t)-1]
	swap := byte('0')
	if last == '0' {
		swap = '1'
	}
	return t[:len(t)-1] + string(swap)
}

// pypiToken is a PyPI API token: "pypi-" and a version-2 binary macaroon (location
// pypi.org, a JSON identifier, one caveat, a real HMAC-SHA256 signature chain) in
// unpadded URL-safe base64, which is why every token starts "pypi-AgEIcHlwaS5vcmc".
func (g *gen) pypiToken() string {
	field := func(b []byte, typ byte, data []byte) []byte {
		b = append(b, typ)
		b = binary.AppendUvarint(b, uint64(len(data)))
		return append(b, data...)
	}
	id := []byte(`{"version": 1, "permissions": "user", "identifier": "` + g.uuid() + `"}`)
	caveat := []byte(`{"version": 1, "permissions": {"projects": ["shop-client"]}}`)
	mac := func(key, msg []byte) []byte {
		h := hmac.New(sha256.New, key)
		h.Write(msg)
		return h.Sum(nil)
	}
	sig := mac(mac([]byte("macaroons-key-generator"), g.bytes(32)), id)
	sig = mac(sig, caveat)
	b := []byte{2}
	b = field(b, 1, []byte("pypi.org"))
	b = field(b, 2, id)
	b = append(b, 0)
	b = field(b, 2, caveat)
	b = append(b, 0, 0)
	b = field(b, 6, sig)
	return "pypi-" + base64.RawURLEncoding.EncodeToString(b)
}

// jwt is an HS256 token with a real signature under a random key, with the claims
// that used to make it look like a test token (a short sub, "test" inside an issuer).
func (g *gen) jwt() string {
	enc := base64.RawURLEncoding
	head := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
	body := enc.EncodeToString([]byte(fmt.Sprintf(`{"sub":"42","iss":"https://auth.contest.examplecorp.io","iat":%d,"exp":%d,"scope":"orders:write"}`,
		1767225600+g.r.IntN(1e6), 1798761600+g.r.IntN(1e6))))
	h := hmac.New(sha256.New, g.bytes(32))
	h.Write([]byte(head + "." + body))
	return head + "." + body + "." + enc.EncodeToString(h.Sum(nil))
}

func pemBlock(typ string, der []byte) string {
	return strings.TrimSuffix(string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})), "\n")
}

// ecKey is a P-256 key in SEC 1 form ("EC PRIVATE KEY") from a seeded scalar.
func (g *gen) ecKey() string {
	for {
		k, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), g.bytes(32))
		if err != nil {
			continue // scalar out of range: draw again
		}
		der, err := x509.MarshalECPrivateKey(k)
		if err != nil {
			panic(err)
		}
		return pemBlock("EC "+"PRIVATE KEY", der)
	}
}

// pkcs8Key is an Ed25519 key in PKCS #8 form ("PRIVATE KEY") from a seeded seed.
func (g *gen) pkcs8Key() string {
	der, err := x509.MarshalPKCS8PrivateKey(ed25519.NewKeyFromSeed(g.bytes(ed25519.SeedSize)))
	if err != nil {
		panic(err)
	}
	return pemBlock("PRIVATE"+" KEY", der)
}

// opensshKey is an unencrypted Ed25519 key in the openssh-key-v1 format
// (PROTOCOL.key of OpenSSH), built field by field.
func (g *gen) opensshKey() string {
	k := ed25519.NewKeyFromSeed(g.bytes(ed25519.SeedSize))
	pub := k.Public().(ed25519.PublicKey)
	str := func(b []byte, s []byte) []byte {
		b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
		return append(b, s...)
	}
	var pubBlob []byte
	pubBlob = str(pubBlob, []byte("ssh-ed25519"))
	pubBlob = str(pubBlob, pub)
	check := g.r.Uint32()
	var priv []byte
	priv = binary.BigEndian.AppendUint32(priv, check)
	priv = binary.BigEndian.AppendUint32(priv, check)
	priv = str(priv, []byte("ssh-ed25519"))
	priv = str(priv, pub)
	priv = str(priv, k)
	priv = str(priv, []byte("deploy@ci"))
	for i := byte(1); len(priv)%8 != 0; i++ {
		priv = append(priv, i)
	}
	b := []byte("openssh-key-v1\x00")
	b = str(b, []byte("none"))
	b = str(b, []byte("none"))
	b = str(b, nil)
	b = binary.BigEndian.AppendUint32(b, 1)
	b = str(b, pubBlob)
	b = str(b, priv)
	body := base64.StdEncoding.EncodeToString(b)
	var lines []string
	for len(body) > 70 {
		lines = append(lines, body[:70])
		body = body[70:]
	}
	lines = append(lines, body)
	return "-----BEGIN OPENSSH " + "PRIVATE KEY-----\n" + strings.Join(lines, "\n") + "\n-----END OPENSSH " + "PRIVATE KEY-----"
}

// gcpKey is a service-account key file holding a real PKCS #8 key.
func (g *gen) gcpKey() string {
	key := strings.ReplaceAll(g.pkcs8Key(), "\n", `\n`) + `\n`
	return `{
  "type": "service_account",
  "project_id": "shop-prod-` + g.str(digits, 6) + `",
  "private_key_id": "` + g.str(hexLow, 40) + `",
  "private_key": "` + key + `",
  "client_email": "deployer@shop-prod.iam.gserviceaccount.com",
  "client_id": "` + g.str(digits, 21) + `",
  "token_uri": "https://oauth2.googleapis.com/token"
}`
}

func (g *gen) password() string { return g.str(alnum, 4) + g.str(pwChars, 16) }

// symbolPassword is a random password of the shape placeholders were once told by:
// it starts with one of / ~ ! * & @ $ { and holds < > *** ... or %s.
func (g *gen) symbolPassword() string {
	mid := []string{"<", ">", "***", "...", "%s"}
	return g.str("/~!*&@${", 1) + g.str(alnum, 8) + mid[g.r.IntN(len(mid))] + g.str(alnum, 4) + g.str(pwChars, 6)
}

func (g *gen) uuid() string {
	h := g.str(hexLow, 32)
	return h[:8] + "-" + h[8:12] + "-4" + h[13:16] + "-a" + h[17:20] + "-" + h[20:]
}

// encValue is a SOPS-encrypted value of the length of a plaintext of n bytes.
func (g *gen) encValue(n int) string {
	b64 := base64.StdEncoding.EncodeToString
	return "ENC[AES256_GCM,data:" + b64(g.bytes(n)) + ",iv:" + b64(g.bytes(32)) + ",tag:" + b64(g.bytes(16)) + ",type:str]"
}

// catalogue returns the positives and look-alikes, in a fixed order, freshly drawn.
func (g *gen) catalogue() []value {
	b64 := base64.StdEncoding.EncodeToString
	pw := g.password
	awsDoc := "AKIA" + "IOSFODNN7" + "EXAMPLE"
	sum := sha256.Sum256(g.bytes(64))
	gitSum := sha1.Sum(g.bytes(64))
	return []value{
		{format: "aws-access-key-id", rule: "PAL-501", key: "AWS_ACCESS_KEY_ID", text: "AKIA" + g.str(upperB32, 16)},
		{format: "aws-secret-access-key", rule: "PAL-502", key: "AWS_SECRET_ACCESS_KEY", text: g.str(alnum, 20) + "/" + g.str(alnum, 9) + "+" + g.str(alnum, 9)},
		{format: "github-ghp", rule: "PAL-505", key: "GITHUB_TOKEN", text: g.base62CRC("ghp_")},
		{format: "github-gho", rule: "PAL-505", key: "GITHUB_OAUTH_TOKEN", text: g.base62CRC("gho_")},
		{format: "github-ghs", rule: "PAL-505", key: "GITHUB_APP_TOKEN", text: g.base62CRC("ghs_")},
		{format: "github-pat", rule: "PAL-505", key: "GITHUB_PAT", text: "github_pat_" + "11" + g.str(upperNum, 20) + "_" + g.str(alnum, 59)},
		{format: "gitlab-pat", rule: "PAL-506", key: "GITLAB_TOKEN", text: "glpat-" + g.str(urlSafe, 20)},
		{format: "slack-bot", rule: "PAL-507", key: "SLACK_BOT_TOKEN", text: "xoxb-" + g.str(digits, 12) + "-" + g.str(digits, 13) + "-" + g.str(alnum, 24)},
		{format: "slack-webhook", rule: "PAL-508", key: "SLACK_WEBHOOK_URL", text: "https://hooks.slack.com/services/T" + g.str(upperNum, 8) + "/B" + g.str(upperNum, 10) + "/" + g.str(alnum, 24)},
		{format: "stripe-live", rule: "PAL-509", key: "STRIPE_SECRET_KEY", text: "sk" + "_live_" + g.str(alnum, 24)},
		{format: "google-api-key", rule: "PAL-517", key: "MAPS_API_KEY", text: "AI" + "za" + g.str(urlSafe, 35)},
		{format: "gcp-service-account", rule: "PAL-503", key: "GOOGLE_CREDENTIALS", text: g.gcpKey()},
		{format: "azure-storage", rule: "PAL-504", key: "AZURE_STORAGE_CONNECTION_STRING", text: "DefaultEndpointsProtocol=https;AccountName=shopassets" + g.str(lowerNum, 4) + ";AccountKey=" + b64(g.bytes(64)) + ";EndpointSuffix=core.windows.net"},
		{format: "npm-token", rule: "PAL-518", key: "NPM_TOKEN", text: g.base62CRC("npm_")},
		{format: "pypi-token", rule: "PAL-519", key: "PYPI_TOKEN", text: g.pypiToken()},
		{format: "jwt", rule: "PAL-512", key: "SERVICE_JWT", text: g.jwt()},
		{format: "pem-ec", rule: "PAL-510", key: "SIGNING_KEY", text: g.ecKey()},
		{format: "pem-pkcs8", rule: "PAL-510", key: "TLS_KEY", text: g.pkcs8Key()},
		{format: "openssh", rule: "PAL-510", key: "SSH_PRIVATE_KEY", text: g.opensshKey()},
		{format: "url-postgres", rule: "PAL-513", key: "DATABASE_URL", text: "postgres://shop:" + pw() + "@db.shop.svc:5432/orders?sslmode=require"},
		{format: "url-mongodb-srv", rule: "PAL-513", key: "MONGO_URL", text: "mongodb+srv://catalog:" + pw() + "@cluster0.mongo.example.net/catalog?retryWrites=true"},
		{format: "url-redis", rule: "PAL-513", key: "REDIS_URL", text: "redis://:" + pw() + "@redis-master.cache.svc:6379/0"},
		{format: "docker-auth", rule: "PAL-514", key: "DOCKER_AUTH_CONFIG", text: `{"auths":{"registry.example.com":{"auth":"` + b64([]byte("ci-pusher:"+pw())) + `"}}}`},
		{format: "password", rule: "PAL-515", key: "DB_PASSWORD", text: pw()},
		{format: "password-symbols", rule: "PAL-515", key: "REDIS_PASSWORD", text: g.symbolPassword()},
		{format: "shell-mysqldump", rule: "PAL-515", shell: true, text: "mysqldump -h mysql.shop.svc -u root -p" + pw() + " orders > /backup/orders.sql"},
		{format: "shell-curl-u", rule: "PAL-515", shell: true, text: "cu" + "rl -fsS -u deployer" + ":" + pw() + " -T /build/app.tgz https://artifacts.example.com/upload/"},
		{format: "shell-pgpassword", rule: "PAL-515", shell: true, text: "PGPASSWORD=" + pw() + " psql -h postgres.shop.svc -U app -c \"select 1\""},

		// Look-alikes: nothing here may be reported.
		{format: "placeholder-var", key: "ADMIN_PASSWORD", text: "${ADMIN_PASSWORD}"},
		{format: "placeholder-angle", key: "API_KEY", text: "<your-api-key>"},
		{format: "placeholder-changeme", key: "ROOT_PASSWORD", text: "changeme"},
		{format: "aws-doc-example", key: "EXAMPLE_ACCESS_KEY_ID", text: awsDoc},
		{format: "stripe-test", key: "STRIPE_TEST_KEY", text: "sk" + "_test_" + g.str(alnum, 24)},
		{format: "github-bad-checksum", key: "GH_TOKEN", text: g.badCRC("ghp_")},
		{format: "uuid", key: "CLIENT_ID", text: g.uuid()},
		{format: "git-sha", key: "GIT_COMMIT", text: hex.EncodeToString(gitSum[:])},
		{format: "sha256-hex", key: "CONFIG_CHECKSUM", text: hex.EncodeToString(sum[:])},
		{format: "base64-text", key: "BANNER_B64", text: b64([]byte("Welcome to the shop, orders ship within 2 days"))},
		{format: "image-digest", key: "WORKER_IMAGE", text: "registry.example.com/shop/worker@sha256:" + g.str(hexLow, 64)},
		{format: "resource-name", key: "SECRET_NAME", text: "shop-api-credentials-" + g.str(lowerNum, 5)},
	}
}

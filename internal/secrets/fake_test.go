package secrets

import (
	"encoding/base64"
	"strings"
)

// Fake credentials for the tests, built at run time from a fixed seed so that the
// source holds no string that a secret scanner (this one included) would report, and
// every run sees the same values. None of them was ever issued by a provider.

const (
	alnum   = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	base32  = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	b64     = alnum + "+/"
	hexLow  = "0123456789abcdef"
	upperNm = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
)

// rnd returns n characters of charset from a deterministic generator; each call
// continues the sequence.
func rnd(charset string, n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		seed = seed*6364136223846793005 + 1442695040888963407
		b.WriteByte(charset[(seed>>33)%uint64(len(charset))])
	}
	return b.String()
}

var seed uint64 = 0x5eed

var (
	fakeAWSID     = "AKIA" + rnd(base32, 16)
	fakeAWSTempID = "ASIA" + rnd(base32, 16)
	fakeAWSSecret = rnd(alnum, 18) + "/" + rnd(alnum, 10) + "+" + rnd(alnum, 10)
	fakeGHP       = "ghp_" + checksummedBody(rnd(alnum, 36))
	fakeGHO       = "gho_" + checksummedBody(rnd(alnum, 36))
	fakeGHS       = "ghs_" + checksummedBody(rnd(alnum, 36))
	fakeGHPat     = "github_pat_" + rnd(alnum, 22) + "_" + rnd(alnum, 59)
	fakeGLPat     = "glpat-" + rnd(alnum, 20)
	fakeSlackBot  = "xoxb-" + rnd("0123456789", 12) + "-" + rnd("0123456789", 13) + "-" + rnd(alnum, 24)
	fakeSlackUser = "xoxp-" + rnd("0123456789", 12) + "-" + rnd("0123456789", 12) + "-" + rnd("0123456789", 13) + "-" + rnd(hexLow, 32)
	fakeWebhookID = "T" + rnd(upperNm, 8) + "/B" + rnd(upperNm, 10) + "/" + rnd(alnum, 24)
	fakeStripe    = "sk" + "_live_" + rnd(alnum, 24)
	fakeStripeRK  = "rk" + "_live_" + rnd(alnum, 24)
	fakeAzureKey  = rnd(b64, 86) + "=="
	fakeSBKey     = rnd(b64, 43) + "="
	fakeToken32   = rnd(alnum, 32)
	fakeHex40     = rnd(hexLow, 40)
	fakeJWTSig    = rnd(alnum+"-_", 43)
	fakePEMBody   = wrap(rnd(b64, 1200), 64)
	fakeNPM       = "npm_" + checksummedBody(rnd(alnum, 36))
	fakeGoogleKey = "AIza" + rnd(alnum+"-_", 35)
	fakePyPI      = pypiToken("pypi.org")
	fakeTestPyPI  = pypiToken("test.pypi.org")
)

// checksummedBody replaces the last 6 of 36 random characters with the checksum of
// the first 30, as GitHub and npm tokens end.
func checksummedBody(random36 string) string {
	return random36[:30] + Base62CRC32(random36[:30])
}

// pypiToken is a PyPI API token: a version 2 macaroon (location, identifier, a
// caveat, the signature) in base64url after "pypi-".
func pypiToken(location string) string {
	raw := []byte{2, 1, byte(len(location))}
	raw = append(raw, location...)
	id := rnd(alnum, 32)
	raw = append(raw, 2, byte(len(id)))
	raw = append(raw, id...)
	caveat := `{"version": 1, "permissions": "user"}`
	raw = append(raw, 0, 2, byte(len(caveat)))
	raw = append(raw, caveat...)
	raw = append(raw, 0, 0, 6, 32)
	raw = append(raw, rnd(alnum, 32)...)
	return "pypi-" + base64.RawURLEncoding.EncodeToString(raw)
}

func wrap(s string, n int) string {
	var lines []string
	for len(s) > n {
		lines = append(lines, s[:n])
		s = s[n:]
	}
	return strings.Join(append(lines, s), "\n")
}

func pem(label, body string) string {
	return "-----BEGIN " + label + "-----\n" + body + "\n-----END " + label + "-----\n"
}

// opensshKey is an OpenSSH private key whose body names the cipher.
func opensshKey(cipher string) string {
	raw := []byte("openssh-key-v1\x00")
	raw = append(raw, 0, 0, 0, byte(len(cipher)))
	raw = append(raw, cipher...)
	raw = append(raw, rnd(alnum, 600)...)
	return pem("OPENSSH PRIVATE KEY", wrap(base64.StdEncoding.EncodeToString(raw), 70))
}

func jwt(header, payload, sig string) string {
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString([]byte(payload)) + "." + sig
}

func gcpKey(privateKey string) string {
	return `{
  "type": "service_account",
  "project_id": "shop-prod",
  "private_key_id": "` + rnd(hexLow, 40) + `",
  "private_key": "` + privateKey + `",
  "client_email": "deployer@shop-prod.iam.gserviceaccount.com",
  "client_id": "` + rnd("0123456789", 21) + `"
}`
}

func dockerConfig(registry, field, value string) string {
	return `{"auths":{"` + registry + `":{"` + field + `":"` + value + `"}}}`
}

func b64s(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

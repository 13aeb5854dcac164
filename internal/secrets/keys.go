package secrets

import "strings"

// keyClass is what a key name says its value is.
type keyClass int

const (
	notCredential keyClass = iota
	// passwordKey names a password, which people choose.
	passwordKey
	// secretKey names a shared secret, which people choose too (MINIO_SECRET_KEY,
	// client secrets) but which may also hold the name of a Secret object.
	secretKey
	// tokenKey names a secret machines generate: a token, an API key, credentials.
	tokenKey
)

// Credential words, matched against the last word of a key name (after trailing
// words that do not change what the value is, such as _VALUE). A key whose
// credential word is followed by anything else names something about the credential,
// not the credential: PASSWORD_FILE, secretName, tokenTTL, password_min_length,
// SECRET_REF, ACCESS_KEY_ID.
var (
	passwordWords = map[string]bool{
		"password": true, "passwd": true, "pwd": true, "pass": true, "passphrase": true,
		"pword": true, "passw": true,
	}
	secretWords = map[string]bool{
		"secret": true, "secretkey": true, "clientsecret": true, "apisecret": true,
		"appsecret": true, "sharedsecret": true,
	}
	tokenWords = map[string]bool{
		"token": true, "apikey": true, "apitoken": true, "accesstoken": true, "authtoken": true,
		"accesskey": true, "privatekey": true, "credential": true, "credentials": true,
		"creds": true, "auth": true, "authorization": true, "bearer": true, "sessiontoken": true,
		"refreshtoken": true, "secrettoken": true, "signingkey": true, "encryptionkey": true,
		"masterkey": true, "licensekey": true, "webhooksecret": true,
	}
	// Suffixes of run-together lower-case words ("dbpassword", "gitlabtoken"); only
	// long, unambiguous ones ("bypass" must not be a password).
	passwordSuffixes = []string{"password", "passwd", "passphrase"}
	secretSuffixes   = []string{"secret", "secretkey"}
	tokenSuffixes    = []string{"token", "apikey", "accesskey", "privatekey", "credentials"}
	// keyQualifiers make "key" a credential when they precede it: API_KEY,
	// SECRET_KEY, PRIVATE_KEY.
	keyQualifiers = map[string]keyClass{
		"api": tokenKey, "access": tokenKey, "private": tokenKey, "signing": tokenKey,
		"encryption": tokenKey, "master": tokenKey, "account": tokenKey, "auth": tokenKey,
		"hmac": tokenKey, "session": tokenKey, "storage": tokenKey, "license": tokenKey,
		"client": tokenKey, "shared": tokenKey, "app": tokenKey, "service": tokenKey,
		"secret": secretKey,
	}
	// digestWords anywhere in a key make its value a digest of a credential, not the
	// credential: checksum/secret annotations (Helm's restart-on-change idiom),
	// PASSWORD_HASH, hashed_password.
	digestWords = map[string]bool{
		"checksum": true, "checksums": true, "hash": true, "hashed": true, "sha": true, "sha1": true,
		"sha256": true, "sha512": true, "digest": true, "fingerprint": true, "md5": true,
	}
	// trailingWords do not change what a key's value is (PASSWORD_VALUE, SECRET_KEY_BASE).
	trailingWords = map[string]bool{
		"value": true, "val": true, "plain": true, "plaintext": true, "raw": true, "str": true,
		"string": true, "literal": true, "data": true, "b64": true, "base64": true, "hex": true,
		"base": true,
	}
)

// classifyKey says whether a key name names a credential, and which kind.
func classifyKey(key string) keyClass {
	if key == "" || !mayBeCredentialKey(key) {
		return notCredential
	}
	words := splitWords(key)
	for len(words) > 0 && (trailingWords[words[len(words)-1]] || isDigits(words[len(words)-1])) {
		words = words[:len(words)-1]
	}
	if len(words) == 0 {
		return notCredential
	}
	for _, w := range words {
		if digestWords[w] {
			return notCredential
		}
	}
	last := words[len(words)-1]
	switch {
	case passwordWords[last]:
		return passwordKey
	case secretWords[last]:
		return secretKey
	case tokenWords[last]:
		return tokenKey
	case last == "key" && len(words) > 1:
		return keyQualifiers[words[len(words)-2]]
	}
	for _, s := range passwordSuffixes {
		if len(last) > len(s)+1 && strings.HasSuffix(last, s) {
			return passwordKey
		}
	}
	for _, s := range secretSuffixes {
		if len(last) > len(s)+1 && strings.HasSuffix(last, s) {
			return secretKey
		}
	}
	for _, s := range tokenSuffixes {
		if len(last) > len(s)+1 && strings.HasSuffix(last, s) {
			return tokenKey
		}
	}
	return notCredential
}

// mayBeCredentialKey is the cheap test before a key is split into words.
func mayBeCredentialKey(key string) bool {
	return containsFoldAny(key, credentialStems)
}

// credentialStems occur in every credential key name.
var credentialStems = []string{"pass", "pwd", "secret", "token", "key", "auth", "cred", "bearer", "pword"}

// containsFoldAny reports whether s contains one of the lower-case needles, ignoring
// the case of s (ASCII).
func containsFoldAny(s string, needles []string) bool {
	for i := 0; i < len(s); i++ {
		c := lowerASCII(s[i])
		for _, n := range needles {
			if c != n[0] || len(s)-i < len(n) {
				continue
			}
			j := 1
			for j < len(n) && lowerASCII(s[i+j]) == n[j] {
				j++
			}
			if j == len(n) {
				return true
			}
		}
	}
	return false
}

func lowerASCII(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// splitWords splits a key name into lower-case words at separators and at case
// changes: "MYSQL_ROOT_PASSWORD", "dbPassword", "APIKey", "spring.datasource.password",
// "--db-password".
func splitWords(key string) []string {
	var words []string
	start := -1
	flush := func(end int) {
		if start >= 0 && end > start {
			words = append(words, strings.ToLower(key[start:end]))
		}
		start = -1
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		isUpper := c >= 'A' && c <= 'Z'
		isLower := c >= 'a' && c <= 'z'
		isDigit := c >= '0' && c <= '9'
		if !isUpper && !isLower && !isDigit {
			flush(i)
			continue
		}
		if start < 0 {
			start = i
			continue
		}
		prev := key[i-1]
		prevLower := prev >= 'a' && prev <= 'z'
		prevUpper := prev >= 'A' && prev <= 'Z'
		prevDigit := prev >= '0' && prev <= '9'
		switch {
		case isUpper && (prevLower || prevDigit):
			// dbPassword, s3Key
			flush(i)
			start = i
		case isLower && prevUpper && i-1 > start:
			// APIKey: the upper-case run ends one before the lower case starts.
			flush(i - 1)
			start = i - 1
		case isDigit != prevDigit:
			// password2, s3: digits are a word of their own.
			flush(i)
			start = i
		}
	}
	flush(len(key))
	return words
}

func isDigitByte(c byte) bool { return c >= '0' && c <= '9' }

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigitByte(s[i]) {
			return false
		}
	}
	return s != ""
}

package secrets

import (
	"regexp"
	"strconv"
	"strings"
)

// Values that are not secrets although they sit where a secret would. Every detector
// checks the secret it found with placeholder; the keyword detectors also with
// notLiteral, since any string can follow "password=".

// placeholderWords occur in values written to be replaced, and in the documentation
// examples providers publish (AKIAIOSFODNN7EXAMPLE); "test" covers test fixtures.
// Random tokens of the lengths detected here contain none of them by chance often
// enough to matter.
var placeholderWords = []string{
	"changeme", "change_me", "change-me", "changeit", "replace", "example", "dummy",
	"placeholder", "sample", "xxxx", "redacted", "your", "insert", "fixme", "todo",
	"test", "fake", "foobar", "lorem", "notasecret", "not-a-secret", "not_a_secret",
	"secret-here", "password-here", "token-here", "key-here", "goes-here", "goeshere",
}

// templateMarks are variable references of shells, Kubernetes ($(VAR) dependent
// environment variables), Helm and Go templates, printf verbs and angle-bracket
// placeholders.
var templateMarks = []string{"${", "$(", "{{", "}}", "%s", "%v", "%d", "<", ">", "***", "..."}

// credentialValues are values that only name what should be there ("password",
// "API_KEY"): documentation's way of writing "the password goes here". Anything more
// ("password123", "supersecret", "my-password") is a demo password that a service
// runs with, and is reported.
var credentialValues = map[string]bool{
	"password": true, "passwd": true, "pass": true, "pwd": true, "secret": true,
	"token": true, "apikey": true, "key": true, "credentials": true, "credential": true,
	"passphrase": true, "privatekey": true, "secretkey": true, "accesskey": true,
	"authtoken": true, "accesstoken": true, "clientsecret": true, "auth": true,
}

// referencePrefixes start values that point at a secret kept elsewhere: secret
// stores (Vault, AWS Secrets Manager and SSM, Google Secret Manager, Azure Key
// Vault, 1Password, vals' ref+), SOPS-encrypted values, files and environment.
var referencePrefixes = []string{
	"vault:", "ref+", "arn:aws:", "arn:aws-", "ssm:", "secretsmanager:", "sm://", "gcpsm://",
	"awssm://", "awsssm://", "azkv://", "keyvault:", "akv:", "op://", "enc[", "env:", "file:",
	"secret:", "secretref:", "secretkeyref", "k8s:", "kubernetes:", "projects/", "gsm:",
	"classpath:", "bitwarden:", "doppler:", "infisical:", "conjur:", "cyberark:",
}

// placeholder reports whether a found secret is a placeholder, reference or example
// rather than a credential.
func placeholder(v string) bool {
	if v == "" {
		return true
	}
	for _, m := range templateMarks {
		if strings.Contains(v, m) {
			return true
		}
	}
	if len(v) <= maxWordCheck {
		lower := strings.ToLower(v)
		for _, w := range placeholderWords {
			if strings.Contains(lower, w) {
				return true
			}
		}
	}
	return lowDiversity(v)
}

// maxWordCheck is the longest secret checked for placeholder words: a long random
// body (a private key, a JWT) contains some four letters of them by chance.
const maxWordCheck = 100

// lowDiversity reports strings made of very few distinct characters ("aaaaaaaa",
// "--------", "abababab"): fillers, not random secrets.
func lowDiversity(v string) bool {
	var seen [256]bool
	n := 0
	for i := 0; i < len(v); i++ {
		if !seen[v[i]] {
			seen[v[i]] = true
			n++
			if n > 3 {
				return false
			}
		}
	}
	return true
}

// notLiteral reports whether a value under a credential-named key is something other
// than a literal secret: a placeholder, a reference, a path, a boolean, a number, a
// password hash or a word that only names the credential.
func notLiteral(v string) bool {
	if placeholder(v) {
		return true
	}
	lower := strings.ToLower(v)
	switch lower {
	case "true", "false", "yes", "no", "on", "off", "null", "nil", "none", "~", "enabled",
		"disabled", "enable", "disable", "required", "optional", "auto", "default", "empty",
		"unset", "undefined", "random", "generated", "generate", "secret", "string":
		return true
	}
	for _, p := range referencePrefixes {
		if strings.HasPrefix(lower, p) {
			return true
		}
	}
	switch v[0] {
	case '/', '~', '!', '*', '&', '@', '$':
		// A path, a YAML tag, alias or anchor, a file reference (curl's @file), a
		// shell variable or a crypt(3)/bcrypt hash ($2y$...).
		return true
	case '.':
		if strings.HasPrefix(v, "./") || strings.HasPrefix(v, "../") {
			return true
		}
	case '{':
		// An LDAP-style hash ({SSHA}...) or an inline JSON/YAML mapping.
		return true
	}
	if len(v) > 2 && v[1] == ':' && (v[2] == '\\' || v[2] == '/') {
		return true // C:\path
	}
	if strings.Contains(lower, "://") && !strings.Contains(v, "@") {
		return true // a URL without credentials (the URL detector reads those)
	}
	if _, err := strconv.ParseFloat(v, 64); err == nil {
		return true
	}
	if callRE.MatchString(v) {
		return true // an expression in code: get_secret("x"), os.getenv("X")
	}
	return credentialValues[strings.Map(keepAlnum, lower)]
}

func keepAlnum(r rune) rune {
	if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
		return r
	}
	return -1
}

// hasSpace reports whether v contains white space.
func hasSpace(v string) bool {
	return strings.ContainsAny(v, " \t\r\n")
}

// nameLike reports whether v looks like a name rather than a generated secret: only
// lower-case letters and '-', '_', '.', '/', like the name of a Secret object
// ("postgres-credentials", "cert-manager/webhook-ca") or a mode ("kubernetes"); or
// lower-case letters and digits in several segments ("etcd-cluster-k8s") that are not
// a UUID.
func nameLike(v string) bool {
	segments, digits := 1, false
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c >= 'a' && c <= 'z':
		case c >= '0' && c <= '9':
			digits = true
		case c == '-' || c == '_' || c == '.' || c == '/':
			if i > 0 && i < len(v)-1 {
				segments++
			}
		default:
			return false
		}
	}
	if !digits {
		return true
	}
	return segments > 1 && !uuidRE.MatchString(v)
}

var callRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.]*\(.*\)$`)

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// tokenLike reports whether v looks machine-generated: letters mixed with digits or
// symbols, or both cases of letters.
func tokenLike(v string) bool {
	var lower, upper, digit, other bool
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c >= 'a' && c <= 'z':
			lower = true
		case c >= 'A' && c <= 'Z':
			upper = true
		case c >= '0' && c <= '9':
			digit = true
		default:
			other = true
		}
	}
	letters := lower || upper
	return letters && (digit || (lower && upper) || (other && !nameLike(v)))
}

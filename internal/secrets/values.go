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
// examples providers publish (AKIAIOSFODNN7EXAMPLE). Long words count anywhere in a
// value: random tokens of the lengths detected here do not contain seven given
// letters by chance. Short ones (shortPlaceholderWords) count only where a word
// starts (at the start of the value, after a character that is not a letter, or at
// a lower-to-upper case change): "testpass1" and "my-dummy-pw" are placeholders,
// "contest" and "Latest7x" are not.
var placeholderWords = []string{
	"changeme", "change_me", "change-me", "changeit", "replace", "example", "placeholder",
	"redacted", "notasecret", "not-a-secret", "not_a_secret", "secret-here", "password-here",
	"token-here", "key-here", "goes-here", "goeshere",
}

var shortPlaceholderWords = []string{
	"dummy", "sample", "your", "insert", "fixme", "todo", "test", "fake", "foobar", "lorem",
}

// Placeholders are told from random strings by their shape, not by one character: a
// password may contain any of $ { < > * % . and still be a password. These are the
// shapes of variable references (shells, Kubernetes' $(VAR), Helm and Go templates,
// Jinja, ERB, Octopus, Maven and Windows), printf verbs and angle-bracket slots.
var (
	// References that may sit anywhere in a value: ${VAR}, ${VAR:-x}, ${var.name},
	// ${{ secrets.X }}, $(VAR), $(cat /run/secrets/x), {{ .Values.x }}, {%- if x %},
	// <%= x %>, #{x}.
	embeddedRefRE = regexp.MustCompile(`\$\{\{?\s*[A-Za-z_][A-Za-z0-9_.]*(?:\s*\}\}|\}|[:?=+\-#%/][^{}]*\})` +
		`|\$\((?:[A-Za-z_][A-Za-z0-9_]*|[a-z][a-z0-9_\-]* [^()]*)\)` +
		`|\{\{-?\s*[A-Za-z_.$"'(][^{}]*\}\}|\{%-?\s*[a-z][^{}]*%\}|<%[=\-]?\s*[A-Za-z_@][^<>]*%>|#\{[A-Za-z_][A-Za-z0-9_.]*\}`)
	// Whole values that are a reference: $VAR, %VAR%, @VAR@, {password}, {0}.
	wholeRefRE = regexp.MustCompile(`^(?:\$[A-Za-z_][A-Za-z0-9_]*|%[A-Za-z_][A-Za-z0-9_]*%|@[A-Za-z_][A-Za-z0-9_.\-]*@|\{(?:[0-9]+|` + slotWords + `)\})$`)
	// An angle-bracket slot: <password>, <your-key>, <registry password>, <API_KEY>.
	angleRE = regexp.MustCompile(`<` + slotWords + `>`)
	// A reference cut short where a value read from a file ends (at white space, a
	// brace or a parenthesis): "{{ .Values.x", "${DB_PASSWORD", "$(cat".
	templateStartRE = regexp.MustCompile(`^(?:\{\{[-\s.$A-Za-z]|\$\{\{?\s*[A-Za-z_]|\$\([A-Za-z_])`)
	// printf verbs and Python's %(name)s.
	printfRE = regexp.MustCompile(`%(?:\([A-Za-z_][A-Za-z0-9_]*\))?[sdv]`)
	// printfRestRE is what must remain around the verbs of a format string: a random
	// password with "%s" in it has other symbols too.
	printfRestRE = regexp.MustCompile(`^[A-Za-z0-9_.:/@=\-]*$`)
)

// slotWords is the text of a slot: words in one case (password, your-key,
// Your Password, API_KEY), not a random run such as "Kd4", "Wtk" or "zXfrC".
const slotWords = `(?:[a-z]{3,}|[A-Z][a-z]{3,}|[A-Z]{4,})(?:[ _.\-/|](?:[A-Za-z][a-z0-9]*|[A-Z0-9]+))*`

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
	"classpath:", "@microsoft.keyvault(", "bitwarden:", "doppler:", "infisical:", "conjur:", "cyberark:",
}

// placeholder reports whether a found secret is a placeholder, reference or example
// rather than a credential.
func placeholder(v string) bool {
	if v == "" {
		return true
	}
	if strings.ContainsAny(v, "${}<>%#@") && referenceShape(v) {
		return true
	}
	if fillerRun(v) || elided(v) {
		return true
	}
	if len(v) <= maxWordCheck && placeholderWord(v) {
		return true
	}
	return lowDiversity(v)
}

// referenceShape reports a variable reference, template, printf format or slot.
func referenceShape(v string) bool {
	if templateStartRE.MatchString(v) || wholeRefRE.MatchString(v) || embeddedRefRE.MatchString(v) || angleRE.MatchString(v) {
		return true
	}
	if strings.Contains(v, "%") && printfRE.MatchString(v) {
		rest := printfRE.ReplaceAllString(v, "")
		return printfRestRE.MatchString(rest) && !mixedCase(rest)
	}
	return false
}

// fillerRun reports a run of x, X, *, # or • making up a third of v or more (at
// least three): ghp_xxxx..., sk_live_****..., ab****yz. A random string with "***"
// somewhere in it is not a placeholder.
func fillerRun(v string) bool {
	need := max(3, (len(v)+2)/3)
	run, prev := 0, byte(0)
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c != 'x' && c != 'X' && c != '*' && c != '#' {
			run = 0
			continue
		}
		if c == prev && run > 0 {
			run++
		} else {
			run = 1
		}
		prev = c
		if run >= need {
			return true
		}
	}
	return strings.Count(v, "•") >= need
}

// elided reports a value cut short for the reader: "..." (or "…") at its start or end.
func elided(v string) bool {
	return strings.HasSuffix(v, "...") || strings.HasPrefix(v, "...") ||
		strings.HasSuffix(v, "…") || strings.HasPrefix(v, "…")
}

// placeholderWord reports one of the placeholder words in v (see placeholderWords).
func placeholderWord(v string) bool {
	if strings.Contains(v, "xxxx") || strings.Contains(v, "XXXX") {
		return true
	}
	lower := strings.ToLower(v)
	for _, w := range placeholderWords {
		if strings.Contains(lower, w) {
			return true
		}
	}
	for _, w := range shortPlaceholderWords {
		for i := 0; ; {
			j := strings.Index(lower[i:], w)
			if j < 0 {
				break
			}
			at := i + j
			if wordStart(v, at) {
				return true
			}
			i = at + 1
		}
	}
	return false
}

// wordStart reports whether a word starts at v[i]: at the start, after a character
// that is not a letter, or where lower case turns to upper case.
func wordStart(v string, i int) bool {
	if i == 0 {
		return true
	}
	p, c := v[i-1], v[i]
	pLetter := p >= 'a' && p <= 'z' || p >= 'A' && p <= 'Z'
	if !pLetter {
		return true
	}
	return p >= 'a' && p <= 'z' && c >= 'A' && c <= 'Z'
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
	if leadingShape(v) {
		return true
	}
	if winPathRE.MatchString(v) {
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

// Values recognised by their first character and the shape of the rest. A password
// may start with any character: "/x9$kQ!" is not a path, "$ecret!9" not a variable.
var (
	// A path: /etc/secret/db-password, ~/.pgpass, ./pw.txt, ../secrets/pw.
	pathRE = regexp.MustCompile(`^(?:~|\.{1,2})?/[A-Za-z0-9._\-/]*$`)
	// A Windows path: C:\secrets\pw.txt.
	winPathRE = regexp.MustCompile(`^[A-Za-z]:[\\/][A-Za-z0-9._\-\\/ ]*$`)
	// A YAML tag (!vault, !Ref), alias (*db) or anchor (&db).
	yamlMarkRE = regexp.MustCompile(`^(?:!{1,2}[A-Za-z][A-Za-z0-9_.:/\-]*|[*&](?:[a-z0-9_.\-]+|[A-Z0-9_.\-]+))$`)
	// A file reference of curl, httpie or Ansible: @/path, @file.txt.
	atFileRE = regexp.MustCompile(`^@[A-Za-z0-9._/~\-]+$`)
	// A password hash: crypt(3) and its successors ($2y$10$..., $6$salt$...,
	// $argon2id$...), and LDAP/Spring schemes ({SSHA}..., {bcrypt}...), or a Spring
	// Cloud Config encrypted value ({cipher}...).
	hashRE = regexp.MustCompile(`^(?:\$(?:1|2[abxy]?|5|6|7|y|gy|apr1|md5|sha1|sha256|sha512|argon2(?:i|d|id)|pbkdf2(?:-sha(?:1|256|512))?|scrypt|bcrypt(?:-sha256)?)\$|(?i:\{(?:s?sha(?:256|384|512)?|s?md5|crypt|bcrypt|pbkdf2(?:-sha(?:1|256|512))?|argon2(?:id|i|d)?|scrypt|ssha|cipher|md4|sha-?1|x-pbkdf2)\}))`)
)

// randomSegment reports a "path" of one segment that is a random string: "/" and 12
// or more characters mixing upper case, lower case and digits ("/CngZ0cxP...zMCPRTo1"),
// which no file system layout names a directory or file like (/etc, /data/pw.txt,
// /run/secrets/db are paths).
func randomSegment(v string) bool {
	seg, ok := strings.CutPrefix(v, "/")
	if !ok || len(seg) < 12 || strings.Contains(seg, "/") {
		return false
	}
	lower, upper, digit, _ := charClasses(seg)
	return lower && upper && digit
}

// mixedCase reports text around printf verbs that is a random string rather than the
// words of a format ("db-%s-password", "ApiKey%s", "jdbc:mysql://%s:%d/shop"): ten
// letters or more, between a third and two thirds of them upper case.
func mixedCase(rest string) bool {
	var letters, upper int
	for i := 0; i < len(rest); i++ {
		switch c := rest[i]; {
		case c >= 'A' && c <= 'Z':
			letters++
			upper++
		case c >= 'a' && c <= 'z':
			letters++
		}
	}
	return letters >= 10 && 3*upper >= letters && 3*upper <= 2*letters
}

// leadingShape reports paths, YAML marks, file references, hashes and references
// that a value's first character announces, when the rest has their shape.
func leadingShape(v string) bool {
	switch v[0] {
	case '/', '~', '.':
		return v == "~" || pathRE.MatchString(v) && !randomSegment(v)
	case '!', '*', '&':
		return yamlMarkRE.MatchString(v)
	case '@':
		return atFileRE.MatchString(v)
	case '$', '{':
		return hashRE.MatchString(v)
	}
	return false
}

// callRE is an expression in code: a function called with quoted strings, names and
// numbers ("T(aI=+Ab~Gk)" is a password).
var callRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.]*\((?:\s*(?:"[^"]*"|'[^']*'|[A-Za-z0-9_.\-]+)\s*,?)*\)$`)

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// charClasses reports which classes of ASCII characters s holds: lower-case and
// upper-case letters, digits, and anything else.
func charClasses(s string) (lower, upper, digit, other bool) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
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
	return lower, upper, digit, other
}

// tokenLike reports whether v looks machine-generated: letters mixed with digits or
// symbols, or both cases of letters.
func tokenLike(v string) bool {
	lower, upper, digit, other := charClasses(v)
	letters := lower || upper
	return letters && (digit || (lower && upper) || (other && !nameLike(v)))
}

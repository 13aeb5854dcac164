package secrets

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"regexp"
	"strings"
)

// Detector IDs. They are stable: rules map them to rule IDs.
const (
	AWSAccessKeyID        = "aws-access-key-id"
	AWSSecretAccessKey    = "aws-secret-access-key"
	GCPServiceAccountKey  = "gcp-service-account-key"
	AzureStorageKey       = "azure-storage-key"
	GitHubToken           = "github-token"
	GitLabToken           = "gitlab-token"
	GoogleAPIKey          = "google-api-key"
	NPMToken              = "npm-token"
	PyPIToken             = "pypi-token"
	SlackToken            = "slack-token"
	SlackWebhook          = "slack-webhook"
	StripeKey             = "stripe-key"
	PrivateKey            = "private-key"
	EncryptedPrivateKey   = "private-key-encrypted"
	JWT                   = "jwt"
	URLCredentials        = "url-credentials"
	DockerConfigAuth      = "docker-config-auth"
	Password              = "password"
	SharedSecret          = "secret"
	GenericToken          = "generic-token"
	priorityGenericToken  = 0
	priorityGenericSecret = 1
	priorityURL           = 2
	priorityFormat        = 3
	priorityContainer     = 4
)

// detector is one kind of secret: what it is called, the substrings one of which any
// match contains (checked before anything else), how much of it may be shown, and a
// function that adds candidates. When two candidates overlap, the one of higher
// priority wins.
type detector struct {
	id, kind   string
	needles    []string
	showPrefix int
	priority   int
	find       func(s *Scanner, c *candidates, d *detector, key, value string)
}

func (d *detector) mayMatch(v string) bool {
	for _, n := range d.needles {
		if strings.Contains(v, n) {
			return true
		}
	}
	return false
}

// Detectors lists the IDs and kinds of all detectors, for documentation and tests.
func Detectors() map[string]string {
	m := make(map[string]string, len(detectors))
	for _, d := range detectors {
		m[d.id] = d.kind
	}
	return m
}

// detectors is the table every Detect call runs. Keyword detectors (find == nil) run
// from keyed, on key and value pairs.
var detectors = []detector{
	// AWS access key IDs: AKIA (long-term IAM user keys) or ASIA (temporary STS keys)
	// and 16 base32 characters. The ID alone does not authenticate, but it is never
	// committed without its secret, and it names the account. A 40-character secret
	// within a few lines of the ID is reported as the secret access key.
	{id: AWSAccessKeyID, kind: "AWS access key ID", needles: []string{"AKIA", "ASIA"}, showPrefix: 4,
		priority: priorityFormat, find: findAWSKeyID},
	// AWS secret access keys: 40 base64 characters, recognisable only by context: a
	// key naming an AWS secret key (AWS_SECRET_ACCESS_KEY, aws_secret_access_key in a
	// credentials file, SecretAccessKey) or an access key ID nearby.
	{id: AWSSecretAccessKey, kind: "AWS secret access key", priority: priorityFormat},
	// Google Cloud service-account keys: the JSON key file ("type": "service_account"
	// with a "private_key"). The private key inside is not reported again.
	{id: GCPServiceAccountKey, kind: "Google Cloud service account key", needles: []string{"service_account"},
		priority: priorityContainer, find: findGCPKey},
	// Azure storage account keys (88 base64 characters) and Service Bus / Event Hubs
	// shared access keys, in connection strings (AccountKey=..., SharedAccessKey=...)
	// or under a key naming an Azure storage key.
	{id: AzureStorageKey, kind: "Azure storage account key", needles: []string{"AccountKey=", "SharedAccessKey=", "accountkey=", "ACCOUNTKEY="},
		priority: priorityFormat, find: findAzure},
	// GitHub tokens: personal (ghp_), OAuth (gho_), user-to-server (ghu_),
	// server-to-server (ghs_), refresh (ghr_) and fine-grained personal tokens
	// (github_pat_). The 40-character ones end with a checksum (Base62CRC32) that a
	// look-alike fails.
	{id: GitHubToken, kind: "GitHub token", needles: []string{"ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"},
		showPrefix: 4, priority: priorityFormat, find: findGitHubTokens},
	// GitLab tokens: personal/project/group access (glpat-), deploy (gldt-), runner
	// authentication (glrt-), pipeline trigger (glptt-), feed (glft-), OAuth
	// application secrets (gloas-) and CI/CD job tokens (glcbt-).
	{id: GitLabToken, kind: "GitLab token", needles: []string{"glpat-", "gldt-", "glrt-", "glptt-", "glft-", "gloas-", "glcbt-"},
		showPrefix: 4, priority: priorityFormat, find: regexFinder(gitlabRE, 0)},
	// Google API keys: AIza and 35 characters of base64url, 39 in all (Maps,
	// Firebase, YouTube, Gemini and every other Google API that takes a key).
	{id: GoogleAPIKey, kind: "Google API key", needles: []string{"AIza"}, showPrefix: 4,
		priority: priorityFormat, find: findGoogleAPIKeys},
	// npm access tokens: npm_ and 36 base62 characters, the last 6 a checksum of the
	// first 30 (as GitHub's).
	{id: NPMToken, kind: "npm access token", needles: []string{"npm_"}, showPrefix: 4,
		priority: priorityFormat, find: findNPMTokens},
	// PyPI API tokens: pypi- and a macaroon in base64url whose location is pypi.org
	// (AgEIcHlwaS5vcmc) or test.pypi.org (AgENdGVzdC5weXBpLm9yZw).
	{id: PyPIToken, kind: "PyPI API token", needles: []string{"pypi-AgE"}, showPrefix: 4,
		priority: priorityFormat, find: findPyPITokens},
	// Slack tokens: bot (xoxb-), user (xoxp-), workspace app (xoxa-), refresh (xoxr-),
	// session (xoxs-) and app-level (xapp-) tokens with their numeric team/user parts.
	{id: SlackToken, kind: "Slack token", needles: []string{"xoxb-", "xoxp-", "xoxa-", "xoxr-", "xoxs-", "xapp-"},
		showPrefix: 4, priority: priorityFormat, find: regexFinder(slackRE, 0)},
	// Slack incoming webhooks: whoever has the URL can post to the channel. The
	// secret part is the path after hooks.slack.com/services/.
	{id: SlackWebhook, kind: "Slack webhook URL", needles: []string{"hooks.slack.com/"},
		priority: priorityFormat, find: regexFinder(slackWebhookRE, 1)},
	// Stripe live secret (sk_live_) and restricted (rk_live_) keys. Test-mode keys
	// (sk_test_, rk_test_) cannot move money and are published in tutorials, so they
	// are not reported.
	{id: StripeKey, kind: "Stripe live secret key", needles: []string{"sk_live_", "rk_live_"},
		showPrefix: 4, priority: priorityFormat, find: regexFinder(stripeRE, 0)},
	// PEM private keys (PKCS#1 RSA, SEC1 EC, DSA, PKCS#8, OpenSSH, PGP) with a body of
	// real base64, also inside JSON strings (\n escapes). Encrypted ones (ENCRYPTED
	// PRIVATE KEY, Proc-Type: 4,ENCRYPTED, OpenSSH keys with a cipher) are a detector
	// of their own: they still need their passphrase.
	{id: PrivateKey, kind: "private key", needles: []string{"PRIVATE KEY"}, priority: priorityFormat, find: findPrivateKeys},
	{id: EncryptedPrivateKey, kind: "encrypted private key", priority: priorityFormat},
	// JSON Web Tokens: three base64url segments whose header decodes to JSON with a
	// signing "alg" (unsigned "none" tokens grant nothing) and whose payload is JSON.
	{id: JWT, kind: "JSON Web Token", needles: []string{"eyJ"}, showPrefix: 3, priority: priorityFormat, find: findJWTs},
	// Credentials in URLs: scheme://user:password@host with a literal password (not
	// ${VAR}, $(VAR) or another placeholder).
	{id: URLCredentials, kind: "password in a URL", needles: []string{"@"}, priority: priorityURL, find: findURLCredentials},
	// Container registry credentials: a Docker config (.dockerconfigjson, config.json
	// or the older .dockercfg) whose "auth" decodes to user:password, or that holds a
	// "password" or an "identitytoken".
	{id: DockerConfigAuth, kind: "container registry credentials", needles: []string{"auths", "email"},
		priority: priorityContainer, find: findDockerAuths},
	// Keyword detectors: literal values under keys that name a credential.
	{id: Password, kind: "hardcoded password", priority: priorityGenericSecret},
	{id: SharedSecret, kind: "hardcoded secret", priority: priorityGenericSecret},
	{id: GenericToken, kind: "high-entropy secret", priority: priorityGenericToken},
}

// byID indexes the table; the finders reach the detectors they add for others
// (an access key ID finder adds the secret key next to it) through it.
var byID map[string]*detector

func init() {
	detectors = append(detectors, providerDetectors...)
	byID = make(map[string]*detector, len(detectors))
	for i := range detectors {
		byID[detectors[i].id] = &detectors[i]
	}
}

// detectorByID returns a detector of the table.
func detectorByID(id string) *detector {
	d := byID[id]
	if d == nil {
		panic("secrets: no detector " + id)
	}
	return d
}

var (
	awsKeyIDRE     = regexp.MustCompile(`\b(?:AKIA|ASIA)[A-Z2-7]{16}\b`)
	awsSecretRE    = regexp.MustCompile(`^[A-Za-z0-9/+]{40}$`)
	awsNearbyRE    = regexp.MustCompile(`(?:^|[^A-Za-z0-9/+=])([A-Za-z0-9/+]{40})(?:$|[^A-Za-z0-9/+=])`)
	gcpTypeRE      = regexp.MustCompile(`"type"\s*:\s*"service_account"`)
	gcpKeyRE       = regexp.MustCompile(`"private_key"\s*:\s*"([^"]*)"`)
	gcpEmailRE     = regexp.MustCompile(`"client_email"\s*:\s*"([A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.iam\.gserviceaccount\.com)"`)
	azureRE        = regexp.MustCompile(`(?i)\b(?:AccountKey|SharedAccessKey)\s*=\s*([A-Za-z0-9+/]{40,}={0,2})`)
	azureValueRE   = regexp.MustCompile(`^[A-Za-z0-9+/]{86}==$`)
	githubRE       = regexp.MustCompile(`\b(?:gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59})\b`)
	gitlabRE       = regexp.MustCompile(`\b(?:glpat|gldt|glrt|glptt|glft|gloas|glcbt)-[A-Za-z0-9_\-]{20,}(?:\.[A-Za-z0-9_\-]{2,})*`)
	googleAPIKeyRE = regexp.MustCompile(`AIza[0-9A-Za-z_\-]{35}`)
	npmRE          = regexp.MustCompile(`\bnpm_[A-Za-z0-9]{36}\b`)
	pypiRE         = regexp.MustCompile(`\bpypi-AgE(?:IcHlwaS5vcmc|NdGVzdC5weXBpLm9yZw)[A-Za-z0-9_\-]+`)
	slackRE        = regexp.MustCompile(`\b(?:xox[abprs]-(?:[0-9]{1,20}-){1,3}[0-9A-Za-z]{10,64}|xapp-[0-9]-[A-Z0-9]{6,}-[0-9]{6,}-[0-9a-z]{32,})\b`)
	slackWebhookRE = regexp.MustCompile(`hooks\.slack\.com/(?:services|workflows|triggers)/(T[A-Z0-9]{6,}/[A-Za-z0-9]{6,}/[A-Za-z0-9/]{16,})`)
	stripeRE       = regexp.MustCompile(`\b[rs]k_live_[0-9A-Za-z]{20,247}\b`)
	pemBeginRE     = regexp.MustCompile(`-----BEGIN ((?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP |SSH2 ENCRYPTED )?PRIVATE KEY(?: BLOCK)?)-----`)
	jwtRE          = regexp.MustCompile(`\beyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{16,}`)
	urlCredRE      = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9+.\-]{1,30})://([^\s:/?#@"'<>\[\]{}\\]{0,128}):([^\s/?#@"'<>{}\\]{1,256})@([A-Za-z0-9\[\]._\-]+)`)
	dockerFieldRE  = regexp.MustCompile(`\\?"(auth|password|identitytoken|registrytoken)\\?"\s*:\s*\\?"([^"\\]{3,})\\?"`)
	dockerHostRE   = regexp.MustCompile(`\\?"([^"\\]+)\\?"\s*:\s*\{`)
)

// regexFinder adds every match of re (or of its group) that is not a placeholder.
func regexFinder(re *regexp.Regexp, group int) func(*Scanner, *candidates, *detector, string, string) {
	return func(_ *Scanner, c *candidates, d *detector, _, value string) {
		for _, m := range re.FindAllStringSubmatchIndex(value, -1) {
			start, end := m[2*group], m[2*group+1]
			if start < 0 || placeholder(value[start:end]) {
				continue
			}
			c.add(d, start, end, "", "")
		}
	}
}

func findGitHubTokens(s *Scanner, c *candidates, d *detector, _, value string) {
	for _, m := range githubRE.FindAllStringIndex(value, -1) {
		tok := value[m[0]:m[1]]
		if placeholder(tok) || !s.lax && len(tok) == 40 && tok[3] == '_' && !checksummed(tok[4:]) {
			continue
		}
		c.add(d, m[0], m[1], "", "")
	}
}

func findNPMTokens(s *Scanner, c *candidates, d *detector, _, value string) {
	for _, m := range npmRE.FindAllStringIndex(value, -1) {
		tok := value[m[0]:m[1]]
		if placeholder(tok) || !s.lax && !checksummed(tok[4:]) {
			continue
		}
		c.add(d, m[0], m[1], "", "")
	}
}

// isBase64URLChar reports a character of the base64url alphabet.
func isBase64URLChar(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '-' || b == '_'
}

// findGoogleAPIKeys adds each AIza key of exactly 39 characters: not inside a longer
// run of base64url characters.
func findGoogleAPIKeys(_ *Scanner, c *candidates, d *detector, _, value string) {
	for _, m := range googleAPIKeyRE.FindAllStringIndex(value, -1) {
		if m[0] > 0 && isBase64URLChar(value[m[0]-1]) || m[1] < len(value) && isBase64URLChar(value[m[1]]) {
			continue
		}
		if key := value[m[0]:m[1]]; placeholder(key[4:]) {
			continue
		}
		c.add(d, m[0], m[1], "", "")
	}
}

// findPyPITokens adds each pypi- token whose body decodes to a version 2 macaroon
// (location pypi.org or test.pypi.org, then an identifier).
func findPyPITokens(_ *Scanner, c *candidates, d *detector, _, value string) {
	for _, m := range pypiRE.FindAllStringIndex(value, -1) {
		end := m[1]
		for end < len(value) && end-m[1] < 2 && value[end] == '=' {
			end++
		}
		body := value[m[0]+len("pypi-") : m[1]]
		raw, err := base64.RawURLEncoding.DecodeString(body[:len(body)/4*4])
		if len(body) < 64 || err != nil || raw[0] != 2 || raw[1] != 1 {
			continue
		}
		loc := int(raw[2])
		if 3+loc >= len(raw) || raw[3+loc] != 2 || placeholder(body) {
			continue // no identifier packet after the location
		}
		note := ""
		if strings.HasPrefix(body, "AgENdGVzdC5weXBpLm9yZw") {
			note = "TestPyPI"
		}
		c.add(d, m[0], end, "", note)
	}
}

func findAWSKeyID(_ *Scanner, c *candidates, d *detector, _, value string) {
	secret := detectorByID(AWSSecretAccessKey)
	for _, m := range awsKeyIDRE.FindAllStringIndex(value, -1) {
		id := value[m[0]:m[1]]
		if placeholder(id) {
			continue
		}
		note := ""
		if strings.HasPrefix(id, "ASIA") {
			note = "temporary (STS) key"
		}
		c.add(d, m[0], m[1], "", note)
		// The secret access key usually follows within a few lines.
		lo, hi := max(0, m[0]-300), min(len(value), m[1]+300)
		for _, n := range awsNearbyRE.FindAllStringSubmatchIndex(value[lo:hi], -1) {
			s, e := lo+n[2], lo+n[3]
			if v := value[s:e]; awsSecretShape(v) && !placeholder(v) {
				c.add(secret, s, e, "", "")
			}
		}
	}
}

// awsSecretShape: 40 characters of the AWS alphabet mixing cases and digits (a SHA-1
// in hex has no upper case; a base64 word run has no digits).
func awsSecretShape(v string) bool {
	if !awsSecretRE.MatchString(v) {
		return false
	}
	lower, upper, digit, _ := charClasses(v)
	return lower && upper && digit
}

func findGCPKey(_ *Scanner, c *candidates, d *detector, _, value string) {
	if !gcpTypeRE.MatchString(value) {
		return
	}
	note := ""
	if m := gcpEmailRE.FindStringSubmatch(value); m != nil {
		note = "service account " + m[1]
	}
	for _, m := range gcpKeyRE.FindAllStringSubmatchIndex(value, -1) {
		body := value[m[2]:m[3]]
		if _, ok := pemBody(body, 0); !ok {
			continue
		}
		c.add(d, m[2], m[3], "private_key", note)
	}
}

func findAzure(_ *Scanner, c *candidates, d *detector, _, value string) {
	note := ""
	if strings.Contains(value, "DefaultEndpointsProtocol=") || strings.Contains(value, "Endpoint=") {
		note = "in a connection string"
	}
	for _, m := range azureRE.FindAllStringSubmatchIndex(value, -1) {
		if v := value[m[2]:m[3]]; !placeholder(v) && entropy(v) >= 4 {
			c.add(d, m[2], m[3], "", note)
		}
	}
}

// maxPEM bounds how far an END line is looked for after its BEGIN line: the largest
// keys (8192-bit RSA, PGP blocks with subkeys) take a few kilobytes.
const maxPEM = 64 << 10

// pemBody checks the text between a BEGIN line and its END line (from offset start
// of s, or the whole of s for a string that holds one key): header lines, white space
// and \n escapes aside, it must be at least 64 characters of base64. It returns
// whether the key is encrypted.
func pemBody(s string, start int) (encrypted, ok bool) {
	b := pemBeginRE.FindStringSubmatchIndex(s[start:])
	if b == nil {
		return false, false
	}
	label := s[start+b[2] : start+b[3]]
	end := "-----END " + label + "-----"
	bodyStart := start + b[1]
	e := strings.Index(s[bodyStart:min(len(s), bodyStart+maxPEM)], end)
	if e < 0 {
		return false, false
	}
	body := s[bodyStart : bodyStart+e]
	if strings.Contains(body, "...") || strings.Contains(body, "{{") || strings.Contains(body, "<") {
		return false, false
	}
	var clean strings.Builder
	encrypted = strings.Contains(label, "ENCRYPTED")
	for _, line := range strings.FieldsFunc(strings.NewReplacer(`\n`, "\n", `\r`, "\n").Replace(body), func(r rune) bool { return r == '\n' || r == '\r' }) {
		line = strings.TrimSpace(line)
		if k, v, isHeader := strings.Cut(line, ":"); isHeader {
			if strings.EqualFold(strings.TrimSpace(k), "Proc-Type") && strings.Contains(v, "ENCRYPTED") {
				encrypted = true
			}
			continue
		}
		if strings.HasPrefix(line, "=") && len(line) <= 6 {
			continue // PGP armor checksum
		}
		clean.WriteString(line)
	}
	raw := clean.String()
	if len(raw) < 64 {
		return false, false
	}
	for i := 0; i < len(raw); i++ {
		ch := raw[i]
		if !(ch >= 'A' && ch <= 'Z' || ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9' || ch == '+' || ch == '/' || ch == '=') {
			return false, false
		}
	}
	if lowDiversity(raw) || entropy(raw) < 4 {
		return false, false
	}
	if label == "OPENSSH PRIVATE KEY" && !encrypted {
		encrypted = opensshEncrypted(raw)
	}
	return encrypted, true
}

// opensshEncrypted reads the cipher name of an OpenSSH private key: "none" for a
// plain key.
func opensshEncrypted(b64 string) bool {
	n := min(len(b64), 64) / 4 * 4
	raw, err := base64.StdEncoding.DecodeString(b64[:n])
	const magic = "openssh-key-v1\x00"
	if err != nil || !bytes.HasPrefix(raw, []byte(magic)) || len(raw) < len(magic)+8 {
		return false
	}
	p := raw[len(magic):]
	l := int(p[0])<<24 | int(p[1])<<16 | int(p[2])<<8 | int(p[3])
	if l <= 0 || 4+l > len(p) {
		return false
	}
	return string(p[4:4+l]) != "none"
}

func findPrivateKeys(_ *Scanner, c *candidates, d *detector, _, value string) {
	enc := detectorByID(EncryptedPrivateKey)
	lastEnd := strings.LastIndex(value, "-----END ")
	for _, m := range pemBeginRE.FindAllStringSubmatchIndex(value, -1) {
		if m[1] > lastEnd {
			return
		}
		label := value[m[2]:m[3]]
		end := strings.Index(value[m[1]:min(len(value), m[1]+maxPEM)], "-----END "+label+"-----")
		if end < 0 {
			continue
		}
		stop := m[1] + end + len("-----END "+label+"-----")
		encrypted, ok := pemBody(value[:stop], m[0])
		if !ok {
			continue
		}
		if encrypted {
			c.add(enc, m[0], stop, "", label)
		} else {
			c.add(d, m[0], stop, "", label)
		}
	}
}

// knownExampleJWT is the signature of the token on jwt.io and in countless tutorials.
const knownExampleJWT = "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"

func findJWTs(_ *Scanner, c *candidates, d *detector, _, value string) {
	for _, m := range jwtRE.FindAllStringIndex(value, -1) {
		tok := value[m[0]:m[1]]
		parts := strings.SplitN(tok, ".", 3)
		if len(parts) != 3 || parts[2] == knownExampleJWT {
			continue
		}
		var header struct {
			Alg string `json:"alg"`
		}
		if !decodeSegment(parts[0], &header) || header.Alg == "" || strings.EqualFold(header.Alg, "none") {
			continue
		}
		var claims map[string]any
		if !decodeSegment(parts[1], &claims) {
			continue
		}
		if exampleClaims(claims) {
			continue
		}
		note := ""
		if iss, _ := claims["iss"].(string); iss == "kubernetes/serviceaccount" || claims["kubernetes.io"] != nil {
			note = "Kubernetes service account token"
		}
		c.add(d, m[0], m[1], "", note)
	}
}

// knownExampleIssuers are the issuers of tokens published with a project's
// documentation and samples: Istio's demo JWT (security tasks, samples/jwt-server).
var knownExampleIssuers = map[string]bool{"testing@secure.istio.io": true}

// exampleDomainRE matches a host of the domains reserved for documentation (RFC 2606:
// example.com, example.org, example.net and their subdomains) as a whole name, in an
// issuer URL, a host or an e-mail address: not "example.company.io" or "myexample.com".
var exampleDomainRE = regexp.MustCompile(`(?:^|[/@.:])example\.(?:com|org|net)(?:$|[/:?#])`)

// exampleClaims reports the claims of a documentation example: the payload of the
// jwt.io sample (sub "1234567890", name "John Doe", whatever the signature), a known
// published demo issuer, or an issuer, subject, audience or e-mail at a documentation
// domain. A real token whose issuer or subject merely contains "test" or "example"
// ("contest", "auth.example-corp.io"), or whose subject is short ("42"), is reported.
func exampleClaims(claims map[string]any) bool {
	if sub, _ := claims["sub"].(string); sub == "1234567890" {
		if name, _ := claims["name"].(string); name == "John Doe" {
			return true
		}
	}
	if iss, _ := claims["iss"].(string); knownExampleIssuers[iss] {
		return true
	}
	for _, k := range []string{"iss", "sub", "aud", "email"} {
		if s, ok := claims[k].(string); ok && len(s) <= 256 && exampleDomainRE.MatchString(strings.ToLower(s)) {
			return true
		}
	}
	return false
}

// decodeSegment decodes one base64url segment of a JWT into v.
func decodeSegment(seg string, v any) bool {
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(seg, "="))
	if err != nil {
		return false
	}
	return json.Unmarshal(raw, v) == nil
}

func findURLCredentials(_ *Scanner, c *candidates, d *detector, _, value string) {
	// Each '@' that ends a userinfo: read back to the scheme's "://", then check the
	// whole URL with the anchored expression.
	for i := 0; ; {
		at := strings.IndexByte(value[i:], '@')
		if at < 0 {
			return
		}
		at += i
		i = at + 1
		sep := strings.LastIndex(value[max(0, at-400):at], "://")
		if sep < 0 {
			continue
		}
		sep += max(0, at-400)
		start := sep
		for start > 0 && sep-start < 31 && isSchemeChar(value[start-1]) {
			start--
		}
		m := urlCredRE.FindStringSubmatchIndex(value[start:])
		if m == nil || start+m[1] <= at {
			continue
		}
		pw := value[start+m[6] : start+m[7]]
		if len(pw) < 3 || urlPasswordPlaceholder(pw) {
			continue
		}
		scheme := strings.ToLower(value[start+m[2] : start+m[3]])
		c.add(d, start+m[6], start+m[7], "", "in a "+scheme+" URL for host "+value[start+m[8]:start+m[9]])
	}
}

func isLetter(b byte) bool { return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' }

func isSchemeChar(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '+' || b == '.' || b == '-'
}

// urlPasswordPlaceholder is placeholder for the password of a URL, which may also be
// percent-encoded or name itself ("password", "pass").
func urlPasswordPlaceholder(pw string) bool {
	if len(pw) > 1 && pw[0] == '$' && (pw[1] == '{' || pw[1] == '(' || pw[1] == '_' || isLetter(pw[1])) ||
		strings.HasPrefix(pw, "%24") || strings.HasPrefix(pw, "%7B") {
		return true
	}
	if placeholder(pw) {
		return true
	}
	return credentialValues[strings.Map(keepAlnum, strings.ToLower(pw))]
}

func findDockerAuths(_ *Scanner, c *candidates, d *detector, _, value string) {
	if !strings.Contains(value, "auths") && !(strings.Contains(value, `"email"`) || strings.Contains(value, `\"email\"`)) {
		return
	}
	for _, m := range dockerFieldRE.FindAllStringSubmatchIndex(value, -1) {
		field, v := value[m[2]:m[3]], value[m[4]:m[5]]
		if field == "auth" {
			raw, err := base64.StdEncoding.DecodeString(v)
			if err != nil {
				continue
			}
			user, pw, ok := strings.Cut(string(raw), ":")
			if !ok || user == "" || len(pw) < 3 || notLiteral(pw) {
				continue
			}
		} else if len(v) < 3 || notLiteral(v) {
			continue
		}
		note := ""
		// The registry is the last key opening an object before the field; a host name
		// is at most 253 bytes (checked here, not with a bounded repetition in the
		// expression: {1,253} made every byte of the window cost 253 NFA states).
		hosts := dockerHostRE.FindAllStringSubmatch(value[max(0, m[0]-512):m[0]], -1)
		for i := len(hosts) - 1; i >= 0; i-- {
			if h := hosts[i][1]; len(h) <= 253 {
				if h != "auths" {
					note = "registry " + h
				}
				break
			}
		}
		c.add(d, m[4], m[5], field, note)
	}
}

package secrets

import (
	"regexp"
	"strings"
)

// Tokens of providers whose format is prefixed and exact enough to be recognised
// without a key: AI APIs, secret stores, e-mail, commerce, cloud and registries.
// One rule reports them all; Match.Kind names the provider.
const (
	OpenAIKey         = "openai-api-key"
	AnthropicKey      = "anthropic-api-key"
	VaultToken        = "vault-token"
	SendGridKey       = "sendgrid-api-key"
	ShopifyToken      = "shopify-token"
	DigitalOceanToken = "digitalocean-token"
	DockerHubToken    = "docker-hub-token"
	HuggingFaceToken  = "huggingface-token"
)

// ProviderDetectors lists the detectors of prefixed provider tokens above.
func ProviderDetectors() []string {
	return []string{OpenAIKey, AnthropicKey, VaultToken, SendGridKey, ShopifyToken, DigitalOceanToken, DockerHubToken, HuggingFaceToken}
}

var providerDetectors = []detector{
	// OpenAI project, service-account and admin keys: sk-proj-, sk-svcacct-,
	// sk-admin-, then 58 or 74 characters, T3BlbkFJ ("OpenAI" in base64), 58 or 74
	// more; and the older sk- keys of 20 + T3BlbkFJ + 20 alphanumerics.
	{id: OpenAIKey, kind: "OpenAI API key", needles: []string{"T3BlbkFJ"}, showPrefix: 3, priority: priorityFormat,
		find: tokenFinder(openAIRE, 51, 164, openAIShape)},
	// Anthropic API and Admin API keys: sk-ant-api03- or sk-ant-admin01-, 93
	// characters of base64url, AA.
	{id: AnthropicKey, kind: "Anthropic API key", needles: []string{"sk-ant-"}, showPrefix: 4, priority: priorityFormat,
		find: tokenFinder(anthropicRE, 108, 110, func(tok string) (string, bool) {
			prefix := len("sk-ant-api03-")
			if strings.HasPrefix(tok, "sk-ant-admin01-") {
				prefix = len("sk-ant-admin01-")
			}
			return "", len(tok) == prefix+95 && strings.HasSuffix(tok, "AA")
		})},
	// HashiCorp Vault service tokens (hvs. and 90 to 120 characters) and batch tokens
	// (hvb. and 138 to 300), the formats of Vault 1.10 and later.
	{id: VaultToken, kind: "HashiCorp Vault token", needles: []string{"hvs.", "hvb."}, showPrefix: 4, priority: priorityFormat,
		find: tokenFinder(vaultRE, 94, 304, func(tok string) (string, bool) {
			if strings.HasPrefix(tok, "hvb.") {
				return "batch token", len(tok) >= 142
			}
			return "", len(tok) <= 124
		})},
	// SendGrid API keys: SG., 22 characters, ., 43 characters.
	{id: SendGridKey, kind: "SendGrid API key", needles: []string{"SG."}, showPrefix: 3, priority: priorityFormat,
		find: tokenFinder(sendGridRE, 69, 69, nil)},
	// Shopify Admin API access tokens (shpat_), custom app (shpca_) and private app
	// (shppa_) tokens and app shared secrets (shpss_): 32 hexadecimal digits.
	{id: ShopifyToken, kind: "Shopify access token", needles: []string{"shpat_", "shpca_", "shppa_", "shpss_"}, showPrefix: 4,
		priority: priorityFormat, find: tokenFinder(shopifyRE, 38, 38, func(tok string) (string, bool) {
			if strings.HasPrefix(tok, "shpss_") {
				return "app shared secret", true
			}
			return "", true
		})},
	// DigitalOcean personal access (dop_v1_), OAuth (doo_v1_) and refresh (dor_v1_)
	// tokens: 64 hexadecimal digits.
	{id: DigitalOceanToken, kind: "DigitalOcean token", needles: []string{"dop_v1_", "doo_v1_", "dor_v1_"}, showPrefix: 4,
		priority: priorityFormat, find: tokenFinder(digitalOceanRE, 71, 71, nil)},
	// Docker Hub personal access tokens: dckr_pat_ and 27 or more characters.
	{id: DockerHubToken, kind: "Docker Hub access token", needles: []string{"dckr_pat_"}, showPrefix: 4, priority: priorityFormat,
		find: tokenFinder(dockerHubRE, 36, 80, nil)},
	// Hugging Face user access tokens: hf_ and 34 letters of both cases (a snake_case
	// name is not one).
	{id: HuggingFaceToken, kind: "Hugging Face access token", needles: []string{"hf_"}, showPrefix: 3, priority: priorityFormat,
		find: tokenFinder(huggingFaceRE, 37, 37, func(tok string) (string, bool) {
			return "", strings.ToLower(tok[3:]) != tok[3:] && strings.ToUpper(tok[3:]) != tok[3:]
		})},
}

var (
	openAIRE       = regexp.MustCompile(`sk-(?:(?:proj|svcacct|admin)-[A-Za-z0-9_\-]+T3BlbkFJ[A-Za-z0-9_\-]+|[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20})`)
	anthropicRE    = regexp.MustCompile(`sk-ant-(?:api03|admin01)-[A-Za-z0-9_\-]+`)
	vaultRE        = regexp.MustCompile(`hv[sb]\.[A-Za-z0-9_\-]+`)
	sendGridRE     = regexp.MustCompile(`SG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]+`)
	shopifyRE      = regexp.MustCompile(`shp(?:at|ca|pa|ss)_[a-fA-F0-9]+`)
	digitalOceanRE = regexp.MustCompile(`do[opr]_v1_[a-f0-9]+`)
	dockerHubRE    = regexp.MustCompile(`dckr_pat_[A-Za-z0-9_\-]+`)
	huggingFaceRE  = regexp.MustCompile(`hf_[A-Za-z]+`)
)

// tokenFinder adds each match of re that stands alone (no token character right
// before or after it), has a length in [minLen, maxLen], is no placeholder, and
// passes check (which may also give a note). Exact lengths are checked here rather
// than with bounded repetitions in the expressions, which cost a state per count.
func tokenFinder(re *regexp.Regexp, minLen, maxLen int, check func(string) (string, bool)) func(*Scanner, *candidates, *detector, string, string) {
	return func(_ *Scanner, c *candidates, d *detector, _, value string) {
		for _, m := range re.FindAllStringIndex(value, -1) {
			tok := value[m[0]:m[1]]
			if len(tok) < minLen || len(tok) > maxLen || m[0] > 0 && isBase64URLChar(value[m[0]-1]) ||
				m[1] < len(value) && isBase64URLChar(value[m[1]]) || placeholder(tok) || lowDiversity(tok[len(tok)/2:]) {
				continue
			}
			note := ""
			if check != nil {
				var ok bool
				if note, ok = check(tok); !ok {
					continue
				}
			}
			c.add(d, m[0], m[1], "", note)
		}
	}
}

// openAIShape checks the lengths around T3BlbkFJ: 58 or 74 characters on each side
// in a project, service-account or admin key, 20 in an older key.
func openAIShape(tok string) (string, bool) {
	i := strings.Index(tok, "T3BlbkFJ")
	after := len(tok) - i - len("T3BlbkFJ")
	if i == len("sk-")+20 && after == 20 && strings.Count(tok, "-") == 1 && !strings.Contains(tok, "_") {
		return "", true
	}
	for _, p := range []string{"sk-proj-", "sk-svcacct-", "sk-admin-"} {
		if strings.HasPrefix(tok, p) {
			body := i - len(p)
			return "", (body == 58 || body == 74) && (after == 58 || after == 74)
		}
	}
	return "", false
}

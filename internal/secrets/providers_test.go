package secrets

import (
	"strings"
	"testing"
)

const b64url = alnum + "-_"

// Fake provider tokens, generated (see fake_test.go).
var (
	fakeOpenAIProj   = "sk-proj-" + rnd(b64url, 74) + "T3Blbk" + "FJ" + rnd(b64url, 74)
	fakeOpenAISvc    = "sk-svcacct-" + rnd(b64url, 58) + "T3Blbk" + "FJ" + rnd(b64url, 58)
	fakeOpenAILegacy = "sk-" + rnd(alnum, 20) + "T3Blbk" + "FJ" + rnd(alnum, 20)
	fakeAnthropic    = "sk-ant-" + "api03-" + rnd(b64url, 93) + "AA"
	fakeAnthropicAdm = "sk-ant-" + "admin01-" + rnd(b64url, 93) + "AA"
	fakeVault        = "hvs." + rnd(b64url, 90)
	fakeVaultBatch   = "hvb." + rnd(b64url, 138)
	fakeSendGrid     = "SG." + rnd(b64url, 22) + "." + rnd(b64url, 43)
	fakeShopify      = "shpat_" + rnd(hexLow, 32)
	fakeShopifySS    = "shpss_" + rnd(hexLow, 32)
	fakeDigitalOcean = "dop_v1_" + rnd(hexLow, 64)
	fakeDockerHub    = "dckr_pat_" + rnd(b64url, 27)
	fakeHuggingFace  = "hf_" + rnd("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", 34)
)

func TestProviderFormats(t *testing.T) {
	cases := []detectCase{}
	for _, tc := range []struct {
		id, token string
	}{
		{OpenAIKey, fakeOpenAIProj}, {OpenAIKey, fakeOpenAISvc}, {OpenAIKey, fakeOpenAILegacy},
		{AnthropicKey, fakeAnthropic}, {AnthropicKey, fakeAnthropicAdm},
		{VaultToken, fakeVault}, {VaultToken, fakeVaultBatch},
		{SendGridKey, fakeSendGrid}, {ShopifyToken, fakeShopify}, {ShopifyToken, fakeShopifySS},
		{DigitalOceanToken, fakeDigitalOcean}, {DockerHubToken, fakeDockerHub}, {HuggingFaceToken, fakeHuggingFace},
	} {
		cases = append(cases,
			detectCase{name: tc.token[:6] + " alone", key: "", value: tc.token, want: []string{tc.id}, secrets: []string{tc.token}},
			detectCase{name: tc.token[:6] + " in a file", key: "app.env", value: "X=1\nAPI=" + tc.token + "\n", want: []string{tc.id}, secrets: []string{tc.token}},
			detectCase{name: tc.token[:6] + " under a password key", key: "DB_PASSWORD", value: tc.token, want: []string{tc.id}},
			// One character more or less, or a token character right before it.
			detectCase{name: tc.token[:6] + " cut short", key: "", value: tc.token[:len(tc.token)-1]},
			detectCase{name: tc.token[:6] + " inside a longer run", key: "", value: "x" + tc.token},
		)
	}
	cases = append(cases, []detectCase{
		{name: "OpenAI wrong lengths", key: "", value: "sk-proj-" + rnd(b64url, 60) + "T3Blbk" + "FJ" + rnd(b64url, 60)},
		{name: "OpenAI placeholder", key: "", value: "sk-proj-" + strings.Repeat("x", 74) + "T3Blbk" + "FJ" + strings.Repeat("x", 74)},
		{name: "Anthropic wrong suffix", key: "", value: "sk-ant-" + "api03-" + rnd(b64url, 93) + "BB"},
		{name: "Anthropic placeholder", key: "", value: "sk-ant-api03-your-key-here"},
		{name: "Vault too short", key: "", value: "hvs." + rnd(b64url, 40)},
		{name: "Vault filler", key: "", value: "hvs." + strings.Repeat("x", 95)},
		{name: "Vault placeholder", key: "VAULT_TOKEN", value: "hvs.<token>"},
		{name: "SendGrid placeholder", key: "", value: "SG.xxxxxxxxxxxxxxxxxxxxxx.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"},
		{name: "SendGrid shape of a Java package", key: "", value: "SG.java"},
		{name: "Shopify not hex", key: "", value: "shpat_" + rnd(alnum, 32)},
		{name: "DigitalOcean upper case", key: "", value: "dop_v1_" + strings.ToUpper(rnd(hexLow, 64))},
		{name: "Hugging Face snake case name", key: "", value: "hf_" + strings.Repeat("abcdefghijklmnopq", 2)},
		{name: "Hugging Face with digits", key: "", value: "hf_" + rnd(alnum, 34)},
	}...)
	runDetect(t, New(DefaultOptions()), cases)
	if ms := Detect("", fakeVaultBatch); len(ms) != 1 || ms[0].Note != "batch token" || ms[0].Kind != "HashiCorp Vault token" {
		t.Errorf("Vault batch: %+v", ms)
	}
}

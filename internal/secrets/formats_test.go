package secrets

import (
	"strings"
	"testing"
)

func TestBase62CRC32(t *testing.T) {
	// A body whose checksum needs zero padding, and one that does not.
	for body, want := range map[string]string{"": "000000", "a": "4GEHKN", "g": "024iiU"} {
		if got := Base62CRC32(body); got != want {
			t.Errorf("Base62CRC32(%q) = %q, want %q", body, got, want)
		}
	}
	if !checksummed(fakeGHP[4:]) || checksummed(fakeGHP[4:39]+"x") {
		t.Error("checksummed")
	}
}

// TestGitHubChecksum: a 40-character GitHub token whose last 6 characters are not
// the checksum of the 30 before them is a look-alike; Redact still masks it.
func TestGitHubChecksum(t *testing.T) {
	lookalike := "ghp_" + fakeToken32[:30] + "AbCdEf"
	runDetect(t, New(DefaultOptions()), []detectCase{
		{name: "valid checksum", key: "", value: "token " + fakeGHP, want: []string{GitHubToken}},
		{name: "look-alike", key: "", value: "token " + lookalike},
		{name: "look-alike OAuth", key: "", value: "gho_" + fakeToken32[:30] + "000000"},
		// The keyword detectors do not take a look-alike for a random secret either:
		// its shape says it is a GitHub token the issuer never made.
		{name: "look-alike under a token key", key: "GITHUB_TOKEN", value: lookalike},
		{name: "npm look-alike under a token key", key: "NPM_TOKEN", value: "npm_" + fakeToken32[:30] + "AbCdEf"},
		{name: "valid token under a token key", key: "GITHUB_TOKEN", value: fakeGHP, want: []string{GitHubToken}},
		{name: "same shape, another prefix", key: "API_TOKEN", value: "abc_" + fakeToken32[:30] + "AbCdEf", want: []string{GenericToken}},
		// Longer tokens (refresh, server-to-server) are not checked.
		{name: "longer token", key: "", value: "ghr_" + rnd(alnum, 76), want: []string{GitHubToken}},
		{name: "fine-grained token", key: "", value: fakeGHPat, want: []string{GitHubToken}},
	})
	if got := Redact("bad value " + lookalike); strings.Contains(got, lookalike[4:]) {
		t.Errorf("Redact kept a look-alike: %s", got)
	}
}

func TestNewProviderFormats(t *testing.T) {
	npmLookalike := "npm_" + fakeToken32[:30] + "AbCdEf"
	runDetect(t, New(DefaultOptions()), []detectCase{
		// Google API keys.
		{name: "Google API key in a flag", key: "", value: "--maps-key=" + fakeGoogleKey, want: []string{GoogleAPIKey}, secrets: []string{fakeGoogleKey}},
		{name: "Google API key in JSON", key: "firebase.json", value: `{"apiKey": "` + fakeGoogleKey + `", "projectId": "shop"}`,
			want: []string{GoogleAPIKey}, secrets: []string{fakeGoogleKey}},
		{name: "Google API key under a password key", key: "DB_PASSWORD", value: fakeGoogleKey, want: []string{GoogleAPIKey}},
		{name: "Google key too short", key: "", value: fakeGoogleKey[:38]},
		{name: "Google key inside a longer run", key: "", value: fakeGoogleKey + "Q"},
		{name: "Google key after a letter", key: "", value: "xAIza" + fakeGoogleKey[4:]},
		{name: "Google key placeholder", key: "", value: "AIza" + strings.Repeat("X", 35)},
		{name: "Google key placeholder words", key: "", value: "AIzaSy-your-api-key-goes-here-123456789"},
		// npm tokens.
		{name: "npm token", key: "NPM_TOKEN", value: fakeNPM, want: []string{NPMToken}, secrets: []string{fakeNPM}},
		{name: "npm token in .npmrc", key: ".npmrc", value: "//registry.npmjs.org/:_authToken=" + fakeNPM + "\n", want: []string{NPMToken}, secrets: []string{fakeNPM}},
		{name: "npm look-alike", key: "", value: "token " + npmLookalike},
		{name: "npm too short", key: "", value: fakeNPM[:39]},
		{name: "npm inside a word", key: "", value: "x" + fakeNPM},
		{name: "npm placeholder", key: "", value: "npm_" + strings.Repeat("x", 36)},
		// PyPI tokens.
		{name: "PyPI token", key: "", value: "password = " + fakePyPI, want: []string{PyPIToken}, secrets: []string{fakePyPI}},
		{name: "PyPI token in .pypirc", key: ".pypirc", value: "[pypi]\nusername = __token__\npassword = " + fakePyPI + "\n", want: []string{PyPIToken}},
		{name: "TestPyPI token", key: "TWINE_PASSWORD", value: fakeTestPyPI, want: []string{PyPIToken}},
		{name: "PyPI prefix and random text", key: "", value: "pypi-AgEIcHlwaS5vcmc" + rnd(alnum, 120)},
		{name: "PyPI truncated", key: "", value: fakePyPI[:40]},
		{name: "PyPI elided", key: "", value: "pypi-AgEIcHlwaS5vcmc..."},
	})
	ms := Detect("", fakeTestPyPI)
	if len(ms) != 1 || ms[0].Note != "TestPyPI" || ms[0].Masked != "pypi****" {
		t.Errorf("TestPyPI: %+v", ms)
	}
}

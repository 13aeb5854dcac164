package config

import (
	"strings"
	"testing"
)

// TestImagesPolicy: the images section parses into the signature policy with the
// line of each requirement and attestation.
func TestImagesPolicy(t *testing.T) {
	in := `images:
  verify:
  - match: ["registry.example.com/payments/**"]
    keys: [keys/cosign.pub]
    transparencyLog: skip
  - match: ["ghcr.io/example/**"]
    keyless: {issuer: "https://token.actions.githubusercontent.com", subject: "^https://github.com/example/.+@refs/tags/v.+$"}
    attestations:
    - predicateType: https://slsa.dev/provenance/v1
      condition: predicate.buildDefinition.buildType != ""
  trustedRoot: sigstore/trusted_root.json
  default: deny
`
	cfg, err := Parse([]byte(in), knownRule, ruleParams)
	if err != nil {
		t.Fatal(err)
	}
	im := cfg.Images
	if !im.Applies() || im.Default != "deny" || im.TrustedRoot != "sigstore/trusted_root.json" || len(im.Verify) != 2 {
		t.Fatalf("images %+v", im)
	}
	if im.Verify[0].Line != 3 || im.Verify[1].Line != 6 || im.Verify[1].Attestations[0].Line != 9 || im.Verify[1].Keyless.Subject == "" {
		t.Errorf("lines %d %d %d, keyless %+v", im.Verify[0].Line, im.Verify[1].Line, im.Verify[1].Attestations[0].Line, im.Verify[1].Keyless)
	}
	if cfg, err := Parse([]byte("images: {default: allow}\n"), knownRule, ruleParams); err != nil || cfg.Images.Applies() {
		t.Errorf("allow default without requirements: applies %v, %v", cfg != nil && cfg.Images.Applies(), err)
	}
}

// TestImagesErrors: each mistake is an error naming its line.
func TestImagesErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"images: {default: maybe}", `line 1: images.default: "maybe" is not allow or deny`},
		{"images:\n  verify:\n  - keys: [k.pub]", "line 3: images.verify: a requirement needs match patterns"},
		{"images:\n  verify:\n  - match: [\"a/**\"]", "line 3: images.verify: a requirement needs an identity: keys, keyless or both"},
		{"images:\n  verify:\n  - match:\n    - a/b:1.0\n    keys: [k.pub]", `line 4: images.verify match "a/b:1.0": not a repository pattern (a tag)`},
		{"images:\n  verify:\n  - match: [\"a/***\"]\n    keys: [k.pub]", `line 3: images.verify match "a/***": *** is not a pattern`},
		{"images:\n  verify:\n  - match: [\"a/[bc]\"]\n    keys: [k.pub]", `images.verify match "a/[bc]": not a repository pattern`},
		{"images:\n  verify:\n  - match: [a]\n    keyless: {subject: x}", "line 4: images.verify keyless: give exactly one of issuer and issuerRegexp"},
		{"images:\n  verify:\n  - match: [a]\n    keyless: {issuer: i, issuerRegexp: j, subject: x}", "give exactly one of issuer and issuerRegexp"},
		{"images:\n  verify:\n  - match: [a]\n    keyless: {issuer: i}", "line 4: images.verify keyless: subject is required"},
		{"images:\n  verify:\n  - match: [a]\n    keyless:\n      issuer: i\n      subject: \"(\"", "line 6: images.verify keyless.subject: error parsing regexp"},
		{"images:\n  verify:\n  - match: [a]\n    keyless: {issuerRegexp: \"[\", subject: x}", "images.verify keyless.issuerRegexp: error parsing regexp"},
		{"images:\n  verify:\n  - match: [a]\n    keys: [k.pub]\n    transparencyLog: never", `line 5: images.verify transparencyLog: "never" is not required or skip`},
		{"images:\n  verify:\n  - match: [a]\n    keyless: {issuer: i, subject: x}\n    transparencyLog: skip", "line 5: images.verify transparencyLog: skip applies to keys only"},
		{"images:\n  verify:\n  - match: [a]\n    keys: [k.pub]\n    attestations:\n    - condition: \"true\"", "line 6: images.verify attestations: predicateType is required"},
		{"images:\n  verfy: []", "verfy"},
	} {
		_, err := Parse([]byte(tc.in), knownRule, ruleParams)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.in, err, tc.want)
		}
	}
}

package config

import (
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/rules"
)

const customConfig = `customRules:
- id: ACME-001
  title: Images come from the ACME registry
  severity: high
  match: {kinds: [Pod, Deployment]}
  expression: "object.spec.containers.all(c, c.image.startsWith('registry.acme.io/'))"
  messageExpression: "'image from outside the ACME registry'"
  frameworks: {cis-1.12: [5.5.1]}
  rationale: Only images the ACME registry scanned may run.
  remediation: Push the image to registry.acme.io.
rules:
  ACME-001: {severity: critical}
  acme-002: {enabled: false}
exemptions:
- rules: [ACME-001, ACME-*]
  namespaces: [legacy]
  reason: Legacy images, tracked in TICKET-9.
`

func TestCustomRules(t *testing.T) {
	_, err := Parse([]byte(customConfig), knownRule, ruleParams)
	// acme-002 is no rule: unknown, like any other.
	if err == nil || !strings.Contains(err.Error(), `line 13: unknown rule "acme-002"`) {
		t.Fatalf("got %v", err)
	}
	cfg, err := Parse([]byte(strings.Replace(customConfig, "  acme-002: {enabled: false}\n", "", 1)), knownRule, ruleParams)
	if err != nil {
		t.Fatal(err)
	}
	r, ok := cfg.Catalog().Get("acme-001")
	if !ok || r.Title != "Images come from the ACME registry" {
		t.Fatalf("catalog: %v %v", r, ok)
	}
	if len(cfg.Catalog().Extra()) != 1 || len(cfg.Catalog().All()) != len(rules.Builtin().All())+1 {
		t.Errorf("catalog has %d extra, %d rules", len(cfg.Catalog().Extra()), len(cfg.Catalog().All()))
	}
	if cfg.CustomRules[0].Line != 2 || cfg.CustomRules[0].Lines["expression"] != 6 {
		t.Errorf("lines: %d %v", cfg.CustomRules[0].Line, cfg.CustomRules[0].Lines)
	}
	// Selected, with its configured severity, by ID and by pattern.
	for _, include := range [][]string{nil, {"ACME-*"}, {"acme-001"}} {
		on, err := EnabledRules(cfg, include, nil)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, r := range on {
			if r.ID == "ACME-001" {
				found = r.Severity == finding.Critical
			}
		}
		if !found {
			t.Errorf("include %v: ACME-001 not enabled at critical", include)
		}
	}
	on, err := EnabledRules(cfg, nil, []string{"ACME-*"})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range on {
		if r.ID == "ACME-001" {
			t.Error("excluded ACME-001 runs")
		}
	}
	// Disabled in the file.
	_, err = Parse([]byte(strings.Replace(customConfig, "  acme-002: {enabled: false}\n", "  ACME-001: {enabled: false}\n", 1)+"\n"), knownRule, ruleParams)
	if err == nil {
		// Two entries for ACME-001 under rules: YAML refuses the duplicate key.
		t.Fatal("duplicate key accepted")
	}
	cfg, err = Parse([]byte(strings.Replace(strings.Replace(customConfig, "  acme-002: {enabled: false}\n", "", 1), "{severity: critical}", "{enabled: false}", 1)), knownRule, ruleParams)
	if err != nil {
		t.Fatal(err)
	}
	on, _ = EnabledRules(cfg, nil, nil)
	for _, r := range on {
		if r.ID == "ACME-001" {
			t.Error("disabled ACME-001 runs")
		}
	}
}

func TestCustomRuleErrors(t *testing.T) {
	cases := []struct{ text, want string }{
		{"customRules:\n- id: ACME-001\n  title: t\n  severity: urgent\n", `line 4: customRules[ACME-001]: severity: `},
		{"customRules:\n- id: ACME-001\n  title: t\n  severity: low\n  match: {kinds: [Pod]}\n  rationale: r\n  remediation: m\n  expression: \"object.spec.(\"\n", "line 8: customRules[ACME-001]: expression: column 13: Syntax error"},
		{"customRules:\n- id: ACME-001\n  title: t\n  severity: low\n  match: {kinds: [Pod]}\n  rationale: r\n  remediation: m\n  expression: \"object.spec\"\n", "line 8: customRules[ACME-001]: expression: must evaluate to bool, not dyn"},
		{"customRules:\n- id: PAL-001\n  title: t\n", "line 2: customRules[PAL-001]: id: \"PAL-001\": the PAL- prefix is reserved"},
		{"customRules:\n- id: ACME-001\n  titel: t\n", "line 3: field titel is not a known key"},
		{"customRules:\n- id: ACME-001\n  title: t\n  severity: low\n  match: {kinds: [Pod]}\n  rationale: r\n  remediation: m\n  expression: \"true\"\nrules:\n  ACME-001: {params: {x: 1}}\n", `rule ACME-001 has no parameter "x"`},
	}
	for _, c := range cases {
		_, err := Parse([]byte(c.text), knownRule, ruleParams)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s\ngot  %v\nwant %s", c.text, err, c.want)
		}
	}
}

package webhook

import (
	"testing"

	"github.com/palisade-k8s/palisade/internal/admission"
	"github.com/palisade-k8s/palisade/internal/config"
)

// TestRuleLabelCustom: the custom rules of the configuration are metric labels of
// their own (a set the configuration bounds); other IDs are "other".
func TestRuleLabelCustom(t *testing.T) {
	cfg, err := config.ParseFile([]byte(`customRules:
- {id: ACME-001, title: t, severity: high, match: {kinds: [Pod]}, expression: "true", rationale: r, remediation: m}
`), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ev, err := admission.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]string{"ACME-001": "ACME-001", "PAL-001": "PAL-001", "ACME-999": "other", "x": "other"} {
		if got := ruleLabel(ev, id); got != want {
			t.Errorf("ruleLabel(%s) = %s, want %s", id, got, want)
		}
	}
}

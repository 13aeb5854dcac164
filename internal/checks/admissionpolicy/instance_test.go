package admissionpolicy

import (
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"

	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/vap"
)

// TestRuleFor holds the mapping of failures to rules and words: the strongest action
// wins, configuration errors are PAL-803, and messages are the API server's.
func TestRuleFor(t *testing.T) {
	acts := func(a ...admissionregistrationv1.ValidationAction) []admissionregistrationv1.ValidationAction {
		return a
	}
	for _, c := range []struct {
		fl       vap.Failure
		rule     string
		msg      string
		denied   bool
		validIdx int
	}{
		{vap.Failure{Policy: "p", Binding: "b", Index: 1, Actions: acts("Warn", "Deny"), Message: "m"}, DenyRuleID, "ValidatingAdmissionPolicy 'p' with binding 'b' denied request: m", true, 1},
		{vap.Failure{Policy: "p", Binding: "b", Actions: acts("Warn", "Audit"), Message: "m"}, WarnRuleID, "Validation failed for ValidatingAdmissionPolicy 'p' with binding 'b': m", false, 0},
		{vap.Failure{Policy: "p", Binding: "b", Actions: acts("Audit"), Message: "m"}, AuditRuleID, "Validation failed for ValidatingAdmissionPolicy 'p' with binding 'b': m", false, 0},
		{vap.Failure{Policy: "p", Binding: "b", Index: 3, Kind: vap.Configuration, Actions: acts("Deny"), Message: "m"}, ConfigRuleID, "ValidatingAdmissionPolicy 'p' with binding 'b' denied request: m", true, -1},
		{vap.Failure{Policy: "p", Kind: vap.Configuration, Actions: acts("Deny"), Message: "m"}, ConfigRuleID, "ValidatingAdmissionPolicy 'p' denied request: m", true, -1},
	} {
		ev := Evidence(c.fl)
		if got := RuleFor(c.fl); got != c.rule || Message(c.fl) != c.msg || ev.Denied != c.denied || ev.Validation != c.validIdx {
			t.Errorf("%+v: %s %q %+v, want %s %q", c.fl, got, Message(c.fl), *ev, c.rule, c.msg)
		}
	}
}

// TestRulesWithoutPolicies: an empty set leaves the registered entries, which the
// engine drops.
func TestRulesWithoutPolicies(t *testing.T) {
	r, _ := rules.Get(DenyRuleID)
	out := Rules(nil, Options{}, []*rules.Rule{r})
	if len(out) != 1 || out[0] != r || IsInstance(out[0]) {
		t.Errorf("Rules(nil) = %v", out)
	}
}

package config

import (
	"strings"
	"testing"
)

func TestParseWebhook(t *testing.T) {
	cfg, err := parseFile(t, "webhook.yaml")
	if err != nil {
		t.Fatal(err)
	}
	w := cfg.Webhook
	if w.OwnNamespace() != "palisade-system" || !w.SystemNamespacesExempt() || w.ControllerOwned != "enforce" {
		t.Errorf("webhook = %+v", w)
	}
	if w.Actions.Severity["medium"] != "deny" || w.Actions.Rules["PAL-02*"] != "warn" {
		t.Errorf("actions = %+v", w.Actions)
	}
	if len(w.Exemptions) != 2 || w.Exemptions[0].Line != 12 || w.Exemptions[1].ServiceAccounts[0] != "ci/deployer" ||
		w.Exemptions[1].NamespaceLabels["tier"] != "system" {
		t.Errorf("exemptions = %+v", w.Exemptions)
	}
}

// TestWebhookErrors: every mistake in the webhook section is an error naming its line.
func TestWebhookErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"webhook:\n  actions:\n    severity: {high: block}\n", `line 3: webhook.actions.severity.high: unknown action "block"`},
		{"webhook:\n  actions:\n    severity: {urgent: deny}\n", `line 3: webhook.actions.severity: unknown severity "urgent"`},
		{"webhook:\n  actions:\n    rules:\n      PAL-999: deny\n", `line 4: webhook.actions.rules: unknown rule "PAL-999"`},
		{"webhook:\n  controllerOwned: never\n", `line 2: webhook.controllerOwned: "never" is not audit or enforce`},
		{"webhook:\n  namespace: Bad_NS\n", `line 2: webhook.namespace`},
		{"webhook:\n  exemptions:\n  - namespaces: [a]\n", "line 3: webhook exemption needs a reason"},
		{"webhook:\n  exemptions:\n  - reason: x\n", "line 3: webhook exemption matches every request"},
		{"webhook:\n  exemptions:\n  - serviceAccounts: [deployer]\n    reason: x\n", `line 3: webhook exemption: service account "deployer" is not namespace/name`},
		{"webhook:\n  exemptions:\n  - users: [a]\n    reason: x\n    expires: soon\n", `line 5: webhook exemption: expires "soon"`},
		{"webhook:\n  exemptions:\n  - users: [a]\n    rules: [PAL-999]\n    reason: x\n", `line 4: webhook exemption names unknown rule "PAL-999"`},
		{"webhook:\n  failurePolicy: Ignore\n", "line 2: field failurePolicy is not a known key in config.Webhook"},
		{"webhook:\n  exemptions:\n  - user: [a]\n    reason: x\n", "line 3: field user is not a known key"},
	} {
		_, err := Parse([]byte(tc.in), knownRule, ruleParams)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q) = %v, want an error containing %q", tc.in, err, tc.want)
		}
	}
}

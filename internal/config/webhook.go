package config

import (
	"fmt"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/rules"
)

// Webhook configures `palisade webhook serve`: what each finding does at admission,
// and which requests are exempt. The rules, their severities and parameters, and the
// exemptions of the file's other sections apply at admission too.
type Webhook struct {
	// Namespace is Palisade's own namespace ("palisade" by default), exempt like
	// kube-system unless ExemptSystemNamespaces is false.
	Namespace string `yaml:"namespace"`
	// ExemptSystemNamespaces exempts kube-system and Namespace (default true).
	ExemptSystemNamespaces *bool `yaml:"exemptSystemNamespaces"`
	// Actions says what a finding does: by rule first, then by severity.
	Actions Actions `yaml:"actions"`
	// Exemptions admit requests without review (or without the rules they list).
	Exemptions []WebhookExemption `yaml:"exemptions"`
	// ControllerOwned is what a deny or warn becomes on a pod (or ReplicaSet, Job)
	// that a controller creates from a template the webhook already reviewed:
	// "audit" (the default) or "enforce".
	ControllerOwned string `yaml:"controllerOwned"`
	// ControllerUsers are the users (globs) trusted to create controller-owned
	// objects; ownership claimed by anyone else is not believed.
	ControllerUsers []string `yaml:"controllerUsers"`
}

// Action is what one finding does at admission.
type Action string

// Actions of a finding at admission.
const (
	// Deny rejects the request with a message naming the finding.
	Deny Action = "deny"
	// Warn admits it and returns the finding as an admission warning.
	Warn Action = "warn"
	// Audit admits it and records the finding in the decision log only.
	Audit Action = "audit"
	// Ignore drops the finding at admission.
	Ignore Action = "ignore"
)

// ParseAction reads an action name.
func ParseAction(s string) (Action, error) {
	switch a := Action(strings.ToLower(s)); a {
	case Deny, Warn, Audit, Ignore:
		return a, nil
	}
	return "", fmt.Errorf("unknown action %q (want deny, warn, audit or ignore)", s)
}

// Actions map rules and severities to actions.
type Actions struct {
	// Severity maps a severity name to an action; missing severities keep the
	// defaults (DefaultSeverityActions).
	Severity map[string]string `yaml:"severity"`
	// Rules maps rule IDs or globs to actions, overriding Severity.
	Rules map[string]string `yaml:"rules"`
}

// DefaultSeverityActions are the actions by severity when the configuration sets none:
// critical and high deny, medium warns, low and info are audited.
var DefaultSeverityActions = map[finding.Severity]Action{
	finding.Critical: Deny, finding.High: Deny, finding.Medium: Warn, finding.Low: Audit, finding.Info: Audit,
}

// DefaultNamespace is Palisade's own namespace when the configuration names none.
const DefaultNamespace = "palisade"

// DefaultControllerUsers are the identities of kube-controller-manager: its own user,
// and the per-controller service accounts of --use-service-account-credentials
// (replicaset-controller, job-controller, daemon-set-controller, ...).
var DefaultControllerUsers = []string{"system:kube-controller-manager", "system:serviceaccount:kube-system:*-controller"}

// WebhookExemption admits matching requests. Every field set must match; empty
// fields match everything. Rules limits it to some rules (IDs or globs); empty means
// the request is not reviewed at all.
type WebhookExemption struct {
	Rules      []string `yaml:"rules"`
	Namespaces []string `yaml:"namespaces"`
	Kinds      []string `yaml:"kinds"`
	Names      []string `yaml:"names"`
	Users      []string `yaml:"users"`
	Groups     []string `yaml:"groups"`
	// ServiceAccounts are namespace/name globs ("ci/*").
	ServiceAccounts []string `yaml:"serviceAccounts"`
	// Labels match the object's labels; NamespaceLabels its namespace's ("*" is any
	// value).
	Labels          map[string]string `yaml:"labels"`
	NamespaceLabels map[string]string `yaml:"namespaceLabels"`
	Reason          string            `yaml:"reason"`
	Expires         string            `yaml:"expires"`
	Line            int               `yaml:"-"`
}

// SystemNamespacesExempt reports whether kube-system and Palisade's namespace are
// exempt.
func (w *Webhook) SystemNamespacesExempt() bool {
	return w.ExemptSystemNamespaces == nil || *w.ExemptSystemNamespaces
}

// OwnNamespace is Palisade's namespace.
func (w *Webhook) OwnNamespace() string {
	if w.Namespace == "" {
		return DefaultNamespace
	}
	return w.Namespace
}

// validateWebhook checks the webhook section; root is the document's root node.
func validateWebhook(w *Webhook, root *yaml.Node, knownRule func(string) bool) []string {
	node := mapChild(root, "webhook")
	if node == nil {
		return nil
	}
	var errs []string
	at := func(n *yaml.Node, key string) int {
		if l := keyLine(n, key); l != 0 {
			return l
		}
		if n != nil {
			return n.Line
		}
		return node.Line
	}
	actions := mapChild(node, "actions")
	sevNode := mapChild(actions, "severity")
	for k, v := range w.Actions.Severity {
		if _, err := finding.ParseSeverity(k); err != nil {
			errs = append(errs, fmt.Sprintf("line %d: webhook.actions.severity: %v", at(sevNode, k), err))
		}
		if _, err := ParseAction(v); err != nil {
			errs = append(errs, fmt.Sprintf("line %d: webhook.actions.severity.%s: %v", at(sevNode, k), k, err))
		}
	}
	rulesNode := mapChild(actions, "rules")
	for k, v := range w.Actions.Rules {
		if !strings.ContainsAny(k, "*?[") && !knownRule(k) {
			errs = append(errs, fmt.Sprintf("line %d: webhook.actions.rules: unknown rule %q", at(rulesNode, k), k))
		} else if err := rules.CheckGlob(k); err != nil {
			errs = append(errs, fmt.Sprintf("line %d: webhook.actions.rules: %q: %v", at(rulesNode, k), k, err))
		}
		if _, err := ParseAction(v); err != nil {
			errs = append(errs, fmt.Sprintf("line %d: webhook.actions.rules.%s: %v", at(rulesNode, k), k, err))
		}
	}
	for _, g := range w.ControllerUsers {
		if err := rules.CheckGlob(g); err != nil {
			errs = append(errs, fmt.Sprintf("line %d: webhook.controllerUsers: %q: %v", itemLine(node, "controllerUsers", g), g, err))
		}
	}
	switch w.ControllerOwned {
	case "", "audit", "enforce":
	default:
		errs = append(errs, fmt.Sprintf("line %d: webhook.controllerOwned: %q is not audit or enforce", at(node, "controllerOwned"), w.ControllerOwned))
	}
	if w.Namespace != "" && !dnsLabel(w.Namespace) {
		errs = append(errs, fmt.Sprintf("line %d: webhook.namespace: %q is not a namespace name", at(node, "namespace"), w.Namespace))
	}
	ex := mapChild(node, "exemptions")
	for i := range w.Exemptions {
		e := &w.Exemptions[i]
		var en *yaml.Node
		if ex != nil && ex.Kind == yaml.SequenceNode && i < len(ex.Content) {
			en = ex.Content[i]
			e.Line = en.Line
		}
		line := e.Line
		if strings.TrimSpace(e.Reason) == "" {
			errs = append(errs, fmt.Sprintf("line %d: webhook exemption needs a reason", line))
		}
		if e.Expires != "" {
			if _, err := time.Parse("2006-01-02", e.Expires); err != nil {
				errs = append(errs, fmt.Sprintf("line %d: webhook exemption: expires %q is not a date (YYYY-MM-DD)", at(en, "expires"), e.Expires))
			}
		}
		for _, r := range e.Rules {
			if !strings.ContainsAny(r, "*?[") && !knownRule(r) {
				errs = append(errs, fmt.Sprintf("line %d: webhook exemption names unknown rule %q", at(en, "rules"), r))
			}
		}
		for _, sa := range e.ServiceAccounts {
			if ns, name, ok := strings.Cut(sa, "/"); !ok || ns == "" || name == "" {
				errs = append(errs, fmt.Sprintf("line %d: webhook exemption: service account %q is not namespace/name", at(en, "serviceAccounts"), sa))
			}
		}
		for key, globs := range map[string][]string{"rules": e.Rules, "namespaces": e.Namespaces, "kinds": e.Kinds, "names": e.Names,
			"users": e.Users, "groups": e.Groups, "serviceAccounts": e.ServiceAccounts} {
			for _, g := range globs {
				if err := rules.CheckGlob(g); err != nil {
					errs = append(errs, fmt.Sprintf("line %d: webhook exemption %s: %q: %v", itemLine(en, key, g), key, g, err))
				}
			}
		}
		if len(e.Namespaces)+len(e.Kinds)+len(e.Names)+len(e.Users)+len(e.Groups)+len(e.ServiceAccounts)+len(e.Labels)+len(e.NamespaceLabels) == 0 {
			errs = append(errs, fmt.Sprintf("line %d: webhook exemption matches every request: name namespaces, kinds, names, users, groups, serviceAccounts, labels or namespaceLabels", line))
		}
	}
	return errs
}

func dnsLabel(s string) bool {
	if len(s) == 0 || len(s) > 63 {
		return false
	}
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
		case r == '-' && i > 0 && i < len(s)-1:
		default:
			return false
		}
	}
	return true
}

// itemLine is the line of the item value of the sequence under key in mapping n, else
// the key's line, else n's (0 without n).
func itemLine(n *yaml.Node, key, value string) int {
	if seq := mapChild(n, key); seq != nil && seq.Kind == yaml.SequenceNode {
		for _, it := range seq.Content {
			if it.Value == value {
				return it.Line
			}
		}
	}
	if l := keyLine(n, key); l != 0 {
		return l
	}
	if n != nil {
		return n.Line
	}
	return 0
}

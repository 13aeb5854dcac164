package admission

import (
	"path"
	"strings"
	"time"

	admissionv1 "k8s.io/api/admission/v1"

	"github.com/palisade-k8s/palisade/internal/config"
)

// exemption is a webhook exemption ready to match, with its expiry parsed.
type exemption struct {
	config.WebhookExemption
	until time.Time // zero: never expires
	// system marks the built-in exemption of kube-system and Palisade's namespace.
	system bool
}

func compileExemptions(w *config.Webhook) []exemption {
	var out []exemption
	if w.SystemNamespacesExempt() {
		out = append(out, exemption{system: true, WebhookExemption: config.WebhookExemption{
			Namespaces: []string{"kube-system", w.OwnNamespace()},
			Reason:     "kube-system and Palisade's own namespace are exempt (webhook.exemptSystemNamespaces)",
		}})
	}
	for _, e := range w.Exemptions {
		x := exemption{WebhookExemption: e}
		if t, err := time.Parse("2006-01-02", e.Expires); err == nil {
			x.until = t.Add(24 * time.Hour) // valid through its expiry day
		}
		out = append(out, x)
	}
	return out
}

// requestScope is what exemptions match: the request and its object.
type requestScope struct {
	req      *admissionv1.AdmissionRequest
	ns       string
	nsLabels map[string]string
	kind     string
	name     string
	labels   map[string]string
}

func (x *exemption) matches(s requestScope, now time.Time) bool {
	if !x.until.IsZero() && now.After(x.until) {
		return false
	}
	ns := s.ns
	if ns == "" && s.kind == "Namespace" {
		ns = s.name // a Namespace is judged as part of itself
	}
	if len(x.Namespaces) > 0 && (ns == "" || !globAny(x.Namespaces, ns)) {
		return false
	}
	if !globAnyOrEmpty(x.Kinds, s.kind) || !globAnyOrEmpty(x.Names, s.name) {
		return false
	}
	u := s.req.UserInfo
	if !globAnyOrEmpty(x.Users, u.Username) {
		return false
	}
	if len(x.Groups) > 0 {
		ok := false
		for _, g := range u.Groups {
			if globAny(x.Groups, g) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	if len(x.ServiceAccounts) > 0 {
		rest, ok := strings.CutPrefix(u.Username, "system:serviceaccount:")
		if !ok || !globAny(x.ServiceAccounts, strings.Replace(rest, ":", "/", 1)) {
			return false
		}
	}
	return labelsMatch(x.Labels, s.labels) && labelsMatch(x.NamespaceLabels, s.nsLabels)
}

func (x *exemption) describe() string {
	if x.Line > 0 {
		return x.Reason + " (webhook exemption at line " + itoa(x.Line) + ")"
	}
	return x.Reason
}

// exemptAll returns the exemption that admits the whole request, if any.
func (e *Evaluator) exemptAll(s requestScope, now time.Time) *exemption {
	for i := range e.exemptions {
		x := &e.exemptions[i]
		if len(x.Rules) == 0 && x.matches(s, now) {
			return x
		}
	}
	return nil
}

// exemptRule returns an exemption limited to some rules that covers ruleID.
func (e *Evaluator) exemptRule(s requestScope, ruleID string, now time.Time) *exemption {
	for i := range e.exemptions {
		x := &e.exemptions[i]
		if len(x.Rules) > 0 && globAny(x.Rules, ruleID) && x.matches(s, now) {
			return x
		}
	}
	return nil
}

func labelsMatch(want, got map[string]string) bool {
	for k, v := range want {
		g, ok := got[k]
		if !ok || (v != "*" && g != v) {
			return false
		}
	}
	return true
}

func globAny(globs []string, s string) bool {
	for _, g := range globs {
		if g == s {
			return true
		}
		if ok, _ := path.Match(g, s); ok {
			return true
		}
		// Rule IDs are case-insensitive.
		if strings.HasPrefix(strings.ToUpper(g), "PAL-") {
			if ok, _ := path.Match(strings.ToUpper(g), strings.ToUpper(s)); ok {
				return true
			}
		}
	}
	return false
}

func globAnyOrEmpty(globs []string, s string) bool { return len(globs) == 0 || globAny(globs, s) }

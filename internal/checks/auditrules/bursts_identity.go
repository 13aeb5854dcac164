package auditrules

// Two kinds of reconnaissance leave bursts in the log. Enumeration by trial: a
// stolen token or a scanner trying resource after resource gets a run of 403
// Forbidden answers in a short time. Enumeration by asking: SelfSubjectRulesReview
// (kubectl auth can-i --list) and SelfSubjectAccessReview (kubectl auth can-i) say
// what the identity may do without trying; tools that map RBAC issue dozens. One
// finding per burst, with the count and the first and last events.

import (
	"fmt"
	"time"

	"github.com/palisade-k8s/palisade/internal/audit"
	"github.com/palisade-k8s/palisade/internal/auditlog"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/rules"
)

func validDuration(s string) error {
	d, err := time.ParseDuration(s)
	if err == nil && d <= 0 {
		err = fmt.Errorf("%s is not a positive duration", s)
	}
	return err
}

func burstParams(threshold string) []rules.Param {
	return []rules.Param{
		{Name: "threshold", Description: "Events of one identity within the window that make a burst.", Default: threshold, Syntax: rules.Integer},
		{Name: "window", Description: "The sliding window on the log's clock (a Go duration: 30s, 2m).", Default: "1m", Valid: validDuration},
		{Name: "exempt", Description: "Users (shell patterns) whose bursts are not reported.", Default: defaultExempt, Syntax: rules.Glob},
	}
}

func init() {
	audit.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-931", Title: "Burst of refused requests from one identity", Severity: finding.Medium, Category: catAudit,
			Rationale: "Many requests of one identity refused by the authorizer (403) within a short window is what enumeration looks like: a stolen token, or a tool, trying what it can reach (MITRE T1613 container and resource discovery; T1069 permission groups discovery). Many refused by the authenticator (401) from one address is credentials being guessed or replayed after revocation (T1110 brute force). Applications with a missing permission fail too, steadily rather than in a burst. " +
				"One finding per burst (threshold events within window), with the count and the first and last events; it is reported when the burst ends (at the identity's next refusal after the window, at any later event past it, or at the end of the input). Anonymous and unauthenticated requests count per source address. Kubernetes components are exempt by default (exempt).",
			Remediation: "Find what the identity is and where its requests came from (source addresses, user agent); if it is not a misconfigured application, revoke its credentials (rotate the token, delete the service account's secrets, remove the certificate's bindings).",
			References:  []string{refAuditing, refRBACGood, mitreURL("T1613"), mitreURL("T1069"), mitreURL("T1110")},
			Frameworks:  rules.Frameworks{MITRE: []string{"T1613", "T1069", "T1110"}, Layer: layerCluster},
			Params:      burstParams("10"),
		},
		Targets: rules.Audit,
	}, []audit.Need{
		{Verbs: []string{"*"}, Resources: []string{"*"}, Level: auditlog.LevelMetadata, Stage: auditlog.StageResponseComplete},
		{Verbs: []string{"*"}, NonResource: true, Level: auditlog.LevelMetadata, Stage: auditlog.StageResponseComplete},
	}, func(s *audit.Setup) audit.Detector {
		d := &forbiddenBurst{exempt: s.Strings("exempt")}
		d.bs = newBursts(s, s.Int("threshold", 10), s.Duration("window", time.Minute), func(b *burst) string {
			if b.first.Code() == 401 {
				return fmt.Sprintf("%d unauthenticated requests (401) from %s in %s: %s", b.count, orUnknown(remoteAddress(b.last)), span(b), b.whatText())
			}
			return fmt.Sprintf("%d forbidden requests by %s in %s: %s", b.count, who(audit.ActorOf(b.first)), span(b), b.whatText())
		})
		return d
	})

	audit.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-932", Title: "Burst of permission discovery requests", Severity: finding.Medium, Category: catAudit,
			Rationale: "SelfSubjectRulesReview and SelfSubjectAccessReview answer \"what may I do?\" without trying anything, and every identity may ask them, so a stolen token's first move is often a run of them; SubjectAccessReview and LocalSubjectAccessReview ask the same about others. A burst of them from one identity is permission discovery (MITRE T1069, T1613). " +
				"One finding per burst (threshold reviews within window), with the count and the first and last events, reported when the burst ends. Kubernetes components (aggregated API servers and kubelets ask SubjectAccessReviews all the time) are exempt by default (exempt).",
			Remediation: "Check who asked and from where; a person running kubectl auth can-i is expected, a workload's service account is not. Revoke the credentials if they were used by someone else.",
			References:  []string{"https://kubernetes.io/docs/reference/access-authn-authz/authorization/#checking-api-access", mitreURL("T1069"), mitreURL("T1613")},
			Frameworks:  rules.Frameworks{MITRE: []string{"T1069", "T1613"}, Layer: layerCluster},
			Params:      burstParams("10"),
		},
		Targets: rules.Audit,
	}, []audit.Need{{Verbs: []string{"create"}, APIGroup: authzGroup,
		Resources: []string{"selfsubjectrulesreviews", "selfsubjectaccessreviews", "subjectaccessreviews", "localsubjectaccessreviews"},
		Level:     auditlog.LevelMetadata, Stage: auditlog.StageResponseComplete}},
		func(s *audit.Setup) audit.Detector {
			d := &discoveryBurst{exempt: s.Strings("exempt")}
			d.bs = newBursts(s, s.Int("threshold", 10), s.Duration("window", time.Minute), func(b *burst) string {
				return fmt.Sprintf("%d permission reviews by %s in %s: %s", b.count, audit.ActorOf(b.first).User, span(b), b.whatText())
			})
			return d
		})
}

type forbiddenBurst struct {
	exempt []string
	bs     *bursts
}

func (d *forbiddenBurst) Event(c *audit.Context) {
	ev := c.Event()
	d.bs.expire(c, c.Now())
	if !completed(ev) || (ev.Code() != 403 && ev.Code() != 401) {
		return
	}
	a := c.Actor()
	if matchAny(d.exempt, a.User) || (a.Impersonator != nil && matchAny(d.exempt, a.Impersonator.Username)) {
		return
	}
	key := identityKey(a)
	switch {
	case ev.Code() == 401:
		// Not authenticated: who it claimed to be is unknown; the address is all.
		key = "unauthenticated\x00" + remoteAddress(ev)
	case a.Anonymous:
		key = "anonymous\x00" + remoteAddress(ev)
	}
	d.bs.add(c, key, whatOf(ev))
}

func (d *forbiddenBurst) Flush(c *audit.Context) { d.bs.flush(c) }

var reviews = map[string]bool{"selfsubjectrulesreviews": true, "selfsubjectaccessreviews": true, "subjectaccessreviews": true, "localsubjectaccessreviews": true}

type discoveryBurst struct {
	exempt []string
	bs     *bursts
}

func (d *discoveryBurst) Event(c *audit.Context) {
	ev := c.Event()
	d.bs.expire(c, c.Now())
	o := ev.ObjectRef
	if !completed(ev) || o == nil || o.APIGroup != authzGroup || !reviews[o.Resource] || ev.Verb != "create" {
		return
	}
	a := c.Actor()
	if matchAny(d.exempt, a.User) {
		return
	}
	d.bs.add(c, identityKey(a), whatOf(ev))
}

func (d *discoveryBurst) Flush(c *audit.Context) { d.bs.flush(c) }

package auditrules

// Least privilege from evidence. A permission granted and never used is attack
// surface with no purpose: a stolen token of the identity (or a mistake it makes)
// can use it, and nothing the identity does needs it. The log says what each user
// and service account used over its span; the RBAC model (-f manifests or the live
// cluster) says what they hold. PAL-950 reports each rule an active identity holds
// that covered none of its requests; PAL-951 the risky capabilities (the classes of
// `palisade rbac risks`) it holds where its use did not need them. Only identities
// seen in the log are judged (an identity with no request says nothing about what
// it needs), only with an RBAC model, and never for Kubernetes' bootstrap grants or
// members of system:masters. `palisade audit rbac` writes the roles that would
// replace them.

import (
	"fmt"
	"strings"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/palisade-k8s/palisade/internal/audit"
	"github.com/palisade-k8s/palisade/internal/auditlog"
	"github.com/palisade-k8s/palisade/internal/checks/identity"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/leastpriv"
	"github.com/palisade-k8s/palisade/internal/rbac"
	"github.com/palisade-k8s/palisade/internal/rules"
)

// leastprivNeeds: every allowed request, at Metadata, with its response.
var leastprivNeeds = []audit.Need{
	{Resources: []string{"*"}, Level: auditlog.LevelMetadata, Stage: auditlog.StageResponseComplete},
	{NonResource: true, Level: auditlog.LevelMetadata, Stage: auditlog.StageResponseComplete},
}

const refLeastPriv = "https://kubernetes.io/docs/concepts/security/rbac-good-practices/#least-privilege"

func init() {
	audit.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-950", Title: "Granted permission unused over the log", Severity: finding.Low, Category: catAudit,
			Rationale: "A rule an identity holds that none of its requests over the log needed is a permission only an attacker holding its credentials, or a mistake, will use. " +
				"The finding names the rule (in the role it is written in), the bindings that give it to the identity and the span of the log; it is medium when the rule writes, deletes or uses wildcards. " +
				"Judged only for identities seen in the log, only with RBAC input (-f or the live cluster), never for the bootstrap policy's grants; a rule given through a group counts as used when the identity used it.",
			Remediation: "Check the log covers the identity's whole cycle (deployments, jobs, month-end tasks); then replace its bindings with the roles `palisade audit rbac` writes, or remove the rule.",
			References:  []string{refLeastPriv, "https://attack.mitre.org/techniques/T1078/"},
			Frameworks:  rules.Frameworks{MITRE: []string{"T1078"}, Layer: layerCluster},
		},
		Targets: rules.Audit,
	}, leastprivNeeds, func(s *audit.Setup) audit.Detector { return newLeastprivDetector(s, false) })
	audit.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-951", Title: "Risky RBAC capability held but never used", Severity: finding.High, Category: catAudit,
			Rationale: "An identity holds a capability `palisade rbac risks` reports (bind or escalate roles, impersonate, read secrets, exec into pods, create tokens, ...) where none of its requests over the log needed it: the capability serves only whoever steals its credentials. " +
				"Needed means that the roles covering exactly its requests would hold the class there too, judged by the same risk analysis. " +
				"Judged only for identities seen in the log and with RBAC input; bootstrap grants and members of system:masters are left out.",
			Remediation: "Remove the bindings that give the capability, or narrow them to the namespaces and names the identity uses: `palisade audit rbac --resource-names` writes those roles.",
			References:  []string{refLeastPriv, "https://attack.mitre.org/techniques/T1078/"},
			Frameworks:  rules.Frameworks{MITRE: []string{"T1078"}, Layer: layerCluster},
		},
		Targets: rules.Audit,
	}, leastprivNeeds, func(s *audit.Setup) audit.Detector { return newLeastprivDetector(s, true) })
}

type leastprivDetector struct {
	col   *leastpriv.Collector
	risky bool
}

func newLeastprivDetector(s *audit.Setup, risky bool) *leastprivDetector {
	return &leastprivDetector{col: leastpriv.NewCollector(leastpriv.Options{MaxSubjects: s.Limits.MaxIdentities}), risky: risky}
}

func (d *leastprivDetector) Event(c *audit.Context) {
	if m, _ := c.RBAC(); m != nil {
		d.col.Add(c.Event())
	}
}

func (d *leastprivDetector) Flush(c *audit.Context) {
	m, risks := c.RBAC()
	if m == nil {
		return
	}
	rep := leastpriv.Analyze(d.col, m, nil)
	span := spanText(rep.First, rep.Last)
	classes := identity.RiskClasses()
	if d.risky && risks == nil {
		risks = m.AnalyzeRisks(classes)
	}
	for i := range rep.Subjects {
		sr := &rep.Subjects[i]
		if sr.Masters || sr.Last == nil {
			continue
		}
		if d.risky {
			reportUnusedRisks(c, sr, risks, classes, span)
		} else {
			reportUnusedGrants(c, sr, span)
		}
	}
}

func spanText(first, last time.Time) string {
	return first.UTC().Format(time.RFC3339) + " to " + last.UTC().Format(time.RFC3339)
}

// reportUnusedGrants reports each unused rule once per subject, with every binding
// that gives it.
func reportUnusedGrants(c *audit.Context, sr *leastpriv.SubjectReport, span string) {
	type ruleKey struct {
		src rbac.Ref
		i   int
	}
	var order []ruleKey
	byRule := map[ruleKey][]rbac.Grant{}
	for _, g := range sr.Unused {
		k := ruleKey{rbac.Ref{Kind: g.Source.Kind, Namespace: g.Source.Namespace, Name: g.Source.Name}, g.RuleIndex}
		if byRule[k] == nil {
			order = append(order, k)
		}
		byRule[k] = append(byRule[k], g)
	}
	for _, k := range order {
		gs := byRule[k]
		g := gs[0]
		var via []string
		for _, x := range gs {
			v := x.Binding.Kind + " " + refName(x.Binding)
			if x.Subject.Kind == rbac.KindGroup {
				v += " (group " + x.Subject.Name + ")"
			}
			via = append(via, v)
		}
		c.Report(audit.Report{KeepSeverity: true,
			Chain:  []*auditlog.Event{sr.Last},
			Object: finding.ObjectRef{APIVersion: rbacv1.GroupName + "/v1", Kind: g.Source.Kind, Namespace: g.Source.Namespace, Name: g.Source.Name},
			Path:   fmt.Sprintf("rules[%d]", g.RuleIndex), Count: sr.Events,
			Severity: unusedSeverity(&g.Rule), HasSeverity: true,
			Message: fmt.Sprintf("%s never used %s (rule %d of %s %s, bound by %s) in its %d requests from %s",
				sr.Subject, rbac.RuleText(&g.Rule), g.RuleIndex, g.Source.Kind, refName(g.Source), strings.Join(via, ", "), sr.Events, span),
		})
	}
}

func refName(r rbac.Ref) string {
	if r.Namespace == "" {
		return r.Name
	}
	return r.Namespace + "/" + r.Name
}

// unusedSeverity is medium for a rule that writes, deletes, escalates or uses
// wildcards, low for one that only reads named kinds.
func unusedSeverity(r *rbacv1.PolicyRule) finding.Severity {
	for _, v := range r.Verbs {
		switch v {
		case "get", "list", "watch":
		default:
			return finding.Medium
		}
	}
	for _, l := range [][]string{r.APIGroups, r.Resources, r.NonResourceURLs} {
		for _, x := range l {
			if x == "*" || strings.HasSuffix(x, "*") {
				return finding.Medium
			}
		}
	}
	return finding.Low
}

func reportUnusedRisks(c *audit.Context, sr *leastpriv.SubjectReport, risks *rbac.RiskAnalysis, classes []rbac.RiskClass, span string) {
	urs, err := leastpriv.UnusedRisks(risks, classes, sr)
	if err != nil || len(urs) == 0 {
		return
	}
	var parts []string
	var obj finding.ObjectRef
	for _, u := range urs {
		title := u.Risk.Class
		if r, ok := rules.Get(u.Risk.Class); ok {
			title += " (" + r.Title + ")"
		}
		parts = append(parts, title+" "+u.Text())
		if obj == (finding.ObjectRef{}) {
			for _, g := range u.Risk.Grants {
				if !g.Default {
					obj = finding.ObjectRef{APIVersion: rbacv1.GroupName + "/v1", Kind: g.Binding.Kind, Namespace: g.Binding.Namespace, Name: g.Binding.Name}
					break
				}
			}
		}
	}
	c.Report(audit.Report{KeepSeverity: true,
		Chain: []*auditlog.Event{sr.Last}, Object: obj, Count: sr.Events,
		Message: fmt.Sprintf("%s holds risky capabilities its %d requests from %s did not need: %s",
			sr.Subject, sr.Events, span, strings.Join(parts, "; ")),
	})
}

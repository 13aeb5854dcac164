package controlplane

// An audit Policy decides what the audit log can tell. A detection that reads exec
// requests sees nothing when a None rule drops pods/exec, or when the stage it reads
// is omitted; and no detection can be added after the fact to a log that never
// recorded the event. Palisade's audit detections declare the requests they read
// (audit.Need); the policy is judged against them with kube-apiserver's own rule
// evaluator (internal/auditpolicy), so a rule matches exactly what it matches in the
// API server.

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/palisade-k8s/palisade/internal/auditpolicy"
	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/rules"
)

func init() {
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-727", Title: "Audit policy leaves audit detections blind", Severity: medium, Category: catControlPlane,
			Rationale: "The audit log holds only what the audit Policy records. When a rule logs requests a detection reads at level None (or no rule matches them), or omits the stage the detection reads, attacks such as an exec into a pod, a binding to cluster-admin or a token request leave no event behind, and neither `palisade audit` nor the webhook's /audit endpoint can see them. " +
				"The policy is evaluated with kube-apiserver's own rule evaluator for each request the detections read (as an ordinary user and as a service account, in namespace default and in kube-system); the finding is on the rule that decides, or on the rules list when no rule matches. `palisade audit coverage` prints the full table, with the detections the policy only degrades (logged below the level they read).",
			Remediation: "Log the requests the listed detections read at least at Metadata level (Request where they read bodies, but keep Secrets, ConfigMaps and TokenReviews at Metadata, PAL-713), before any None rule that drops them, and do not omit the ResponseComplete stage for them. Run `palisade audit coverage POLICY` to check.",
			References:  []string{refAudit, "https://kubernetes.io/docs/reference/config-api/apiserver-audit.v1/"},
			Frameworks:  cpFrameworks(nil, nsaAuditLog),
			Params: []rules.Param{{Name: "ignore",
				Description: "Audit detections (rule IDs) the policy need not serve.",
				Default:     []string{}}},
		},
		Kinds:  []string{"Policy"},
		Scoped: true,
		Object: checkAuditCoverage,
	})
}

func checkAuditCoverage(p *rules.Pass, o *inventory.Object) {
	if o.Group() != "audit.k8s.io" {
		return
	}
	p.InScope()
	js, err := json.Marshal(o.Body)
	if err != nil {
		return
	}
	pol, err := auditpolicy.FromJSON(js, o.Origin.File)
	if err != nil {
		// Not a policy kube-apiserver would load: nothing to judge (the API server
		// refuses to start; other rules and the schema speak of it).
		return
	}
	ignore := p.Strings("ignore")
	byRule := map[int][]string{}
	var order []int
	for _, c := range auditpolicy.Evaluate(pol, nil).Blind() {
		if slices.Contains(ignore, c.Rule) {
			continue
		}
		w := c.Worst()
		i := w.Decision.Rule
		if _, ok := byRule[i]; !ok {
			order = append(order, i)
		}
		byRule[i] = append(byRule[i], fmt.Sprintf("%s (%s: %s)", c.Rule, w.Probe, w.Reason))
	}
	slices.Sort(order)
	for _, i := range order {
		n := fmt.Sprintf("%d audit detections", len(byRule[i]))
		if len(byRule[i]) == 1 {
			n = "1 audit detection"
		}
		if i < 0 {
			p.Report("rules", "", "no audit policy rule matches requests that %s read, so they are not logged: %s", n, strings.Join(byRule[i], "; "))
			continue
		}
		p.Report(fmt.Sprintf("rules[%d]", i), "", "audit policy rule %d leaves %s blind: %s", i, n, strings.Join(byRule[i], "; "))
	}
}

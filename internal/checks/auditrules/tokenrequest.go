package auditrules

// The TokenRequest API (create serviceaccounts/token) mints a token for a service
// account: whoever calls it acts as that account for the token's lifetime, from
// anywhere, without touching a Secret. The kubelet calls it for the pods it runs
// (tokens bound to the pod) and kube-controller-manager for its controllers; a
// service account may ask for its own. Anyone else asking is borrowing an
// identity.

import (
	"strings"

	"github.com/palisade-k8s/palisade/internal/audit"
	"github.com/palisade-k8s/palisade/internal/auditlog"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/rbac"
	"github.com/palisade-k8s/palisade/internal/rules"
)

func init() {
	audit.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-927", Title: "Service account token requested for another identity", Severity: finding.High, Category: catAudit,
			Rationale: "A TokenRequest (create serviceaccounts/token) returns a token of the service account to the requester, who can then act as the account from anywhere until the token expires (MITRE T1528). The expected requesters are the account itself, the kubelet of a node running a pod of the account (the token bound to that pod), and kube-controller-manager; a person or another workload minting tokens is borrowing the account's permissions. " +
				"A node's request is reported when the pod its token is bound to is known (from the log or the state) to run on another node or as another account. Critical when the account is in kube-system or, with the run's RBAC model, holds a dangerous capability of palisade rbac risks (listed in the message).",
			Remediation: "Find why the requester needed the account's token; remove create on serviceaccounts/token from its roles (CIS 5.1.13) and give it the permissions it needs under its own identity. If the token may have leaked, delete and recreate the service account (every token of it is then invalid).",
			References:  []string{refSATokens, "https://kubernetes.io/docs/reference/kubernetes-api/authentication-resources/token-request-v1/", mitreURL("T1528")},
			Frameworks:  rules.Frameworks{MITRE: []string{"T1528"}, CIS: []string{"5.1.13"}, NSA: []string{nsaRBAC}, Layer: layerCluster},
			Params: []rules.Param{{Name: "exemptRequesters", Description: "Users (shell patterns) that may request tokens for any service account.",
				Default: []string{"system:kube-controller-manager"}, Syntax: rules.Glob}},
		},
		Targets: rules.Audit,
	}, []audit.Need{{Verbs: []string{"create"}, Resources: []string{"serviceaccounts/token"}, Level: auditlog.LevelRequest, Stage: auditlog.StageResponseComplete}},
		func(s *audit.Setup) audit.Detector { return &tokenRequest{exempt: s.Strings("exemptRequesters")} })
}

type tokenRequest struct{ exempt []string }

func (d *tokenRequest) Event(c *audit.Context) {
	ev := c.Event()
	o := ev.ObjectRef
	if o == nil || o.Resource != "serviceaccounts" || o.Subresource != "token" || ev.Verb != "create" || !completed(ev) || !ev.Succeeded() || isDryRun(ev) {
		return
	}
	a := c.Actor()
	sa := o.Namespace + "/" + o.Name
	if a.ServiceAccount == sa || matchAny(d.exempt, a.User) {
		return
	}
	var chain []*auditlog.Event
	why := ""
	if a.Node {
		node := strings.TrimPrefix(a.User, "system:node:")
		body, _ := c.Body()
		if str(body, "spec", "boundObjectRef", "kind") != "Pod" {
			return
		}
		podName := str(body, "spec", "boundObjectRef", "name")
		pod, ok := c.Object("pods", o.Namespace, podName)
		if !ok || pod.Pod == nil {
			return
		}
		switch {
		case pod.Pod.Node != "" && pod.Pod.Node != node:
			why = " for pod " + o.Namespace + "/" + podName + ", which runs on node " + pod.Pod.Node
		case pod.Pod.ServiceAccount != "" && pod.Pod.ServiceAccount != o.Name:
			why = " bound to pod " + o.Namespace + "/" + podName + ", which runs as " + pod.Pod.ServiceAccount
		default:
			return
		}
		if pod.Created != nil {
			chain = append(chain, pod.Created)
		}
	}
	sev := finding.High
	msg := a.User + " requested a token of service account " + sa + why
	if a.Impersonator != nil {
		msg += " (impersonated by " + a.Impersonator.Username + ")"
	}
	if o.Namespace == "kube-system" {
		sev = finding.Critical
		msg += "; a kube-system account"
	}
	if rs := risksOf(c, rbac.Subject{Kind: rbac.KindServiceAccount, Namespace: o.Namespace, Name: o.Name}); len(rs) > 0 {
		sev = finding.Critical
		msg += "; the account holds " + strings.Join(rs, ", ")
	}
	c.Report(audit.Report{Chain: chain, Severity: sev, HasSeverity: true, Message: msg})
}

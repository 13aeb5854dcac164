// Package admissionpolicy holds the rules that report what the cluster's own
// ValidatingAdmissionPolicies would do with an object (PAL-800 to PAL-803): the
// policies are evaluated offline by internal/vap, with the API server's code, and
// each failed validation becomes a finding. The registered entries are PerRun: a
// front end builds the run's instances from its compiled policies with Rules.
package admissionpolicy

import (
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/rules"
)

// The rules of ValidatingAdmissionPolicies.
const (
	DenyRuleID   = "PAL-800"
	WarnRuleID   = "PAL-801"
	AuditRuleID  = "PAL-802"
	ConfigRuleID = "PAL-803"
)

const (
	refVAP = "https://kubernetes.io/docs/reference/access-authn-authz/validating-admission-policy/"
	catVAP = "admission-policy"
)

func init() {
	common := "Palisade evaluates the ValidatingAdmissionPolicies and bindings given with --policy, named by the configuration's policies, or found among the scanned objects (in a cluster scan: the cluster's own), " +
		"against every scanned object as a CREATE by the user of --as/--as-group, with the API server's own admission code (k8s.io/apiserver): matching, parameters, match conditions, variables, validations, messages and failure policy. "
	for _, m := range []rules.Meta{
		{ID: DenyRuleID, Title: "Object denied by a ValidatingAdmissionPolicy", Severity: high,
			Rationale:   common + "A validation that fails under a binding with the Deny action means the API server would refuse the object: a deployment that fails at apply time, or a policy that does not say what its authors meant.",
			Remediation: "Change the object so that the validation holds (the message says what it requires), or, if the policy is wrong, fix the policy or its binding's matchResources before it reaches the cluster."},
		{ID: WarnRuleID, Title: "Object warned about by a ValidatingAdmissionPolicy", Severity: medium,
			Rationale:   common + "A validation that fails under a binding with the Warn action is admitted with a warning returned to the client: clients and CI pipelines usually drop warnings, so the policy's concern goes unseen.",
			Remediation: "Change the object so that the validation holds; warnings usually announce a policy about to move to Deny."},
		{ID: AuditRuleID, Title: "Object recorded by a ValidatingAdmissionPolicy's audit action", Severity: low,
			Rationale:   common + "A validation that fails under a binding with the Audit action is admitted and recorded in the audit log (validation.policy.admission.k8s.io/validation_failure): a policy in trial whose failures nobody reads unless they are reported.",
			Remediation: "Change the object so that the validation holds before the binding moves to Warn or Deny."},
		{ID: ConfigRuleID, Title: "ValidatingAdmissionPolicy cannot be applied to the object", Severity: high,
			Rationale:   common + "A policy that does not compile, a binding whose parameter resource is missing, or an expression that fails at run time is a configuration error: under failurePolicy Fail the API server refuses every request the policy matches, under Ignore it silently checks nothing.",
			Remediation: "Fix the policy, its binding or its parameter resource (the message names what failed); prefer failurePolicy Fail with a tested policy over Ignore."},
	} {
		m.Category = catVAP
		m.References = []string{refVAP}
		m.Frameworks = rules.Frameworks{Layer: "cluster"}
		rules.Register(&rules.Rule{Meta: m, PerRun: true})
	}
}

const (
	high   = finding.High
	medium = finding.Medium
	low    = finding.Low
)

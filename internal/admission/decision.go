package admission

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/palisade-k8s/palisade/internal/config"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/safetext"
)

// Verdict is one finding of a review and what it does.
type Verdict struct {
	Finding finding.Finding
	Action  config.Action
	// Note says why the action differs from the rule's configured one, if it does.
	Note string
	// Count is the number of findings the verdict stands for: 1, or, for the
	// findings of a rule past the review's MaxFindings, how many were not kept
	// (Finding is the first of them).
	Count int
}

// count is Count, at least 1.
func (v *Verdict) count() int { return max(v.Count, 1) }

// Decision is the outcome of one review.
type Decision struct {
	UID       string
	Kind      string
	Operation string
	// SubResource is set for reviews of a subresource (exec, attach, ...).
	SubResource string
	Object      finding.ObjectRef
	User        string
	Allowed     bool
	// Message explains a denial: each denying finding with its field and fix, and
	// how to exempt.
	Message string
	// Warnings are returned to the client (kubectl prints them).
	Warnings []string
	Verdicts []Verdict
	// DryRun requests are decided like others but enforce nothing.
	DryRun bool
	// Exempt is the reason a whole request was admitted without review.
	Exempt string
	// Images are the signature verdicts of the images the review verified (none
	// without an images.verify policy).
	Images []ImageVerdict
	// Policies is what the ValidatingAdmissionPolicies did (nil when none were
	// evaluated).
	Policies *PolicyOutcome
	// Err is an evaluation failure: the server answers with an error, and the API
	// server applies the webhook's failurePolicy.
	Err error
}

func newDecision(req *admissionv1.AdmissionRequest) *Decision {
	d := &Decision{
		UID: string(req.UID), Kind: req.Kind.Kind, Operation: string(req.Operation), SubResource: req.SubResource,
		Object: finding.ObjectRef{APIVersion: apiVersion(req.Kind.Group, req.Kind.Version), Kind: req.Kind.Kind, Namespace: req.Namespace, Name: req.Name},
		User:   req.UserInfo.Username,
		DryRun: req.DryRun != nil && *req.DryRun,
	}
	return d
}

func (d *Decision) fail(err error) *Decision {
	d.Err = err
	return d
}

// Enforced reports whether the decision takes effect (false for dry-run requests).
func (d *Decision) Enforced() bool { return !d.DryRun }

// Outcome is the decision as one word, for metrics and logs: "denied", "warned",
// "allowed", "exempt" or "error".
func (d *Decision) Outcome() string {
	switch {
	case d.Err != nil:
		return "error"
	case !d.Allowed:
		return "denied"
	case d.Exempt != "":
		return "exempt"
	case len(d.Warnings) > 0:
		return "warned"
	}
	return "allowed"
}

// RuleActions lists "RULE:action" once for each rule and action of the findings,
// for the decision log.
func (d *Decision) RuleActions() []string {
	out := make([]string, 0, len(d.Verdicts))
	seen := make(map[string]bool, len(d.Verdicts))
	for _, v := range d.Verdicts {
		ra := v.Finding.RuleID + ":" + string(v.Action)
		if !seen[ra] {
			seen[ra] = true
			out = append(out, ra)
		}
	}
	return out
}

// Findings is the number of findings of the review, omitted ones included.
func (d *Decision) Findings() int {
	n := 0
	for i := range d.Verdicts {
		n += d.Verdicts[i].count()
	}
	return n
}

// Bounds of what a decision returns: each line of a denial message and each warning
// is at most maxLine bytes, and a message at most maxMessage.
const (
	maxLine    = 512
	maxMessage = 16 << 10
)

// settle computes Allowed, Message and Warnings from the verdicts. The message
// lists at most listed denying findings, and the response carries at most listed
// warnings; the rest are summarised ("... and 9,990 more"). The policies' findings
// are worded as the API server words them (PolicyOutcome): their warnings come
// first, and their refusal is the message when one stands, since the API server
// runs the policies before the webhooks.
func (d *Decision) settle(listed int) {
	var deny []*Verdict
	moreWarnings := 0
	policyDenies := false
	if p := d.Policies; p != nil {
		for _, w := range p.Warnings {
			if len(d.Warnings) < listed {
				d.Warnings = append(d.Warnings, w)
			} else {
				moreWarnings++
			}
		}
	}
	for i := range d.Verdicts {
		v := &d.Verdicts[i]
		if v.Finding.Policy != nil {
			policyDenies = policyDenies || v.Action == config.Deny
			continue
		}
		switch v.Action {
		case config.Deny:
			deny = append(deny, v)
		case config.Warn:
			if len(d.Warnings) < listed {
				d.Warnings = append(d.Warnings, clip(warning(v), maxLine))
				moreWarnings += v.count() - 1
			} else {
				moreWarnings += v.count()
			}
		}
	}
	if moreWarnings > 0 {
		d.Warnings = append(d.Warnings, fmt.Sprintf("... and %s more warnings", thousands(moreWarnings)))
	}
	d.Allowed = len(deny) == 0 && !policyDenies
	if policyDenies && d.Policies != nil && d.Policies.Status != nil {
		d.Message = d.Policies.Status.Message
		return
	}
	if len(deny) == 0 {
		return
	}
	var b strings.Builder
	b.WriteString(clip(fmt.Sprintf("palisade denied %s:", d.Object), maxLine))
	ids := map[string]bool{}
	var idList []string
	more := 0
	for i, v := range deny {
		f := &v.Finding
		if !ids[f.RuleID] {
			ids[f.RuleID] = true
			idList = append(idList, f.RuleID)
		}
		if i >= listed {
			more += v.count()
			continue
		}
		more += v.count() - 1
		b.WriteString("\n")
		b.WriteString(clip(denial(v), maxLine))
	}
	if more > 0 {
		fmt.Fprintf(&b, "\n- ... and %s more", thousands(more))
	}
	fmt.Fprintf(&b, "\nTo exempt: add to .palisade.yaml webhook.exemptions an entry with rules: [%s]", strings.Join(idList, ", "))
	if d.Object.Namespace != "" {
		fmt.Fprintf(&b, ", namespaces: [%s]", clip(d.Object.Namespace, maxLine))
	}
	b.WriteString(" and a reason; or run `palisade explain " + idList[0] + "`.")
	d.Message = clip(b.String(), maxMessage)
}

// denial renders a deny finding as one line of a denial message.
func denial(v *Verdict) string {
	var b strings.Builder
	f := &v.Finding
	fmt.Fprintf(&b, "- %s (%s) %s", f.RuleID, f.Severity, f.Message)
	if f.Container != "" && !strings.Contains(f.Message, strconv.Quote(f.Container)) {
		fmt.Fprintf(&b, " (container %q)", f.Container)
	}
	if f.Path != "" {
		fmt.Fprintf(&b, "; field %s", f.Path)
	}
	if f.Remediation != "" {
		fmt.Fprintf(&b, ". Fix: %s", strings.TrimSuffix(f.Remediation, "."))
	}
	if v.Note != "" {
		fmt.Fprintf(&b, " (%s)", v.Note)
	}
	b.WriteString(".")
	return b.String()
}

// warning renders a warn finding as one admission warning line.
func warning(v *Verdict) string {
	f := &v.Finding
	s := f.RuleID + " (" + f.Severity.String() + "): " + f.Message
	if f.Path != "" {
		s += " [" + f.Path + "]"
	}
	if v.Note != "" {
		s += " (" + v.Note + ")"
	}
	return s
}

// Response is the AdmissionResponse of the decision (not for errors: the server
// answers those with an HTTP error).
func (d *Decision) Response() *admissionv1.AdmissionResponse {
	// kubectl prints the message and warnings to the user's terminal: text from the
	// object (annotation values, images, env) is escaped there as in every report.
	var warnings []string
	for _, w := range d.Warnings {
		warnings = append(warnings, safetext.Escape(w))
	}
	r := &admissionv1.AdmissionResponse{UID: typesUID(d.UID), Allowed: d.Allowed, Warnings: warnings}
	if d.Policies != nil {
		r.AuditAnnotations = d.Policies.AuditAnnotations
	}
	if !d.Allowed && d.Policies != nil && d.Policies.Status != nil && d.Message == d.Policies.Status.Message {
		st := *d.Policies.Status
		lines := strings.Split(st.Message, "\n")
		for i, l := range lines {
			lines[i] = safetext.Escape(l)
		}
		st.Message = strings.Join(lines, "\n")
		r.Result = &st
	} else if !d.Allowed {
		lines := strings.Split(d.Message, "\n")
		for i, l := range lines {
			lines[i] = safetext.Escape(l)
		}
		r.Result = &metav1.Status{
			Status: metav1.StatusFailure, Message: strings.Join(lines, "\n"),
			Reason: metav1.StatusReasonForbidden, Code: http.StatusForbidden,
		}
	}
	return r
}

func itoa(n int) string { return strconv.Itoa(n) }

func typesUID(s string) types.UID { return types.UID(s) }

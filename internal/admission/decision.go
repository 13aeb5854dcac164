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
)

// Verdict is one finding of a review and what it does.
type Verdict struct {
	Finding finding.Finding
	Action  config.Action
	// Note says why the action differs from the rule's configured one, if it does.
	Note string
}

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

// RuleActions lists "RULE:action" for each finding, for the decision log.
func (d *Decision) RuleActions() []string {
	out := make([]string, 0, len(d.Verdicts))
	for _, v := range d.Verdicts {
		out = append(out, v.Finding.RuleID+":"+string(v.Action))
	}
	return out
}

// settle computes Allowed, Message and Warnings from the verdicts.
func (d *Decision) settle() {
	var deny []*Verdict
	for i := range d.Verdicts {
		v := &d.Verdicts[i]
		switch v.Action {
		case config.Deny:
			deny = append(deny, v)
		case config.Warn:
			d.Warnings = append(d.Warnings, warning(v))
		}
	}
	d.Allowed = len(deny) == 0
	if d.Allowed {
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "palisade denied %s:", d.Object)
	ids := map[string]bool{}
	var idList []string
	for _, v := range deny {
		f := &v.Finding
		fmt.Fprintf(&b, "\n- %s (%s) %s", f.RuleID, f.Severity, f.Message)
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
		if !ids[f.RuleID] {
			ids[f.RuleID] = true
			idList = append(idList, f.RuleID)
		}
	}
	fmt.Fprintf(&b, "\nTo exempt: add to .palisade.yaml webhook.exemptions an entry with rules: [%s]", strings.Join(idList, ", "))
	if d.Object.Namespace != "" {
		fmt.Fprintf(&b, ", namespaces: [%s]", d.Object.Namespace)
	}
	b.WriteString(" and a reason; or run `palisade explain " + idList[0] + "`.")
	d.Message = b.String()
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
	r := &admissionv1.AdmissionResponse{UID: typesUID(d.UID), Allowed: d.Allowed, Warnings: d.Warnings}
	if !d.Allowed {
		r.Result = &metav1.Status{
			Status: metav1.StatusFailure, Message: d.Message,
			Reason: metav1.StatusReasonForbidden, Code: http.StatusForbidden,
		}
	}
	return r
}

func itoa(n int) string { return strconv.Itoa(n) }

func typesUID(s string) types.UID { return types.UID(s) }

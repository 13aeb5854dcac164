package compliance

import (
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/rules"
)

// Status is a control's verdict.
type Status string

// Verdicts.
const (
	// Pass: the control's rules checked at least one object and found nothing that
	// is not suppressed.
	Pass Status = "pass"
	// Fail: some rule of the control has an unsuppressed finding, of any severity.
	Fail Status = "fail"
	// NotApplicable: the control could not be assessed; Reason says why.
	NotApplicable Status = "not-applicable"
	// Unknown: no rule of the control failed, but one could not decide for lack of
	// evidence (a file it names was not found); Unknown lists what was missing.
	// Missing evidence is never a pass.
	Unknown Status = "unknown"
)

// Input is what one scan hands to Evaluate.
type Input struct {
	// Enabled are the rules that ran; All is the whole registry, so that a control
	// whose rules were all disabled says so instead of "no rule".
	Enabled, All []*rules.Rule
	// Findings are the scan's findings, suppressed ones included.
	Findings []finding.Finding
	// Evaluated counts the objects each enabled rule applied to, and Idle lists the
	// enabled rules that check nothing with their parameters (engine.Result). Idle
	// rules count as disabled: an empty allow-list passes nothing.
	Evaluated map[string]int
	Idle      []string
	// PSSHas reports whether a Pod Security Standards check exists at the scan's
	// version; nil means every check does.
	PSSHas func(check string) bool
	// Gate is false for --fail-on none. Otherwise a failing control fails the run
	// when one of its unsuppressed findings is at or above FailOn.
	Gate   bool
	FailOn finding.Severity
	// Unknown are the checks rules could not decide (engine.Result.Unknown).
	Unknown []finding.CoverageGap
}

// ControlResult is the verdict on one control.
type ControlResult struct {
	Control *Control
	Status  Status
	// Reason says why a control is not applicable (empty otherwise).
	Reason Reason
	// Rules are the enabled rules that assess the control, its included controls'
	// rules too; Disabled those of its rules that did not run or were idle.
	Rules, Disabled []string
	// Findings are the findings of Rules, suppressed ones included, in report order.
	Findings []*finding.Finding
	// Failing and Suppressed count Findings by suppression.
	Failing, Suppressed int
	// Worst is the highest severity among the unsuppressed findings.
	Worst finding.Severity
	// Unknown are the checks of Rules that could not decide, for lack of evidence.
	Unknown []finding.CoverageGap
}

// Result is a framework's verdict on one scan.
type Result struct {
	Framework *Framework
	Controls  []ControlResult
	// Pass, Fail and NotApplicable count the controls by status.
	Pass, Fail, NotApplicable, Unknown int
	// Suppressed counts the suppressed findings of the controls' rules (each once).
	Suppressed int
	// Outside counts unsuppressed findings of rules that map to no control of the
	// framework: they are in the scan's report, not in this view.
	Outside int
	// FailOn is the gate ("none" or a severity) and Failed its verdict.
	FailOn string
	Failed bool
}

// Evaluate decides every control of f from one scan.
func Evaluate(f *Framework, in Input) *Result {
	own := f.RulesOf(in.All)
	enabled := make(map[string]bool, len(in.Enabled))
	for _, r := range in.Enabled {
		enabled[r.ID] = true
	}
	for _, id := range in.Idle {
		delete(enabled, id)
	}
	res := &Result{Framework: f, Controls: make([]ControlResult, len(f.Controls)), FailOn: "none"}
	if in.Gate {
		res.FailOn = in.FailOn.String()
	}
	// controlsOf maps a rule to the controls its findings count toward.
	controlsOf := map[string][]int{}
	for i := range f.Controls {
		c := &f.Controls[i]
		cr := &res.Controls[i]
		cr.Control = c
		seen := map[string]bool{}
		for _, id := range append([]string{c.ID}, c.Includes...) {
			for _, r := range own[id] {
				if seen[r] {
					continue
				}
				seen[r] = true
				if enabled[r] {
					cr.Rules = append(cr.Rules, r)
					controlsOf[r] = append(controlsOf[r], i)
				} else {
					cr.Disabled = append(cr.Disabled, r)
				}
			}
		}
	}
	for i := range in.Findings {
		fd := &in.Findings[i]
		idx := controlsOf[fd.RuleID]
		switch {
		case len(idx) == 0 && fd.Suppressed == nil:
			res.Outside++
		case len(idx) > 0 && fd.Suppressed != nil:
			res.Suppressed++
		}
		for _, ci := range idx {
			cr := &res.Controls[ci]
			cr.Findings = append(cr.Findings, fd)
			if fd.Suppressed != nil {
				cr.Suppressed++
				continue
			}
			if cr.Failing == 0 || fd.Severity > cr.Worst {
				cr.Worst = fd.Severity
			}
			cr.Failing++
		}
	}
	for _, g := range in.Unknown {
		for _, ci := range controlsOf[g.Rule] {
			res.Controls[ci].Unknown = append(res.Controls[ci].Unknown, g)
		}
	}
	for i := range res.Controls {
		cr := &res.Controls[i]
		cr.Status, cr.Reason = NotApplicable, verdict(f, cr, own, in)
		if cr.Reason == "" {
			cr.Status = Pass
			if cr.Failing > 0 {
				cr.Status = Fail
			}
		}
		if cr.Failing == 0 && len(cr.Unknown) > 0 && (cr.Status == Pass || cr.Reason == NoObjects) {
			cr.Status, cr.Reason = Unknown, ""
		}
		switch cr.Status {
		case Unknown:
			res.Unknown++
		case Pass:
			res.Pass++
		case Fail:
			res.Fail++
			if in.Gate && cr.Worst >= in.FailOn {
				res.Failed = true
			}
		default:
			res.NotApplicable++
		}
	}
	return res
}

// verdict returns why a control is not applicable, or "" if its rules decide it.
func verdict(f *Framework, cr *ControlResult, own map[string][]string, in Input) Reason {
	c := cr.Control
	switch {
	case c.NotAssessable == Overview && len(own[c.ID]) > 0:
		// A rule tagged with the section itself assesses it.
	case c.NotAssessable != "":
		return c.NotAssessable
	case f.pss && in.PSSHas != nil && !in.PSSHas(c.ID):
		return PSSVersion
	}
	if len(cr.Rules) == 0 {
		if len(cr.Disabled) > 0 {
			return Disabled
		}
		return NoRule
	}
	if cr.Failing > 0 {
		return ""
	}
	for _, r := range cr.Rules {
		if in.Evaluated[r] > 0 {
			return ""
		}
	}
	return NoObjects
}

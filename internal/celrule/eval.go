package celrule

import (
	"errors"
	"fmt"
	"strings"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"k8s.io/apimachinery/pkg/runtime"
	celconfig "k8s.io/apiserver/pkg/apis/cel"

	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/workload"
)

// ObjectBudget is the CEL cost all custom rules may spend on one object together
// (the API server's budget for one ValidatingAdmissionPolicyBinding on one request,
// celconfig.RuntimeCELCostBudget); each expression is also held to the per-call limit
// (celconfig.PerCallLimit). A rule left without budget reports that it could not be
// evaluated.
const ObjectBudget = celconfig.RuntimeCELCostBudget

// memoKey names the state the custom rules share over one object (rules.Pass.Memo).
const memoKey = "celrule"

// objectState is what the custom rules share over one object.
type objectState struct {
	// budget is the cost the rules may still spend on the object.
	budget int64
	// object is the object as the expressions see it.
	object map[string]any
	// templates are the pod templates converted to unstructured, by spec path.
	templates map[string]*template
	// workload is set once a rule checked the object as a workload, so that a rule
	// matching both its kind and workloads checks it once.
	workload bool
}

type template struct {
	spec, meta map[string]any
	err        error
}

func state(p *rules.Pass) *objectState {
	return p.Memo(memoKey, func() any {
		return &objectState{budget: ObjectBudget, object: objectValue(p.Object)}
	}).(*objectState)
}

// objectValue is the object as expressions see it: its body, or what its header
// says when the body was not decoded.
func objectValue(o *inventory.Object) map[string]any {
	if o.Body != nil {
		return o.Body
	}
	meta := map[string]any{"name": o.Ref.Name}
	if o.Ref.Namespace != "" {
		meta["namespace"] = o.Ref.Namespace
	}
	if len(o.Labels) > 0 {
		meta["labels"] = stringMap(o.Labels)
	}
	if len(o.Annotations) > 0 {
		meta["annotations"] = stringMap(o.Annotations)
	}
	return map[string]any{"apiVersion": o.Ref.APIVersion, "kind": o.Ref.Kind, "metadata": meta}
}

func stringMap(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// podTemplate converts a workload's pod template (defaulted as the API server
// stores it) to unstructured, once per object.
func (st *objectState) podTemplate(w *workload.Workload) *template {
	if t, ok := st.templates[w.SpecPath]; ok {
		return t
	}
	t := &template{}
	if w.Spec != nil {
		t.spec, t.err = runtime.DefaultUnstructuredConverter.ToUnstructured(w.Spec)
	}
	if w.Meta != nil && t.err == nil {
		t.meta, t.err = runtime.DefaultUnstructuredConverter.ToUnstructured(w.Meta)
	}
	if st.templates == nil {
		st.templates = map[string]*template{}
	}
	st.templates[w.SpecPath] = t
	return t
}

// checkWorkload is the rule's Workload function: the expression on one pod
// template, the finding on the pod spec.
func (c *compiled) checkWorkload(p *rules.Pass, w *workload.Workload) {
	st := state(p)
	st.workload = true
	t := st.podTemplate(w)
	if t.err != nil {
		c.cannot(p, w.SpecPath, fmt.Errorf("pod template: %v", t.err))
		return
	}
	c.evaluate(p, st, map[string]any{ObjectVar: st.object, PodSpecVar: t.spec, PodMetadataVar: t.meta}, w.SpecPath)
}

// checkObject is the rule's Object function, on the objects of match.kinds.
func (c *compiled) checkObject(p *rules.Pass, o *inventory.Object) {
	matched := false
	for _, k := range c.kinds {
		if k.kind == o.Ref.Kind && k.matches(o.Ref.APIVersion) {
			matched = true
			break
		}
	}
	if !matched {
		return
	}
	st := state(p)
	if c.spec.Match.Workloads && st.workload {
		return // checked as a workload (checkWorkload runs first)
	}
	vars := map[string]any{ObjectVar: st.object}
	if c.spec.Match.Workloads {
		vars[PodSpecVar], vars[PodMetadataVar] = nil, nil
	}
	c.evaluate(p, st, vars, "")
}

// errBudget is the error of an evaluation past the object's budget.
var errBudget = fmt.Errorf("the custom rules ran out of the CEL cost budget of one object (%d, the API server's budget per policy and request)", ObjectBudget)

// evaluate runs the expression and reports a finding when it is not true.
func (c *compiled) evaluate(p *rules.Pass, st *objectState, vars map[string]any, path string) {
	val, err := c.run(st, c.prog, vars)
	if err != nil {
		c.cannot(p, path, err)
		return
	}
	if val == types.True {
		return
	}
	if val != types.False {
		c.cannot(p, path, fmt.Errorf("the expression gave %v, not a bool", val.Type()))
		return
	}
	p.Report(path, "", "%s", c.message(p, st, vars))
}

// message words a finding as the API server words a denial: the message
// expression's result (trimmed; not empty, one line, at most 5 KiB), else the
// message, else "failed expression: ...". On a Secret the message expression is not
// evaluated: its result could quote the Secret's data.
func (c *compiled) message(p *rules.Pass, st *objectState, vars map[string]any) string {
	if c.msgProg != nil && !isSecret(p.Object) {
		if v, err := c.run(st, c.msgProg, vars); err == nil {
			if s, ok := v.Value().(string); ok {
				s = strings.TrimSpace(s)
				if s != "" && len(s) <= celconfig.MaxEvaluatedMessageExpressionSizeBytes && !strings.Contains(s, "\n") {
					return s
				}
			}
		}
	}
	if m := strings.TrimSpace(c.spec.Message); m != "" {
		return m
	}
	return "failed expression: " + c.expression
}

// run evaluates a program against the object's budget.
func (c *compiled) run(st *objectState, prog cel.Program, vars map[string]any) (ref.Val, error) {
	if st.budget <= 0 {
		return nil, errBudget
	}
	val, det, err := prog.Eval(vars)
	if det != nil && det.ActualCost() != nil {
		st.budget -= int64(min(*det.ActualCost(), uint64(ObjectBudget)+1))
	}
	switch {
	case err != nil && strings.Contains(err.Error(), "cost limit exceeded"):
		return nil, fmt.Errorf("the expression exceeded the API server's cost limit per expression (%d)", celconfig.PerCallLimit)
	case err != nil:
		return nil, err
	case st.budget < 0:
		return nil, errBudget
	}
	return val, nil
}

// cannot reports that the rule could not be evaluated on the object: never a silent
// pass, at the rule's severity (an object the rule cannot judge may be the one it is
// for). On a Secret the error's detail is left out, as it may quote the data.
func (c *compiled) cannot(p *rules.Pass, path string, err error) {
	detail := err.Error()
	if isSecret(p.Object) && !errors.Is(err, errBudget) {
		detail = "evaluation error (detail withheld on a Secret)"
	}
	p.Report(path, "", "the rule could not be evaluated on this object: %s", detail)
}

// isSecret reports whether o is a core Secret.
func isSecret(o *inventory.Object) bool {
	return o.Ref.Kind == "Secret" && (o.Ref.APIVersion == "v1" || o.Ref.APIVersion == "")
}

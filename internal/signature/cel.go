package signature

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/ext"
)

// Bounds on a condition, like the Kubernetes API server's for CEL in
// ValidatingAdmissionPolicy: the runtime cost of one evaluation (the API server's
// per-call limit) and the length of the expression.
const (
	conditionCostLimit = 1_000_000
	maxConditionBytes  = 16 << 10
)

// conditionEnv declares the variables a condition sees: predicate and statement,
// JSON as maps, lists, strings, numbers (doubles), booleans and null.
var conditionEnv = func() *cel.Env {
	env, err := cel.NewEnv(
		cel.Variable("predicate", cel.DynType),
		cel.Variable("statement", cel.DynType),
		ext.Strings(),
		ext.Lists(),
		ext.Sets(),
	)
	if err != nil {
		panic(err)
	}
	return env
}()

// condition is a compiled Attestation.Condition.
type condition struct {
	text    string
	program cel.Program
}

// compileCondition compiles a CEL expression of type bool (or dyn, checked at each
// evaluation).
func compileCondition(expr string) (*condition, error) {
	if len(expr) > maxConditionBytes {
		return nil, fmt.Errorf("longer than %d bytes", maxConditionBytes)
	}
	ast, iss := conditionEnv.Compile(expr)
	if iss.Err() != nil {
		return nil, iss.Err()
	}
	if t := ast.OutputType(); !t.IsExactType(types.BoolType) && !t.IsExactType(types.DynType) {
		return nil, fmt.Errorf("of type %s, want bool", t)
	}
	prg, err := conditionEnv.Program(ast,
		cel.CostLimit(conditionCostLimit),
		cel.InterruptCheckFrequency(100),
	)
	if err != nil {
		return nil, err
	}
	return &condition{text: expr, program: prg}, nil
}

// eval runs the condition over a verified statement. An evaluation error (a missing
// field, the cost limit, a non-bool result) is a failed condition.
func (c *condition) eval(ctx context.Context, st *statement) (bool, string) {
	var whole, pred any
	if err := json.Unmarshal(st.raw, &whole); err != nil {
		return false, "undecodable statement: " + err.Error()
	}
	if len(st.predicate) > 0 {
		if err := json.Unmarshal(st.predicate, &pred); err != nil {
			return false, "undecodable predicate: " + err.Error()
		}
	}
	out, _, err := c.program.ContextEval(ctx, map[string]any{"predicate": pred, "statement": whole})
	if err != nil {
		return false, fmt.Sprintf("condition %q failed to evaluate: %v", truncate(c.text, 200), err)
	}
	b, ok := out.(types.Bool)
	if !ok {
		return false, fmt.Sprintf("condition %q is %s, not a bool", truncate(c.text, 200), out.Type())
	}
	if !b {
		return false, fmt.Sprintf("condition %q is false", truncate(c.text, 200))
	}
	return true, ""
}

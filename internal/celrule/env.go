package celrule

import (
	"fmt"
	"strings"
	"sync"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/checker"
	"go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/util/version"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	"k8s.io/apiserver/pkg/cel/environment"
	"k8s.io/apiserver/pkg/cel/library"
)

// The variables of a custom rule's expressions.
const (
	// ObjectVar is the whole object (dyn, as in a ValidatingAdmissionPolicy).
	ObjectVar = "object"
	// PodSpecVar is the pod template's spec as the API server stores it (rules
	// with match.workloads only; null on an object of match.kinds that has none).
	PodSpecVar = "podSpec"
	// PodMetadataVar is the pod template's metadata (with podSpec).
	PodMetadataVar = "podMetadata"
)

// envs are the CEL environments of custom rules: the Kubernetes base environment
// (k8s.io/apiserver/pkg/cel/environment, the libraries and program options of the
// API server: lists, regex, urls, quantity, IP, CIDR, format, semver, strings, sets,
// optional types, the per-call cost limit) at the API server's default compatibility
// version, with the variables declared. Expressions are compiled in the
// NewExpressions environment, the one the API server uses to validate an expression
// written in a new or changed object: a configuration is read afresh every run, so
// every expression is new (StoredExpressions also accepts libraries of later versions,
// kept only so that objects already stored still evaluate after a rollback).
var envs = sync.OnceValues(func() (*envPair, error) {
	base := environment.MustBaseEnvSet(environment.DefaultCompatibilityVersion())
	obj, err := base.Extend(environment.VersionedOptions{
		IntroducedVersion: version.MajorMinor(1, 0),
		EnvOptions:        []cel.EnvOption{cel.Variable(ObjectVar, cel.DynType)},
	})
	if err != nil {
		return nil, err
	}
	wl, err := obj.Extend(environment.VersionedOptions{
		IntroducedVersion: version.MajorMinor(1, 0),
		EnvOptions: []cel.EnvOption{
			cel.Variable(PodSpecVar, cel.DynType),
			cel.Variable(PodMetadataVar, cel.DynType),
		},
	})
	if err != nil {
		return nil, err
	}
	p := &envPair{object: obj.NewExpressionsEnv(), workload: wl.NewExpressionsEnv()}
	return p, nil
})

type envPair struct{ object, workload *cel.Env }

// compiled is a rule's programs.
type compiled struct {
	spec    Spec
	kinds   []kindMatch
	prog    cel.Program
	msgProg cel.Program
	// expression is the expression as messages quote it.
	expression string
}

// compileExpressions compiles the expression (a bool) and the message expression
// (a string), in the environment of the rule's match.
func compileExpressions(s *Spec) (*compiled, []error) {
	pair, err := envs()
	if err != nil {
		return nil, []error{specError(s, "", "CEL environment: %v", err)}
	}
	env := pair.object
	if s.Match.Workloads {
		env = pair.workload
	}
	c := &compiled{spec: *s, expression: strings.TrimSpace(s.Expression)}
	var errs []error
	c.prog, err = compileExpr(env, s, "expression", s.Expression, cel.BoolType)
	if err != nil {
		errs = append(errs, err)
	}
	if strings.TrimSpace(s.MessageExpression) != "" {
		c.msgProg, err = compileExpr(env, s, "messageExpression", s.MessageExpression, cel.StringType)
		if err != nil {
			errs = append(errs, err)
		}
	}
	return c, errs
}

// compileExpr compiles one expression to a program whose result has type want (as
// the API server's admission CEL compiler: the output type must be exactly want).
func compileExpr(env *cel.Env, s *Spec, field, expr string, want *cel.Type) (cel.Program, error) {
	if len(expr) > MaxExpressionLength {
		return nil, specError(s, field, "%d bytes, more than the limit of %d", len(expr), MaxExpressionLength)
	}
	ast, iss := env.Compile(expr)
	if iss.Err() != nil {
		return nil, specError(s, field, "%s", issuesText(iss))
	}
	if !ast.OutputType().IsExactType(want) {
		return nil, specError(s, field, "must evaluate to %v, not %v", want, ast.OutputType())
	}
	if err := checkEstimate(env, ast); err != nil {
		return nil, specError(s, field, "%v", err)
	}
	prog, err := env.Program(ast, cel.InterruptCheckFrequency(celconfig.CheckFrequency))
	if err != nil {
		return nil, specError(s, field, "%v", err)
	}
	return prog, nil
}

// issuesText words CEL's errors on one line each ("column 12: Syntax error: ..."),
// without the source excerpt CEL draws under them.
func issuesText(iss *cel.Issues) string {
	var parts []string
	for _, e := range iss.Errors() {
		loc := e.Location
		msg := strings.ReplaceAll(e.Message, "\n", " ")
		if loc != nil && loc.Line() > 0 {
			if loc.Line() > 1 {
				parts = append(parts, fmt.Sprintf("line %d of the expression, column %d: %s", loc.Line(), loc.Column()+1, msg))
			} else {
				parts = append(parts, fmt.Sprintf("column %d: %s", loc.Column()+1, msg))
			}
			continue
		}
		parts = append(parts, msg)
	}
	if len(parts) == 0 {
		return iss.String()
	}
	return strings.Join(parts, "; ")
}

// checkEstimate runs CEL's static cost estimator with the API server's cost
// functions (library.CostEstimator) and every list, map and string of the input
// bounded by the API server's request size (celconfig.MaxRequestSizeBytes). An
// expression whose minimum estimated cost exceeds the per-call limit can never
// finish on any object: it is an error. The maximum is not a reason to refuse: with
// object declared dyn (as in a ValidatingAdmissionPolicy, which the API server does
// not estimate for that reason) any comprehension over the object has a maximum far
// above the limit; the runtime limits bound what evaluation really costs.
func checkEstimate(env *cel.Env, ast *cel.Ast) error {
	est, err := env.EstimateCost(ast, &library.CostEstimator{SizeEstimator: sizeEstimator{}})
	if err != nil {
		return fmt.Errorf("cost estimate: %v", err)
	}
	if est.Min > celconfig.PerCallLimit {
		return fmt.Errorf("estimated cost %d exceeds the API server's per-expression limit of %d on every object", est.Min, celconfig.PerCallLimit)
	}
	return nil
}

// sizeEstimator bounds every size of the input by the API server's request size.
type sizeEstimator struct{}

func (sizeEstimator) EstimateSize(checker.AstNode) *checker.SizeEstimate {
	return &checker.SizeEstimate{Min: 0, Max: uint64(celconfig.MaxRequestSizeBytes)}
}

func (sizeEstimator) EstimateCallCost(string, string, *checker.AstNode, []checker.AstNode) *checker.CallEstimate {
	return nil
}

// Locate sets the Line and Lines of specs decoded from node, the customRules
// sequence of a configuration.
func Locate(specs []Spec, node *yaml.Node) {
	if node == nil || node.Kind != yaml.SequenceNode {
		return
	}
	for i := range specs {
		if i >= len(node.Content) {
			return
		}
		item := node.Content[i]
		specs[i].Line = item.Line
		if item.Kind != yaml.MappingNode {
			continue
		}
		specs[i].Lines = map[string]int{}
		for j := 0; j+1 < len(item.Content); j += 2 {
			specs[i].Lines[item.Content[j].Value] = item.Content[j].Line
		}
	}
}

// Package celrule compiles the custom rules of .palisade.yaml (customRules): rules
// written in CEL by the user, with the Kubernetes CEL environment and cost limits of
// the API server (k8s.io/apiserver/pkg/cel), each compiled once into a rules.Rule
// that runs like a built-in one in scan, cluster and the webhook.
package celrule

import (
	"errors"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/rules"
)

// Spec is one custom rule as written in the configuration.
type Spec struct {
	// ID names the rule (letters, digits and dashes, starting with a letter; not the
	// PAL- prefix of the built-in rules).
	ID       string           `yaml:"id"`
	Title    string           `yaml:"title"`
	Severity finding.Severity `yaml:"severity"`
	Match    Match            `yaml:"match"`
	// Expression must evaluate to true for a compliant object (as a
	// ValidatingAdmissionPolicy validation).
	Expression string `yaml:"expression"`
	// MessageExpression, if set, words the finding (a string expression).
	MessageExpression string `yaml:"messageExpression"`
	// Message is the finding's message when there is no MessageExpression.
	Message string `yaml:"message"`
	// Frameworks maps framework names (cis-1.12, nsa, pss) to control IDs.
	Frameworks  map[string][]string `yaml:"frameworks"`
	Rationale   string              `yaml:"rationale"`
	Remediation string              `yaml:"remediation"`
	References  []string            `yaml:"references"`
	// Line is where the rule starts in the configuration file (0: unknown).
	Line int `yaml:"-"`
}

// Match says which objects a custom rule runs on.
type Match struct {
	// Kinds lists object kinds ("Deployment", or "apps/v1/Deployment").
	Kinds []string `yaml:"kinds"`
	// Workloads runs the rule on every pod template (every kind that runs pods,
	// including custom kinds of podTemplatePaths).
	Workloads bool `yaml:"workloads"`
}

// Compile checks and compiles the specs. Every problem is reported (joined), each
// naming the rule's line: a bad ID or a clash, a missing field, a CEL syntax or type
// error, an expression that is not a bool (or a message expression not a string), an
// estimated cost above the API server's limit.
func Compile(specs []Spec) ([]*rules.Rule, error) {
	if len(specs) == 0 {
		return nil, nil
	}
	return nil, errors.New("celrule: not implemented")
}

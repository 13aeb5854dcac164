package images_test

// The shared test vocabulary of package checktest, under the names the tests here
// are written with.

import "github.com/palisade-k8s/palisade/internal/checks/checktest"

const (
	tplc0 = "spec.template.spec.containers[0]"
)

var (
	checkInputErrors = checktest.CheckInputErrors
	checkLines       = checktest.CheckLines
	findingKey       = checktest.FindingKey
	isFallback       = checktest.IsFallback
	matchFindings    = checktest.MatchFindings
	paramsConfig     = checktest.ParamsConfig
)

// ruleCase holds the fields of checktest.Case the image cases are written with.
type ruleCase struct {
	name  string
	rules []string
	yaml  string
	want  []string
	lines map[string]string
}

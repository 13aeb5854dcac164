package all_test

// The shared test vocabulary of package checktest, under the names the tests here
// are written with.

import (
	"testing"

	"github.com/palisade-k8s/palisade/internal/checks/checktest"
)

const (
	restrictedPod = checktest.RestrictedPod
)

var (
	namespaceYAML = checktest.NamespaceYAML
	nsDeployment  = checktest.NSDeployment
	scanYAML      = checktest.ScanYAML
)

// ruleCase is checktest.Case with the field names the cases here are written with.
type ruleCase struct {
	name    string
	version string
	rules   []string
	yaml    string
	want    []string
	lines   map[string]string
}

func runCases(t *testing.T, cases []ruleCase) {
	t.Helper()
	cs := make([]checktest.Case, len(cases))
	for i, c := range cases {
		cs[i] = checktest.Case{Name: c.name, Version: c.version, Rules: c.rules, YAML: c.yaml, Want: c.want, Lines: c.lines}
	}
	checktest.RunCases(t, cs)
}

package network_test

// The shared test vocabulary of package checktest, under the names the tests here
// are written with.

import (
	"testing"

	"github.com/palisade-k8s/palisade/internal/checks/checktest"
)

var (
	checkInputErrors = checktest.CheckInputErrors
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

// objCase is checktest.ObjCase with the field names the cases here are written with.
type objCase struct {
	name       string
	rules      []string
	yaml       string
	want       []string
	lines      map[string]string
	msgs       map[string]string
	params     map[string]map[string]any
	inputError string
}

func runObjCases(t *testing.T, cases []objCase) {
	t.Helper()
	cs := make([]checktest.ObjCase, len(cases))
	for i, c := range cases {
		cs[i] = checktest.ObjCase{Name: c.name, Rules: c.rules, YAML: c.yaml, Want: c.want, Lines: c.lines,
			Msgs: c.msgs, Params: c.params, InputError: c.inputError}
	}
	checktest.RunObjCases(t, cs)
}

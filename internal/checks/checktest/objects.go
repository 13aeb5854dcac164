package checktest

import (
	"sort"
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/scan"
	"github.com/palisade-k8s/palisade/internal/source"
)

// ObjCase is a Case for rules on objects that are not workloads (Services,
// Ingresses, ConfigMaps): the manifest need not contain a workload.
type ObjCase struct {
	Name  string
	Rules []string
	YAML  string
	// Want lists "RULE - path" (object rules have no container).
	Want []string
	// Lines maps a finding's path to a text on exactly one line of YAML.
	Lines map[string]string
	// Msgs maps a finding's path to a text its message must contain.
	Msgs map[string]string
	// Params configures rule parameters by rule ID.
	Params map[string]map[string]any
	// InputError, if set, must occur in an input error (the object not fully checked).
	InputError string
}

// RunObjCases runs each case as a subtest.
func RunObjCases(t *testing.T, cases []ObjCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			if len(tc.Rules) == 0 {
				t.Fatal("case names no rule under test")
			}
			res, err := scan.Run(scan.Options{
				Source: &source.Files{Paths: []string{"-"}, Stdin: strings.NewReader(tc.YAML)}, FailOn: "none", Config: ParamsConfig(tc.Params),
			})
			if err != nil {
				t.Fatalf("scan: %v", err)
			}
			CheckInputErrors(t, res.Report.Errors, tc.InputError)
			got := MatchFindings(t, res.Report.Findings, tc.Rules, FindingKey, tc.Want)
			CheckLines(t, tc.YAML, got, tc.Lines)
			for path, text := range tc.Msgs {
				n := 0
				for _, f := range got {
					if f.Path == path {
						n++
						if !strings.Contains(f.Message, text) {
							t.Errorf("%s: message %q lacks %q", FindingKey(f), f.Message, text)
						}
					}
				}
				if n == 0 {
					t.Errorf("no finding at %s to check the message of", path)
				}
			}
		})
	}
}

// FindingsOf scans yaml with options and returns the findings of the rules, keyed.
func FindingsOf(t *testing.T, yaml string, opts scan.Options, ruleIDs ...string) map[string]finding.Finding {
	t.Helper()
	f, _ := opts.Source.(*source.Files)
	if f == nil {
		f = &source.Files{}
	}
	f.Paths, f.Stdin = []string{"-"}, strings.NewReader(yaml)
	opts.Source, opts.FailOn = f, "none"
	res, err := scan.Run(opts)
	if err != nil {
		t.Fatalf("scan: %v", err)
	}
	for _, e := range res.Report.Errors {
		t.Errorf("input error: %s: %s", e.Location, e.Message)
	}
	out := map[string]finding.Finding{}
	for _, f := range res.Report.Findings {
		for _, id := range ruleIDs {
			if f.RuleID == id {
				out[FindingKey(&f)] = f
			}
		}
	}
	return out
}

// KeysOf returns the keys of m in order.
func KeysOf(m map[string]finding.Finding) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

package rules

import (
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
)

func testMeta(id string, params ...Param) Meta {
	return Meta{ID: id, Title: "t", Severity: finding.Low, Category: "test", Rationale: "r", Remediation: "m",
		Frameworks: Frameworks{Layer: "cluster"}, Params: params}
}

// TestRegisterChecksDefaults: a parameter's default must pass its own declaration,
// as a configured value must, or registration fails.
func TestRegisterChecksDefaults(t *testing.T) {
	obj := func(*Pass, *inventory.Object) {}
	defer func() {
		if v := recover(); v == nil || !strings.Contains(v.(string), "TEST-P1 parameter minLength default") {
			t.Errorf("recovered %v, want a panic naming the parameter", v)
		}
	}()
	Register(&Rule{Meta: testMeta("TEST-P1", Param{Name: "minLength", Description: "d", Default: "eight", Syntax: Integer}),
		Kinds: []string{"Secret"}, Object: obj})
}

// TestPassParams: the typed accessors read parameter values as configuration
// stores them (strings) and as YAML decodes them.
func TestPassParams(t *testing.T) {
	p := NewPass(&Rule{}, &inventory.Object{}, nil, map[string]any{
		"n": "12", "m": 7, "list": []string{"a", "b"}, "one": "x", "bad": "x"}, Hooks{})
	if p.Int("n", 8) != 12 || p.Int("m", 8) != 7 || p.Int("unset", 8) != 8 || p.Int("bad", 8) != 8 {
		t.Errorf("Int: %d %d %d %d", p.Int("n", 8), p.Int("m", 8), p.Int("unset", 8), p.Int("bad", 8))
	}
	if p.String("one") != "x" || p.String("list") != "" || len(p.Strings("list")) != 2 {
		t.Errorf("String %q, Strings %v", p.String("one"), p.Strings("list"))
	}
}

// TestReportBuildsOnce: a finding carries its severity from the report call and
// a settled finding is decided at once when there is an inventory and no engine
// deferral; nothing swaps the pass's hooks.
func TestReportBuildsOnce(t *testing.T) {
	var got []finding.Finding
	r := &Rule{Meta: testMeta("TEST-R")}
	o := &inventory.Object{Ref: finding.ObjectRef{Kind: "Pod", Name: "p"}}
	p := NewPass(r, o, &inventory.Inventory{}, nil, Hooks{Report: func(f finding.Finding) { got = append(got, f) }})
	p.ReportSeverity(finding.Critical, "spec", "", "sev %d", 1)
	p.ReportUnless(func(*inventory.Inventory) (bool, string) { return true, "" }, "spec", "", "covered")
	p.ReportUnless(func(*inventory.Inventory) (bool, string) { return false, " (note)" }, "spec", "c", "stands")
	p.Report("spec", "", "plain")
	if len(got) != 3 || got[0].Severity != finding.Critical || got[1].Message != "stands (note)" || got[1].Container != "c" ||
		got[2].Severity != finding.Low || got[2].Message != "plain" {
		t.Errorf("findings %+v", got)
	}
	var deferred []finding.Finding
	p = NewPass(r, o, nil, nil, Hooks{Report: func(f finding.Finding) { got = append(got, f) },
		Defer: func(f finding.Finding, _ Settle) { deferred = append(deferred, f) }})
	p.ReportUnless(func(*inventory.Inventory) (bool, string) { return true, "" }, "spec", "", "later")
	if len(deferred) != 1 || len(got) != 3 {
		t.Errorf("deferred %v", deferred)
	}
}

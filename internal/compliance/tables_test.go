package compliance_test

// These tests hold the framework tables and the rules' framework tags in the registry
// to each other: every tag names a control, controls that manifests cannot decide
// have no rule, and the Pod Security Standards views are exactly the official checks.

import (
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/compliance"
	"github.com/palisade-k8s/palisade/internal/pss"
	"github.com/palisade-k8s/palisade/internal/rules"

	// The built-in rules register themselves.
	_ "github.com/palisade-k8s/palisade/internal/checks/all"
)

func framework(t *testing.T, id string) *compliance.Framework {
	t.Helper()
	f, err := compliance.Get(id)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestFrameworkNames(t *testing.T) {
	want := []string{"cis-1.12", "nsa-cisa", "pss-baseline", "pss-restricted", "mitre-attack"}
	if got := compliance.Names(); !reflect.DeepEqual(got, want) {
		t.Errorf("names = %v, want %v", got, want)
	}
	if f, err := compliance.Get("CIS-1.12"); err != nil || f.ID != "cis-1.12" {
		t.Errorf("Get is not case-insensitive: %v, %v", f, err)
	}
	_, err := compliance.Get("cis-1.8")
	if err == nil || !strings.Contains(err.Error(), `unknown framework "cis-1.8"`) || !strings.Contains(err.Error(), "pss-restricted") {
		t.Errorf("unknown framework error = %v, want it to name the framework and list the known ones", err)
	}
}

// Every table is well formed: unique IDs and tags, a title and a section for every
// control, includes that name controls of the same framework, known reasons only.
func TestTablesWellFormed(t *testing.T) {
	known := map[compliance.Reason]bool{compliance.Cluster: true, compliance.Manual: true, compliance.Overview: true, compliance.NotAudited: true, "": true}
	for _, f := range compliance.All() {
		if f.Title == "" || f.URL == "" || len(f.Controls) == 0 {
			t.Errorf("%s: incomplete framework", f.ID)
		}
		ids, tags := map[string]bool{}, map[string]bool{}
		for _, c := range f.Controls {
			if ids[c.ID] {
				t.Errorf("%s: control %s listed twice", f.ID, c.ID)
			}
			ids[c.ID] = true
			if c.Tag != "" {
				if tags[strings.ToLower(c.Tag)] {
					t.Errorf("%s: tag %q names two controls", f.ID, c.Tag)
				}
				tags[strings.ToLower(c.Tag)] = true
			}
			if c.ID == "" || c.Title == "" || c.Section == "" {
				t.Errorf("%s: incomplete control %+v", f.ID, c)
			}
			if !known[c.NotAssessable] {
				t.Errorf("%s %s: reason %q cannot be written in a table", f.ID, c.ID, c.NotAssessable)
			}
			for _, inc := range c.Includes {
				if _, ok := f.Control(inc); !ok || inc == c.ID {
					t.Errorf("%s %s includes %q, not another control of the framework", f.ID, c.ID, inc)
				}
			}
		}
	}
}

// Every framework tag a rule carries names a control of the table: a CIS ID, an
// NSA/CISA section or subsection, a PSS check.
func TestEveryTagNamesAControl(t *testing.T) {
	for _, f := range compliance.All() {
		for _, r := range rules.All() {
			if _, unknown := f.Claims(r); len(unknown) > 0 {
				t.Errorf("%s tags %s %q, which is not a control of the table", r.ID, f.ID, unknown)
			}
		}
	}
	cis, nsa, restricted := framework(t, "cis-1.12"), framework(t, "nsa-cisa"), framework(t, "pss-restricted")
	for _, r := range rules.All() {
		for _, id := range r.Frameworks.CIS {
			if _, ok := cis.Control(id); !ok {
				t.Errorf("%s: CIS %s is not a v1.12 control", r.ID, id)
			}
		}
		if got, _ := nsa.Claims(r); len(got) != len(r.Frameworks.NSA) {
			t.Errorf("%s: NSA tags %q resolve to controls %v", r.ID, r.Frameworks.NSA, got)
		}
		if c := r.Frameworks.PSSCheck; c != "" {
			if _, ok := restricted.Control(c); !ok {
				t.Errorf("%s: PSS check %q is not a control", r.ID, c)
			}
		}
	}
}

// A rule's link to a control is the same whichever way it is read: each control's
// rules (RulesOf) are exactly the rules whose tags name it.
func TestLinksAgree(t *testing.T) {
	all := rules.All()
	for _, f := range compliance.All() {
		byControl := f.RulesOf(all)
		for id, rs := range byControl {
			if _, ok := f.Control(id); !ok {
				t.Errorf("%s: rules %v linked to unknown control %s", f.ID, rs, id)
			}
			for _, rid := range rs {
				r, ok := rules.Get(rid)
				if !ok {
					t.Errorf("%s %s: unknown rule %s", f.ID, id, rid)
					continue
				}
				claims, _ := f.Claims(r)
				if !contains(claims, id) {
					t.Errorf("%s %s lists %s, whose tags %v do not name it", f.ID, id, rid, claims)
				}
			}
		}
		for _, r := range all {
			claims, _ := f.Claims(r)
			for _, id := range claims {
				if !contains(byControl[id], r.ID) {
					t.Errorf("%s: %s names %s but is not among its rules", f.ID, r.ID, id)
				}
			}
		}
	}
}

// A control the table calls control-plane or manual has no rule: a rule tagged with
// it contradicts the table, and one of the two is wrong.
func TestNotAssessableControlsHaveNoRules(t *testing.T) {
	all := rules.All()
	for _, f := range compliance.All() {
		byControl := f.RulesOf(all)
		for _, c := range f.Controls {
			if (c.NotAssessable == compliance.Cluster || c.NotAssessable == compliance.Manual || c.NotAssessable == compliance.NotAudited) && len(byControl[c.ID]) > 0 {
				t.Errorf("%s %s is %s in the table, but rules %v are tagged with it", f.ID, c.ID, c.NotAssessable, byControl[c.ID])
			}
		}
	}
}

// The CIS view covers every section-5 control the rules address, the control plane
// flags its static pods carry, and file permissions (1.1) and the nodes (4) from
// nodes' facts.
func TestCISCoverage(t *testing.T) {
	nodeRule := regexp.MustCompile(`^PAL-7([3-7][0-9]|80)$`)
	f := framework(t, "cis-1.12")
	byControl := f.RulesOf(rules.All())
	sections := map[string]int{}
	for _, c := range f.Controls {
		sections[strings.SplitN(c.ID, ".", 2)[0]]++
		manifests := strings.HasPrefix(c.ID, "5.") || strings.HasPrefix(c.ID, "1.2.") || strings.HasPrefix(c.ID, "1.3.") ||
			strings.HasPrefix(c.ID, "1.4.") || strings.HasPrefix(c.ID, "2.") || strings.HasPrefix(c.ID, "3.2.")
		nodes := strings.HasPrefix(c.ID, "1.1.") || strings.HasPrefix(c.ID, "4.")
		if !manifests && !nodes && c.NotAssessable == "" {
			t.Errorf("%s is not in manifests but not marked as control plane or manual", c.ID)
		}
		if manifests && c.NotAssessable == "" && len(byControl[c.ID]) == 0 && !strings.HasPrefix(c.ID, "5.") {
			t.Errorf("%s is a control-plane flag control without a rule", c.ID)
		}
		// Every file-permission (1.1) and node (4.x) recommendation is judged from
		// nodes' facts: each has a node rule, and none is marked not assessable.
		if nodes && c.NotAssessable != compliance.Overview {
			if c.NotAssessable != "" {
				t.Errorf("%s is judged from nodes' facts but marked %s", c.ID, c.NotAssessable)
			}
			if len(byControl[c.ID]) == 0 {
				t.Errorf("%s is a node control without a rule", c.ID)
			}
			for _, id := range byControl[c.ID] {
				if !nodeRule.MatchString(id) {
					t.Errorf("%s is a node control, but %s is not a node rule (PAL-730..PAL-780)", c.ID, id)
				}
			}
		}
	}
	for _, s := range []string{"1", "2", "3", "4", "5"} {
		if sections[s] == 0 {
			t.Errorf("CIS section %s missing", s)
		}
	}
	if len(f.Controls) != 131 {
		t.Errorf("%d CIS v1.12 controls, want 131", len(f.Controls))
	}
	for _, id := range []string{"5.1.1", "5.1.3", "5.2.2", "5.2.11", "5.3.2", "5.6.2"} {
		if len(byControl[id]) == 0 {
			t.Errorf("CIS %s has no rule", id)
		}
	}
}

// The PSS views are the official checks of k8s.io/pod-security-admission: baseline
// its baseline checks, restricted all of them, each rule tagged with the level of its
// check, and the includes are exactly pss.SubsumedBy.
func TestPSSTablesAreTheOfficialChecks(t *testing.T) {
	official := pss.CheckIDs()
	for _, tc := range []struct{ id, level string }{{"pss-baseline", "baseline"}, {"pss-restricted", "restricted"}} {
		f := framework(t, tc.id)
		var got, want []string
		for _, c := range f.Controls {
			got = append(got, c.ID)
			if b, ok := pss.SubsumedBy[c.ID]; ok != (len(c.Includes) == 1) || (ok && c.Includes[0] != b) {
				t.Errorf("%s %s includes %v, want %q", tc.id, c.ID, c.Includes, b)
			}
		}
		for id, level := range official {
			if tc.level == "restricted" || level == "baseline" {
				want = append(want, id)
			}
		}
		sort.Strings(got)
		sort.Strings(want)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s controls = %v, want the official checks %v", tc.id, got, want)
		}
	}
	for _, r := range rules.All() {
		if c := r.Frameworks.PSSCheck; c != "" && official[c] != r.Frameworks.PSS {
			t.Errorf("%s: PSS level %q, but check %s is %s", r.ID, r.Frameworks.PSS, c, official[c])
		}
	}
	// Every official check has a rule, so each PSS control can pass or fail.
	byControl := framework(t, "pss-restricted").RulesOf(rules.All())
	for id := range official {
		if len(byControl[id]) == 0 {
			t.Errorf("PSS check %s has no rule", id)
		}
	}
}

// The ATT&CK view is the Containers matrix: technique IDs well formed, every
// sub-technique under its technique (an Overview control, and only those are),
// a tactic of the matrix as each section, and every audit detection claiming at
// least one technique of it, while no other rule claims any.
func TestMITREContainers(t *testing.T) {
	f := framework(t, "mitre-attack")
	id := regexp.MustCompile(`^T1[0-9]{3}(\.[0-9]{3})?$`)
	tactics := map[string]bool{"Initial Access": true, "Execution": true, "Persistence": true, "Privilege Escalation": true,
		"Defense Evasion": true, "Credential Access": true, "Discovery": true, "Lateral Movement": true, "Impact": true}
	parents := map[string]bool{}
	for _, c := range f.Controls {
		if !id.MatchString(c.ID) {
			t.Errorf("%q is not an ATT&CK technique ID", c.ID)
		}
		if !tactics[c.Section] {
			t.Errorf("%s: section %q is not a tactic of the Containers matrix", c.ID, c.Section)
		}
		if parent, _, ok := strings.Cut(c.ID, "."); ok {
			p, found := f.Control(parent)
			if !found || p.NotAssessable != compliance.Overview {
				t.Errorf("%s: its technique %s is not an overview control of the table", c.ID, parent)
			}
			parents[parent] = true
		}
	}
	for _, c := range f.Controls {
		if (c.NotAssessable == compliance.Overview) != parents[c.ID] {
			t.Errorf("%s: overview %v, has sub-techniques %v", c.ID, c.NotAssessable == compliance.Overview, parents[c.ID])
		}
	}
	for _, want := range []string{"T1609", "T1610", "T1611", "T1053.007", "T1552.007", "T1613", "T1098.006", "T1562.001", "T1070", "T1485"} {
		if _, ok := f.Control(want); !ok {
			t.Errorf("%s missing from the Containers matrix", want)
		}
	}
	for _, r := range rules.All() {
		claims, _ := f.Claims(r)
		switch {
		case r.Targets == rules.Audit && len(claims) == 0:
			t.Errorf("%s is an audit detection claiming no technique of the matrix", r.ID)
		case r.Targets != rules.Audit && len(r.Frameworks.MITRE) > 0:
			t.Errorf("%s claims ATT&CK techniques %v but detects nothing in audit logs", r.ID, r.Frameworks.MITRE)
		}
	}
	// The audit detections cover the techniques the issue names.
	byControl := f.RulesOf(rules.All())
	for _, want := range []string{"T1609", "T1610", "T1611", "T1053.007", "T1552.007", "T1562.001", "T1070", "T1485"} {
		if len(byControl[want]) == 0 {
			t.Errorf("no audit detection claims %s", want)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

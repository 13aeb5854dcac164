package scan

import (
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/secrets/secretset"
	"github.com/palisade-k8s/palisade/internal/source"
)

// credentialRules are the rules that say "this value is a credential": the format
// and keyword detectors and the SOPS and helm-secrets rules. The rules about how
// Secret objects are used (PAL-521..526) judge objects, not values, and are not
// counted.
var credentialRules = regexp.MustCompile(`^PAL-5(0[1-9]|1[0-9]|20|2[78])$`)

// knownMiss is a gap of the labelled set that work in flight closes. Location and
// Format match a label ("*" any); Kind is "miss" (a credential not reported by its
// rule) or "false" (a look-alike reported, or a finding on no label: Format
// "(stray)").
type knownMiss struct {
	Location, Format, Kind, Reason string
}

// knownMisses shrinks as the work of issue 14 lands; an entry that matches nothing
// fails the test, so that it is removed once fixed. The first entry that matches a
// gap takes it: locations come first.
var knownMisses = []knownMiss{}

// TestSecretSet scans the labelled secrets set (internal/secrets/secretset) and
// checks recall and precision in every location and format: every credential
// reported by its rule, no look-alike reported, no finding on no label, except the
// known misses. With -v it prints the tables.
func TestSecretSet(t *testing.T) {
	dir := t.TempDir()
	labels, err := secretset.Write(dir, 1)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(Options{Source: &source.Files{Paths: []string{dir}}, FailOn: "none"})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range res.Report.Errors {
		t.Logf("input error: %s", e.Error())
	}
	var found []secretset.Finding
	for _, f := range res.Report.Findings {
		if !credentialRules.MatchString(f.RuleID) {
			continue
		}
		rel, err := filepath.Rel(dir, f.Location.File)
		if err != nil {
			rel = f.Location.File
		}
		found = append(found, secretset.Finding{File: filepath.ToSlash(rel), Line: f.Location.Line, Rule: f.RuleID})
	}
	m := labels.Match(found, true)
	t.Logf("by location:\n%s", secretset.Table("location", m.Rows(func(l secretset.Label) string { return l.Location })))
	t.Logf("by format:\n%s", secretset.Table("format", m.Rows(func(l secretset.Label) string { return l.Format })))

	used := make([]bool, len(knownMisses))
	known := func(loc, format, kind string) bool {
		for i, k := range knownMisses {
			if k.Kind == kind && (k.Location == "*" || k.Location == loc) && (k.Format == "*" || k.Format == format) {
				used[i] = true
				return true
			}
		}
		return false
	}
	fileLoc := map[string]string{}
	for i, l := range labels {
		fileLoc[l.File] = l.Location
		var rules []string
		for _, f := range m.Hits[i] {
			rules = append(rules, f.Rule)
		}
		switch {
		case l.Positive() && !m.Found(i) && !known(l.Location, l.Format, "miss"):
			t.Errorf("%s:%d: %s in %s not reported by %s (reported: %v)", l.File, l.Line, l.Format, l.Location, l.Rule, rules)
		case !l.Positive() && m.Found(i) && !known(l.Location, l.Format, "false"):
			t.Errorf("%s:%d: look-alike %s in %s reported by %v", l.File, l.Line, l.Format, l.Location, rules)
		}
	}
	for _, f := range m.Stray {
		if !known(fileLoc[f.File], "(stray)", "false") {
			t.Errorf("%s:%d: %s on no label", f.File, f.Line, f.Rule)
		}
	}
	for i, k := range knownMisses {
		if !used[i] {
			t.Errorf("known miss %+v no longer happens: remove it from knownMisses", k)
		}
	}
	if len(knownMisses) > 0 {
		t.Log(countKnown(knownMisses))
	}
}

func countKnown(ks []knownMiss) string {
	var locs []string
	for _, k := range ks {
		if !slices.Contains(locs, k.Location) {
			locs = append(locs, k.Location)
		}
	}
	return fmt.Sprintf("%d known-miss entries over %s", len(ks), strings.Join(locs, ", "))
}

// TestSecretSetHistory scans the labelled set's generated git history (credentials
// and look-alikes added to a ConfigMap or a .env and removed a few commits later)
// with --git-history: every credential is reported at the commit that added it, with
// its file and line there, and no look-alike is.
func TestSecretSetHistory(t *testing.T) {
	dir := t.TempDir()
	labels, err := secretset.WriteHistory(dir, 300, 1)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(Options{
		Source:  &source.Files{Paths: []string{dir}},
		History: &source.GitHistory{Paths: []string{dir}},
		FailOn:  "none",
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range res.Report.Errors {
		t.Errorf("input error: %s", e.Error())
	}
	if h := res.Report.Summary.History; h == nil || h.Commits != 300 {
		t.Fatalf("history summary %+v, want 300 commits", h)
	}
	var found []secretset.Finding
	for _, f := range res.Report.Findings {
		if !credentialRules.MatchString(f.RuleID) {
			continue
		}
		if f.Location.Commit == nil {
			t.Errorf("%s at %s: a finding in the working tree, which holds no credential", f.RuleID, f.Location)
			continue
		}
		rel, err := filepath.Rel(dir, f.Location.File)
		if err != nil {
			rel = f.Location.File
		}
		found = append(found, secretset.Finding{File: filepath.ToSlash(rel), Line: f.Location.Line, Rule: f.RuleID, Commit: f.Location.Commit.Hash})
	}
	m := labels.Match(found, true)
	t.Logf("by format:\n%s", secretset.Table("format", m.Rows(func(l secretset.Label) string { return l.Format })))
	positives := 0
	for i, l := range labels {
		if l.Positive() {
			positives++
		}
		switch {
		case l.Positive() && !m.Found(i):
			t.Errorf("commit %.7s %s:%d: %s not reported by %s", l.Commit, l.File, l.Line, l.Format, l.Rule)
		case !l.Positive() && m.Found(i):
			t.Errorf("commit %.7s %s:%d: look-alike %s reported", l.Commit, l.File, l.Line, l.Format)
		}
	}
	for _, f := range m.Stray {
		t.Errorf("commit %.7s %s:%d: %s on no label", f.Commit, f.File, f.Line, f.Rule)
	}
	if positives == 0 {
		t.Fatal("the generated history holds no credential: the test would prove nothing")
	}
}

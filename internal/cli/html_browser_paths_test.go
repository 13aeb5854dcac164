package cli

// The HTML report of `palisade paths` in the browser (html_browser_test.go has the
// helpers). It needs the paths command (branch pathrules) and an attack path in
// examples/insecure.

import (
	"slices"
	"testing"

	"github.com/palisade-k8s/palisade/internal/browsertest"
)

// The report of `palisade paths` (the attack-path findings of examples/insecure): the
// same page, every path in the graph, each pivot's panel listing its paths.
func TestHTMLReportBrowserPaths(t *testing.T) {
	b := browsertest.New(t)
	rep, file := commandReports(t, "paths", insecureExample)
	pivots := map[string]bool{}
	for _, f := range rep.Findings {
		if f.AttackPath == nil {
			t.Errorf("paths reported %s without an attack path", f.RuleID)
		} else if f.AttackPath.Pivot != "" {
			pivots[f.AttackPath.Pivot] = true
		}
	}
	if len(pivots) == 0 {
		t.Fatalf("paths found no attack path through a workload of %s", insecureExample)
	}
	p, _ := openReport(t, b, file)
	checkCounts(t, p, rep)
	checkFindings(t, p, rep)
	checkGraph(t, p, rep)
	var ids []string
	for id := range pivots {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		checkNodePanel(t, p, rep, id)
	}
	browsertest.ScrollTo(p, "svg#path-graph")
	p.Screenshot("paths", false)
	checkOffline(t, p, file)
}

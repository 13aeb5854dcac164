package attackpath

import (
	"bytes"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/finding"
)

// pathFindings are the findings of the chain's paths, one per pivot.
func pathFindings(t testing.TB, g *Graph, q Query) []finding.Finding {
	t.Helper()
	ps, err := g.Paths(q)
	if err != nil {
		t.Fatal(err)
	}
	var fs []finding.Finding
	for _, p := range ps {
		f := finding.Finding{RuleID: "PAL-470", Object: *p.Pivot.Object, AttackPath: p.Evidence(), Message: p.Text()}
		f.ComputeFingerprint()
		fs = append(fs, f)
	}
	return fs
}

func TestWriteGraph(t *testing.T) {
	fs := pathFindings(t, chain().g, Query{From: []string{Internet}, To: []string{ClusterAdmin}})
	for _, format := range GraphFormats {
		var a, b bytes.Buffer
		if err := WriteGraph(&a, fs, format); err != nil {
			t.Fatal(err)
		}
		// The order of the findings does not matter.
		rev := append([]finding.Finding(nil), fs...)
		rev[0], rev[1] = rev[1], rev[0]
		if err := WriteGraph(&b, rev, format); err != nil {
			t.Fatal(err)
		}
		if a.String() != b.String() {
			t.Errorf("%s: output depends on the findings' order", format)
		}
		out := a.String()
		t.Logf("%s:\n%s", format, out)
		for _, want := range []string{"internet", "workload:shop/Deployment/b", "token (fix)"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s: no %q", format, want)
			}
		}
		checkEscaped(t, format, out)
	}
	var dot bytes.Buffer
	WriteGraph(&dot, fs, FormatDOT)
	// 6 nodes, 6 edges: internet, a, b, two accounts, the capability, cluster-admin.
	if n := strings.Count(dot.String(), " -> "); n != 7 {
		t.Errorf("dot: %d edges, want 7", n)
	}
	if err := WriteGraph(&dot, fs, "svg"); err == nil {
		t.Error("an unknown format is accepted")
	}
}

var (
	dotNode    = regexp.MustCompile(`^\t"(?:[^"\\]|\\.)*" \[label="(?:[^"\\]|\\.)*", tooltip="(?:[^"\\]|\\.)*"(?:, [a-z]+=(?:[a-z]+|"#[0-9a-f]+"))*\];$`)
	dotEdge    = regexp.MustCompile(`^\t"(?:[^"\\]|\\.)*" -> "(?:[^"\\]|\\.)*" \[label="(?:[^"\\]|\\.)*"(?:, color="#[0-9a-f]+", penwidth=2.5)?\];$`)
	mermaidRow = regexp.MustCompile(`^    (?:n\d+(?:\[|\(\[|\{\{)"[A-Za-z0-9 .,:/@*+\-_=#;()]*"(?:\]|\]\)|\}\})|n\d+ (?:-->|==>)\|"[A-Za-z0-9 .,:/@*+\-_=#;()]*"\| n\d+|classDef .*|class [n0-9,]+ (?:entry|target)|linkStyle \d+ .*)$`)
)

// checkEscaped checks every line of a drawing has the format's syntax, whatever
// the labels held.
func checkEscaped(t testing.TB, format, out string) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	for _, l := range lines[1:] {
		switch format {
		case FormatDOT:
			if strings.HasPrefix(l, "\tnode [") || strings.HasPrefix(l, "\tedge [") || l == "\trankdir=LR;" || l == "}" {
				continue
			}
			if !dotNode.MatchString(l) && !dotEdge.MatchString(l) {
				t.Errorf("dot: line %q escapes its string", l)
			}
		case FormatMermaid:
			if !mermaidRow.MatchString(l) {
				t.Errorf("mermaid: line %q escapes its string", l)
			}
		}
	}
}

func hostileFindings(labels ...string) []finding.Finding {
	var fs []finding.Finding
	for i := 0; i+1 < len(labels); i += 2 {
		from := finding.PathNode{ID: labels[i], Kind: "workload", Label: labels[i+1]}
		to := finding.PathNode{ID: labels[i+1] + "\x00", Kind: "node", Label: labels[i]}
		fs = append(fs, finding.Finding{RuleID: "PAL-470", AttackPath: &finding.PathEvidence{Entry: from.ID, Target: to.ID,
			Hops: []finding.PathHop{{From: from, To: to, Kind: labels[i] + "|kind"}}, Fix: &finding.PathFix{Hop: 0, Cost: 1}}})
	}
	return fs
}

func TestWriteGraphEscapes(t *testing.T) {
	hostile := []string{
		`a"]; evil -> x [label="`, "<script>alert(1)</script>",
		"line\nbreak\r\\l\\N", `n0["x"] --> n1|"|`,
		"#quot; & &amp; {{}} ([])", "tab\tend \u2028 é 中",
		"\\\"", "\xff\xfe",
	}
	fs := hostileFindings(hostile...)
	for _, format := range GraphFormats {
		var b bytes.Buffer
		if err := WriteGraph(&b, fs, format); err != nil {
			t.Fatal(err)
		}
		checkEscaped(t, format, b.String())
		if format == FormatMermaid && strings.Contains(b.String(), "<script") {
			t.Errorf("%s: markup passes through", format)
		}
	}
}

func FuzzWriteGraph(f *testing.F) {
	f.Add(`a"]; b`, "c\nd", "<b>", `\`)
	f.Add("|x|", "#35;", "{{", "]]")
	f.Fuzz(func(t *testing.T, a, b, c, d string) {
		fs := hostileFindings(a, b, c, d)
		for _, format := range GraphFormats {
			var out bytes.Buffer
			if err := WriteGraph(&out, fs, format); err != nil {
				t.Fatal(err)
			}
			checkEscaped(t, format, out.String())
		}
	})
}

func FuzzParseEntry(f *testing.F) {
	for _, s := range []string{"internet", "pod", "namespace:shop", "workload:a/Deployment/b", "identity:user:eve",
		"identity:group:system:masters", "identity:sa:ns:name", "identity:bogus", "workload:a/b", "namespace:", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseEntry(s)
		if err != nil {
			return
		}
		// An ID parses to itself, and names the kind of node it is.
		again, err := ParseEntry(id)
		if err != nil || again != id {
			t.Fatalf("ParseEntry(%q) = %q, which parses to %q, %v", s, id, again, err)
		}
		k := kindOf(id)
		if strings.HasPrefix(id, "identity:sa:") {
			t.Fatalf("ParseEntry(%q) = %q, not the account's node", s, id)
		}
		if !(k == KindInternet || k == KindPod || k == KindNamespace || k == KindWorkload || k == KindIdentity || k == KindServiceAccount) {
			t.Fatalf("ParseEntry(%q) = %q: kind %q", s, id, k)
		}
	})
}

func FuzzParseTarget(f *testing.F) {
	for _, s := range []string{"cluster-admin", "node", "secrets", "secrets:*", "secrets:shop", "workload:a/Deployment/b", "workload:/x/y", "secrets:", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseTarget(s)
		if err != nil {
			return
		}
		if again, err := ParseTarget(id); err != nil || again != id {
			t.Fatalf("ParseTarget(%q) = %q, which parses to %q, %v", s, id, again, err)
		}
		// A target query never fails on a graph that lacks it.
		if _, err := New().Paths(Query{To: []string{id}}); err != nil {
			t.Fatalf("Paths(to %q): %v", id, err)
		}
	})
}

func TestDiff(t *testing.T) {
	h := chain()
	old := pathFindings(t, h.g, Query{From: []string{Internet}, To: []string{ClusterAdmin}})
	// The new run: a's account loses its grant (a's path closes), b is reached
	// from the internet directly (b's route changes), c opens.
	h2 := newHand()
	h2.e(Internet, wA, EdgeExposed, 3)
	h2.e(Internet, wB, EdgeExposed, 3)
	h2.e(Internet, wC, EdgeExposed, 3)
	h2.e(wA, "serviceaccount:shop/a", EdgeToken, 1)
	h2.e(wB, "serviceaccount:shop/b", EdgeToken, 1)
	h2.e(wC, "serviceaccount:shop/b", EdgeToken, 1)
	h2.e("serviceaccount:shop/b", "capability:admin@cluster", EdgeGrant, 1)
	h2.e("capability:admin@cluster", ClusterAdmin, EdgeEscalate, 0)
	cur := pathFindings(t, h2.g, Query{From: []string{Internet}, To: []string{ClusterAdmin}})
	d := Diff(old, append(cur, finding.Finding{RuleID: "PAL-001"}))
	if len(d.Opened) != 1 || d.Opened[0].Object.Name != "c" {
		t.Errorf("opened = %v, want c", d.Opened)
	}
	if len(d.Closed) != 1 || d.Closed[0].Object.Name != "a" {
		t.Errorf("closed = %v, want a", d.Closed)
	}
	if len(d.Changed) != 1 || d.Changed[0].New.Object.Name != "b" || len(d.Changed[0].Old.AttackPath.Hops) != 5 || len(d.Changed[0].New.AttackPath.Hops) != 4 {
		t.Errorf("changed = %v, want b", d.Changed)
	}
	if d := Diff(cur, cur); len(d.Opened)+len(d.Closed)+len(d.Changed) != 0 {
		t.Errorf("a run differs from itself: %+v", d)
	}
	// Fingerprints are computed when missing; order does not matter.
	shuffled := append([]finding.Finding(nil), cur...)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	for i := range shuffled {
		shuffled[i].Fingerprint = ""
	}
	if d := Diff(cur, shuffled); len(d.Opened)+len(d.Closed)+len(d.Changed) != 0 {
		t.Errorf("a shuffled run differs: %+v", d)
	}
}

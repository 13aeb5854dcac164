package attackpath

// The attack paths of findings as a graph (Graphviz DOT, Mermaid flowchart), and
// the paths two runs differ by.

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/palisade-k8s/palisade/internal/finding"
)

// Graph formats of WriteGraph.
const (
	FormatDOT     = "dot"
	FormatMermaid = "mermaid"
)

// GraphFormats are the formats WriteGraph knows.
var GraphFormats = []string{FormatDOT, FormatMermaid}

// drawing is the union of the paths of findings: nodes by ID, edges by their ends
// and kind, in ID order.
type drawing struct {
	nodes []finding.PathNode
	role  map[string]string // "entry", "target" or ""
	edges []drawnEdge
}

type drawnEdge struct {
	from, to, kind string
	// paths counts the findings whose path uses the edge; fix those whose fix it is.
	paths, fix int
}

func draw(fs []finding.Finding) *drawing {
	d := &drawing{role: map[string]string{}}
	nodes := map[string]finding.PathNode{}
	edges := map[[3]string]*drawnEdge{}
	for i := range fs {
		ev := fs[i].AttackPath
		if ev == nil {
			continue
		}
		for j, h := range ev.Hops {
			for _, n := range []finding.PathNode{h.From, h.To} {
				if _, ok := nodes[n.ID]; !ok {
					nodes[n.ID] = n
				}
			}
			k := [3]string{h.From.ID, h.To.ID, h.Kind}
			e := edges[k]
			if e == nil {
				e = &drawnEdge{from: h.From.ID, to: h.To.ID, kind: h.Kind}
				edges[k] = e
			}
			e.paths++
			if ev.Fix != nil && ev.Fix.Hop == j {
				e.fix++
			}
		}
		if len(ev.Hops) > 0 {
			d.role[ev.Hops[0].From.ID] = "entry"
			d.role[ev.Hops[len(ev.Hops)-1].To.ID] = "target"
		}
	}
	for _, n := range nodes {
		d.nodes = append(d.nodes, n)
	}
	sort.Slice(d.nodes, func(i, j int) bool { return d.nodes[i].ID < d.nodes[j].ID })
	for _, e := range edges {
		d.edges = append(d.edges, *e)
	}
	sort.Slice(d.edges, func(i, j int) bool {
		a, b := d.edges[i], d.edges[j]
		if a.from != b.from {
			return a.from < b.from
		}
		if a.to != b.to {
			return a.to < b.to
		}
		return a.kind < b.kind
	})
	return d
}

func label(n finding.PathNode) string {
	if n.Label != "" {
		return n.Label
	}
	return n.ID
}

// WriteGraph draws the attack paths of findings (those with AttackPath evidence)
// as one graph: each node and edge once, entries and targets marked, the edges
// that are a path's fix drawn bold. The output is deterministic and every string
// from the input is escaped for the format.
func WriteGraph(w io.Writer, fs []finding.Finding, format string) error {
	d := draw(fs)
	bw := bufio.NewWriter(w)
	switch format {
	case FormatDOT:
		d.dot(bw)
	case FormatMermaid:
		d.mermaid(bw)
	default:
		return fmt.Errorf("graph format %q: want %s", format, strings.Join(GraphFormats, " or "))
	}
	return bw.Flush()
}

func (d *drawing) dot(w *bufio.Writer) {
	w.WriteString("digraph attack_paths {\n\trankdir=LR;\n\tnode [shape=box, fontname=\"sans-serif\"];\n\tedge [fontname=\"sans-serif\", fontsize=10];\n")
	for _, n := range d.nodes {
		attrs := "label=" + dotQuote(label(n)) + ", tooltip=" + dotQuote(n.ID)
		switch d.role[n.ID] {
		case "entry":
			attrs += ", shape=oval, style=filled, fillcolor=\"#fde2e1\""
		case "target":
			attrs += ", shape=doubleoctagon, style=filled, fillcolor=\"#f8c9c6\""
		}
		fmt.Fprintf(w, "\t%s [%s];\n", dotQuote(n.ID), attrs)
	}
	for _, e := range d.edges {
		attrs := "label=" + dotQuote(e.kind)
		if e.fix > 0 {
			attrs = "label=" + dotQuote(e.kind+" (fix)") + ", color=\"#c0392b\", penwidth=2.5"
		}
		fmt.Fprintf(w, "\t%s -> %s [%s];\n", dotQuote(e.from), dotQuote(e.to), attrs)
	}
	w.WriteString("}\n")
}

// dotQuote is a DOT double-quoted string: quotes and backslashes escaped (so that
// no escape sequence of DOT's labels is interpreted), line breaks as \n, other
// control characters dropped.
func dotQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r < 0x20 || r == 0x7f:
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func (d *drawing) mermaid(w *bufio.Writer) {
	w.WriteString("flowchart LR\n")
	id := map[string]string{}
	for i, n := range d.nodes {
		id[n.ID] = "n" + strconv.Itoa(i)
		open, close := "[", "]"
		switch d.role[n.ID] {
		case "entry":
			open, close = "([", "])"
		case "target":
			open, close = "{{", "}}"
		}
		fmt.Fprintf(w, "    %s%s\"%s\"%s\n", id[n.ID], open, mermaidEscape(label(n)), close)
	}
	var fixes []int
	for i, e := range d.edges {
		arrow, text := "-->", e.kind
		if e.fix > 0 {
			arrow, text = "==>", e.kind+" (fix)"
			fixes = append(fixes, i)
		}
		fmt.Fprintf(w, "    %s %s|\"%s\"| %s\n", id[e.from], arrow, mermaidEscape(text), id[e.to])
	}
	var entries, targets []string
	for _, n := range d.nodes {
		switch d.role[n.ID] {
		case "entry":
			entries = append(entries, id[n.ID])
		case "target":
			targets = append(targets, id[n.ID])
		}
	}
	w.WriteString("    classDef entry fill:#fde2e1,stroke:#c0392b\n    classDef target fill:#f8c9c6,stroke:#922b21\n")
	if len(entries) > 0 {
		fmt.Fprintf(w, "    class %s entry\n", strings.Join(entries, ","))
	}
	if len(targets) > 0 {
		fmt.Fprintf(w, "    class %s target\n", strings.Join(targets, ","))
	}
	for _, i := range fixes {
		fmt.Fprintf(w, "    linkStyle %d stroke:#c0392b,stroke-width:3px\n", i)
	}
}

// mermaidEscape keeps letters, digits and a few punctuation marks of a label and
// writes every other character as a Mermaid entity code (#NNN;), so that no
// quote, bracket, pipe, markup or line break of the input reaches the diagram's
// syntax or its HTML.
func mermaidEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', strings.ContainsRune(" .,:/@*+-_=()", r):
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			b.WriteString(" ")
		default:
			b.WriteString("#" + strconv.Itoa(int(r)) + ";")
		}
	}
	return b.String()
}

// PathChange is a path found in two runs whose route changed.
type PathChange struct {
	Old, New finding.Finding
}

// PathDiff is what two runs' attack paths differ by: paths opened (in the new
// run only), closed (in the old only) and changed (a route of other hops), keyed
// by fingerprint (rule, pivot, entry, target).
type PathDiff struct {
	Opened, Closed []finding.Finding
	Changed        []PathChange
}

// Diff compares the attack-path findings of two runs (other findings are
// ignored), each list in finding order.
func Diff(old, new []finding.Finding) PathDiff {
	before, after := byFingerprint(old), byFingerprint(new)
	var d PathDiff
	for _, k := range after.keys {
		n := after.m[k]
		o, ok := before.m[k]
		switch {
		case !ok:
			d.Opened = append(d.Opened, n)
		case route(o.AttackPath) != route(n.AttackPath):
			d.Changed = append(d.Changed, PathChange{Old: o, New: n})
		}
	}
	for _, k := range before.keys {
		if _, ok := after.m[k]; !ok {
			d.Closed = append(d.Closed, before.m[k])
		}
	}
	less := func(a, b finding.Finding) int {
		switch {
		case finding.Less(&a, &b):
			return -1
		case finding.Less(&b, &a):
			return 1
		}
		return 0
	}
	slices.SortStableFunc(d.Opened, less)
	slices.SortStableFunc(d.Closed, less)
	slices.SortStableFunc(d.Changed, func(a, b PathChange) int { return less(a.New, b.New) })
	return d
}

type keyed struct {
	keys []string
	m    map[string]finding.Finding
}

func byFingerprint(fs []finding.Finding) keyed {
	k := keyed{m: map[string]finding.Finding{}}
	for _, f := range fs {
		if f.AttackPath == nil {
			continue
		}
		if f.Fingerprint == "" {
			f.ComputeFingerprint()
		}
		if _, dup := k.m[f.Fingerprint]; dup {
			continue
		}
		k.m[f.Fingerprint] = f
		k.keys = append(k.keys, f.Fingerprint)
	}
	return k
}

// route is a path's hops as text: the nodes and the kinds of the edges between.
func route(p *finding.PathEvidence) string {
	var b strings.Builder
	for i, h := range p.Hops {
		if i == 0 {
			b.WriteString(h.From.ID)
		}
		b.WriteString("\x00" + h.Kind + "\x00" + h.To.ID)
	}
	return b.String()
}

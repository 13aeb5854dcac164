package netpol

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/palisade-k8s/palisade/internal/safetext"
)

// Output formats of the views.
var (
	ViewFormats   = []string{"text", "json"}
	MatrixFormats = []string{"text", "csv", "json", "dot", "mermaid"}
)

func unknownFormat(format string, want []string) error {
	return fmt.Errorf("unknown output format %q (want one of %s)", format, strings.Join(want, ", "))
}

func policyNames(ps []*Policy) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Name
	}
	return out
}

// WriteIsolation renders which policies isolate each workload.
func WriteIsolation(w io.Writer, iso []Isolation, format string) error {
	switch format {
	case "text", "":
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "WORKLOAD\tINGRESS\tEGRESS")
		var in, eg, host int
		for _, i := range iso {
			name := i.Workload.Name()
			if i.Workload.HostNetwork {
				name += " (hostNetwork*)"
				host++
			}
			safetext.Fprintf(tw, "%s\t%s\t%s\n", name, isolationCell(i.Policies[Ingress]), isolationCell(i.Policies[Egress]))
			if len(i.Policies[Ingress]) > 0 {
				in++
			}
			if len(i.Policies[Egress]) > 0 {
				eg++
			}
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		safetext.Fprintf(w, "\n%s: %d isolated for ingress, %d for egress; the others accept or open connections from and to anywhere.\n", plural(len(iso), "workload"), in, eg)
		if host > 0 {
			fmt.Fprintln(w, "* host-network pods use the node's address: most network plugins do not apply NetworkPolicies to them.")
		}
		return nil
	case "json":
		type side struct {
			Isolated bool     `json:"isolated"`
			Policies []string `json:"policies"`
		}
		type entry struct {
			Workload    string `json:"workload"`
			Namespace   string `json:"namespace"`
			Kind        string `json:"kind"`
			Name        string `json:"name"`
			HostNetwork bool   `json:"hostNetwork,omitempty"`
			Ingress     side   `json:"ingress"`
			Egress      side   `json:"egress"`
		}
		out := struct {
			Workloads []entry `json:"workloads"`
		}{Workloads: []entry{}}
		for _, i := range iso {
			r := i.Workload.Ref
			out.Workloads = append(out.Workloads, entry{
				Workload: i.Workload.Name(), Namespace: r.Namespace, Kind: r.Kind, Name: r.Name, HostNetwork: i.Workload.HostNetwork,
				Ingress: side{len(i.Policies[Ingress]) > 0, policyNames(i.Policies[Ingress])},
				Egress:  side{len(i.Policies[Egress]) > 0, policyNames(i.Policies[Egress])},
			})
		}
		return writeJSON(w, out)
	}
	return unknownFormat(format, ViewFormats)
}

func isolationCell(ps []*Policy) string {
	if len(ps) == 0 {
		return "not isolated"
	}
	return "isolated by " + strings.Join(policyNames(ps), ", ")
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(safetext.JSONWriter(w))
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// Status is a one-word verdict: allowed, partly allowed or denied.
func (v *Verdict) Status() string {
	switch {
	case v.Allowed():
		return "allowed"
	case v.Denied():
		return "denied"
	}
	return "partly allowed"
}

// WriteVerdict renders the answer to a reach query; explain adds every step of the
// evaluation.
func WriteVerdict(w io.Writer, v *Verdict, format string, explain bool) error {
	switch format {
	case "text", "":
		req := "any port"
		if !v.Requested.IsAll() {
			req = v.Requested.String()
		}
		safetext.Fprintf(w, "%s -> %s (%s): %s\n", v.From, v.To, req, strings.ToUpper(v.Status()))
		if v.external() {
			if !v.External.IsEmpty() {
				safetext.Fprintf(w, "  gets through: %s\n", v.External)
			}
		} else if !v.Ports.IsEmpty() && !v.Allowed() {
			safetext.Fprintf(w, "  gets through: %s\n", v.Ports)
		}
		for _, s := range []*Side{v.Egress, v.Ingress} {
			if s == nil {
				continue
			}
			safetext.Fprintf(w, "  %s\n", sideSummary(s, v))
			if s.Workload.HostNetwork {
				safetext.Fprintf(w, "  note: %s uses the host network: most network plugins do not apply NetworkPolicies to it\n", s.Workload.Name())
			}
		}
		if explain {
			fmt.Fprintln(w, "\nevaluation:")
			for _, s := range []*Side{v.Egress, v.Ingress} {
				if s == nil {
					continue
				}
				for _, st := range s.Steps {
					safetext.Fprintf(w, "  %s\n", st)
				}
			}
		}
		return nil
	case "json":
		return writeJSON(w, verdictJSON(v, explain))
	}
	return unknownFormat(format, ViewFormats)
}

func sideSummary(s *Side, v *Verdict) string {
	where := map[Direction]string{Ingress: "ingress to ", Egress: "egress from "}[s.Direction] + s.Workload.Name()
	if len(s.Isolating) == 0 {
		return where + ": not isolated (no NetworkPolicy selects it for " + s.Direction.String() + ")"
	}
	empty := s.Ports.IsEmpty()
	if v.external() {
		empty = s.External.IsEmpty()
	}
	if empty {
		return fmt.Sprintf("%s: isolated by NetworkPolicy %s; no %s rule allows this connection", where, strings.Join(policyNames(s.Isolating), ", "), s.Direction)
	}
	var by []string
	for _, g := range s.Grants {
		what := g.Ports.String()
		if v.external() {
			what = g.External.String()
		}
		peer := "any peer"
		if g.Peer != nil {
			peer = peerField(s.Direction) + "[" + strconv.Itoa(g.Peer.Index) + "]"
		}
		by = append(by, fmt.Sprintf("%s (%s): %s", g.Rule, peer, what))
	}
	return where + ": allowed by " + strings.Join(by, "; ")
}

type portsJSON struct {
	Text   string        `json:"text"`
	Ranges []PortRangeOf `json:"ranges"`
}

func portsOf(p PortSet) portsJSON { return portsJSON{p.String(), p.Ranges()} }

type externalJSON struct {
	CIDRs []string  `json:"cidrs"`
	Ports portsJSON `json:"ports"`
}

func externalOf(e External) []externalJSON {
	out := []externalJSON{}
	for _, g := range e.Groups() {
		out = append(out, externalJSON{g.CIDRs, portsOf(g.PortSet)})
	}
	return out
}

func verdictJSON(v *Verdict, explain bool) any {
	type grant struct {
		Policy   string         `json:"policy"`
		Rule     int            `json:"rule"`
		Peer     *int           `json:"peer,omitempty"`
		Ports    *portsJSON     `json:"ports,omitempty"`
		External []externalJSON `json:"external,omitempty"`
	}
	type side struct {
		Workload string   `json:"workload"`
		Isolated bool     `json:"isolated"`
		Policies []string `json:"policies"`
		Grants   []grant  `json:"grants"`
		Steps    []string `json:"steps,omitempty"`
	}
	type out struct {
		From      string         `json:"from"`
		To        string         `json:"to"`
		Requested portsJSON      `json:"requested"`
		Status    string         `json:"status"`
		Ports     *portsJSON     `json:"ports,omitempty"`
		External  []externalJSON `json:"external,omitempty"`
		Egress    *side          `json:"egress,omitempty"`
		Ingress   *side          `json:"ingress,omitempty"`
	}
	mk := func(s *Side) *side {
		if s == nil {
			return nil
		}
		r := &side{Workload: s.Workload.Name(), Isolated: len(s.Isolating) > 0, Policies: policyNames(s.Isolating), Grants: []grant{}}
		for _, g := range s.Grants {
			gj := grant{Policy: g.Rule.Policy.String(), Rule: g.Rule.Index}
			if g.Peer != nil {
				i := g.Peer.Index
				gj.Peer = &i
			}
			if v.external() {
				gj.External = externalOf(g.External)
			} else {
				p := portsOf(g.Ports)
				gj.Ports = &p
			}
			r.Grants = append(r.Grants, gj)
		}
		if explain {
			r.Steps = s.Steps
		}
		return r
	}
	o := out{From: v.From.String(), To: v.To.String(), Requested: portsOf(v.Requested), Status: v.Status(), Egress: mk(v.Egress), Ingress: mk(v.Ingress)}
	if v.external() {
		o.External = externalOf(v.External)
	} else {
		p := portsOf(v.Ports)
		o.Ports = &p
	}
	return o
}

// WriteMatrix renders the connectivity of the workloads the filter keeps.
func WriteMatrix(w io.Writer, x *Matrix, f Filter, format string) error {
	switch format {
	case "text", "":
		return writeMatrixText(w, x, f)
	case "csv":
		cw := csv.NewWriter(w)
		// Names come from the input: escaped like every text output.
		row := func(cells ...string) {
			for i, c := range cells {
				cells[i] = safetext.Escape(c)
			}
			_ = cw.Write(cells)
		}
		row("from", "to", "ports", "addresses")
		x.Connections(f, func(c Connection) {
			if c.From != Outside && c.To != Outside {
				row(c.From, c.To, c.PortsText, "")
				return
			}
			for _, g := range c.External.Groups() {
				row(c.From, c.To, g.PortSet.String(), strings.Join(g.CIDRs, " "))
			}
		})
		cw.Flush()
		return cw.Error()
	case "json":
		type conn struct {
			From      string         `json:"from"`
			To        string         `json:"to"`
			Ports     *portsJSON     `json:"ports,omitempty"`
			Addresses []externalJSON `json:"addresses,omitempty"`
		}
		out := struct {
			Workloads   []string `json:"workloads"`
			Connections []conn   `json:"connections"`
		}{Workloads: []string{}, Connections: []conn{}}
		for _, wl := range x.Model.sortedWorkloads(f) {
			out.Workloads = append(out.Workloads, wl.Name())
		}
		x.Connections(f, func(c Connection) {
			if c.From != Outside && c.To != Outside {
				p := portsJSON{c.PortsText, c.Ports.Ranges()}
				out.Connections = append(out.Connections, conn{From: c.From, To: c.To, Ports: &p})
			} else {
				out.Connections = append(out.Connections, conn{From: c.From, To: c.To, Addresses: externalOf(c.External)})
			}
		})
		return writeJSON(w, out)
	case "dot":
		return writeGraph(w, x, f, dotGraph{})
	case "mermaid":
		return writeGraph(w, x, f, mermaidGraph{})
	}
	return unknownFormat(format, MatrixFormats)
}

// writeMatrixText renders a grid: one row per source workload (and the outside), one
// column per destination, numbered as the rows. Cells say "all" (every port), "-"
// (denied) or name a port set or address set spelled out in the legend.
func writeMatrixText(w io.Writer, x *Matrix, f Filter) error {
	ws := x.Model.sortedWorkloads(f)
	bw := bufio.NewWriter(w)
	if len(ws) == 0 {
		fmt.Fprintln(bw, "no workloads")
		return bw.Flush()
	}
	legend := map[string]string{}
	var legendOrder []string
	label := func(prefix, text string) string {
		k := prefix + text
		if l, ok := legend[k]; ok {
			return l
		}
		l := prefix + strconv.Itoa(len(legendOrder)+1)
		legend[k] = l
		legendOrder = append(legendOrder, k)
		return l
	}
	portCell := func(p PortSet) string {
		switch {
		case p.IsEmpty():
			return "-"
		case p.IsAll():
			return "all"
		}
		return label("P", p.String())
	}
	extCell := func(e External) string {
		switch {
		case e.IsEmpty():
			return "-"
		case e.IsAll():
			return "all"
		}
		return label("O", e.String())
	}
	rows := make([][]string, 0, len(ws)+2)
	head := []string{"", "FROM \\ TO"}
	for i := range ws {
		head = append(head, strconv.Itoa(i+1))
	}
	head = append(head, "outside")
	rows = append(rows, head)
	for i, src := range ws {
		row := []string{strconv.Itoa(i + 1), safetext.Escape(src.Name())}
		for _, dst := range ws {
			row = append(row, portCell(x.Ports(src.Class, dst.Class)))
		}
		row = append(row, extCell(x.ToOutside(src.Class)))
		rows = append(rows, row)
	}
	row := []string{"", "outside"}
	for _, dst := range ws {
		row = append(row, extCell(x.FromOutside(dst.Class)))
	}
	rows = append(rows, append(row, ""))
	widths := make([]int, len(head))
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], len(c))
		}
	}
	for _, r := range rows {
		var b strings.Builder
		for i, c := range r {
			b.WriteString(c)
			if i < len(r)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-len(c)+2))
			}
		}
		safetext.Fprintln(bw, strings.TrimRight(b.String(), " "))
	}
	fmt.Fprintln(bw, "\nall: every port; -: denied; rows are sources, columns destinations (a workload's own column is traffic between its replicas).")
	for _, k := range legendOrder {
		safetext.Fprintf(bw, "%s: %s\n", legend[k], k[1:])
	}
	return bw.Flush()
}

// graph writes the node and edge syntax of one graph language.
type graph interface {
	begin(w io.Writer)
	namespace(w io.Writer, name string, nodes []graphNode)
	outside(w io.Writer)
	edge(w io.Writer, from, to, label string)
	end(w io.Writer)
}

type graphNode struct{ id, label string }

// writeGraph renders the connections as a graph: a node per workload, grouped by
// namespace, one for the outside, and an edge per allowed connection labelled with
// its ports.
func writeGraph(w io.Writer, x *Matrix, f Filter, g graph) error {
	bw := bufio.NewWriter(w)
	ws := x.Model.sortedWorkloads(f)
	ids := map[string]string{Outside: "outside"}
	g.begin(bw)
	for i := 0; i < len(ws); {
		j := i
		var nodes []graphNode
		for ; j < len(ws) && ws[j].Ref.Namespace == ws[i].Ref.Namespace; j++ {
			id := "w" + strconv.Itoa(j)
			ids[ws[j].Name()] = id
			nodes = append(nodes, graphNode{id, ws[j].Ref.Kind + "/" + ws[j].Ref.Name})
		}
		g.namespace(bw, ws[i].Ref.Namespace, nodes)
		i = j
	}
	g.outside(bw)
	x.Connections(f, func(c Connection) {
		label := c.PortsText
		if c.From == Outside || c.To == Outside {
			label = c.External.String()
		}
		g.edge(bw, ids[c.From], ids[c.To], label)
	})
	g.end(bw)
	return bw.Flush()
}

type dotGraph struct{}

func dotQuote(s string) string { return strconv.Quote(s) }

func (dotGraph) begin(w io.Writer) {
	fmt.Fprintln(w, "digraph netpol {\n  rankdir=LR;\n  node [shape=box, fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\", fontsize=10];")
}

func (dotGraph) namespace(w io.Writer, name string, nodes []graphNode) {
	safetext.Fprintf(w, "  subgraph %s {\n    label=%s;\n", dotQuote("cluster_"+name), dotQuote("namespace "+name))
	for _, n := range nodes {
		safetext.Fprintf(w, "    %s [label=%s];\n", n.id, dotQuote(n.label))
	}
	fmt.Fprintln(w, "  }")
}

func (dotGraph) outside(w io.Writer) {
	safetext.Fprintln(w, "  outside [shape=ellipse, label=\"outside the cluster\"];")
}

func (dotGraph) edge(w io.Writer, from, to, label string) {
	safetext.Fprintf(w, "  %s -> %s [label=%s];\n", from, to, dotQuote(label))
}

func (dotGraph) end(w io.Writer) { fmt.Fprintln(w, "}") }

type mermaidGraph struct{}

// mermaidText escapes text for a quoted Mermaid label.
func mermaidText(s string) string {
	return strings.NewReplacer(`"`, "#quot;", "<", "#lt;", ">", "#gt;").Replace(s)
}

func (mermaidGraph) begin(w io.Writer) { fmt.Fprintln(w, "flowchart LR") }

func (mermaidGraph) namespace(w io.Writer, name string, nodes []graphNode) {
	safetext.Fprintf(w, "  subgraph ns_%s[\"namespace %s\"]\n", mermaidID(name), mermaidText(name))
	for _, n := range nodes {
		safetext.Fprintf(w, "    %s[\"%s\"]\n", n.id, mermaidText(n.label))
	}
	fmt.Fprintln(w, "  end")
}

// mermaidID makes a namespace name a valid Mermaid identifier.
func mermaidID(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, s)
}

func (mermaidGraph) outside(w io.Writer) {
	safetext.Fprintln(w, "  outside((\"outside the cluster\"))")
}

func (mermaidGraph) edge(w io.Writer, from, to, label string) {
	safetext.Fprintf(w, "  %s -->|\"%s\"| %s\n", from, mermaidText(label), to)
}

func (mermaidGraph) end(io.Writer) {}

// WriteDiff renders the connections a new version opens and closes. Sources that are
// every workload of a namespace are named as the namespace.
func WriteDiff(w io.Writer, d *Diff, format string) error {
	type entry struct {
		From     []string
		To       string
		Ports    PortSet
		External External
		external bool
	}
	// group merges the changes of one sign that go to the same destination with the
	// same ports.
	group := func(added bool) []entry {
		var out []entry
		index := map[string]int{}
		for _, c := range d.Changes {
			p, e := c.Removed, c.RemovedExternal
			if added {
				p, e = c.Added, c.AddedExternal
			}
			ext := c.From == Outside || c.To == Outside
			if (!ext && p.IsEmpty()) || (ext && e.IsEmpty()) {
				continue
			}
			k := c.To + "\x00" + p.key() + "\x00" + e.String()
			if c.From == Outside {
				k = "\x01" + k
			}
			i, ok := index[k]
			if !ok {
				i = len(out)
				index[k] = i
				out = append(out, entry{To: c.To, Ports: p, External: e, external: ext})
			}
			out[i].From = append(out[i].From, c.From)
		}
		return out
	}
	added, removed := group(true), group(false)
	switch format {
	case "text", "":
		if len(added)+len(removed) == 0 {
			fmt.Fprintln(w, "no connection added or removed")
			return nil
		}
		for _, side := range []struct {
			sign    string
			entries []entry
		}{{"+", added}, {"-", removed}} {
			for _, e := range side.entries {
				what := e.Ports.String()
				if e.external {
					what = e.External.String()
				}
				safetext.Fprintf(w, "%s %s -> %s: %s\n", side.sign, describeSources(e.From, d.New), e.To, what)
			}
		}
		var na, nr int
		for _, c := range d.Changes {
			if !c.Added.IsEmpty() || !c.AddedExternal.IsEmpty() {
				na++
			}
			if !c.Removed.IsEmpty() || !c.RemovedExternal.IsEmpty() {
				nr++
			}
		}
		safetext.Fprintf(w, "\n%s opened or widened, %d closed or narrowed.\n", plural(na, "connection"), nr)
		return nil
	case "json":
		type conn struct {
			From      []string       `json:"from"`
			To        string         `json:"to"`
			Ports     *portsJSON     `json:"ports,omitempty"`
			Addresses []externalJSON `json:"addresses,omitempty"`
		}
		conv := func(es []entry) []conn {
			out := []conn{}
			for _, e := range es {
				c := conn{From: e.From, To: e.To}
				if e.external {
					c.Addresses = externalOf(e.External)
				} else {
					p := portsOf(e.Ports)
					c.Ports = &p
				}
				out = append(out, c)
			}
			return out
		}
		return writeJSON(w, struct {
			Added   []conn `json:"added"`
			Removed []conn `json:"removed"`
		}{conv(added), conv(removed)})
	}
	return unknownFormat(format, ViewFormats)
}

// describeSources names a list of source workloads, collapsing those that are every
// workload a namespace has in m into "every workload of namespace X (n)".
func describeSources(from []string, m *Model) string {
	byNS := map[string][]string{}
	var order []string
	for _, f := range from {
		ns := f
		if f != Outside {
			ns, _, _ = strings.Cut(f, "/")
		}
		if _, ok := byNS[ns]; !ok {
			order = append(order, ns)
		}
		byNS[ns] = append(byNS[ns], f)
	}
	sort.Strings(order)
	var parts []string
	for _, ns := range order {
		names := byNS[ns]
		if n := m.Namespace(ns); n != nil && len(names) > 1 && len(names) == inEffect(n.Workloads) {
			parts = append(parts, fmt.Sprintf("every workload of namespace %s (%d)", ns, len(names)))
			continue
		}
		parts = append(parts, names...)
	}
	return strings.Join(parts, ", ")
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

// inEffect counts the workloads that are not overridden by a later definition.
func inEffect(ws []*Workload) int {
	n := 0
	for _, w := range ws {
		if !w.Overridden {
			n++
		}
	}
	return n
}

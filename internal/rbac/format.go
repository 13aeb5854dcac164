package rbac

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/palisade-k8s/palisade/internal/safetext"
)

// Output formats of the views.
var (
	WhoCanFormats = []string{"text", "json", "dot"}
	ViewFormats   = []string{"text", "json"}
)

func unknownFormat(format string, want []string) error {
	return fmt.Errorf("unknown output format %q (want one of %s)", format, strings.Join(want, ", "))
}

// Scope says where a who-can request is asked.
type Scope string

// Scopes of a request.
const (
	ScopeNamespace    Scope = "namespace"     // in Request.Namespace
	ScopeCluster      Scope = "cluster"       // cluster-wide: ClusterRoleBindings only
	ScopeAnyNamespace Scope = "any-namespace" // in some namespace, or cluster-wide
)

// WhoCanView is the answer to a who-can question, as rendered.
type WhoCanView struct {
	Request  Attributes `json:"request"`
	Scope    Scope      `json:"scope"`
	Answers  []Answer   `json:"answers"`
	Problems []Problem  `json:"problems"`
}

// DescribeRequest writes a request as a sentence fragment: `get secrets named "db"`.
func DescribeRequest(a Attributes) string {
	if !a.ResourceRequest {
		return a.Verb + " " + a.Path
	}
	s := a.Verb + " " + Resource{Group: a.APIGroup, Resource: a.Resource, Subresource: a.Subresource}.String()
	if a.Name != "" {
		s += fmt.Sprintf(" named %q", a.Name)
	}
	return s
}

func scopeText(scope Scope, ns string) string {
	switch scope {
	case ScopeNamespace:
		return fmt.Sprintf("in namespace %s (its RoleBindings and every ClusterRoleBinding)", ns)
	case ScopeAnyNamespace:
		return "in any namespace (RoleBindings of every namespace and ClusterRoleBindings)"
	}
	return "cluster-wide (ClusterRoleBindings only; -n NS or -A for RoleBindings)"
}

// scopeTitle says where a request is asked, in a few words (a graph's title).
func scopeTitle(scope Scope, ns string) string {
	switch scope {
	case ScopeNamespace:
		return "in namespace " + ns
	case ScopeAnyNamespace:
		return "in any namespace"
	}
	return "cluster-wide"
}

func listText(l []string) string {
	if len(l) == 0 {
		return "-"
	}
	q := make([]string, len(l))
	for i, s := range l {
		if s == "" {
			s = `""`
		}
		q[i] = s
	}
	return strings.Join(q, ",")
}

// resourcesText writes a rule's resources with their groups, as kubectl names them
// (deployments.apps), or its non-resource URLs.
func resourcesText(r *rbacv1.PolicyRule) string {
	if len(r.NonResourceURLs) > 0 {
		return strings.Join(r.NonResourceURLs, ",")
	}
	if len(r.APIGroups)*len(r.Resources) > 6 {
		return "[" + listText(r.Resources) + "] in groups [" + listText(r.APIGroups) + "]"
	}
	var out []string
	for _, g := range r.APIGroups {
		for _, res := range r.Resources {
			name, sub, hasSub := strings.Cut(res, "/")
			if g != "" {
				name += "." + g
			}
			if hasSub {
				name += "/" + sub
			}
			out = append(out, name)
		}
	}
	return listText(out)
}

// RuleText writes a rule compactly: "get,list secrets named db".
func RuleText(r *rbacv1.PolicyRule) string {
	s := listText(r.Verbs) + " " + resourcesText(r)
	if len(r.ResourceNames) > 0 {
		s += " named " + listText(r.ResourceNames)
	}
	return s
}

func where(r Ref) string {
	l := r.Location
	switch {
	case l.File == "":
		return ""
	case l.Line > 0:
		return fmt.Sprintf("  [%s:%d]", l.File, l.Line)
	}
	return "  [" + l.File + "]"
}

func nameOf(r Ref) string {
	if r.Namespace != "" {
		return r.Namespace + "/" + r.Name
	}
	return r.Name
}

// ChainText writes a grant as binding -> role -> rule, with where it applies.
func ChainText(g Grant) string {
	s := fmt.Sprintf("%s %s -> %s %s, rule %d: %s", g.Binding.Kind, nameOf(g.Binding), g.Role.Kind, nameOf(g.Role), g.RuleIndex, RuleText(&g.Rule))
	if g.Source.Kind != g.Role.Kind || g.Source.Name != g.Role.Name || g.Source.Namespace != g.Role.Namespace {
		s = fmt.Sprintf("%s %s -> %s %s (aggregating %s %s), rule %d: %s", g.Binding.Kind, nameOf(g.Binding), g.Role.Kind, nameOf(g.Role),
			g.Source.Kind, nameOf(g.Source), g.RuleIndex, RuleText(&g.Rule))
	}
	if g.Namespace != "" {
		s += " (in " + g.Namespace + ")"
	} else {
		s += " (cluster-wide)"
	}
	return s + where(g.Binding)
}

// everyPod reports whether a group holds every pod with a token.
func everyPod(s Subject) bool {
	return s.Kind == KindGroup && (s.Name == GroupAuthenticated || s.Name == GroupServiceAccounts)
}

const maxWorkloadsText = 20

// WriteWhoCan renders a who-can answer: text, json, or a Graphviz DOT graph.
func WriteWhoCan(w io.Writer, v WhoCanView, format string) error {
	if v.Answers == nil {
		v.Answers = []Answer{}
	}
	if v.Problems == nil {
		v.Problems = []Problem{}
	}
	switch format {
	case "text", "":
		safetext.Fprintf(w, "Who can %s %s:\n", DescribeRequest(v.Request), scopeText(v.Scope, v.Request.Namespace))
		if v.Scope == ScopeAnyNamespace {
			writeWhoCanByNamespace(w, v.Answers)
		} else {
			listed := map[Subject]bool{}
			for _, a := range v.Answers {
				writeAnswer(w, a, a.Grants, listed)
			}
		}
		accounts, runners := 0, 0
		for _, a := range v.Answers {
			if len(a.Workloads) > 0 {
				accounts++
				runners += len(a.Workloads)
			}
		}
		safetext.Fprintf(w, "\n%s can; workloads run as %d of them (%s).\n", plural(len(v.Answers), "subject"), accounts, plural(runners, "workload"))
		return nil
	case "json":
		enc := json.NewEncoder(safetext.JSONWriter(w))
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	case "dot":
		return writeWhoCanDot(w, v)
	}
	return unknownFormat(format, WhoCanFormats)
}

// writeWhoCanByNamespace writes an any-namespace answer in sections: cluster-wide
// grants (and system:masters) first, then one section per namespace.
func writeWhoCanByNamespace(w io.Writer, answers []Answer) {
	type entry struct {
		a      Answer
		grants []Grant
	}
	sections := map[string][]entry{}
	for _, a := range answers {
		var order []string
		by := map[string][]Grant{}
		for _, g := range a.Grants {
			if _, ok := by[g.Namespace]; !ok {
				order = append(order, g.Namespace)
			}
			by[g.Namespace] = append(by[g.Namespace], g)
		}
		if _, ok := by[""]; !ok && (len(a.Grants) == 0 || a.Reason != "") {
			order = append([]string{""}, order...) // the reason holds everywhere
		}
		for _, ns := range order {
			sections[ns] = append(sections[ns], entry{a, by[ns]})
		}
	}
	names := make([]string, 0, len(sections))
	for ns := range sections {
		names = append(names, ns)
	}
	sort.Strings(names)
	listed := map[Subject]bool{}
	for _, ns := range names {
		if ns == "" {
			fmt.Fprintln(w, "\n== cluster-wide (in every namespace) ==")
		} else {
			safetext.Fprintf(w, "\n== in namespace %s ==\n", ns)
		}
		for _, e := range sections[ns] {
			if ns != "" {
				e.a.Reason = ""
			}
			writeAnswer(w, e.a, e.grants, listed)
		}
	}
}

// writeAnswer writes a subject with its grants and, the first time it is listed, the
// workloads running as it.
func writeAnswer(w io.Writer, a Answer, grants []Grant, listed map[Subject]bool) {
	safetext.Fprintf(w, "\n%s\n", a.Subject)
	if a.Reason != "" {
		safetext.Fprintf(w, "  %s\n", a.Reason)
	}
	for _, g := range grants {
		safetext.Fprintf(w, "  %s\n", ChainText(g))
	}
	if len(a.Workloads) == 0 {
		return
	}
	if listed[a.Subject] {
		fmt.Fprintln(w, "  (workloads running as it: listed above)")
		return
	}
	listed[a.Subject] = true
	if everyPod(a.Subject) {
		safetext.Fprintf(w, "  every pod with a service account token is in this group: %s can do it if compromised\n", plural(len(a.Workloads), "workload"))
		return
	}
	fmt.Fprintln(w, "  workloads running as it (can do it if compromised):")
	for i, wl := range a.Workloads {
		if i == maxWorkloadsText {
			safetext.Fprintf(w, "    ... and %d more (-o json lists all)\n", len(a.Workloads)-i)
			break
		}
		note := ""
		if !wl.Token {
			note = "  (no token mounted: cannot use it)"
		}
		safetext.Fprintf(w, "    %s %s/%s as %s%s%s\n", wl.Kind, wl.Namespace, wl.Name, wl.ServiceAccount, note, whereLoc(wl))
	}
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func whereLoc(wl WorkloadRef) string {
	return where(Ref{Location: wl.Location})
}

func writeWhoCanDot(w io.Writer, v WhoCanView) error {
	q := strconv.Quote
	safetext.Fprintf(w, "digraph whocan {\n  label=%s;\n  labelloc=t;\n  rankdir=LR;\n  node [shape=box];\n", q("who can "+DescribeRequest(v.Request)+" "+scopeTitle(v.Scope, v.Request.Namespace)))
	nodes := map[string]bool{}
	edges := map[string]bool{}
	node := func(id, label, attrs string) {
		if !nodes[id] {
			nodes[id] = true
			safetext.Fprintf(w, "  %s [label=%s%s];\n", q(id), q(label), attrs)
		}
	}
	edge := func(from, to, label string) {
		k := from + "\x00" + to
		if !edges[k] {
			edges[k] = true
			if label == "" {
				safetext.Fprintf(w, "  %s -> %s;\n", q(from), q(to))
			} else {
				safetext.Fprintf(w, "  %s -> %s [label=%s];\n", q(from), q(to), q(label))
			}
		}
	}
	for _, a := range v.Answers {
		sid := "subject:" + a.Subject.String()
		node(sid, a.Subject.String(), ", shape=ellipse")
		if a.Reason != "" && len(a.Grants) == 0 {
			rid := "reason:" + a.Reason
			node(rid, a.Reason, ", shape=note")
			edge(sid, rid, "")
		}
		for _, g := range a.Grants {
			bid := "binding:" + g.Binding.String()
			rid := "role:" + g.Role.String()
			node(bid, g.Binding.Kind+"\n"+nameOf(g.Binding), "")
			node(rid, g.Role.Kind+"\n"+nameOf(g.Role), ", style=filled, fillcolor=lightgrey")
			edge(sid, bid, "")
			edge(bid, rid, "")
			if g.Source.String() != g.Role.String() {
				srcID := "role:" + g.Source.String()
				node(srcID, g.Source.Kind+"\n"+nameOf(g.Source), ", style=filled, fillcolor=lightgrey")
				edge(rid, srcID, "aggregates")
			}
		}
		if everyPod(a.Subject) {
			continue
		}
		for _, wl := range a.Workloads {
			wid := "workload:" + wl.Kind + "/" + wl.Namespace + "/" + wl.Name
			attrs := ", shape=component"
			if !wl.Token {
				attrs += ", style=dashed"
			}
			node(wid, wl.Kind+"\n"+wl.Namespace+"/"+wl.Name, attrs)
			edge(wid, sid, "runs as")
		}
	}
	fmt.Fprintln(w, "}")
	return nil
}

// RulesView is a subject's effective rules, as rendered.
type RulesView struct {
	Subject Subject  `json:"subject"`
	User    UserInfo `json:"user"`
	// Namespace is the namespace asked about; "" with AnyNamespace false is the
	// cluster-wide rules only.
	Namespace    string          `json:"namespace,omitempty"`
	AnyNamespace bool            `json:"anyNamespace,omitempty"`
	Masters      bool            `json:"systemMasters,omitempty"`
	Rules        []EffectiveRule `json:"rules"`
	Problems     []Problem       `json:"problems"`
}

// WriteRules renders a subject's effective rules as a table or JSON.
func WriteRules(w io.Writer, v RulesView, format string) error {
	if v.Rules == nil {
		v.Rules = []EffectiveRule{}
	}
	if v.Problems == nil {
		v.Problems = []Problem{}
	}
	switch format {
	case "text", "":
		safetext.Fprintf(w, "%s (user %q, groups %s)", v.Subject, v.User.Name, listText(v.User.Groups))
		switch {
		case v.AnyNamespace:
			fmt.Fprintln(w, " in every namespace:")
		case v.Namespace != "":
			safetext.Fprintf(w, " in namespace %s:\n", v.Namespace)
		default:
			fmt.Fprintln(w, " cluster-wide:")
		}
		if v.Masters {
			fmt.Fprintln(w, "  member of system:masters: every request is allowed, whatever the rules below say")
		}
		fmt.Fprintln(w)
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAMESPACE\tVERBS\tRESOURCES / URLS\tNAMES\tVIA")
		for _, r := range v.Rules {
			ns := r.Grant.Namespace
			if ns == "" {
				ns = "*"
			}
			via := r.Grant.Binding.Kind + " " + nameOf(r.Grant.Binding) + " -> " + r.Grant.Role.Kind + " " + nameOf(r.Grant.Role)
			if r.Grant.Source.String() != r.Grant.Role.String() {
				via += " (from " + r.Grant.Source.Kind + " " + nameOf(r.Grant.Source) + ")"
			}
			safetext.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", ns, listText(r.Rule.Verbs), resourcesText(&r.Rule), listText(r.Rule.ResourceNames), via)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		safetext.Fprintf(w, "\n%s (namespace * is cluster-wide).\n", plural(len(v.Rules), "rule"))
		return nil
	case "json":
		enc := json.NewEncoder(safetext.JSONWriter(w))
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	return unknownFormat(format, ViewFormats)
}

// DecisionView is a yes/no answer for one subject, as rendered.
type DecisionView struct {
	Subject  Subject    `json:"subject"`
	Request  Attributes `json:"request"`
	Decision Decision   `json:"decision"`
	Problems []Problem  `json:"problems"`
}

// WriteDecision renders a decision: "yes"/"no" and the reason with every chain.
func WriteDecision(w io.Writer, v DecisionView, format string) error {
	if v.Problems == nil {
		v.Problems = []Problem{}
	}
	switch format {
	case "text", "":
		if v.Decision.Allowed {
			fmt.Fprintln(w, "yes")
		} else {
			fmt.Fprintln(w, "no")
		}
		where := "cluster-wide"
		if v.Request.Namespace != "" {
			where = "in namespace " + v.Request.Namespace
		}
		safetext.Fprintf(w, "  %s %s %s: %s\n", v.Subject, DescribeRequest(v.Request), where, v.Decision.Reason)
		for _, g := range v.Decision.Grants {
			safetext.Fprintf(w, "  %s\n", ChainText(g))
		}
		return nil
	case "json":
		enc := json.NewEncoder(safetext.JSONWriter(w))
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	return unknownFormat(format, ViewFormats)
}

// sortRules orders effective rules cluster-wide first, then by namespace, keeping the
// authorizer's order within each.
func sortRules(rs []EffectiveRule) {
	sort.SliceStable(rs, func(i, j int) bool { return rs[i].Grant.Namespace < rs[j].Grant.Namespace })
}

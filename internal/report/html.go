package report

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/palisade-k8s/palisade/internal/compliance"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/safetext"
)

// The HTML report is one self-contained file: a page skeleton, one stylesheet and
// one script (embedded here, no library), and the report's data as JSON in a
// <script type="application/json"> element that the script renders with textContent
// only. Its Content-Security-Policy allows nothing but that stylesheet and script
// (by hash): the page fetches nothing, and nothing from the input can run.
var (
	//go:embed html/report.css
	htmlCSS string
	//go:embed html/report.js
	htmlJS string
)

// HTMLSchemaVersion names the JSON embedded in the HTML report (read by the page's
// script; not a public format).
const HTMLSchemaVersion = "palisade.dev/report-html/v1"

func init() { RegisterFormat(Format{Name: "html", Write: writeHTML}) }

// htmlCSP is the page's Content-Security-Policy: nothing but the embedded style and
// script.
var htmlCSP = "default-src 'none'; style-src '" + cspHash(htmlCSS) + "'; script-src '" + cspHash(htmlJS) +
	"'; base-uri 'none'; form-action 'none'"

func cspHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}

// The embedded data. Findings are written one at a time (as writeJSON does), and
// the rule metadata, titles and remediations are written once per rule, not once
// per finding, so that a report of many thousands of findings stays small.
type (
	htmlFinding struct {
		Rule      string         `json:"rule"`
		Severity  string         `json:"sev"`
		Title     string         `json:"title,omitempty"` // when it is not the rule's
		Object    string         `json:"obj"`
		Kind      string         `json:"kind,omitempty"`
		Namespace string         `json:"ns,omitempty"`
		Container string         `json:"container,omitempty"`
		Path      string         `json:"path,omitempty"`
		Location  string         `json:"loc"`
		Message   string         `json:"msg"`
		Remedy    string         `json:"rem,omitempty"` // when it is not the rule's
		Print     string         `json:"fp"`
		Suppress  *htmlSuppress  `json:"sup,omitempty"`
		Evidence  []htmlEvidence `json:"ev,omitempty"`
		Attack    *htmlPath      `json:"ap,omitempty"`
	}
	htmlSuppress struct {
		Kind    string `json:"kind"`
		Reason  string `json:"reason"`
		Expires string `json:"expires,omitempty"`
	}
	// htmlEvidence is one block of evidence as labelled lines.
	htmlEvidence struct {
		Title string      `json:"t"`
		Lines [][2]string `json:"l"`
	}
	htmlPath struct {
		Entry        int         `json:"entry"`
		Target       int         `json:"target"`
		Pivot        int         `json:"pivot"` // -1 without one
		Hops         []htmlHop   `json:"hops"`
		Fix          *htmlFix    `json:"fix,omitempty"`
		Alternatives int         `json:"alt,omitempty"`
		Others       [][]htmlHop `json:"others,omitempty"`
	}
	// htmlHop names its nodes by their index in the report's node table.
	htmlHop struct {
		From     int      `json:"f"`
		To       int      `json:"t"`
		Kind     string   `json:"k"`
		Analyzer string   `json:"a"`
		Evidence []string `json:"e"`
		Fix      *htmlFix `json:"x,omitempty"`
	}
	htmlFix struct {
		Hop      int    `json:"hop"`
		Change   string `json:"change"`
		Object   string `json:"obj,omitempty"`
		Location string `json:"loc,omitempty"`
		Path     string `json:"path,omitempty"`
		Cost     int    `json:"cost"`
		CutsAll  bool   `json:"cutsAll,omitempty"`
	}
	htmlNode struct {
		ID        string `json:"id"`
		Kind      string `json:"kind"`
		Label     string `json:"label"`
		Namespace string `json:"ns,omitempty"`
		Object    string `json:"obj,omitempty"`
		Location  string `json:"loc,omitempty"`
	}
	htmlRule struct {
		Title       string `json:"title"`
		Severity    string `json:"sev"`
		Category    string `json:"cat,omitempty"`
		Rationale   string `json:"why,omitempty"`
		Remediation string `json:"rem,omitempty"`
		// Frameworks maps each framework of the report to the controls the rule
		// implements in it.
		Frameworks map[string][]string `json:"fw,omitempty"`
		Tags       []string            `json:"tags,omitempty"`
	}
	htmlFramework struct {
		ID       string        `json:"id"`
		Title    string        `json:"title"`
		Controls []htmlControl `json:"controls"`
		Fail     int           `json:"fail"`
		Clean    int           `json:"clean"`
		NA       int           `json:"na"`
		// Unknown counts the controls no finding fails but a check of could not
		// decide, for lack of evidence (status "unknown").
		Unknown int `json:"unknown,omitempty"`
	}
	// htmlControl is a control as the findings of the report show it: "fail" when
	// one of its rules has an unsuppressed finding, "clean" when its rules have none
	// (the report does not say which objects they checked: `scan --framework` gives
	// the full verdict), "n/a" when manifests cannot decide it or no rule checks it.
	htmlControl struct {
		ID      string   `json:"id"`
		Title   string   `json:"title"`
		Section string   `json:"section,omitempty"`
		Status  string   `json:"status"`
		Reason  string   `json:"reason,omitempty"`
		Rules   []string `json:"rules,omitempty"`
		Failing int      `json:"failing,omitempty"`
		Worst   string   `json:"worst,omitempty"`
	}
	htmlImage struct {
		Name      string   `json:"name"`
		Digest    string   `json:"digest,omitempty"`
		Platform  string   `json:"platform,omitempty"`
		Distro    string   `json:"distro,omitempty"`
		Packages  int      `json:"packages"`
		Workloads []string `json:"workloads,omitempty"`
		Signature string   `json:"signature,omitempty"`
	}
)

// writeHTML writes the report as one HTML file.
func writeHTML(out io.Writer, r *Report, _ Options) error {
	w := bufio.NewWriterSize(out, 64<<10)
	title := "Palisade report"
	w.WriteString("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
	w.WriteString("<meta http-equiv=\"Content-Security-Policy\" content=\"" + htmlCSP + "\">\n")
	w.WriteString("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
	w.WriteString("<meta name=\"referrer\" content=\"no-referrer\">\n")
	w.WriteString("<title>" + title + "</title>\n<style>" + htmlCSS + "</style>\n</head>\n")
	writeHTMLBody(w, r)
	w.WriteString("<script type=\"application/json\" id=\"report-data\">")
	if err := writeHTMLData(&scriptSafe{w: safetext.JSONWriter(w)}, r); err != nil {
		return err
	}
	w.WriteString("</script>\n<script>" + htmlJS + "</script>\n</body>\n</html>\n")
	return w.Flush()
}

// scriptSafe writes JSON inside a <script> element: encoding/json already writes
// '<', '>' and '&' in strings as \u escapes; any '<' left (there is none outside
// strings in JSON) is escaped too, so that the data can never close the element.
type scriptSafe struct{ w io.Writer }

func (s *scriptSafe) Write(p []byte) (int, error) {
	if bytes.IndexByte(p, '<') < 0 {
		return s.w.Write(p)
	}
	_, err := s.w.Write(bytes.ReplaceAll(p, []byte("<"), []byte(`\u003c`)))
	return len(p), err
}

// writeHTMLData writes the embedded JSON document.
func writeHTMLData(w io.Writer, r *Report) error {
	metas := ruleMetas(r)
	frameworks, ruleFW := htmlFrameworks(r, metas)
	field := func(name string, v any, last bool) error {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		io.WriteString(w, "\""+name+"\":")
		w.Write(b)
		if !last {
			io.WriteString(w, ",\n")
		}
		return nil
	}
	io.WriteString(w, "{")
	if err := field("schema", HTMLSchemaVersion, false); err != nil {
		return err
	}
	if err := field("tool", r.Tool, false); err != nil {
		return err
	}
	if err := field("summary", r.Summary, false); err != nil {
		return err
	}
	status, verdict := htmlVerdict(r)
	if err := field("verdict", map[string]string{"status": status, "text": verdict, "scanned": htmlScanned(r)}, false); err != nil {
		return err
	}
	// The findings, one at a time; their path nodes go to a table written after.
	nodes := &nodeTable{index: map[string]int{}}
	io.WriteString(w, "\"findings\":[")
	for i := range r.Findings {
		if i > 0 {
			io.WriteString(w, ",\n")
		}
		b, err := json.Marshal(htmlFindingOf(&r.Findings[i], metas, nodes))
		if err != nil {
			return err
		}
		w.Write(b)
	}
	io.WriteString(w, "],\n")
	if err := field("nodes", nodes.list, false); err != nil {
		return err
	}
	rs := map[string]htmlRule{}
	for id, m := range metas {
		hr := htmlRule{Title: m.Title, Severity: m.Severity.String(), Category: m.Category, Rationale: m.Rationale,
			Remediation: m.Remediation, Frameworks: ruleFW[id], Tags: m.Frameworks.Tags()}
		rs[id] = hr
	}
	if err := field("rules", rs, false); err != nil {
		return err
	}
	if err := field("frameworks", frameworks, false); err != nil {
		return err
	}
	var errs, gaps, notices, internal []string
	for _, e := range r.Errors {
		errs = append(errs, e.Location.String()+": "+e.Message)
	}
	for _, e := range withCoverage(&Report{Coverage: r.Coverage}) {
		gaps = append(gaps, e.Location.File+": "+e.Message)
	}
	for _, g := range r.Coverage {
		if line, ok := unknownGap(g); ok {
			gaps = append(gaps, "UNKNOWN "+line)
		}
	}
	for _, n := range r.Notices {
		notices = append(notices, n.String())
	}
	for _, ie := range r.Internal {
		where := ""
		if ie.Location != nil {
			where = ie.Location.String() + ": "
		}
		internal = append(internal, where+internalText(ie))
	}
	if err := field("inputErrors", nonNil(errs), false); err != nil {
		return err
	}
	if err := field("coverage", nonNil(gaps), false); err != nil {
		return err
	}
	if err := field("notices", nonNil(notices), false); err != nil {
		return err
	}
	if err := field("internalErrors", nonNil(internal), false); err != nil {
		return err
	}
	imgs := []htmlImage{}
	for i := range r.Images {
		im := &r.Images[i]
		hi := htmlImage{Name: im.Name, Digest: im.Digest, Platform: im.Platform, Packages: len(im.Packages), Workloads: refStrings(im.Workloads)}
		if im.Distro != nil {
			hi.Distro = distroName(im.Distro)
		}
		if s := im.Signature; s != nil {
			hi.Signature = s.Verdict + ": " + s.Summary
		}
		imgs = append(imgs, hi)
	}
	if err := field("images", imgs, true); err != nil {
		return err
	}
	_, err := io.WriteString(w, "}")
	return err
}

func nonNil(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

func refStrings(refs []finding.ObjectRef) []string {
	var out []string
	for _, r := range refs {
		out = append(out, r.String())
	}
	return out
}

// ruleMetas are the metadata of the rules of the report's findings: the report's
// own (Report.Rules), else the registry's.
func ruleMetas(r *Report) map[string]*rules.Meta {
	m := map[string]*rules.Meta{}
	for _, meta := range r.Rules {
		m[meta.ID] = meta
	}
	for i := range r.Findings {
		id := r.Findings[i].RuleID
		if _, ok := m[id]; ok {
			continue
		}
		if rule, ok := rules.Get(id); ok {
			meta := rule.Meta
			m[id] = &meta
		} else {
			f := &r.Findings[i]
			m[id] = &rules.Meta{ID: id, Title: f.Title, Severity: f.Severity, Category: f.Category, Remediation: f.Remediation}
		}
	}
	// The rules of unknown checks, so that their controls show them.
	for _, g := range r.Coverage {
		if _, ok := m[g.Rule]; ok || g.Rule == "" {
			continue
		}
		if rule, ok := rules.Get(g.Rule); ok {
			meta := rule.Meta
			m[g.Rule] = &meta
		}
	}
	return m
}

// htmlFindingOf is a finding as the page shows it.
func htmlFindingOf(f *finding.Finding, metas map[string]*rules.Meta, nodes *nodeTable) *htmlFinding {
	hf := &htmlFinding{
		Rule: f.RuleID, Severity: f.Severity.String(), Object: f.Object.String(), Kind: f.Object.Kind,
		Namespace: f.Object.Namespace, Container: f.Container, Path: f.Path, Location: f.Location.String(),
		Message: f.Message, Print: f.Fingerprint,
	}
	if img := f.Location.Image; img != nil {
		hf.Object = img.Image()
		hf.Location = img.Place()
	}
	if m := metas[f.RuleID]; m == nil || m.Title != f.Title {
		hf.Title = f.Title
	}
	if m := metas[f.RuleID]; m == nil || m.Remediation != f.Remediation {
		hf.Remedy = f.Remediation
	}
	if s := f.Suppressed; s != nil {
		hf.Suppress = &htmlSuppress{Kind: s.Kind, Reason: s.Reason, Expires: s.Expires}
	}
	lines := func(title string, body func(line func(label, value string))) {
		ev := htmlEvidence{Title: title}
		body(func(label, value string) { ev.Lines = append(ev.Lines, [2]string{label, value}) })
		if len(ev.Lines) > 0 {
			hf.Evidence = append(hf.Evidence, ev)
		}
	}
	if v := f.Vulnerability; v != nil {
		lines("Vulnerability", func(line func(string, string)) { vulnerabilityBody(v, line) })
	}
	if e := f.Exposure; e != nil {
		lines(fmt.Sprintf("Exposure %d", e.Score), func(line func(string, string)) {
			for i := range e.Workloads {
				we := &e.Workloads[i]
				line(fmt.Sprintf("%d  %s", we.Score, we.Object.String()), workloadExposureText(we))
			}
		})
	}
	if p := f.Policy; p != nil {
		lines("Admission policy", func(line func(string, string)) {
			line("Policy", policyText(p))
			if p.Reason != "" {
				line("Reason", p.Reason)
			}
			if p.Denied {
				line("Admission", "the API server would refuse the request")
			} else {
				line("Admission", "the API server would admit the request")
			}
		})
	}
	if a := f.Audit; a != nil {
		lines("Audit", func(line func(string, string)) {
			auditBody(a, line)
			if len(a.Techniques) > 0 {
				line("MITRE ATT&CK", strings.Join(a.Techniques, ", "))
			}
		})
	}
	if n := f.Node; n != nil {
		lines("Node "+n.Node, func(line func(string, string)) { nodeEvidenceBody(n, line) })
	}
	if p := f.AttackPath; p != nil {
		hf.Attack = nodes.path(p)
	}
	return hf
}

// nodeTable numbers the attack-graph nodes of the report, each once.
type nodeTable struct {
	index map[string]int
	list  []htmlNode
}

func (t *nodeTable) node(n *finding.PathNode) int {
	if i, ok := t.index[n.ID]; ok {
		return i
	}
	hn := htmlNode{ID: n.ID, Kind: n.Kind, Label: n.Label, Namespace: n.Namespace}
	if n.Object != nil {
		hn.Object = n.Object.String()
	}
	if n.Location != nil {
		hn.Location = n.Location.String()
	}
	t.index[n.ID] = len(t.list)
	t.list = append(t.list, hn)
	return len(t.list) - 1
}

// id numbers a node known by its ID only (an entry or target that no hop names).
func (t *nodeTable) id(id string) int {
	if id == "" {
		return -1
	}
	if i, ok := t.index[id]; ok {
		return i
	}
	return t.node(&finding.PathNode{ID: id, Kind: strings.SplitN(id, ":", 2)[0], Label: id})
}

func (t *nodeTable) hops(hs []finding.PathHop) []htmlHop {
	out := make([]htmlHop, len(hs))
	for i := range hs {
		h := &hs[i]
		out[i] = htmlHop{From: t.node(&h.From), To: t.node(&h.To), Kind: h.Kind, Analyzer: h.Analyzer, Evidence: h.Evidence, Fix: htmlFixOf(h.Fix)}
		if out[i].Evidence == nil {
			out[i].Evidence = []string{}
		}
	}
	return out
}

func (t *nodeTable) path(p *finding.PathEvidence) *htmlPath {
	hp := &htmlPath{Hops: t.hops(p.Hops), Fix: htmlFixOf(p.Fix), Alternatives: p.Alternatives}
	hp.Entry, hp.Target, hp.Pivot = t.id(p.Entry), t.id(p.Target), t.id(p.Pivot)
	for _, o := range p.Others {
		hp.Others = append(hp.Others, t.hops(o))
	}
	return hp
}

func htmlFixOf(f *finding.PathFix) *htmlFix {
	if f == nil {
		return nil
	}
	hf := &htmlFix{Hop: f.Hop, Change: f.Change, Path: f.Path, Cost: f.Cost, CutsAll: f.CutsAll}
	if f.Object != nil {
		hf.Object = f.Object.String()
	}
	if f.Location != nil {
		hf.Location = f.Location.String()
	}
	return hf
}

// htmlFrameworks are the compliance views of the report: every framework (but the
// audit detections' map) that a rule of the findings implements a control of, each
// control with what the findings say of it; and, per rule, the controls it
// implements in each.
func htmlFrameworks(r *Report, metas map[string]*rules.Meta) ([]htmlFramework, map[string]map[string][]string) {
	failing := map[string]int{}
	worst := map[string]finding.Severity{}
	for i := range r.Findings {
		f := &r.Findings[i]
		if f.Suppressed != nil {
			continue
		}
		if n := failing[f.RuleID]; n == 0 || f.Severity > worst[f.RuleID] {
			worst[f.RuleID] = f.Severity
		}
		failing[f.RuleID]++
	}
	unknown := map[string][]string{}
	for _, g := range r.Coverage {
		if line, ok := unknownGap(g); ok {
			unknown[g.Rule] = append(unknown[g.Rule], line)
		}
	}
	ids := make([]string, 0, len(metas))
	for id := range metas {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	all := rules.All()
	ruleFW := map[string]map[string][]string{}
	out := []htmlFramework{}
	for _, fw := range compliance.All() {
		if fw.Detections {
			continue
		}
		used := false
		for _, id := range ids {
			controls, _ := fw.Claims(&rules.Rule{Meta: *metas[id]})
			if len(controls) == 0 {
				continue
			}
			used = true
			if ruleFW[id] == nil {
				ruleFW[id] = map[string][]string{}
			}
			ruleFW[id][fw.ID] = controls
		}
		if !used {
			continue
		}
		own := fw.RulesOf(all)
		// A rule of the report that the registry does not hold (a rule built for
		// the run) counts too.
		for _, id := range ids {
			for _, c := range ruleFW[id][fw.ID] {
				if !containsString(own[c], id) {
					own[c] = append(own[c], id)
				}
			}
		}
		hf := htmlFramework{ID: fw.ID, Title: fw.Title}
		for i := range fw.Controls {
			c := &fw.Controls[i]
			hc := htmlControl{ID: c.ID, Title: c.Title, Section: c.Section}
			for _, cid := range append([]string{c.ID}, c.Includes...) {
				for _, rid := range own[cid] {
					if !containsString(hc.Rules, rid) {
						hc.Rules = append(hc.Rules, rid)
					}
				}
			}
			sort.Strings(hc.Rules)
			var w finding.Severity
			for _, rid := range hc.Rules {
				if n := failing[rid]; n > 0 {
					if hc.Failing == 0 || worst[rid] > w {
						w = worst[rid]
					}
					hc.Failing += n
				}
			}
			var missing []string
			for _, rid := range hc.Rules {
				missing = append(missing, unknown[rid]...)
			}
			switch {
			case hc.Failing > 0:
				hc.Status, hc.Worst = "fail", w.String()
				hf.Fail++
			case len(missing) > 0:
				hc.Status, hc.Reason = "unknown", strings.Join(missing, "; ")
				hf.Unknown++
			case c.NotAssessable != "":
				hc.Status, hc.Reason = "n/a", c.NotAssessable.Text()
				hf.NA++
			case len(hc.Rules) == 0:
				hc.Status, hc.Reason = "n/a", compliance.NoRule.Text()
				hf.NA++
			default:
				hc.Status = "clean"
				hf.Clean++
			}
			hf.Controls = append(hf.Controls, hc)
		}
		out = append(out, hf)
	}
	return out, ruleFW
}

// htmlVerdict is the report's result, as the text report says it: a status (fail,
// pass, incomplete) and a sentence.
func htmlVerdict(r *Report) (string, string) {
	s := r.Summary
	switch {
	case len(r.Internal) > 0:
		return "incomplete", "Incomplete: Palisade failed on part of the input (exit 4); please report the internal errors."
	case len(r.Coverage) > 0 && unknownOnly(r.Coverage):
		return "incomplete", "Incomplete: some checks could not decide for lack of evidence (exit 3)."
	case len(r.Coverage) > 0:
		return "incomplete", "Incomplete: some of the input could not be read (exit 3)."
	case s.InputErrors > 0:
		return "incomplete", "Some input could not be read (exit 3)."
	case s.Failed:
		return "fail", "FAIL: findings at or above " + s.FailOn + "."
	}
	return "pass", "Pass (fail-on " + s.FailOn + ")."
}

// htmlScanned says what the report covers.
func htmlScanned(r *Report) string {
	s := r.Summary
	if s.Audit != nil {
		return "Read " + auditSummaryText(s.Audit)
	}
	parts := []string{pluralGrouped(s.Objects, "object") + " (" + pluralGrouped(s.Workloads, "workload") + ")"}
	if s.ConfigFiles > 0 {
		parts = append(parts, plural(s.ConfigFiles, "configuration file"))
	}
	if s.Nodes > 0 {
		parts = append(parts, plural(s.Nodes, "node"))
	}
	if s.Images > 0 || r.imageScan {
		parts = append(parts, imagesSummary(s))
	}
	out := "Scanned " + strings.Join(parts, ", ") + " from " + pluralGrouped(s.Inputs, "input")
	if h := s.History; h != nil {
		out += "; git history " + h.Range + ": " + pluralGrouped(h.Commits, "commit")
	}
	if s.Suppressed > 0 {
		out += "; " + grouped(s.Suppressed) + " suppressed"
	}
	return out
}

// writeHTMLBody writes the page skeleton that the script fills. Only numbers of the
// report are written here; every string of the input reaches the page through the
// embedded JSON and textContent.
func writeHTMLBody(w *bufio.Writer, r *Report) {
	s := r.Summary
	w.WriteString(`<body>
<a class="skip" href="#findings-section">Skip to the findings</a>
<header class="top">
<div class="brand"><span class="logo" aria-hidden="true"></span><h1>Palisade report</h1><span id="tool-version" class="muted"></span></div>
<p id="verdict" class="verdict"></p>
<p id="scanned" class="muted"></p>
<nav class="jump" aria-label="Sections"><a href="#findings-section">Findings</a><a href="#paths-section">Attack paths</a><a href="#compliance">Compliance</a><a href="#inputs-section">Input</a></nav>
</header>
<noscript><p class="banner">This report needs JavaScript to show its findings (the page runs only its own embedded script and fetches nothing).</p></noscript>
<main>
<section id="summary" aria-label="Summary">
`)
	fmt.Fprintf(w, "<button type=\"button\" class=\"card total\" data-sev=\"\" aria-label=\"Show all findings\"><span class=\"num\" data-count=\"findings\">%d</span><span class=\"lbl\">findings</span></button>\n", s.Findings)
	sevs := finding.Severities()
	for i := len(sevs) - 1; i >= 0; i-- {
		name := sevs[i].String()
		fmt.Fprintf(w, "<button type=\"button\" class=\"card sev-%s\" data-sev=\"%s\" aria-label=\"Show %s findings\"><span class=\"num\" data-count=\"%s\">%d</span><span class=\"lbl\">%s</span></button>\n", name, name, name, name, s.BySeverity[name], name)
	}
	fmt.Fprintf(w, "<div class=\"card quiet\"><span class=\"num\" data-count=\"suppressed\">%d</span><span class=\"lbl\">suppressed</span></div>\n", s.Suppressed)
	w.WriteString(`<div id="severity-bar" class="sevbar" aria-hidden="true"></div>
</section>
<section id="findings-section" aria-labelledby="findings-h">
<h2 id="findings-h">Findings</h2>
<div class="filters" role="search" aria-label="Filter the findings">
<label>Severity <select id="filter-severity"><option value="">all</option>`)
	for i := len(sevs) - 1; i >= 0; i-- {
		fmt.Fprintf(w, "<option value=\"%s\">%s</option>", sevs[i], sevs[i])
	}
	w.WriteString(`</select></label>
<label>Rule <select id="filter-rule"><option value="">all rules</option></select></label>
<label>Namespace <select id="filter-namespace"><option value="">all namespaces</option></select></label>
<label>Framework <select id="filter-framework"><option value="">any framework</option></select></label>
<label class="grow">Search <input id="filter-text" type="search" autocomplete="off" spellcheck="false" placeholder="rule, object, file, field or message (press /)"></label>
<label class="check"><input id="filter-suppressed" type="checkbox"> show suppressed</label>
<label>Group by <select id="group-by"><option value="rule">rule</option><option value="severity">severity</option><option value="namespace">namespace</option><option value="object">object</option><option value="none">nothing</option></select></label>
<button id="filter-reset" type="button">Reset</button>
</div>
<p class="shown" aria-live="polite"><span id="findings-shown">0</span> of <span id="findings-total">0</span> shown<span id="filter-control"></span> <button id="expand-all" type="button" class="link">expand all</button><button id="collapse-all" type="button" class="link">fold all</button></p>
<div id="findings"></div>
</section>
<section id="paths-section" aria-labelledby="paths-h">
<h2 id="paths-h">Attack paths</h2>
<p id="paths-intro" class="muted"></p>
<div id="graph-wrap" class="graph-wrap">
<div class="graph-main">
<div class="graph-tools"><button id="zoom-in" type="button" aria-label="Zoom in">+</button><button id="zoom-out" type="button" aria-label="Zoom out">&minus;</button><button id="zoom-reset" type="button" aria-label="Fit the graph">Fit</button><span id="graph-legend" class="legend"></span></div>
<svg id="path-graph" role="group" aria-label="Attack-path graph: entries on the left, targets on the right. Use + and - to zoom, arrow keys to pan, Tab to reach a node and Enter to select it." tabindex="0"><defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z"></path></marker></defs><g id="viewport"></g></svg>
</div>
<aside id="node-panel" aria-live="polite" aria-label="Selected node"><p class="muted">Select a node to list the attack paths through it, with the evidence of every hop.</p></aside>
</div>
</section>
<section id="compliance" aria-labelledby="compliance-h">
<h2 id="compliance-h">Compliance</h2>
<p class="muted">What the findings say of each framework the report&#39;s rules map to. A control is <b>clean</b> when none of its rules has a finding here; <code>palisade scan --framework ID</code> gives the full verdict (which objects each rule checked).</p>
<div id="frameworks"></div>
</section>
<section id="inputs-section" aria-labelledby="inputs-h">
<h2 id="inputs-h">Input</h2>
<div id="inputs"></div>
</section>
</main>
<footer id="footer" class="muted"></footer>
`)
}

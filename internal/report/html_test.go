package report

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/net/html"

	"github.com/palisade-k8s/palisade/internal/finding"
)

// htmlPage is a parsed HTML report.
type htmlPage struct {
	raw  string
	root *html.Node
}

func renderHTML(t testing.TB, r *Report) *htmlPage {
	t.Helper()
	var b bytes.Buffer
	if err := Write(&b, r, "html", Options{}); err != nil {
		t.Fatal(err)
	}
	root, err := html.Parse(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	return &htmlPage{raw: b.String(), root: root}
}

func attr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

func (p *htmlPage) all(match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && match(n) {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(p.root)
	return out
}

func (p *htmlPage) byID(id string) *html.Node {
	l := p.all(func(n *html.Node) bool { v, _ := attr(n, "id"); return v == id })
	if len(l) != 1 {
		return nil
	}
	return l[0]
}

func text(n *html.Node) string {
	var b strings.Builder
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.TextNode {
			b.WriteString(c.Data)
		} else {
			b.WriteString(text(c))
		}
	}
	return b.String()
}

// data decodes the embedded JSON.
func (p *htmlPage) data(t testing.TB) map[string]any {
	t.Helper()
	n := p.byID("report-data")
	if n == nil {
		t.Fatal("no #report-data")
	}
	if v, _ := attr(n, "type"); v != "application/json" {
		t.Fatalf("#report-data type %q", v)
	}
	var d map[string]any
	if err := json.Unmarshal([]byte(text(n)), &d); err != nil {
		t.Fatalf("embedded data: %v", err)
	}
	return d
}

// htmlPathReport is sampleReport with an attack-path finding and hostile strings
// everywhere the input reaches the page.
func htmlPathReport() *Report {
	const evil = `</script><script>alert(1)</script><img src=x onerror=alert(2)> https://evil.example/x` + "\u2028"
	r := sampleReport()
	web := finding.ObjectRef{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "shop", Name: "web" + evil}
	loc := finding.Location{File: "k8s/shop.yaml", Line: 45, Document: 4}
	internet := finding.PathNode{ID: "internet", Kind: "internet", Label: "the internet"}
	wl := finding.PathNode{ID: "workload:shop/Deployment/web", Kind: "workload", Label: "Deployment shop/web" + evil, Namespace: "shop", Object: &web, Location: &loc}
	sa := finding.PathNode{ID: "serviceaccount:shop/web", Kind: "serviceaccount", Label: "ServiceAccount shop/web", Namespace: "shop"}
	admin := finding.PathNode{ID: "cluster-admin", Kind: "cluster-admin", Label: "cluster-admin"}
	fix := &finding.PathFix{Hop: 1, Change: "set automountServiceAccountToken: false" + evil, Object: &web, Location: &loc, Path: "spec.template.spec.automountServiceAccountToken", Cost: 1, CutsAll: true}
	f := mkFinding("PAL-T01", web, "", "", loc, "the internet -> "+evil, nil)
	f.AttackPath = &finding.PathEvidence{
		Entry: "internet", Target: "cluster-admin", Pivot: wl.ID,
		Hops: []finding.PathHop{
			{From: internet, To: wl, Kind: "exposed", Analyzer: "exposure", Evidence: []string{"LoadBalancer Service shop/web" + evil}},
			{From: wl, To: sa, Kind: "token", Analyzer: "rbac", Evidence: []string{"its pods mount the token"}, Fix: fix},
			{From: sa, To: admin, Kind: "escalate", Analyzer: "rbac", Evidence: []string{"ClusterRoleBinding web-admin -> ClusterRole cluster-admin"}},
		},
		Fix: fix, Alternatives: 2,
	}
	f.Policy = &finding.PolicyEvidence{Policy: "p" + evil, Validation: 0, Denied: true}
	r.Findings = append(r.Findings, f)
	r.Summary.Findings++
	r.Summary.BySeverity["critical"]++
	r.Notices = []finding.Notice{{Location: loc, Message: "defined twice" + evil}}
	return r
}

// TestHTMLContract: the page has every element the browser tests and users rely on,
// with the summary's numbers, and one finding per finding of the report.
func TestHTMLContract(t *testing.T) {
	r := htmlPathReport()
	p := renderHTML(t, r)
	for _, id := range []string{"summary", "filter-severity", "filter-rule", "filter-namespace", "filter-framework", "filter-text",
		"findings", "findings-shown", "compliance", "path-graph", "node-panel", "zoom-in", "zoom-out", "zoom-reset"} {
		if p.byID(id) == nil {
			t.Errorf("no single element #%s", id)
		}
	}
	for id, tag := range map[string]string{"filter-severity": "select", "filter-rule": "select", "filter-namespace": "select",
		"filter-framework": "select", "filter-text": "input", "path-graph": "svg"} {
		if n := p.byID(id); n != nil && n.Data != tag {
			t.Errorf("#%s is a %s, want %s", id, n.Data, tag)
		}
	}
	counts := map[string]string{}
	for _, n := range p.all(func(n *html.Node) bool { _, ok := attr(n, "data-count"); return ok }) {
		k, _ := attr(n, "data-count")
		counts[k] = strings.TrimSpace(text(n))
	}
	want := map[string]int{"findings": r.Summary.Findings, "suppressed": r.Summary.Suppressed}
	for _, s := range finding.Severities() {
		want[s.String()] = r.Summary.BySeverity[s.String()]
	}
	for k, n := range want {
		if counts[k] != strconv.Itoa(n) {
			t.Errorf("data-count=%s is %q, want %d", k, counts[k], n)
		}
	}
	var opts []string
	for _, o := range p.all(func(n *html.Node) bool { return n.Data == "option" && n.Parent != nil && n.Parent.Data == "select" }) {
		if id, _ := attr(o.Parent, "id"); id == "filter-severity" {
			v, _ := attr(o, "value")
			opts = append(opts, v)
		}
	}
	if got := strings.Join(opts, ","); got != ",critical,high,medium,low,info" {
		t.Errorf("severity options %q", got)
	}
	d := p.data(t)
	if n := len(d["findings"].([]any)); n != len(r.Findings) {
		t.Errorf("%d findings embedded, want %d", n, len(r.Findings))
	}
	if d["summary"].(map[string]any)["findings"].(float64) != float64(r.Summary.Findings) {
		t.Error("embedded summary differs")
	}
	// The JSON report's fingerprints are the page's.
	for i, f := range d["findings"].([]any) {
		if fp := f.(map[string]any)["fp"]; fp != r.Findings[i].Fingerprint {
			t.Errorf("finding %d fingerprint %v, want %s", i, fp, r.Findings[i].Fingerprint)
		}
	}
	if b := p.byID("path-graph"); b != nil {
		if len(p.all(func(n *html.Node) bool { id, _ := attr(n, "id"); return id == "viewport" })) != 1 {
			t.Error("no #viewport in the graph")
		}
	}
}

// TestHTMLSelfContained: one file that fetches nothing: a CSP of default-src 'none'
// with the hashes of the only script and style, no src or external href, no URL
// outside the data, and assets without innerHTML, eval or imports.
func TestHTMLSelfContained(t *testing.T) {
	p := renderHTML(t, htmlPathReport())
	var csp string
	for _, m := range p.all(func(n *html.Node) bool { return n.Data == "meta" }) {
		if v, _ := attr(m, "http-equiv"); strings.EqualFold(v, "Content-Security-Policy") {
			csp, _ = attr(m, "content")
		}
	}
	if !strings.HasPrefix(csp, "default-src 'none';") {
		t.Fatalf("CSP %q", csp)
	}
	hash := func(s string) string {
		sum := sha256.Sum256([]byte(s))
		return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	}
	scripts := p.all(func(n *html.Node) bool { return n.Data == "script" })
	if len(scripts) != 2 {
		t.Fatalf("%d script elements, want the data and the code", len(scripts))
	}
	code := scripts[1]
	if _, typed := attr(code, "type"); typed {
		t.Fatal("the second script is not the code")
	}
	if !strings.Contains(csp, "script-src "+hash(text(code))+";") {
		t.Errorf("CSP does not allow exactly the page's script: %s", csp)
	}
	styles := p.all(func(n *html.Node) bool { return n.Data == "style" })
	if len(styles) != 1 || !strings.Contains(csp, "style-src "+hash(text(styles[0]))+";") {
		t.Errorf("CSP does not allow exactly the page's style: %s", csp)
	}
	for _, n := range p.all(func(*html.Node) bool { return true }) {
		for _, a := range n.Attr {
			switch {
			case a.Key == "src" || a.Key == "srcset" || a.Key == "action" || a.Key == "formaction" || a.Key == "xlink:href" || a.Key == "background":
				t.Errorf("<%s %s=%q>", n.Data, a.Key, a.Val)
			case a.Key == "href" && !strings.HasPrefix(a.Val, "#"):
				t.Errorf("<%s href=%q> leaves the page", n.Data, a.Val)
			case strings.HasPrefix(a.Key, "on"):
				t.Errorf("<%s %s> inline handler", n.Data, a.Key)
			case a.Key == "style":
				t.Errorf("<%s style> inline style (the CSP forbids it)", n.Data)
			}
		}
	}
	withoutData := strings.Replace(p.raw, text(p.byID("report-data")), "", 1)
	if m := regexp.MustCompile(`(?i)(https?:|ftp:|//[a-z0-9.-]+\.[a-z]{2,}/|@import|url\((?:'|")?[^#'")])`).FindString(withoutData); m != "" {
		t.Errorf("external reference %q outside the data", m)
	}
	for _, bad := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function", "import(", "fetch(", "XMLHttpRequest", "WebSocket", "sendBeacon", "</script"} {
		if strings.Contains(htmlJS, bad) {
			t.Errorf("report.js uses %s", bad)
		}
	}
	for _, bad := range []string{"@import", "url(", "</style"} {
		if strings.Contains(htmlCSS, bad) {
			t.Errorf("report.css uses %s", bad)
		}
	}
}

// TestHTMLHostile: strings from the input never become markup: the data element
// holds no '<', so nothing closes it, and the strings decode back exactly.
func TestHTMLHostile(t *testing.T) {
	r := htmlPathReport()
	p := renderHTML(t, r)
	if n := strings.Count(p.raw, "<script"); n != 2 {
		t.Errorf("%d <script in the page, want 2", n)
	}
	for _, bad := range []string{"<img", "alert(1)</script>", "\u2028"} {
		if strings.Contains(p.raw, bad) {
			t.Errorf("page contains %q", bad)
		}
	}
	raw := text(p.byID("report-data"))
	if strings.ContainsAny(raw, "<>") {
		t.Error("the data holds '<' or '>'")
	}
	d := p.data(t)
	fs := d["findings"].([]any)
	last := fs[len(fs)-1].(map[string]any)
	if last["msg"] != r.Findings[len(r.Findings)-1].Message {
		t.Errorf("message decoded as %q", last["msg"])
	}
	nodes := d["nodes"].([]any)
	found := false
	for _, n := range nodes {
		if n.(map[string]any)["label"] == "Deployment shop/web"+`</script><script>alert(1)</script><img src=x onerror=alert(2)> https://evil.example/x`+"\u2028" {
			found = true
		}
	}
	if !found {
		t.Errorf("hostile node label not kept exactly: %v", nodes)
	}
}

// TestHTMLPathsAndCompliance: path hops refer to the node table; the frameworks
// are those the findings' rules map to, the audit detections' map never.
func TestHTMLPathsAndCompliance(t *testing.T) {
	p := renderHTML(t, htmlPathReport())
	d := p.data(t)
	nodes := d["nodes"].([]any)
	var ap map[string]any
	for _, f := range d["findings"].([]any) {
		if a, ok := f.(map[string]any)["ap"]; ok {
			ap = a.(map[string]any)
		}
	}
	if ap == nil {
		t.Fatal("no attack path embedded")
	}
	label := func(v any) string { return nodes[int(v.(float64))].(map[string]any)["label"].(string) }
	hops := ap["hops"].([]any)
	var chain []string
	for _, h := range hops {
		hm := h.(map[string]any)
		chain = append(chain, label(hm["f"])+" -"+hm["k"].(string)+"-> ")
	}
	chain = append(chain, label(hops[len(hops)-1].(map[string]any)["t"]))
	if got := strings.Join(chain, ""); !strings.HasPrefix(got, "the internet -exposed-> Deployment shop/web") || !strings.HasSuffix(got, "-escalate-> cluster-admin") {
		t.Errorf("path %s", got)
	}
	if label(ap["entry"]) != "the internet" || label(ap["target"]) != "cluster-admin" {
		t.Error("entry or target")
	}
	if fix := ap["fix"].(map[string]any); fix["hop"].(float64) != 1 || fix["path"] != "spec.template.spec.automountServiceAccountToken" || fix["cutsAll"] != true {
		t.Errorf("fix %v", fix)
	}
	fws := map[string]map[string]any{}
	for _, fw := range d["frameworks"].([]any) {
		m := fw.(map[string]any)
		fws[m["id"].(string)] = m
	}
	if _, ok := fws["mitre-attack"]; ok {
		t.Error("the audit detections' map is a compliance view")
	}
	cis, ok := fws["cis-1.12"]
	if !ok {
		t.Fatalf("no CIS view: %v", fws)
	}
	var c522 map[string]any
	for _, c := range cis["controls"].([]any) {
		if c.(map[string]any)["id"] == "5.2.2" {
			c522 = c.(map[string]any)
		}
	}
	// PAL-T01 has a critical unsuppressed finding (the path) and a suppressed one.
	if c522 == nil || c522["status"] != "fail" || c522["worst"] != "critical" || c522["failing"].(float64) != 2 {
		t.Errorf("CIS 5.2.2 = %v", c522)
	}
	rulesFW := d["rules"].(map[string]any)["PAL-T01"].(map[string]any)["fw"].(map[string]any)
	if _, ok := rulesFW["cis-1.12"]; !ok {
		t.Errorf("PAL-T01 frameworks %v", rulesFW)
	}
}

// TestHTMLEmpty: a report without findings is a valid page.
func TestHTMLEmpty(t *testing.T) {
	p := renderHTML(t, emptyReport())
	if n := len(p.data(t)["findings"].([]any)); n != 0 {
		t.Errorf("%d findings", n)
	}
}

// manyFindings is a report of n findings over many objects, with paths.
func manyFindings(n int) *Report {
	fs := make([]finding.Finding, 0, n)
	for i := 0; i < n; i++ {
		obj := finding.ObjectRef{APIVersion: "apps/v1", Kind: "Deployment", Namespace: fmt.Sprintf("ns-%d", i%50), Name: fmt.Sprintf("app-%d", i/7)}
		id := testRules[i%len(testRules)].ID
		f := mkFinding(id, obj, "app", "spec.template.spec.containers[0].securityContext.privileged",
			finding.Location{File: fmt.Sprintf("k8s/app-%d.yaml", i/7), Line: 10 + i%7, Document: 1}, fmt.Sprintf("finding %d of a large report", i), nil)
		if i%20 == 0 {
			wl := finding.PathNode{ID: "workload:" + obj.Namespace + "/Deployment/" + obj.Name, Kind: "workload", Label: obj.String(), Namespace: obj.Namespace, Object: &obj}
			f.AttackPath = &finding.PathEvidence{Entry: "internet", Target: "node", Pivot: wl.ID, Hops: []finding.PathHop{
				{From: finding.PathNode{ID: "internet", Kind: "internet", Label: "the internet"}, To: wl, Kind: "exposed", Analyzer: "exposure", Evidence: []string{"NodePort Service"}},
				{From: wl, To: finding.PathNode{ID: "node", Kind: "node", Label: "node"}, Kind: "host", Analyzer: "workload", Evidence: []string{"privileged container app"}},
			}}
		}
		fs = append(fs, f)
	}
	return New("1.2.3", fs, nil, 100, n/7, n/7, finding.High, true, testRules)
}

// TestHTMLLarge: a report of many findings is written in bounded time and memory:
// rules' text is written once, not per finding, and the writer's allocations stay a
// small multiple of the output.
func TestHTMLLarge(t *testing.T) {
	r := manyFindings(20000)
	var size countWriter
	if err := Write(&size, r, "html", Options{}); err != nil {
		t.Fatal(err)
	}
	var jsonSize countWriter
	if err := Write(&jsonSize, r, "json", Options{}); err != nil {
		t.Fatal(err)
	}
	if size.n >= jsonSize.n {
		t.Errorf("HTML %d bytes, JSON %d: the page should be smaller than the JSON report", size.n, jsonSize.n)
	}
	if testing.Short() {
		// make race runs -short: the race detector's shadow memory counts as
		// allocation. make test holds the bound.
		return
	}
	allocs := testing.Benchmark(func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			Write(io.Discard, r, "html", Options{})
		}
	})
	if per := allocs.AllocedBytesPerOp(); per > 4*int64(size.n) {
		t.Errorf("writing %d bytes allocated %d", size.n, per)
	}
}

type countWriter struct{ n int }

func (c *countWriter) Write(p []byte) (int, error) { c.n += len(p); return len(p), nil }

func BenchmarkHTML(b *testing.B) {
	r := manyFindings(10000)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := Write(io.Discard, r, "html", Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestHTMLScriptParses: the embedded script is valid JavaScript (checked with node
// when it is installed; the browser tests run it).
func TestHTMLScriptParses(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not installed")
	}
	path := filepath.Join(t.TempDir(), "report.js")
	if err := os.WriteFile(path, []byte(htmlJS), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(node, "--check", path).CombinedOutput(); err != nil {
		t.Fatalf("node --check: %v\n%s", err, out)
	}
}

// FuzzHTMLHostile: whatever a finding's strings hold, the page keeps exactly two
// scripts, the data holds no '<' and decodes back to the same strings.
func FuzzHTMLHostile(f *testing.F) {
	for _, s := range []string{"</script><script>alert(1)</script>", "<!--", "]]>", "\u2028\u2029", "\x00\x7f\u202e", "<svg onload=x>", `"'&<>`} {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, msg, label string) {
		if !utf8.ValidString(msg) || !utf8.ValidString(label) {
			t.Skip() // findings hold valid UTF-8 (the JSON report requires it)
		}
		obj := finding.ObjectRef{APIVersion: "v1", Kind: "Pod", Namespace: label, Name: label}
		fd := mkFinding("PAL-T02", obj, label, label, finding.Location{File: label, Line: 1}, msg, nil)
		node := finding.PathNode{ID: "workload:" + label, Kind: "workload", Label: label}
		fd.AttackPath = &finding.PathEvidence{Entry: "internet", Target: "node", Hops: []finding.PathHop{
			{From: finding.PathNode{ID: "internet", Kind: "internet", Label: "the internet"}, To: node, Kind: "exposed", Evidence: []string{msg}},
		}}
		r := New("t", []finding.Finding{fd}, nil, 1, 1, 1, finding.High, true, testRules)
		p := renderHTML(t, r)
		if n := len(p.all(func(n *html.Node) bool { return n.Data == "script" })); n != 2 {
			t.Fatalf("%d scripts", n)
		}
		raw := text(p.byID("report-data"))
		if strings.ContainsAny(raw, "<>") {
			t.Fatal("'<' or '>' in the data")
		}
		d := p.data(t)
		got := d["findings"].([]any)[0].(map[string]any)
		if got["msg"] != msg {
			t.Fatalf("message %q, want %q", got["msg"], msg)
		}
		if ev := got["ap"].(map[string]any)["hops"].([]any)[0].(map[string]any)["e"].([]any)[0]; ev != msg {
			t.Fatalf("evidence %q, want %q", ev, msg)
		}
	})
}

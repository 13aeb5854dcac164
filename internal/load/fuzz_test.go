package load

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"text/template"
	"text/template/parse"
	"time"

	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"

	"sigs.k8s.io/kustomize/api/types"

	"go.yaml.in/yaml/v3"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/yamlpos"
)

// addSeeds adds every manifest file under testdata to the corpus, with a few hand-made
// edge cases.
func addSeeds(f *testing.F) {
	f.Helper()
	err := filepath.WalkDir("testdata", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			if d != nil && d.IsDir() && d.Name() == "fuzz" {
				return filepath.SkipDir
			}
			return err
		}
		switch filepath.Ext(p) {
		case ".yaml", ".yml", ".json":
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			f.Add(data)
		}
		return nil
	})
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{
		"", "---", "...", "--- |\n  x\n", "\xef\xbb\xbf---\r\na: 1\r\n...\r\n", "%YAML 1.2\n---\n",
		"a: &a [*a]\n", "<<: *x\n", "kind: List\napiVersion: v1\nitems: [1, [2], {kind: A}]\n",
		"{\"apiVersion\":\t\"v1\",\"kind\":\"List\",\"items\":null}",
		"a: &a {b: 1}\nc:\n  <<: [*a, {d: 2}]\n  e: 3\n",
		// Line breaks yaml.v3 knows besides LF: CR, NEL, LS, PS.
		"\r\r", "a: 1\r---\rb: 2\r", "a: 1\u0085---\u0085b: 2\n", "a: 1\u2028---\u2029b: 2",
		"a: 1\r\n---\r\nb: 2\r\n...\r\n", "a: 1\n... b: 2\n", "a: \"x\u0000y\"\n", "a: \"x\xffy\"\n",
		"a: &a [*a]\nb: *a\n", "a: &a [1, 2]\nb: &b [*a, *a]\nc: [*b, *b]\n",
	} {
		f.Add([]byte(s))
	}
}

func FuzzSplitDocuments(f *testing.F) {
	addSeeds(f)
	f.Fuzz(checkSplit)
}

// checkSplit holds the properties of splitting in.
func checkSplit(t *testing.T, in []byte) {
	var docs []document
	err := splitDocuments(bytes.NewReader(in), func(d document) error {
		d.data = bytes.Clone(d.data)
		docs = append(docs, d)
		return nil
	})
	if err != nil {
		t.Fatalf("split error on an in-memory reader: %v", err)
	}
	total := 0
	lines := yamlLines(in)
	for i, d := range docs {
		total += len(d.data)
		if d.err != "" {
			t.Errorf("doc %d: %s", i, d.err)
		}
		if blank(d.data) {
			t.Errorf("doc %d is blank but was emitted: %q", i, d.data)
		}
		if d.line < 1 || d.line > len(lines) {
			t.Errorf("doc %d starts on line %d, input has %d lines", i, d.line, len(lines))
		}
		if i > 0 {
			prev := docs[i-1]
			if d.index <= prev.index {
				t.Errorf("doc %d index %d not after %d", i, d.index, prev.index)
			}
			// Each line of a document's data is one input line, so the next document
			// cannot start before the previous one ends.
			if end := prev.line + len(yamlLines(prev.data)) - 1; d.line < end {
				t.Errorf("doc %d starts on line %d inside doc %d (lines %d..%d)", i, d.line, i-1, prev.line, end)
			}
		}
		// One YAML document each: CRLF, CR and NEL are LF, and no line inside starts
		// another document (a "..." line with content after it ends the data, for the
		// parser to refuse).
		if j := bytes.IndexAny(d.data, "\r\u0085"); j >= 0 {
			t.Errorf("doc %d keeps CR or NEL at %d: %q", i, j, d.data)
		}
		dl := yamlLines(d.data)
		for k, l := range dl {
			if l = append(l[:len(l):len(l)], '\n'); isMarker(l, "---") || isMarker(l, "...") && k < len(dl)-1 && len(bytes.TrimSpace(dl[k+1])) > 0 {
				t.Errorf("doc %d holds a document marker on its line %d: %q", i, k+1, d.data)
			}
		}
	}
	if total > len(in) {
		t.Errorf("documents hold %d bytes, input has %d", total, len(in))
	}
	// Nothing is dropped: every input line with content, but for markers, comments
	// and directives, is in a document.
	var all []byte
	for _, d := range docs {
		all = append(all, d.data...)
	}
	for n, l := range lines {
		if n == 0 {
			l = bytes.TrimPrefix(l, []byte("\xef\xbb\xbf"))
		}
		content := bytes.TrimLeft(l, " \t")
		if withLF := append(l[:len(l):len(l)], '\n'); isMarker(withLF, "---") || isMarker(withLF, "...") {
			content = bytes.TrimLeft(l[3:], " \t")
		}
		if len(content) == 0 || content[0] == '#' || len(l) > 0 && l[0] == '%' {
			continue // blank, a comment, a directive: dropped with a blank document
		}
		if !bytes.Contains(all, content) {
			t.Errorf("line %d (%q) is in no document: %q", n+1, l, all)
		}
	}
	// Without markers, line breaks other than LF or a BOM, splitting is the identity.
	if !bytes.Contains(in, []byte("---")) && !bytes.Contains(in, []byte("...")) &&
		!bytes.ContainsAny(in, "\r\u0085\u2028\u2029") && !bytes.HasPrefix(in, []byte("\xef\xbb\xbf")) {
		switch {
		case blank(in) && len(docs) != 0:
			t.Errorf("blank input gave %d documents", len(docs))
		case !blank(in) && (len(docs) != 1 || !bytes.Equal(docs[0].data, in) || docs[0].line != 1 || docs[0].index != 0):
			t.Errorf("unmarked input not kept whole: %d docs", len(docs))
		}
	}
	// The documents are the ones yaml.v3 reads from the whole stream, when it can. (A
	// BOM past the first loses yaml.v3 a character: "\ufeff\ufeff\n--- " reads as "--".)
	stream, ok := decodeStream(in)
	if !ok || bytes.Contains(bytes.TrimPrefix(in, []byte("\xef\xbb\xbf")), []byte("\xef\xbb\xbf")) {
		return
	}
	var split []any
	for _, d := range docs {
		var v any
		if err := yaml.Unmarshal(d.data, &v); err != nil {
			t.Fatalf("yaml.v3 reads the whole stream but not document %d (%q): %v", d.index, d.data, err)
		}
		if v != nil {
			split = append(split, v)
		}
	}
	if !reflect.DeepEqual(split, stream) {
		t.Errorf("split documents differ from yaml.v3's stream:\n split  %#v\n stream %#v", split, stream)
	}
}

// yamlLines splits in into lines at every break yaml.v3 knows (LF, CRLF, CR, NEL, LS,
// PS), without the breaks.
func yamlLines(in []byte) [][]byte {
	var out [][]byte
	start := 0
	for i := 0; i < len(in); i++ {
		w := 0
		switch {
		case in[i] == '\r' && i+1 < len(in) && in[i+1] == '\n':
			w = 2
		case in[i] == '\r' || in[i] == '\n':
			w = 1
		case bytes.HasPrefix(in[i:], []byte("\u0085")):
			w = 2
		case bytes.HasPrefix(in[i:], []byte("\u2028")), bytes.HasPrefix(in[i:], []byte("\u2029")):
			w = 3
		}
		if w > 0 {
			out = append(out, in[start:i])
			i += w - 1
			start = i + 1
		}
	}
	return append(out, in[start:])
}

// decodeStream decodes every document of in with yaml.v3, leaving out empty ones; ok
// is false when yaml.v3 fails on any.
func decodeStream(in []byte) (docs []any, ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(in))
	for {
		var v any
		err := dec.Decode(&v)
		if errors.Is(err, io.EOF) {
			return docs, true
		}
		if err != nil {
			return nil, false
		}
		if v != nil {
			docs = append(docs, v)
		}
	}
}

func FuzzParseDocument(f *testing.F) {
	addSeeds(f)
	f.Fuzz(checkParse)
}

// checkParse holds the properties of parsing in as one document.
func checkParse(t *testing.T, in []byte) {
	const start = 7
	opts := &Options{Decode: func(string, string) bool { return true }}
	base := finding.Location{File: "fuzz.yaml"}
	objs, errs := parseDocument(document{index: 2, line: start, data: in}, base, opts)
	// The line just past the document's last line break: the parser may place a
	// problem found at the end of the input (or an empty node there) on it. yaml.v3
	// breaks lines at LF, CRLF, CR, NEL, LS and PS alike.
	ls := yamlLines(in)
	last := start + len(ls) - 1
	if len(ls[len(ls)-1]) > 0 {
		last++
	}
	for _, e := range errs {
		if e.Location.Line < 1 {
			t.Errorf("input error without a line: %+v", e)
		}
		if e.Location.Line < start || e.Location.Line > last {
			t.Errorf("input error on line %d, outside the document (lines %d..%d): %+v", e.Location.Line, start, last, e)
		}
		if e.Location.File != "fuzz.yaml" || e.Location.Document != 2 {
			t.Errorf("input error lost its location: %+v", e.Location)
		}
		if e.Message == "" {
			t.Errorf("input error without a message")
		}
		// Encoding problems are placed on the line of the first character yaml.v3
		// cannot read.
		if yamlpos.EncodingProblem(strings.TrimPrefix(e.Message, "invalid YAML: ")) {
			if off := yamlpos.Unreadable(in); off < 0 || e.Location.Line != start+yamlpos.LineAt(in, off)-1 {
				t.Errorf("%q reported on line %d, the first unreadable character (at %d) is elsewhere", e.Message, e.Location.Line, off)
			}
		}
		// The loader is never stricter about aliases than the API server's decoder.
		if strings.Contains(e.Message, "excessive aliasing") {
			var v any
			if err := safeYAMLUnmarshal(in, &v); err == nil {
				t.Errorf("refused as %q, yaml.v3 decodes it", e.Message)
			}
		}
	}
	for _, o := range objs {
		if o == nil {
			t.Fatal("nil object")
		}
		if o.Origin.Line < start || o.Origin.Line > last {
			t.Errorf("object %s on line %d, outside the document (lines %d..%d)", o.Ref, o.Origin.Line, start, last)
		}
		if o.Ref.Kind == "" || o.Ref.APIVersion == "" {
			t.Errorf("object without kind or apiVersion: %+v", o.Ref)
		}
		for p, l := range o.Lines.All() {
			if l < start || l > last {
				t.Errorf("Lines[%q] = %d, outside the document (lines %d..%d)", p, l, start, last)
			}
			// Every path the table holds is found by its spelling.
			if got, ok := o.Lines.Line(p); !ok || got != l {
				t.Errorf("Lines.Line(%q) = %d, %v; the table holds it on line %d", p, got, ok, l)
			}
		}
	}
}

// safeYAMLUnmarshal is yaml.Unmarshal with its panics as errors.
func safeYAMLUnmarshal(in []byte, v any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errors.New("panic")
		}
	}()
	return yaml.Unmarshal(in, v)
}

// FuzzCheckKustomization reads arbitrary kustomization files the way the loader does
// before kustomize runs: it must not panic, every error names a file of the tree with
// a line inside it, and a kustomization that names a remote resource is refused.
func FuzzCheckKustomization(f *testing.F) {
	for _, s := range []string{
		"resources: [cm.yaml, ../base, https://example.com/x.yaml]\n",
		"RESOURCES: [git::https://h/org/repo//base?ref=v1]\n",
		"generators:\n- |\n  apiVersion: builtin\n  kind: ConfigMapGenerator\n  files: [http://x/y]\n",
		"secretGenerator:\n- name: s\n  literals: [password=x]\n  files: [k=f]\n  envs: [e.env]\n",
		"patches:\n- path: p.yaml\n- patch: |-\n    kind: Secret\n    data: {a: YWJj}\n",
		"a: &a [*a]\nresources: *a\n", "openapi: {path: s.json}\nhelmCharts: [{name: x}]\n",
		"transformers: ['{kind: PatchTransformer, path: \"https://x\"}']\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		dir := t.TempDir()
		kfile := filepath.Join(dir, "kustomization.yaml")
		if err := os.WriteFile(kfile, in, 0o644); err != nil {
			t.Fatal(err)
		}
		c := checkKustomization(dir, dir, 1<<20, true)
		lines := bytes.Count(in, []byte("\n")) + 1
		for _, e := range c.errs {
			if !within(e.Location.File, dir) || e.Location.Line < 0 || (e.Location.File == kfile && e.Location.Line > lines) {
				t.Errorf("error outside the input: %+v", e)
			}
		}
		var k types.Kustomization
		if k.Unmarshal(in) == nil {
			for _, r := range k.Resources {
				if strings.HasPrefix(r, "https://") && len(c.errs) == 0 {
					t.Errorf("remote resource %q accepted", r)
				}
			}
		}
	})
}

// FuzzRenderTemplate renders arbitrary templates with Palisade's bounded engine, with
// small limits: it must stop (no hang, no crash) and, when it renders, agree with
// Helm's engine, which can then safely run the same template.
func FuzzRenderTemplate(f *testing.F) {
	for _, s := range []string{
		`{{ .Values.a | default "x" | quote }}`, `{{ range until 3 }}{{ . }}{{ end }}`,
		`{{ define "a" }}{{ . }}{{ end }}{{ include "a" 1 }}`, `{{ tpl "{{ 1 }}" . }}`,
		`{{ $x := dict "a" 1 }}{{ $_ := set $x "b" 2 }}{{ toYaml $x }}`, `{{ repeat 5 "ab" | nindent 2 }}`,
		`{{ with .Values.b }}{{ . }}{{ else }}none{{ end }}`, `{{ range $k, $v := .Values }}{{ $k }}={{ $v }}{{ end }}`,
		`{{ .Capabilities.KubeVersion }} {{ .Release.Name }} {{ .Chart.Name }}`, `{{ fail "x" }}`,
		`{{ range 5 }}{{ break }}{{ end }}{{ .Files.Get "f" }}`,
	} {
		f.Add(s, "a: 1\nb: [x, y]\n")
	}
	f.Fuzz(func(t *testing.T, tpl, values string) {
		ch, err := loadInlineChart(map[string]string{"templates/x.yaml": tpl, "values.yaml": values, "f": "file"})
		if err != nil {
			return
		}
		rv, err := chartutil.ToRenderValues(ch, nil, chartutil.ReleaseOptions{Name: "rel", Namespace: "ns"}, nil)
		if err != nil {
			return
		}
		got, err := renderTemplates(ch, rv, RenderLimits{MaxBytes: 1 << 20, Timeout: 2 * time.Second})
		if err != nil || strings.Contains(tpl, "type") || strings.Contains(tpl, "%") || strings.Contains(tpl, "rand") ||
			strings.Contains(tpl, "now") || strings.Contains(tpl, "uuid") || strings.Contains(tpl, "gen") ||
			strings.Contains(tpl, "shuffle") || strings.Contains(tpl, "Kind") || strings.Contains(tpl, "derive") {
			return // stopped, or not reproducible, or printing a Go type name (renderValues)
		}
		want, err := engine.Render(ch, rv)
		if err != nil {
			t.Fatalf("Helm fails where Palisade renders %q: %v", got, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("renders differ:\nhelm     %q\npalisade %q", want, got)
		}
	})
}

// FuzzChartArchive reads arbitrary chart archives: checking them must not panic, and
// an archive accepted loads in memory only.
func FuzzChartArchive(f *testing.F) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for name, data := range map[string]string{"c/Chart.yaml": "apiVersion: v2\nname: c\nversion: 0.1.0\n", "c/templates/x.yaml": "a: 1\n"} {
		_ = tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg})
		_, _ = tw.Write([]byte(data))
	}
	_ = tw.WriteHeader(&tar.Header{Name: "c/l", Typeflag: tar.TypeSymlink, Linkname: "/etc/passwd"})
	_ = tw.Close()
	_ = zw.Close()
	f.Add(buf.Bytes())
	f.Add([]byte("\x1f\x8b\x08"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if checkChartArchive("fuzz.tgz", data, 0) == nil {
			_, _ = loader.LoadArchive(bytes.NewReader(data))
		}
	})
}

// FuzzTemplateNesting checks that templateNesting never counts less than the parser
// nests (it guards the parser, which recurses without a limit).
func FuzzTemplateNesting(f *testing.F) {
	for _, s := range []string{
		"{{if 1}}{{range .}}{{end}}{{end}}", `{{ "}}{{if 1}}" }}{{with 1}}{{end}}`, "{{/* }} */}}{{- if 1 -}}x{{- end -}}",
		"{{define \"a\"}}{{block \"b\" .}}{{end}}{{end}}", "{{if 1}}{{else if 2}}{{else}}{{end}}", "{{`}}`}}{{if 1}}{{end}}",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		bound := templateNesting(text)
		if bound > maxTemplateNesting {
			return
		}
		tt, err := template.New("t").Funcs(helmFuncs()).Parse(text)
		if err != nil {
			return
		}
		for _, x := range tt.Templates() {
			if x.Tree == nil {
				continue
			}
			// A define counts one level, as templateNesting counts it.
			if d := treeNesting(x.Tree.Root) + 1; d > bound+1 {
				t.Fatalf("parser nests %d deep, templateNesting says %d", d, bound)
			}
		}
	})
}

func treeNesting(n parse.Node) int {
	most := 0
	lists := func(ls ...*parse.ListNode) {
		for _, l := range ls {
			if l != nil {
				most = max(most, treeNesting(l))
			}
		}
	}
	switch n := n.(type) {
	case *parse.ListNode:
		for _, c := range n.Nodes {
			most = max(most, treeNesting(c))
		}
		return most
	case *parse.IfNode:
		lists(n.List, n.ElseList)
	case *parse.RangeNode:
		lists(n.List, n.ElseList)
	case *parse.WithNode:
		lists(n.List, n.ElseList)
	default:
		return 0
	}
	return most + 1
}

package load

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
)

// decodeAll fully decodes every kind, so that Body and Lines are filled.
func decodeAll(string, string) bool { return true }

// got is the part of a loaded object the tests compare.
type got struct {
	Kind, Name, Namespace string
	File                  string
	Line, Document        int
}

func summarize(objs []*inventory.Object) []got {
	out := make([]got, 0, len(objs))
	for _, o := range objs {
		out = append(out, got{
			Kind: o.Ref.Kind, Name: o.Ref.Name, Namespace: o.Ref.Namespace,
			File: o.Origin.File, Line: o.Origin.Line, Document: o.Origin.Document,
		})
	}
	return out
}

func mustLoad(t *testing.T, paths []string, opts Options) *Result {
	t.Helper()
	if opts.Decode == nil {
		opts.Decode = decodeAll
	}
	res := Load(paths, opts)
	if res == nil || res.Inventory == nil {
		t.Fatalf("Load(%v) returned no inventory", paths)
	}
	return res
}

func noErrors(t *testing.T, res *Result) {
	t.Helper()
	for _, e := range res.Errors {
		t.Errorf("unexpected input error: %v", e)
	}
}

func find(t *testing.T, res *Result, kind, name string) *inventory.Object {
	t.Helper()
	for _, o := range res.Inventory.Objects {
		if o.Ref.Kind == kind && o.Ref.Name == name {
			return o
		}
	}
	t.Fatalf("no %s/%s among %v", kind, name, summarize(res.Inventory.Objects))
	return nil
}

// field walks a decoded body: strings index maps, ints index lists.
func field(body map[string]any, path ...any) any {
	var cur any = body
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := cur.(map[string]any)
			if !ok {
				return nil
			}
			cur = m[k]
		case int:
			l, ok := cur.([]any)
			if !ok || k >= len(l) {
				return nil
			}
			cur = l[k]
		}
	}
	return cur
}

func TestLoadManifestFiles(t *testing.T) {
	tests := []struct {
		name string
		file string
		want []got
	}{
		{
			// Preamble comments, "--- # comment", a comment-only and an empty document
			// (skipped but counted), a "..." end marker followed by "---".
			name: "multi-document YAML",
			file: "testdata/multi.yaml",
			want: []got{
				{Kind: "ConfigMap", Name: "first", Line: 4, Document: 0},
				{Kind: "ConfigMap", Name: "second", Line: 11, Document: 1},
				{Kind: "Service", Name: "third", Line: 20, Document: 4},
				{Kind: "Secret", Name: "fourth", Line: 29, Document: 5},
			},
		},
		{
			name: "JSON",
			file: "testdata/deploy.json",
			want: []got{{Kind: "Deployment", Name: "json-deploy", Namespace: "web", Line: 1}},
		},
		{
			name: "tab-indented JSON",
			file: "testdata/tabs.json",
			want: []got{{Kind: "ConfigMap", Name: "tabbed", Line: 1}},
		},
		{
			name: "List and ConfigMapList expand their items",
			file: "testdata/list.yaml",
			want: []got{
				{Kind: "ConfigMap", Name: "item-one", Line: 4, Document: 0},
				{Kind: "Service", Name: "item-two", Line: 8, Document: 0},
				{Kind: "ConfigMap", Name: "cm-a", Line: 16, Document: 1},
				{Kind: "ConfigMap", Name: "cm-b", Line: 20, Document: 1},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := mustLoad(t, []string{tc.file}, Options{})
			noErrors(t, res)
			for i := range tc.want {
				tc.want[i].File = tc.file
				if tc.want[i].Namespace == "" {
					tc.want[i].Namespace = "default"
				}
			}
			if g := summarize(res.Inventory.Objects); !reflect.DeepEqual(g, tc.want) {
				t.Errorf("objects:\n got  %+v\n want %+v", g, tc.want)
			}
			if res.Files != 1 {
				t.Errorf("Files = %d, want 1", res.Files)
			}
			st, err := os.Stat(tc.file)
			if err != nil {
				t.Fatal(err)
			}
			if res.Bytes != st.Size() {
				t.Errorf("Bytes = %d, want %d", res.Bytes, st.Size())
			}
		})
	}
}

func TestLoadJSONBody(t *testing.T) {
	res := mustLoad(t, []string{"testdata/deploy.json", "testdata/tabs.json"}, Options{})
	noErrors(t, res)
	d := find(t, res, "Deployment", "json-deploy")
	if v := field(d.Body, "spec", "template", "spec", "containers", 0, "securityContext", "privileged"); v != true {
		t.Errorf("privileged = %v, want true", v)
	}
	if l, _ := d.Lines.Line("spec.template.spec.containers[0].securityContext.privileged"); l != 16 {
		t.Errorf("line of privileged = %d, want 16", l)
	}
	cm := find(t, res, "ConfigMap", "tabbed")
	if v := field(cm.Body, "data", "key"); v != "value" {
		t.Errorf("tabbed data.key = %v, want value", v)
	}
	if l, _ := cm.Lines.Line("data.key"); l != 8 {
		t.Errorf("tabbed line of data.key = %d, want 8", l)
	}
}

// TestLoadCRLFAndBOM rewrites LF test files with CRLF line ends and/or a BOM and checks
// that objects, document indexes and line tables do not move.
func TestLoadCRLFAndBOM(t *testing.T) {
	// Every line break yaml.v3 knows: a stream that uses CR alone, NEL, LS or PS still
	// holds all its documents (yaml.v3 would start a new one after any of them).
	variants := []struct {
		name string
		eol  string
		bom  bool
	}{
		{name: "crlf", eol: "\r\n"},
		{name: "bom", bom: true},
		{name: "bom+crlf", eol: "\r\n", bom: true},
		{name: "cr", eol: "\r"},
		{name: "nel", eol: "\u0085"},
		{name: "ls", eol: "\u2028"},
		{name: "ps", eol: "\u2029"},
		{name: "bom+cr", eol: "\r", bom: true},
	}
	for _, file := range []string{"testdata/multi.yaml", "testdata/deployment.yaml", "testdata/list.yaml"} {
		want := mustLoad(t, []string{file}, Options{})
		noErrors(t, want)
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range variants {
			t.Run(filepath.Base(file)+"/"+v.name, func(t *testing.T) {
				b := data
				if v.eol != "" {
					b = bytes.ReplaceAll(b, []byte("\n"), []byte(v.eol))
				}
				if v.bom {
					b = append([]byte("\xef\xbb\xbf"), b...)
				}
				p := filepath.Join(t.TempDir(), filepath.Base(file))
				if err := os.WriteFile(p, b, 0o644); err != nil {
					t.Fatal(err)
				}
				res := mustLoad(t, []string{p}, Options{})
				noErrors(t, res)
				g := summarize(res.Inventory.Objects)
				w := summarize(want.Inventory.Objects)
				for i := range w {
					w[i].File = p
				}
				if !reflect.DeepEqual(g, w) {
					t.Errorf("objects:\n got  %+v\n want %+v", g, w)
				}
				for i, o := range res.Inventory.Objects {
					wo := want.Inventory.Objects[i]
					if g, w := lineMap(o.Lines), lineMap(wo.Lines); !reflect.DeepEqual(g, w) {
						t.Errorf("%s: line table differs:\n got  %v\n want %v", o.Ref, g, w)
					}
					if !reflect.DeepEqual(o.Body, wo.Body) {
						t.Errorf("%s: body differs (a line break or BOM leaked into values?):\n got  %v\n want %v", o.Ref, o.Body, wo.Body)
					}
				}
			})
		}
	}
}

func TestLoadStdin(t *testing.T) {
	in := "# from a pipe\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: piped\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n"
	res := mustLoad(t, []string{"-"}, Options{Stdin: strings.NewReader(in)})
	noErrors(t, res)
	want := []got{
		{Kind: "ConfigMap", Name: "piped", Namespace: "default", File: "<stdin>", Line: 3, Document: 0},
		{Kind: "Secret", Name: "s", Namespace: "default", File: "<stdin>", Line: 8, Document: 1},
	}
	if g := summarize(res.Inventory.Objects); !reflect.DeepEqual(g, want) {
		t.Errorf("objects:\n got  %+v\n want %+v", g, want)
	}
	if res.Files != 1 || res.Bytes != int64(len(in)) {
		t.Errorf("Files, Bytes = %d, %d; want 1, %d", res.Files, res.Bytes, len(in))
	}
}

func TestLoadDirectoryWalk(t *testing.T) {
	res := mustLoad(t, []string{"testdata/walk"}, Options{})
	noErrors(t, res)
	var names []string
	for _, o := range res.Inventory.Objects {
		names = append(names, o.Ref.Name+"@"+filepath.ToSlash(o.Origin.File))
	}
	// Hidden directories (.hidden, sub/.config) and files that are not .yaml, .yml or
	// .json (notes.txt, README.md) are skipped.
	want := []string{
		"walk-a@testdata/walk/a.yaml",
		"walk-b@testdata/walk/sub/b.yml",
		"walk-c@testdata/walk/sub/deeper/c.json",
	}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("walked objects:\n got  %v\n want %v", names, want)
	}
	if res.Files != 3 {
		t.Errorf("Files = %d, want 3", res.Files)
	}
}

func TestLoadInputErrors(t *testing.T) {
	type wantErr struct {
		line     int
		document int
		contains string
	}
	tests := []struct {
		name      string
		path      string
		wantNames []string
		wantErrs  []wantErr
	}{
		{
			name:      "malformed document in the middle",
			path:      "testdata/malformed.yaml",
			wantNames: []string{"before", "after"},
			// The unclosed flow sequence opens on line 10 of the file.
			wantErrs: []wantErr{{line: 10, document: 1, contains: "invalid YAML"}},
		},
		{
			// A sequence of scalars is configuration (named by its file); a scalar
			// and a mapping with only one of apiVersion and kind are errors.
			name:      "documents that are not objects",
			path:      "testdata/notobject.yaml",
			wantNames: []string{"testdata/notobject.yaml", "fine"},
			wantErrs: []wantErr{
				{line: 1, document: 0, contains: "document is a scalar"},
				{line: 3, document: 1, contains: "missing kind"},
				{line: 7, document: 2, contains: "missing apiVersion"},
			},
		},
		{
			// YAML forbids repeated keys and kubectl rejects them; a key that a merge
			// (<<) brings in may be overridden.
			name:      "duplicate mapping keys",
			path:      "testdata/duplicate-keys.yaml",
			wantNames: []string{"before", "merged"},
			wantErrs: []wantErr{
				{line: 14, document: 1, contains: `mapping key "selector" already defined at line 11`},
				{line: 25, document: 2, contains: `mapping key "image" already defined at line 24`},
			},
		},
		{
			name:     "nonexistent path",
			path:     "testdata/does-not-exist.yaml",
			wantErrs: []wantErr{{line: 0, contains: "no such file"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := mustLoad(t, []string{tc.path}, Options{})
			var names []string
			for _, o := range res.Inventory.Objects {
				names = append(names, o.Ref.Name)
			}
			if !reflect.DeepEqual(names, tc.wantNames) {
				t.Errorf("objects = %v, want %v", names, tc.wantNames)
			}
			if len(res.Errors) != len(tc.wantErrs) {
				t.Fatalf("errors = %v, want %d", res.Errors, len(tc.wantErrs))
			}
			for i, w := range tc.wantErrs {
				e := res.Errors[i]
				if e.Location.File != tc.path {
					t.Errorf("error %d file = %q, want %q", i, e.Location.File, tc.path)
				}
				if e.Location.Line != w.line || e.Location.Document != w.document {
					t.Errorf("error %d at line %d doc %d, want line %d doc %d (%v)", i, e.Location.Line, e.Location.Document, w.line, w.document, e)
				}
				if !strings.Contains(e.Message, w.contains) {
					t.Errorf("error %d message %q does not contain %q", i, e.Message, w.contains)
				}
			}
		})
	}
}

// TestLoadErrorDoesNotStopOtherInputs checks that a broken input never hides the others.
func TestLoadErrorDoesNotStopOtherInputs(t *testing.T) {
	res := mustLoad(t, []string{"testdata/does-not-exist.yaml", "testdata/malformed.yaml", "testdata/deploy.json"}, Options{})
	if len(res.Errors) != 2 {
		t.Errorf("errors = %v, want 2", res.Errors)
	}
	if len(res.Inventory.Objects) != 3 {
		t.Errorf("objects = %v, want 3", summarize(res.Inventory.Objects))
	}
}

func TestLinesTable(t *testing.T) {
	res := mustLoad(t, []string{"testdata/deployment.yaml"}, Options{})
	noErrors(t, res)
	d := find(t, res, "Deployment", "web")
	tests := []struct {
		path string
		line int
	}{
		{"apiVersion", 1},
		{"metadata.name", 4},
		{"metadata.annotations['a.b/c']", 9},
		{"metadata.annotations.plain", 10},
		{"spec.replicas", 12},
		{"spec.template.spec.containers", 19},
		{"spec.template.spec.containers[0]", 19},
		{"spec.template.spec.containers[0].image", 20},
		{"spec.template.spec.containers[0].securityContext", 22},
		{"spec.template.spec.containers[0].securityContext.privileged", 22},
		{"spec.template.spec.containers[0].securityContext.runAsUser", 23},
		{"spec.template.spec.containers[1].name", 24},
		{"spec.template.spec.containers[1].image", 25},
	}
	for _, tc := range tests {
		if l, ok := d.Lines.Line(tc.path); !ok || l != tc.line {
			t.Errorf("Lines[%q] = %d (present %v), want %d", tc.path, l, ok, tc.line)
		}
	}
	if _, ok := d.Lines.Line("metadata.annotations.a.b/c"); ok {
		t.Errorf("dotted key recorded unbracketed")
	}
	// A missing field resolves to its deepest existing parent.
	if l := d.LineOf("spec.template.spec.containers[1].securityContext.privileged"); l != 24 {
		t.Errorf("LineOf(missing field) = %d, want 24", l)
	}
	if v := field(d.Body, "metadata", "annotations", "a.b/c"); v != "dotted" {
		t.Errorf("annotation a.b/c = %v", v)
	}
	if d.Annotations["a.b/c"] != "dotted" || d.Labels["app"] != "web" {
		t.Errorf("header annotations %v labels %v", d.Annotations, d.Labels)
	}
	if v := field(d.Body, "spec", "replicas"); v != int64(2) {
		t.Errorf("replicas = %#v, want int64(2)", v)
	}
}

func TestUndecodedKindsKeepOnlyTheirHeader(t *testing.T) {
	res := mustLoad(t, []string{"testdata/deployment.yaml"}, Options{Decode: func(_, kind string) bool { return kind == "Pod" }})
	noErrors(t, res)
	d := find(t, res, "Deployment", "web")
	if d.Body != nil || d.Lines != nil {
		t.Errorf("undecoded Deployment has Body %v Lines %v", d.Body, d.Lines)
	}
	if d.Ref.Namespace != "shop" || d.Labels["app"] != "web" {
		t.Errorf("header not read: %+v %v", d.Ref, d.Labels)
	}
	// Annotation lines are header lines: they resolve without the body.
	for path, want := range map[string]int{
		"metadata.annotations":          8,
		"metadata.annotations['a.b/c']": 9,
		"metadata.annotations.plain":    10,
		"metadata.annotations.missing":  8,
	} {
		if l := d.LineOf(path); l != want {
			t.Errorf("LineOf(%q) = %d, want %d", path, l, want)
		}
	}
}

func TestAnchorsAndMergeKeys(t *testing.T) {
	res := mustLoad(t, []string{"testdata/anchors.yaml"}, Options{})
	noErrors(t, res)
	d := find(t, res, "Deployment", "anchored")
	wantLabels := map[string]any{"app": "anchored", "tier": "backend"}
	if v := field(d.Body, "spec", "template", "metadata", "labels"); !reflect.DeepEqual(v, wantLabels) {
		t.Errorf("alias labels = %v, want %v", v, wantLabels)
	}
	c0 := field(d.Body, "spec", "template", "spec", "containers", 0)
	c1 := field(d.Body, "spec", "template", "spec", "containers", 1)
	wantC0 := map[string]any{"name": "one", "image": "nginx",
		"securityContext": map[string]any{"privileged": false, "runAsNonRoot": true}}
	wantC1 := map[string]any{"name": "two", "image": "nginx",
		"securityContext": map[string]any{"privileged": true, "runAsNonRoot": true}}
	if !reflect.DeepEqual(c0, wantC0) {
		t.Errorf("container 0 = %v, want %v", c0, wantC0)
	}
	if !reflect.DeepEqual(c1, wantC1) {
		t.Errorf("container 1 = %v, want %v", c1, wantC1)
	}
	// Keys written next to a merge key win over merged ones, and so do their lines:
	// a finding on container two's privileged must point at "privileged: true".
	lines := []struct {
		path string
		line int
	}{
		{"spec.template.spec.containers[1].name", 21},
		{"spec.template.spec.containers[1].securityContext", 23},
		{"spec.template.spec.containers[1].securityContext.privileged", 24},
		{"spec.template.spec.containers[1].image", 16},
		{"spec.template.spec.containers[1].securityContext.runAsNonRoot", 19},
		{"spec.template.spec.containers[0].securityContext.privileged", 18},
	}
	for _, tc := range lines {
		if l, _ := d.Lines.Line(tc.path); l != tc.line {
			t.Errorf("Lines[%q] = %d, want %d", tc.path, l, tc.line)
		}
	}
}

func TestMergeKeyOverriddenMappingLeavesNoStaleLines(t *testing.T) {
	in := `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  base: &b
    securityContext:
      runAsUser: 0
  containers:
  - <<: *b
    name: c
    securityContext:
      privileged: true
`
	res := mustLoad(t, []string{"-"}, Options{Stdin: strings.NewReader(in)})
	noErrors(t, res)
	p := find(t, res, "Pod", "p")
	want := map[string]any{"privileged": true}
	if v := field(p.Body, "spec", "containers", 0, "securityContext"); !reflect.DeepEqual(v, want) {
		t.Errorf("securityContext = %v, want %v", v, want)
	}
	// runAsUser was overridden away with the whole mapping: it has no line of its own.
	if l, ok := p.Lines.Line("spec.containers[0].securityContext.runAsUser"); ok {
		t.Errorf("overridden merged field has line %d", l)
	}
	if l, _ := p.Lines.Line("spec.containers[0].securityContext"); l != 13 {
		t.Errorf("securityContext line = %d, want 13", l)
	}
}

func TestNamespaceResolution(t *testing.T) {
	tests := []struct {
		name string
		flag string
		want map[string]string
	}{
		{
			name: "default namespace",
			want: map[string]string{
				"ConfigMap/explicit": "team-a", "ConfigMap/implicit": "default",
				"ClusterRole/reader": "", "CustomResourceDefinition/widgets.example.com": "",
				"Widget/my-widget": "", "Gadget/my-gadget": "default",
				"EncryptionConfiguration/": "", "Policy/": "", "EncryptionConfig/": "", "Policy/namespaced-policy": "default",
			},
		},
		{
			name: "namespace option",
			flag: "ns-flag",
			want: map[string]string{
				"ConfigMap/explicit": "team-a", "ConfigMap/implicit": "ns-flag",
				"ClusterRole/reader": "", "CustomResourceDefinition/widgets.example.com": "",
				"Widget/my-widget": "", "Gadget/my-gadget": "ns-flag",
				"EncryptionConfiguration/": "", "Policy/": "", "EncryptionConfig/": "", "Policy/namespaced-policy": "ns-flag",
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := mustLoad(t, []string{"testdata/namespaces.yaml"}, Options{Namespace: tc.flag})
			noErrors(t, res)
			g := map[string]string{}
			for _, o := range res.Inventory.Objects {
				g[o.Ref.Kind+"/"+o.Ref.Name] = o.Ref.Namespace
			}
			if !reflect.DeepEqual(g, tc.want) {
				t.Errorf("namespaces:\n got  %v\n want %v", g, tc.want)
			}
			crd := find(t, res, "CustomResourceDefinition", "widgets.example.com")
			if crd.CRD == nil || crd.CRD.Kind != "Widget" || crd.CRD.Scope != "Cluster" || crd.CRD.Group != "example.com" {
				t.Errorf("CRD info = %+v", crd.CRD)
			}
		})
	}
}

// --- Helm ---

func TestHelmChart(t *testing.T) {
	chart := filepath.Join("testdata", "chart", "mychart")
	deployFile := filepath.Join(chart, "templates", "deployment.yaml")
	cmFile := filepath.Join(chart, "templates", "configmap.yaml")
	tests := []struct {
		name       string
		opts       Options
		wantFiles  []string
		wantNS     string
		wantName   string
		replicas   int64
		image      string
		privileged bool
	}{
		{
			name:      "default values",
			wantFiles: []string{deployFile},
			wantNS:    "default", wantName: "release-name-mychart",
			replicas: 1, image: "nginx:1.27",
		},
		{
			name: "values file",
			opts: Options{Helm: HelmOptions{ValuesFiles: []string{"testdata/chart/values-prod.yaml"}}},
			// values-prod.yaml turns on the ConfigMap template too.
			wantFiles: []string{cmFile, deployFile},
			wantNS:    "default", wantName: "release-name-mychart",
			replicas: 3, image: "nginx:prod",
		},
		{
			name: "set, release name and namespace",
			opts: Options{
				Namespace: "shop",
				Helm:      HelmOptions{Set: []string{"privileged=true", "replicas=5"}, ReleaseName: "rel"},
			},
			wantFiles: []string{deployFile},
			wantNS:    "shop", wantName: "rel-mychart",
			replicas: 5, image: "nginx:1.27", privileged: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := mustLoad(t, []string{chart}, tc.opts)
			noErrors(t, res)
			var files []string
			for _, o := range res.Inventory.Objects {
				if o.IsConfigFile() {
					continue // values files: TestChartValuesAreConfiguration
				}
				files = append(files, o.Origin.File)
				if o.Origin.Renderer != "helm chart mychart" || !o.Origin.Rendered {
					t.Errorf("%s origin = %+v, want renderer \"helm chart mychart\", rendered", o.Ref, o.Origin)
				}
				if o.Origin.Line < 1 {
					t.Errorf("%s has no line", o.Ref)
				}
			}
			if !reflect.DeepEqual(files, tc.wantFiles) {
				t.Errorf("files = %v, want %v (NOTES.txt and _helpers.tpl are not manifests)", files, tc.wantFiles)
			}
			d := find(t, res, "Deployment", tc.wantName)
			if d.Ref.Namespace != tc.wantNS {
				t.Errorf("namespace = %q, want %q (.Release.Namespace)", d.Ref.Namespace, tc.wantNS)
			}
			if v := field(d.Body, "spec", "replicas"); v != tc.replicas {
				t.Errorf("replicas = %#v, want %d", v, tc.replicas)
			}
			if v := field(d.Body, "spec", "template", "spec", "containers", 0, "image"); v != tc.image {
				t.Errorf("image = %v, want %v", v, tc.image)
			}
			if v := field(d.Body, "spec", "template", "spec", "containers", 0, "securityContext", "privileged"); v != tc.privileged {
				t.Errorf("privileged = %v, want %v", v, tc.privileged)
			}
			if l, _ := d.Lines.Line("spec.template.spec.containers[0].securityContext.privileged"); l != 14 {
				t.Errorf("rendered line of privileged = %d, want 14", l)
			}
		})
	}
}

// writeChartArchive packs a chart directory the way `helm package` does: a gzipped tar
// whose entries sit under the chart's name.
func writeChartArchive(t *testing.T, dir, name, out string) {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		hdr := &tar.Header{Name: name + "/" + filepath.ToSlash(rel), Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		_, err = tw.Write(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestHelmChartArchive(t *testing.T) {
	archive := filepath.Join(t.TempDir(), "mychart-0.1.0.tgz")
	writeChartArchive(t, filepath.Join("testdata", "chart", "mychart"), "mychart", archive)
	res := mustLoad(t, []string{archive}, Options{Helm: HelmOptions{Set: []string{"image=nginx:tgz"}}})
	noErrors(t, res)
	want := []got{{
		Kind: "Deployment", Name: "release-name-mychart", Namespace: "default",
		File: archive + "#templates/deployment.yaml", Line: 1,
	}}
	if g := summarize(objectsOnly(res)); !reflect.DeepEqual(g, want) {
		t.Fatalf("objects:\n got  %+v\n want %+v", g, want)
	}
	o := res.Inventory.Objects[0]
	if o.Origin.Renderer != "helm chart mychart" || !o.Origin.Rendered {
		t.Errorf("origin = %+v", o.Origin)
	}
	if v := field(o.Body, "spec", "template", "spec", "containers", 0, "image"); v != "nginx:tgz" {
		t.Errorf("image = %v, want nginx:tgz", v)
	}

	// An archive found by a directory walk renders too.
	res = mustLoad(t, []string{filepath.Dir(archive)}, Options{})
	noErrors(t, res)
	if objs := objectsOnly(res); len(objs) != 1 || objs[0].Origin.Renderer != "helm chart mychart" {
		t.Errorf("walked archive: %+v", summarize(res.Inventory.Objects))
	}
}

// objectsOnly are the Kubernetes objects of a load, without configuration files.
func objectsOnly(res *Result) []*inventory.Object {
	var out []*inventory.Object
	for _, o := range res.Inventory.Objects {
		if !o.IsConfigFile() {
			out = append(out, o)
		}
	}
	return out
}

func TestHelmMissingDependency(t *testing.T) {
	chart := filepath.Join("testdata", "chart", "nodep")
	res := mustLoad(t, []string{chart, "testdata/deploy.json"}, Options{})
	if len(res.Errors) != 1 {
		t.Fatalf("errors = %v, want 1", res.Errors)
	}
	e := res.Errors[0]
	if e.Location.File != chart || !strings.Contains(e.Message, "missingdep") {
		t.Errorf("error = %v; want it on %s naming the dependency missingdep", e, chart)
	}
	if len(res.Inventory.Objects) != 1 || res.Inventory.Objects[0].Ref.Name != "json-deploy" {
		t.Errorf("other inputs not loaded: %+v", summarize(res.Inventory.Objects))
	}
}

// --- Kustomize ---

func TestKustomizeOverlay(t *testing.T) {
	overlay := filepath.Join("testdata", "kustomize", "overlay")
	base := filepath.Join("testdata", "kustomize", "base")
	for _, tc := range []struct {
		name string
		path string
	}{
		{"overlay directory", overlay},
		// The walk finds base and overlay; the base is scanned only through the overlay.
		{"parent directory", filepath.Join("testdata", "kustomize")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := mustLoad(t, []string{tc.path}, Options{})
			noErrors(t, res)
			want := []got{
				{Kind: "Deployment", Name: "prod-api", Namespace: "default", File: filepath.Join(base, "deployment.yaml"), Line: 1},
				{Kind: "Service", Name: "prod-api", Namespace: "default", File: filepath.Join(base, "service.yaml"), Line: 1},
			}
			if g := summarize(res.Inventory.Objects); !reflect.DeepEqual(g, want) {
				t.Fatalf("objects:\n got  %+v\n want %+v", g, want)
			}
			for _, o := range res.Inventory.Objects {
				if o.Origin.Renderer != "kustomize overlay "+overlay || !o.Origin.Rendered {
					t.Errorf("%s origin = %+v, want renderer %q", o.Ref, o.Origin, "kustomize overlay "+overlay)
				}
				for k := range o.Annotations {
					if strings.HasPrefix(k, "config.kubernetes.io/") || strings.HasPrefix(k, "internal.config.kubernetes.io/") {
						t.Errorf("%s keeps build annotation %s", o.Ref, k)
					}
				}
			}
			d := find(t, res, "Deployment", "prod-api")
			if v := field(d.Body, "spec", "template", "spec", "containers", 0, "securityContext", "privileged"); v != true {
				t.Errorf("patched privileged = %v, want true", v)
			}
			if v := field(d.Body, "spec", "template", "spec", "containers", 0, "image"); v != "example/api:1.0" {
				t.Errorf("image from base = %v", v)
			}
		})
	}
}

func TestKustomizeBuildError(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte("resources:\n- missing.yaml\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	res := mustLoad(t, []string{dir, "testdata/tabs.json"}, Options{})
	if len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Message, "kustomize build") ||
		res.Errors[0].Location.File != filepath.Join(dir, "kustomization.yaml") {
		t.Errorf("errors = %v, want one kustomize build error on the kustomization file", res.Errors)
	}
	if len(res.Inventory.Objects) != 1 {
		t.Errorf("other inputs not loaded: %+v", summarize(res.Inventory.Objects))
	}
}

// --- splitDocuments directly ---

func TestSplitDocuments(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []document
	}{
		{
			name: "no markers",
			in:   "a: 1\nb: 2\n",
			want: []document{{index: 0, line: 1, data: []byte("a: 1\nb: 2\n")}},
		},
		{
			name: "content after marker",
			in:   "--- {a: 1}\n--- |\n  text\n",
			want: []document{
				{index: 0, line: 1, data: []byte("    {a: 1}\n")},
				{index: 1, line: 2, data: []byte("    |\n  text\n")},
			},
		},
		{
			name: "markers need a blank or line end after them",
			in:   "a: 1\n----\n---x: 2\n",
			want: []document{{index: 0, line: 1, data: []byte("a: 1\n----\n---x: 2\n")}},
		},
		{
			name: "only comments and empty documents",
			in:   "# c\n---\n---\n# d\n...\n",
			want: nil,
		},
		{
			name: "content after a marker keeps its column",
			in:   "--- ... x\n--- --- y\n---\t%z\n",
			want: []document{
				{index: 0, line: 1, data: []byte("    ... x\n")},
				{index: 1, line: 2, data: []byte("    --- y\n")},
				{index: 2, line: 3, data: []byte("    %z\n")},
			},
		},
		{
			name: "a marker line longer than the read buffer",
			in:   "---" + strings.Repeat(" ", 2*lineBufSize) + "{b: 2}\n",
			want: []document{{index: 0, line: 1, data: []byte(strings.Repeat(" ", 3+2*lineBufSize) + "{b: 2}\n")}},
		},
		{
			name: "line breaks other than LF",
			in:   "a: 1\r---\r\nb: 2\u0085---\u2028c: 3\u2029...\rd: 4\r",
			want: []document{
				{index: 0, line: 1, data: []byte("a: 1\n")},
				{index: 1, line: 2, data: []byte("\nb: 2\n")},
				{index: 2, line: 4, data: []byte("\nc: 3\u2029\n")},
				{index: 3, line: 7, data: []byte("d: 4\n")},
			},
		},
		{
			name: "content after an end marker stays, for the parser to refuse",
			in:   "a: 1\n... b: 2\nc: 3\n",
			want: []document{
				{index: 0, line: 1, data: []byte("a: 1\n... b: 2\n")},
				{index: 1, line: 3, data: []byte("c: 3\n")},
			},
		},
		{
			name: "no trailing newline",
			in:   "---\na: 1",
			want: []document{{index: 0, line: 1, data: []byte("\na: 1")}},
		},
		{
			name: "directive before the marker",
			in:   "%YAML 1.2\n---\na: 1\n",
			want: []document{{index: 0, line: 2, data: []byte("\na: 1\n")}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var docs []document
			err := splitDocuments(strings.NewReader(tc.in), func(d document) error {
				d.data = append([]byte(nil), d.data...)
				docs = append(docs, d)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(docs, tc.want) {
				t.Errorf("documents:\n got  %s\n want %s", fmtDocs(docs), fmtDocs(tc.want))
			}
		})
	}
}

func TestInputErrorString(t *testing.T) {
	e := finding.InputError{Location: finding.Location{File: "a.yaml", Line: 3}, Message: "bad"}
	if e.Error() != "a.yaml:3: bad" {
		t.Errorf("Error() = %q", e.Error())
	}
}

func fmtDocs(ds []document) string {
	var b strings.Builder
	for _, d := range ds {
		b.WriteString("{" + strconv.Itoa(d.index) + " " + strconv.Itoa(d.line) + " " + strconv.Quote(string(d.data)) + "} ")
	}
	return b.String()
}

// Two inputs that define the same object (API group, kind, namespace and name) give a
// notice at the later definition naming the first, not an error; both objects stay in
// the inventory, so both are checked.
func TestLoadDuplicateObjects(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	a := write("a.yaml", `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg}
---
apiVersion: v1
kind: ConfigMap
metadata: {generateName: job-}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: reader}
`)
	b := write("b.yaml", `# the same application, copied
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
---
apiVersion: extensions/v1beta1
kind: Deployment
metadata: {name: web, namespace: shop}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg, namespace: default}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg, namespace: other}
---
apiVersion: v1
kind: ConfigMap
metadata: {generateName: job-}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: reader}
`)
	res := mustLoad(t, []string{a, b}, Options{})
	noErrors(t, res)
	if n := len(res.Inventory.Objects); n != 10 {
		t.Errorf("%d objects, want all 10 kept", n)
	}
	var got []string
	for _, n := range res.Notices {
		got = append(got, n.String())
	}
	want := []string{
		b + ":2: Deployment/shop/web is defined twice: here and at " + a + ":1; a cluster keeps one of them (the last applied), but both are checked",
		b + ":10: ConfigMap/default/cfg is defined twice: here and at " + a + ":5; a cluster keeps one of them (the last applied), but both are checked",
		b + ":22: ClusterRole/reader is defined twice: here and at " + a + ":13; a cluster keeps one of them (the last applied), but both are checked",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("notices:\n got  %q\n want %q", got, want)
	}
}

// A notice names the chart or overlay that rendered the first definition.
func TestDuplicatesNameTheRenderer(t *testing.T) {
	inv := &inventory.Inventory{Objects: []*inventory.Object{
		{Ref: finding.ObjectRef{APIVersion: "v1", Kind: "Service", Namespace: "shop", Name: "api"},
			Origin: finding.Location{File: "chart/templates/service.yaml", Line: 3, Renderer: "helm chart api", Rendered: true}},
		{Ref: finding.ObjectRef{APIVersion: "v1", Kind: "Service", Namespace: "shop", Name: "api"},
			Origin: finding.Location{File: "service.yaml", Line: 1}},
	}}
	for _, o := range inv.Objects {
		o.HeaderLines.Name = o.Origin.Line + 2
	}
	ns := Duplicates(inv)
	if len(ns) != 1 || ns[0].Location.File != "service.yaml" ||
		!strings.Contains(ns[0].Message, "chart/templates/service.yaml (rendered line 3) (helm chart api)") {
		t.Errorf("notices = %+v", ns)
	}
}

// lineMap is a line table as a map from path to line.
func lineMap(l *inventory.Lines) map[string]int {
	m := map[string]int{}
	for p, n := range l.All() {
		m[p] = n
	}
	return m
}

// The documents do not depend on how the stream arrives: byte by byte, in halves, or
// with line breaks straddling the read buffer's edge.
func TestSplitIndependentOfReads(t *testing.T) {
	split := func(r io.Reader) string {
		var docs []document
		err := splitDocuments(r, func(d document) error {
			d.data = bytes.Clone(d.data)
			docs = append(docs, d)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return fmtDocs(docs)
	}
	var inputs []string
	for _, brk := range []string{"\n", "\r\n", "\r", "\u0085", "\u2028", "\u2029"} {
		for pad := lineBufSize - 6; pad <= lineBufSize+2; pad++ {
			long := "a: " + strings.Repeat("x", pad)
			inputs = append(inputs, long+brk+"---"+brk+"b: 1"+brk, "--- "+long+brk+"..."+brk+"c: 2")
		}
	}
	inputs = append(inputs, "... "+strings.Repeat("y", 2*lineBufSize)+"\nz: 1\n---\nw: 2\n",
		"a: 1\n---"+strings.Repeat(" ", 2*lineBufSize)+"{b: 2}\n---\nc: 3\n")
	for _, in := range inputs {
		whole := split(strings.NewReader(in))
		if got := split(iotest.OneByteReader(strings.NewReader(in))); got != whole {
			t.Errorf("byte by byte:\n got  %.300s\n want %.300s", got, whole)
		}
		if got := split(iotest.HalfReader(strings.NewReader(in))); got != whole {
			t.Errorf("in halves:\n got  %.300s\n want %.300s", got, whole)
		}
		if strings.Count(whole, "{") < 2 {
			t.Errorf("%q: %s", in[:10], whole)
		}
	}
}

package load

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
)

const privilegedPod = `apiVersion: v1
kind: Pod
metadata:
  name: priv
spec:
  containers:
  - name: c
    image: nginx
    securityContext:
      privileged: true
`

// allocated returns the bytes f allocates (the loader parses one document on the
// calling goroutine when Workers is 1).
func allocated(f func()) uint64 {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// nested is a Pod whose spec holds a mapping nested depth levels deep under keys of
// keyLen characters, in flow style, one level a line, so that its size is linear in
// the depth (the shape of the report: 1.8 MB for 9,000 levels of 200-character keys).
func nested(depth, keyLen int) []byte {
	var b bytes.Buffer
	b.WriteString("apiVersion: v1\nkind: Pod\nmetadata:\n  name: deep\nspec:\n")
	key := strings.Repeat("k", keyLen)
	for i := 0; i < depth; i++ {
		fmt.Fprintf(&b, " {%s%d:\n", key, i)
	}
	fmt.Fprintf(&b, " {leaf: 1%s\n", strings.Repeat("}", depth+1))
	return b.Bytes()
}

// Item 8: the line table stores each field as one step below its parent, so its cost
// is linear in the depth: doubling the depth of a document nested under long keys
// doubles what decoding it allocates (it quadrupled when every field kept its whole
// path), and the deepest field still resolves.
func TestDeepNestingCostsLinearMemory(t *testing.T) {
	cost := func(depth int) uint64 {
		doc := nested(depth, 100)
		opts := &Options{Decode: decodeAll}
		var objs []*inventory.Object
		var errs []finding.InputError
		n := allocated(func() {
			objs, errs = parseDocument(document{line: 1, data: doc}, finding.Location{File: "deep.yaml"}, opts)
		})
		if len(objs) != 1 || len(errs) > 0 {
			t.Fatalf("depth %d: %d objects, errors %v", depth, len(objs), errs)
		}
		path := "spec"
		for i := 0; i < depth; i++ {
			path = inventory.FieldPath(path, strings.Repeat("k", 100)+strconv.Itoa(i))
		}
		if l, ok := objs[0].Lines.Line(path + ".leaf"); !ok || l != 6+depth {
			t.Errorf("depth %d: deepest field on line %d (found %v), want %d", depth, l, ok, 6+depth)
		}
		return n
	}
	small, large := cost(1000), cost(2000)
	t.Logf("decoding allocates %d KiB at depth 1000, %d KiB at depth 2000", small>>10, large>>10)
	if large > 3*small {
		t.Errorf("doubling the depth multiplied allocation by %.1f (want about 2: linear)", float64(large)/float64(small))
	}
}

// Item 8: the total length of an object's field paths is capped, so that nothing that
// spells them out (reports, rules walking a body) can be made to grow with the square
// of the depth.
func TestPathBytesCap(t *testing.T) {
	doc := nested(300, 100) // paths add up to about 300*300/2*100 = 4.5 MB
	opts := &Options{Decode: decodeAll, Limits: Limits{MaxPathBytes: 1 << 20}}
	objs, errs := parseDocument(document{line: 3, data: doc}, finding.Location{File: "deep.yaml"}, opts)
	if len(objs) != 0 || len(errs) != 1 {
		t.Fatalf("objects %d, errors %v; want the object refused", len(objs), errs)
	}
	e := errs[0]
	if !strings.Contains(e.Message, "more than 1Mi") || e.Location.File != "deep.yaml" || e.Location.Line < 3 {
		t.Errorf("error = %v, want the path cap named, in deep.yaml", e)
	}
	// The same document is fine under the default cap.
	opts.Limits = Limits{}
	if objs, errs := parseDocument(document{line: 3, data: doc}, finding.Location{File: "deep.yaml"}, opts); len(objs) != 1 || len(errs) != 0 {
		t.Errorf("default limits: objects %d, errors %v", len(objs), errs)
	}
	// The reported manifest (1.8 MB, 9,000 levels of 200-character keys: 8 GB of paths)
	// is refused at the default cap, having cost little more than its parse.
	doc = nested(9000, 200)
	alloc := allocated(func() {
		objs, errs = parseDocument(document{line: 1, data: doc}, finding.Location{File: "deep.yaml"}, opts)
	})
	if len(objs) != 0 || len(errs) != 1 || !strings.Contains(errs[0].Message, "more than 256Mi") {
		t.Errorf("9,000 levels: objects %d, errors %v; want the default path cap", len(objs), errs)
	}
	if alloc > 256<<20 {
		t.Errorf("9,000 levels: %d MiB allocated", alloc>>20)
	}
	t.Logf("9,000 levels refused after allocating %d MiB", alloc>>20)
}

// Item 9: a document larger than the cap is an input error naming its file, document
// and line; the documents around it are still read.
func TestDocumentSizeCap(t *testing.T) {
	big := `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"big"},"data":{"x":"` + strings.Repeat("a", 200<<10) + `"}}`
	in := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: before\n---\n" + big + "\n---\n" + privilegedPod
	p := filepath.Join(t.TempDir(), "big.yaml")
	if err := os.WriteFile(p, []byte(in), 0o644); err != nil {
		t.Fatal(err)
	}
	res := mustLoad(t, []string{p}, Options{Limits: Limits{MaxDocumentBytes: 64 << 10}})
	if len(res.Errors) != 1 {
		t.Fatalf("errors = %v, want one", res.Errors)
	}
	e := res.Errors[0]
	if e.Location.File != p || e.Location.Line != 5 || e.Location.Document != 1 ||
		!strings.Contains(e.Message, "larger than 64Ki") || !strings.Contains(e.Message, "--max-document-size") {
		t.Errorf("error = %+v, want big.yaml document 1 at line 5 over 64Ki", e)
	}
	names := []string{}
	for _, o := range res.Inventory.Objects {
		names = append(names, o.Ref.Name)
	}
	if strings.Join(names, ",") != "before,priv" {
		t.Errorf("objects = %v, want before and priv", names)
	}
	if o := find(t, res, "Pod", "priv"); o.Origin.Line != 8 || o.Origin.Document != 2 {
		t.Errorf("pod at line %d document %d, want 8 and 2", o.Origin.Line, o.Origin.Document)
	}
	// Under the default cap the same stream loads whole.
	if res := mustLoad(t, []string{p}, Options{}); len(res.Errors) != 0 || len(res.Inventory.Objects) != 3 {
		t.Errorf("default cap: %d objects, errors %v", len(res.Inventory.Objects), res.Errors)
	}
}

// endless is a stream that never ends: the byte c forever.
type endless struct {
	c byte
	n int64
}

func (e *endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = e.c
	}
	e.n += int64(len(p))
	return len(p), nil
}

// Item 9: the cap holds while reading, before a line ends: a line longer than the cap
// is never held whole, and an input that never ends stops at the input cap.
func TestSplitterBoundsMemoryAndInput(t *testing.T) {
	src := &endless{c: 'a'}
	var docs []document
	var err error
	alloc := allocated(func() {
		var sp splitter
		err = sp.split(src, Limits{MaxDocumentBytes: 1 << 20, MaxInputBytes: 32 << 20}, func(d document) error {
			docs = append(docs, d)
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if src.n > 32<<20+lineBufSize {
		t.Errorf("read %d bytes, past the 32 MiB input cap", src.n)
	}
	if alloc > 8<<20 {
		t.Errorf("splitting a 32 MiB line under a 1 MiB document cap allocated %d MiB", alloc>>20)
	}
	if len(docs) != 2 || !strings.Contains(docs[0].err, "larger than 1Mi (--max-document-size)") ||
		!strings.Contains(docs[1].err, "larger than 32Mi (--max-input-size)") || docs[1].line != 1 {
		t.Errorf("documents = %+v, want a too-large document then the input cap at line 1", docs)
	}
}

// Item 9: a document cut short by the input cap is not scanned in part.
func TestInputCapDropsTheCutDocument(t *testing.T) {
	in := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: whole\n---\n" + privilegedPod
	res := mustLoad(t, []string{"-"}, Options{Stdin: strings.NewReader(in), Limits: Limits{MaxInputBytes: int64(len(in) - 20)}})
	if len(res.Inventory.Objects) != 1 || res.Inventory.Objects[0].Ref.Name != "whole" {
		t.Errorf("objects = %v, want only the whole ConfigMap", summarize(res.Inventory.Objects))
	}
	if len(res.Errors) != 1 || res.Errors[0].Location.Line != 5 || res.Errors[0].Location.Document != 1 ||
		!strings.Contains(res.Errors[0].Message, "--max-input-size") || !strings.Contains(res.Errors[0].Message, "line 15") {
		t.Errorf("errors = %v, want the cut in the pod's document (from line 5, stopped at 15)", res.Errors)
	}
}

// billionLaughs is the classic alias bomb: 9 levels of 9 aliases, about 400 million
// nodes once expanded, from a few hundred bytes.
const billionLaughs = `apiVersion: v1
kind: ConfigMap
metadata: {name: lol}
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
`

// Item 10: an alias bomb is refused from its size as written, before anything is
// expanded: the refusal costs a few hundred kilobytes, not the gigabytes expanding
// it took, and names the alias that went past the limit.
func TestAliasBombRefusedBeforeExpansion(t *testing.T) {
	opts := &Options{Decode: decodeAll}
	var objs int
	var errs []finding.InputError
	alloc := allocated(func() {
		o, e := parseDocument(document{line: 10, data: []byte(billionLaughs)}, finding.Location{File: "bomb.yaml"}, opts)
		objs, errs = len(o), e
	})
	if objs != 0 || len(errs) != 1 || !strings.Contains(errs[0].Message, "excessive aliasing") {
		t.Fatalf("objects %d, errors %v; want excessive aliasing", objs, errs)
	}
	// The 9 aliases of d reach 1,000 nodes of which 99% from aliases: line 7 of the
	// document, 16 of the file.
	if errs[0].Location.Line != 16 {
		t.Errorf("error on line %d, want 16 (the alias that crossed the limit)", errs[0].Location.Line)
	}
	if alloc > 1<<20 {
		t.Errorf("refusing the bomb allocated %d KiB", alloc>>10)
	}
	// Headers-only kinds are refused the same way: the API server would refuse them.
	opts.Decode = nil
	if o, e := parseDocument(document{line: 1, data: []byte(billionLaughs)}, finding.Location{File: "bomb.yaml"}, opts); len(o) != 0 || len(e) != 1 {
		t.Errorf("undecoded kind: objects %d, errors %v", len(o), e)
	}
}

// Item 10: the limit is the API server's: for documents around it (an anchor of size
// nodes repeated by copies aliases: 99% of the nodes from aliases is the limit at this
// size), the loader refuses exactly what yaml.v3's own decoder (the same rule as
// sigs.k8s.io/yaml's) refuses as excessive aliasing.
func TestAliasLimitAgreesWithYAMLDecoder(t *testing.T) {
	opts := &Options{Decode: decodeAll}
	refused, accepted := 0, 0
	for _, size := range []int{20, 100, 200, 400} {
		for _, copies := range []int{10, 100, 250, 500} {
			var b strings.Builder
			b.WriteString("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\nanchor: &a [")
			for i := 0; i < size; i++ {
				if i > 0 {
					b.WriteString(",")
				}
				b.WriteString("1")
			}
			b.WriteString("]\ncopies:\n")
			for i := 0; i < copies; i++ {
				b.WriteString("- *a\n")
			}
			doc := b.String()
			var v any
			err := yaml.Unmarshal([]byte(doc), &v)
			want := err != nil && strings.Contains(err.Error(), "excessive aliasing")
			_, errs := parseDocument(document{line: 1, data: []byte(doc)}, finding.Location{File: "x.yaml"}, opts)
			got := len(errs) == 1 && strings.Contains(errs[0].Message, "excessive aliasing")
			if got != want {
				t.Errorf("anchor of %d, %d aliases: refused %v, yaml.v3 refuses %v (%v)", size, copies, got, want, errs)
			}
			if got {
				refused++
			} else {
				accepted++
			}
		}
	}
	if refused < 3 || accepted < 3 {
		t.Errorf("%d cases refused, %d accepted: not around the limit", refused, accepted)
	}
}

// Item 10: an alias inside its own anchor is an error, not an endless expansion.
func TestAliasCycle(t *testing.T) {
	doc := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: &a {k: *a}\n"
	_, errs := parseDocument(document{line: 1, data: []byte(doc)}, finding.Location{File: "x.yaml"}, &Options{Decode: decodeAll})
	if len(errs) != 1 || errs[0].Location.Line != 4 {
		t.Errorf("errors = %v, want one on line 4", errs)
	}
}

// Item 14: a document that still holds a second one (which the splitter would have
// cut) is an error, never read in part.
func TestSecondDocumentIsAnError(t *testing.T) {
	doc := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n---\n" + privilegedPod
	objs, errs := parseDocument(document{line: 1, data: []byte(doc)}, finding.Location{File: "x.yaml"}, &Options{Decode: decodeAll})
	if len(objs) != 0 || len(errs) != 1 || !strings.Contains(errs[0].Message, "second YAML document") {
		t.Errorf("objects %d, errors %v; want the document refused", len(objs), errs)
	}
}

// Item 14: the reported case, a ConfigMap then a privileged Pod in a file whose lines
// end in CR alone.
func TestCROnlyStreamKeepsEveryDocument(t *testing.T) {
	in := strings.ReplaceAll("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n---\n"+privilegedPod, "\n", "\r")
	res := mustLoad(t, []string{"-"}, Options{Stdin: strings.NewReader(in)})
	noErrors(t, res)
	p := find(t, res, "Pod", "priv")
	if p.Origin.Line != 6 {
		t.Errorf("pod on line %d, want 6", p.Origin.Line)
	}
	if l, _ := p.Lines.Line("spec.containers[0].securityContext.privileged"); l != 15 {
		t.Errorf("privileged on line %d, want 15", l)
	}
}

// Item 15: invalid UTF-8 and NUL are reported on their own line, in the document they
// are in, not on the document's first line.
func TestEncodingErrorsOnTheirLine(t *testing.T) {
	for _, tc := range []struct {
		name, bad string
		msg       string
	}{
		{"nul", "a\x00b", "control characters"},
		{"invalid utf-8", "a\xffb", "UTF-8"},
		{"truncated utf-8", "a\xe2\x82", "UTF-8"},
		{"surrogate", "a\xed\xa0\x80b", "invalid Unicode character"},
		{"escape", "a\x1bb", "control characters"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\ndata:\n  k: \"" + tc.bad + "\"\n  l: x\n"
			res := mustLoad(t, []string{"-"}, Options{Stdin: strings.NewReader(in)})
			if len(res.Errors) != 1 {
				t.Fatalf("errors = %v", res.Errors)
			}
			e := res.Errors[0]
			if e.Location.Line != 10 || e.Location.Document != 1 || !strings.Contains(e.Message, tc.msg) {
				t.Errorf("error = %+v, want line 10 of document 1 (%s)", e, tc.msg)
			}
		})
	}
}

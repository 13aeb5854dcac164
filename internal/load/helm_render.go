package load

import (
	"encoding/base64"
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"text/template"
	"text/template/parse"

	"github.com/gobwas/glob"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	"sigs.k8s.io/yaml"
)

// renderTemplates renders the templates of a chart and its subcharts as Helm's
// engine.Render does (helm.sh/helm/v3/pkg/engine: the same scoping of values, the
// same order, the same functions, the same error messages), within the budget of
// helm_budget.go. TestRenderLikeHelm compares the two on real charts.
func renderTemplates(ch *chart.Chart, vals chartutil.Values, limits RenderLimits) (rendered map[string]string, err error) {
	r := &renderer{b: newRenderBudget(limits), included: map[string]int{}, instrumented: map[*parse.Tree]bool{}}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("rendering template failed: %v", p)
		}
		var le *limitError
		if r.b.err != nil || errors.As(err, &le) {
			err = r.limitError(err)
		}
	}()
	tpls := map[string]renderable{}
	r.collect(ch, tpls, vals, nil)

	t := template.New("gotpl")
	t.Option("missingkey=zero")
	t.Funcs(r.funcs(t))
	keys := sortTemplates(tpls)
	for _, name := range keys {
		if err := r.checkNesting(name, tpls[name].tpl); err != nil {
			return map[string]string{}, err
		}
		if _, err := t.New(name).Parse(tpls[name].tpl); err != nil {
			return map[string]string{}, cleanupParseError(name, err)
		}
	}
	r.instrument(t)

	rendered = make(map[string]string, len(keys))
	for _, name := range keys {
		if strings.HasPrefix(path.Base(name), "_") {
			continue // partials are only included
		}
		vals := tpls[name].vals
		vals["Template"] = renderValues{"Name": name, "BasePath": tpls[name].basePath}
		w := &budgetWriter{b: r.b, top: true}
		if err := t.ExecuteTemplate(w, name, vals); err != nil {
			return map[string]string{}, cleanupExecError(name, err)
		}
		rendered[name] = strings.ReplaceAll(w.String(), "<no value>", "")
	}
	return rendered, nil
}

type renderer struct {
	b *renderBudget
	// included counts the include calls in progress per template name, as Helm does.
	included map[string]int
	// instrumented holds the parse trees given their budget checks.
	instrumented map[*parse.Tree]bool
}

// limitError is the error of a render stopped by the budget, with the place where
// the template was when it stopped.
func (r *renderer) limitError(err error) error {
	var le *limitError
	if r.b.err != nil || !errors.As(err, &le) {
		le = r.b.err.(*limitError)
	}
	msg := le.msg
	if loc := execLocation(err); loc != "" {
		msg += " (at " + loc + ")"
	}
	return &limitError{msg: msg}
}

var execLocationRE = regexp.MustCompile(`^template: ([^:]+:\d+(?::\d+)?)`)

func execLocation(err error) string {
	if err == nil {
		return ""
	}
	var ee template.ExecError
	if errors.As(err, &ee) {
		if m := execLocationRE.FindStringSubmatch(ee.Err.Error()); m != nil {
			return m[1]
		}
	}
	if m := execLocationRE.FindStringSubmatch(err.Error()); m != nil {
		return m[1]
	}
	return ""
}

// renderable is a template and the values it is rendered with.
type renderable struct {
	tpl      string
	vals     renderValues
	basePath string
}

// collect gathers the templates of c and its subcharts, scoping the values as Helm's
// recAllTpls does. parentVals are the values of the parent chart (nil for the root).
func (r *renderer) collect(c *chart.Chart, tpls map[string]renderable, top chartutil.Values, parentVals chartutil.Values) map[string]interface{} {
	subcharts := map[string]interface{}{}
	meta := struct {
		chart.Metadata
		IsRoot bool
	}{*c.Metadata, c.IsRoot()}
	vals := make(chartutil.Values)
	if c.IsRoot() {
		switch v := top["Values"].(type) {
		case chartutil.Values:
			vals = v
		case map[string]interface{}:
			vals = v
		}
	} else if vs, err := (chartutil.Values{"Values": parentVals}).Table("Values." + c.Name()); err == nil {
		vals = vs
	}
	next := map[string]interface{}{
		"Chart":        meta,
		"Files":        newChartFiles(c.Files),
		"Release":      top["Release"],
		"Capabilities": top["Capabilities"],
		"Values":       renderValues(vals),
		"Subcharts":    subcharts,
	}
	for _, child := range c.Dependencies() {
		subcharts[child.Name()] = r.collect(child, tpls, top, vals)
	}
	parentID := c.ChartFullPath()
	for _, t := range c.Templates {
		if t == nil || (strings.EqualFold(c.Metadata.Type, "library") && !strings.HasPrefix(filepath.Base(t.Name), "_")) {
			continue
		}
		tpls[path.Join(parentID, t.Name)] = renderable{
			tpl:      string(t.Data),
			vals:     next,
			basePath: path.Join(parentID, "templates"),
		}
	}
	return next
}

// Names of the functions and variable the instrumentation adds.
const (
	tickFunc  = "palisadeRenderTick"
	printFunc = "palisadeRenderPrintCheck"
	printVar  = "$palisade·value" // not parsed: a template cannot name it
)

// funcs is the function map of a render of the template set t: Helm's, bounded, with
// include, tpl, required and fail, and the instrumentation's.
func (r *renderer) funcs(t *template.Template) template.FuncMap {
	f := boundFuncs(r.b, helmFuncs(), passThrough)
	f["include"] = r.include(t)
	f["tpl"] = r.tpl(t)
	f["required"] = boundFunc(r.b, "required", required, false)
	f["fail"] = boundFunc(r.b, "fail", fail, false)
	f[tickFunc] = func() (string, error) { return "", r.b.tick() }
	f[printFunc] = func(v interface{}) (string, error) {
		if err := deepCheck(r.b, "printing", []reflect.Value{reflect.ValueOf(v)}, 0); err != nil {
			return "", err
		}
		return "", nil
	}
	return f
}

// required and fail are Helm's (not linting).
func required(warn string, val interface{}) (interface{}, error) {
	if val == nil {
		return val, errors.New(warnWrap(warn))
	}
	if s, ok := val.(string); ok && s == "" {
		return val, errors.New(warnWrap(warn))
	}
	return val, nil
}

func fail(msg string) (string, error) { return "", errors.New(warnWrap(msg)) }

const (
	warnStartDelim = "HELM_ERR_START"
	warnEndDelim   = "HELM_ERR_END"
	// recursionMaxNums is Helm's bound on include calls of one template in progress.
	recursionMaxNums = 1000
)

var warnRegex = regexp.MustCompile(warnStartDelim + `((?s).*)` + warnEndDelim)

func warnWrap(warn string) string { return warnStartDelim + warn + warnEndDelim }

// include is Helm's include, bounded.
func (r *renderer) include(t *template.Template) func(string, interface{}) (string, error) {
	return func(name string, data interface{}) (string, error) {
		if err := r.b.enter("include"); err != nil {
			return "", err
		}
		defer r.b.leave()
		if v, ok := r.included[name]; ok {
			if v > recursionMaxNums {
				return "", fmt.Errorf("rendering template has a nested reference name: %s: unable to execute template", name)
			}
			r.included[name]++
		} else {
			r.included[name] = 1
		}
		w := &budgetWriter{b: r.b}
		err := t.ExecuteTemplate(w, name, data)
		r.included[name]--
		return w.String(), err
	}
}

// tpl is Helm's tpl, bounded: the new template is instrumented like the chart's.
func (r *renderer) tpl(parent *template.Template) func(string, interface{}) (string, error) {
	return func(text string, vals interface{}) (string, error) {
		if err := r.b.enter("tpl"); err != nil {
			return "", err
		}
		defer r.b.leave()
		t, err := parent.Clone()
		if err != nil {
			return "", fmt.Errorf("cannot clone template: %w", err)
		}
		t.Option("missingkey=zero")
		t.Funcs(template.FuncMap{"include": r.include(t), "tpl": r.tpl(t)})
		if err := r.checkNesting("tpl", text); err != nil {
			return "", err
		}
		t, err = t.New(parent.Name()).Parse(text)
		if err != nil {
			return "", fmt.Errorf("cannot parse template %q: %w", text, err)
		}
		r.instrument(t)
		w := &budgetWriter{b: r.b}
		if err := t.Execute(w, vals); err != nil {
			return "", fmt.Errorf("error during tpl function execution for %q: %w", text, err)
		}
		return strings.ReplaceAll(w.String(), "<no value>", ""), nil
	}
}

// maxTemplateNesting bounds how deeply if, range, with, define and block nest in one
// template. Go's template parser and executor recurse once per level, without a
// limit: 600,000 nested ifs overflow the goroutine stack, which kills the process.
const maxTemplateNesting = 1000

// checkNesting refuses a template text nested too deeply, before it is parsed.
func (r *renderer) checkNesting(name, text string) error {
	if templateNesting(text) > maxTemplateNesting {
		return r.b.fail("%s: if, range, with, define and block nest more than %d deep", name, maxTemplateNesting)
	}
	return nil
}

// templateNesting is an upper bound of how deeply the control structures of a
// template nest. It reads each action from {{ to the first }}: where a string or a
// comment inside an action holds }}, it may see actions the parser does not, never
// fewer, so it never counts less than the parser will nest. {{else if}} and {{else
// with}} nest one level more each (the parser reads them as {{else}}{{if}}), closed
// by the same {{end}}.
func templateNesting(text string) int {
	var open []int // levels each open structure holds
	depth, most := 0, 0
	for {
		i := strings.Index(text, "{{")
		if i < 0 {
			return most
		}
		text = text[i+2:]
		end := strings.Index(text, "}}")
		action := text
		if end >= 0 {
			action = text[:end]
		}
		word, rest := firstWord(strings.TrimPrefix(action, "-"))
		if word == "else" {
			if w, _ := firstWord(rest); (w == "if" || w == "with") && len(open) > 0 {
				open[len(open)-1]++
				depth++
			}
		}
		switch word {
		case "if", "range", "with", "define", "block":
			open = append(open, 1)
			depth++
		case "end":
			if len(open) > 0 {
				depth -= open[len(open)-1]
				open = open[:len(open)-1]
			}
		}
		most = max(most, depth)
		if end < 0 {
			return most
		}
		text = text[end+2:]
	}
}

// firstWord is the lower-case word that starts s after blanks, and what follows it.
func firstWord(s string) (string, string) {
	s = strings.TrimLeft(s, " \t\r\n")
	k := strings.IndexFunc(s, func(r rune) bool { return r < 'a' || r > 'z' })
	if k < 0 {
		return s, ""
	}
	return s[:k], s[k:]
}

// instrument gives every template of t not seen yet its budget checks: a tick when
// the template is entered and at each range iteration (loops that call no function
// would not otherwise be stopped), and a size check of every value an action prints
// (printing a structure shared in many places, or containing itself, would
// otherwise build it whole). What the templates write does not change.
func (r *renderer) instrument(t *template.Template) {
	for _, tt := range t.Templates() {
		tr := tt.Tree
		if tr == nil || tr.Root == nil || r.instrumented[tr] {
			continue
		}
		r.instrumented[tr] = true
		instrumentList(tr, tr.Root)
		tr.Root.Nodes = append([]parse.Node{tickNode(tr, tr.Root.Pos)}, tr.Root.Nodes...)
	}
}

func instrumentList(tr *parse.Tree, l *parse.ListNode) {
	if l == nil {
		return
	}
	var nodes []parse.Node
	for _, n := range l.Nodes {
		switch n := n.(type) {
		case *parse.ActionNode:
			if len(n.Pipe.Decl) == 0 {
				// {{ pipeline }} becomes {{ $v := pipeline }}{{ check $v }}{{ $v }}: the
				// value is printed from the variable exactly as it would have been.
				v := variableNode(n.Pos)
				decl := *n.Pipe
				decl.Decl = []*parse.VariableNode{v}
				nodes = append(nodes,
					actionNode(tr, n, &decl),
					actionNode(tr, n, pipeNode(n, commandNode(n.Pos, parse.NewIdentifier(printFunc).SetTree(tr).SetPos(n.Pos), variableNode(n.Pos)))),
					actionNode(tr, n, pipeNode(n, commandNode(n.Pos, variableNode(n.Pos)))))
				continue
			}
		case *parse.IfNode:
			instrumentList(tr, n.List)
			instrumentList(tr, n.ElseList)
		case *parse.WithNode:
			instrumentList(tr, n.List)
			instrumentList(tr, n.ElseList)
		case *parse.RangeNode:
			instrumentList(tr, n.List)
			instrumentList(tr, n.ElseList)
			if n.List != nil {
				n.List.Nodes = append([]parse.Node{tickNode(tr, n.Pos)}, n.List.Nodes...)
			}
		case *parse.ListNode:
			instrumentList(tr, n)
		}
		nodes = append(nodes, n)
	}
	l.Nodes = nodes
}

func variableNode(pos parse.Pos) *parse.VariableNode {
	return &parse.VariableNode{NodeType: parse.NodeVariable, Pos: pos, Ident: []string{printVar}}
}

func tickNode(tr *parse.Tree, pos parse.Pos) parse.Node {
	return &parse.ActionNode{NodeType: parse.NodeAction, Pos: pos, Line: 0,
		Pipe: &parse.PipeNode{NodeType: parse.NodePipe, Pos: pos,
			Cmds: []*parse.CommandNode{commandNode(pos, parse.NewIdentifier(tickFunc).SetTree(tr).SetPos(pos))}}}
}

func actionNode(tr *parse.Tree, at *parse.ActionNode, pipe *parse.PipeNode) *parse.ActionNode {
	return &parse.ActionNode{NodeType: parse.NodeAction, Pos: at.Pos, Line: at.Line, Pipe: pipe}
}

func pipeNode(at *parse.ActionNode, cmds ...*parse.CommandNode) *parse.PipeNode {
	return &parse.PipeNode{NodeType: parse.NodePipe, Pos: at.Pos, Line: at.Line, Cmds: cmds}
}

func commandNode(pos parse.Pos, args ...parse.Node) *parse.CommandNode {
	return &parse.CommandNode{NodeType: parse.NodeCommand, Pos: pos, Args: args}
}

// sortTemplates orders the templates as Helm does: deeper paths first, then by name.
func sortTemplates(tpls map[string]renderable) []string {
	keys := make([]string, 0, len(tpls))
	for k := range tpls {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		ca, cb := strings.Count(a, "/"), strings.Count(b, "/")
		if ca == cb {
			return a > b
		}
		return ca > cb
	})
	return keys
}

// cleanupParseError and cleanupExecError are Helm's.
func cleanupParseError(filename string, err error) error {
	tokens := strings.Split(err.Error(), ": ")
	if len(tokens) == 1 {
		return fmt.Errorf("parse error in (%s): %s", filename, err)
	}
	return fmt.Errorf("parse error at (%s): %s", tokens[1], tokens[len(tokens)-1])
}

func cleanupExecError(filename string, err error) error {
	if _, ok := err.(template.ExecError); !ok {
		return err
	}
	tokens := strings.SplitN(err.Error(), ": ", 3)
	if len(tokens) != 3 {
		return fmt.Errorf("execution error in (%s): %s", filename, err)
	}
	if parts := warnRegex.FindStringSubmatch(tokens[2]); len(parts) >= 2 {
		return fmt.Errorf("execution error at (%s): %s", tokens[1], parts[1])
	}
	return err
}

// renderValues stand for chartutil.Values in templates (the top-level object and
// .Values): the same map with the same methods, but YAML refuses values that would
// print too big (a structure shared in many places), contain themselves, or nest too
// deeply, and the other methods take renderValues for chartutil.Values. The one
// visible difference from Helm: typeOf (and printf "%T") names this type.
type renderValues map[string]interface{}

func (v renderValues) YAML() (string, error) {
	if _, err := valueSize(reflect.ValueOf(map[string]interface{}(v)), DefaultRenderMaxBytes); err != nil {
		if err == errTooBig {
			return "", &limitError{msg: fmt.Sprintf("values not printed: over the limit of %s", formatBytes(DefaultRenderMaxBytes))}
		}
		return "", &limitError{msg: "values not printed: " + err.Error()}
	}
	b, err := yaml.Marshal(v)
	return string(b), err
}

func (v renderValues) Table(name string) (renderValues, error) {
	table := v
	var err error
	for _, n := range strings.Split(name, ".") {
		if table, err = tableLookup(table, n); err != nil {
			break
		}
	}
	return table, err
}

func tableLookup(v renderValues, key string) (renderValues, error) {
	v2, ok := v[key]
	if !ok {
		return v, chartutil.ErrNoTable{Key: key}
	}
	switch t := v2.(type) {
	case map[string]interface{}:
		return t, nil
	case chartutil.Values:
		return renderValues(t), nil
	case renderValues:
		return t, nil
	}
	return renderValues{}, chartutil.ErrNoTable{Key: key}
}

func (v renderValues) AsMap() map[string]interface{} {
	if len(v) == 0 {
		return map[string]interface{}{}
	}
	return v
}

func (v renderValues) PathValue(p string) (interface{}, error) {
	if p == "" {
		return nil, errors.New("YAML path cannot be empty")
	}
	keys := strings.Split(p, ".")
	key := keys[len(keys)-1]
	t := v
	if len(keys) > 1 {
		var err error
		if t, err = v.Table(strings.Join(keys[:len(keys)-1], ".")); err != nil {
			return nil, chartutil.ErrNoValue{Key: key}
		}
	}
	if k, ok := t[key]; ok {
		if _, table := k.(map[string]interface{}); !table {
			return k, nil
		}
	}
	return nil, chartutil.ErrNoValue{Key: key}
}

// chartFiles are a chart's .Files, as Helm's engine gives them.
type chartFiles map[string][]byte

func newChartFiles(from []*chart.File) chartFiles {
	files := make(chartFiles)
	for _, f := range from {
		files[f.Name] = f.Data
	}
	return files
}

func (f chartFiles) GetBytes(name string) []byte {
	if v, ok := f[name]; ok {
		return v
	}
	return []byte{}
}

func (f chartFiles) Get(name string) string { return string(f.GetBytes(name)) }

func (f chartFiles) Glob(pattern string) chartFiles {
	g, err := glob.Compile(pattern, '/')
	if err != nil {
		g, _ = glob.Compile("**")
	}
	nf := newChartFiles(nil)
	for name, contents := range f {
		if g.Match(name) {
			nf[name] = contents
		}
	}
	return nf
}

func (f chartFiles) AsConfig() string {
	if f == nil {
		return ""
	}
	m := make(map[string]string)
	for k, v := range f {
		m[path.Base(k)] = string(v)
	}
	return toYAML(m)
}

func (f chartFiles) AsSecrets() string {
	if f == nil {
		return ""
	}
	m := make(map[string]string)
	for k, v := range f {
		m[path.Base(k)] = base64.StdEncoding.EncodeToString(v)
	}
	return toYAML(m)
}

func (f chartFiles) Lines(path string) []string {
	if f == nil || len(f[path]) == 0 {
		return []string{}
	}
	s := string(f[path])
	if s[len(s)-1] == '\n' {
		s = s[:len(s)-1]
	}
	return strings.Split(s, "\n")
}

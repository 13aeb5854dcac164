package load

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strings"
	"text/template"
	"unicode/utf8"

	"github.com/BurntSushi/toml"
	"github.com/Masterminds/sprig/v3"
	"sigs.k8s.io/yaml"
	goyaml "sigs.k8s.io/yaml/goyaml.v3"
)

// helmFuncs is the function map of Helm's engine (helm.sh/helm/v3/pkg/engine,
// funcs.go and initFunMap) without a cluster: sprig's text functions except env and
// expandenv, Helm's own, lookup answering nothing and getHostByName answering "" (no
// DNS). include, tpl, required and fail are the renderer's. Text/template's print
// functions are in it too, so that they can be bounded.
func helmFuncs() template.FuncMap {
	f := sprig.TxtFuncMap()
	delete(f, "env")
	delete(f, "expandenv")
	extra := template.FuncMap{
		"toToml":        toTOML,
		"fromToml":      fromTOML,
		"toYaml":        toYAML,
		"toYamlPretty":  toYAMLPretty,
		"fromYaml":      fromYAML,
		"fromYamlArray": fromYAMLArray,
		"toJson":        toJSON,
		"fromJson":      fromJSON,
		"fromJsonArray": fromJSONArray,
		"lookup": func(string, string, string, string) (map[string]interface{}, error) {
			return map[string]interface{}{}, nil
		},
		"getHostByName": func(string) string { return "" },
		"print":         fmt.Sprint,
		"printf":        fmt.Sprintf,
		"println":       fmt.Sprintln,
		"html":          template.HTMLEscaper,
		"js":            template.JSEscaper,
		"urlquery":      template.URLQueryEscaper,
	}
	for k, v := range extra {
		f[k] = v
	}
	return f
}

// Helm's own functions, as Helm writes them.

func toYAML(v interface{}) string {
	data, err := yaml.Marshal(v)
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(string(data), "\n")
}

func toYAMLPretty(v interface{}) string {
	var data bytes.Buffer
	encoder := goyaml.NewEncoder(&data)
	encoder.SetIndent(2)
	if err := encoder.Encode(v); err != nil {
		return ""
	}
	return strings.TrimSuffix(data.String(), "\n")
}

func fromYAML(str string) map[string]interface{} {
	m := map[string]interface{}{}
	if err := yaml.Unmarshal([]byte(str), &m); err != nil {
		m["Error"] = err.Error()
	}
	return m
}

func fromYAMLArray(str string) []interface{} {
	a := []interface{}{}
	if err := yaml.Unmarshal([]byte(str), &a); err != nil {
		a = []interface{}{err.Error()}
	}
	return a
}

func toTOML(v interface{}) string {
	b := bytes.NewBuffer(nil)
	if err := toml.NewEncoder(b).Encode(v); err != nil {
		return err.Error()
	}
	return b.String()
}

func fromTOML(str string) map[string]interface{} {
	m := make(map[string]interface{})
	if err := toml.Unmarshal([]byte(str), &m); err != nil {
		m["Error"] = err.Error()
	}
	return m
}

func toJSON(v interface{}) string {
	data, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(data)
}

func fromJSON(str string) map[string]interface{} {
	m := make(map[string]interface{})
	if err := json.Unmarshal([]byte(str), &m); err != nil {
		m["Error"] = err.Error()
	}
	return m
}

func fromJSONArray(str string) []interface{} {
	a := []interface{}{}
	if err := json.Unmarshal([]byte(str), &a); err != nil {
		a = []interface{}{err.Error()}
	}
	return a
}

// A precheck estimates, from a function's arguments, the bytes its result will take,
// or refuses the call outright (a value containing itself); it runs before the call.
type precheck func(b *renderBudget, name string, args []reflect.Value) error

// prechecks lists the functions whose result is not bounded by the (shallow) size of
// their arguments: a count or width argument sets it, or they walk a whole
// structure (which may reach the same part many times: dict "a" $x "b" $x doubles),
// or they compare every pair of a list. Every other function returns something no
// larger than a small multiple of its arguments, which boundFunc checks, and is
// charged after the call.
var prechecks = map[string]precheck{
	"repeat": func(b *renderBudget, name string, a []reflect.Value) error {
		return b.allow(name, mulClamp(intArg(a, 0), int64(len(strArg(a, 1)))))
	},
	"until": func(b *renderBudget, name string, a []reflect.Value) error {
		return b.allow(name, mulClamp(abs64(intArg(a, 0)), 16))
	},
	"untilStep": func(b *renderBudget, name string, a []reflect.Value) error {
		return b.allow(name, mulClamp(stepCount(intArg(a, 0), intArg(a, 1), intArg(a, 2)), 16))
	},
	"seq": func(b *renderBudget, name string, a []reflect.Value) error {
		var n []int64
		for i := range a {
			n = append(n, intArg(a, i))
		}
		var count int64
		switch len(n) {
		case 1:
			count = abs64(n[0]) + 1
		case 2:
			count = abs64(n[1]-n[0]) + 1
		case 3:
			count = stepCount(n[0], n[2], n[1]) + 1
		}
		return b.allow(name, mulClamp(count, 21))
	},
	"indent":  indentCheck,
	"nindent": indentCheck,
	"randAlpha": func(b *renderBudget, name string, a []reflect.Value) error {
		return b.allow(name, intArg(a, 0))
	},
	"randAlphaNum": func(b *renderBudget, name string, a []reflect.Value) error { return b.allow(name, intArg(a, 0)) },
	"randAscii":    func(b *renderBudget, name string, a []reflect.Value) error { return b.allow(name, intArg(a, 0)) },
	"randNumeric":  func(b *renderBudget, name string, a []reflect.Value) error { return b.allow(name, intArg(a, 0)) },
	"randBytes": func(b *renderBudget, name string, a []reflect.Value) error {
		return b.allow(name, mulClamp(intArg(a, 0), 2))
	},
	"replace": func(b *renderBudget, name string, a []reflect.Value) error {
		old, nw, s := strArg(a, 0), strArg(a, 1), strArg(a, 2)
		n := int64(strings.Count(s, old))
		if old == "" {
			n = int64(utf8.RuneCountInString(s)) + 1
		}
		return b.allow(name, int64(len(s))+mulClamp(n, int64(len(nw))))
	},
	"regexReplaceAll":            regexReplaceCheck(true),
	"mustRegexReplaceAll":        regexReplaceCheck(true),
	"regexReplaceAllLiteral":     regexReplaceCheck(false),
	"mustRegexReplaceAllLiteral": regexReplaceCheck(false),
	"wrap": func(b *renderBudget, name string, a []reflect.Value) error {
		return b.allow(name, int64(len(strArg(a, 1)))*2+1)
	},
	"wrapWith": func(b *renderBudget, name string, a []reflect.Value) error {
		s, sep := strArg(a, 2), strArg(a, 1)
		return b.allow(name, mulClamp(int64(len(s))+1, int64(len(sep))+1))
	},
	"split":            splitCheck(1, 64),
	"splitList":        splitCheck(1, 16),
	"splitn":           splitCheck(2, 64),
	"regexSplit":       splitCheck(1, 24),
	"mustRegexSplit":   splitCheck(1, 24),
	"regexFindAll":     splitCheck(1, 24),
	"mustRegexFindAll": splitCheck(1, 24),
	"join": func(b *renderBudget, name string, a []reflect.Value) error {
		return deepCheck(b, name, a[1:], int64(len(strArg(a, 0)))*int64(lenOf(a, 1)))
	},
	"uniq":        pairsCheck,
	"mustUniq":    pairsCheck,
	"without":     pairsCheck,
	"mustWithout": pairsCheck,
	"has":         depthCheck,
	"mustHas":     depthCheck,
	"deepEqual":   depthCheck,
	"set": func(b *renderBudget, name string, a []reflect.Value) error {
		return containsCheck(b, name, a[0], a[2:])
	},
	"merge":              mergeCheck,
	"mergeOverwrite":     mergeCheck,
	"mustMerge":          mergeCheck,
	"mustMergeOverwrite": mergeCheck,
	"fromYaml":           parseCheck,
	"fromYamlArray":      parseCheck,
	"fromJson":           parseCheck,
	"fromJsonArray":      parseCheck,
	"mustFromJson":       parseCheck,
	"fromToml":           parseCheck,
}

// deepFuncs print, serialize, copy or sort a whole structure.
var deepFuncs = []string{
	"toString", "toStrings", "quote", "squote", "cat", "print", "printf", "println", "html", "js",
	"urlquery", "toJson", "mustToJson", "toRawJson", "mustToRawJson", "toPrettyJson",
	"mustToPrettyJson", "toYaml", "toYamlPretty", "toToml", "deepCopy", "mustDeepCopy",
	"sortAlpha", "urlJoin", "typeIsLike", "fail",
}

func init() {
	for _, n := range deepFuncs {
		prechecks[n] = func(b *renderBudget, name string, a []reflect.Value) error { return deepCheck(b, name, a, 0) }
	}
}

// deepCheck refuses to print or walk args if that would take more than the limit,
// or never end. Pretty printing indents each line by its depth: the estimate doubles.
func deepCheck(b *renderBudget, name string, args []reflect.Value, extra int64) error {
	if err := b.check(); err != nil {
		return err
	}
	limit := min(b.limits.MaxBytes, b.maxWork-b.work) / 2
	var total int64
	for _, a := range args {
		n, err := valueSize(a, limit-total)
		if err := sizeError(b, name, err); err != nil {
			return err
		}
		total += n
	}
	return b.allow(name, 2*total+extra)
}

func sizeError(b *renderBudget, name string, err error) error {
	switch err {
	case nil:
		return nil
	case errTooBig:
		return b.allow(name, math.MaxInt64)
	case errTooDeep:
		return b.fail("%s on a value nested more than %d deep", name, maxValueDepth)
	}
	return b.fail("%s on a value that contains itself", name)
}

// depthCheck refuses to compare values nested too deeply (reflect.DeepEqual recurses).
func depthCheck(b *renderBudget, name string, args []reflect.Value) error {
	for _, a := range args {
		if _, err := valueSize(a, math.MaxInt64); err != nil && err != errTooBig {
			return sizeError(b, name, err)
		}
	}
	return b.check()
}

// pairsCheck bounds uniq and without, which compare pairs of elements.
func pairsCheck(b *renderBudget, name string, args []reflect.Value) error {
	if err := depthCheck(b, name, args); err != nil {
		return err
	}
	n := int64(lenOf(args, 0))
	m := n
	if name == "without" || name == "mustWithout" {
		m = int64(len(args) - 1)
	}
	return b.allow(name, mulClamp(n, m))
}

// containsCheck refuses to put values into the map dst if one of them contains dst:
// the map would then contain itself, and printing it would never end.
func containsCheck(b *renderBudget, name string, dst reflect.Value, values []reflect.Value) error {
	for dst.IsValid() && dst.Kind() == reflect.Interface && !dst.IsNil() {
		dst = dst.Elem()
	}
	if !dst.IsValid() || dst.Kind() != reflect.Map || dst.IsNil() {
		return b.check()
	}
	for _, v := range values {
		s := sizer{limit: math.MaxInt64, onPath: map[uintptr]bool{dst.Pointer(): true}}
		if err := s.walk(v, 1); err != nil {
			return sizeError(b, name, err)
		}
	}
	return b.check()
}

func mergeCheck(b *renderBudget, name string, args []reflect.Value) error {
	if len(args) == 0 {
		return b.check()
	}
	if err := containsCheck(b, name, args[0], args[1:]); err != nil {
		return err
	}
	return depthCheck(b, name, args)
}

// parseCheck refuses to parse a text nested more deeply than the decoders allow
// (the TOML decoder has no limit of its own).
func parseCheck(b *renderBudget, name string, args []reflect.Value) error {
	depth := 0
	for _, c := range []byte(strArg(args, 0)) {
		switch c {
		case '[', '{':
			if depth++; depth > maxValueDepth {
				return b.fail("%s on a text nested more than %d deep", name, maxValueDepth)
			}
		case ']', '}':
			depth--
		}
	}
	return b.check()
}

func indentCheck(b *renderBudget, name string, a []reflect.Value) error {
	s := strArg(a, 1)
	return b.allow(name, int64(len(s))+mulClamp(abs64(intArg(a, 0)), int64(strings.Count(s, "\n"))+2))
}

// regexReplaceCheck bounds a regular expression replacement: each of at most
// len(s)+1 matches gets the replacement, and each $ reference in it expands to at
// most the match (matches do not overlap, so at most len(s) in all per reference).
func regexReplaceCheck(expand bool) precheck {
	return func(b *renderBudget, name string, a []reflect.Value) error {
		s, repl := int64(len(strArg(a, 1))), strArg(a, 2)
		refs := int64(0)
		if expand {
			refs = int64(strings.Count(repl, "$"))
		}
		return b.allow(name, s+mulClamp(s, refs)+mulClamp(s+1, int64(len(repl))))
	}
}

// splitCheck bounds splitting the string argument at index i into pieces of per
// bytes each at most (one per byte, with an empty separator).
func splitCheck(i int, per int64) precheck {
	return func(b *renderBudget, name string, a []reflect.Value) error {
		return b.allow(name, mulClamp(int64(len(strArg(a, i)))+1, per))
	}
}

func intArg(a []reflect.Value, i int) int64 {
	if i >= len(a) {
		return 0
	}
	v := a[i]
	for v.Kind() == reflect.Interface && !v.IsNil() {
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return int64(min(v.Uint(), math.MaxInt64))
	}
	return 0
}

func strArg(a []reflect.Value, i int) string {
	if i >= len(a) {
		return ""
	}
	v := a[i]
	for v.Kind() == reflect.Interface && !v.IsNil() {
		v = v.Elem()
	}
	if v.Kind() == reflect.String {
		return v.String()
	}
	return ""
}

func lenOf(a []reflect.Value, i int) int {
	if i >= len(a) {
		return 0
	}
	v := a[i]
	for v.Kind() == reflect.Interface && !v.IsNil() {
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.Slice, reflect.Array, reflect.Map, reflect.String:
		return v.Len()
	}
	return 0
}

func abs64(n int64) int64 {
	if n < 0 {
		if n == math.MinInt64 {
			return math.MaxInt64
		}
		return -n
	}
	return n
}

// mulClamp multiplies two counts, saturating instead of overflowing. A negative
// count builds nothing (the function fails on it by itself).
func mulClamp(a, b int64) int64 {
	if a <= 0 || b <= 0 {
		return 0
	}
	if a != 0 && b > math.MaxInt64/a {
		return math.MaxInt64
	}
	return a * b
}

// stepCount is how many values start, start+step, ... lie before stop.
func stepCount(start, stop, step int64) int64 {
	if step == 0 || (stop > start) != (step > 0) {
		return 0
	}
	span := float64(stop) - float64(start)
	n := math.Ceil(span / float64(step))
	if n >= math.MaxInt64/32 {
		return math.MaxInt64 / 32
	}
	return int64(n)
}

// boundFuncs wraps every function of funcs: each call checks the budget and the
// function's precheck first, and its result is charged after. A call refused panics
// with the limit error, which text/template turns into the error of the call.
func boundFuncs(b *renderBudget, funcs template.FuncMap, uncharged map[string]bool) template.FuncMap {
	out := make(template.FuncMap, len(funcs))
	for name, fn := range funcs {
		out[name] = boundFunc(b, name, fn, !uncharged[name])
	}
	return out
}

func boundFunc(b *renderBudget, name string, fn any, charge bool) any {
	v := reflect.ValueOf(fn)
	t := v.Type()
	pre := prechecks[name]
	return reflect.MakeFunc(t, func(args []reflect.Value) []reflect.Value {
		if err := b.check(); err != nil {
			panic(err)
		}
		call := args
		if t.IsVariadic() {
			// The variadic arguments come as one slice: hand them over one by one.
			call = append(append([]reflect.Value(nil), args[:len(args)-1]...), spread(args[len(args)-1])...)
		}
		// Whatever else it does, a function's result is at most a few times the
		// size of its arguments (concat $l $l): refuse arguments that are too big.
		var in int64
		for _, a := range call {
			in += shallowSize(a)
		}
		if err := b.allow(name, in); err != nil {
			panic(err)
		}
		if pre != nil {
			if err := pre(b, name, call); err != nil {
				panic(err)
			}
		}
		var out []reflect.Value
		if t.IsVariadic() {
			out = v.CallSlice(args)
		} else {
			out = v.Call(args)
		}
		if charge && len(out) > 0 {
			if err := b.charge(shallowSize(out[0])); err != nil {
				panic(err)
			}
		}
		return out
	}).Interface()
}

func spread(s reflect.Value) []reflect.Value {
	out := make([]reflect.Value, s.Len())
	for i := range out {
		out[i] = s.Index(i)
	}
	return out
}

// passThrough are the functions that return one of their arguments (or part of it)
// rather than build a value: charging their result would count it again.
var passThrough = map[string]bool{
	"default": true, "coalesce": true, "ternary": true, "first": true, "mustFirst": true,
	"last": true, "mustLast": true, "get": true, "dig": true, "set": true, "unset": true,
	"merge": true, "mergeOverwrite": true, "mustMerge": true, "mustMergeOverwrite": true,
	"required": true, "include": true, "tpl": true, "fail": true,
}

package workload_test

import (
	"flag"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

var update = flag.Bool("update", false, "rewrite testdata/rule-fields.txt")

// ruleFieldsFile lists, one generic field path a line ("spec.containers[].ports[].
// hostPort"), every field of a pod that a rule, the workload package, the NetworkPolicy
// and RBAC models or the official Pod Security checks may read: the fields on which
// TestDefaultsMatchAPIServer compares Palisade's pod with the API server's.
const ruleFieldsFile = "testdata/rule-fields.txt"

// readers are the packages whose reads of a pod count, relative to this directory
// (patterns: "../checks/*" is every rule family); the official Pod Security checks
// are added from the module cache.
var readers = []string{".", "../checks/*", "../pss", "../netpol", "../rbac", "../engine"}

// readNames returns every identifier the readers select (x.Name) and every string
// literal they contain (the raw-body readers look fields up by their JSON names).
// A field counts as read when its Go or JSON name is among them: by name, not by type,
// so the list errs on the side of comparing more.
func readNames(t *testing.T) map[string]bool {
	t.Helper()
	var dirs []string
	for _, pat := range readers {
		matches, err := filepath.Glob(pat)
		if err != nil || len(matches) == 0 {
			t.Fatalf("no reader matches %s (%v)", pat, err)
		}
		for _, m := range matches {
			// checktest is test support, read no more than the _test.go files skipped below.
			if fi, err := os.Stat(m); err == nil && fi.IsDir() && filepath.Base(m) != "checktest" {
				dirs = append(dirs, m)
			}
		}
	}
	out, err := exec.Command("go", "list", "-f", "{{.Dir}}", "k8s.io/pod-security-admission/policy").Output()
	if err != nil {
		t.Fatalf("locating the Pod Security checks: %v", err)
	}
	dirs = append(dirs, strings.TrimSpace(string(out)))
	names := map[string]bool{}
	for _, dir := range dirs {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no Go files in %s (%v)", dir, err)
		}
		for _, f := range files {
			// defaults.go writes the fields it names; it reads none for a rule.
			if strings.HasSuffix(f, "_test.go") || filepath.Base(f) == "defaults.go" && dir == "." {
				continue
			}
			af, err := parser.ParseFile(token.NewFileSet(), f, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(af, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.SelectorExpr:
					names[n.Sel.Name] = true
				case *ast.BasicLit:
					if n.Kind == token.STRING {
						if s, err := strconv.Unquote(n.Value); err == nil {
							names[s] = true
						}
					}
				}
				return true
			})
		}
	}
	return names
}

// leafTypes are structs compared as a whole.
var leafTypes = map[reflect.Type]bool{
	reflect.TypeOf(resource.Quantity{}):    true,
	reflect.TypeOf(intstr.IntOrString{}):   true,
	reflect.TypeOf(metav1.Time{}):          true,
	reflect.TypeOf(metav1.LabelSelector{}): true,
}

// jsonName is a struct field's name in the API ("" for an embedded struct).
func jsonName(f reflect.StructField) string {
	tag := f.Tag.Get("json")
	name, _, _ := strings.Cut(tag, ",")
	if f.Anonymous && name == "" {
		return ""
	}
	if name == "" {
		return f.Name
	}
	return name
}

// fieldPaths lists the generic paths under a type whose every field is read.
func fieldPaths(t reflect.Type, prefix string, read map[string]bool, seen map[reflect.Type]bool, out map[string]bool) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t.Kind() == reflect.Slice && t.Elem().Kind() != reflect.Uint8:
		fieldPaths(t.Elem(), prefix+"[]", read, seen, out)
		return
	case t.Kind() != reflect.Struct || leafTypes[t]:
		return
	}
	if seen[t] {
		return
	}
	seen[t] = true
	defer delete(seen, t)
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name := jsonName(f)
		if name == "" || name == "-" {
			fieldPaths(f.Type, prefix, read, seen, out)
			continue
		}
		if !read[f.Name] && !read[name] {
			continue
		}
		p := prefix + "." + name
		out[p] = true
		fieldPaths(f.Type, p, read, seen, out)
	}
}

// ruleFields derives the compared fields from the readers' source.
func ruleFields(t *testing.T) map[string]bool {
	read := readNames(t)
	out := map[string]bool{}
	fieldPaths(reflect.TypeOf(corev1.PodSpec{}), "spec", read, map[reflect.Type]bool{}, out)
	// Of the pod's metadata, rules read the labels and annotations.
	out["metadata.labels"], out["metadata.annotations"] = true, true
	return out
}

// TestRuleFieldsAreCurrent keeps testdata/rule-fields.txt equal to what the readers'
// source derives: a rule that starts reading a new field adds it to the comparison.
func TestRuleFieldsAreCurrent(t *testing.T) {
	fields := ruleFields(t)
	var lines []string
	for p := range fields {
		lines = append(lines, p)
	}
	sort.Strings(lines)
	want := strings.Join(lines, "\n") + "\n"
	if *update {
		if err := os.WriteFile(ruleFieldsFile, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(ruleFieldsFile)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("%s is stale: run go test ./internal/workload -run TestRuleFieldsAreCurrent -update", ruleFieldsFile)
	}
	// The fields the defaults change and a rule reads must be there.
	for _, p := range []string{
		"spec.volumes[].emptyDir", "spec.containers[].ports[].hostPort", "spec.containers[].imagePullPolicy",
		"spec.initContainers[].ports[].hostPort", "spec.containers[].ports[].protocol",
		"spec.containers[].resources.requests", "spec.resources.requests", "spec.serviceAccountName",
		"spec.containers[].securityContext.appArmorProfile", "spec.securityContext", "spec.volumes[].hostPath.type",
	} {
		if !fields[p] {
			t.Errorf("%s is not among the compared fields", p)
		}
	}
}

// Package internal_test holds the layering test: the allowed import directions between
// Palisade's internal packages, checked against the import graph `go list -deps`
// reports. Only non-test imports count (a test may import anything).
package internal_test

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/palisade-k8s/palisade"

// layers says which internal packages each internal package may import (paths are
// relative to internal/). A pattern ending in "/..." matches a package and every
// package below it (checks/... is checks and its family subpackages); "*" allows
// every internal package. Every internal package must match one row: a new package
// gets a row here and in docs/ARCHITECTURE.md. Nothing may import kubetest (test
// support) outside tests.
var layers = []struct {
	pkg string
	may []string
}{
	// Leaves: pure code on strings, bytes and Kubernetes API types.
	{"finding", nil},
	{"safetext", nil},
	{"secrets", nil},
	{"yamlpos", nil},
	{"cmdline", nil},
	{"pss", nil},
	{"dockerfile", nil},
	{"software", nil},
	// Native version ordering per ecosystem (software only for its Ecosystem type).
	{"version", []string{"software"}},
	{"kubetest", nil},
	// Test support: Debian's Chromium driven over the DevTools protocol (chromedp).
	{"browsertest", nil},
	// Test support: the labelled set of fake credentials; real test images built from
	// real artifacts (go-containerregistry only).
	{"secrets/secretset", nil},
	{"imagetest", nil},
	// Test support for the catalogers: a fake image's layers.
	{"software/softwaretest", []string{"software"}},
	{"osv/osvtest", nil},
	// Test support: images signed in cosign's formats and by a virtual Sigstore.
	{"signature/sigtest", []string{"signature"}},
	// The object model.
	{"inventory", []string{"finding", "osv", "signature", "software", "version", "vuln"}},
	{"workload", []string{"apidefaults", "finding", "inventory"}},
	// The rule contract, its configuration and what judges it.
	{"rules", []string{"finding", "inventory", "workload"}},
	{"celrule", []string{"compliance", "finding", "inventory", "rules", "workload"}},
	{"config", []string{"celrule", "finding", "inventory", "rules", "signature", "workload", "yamlpos"}},
	{"compliance", []string{"finding", "pss", "rules"}},
	{"suppress", []string{"config", "finding", "inventory", "vex"}},
	{"engine", []string{"finding", "inventory", "pss", "rules", "workload"}},
	// Analyzers build from an inventory.
	{"netpol", []string{"finding", "inventory", "safetext", "workload"}},
	{"exposure", []string{"finding", "inventory", "netpol", "rbac/...", "safetext", "workload"}},
	// Attack paths chain the analyzers' proofs.
	// Test support: generated clusters (manifests) for the attack-path proof and benchmarks.
	{"attackpath/pathgen", nil},
	{"attackpath", []string{"exposure", "finding", "inventory", "netpol", "pss", "rbac/...", "safetext", "workload"}},
	{"rbac/...", []string{"rbac/...", "finding", "inventory", "safetext", "workload"}},
	// Test support for the rules: fixtures run through the whole scan path.
	{"checks/checktest", []string{"*"}},
	// The built-in rules.
	{"checks/...", []string{"attackpath", "audit", "auditlog", "auditpolicy", "checks/...", "cmdline", "exposure", "finding", "inventory", "leastpriv", "netpol", "nodeconfig", "nodefacts", "nodeprofile", "osv", "rbac", "rules", "secrets", "signature", "software", "vap", "vuln", "workload"}},
	// Input: files, charts and overlays; a live cluster.
	{"load", []string{"dockerfile", "finding", "inventory", "secrets", "yamlpos"}},
	{"live", []string{"finding", "inventory"}},
	// Package databases and ecosystems: catalogers of software (one per subpackage).
	{"software/...", []string{"software/..."}},
	// Container images: registries, archives, layouts, layers (go-containerregistry).
	{"image", []string{"finding", "inventory", "software"}},
	// SBOM documents (CycloneDX, SPDX) of a software inventory.
	{"sbom", []string{"finding", "software"}},
	// Vulnerability records in the OSV format: schema, range evaluation, CVSS.
	{"osv", []string{"software"}},
	{"vulndb", []string{"osv", "software"}},
	{"vuln", []string{"finding", "osv", "software", "version"}},
	{"vex", []string{"finding", "software"}},
	// Image signatures and attestations against a trust policy (sigstore-go).
	{"signature", nil},
	{"apidefaults", nil},
	{"vap", []string{"apidefaults"}},
	// A git history's commits and the files they changed (go-git).
	{"history", []string{"finding"}},

	// Nodes: the facts file schema; the node daemons' effective configuration;
	// distribution profiles as data; the collector that reads a node's /proc and
	// host root.
	{"nodefacts", nil},
	{"nodeconfig", nil},
	{"nodeprofile", []string{"nodefacts"}},
	{"nodecollect", []string{"nodeconfig", "nodefacts", "nodeprofile"}},

	{"auditlog", nil},
	// Test support: a real API server writing its audit log while a scenario acts on it.
	{"audit/audittest", []string{"kubetest"}},
	{"audit", []string{"auditlog", "finding", "inventory", "rbac/...", "rules", "safetext", "workload"}},
	{"auditpolicy", []string{"audit", "auditlog", "finding", "inventory", "rules", "safetext", "yamlpos"}},
	{"leastpriv", []string{"audit", "auditlog", "finding", "inventory", "rbac/...", "rules", "safetext"}},
	// The one input layer every command reads through.
	{"source", []string{"finding", "history", "image", "inventory", "live", "load", "nodefacts", "nodeprofile", "rules", "safetext", "sbom", "secrets", "signature", "software/...", "vuln", "vulndb", "workload"}},
	// Front ends and what they print.
	{"report", []string{"compliance", "finding", "rules", "safetext", "software"}},
	{"scan", []string{"checks/...", "compliance", "config", "engine", "finding", "inventory", "pss", "report", "rules", "signature", "source", "suppress", "vap", "vex", "workload"}},
	{"admission", []string{"checks/...", "config", "engine", "finding", "inventory", "pss", "rbac/...", "rules", "safetext", "signature", "suppress", "vap", "workload"}},
	{"webhook", []string{"admission", "audit", "auditlog", "config", "finding", "inventory", "rbac/...", "rules", "safetext", "signature", "suppress", "vap"}},
	{"cli", []string{"*"}},
}

// lean packages (paths relative to the module: a command such as a webhook-only binary
// may be listed too) must not reach the renderers or the input layer, even through a
// package that may import them: the admission webhook and the rules link neither Helm
// nor kustomize, and rules see objects only through an inventory.
var (
	lean = []string{"internal/rules", "internal/engine", "internal/checks/...", "internal/admission", "internal/webhook"}
	// testSupport packages are imported by tests only (no row may allow them, "*"
	// included), so they are free of the lean rule.
	testSupport = []string{"kubetest", "checks/checktest", "secrets/secretset", "imagetest", "software/softwaretest", "osv/osvtest", "signature/sigtest", "audit/audittest", "browsertest", "attackpath/pathgen"}
	forbidden   = []string{"helm.sh/...", "sigs.k8s.io/kustomize/...", module + "/internal/load/...", module + "/internal/live/..."}
)

// graph is the module's import graph (non-test imports) with every dependency.
func graph(t *testing.T) map[string][]string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	}
	touchSources(t)
	cmd := exec.Command(goBin, "list", "-deps", "-f", "{{.ImportPath}}{{range .Imports}} {{.}}{{end}}", module+"/...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	g := map[string][]string{}
	for line := range strings.Lines(string(out)) {
		f := strings.Fields(line)
		if len(f) > 0 {
			g[f[0]] = f[1:]
		}
	}
	return g
}

// touchSources stats the module's Go files and go.mod, so that `go test` caches this
// test's result only as long as none of them changes (the go command does not see what
// a child process reads).
func touchSources(t *testing.T) {
	t.Helper()
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != ".." && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) {
			return filepath.SkipDir
		}
		if !d.IsDir() && (strings.HasSuffix(path, ".go") || d.Name() == "go.mod") {
			_, err = os.Stat(path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// match reports whether an import path matches a pattern ("x/..." is x and below).
func match(pattern, path string) bool {
	if p, ok := strings.CutSuffix(pattern, "/..."); ok {
		return path == p || strings.HasPrefix(path, p+"/")
	}
	return path == pattern
}

func internalName(path string) (string, bool) {
	return strings.CutPrefix(path, module+"/internal/")
}

// TestLayering: every internal package imports only what its row allows.
func TestLayering(t *testing.T) {
	g := graph(t)
	used := map[int]bool{}
	for path, imports := range g {
		name, ok := internalName(path)
		if !ok {
			continue
		}
		row := -1
		for i, l := range layers {
			if match(l.pkg, name) {
				row = i
				break
			}
		}
		if row < 0 {
			t.Errorf("internal/%s is in no row of the layering table: add one (the internal packages it may import) here and in docs/ARCHITECTURE.md", name)
			continue
		}
		used[row] = true
		for _, imp := range imports {
			dep, ok := internalName(imp)
			if !ok {
				continue
			}
			if slices.Contains(testSupport, dep) && !slices.Contains(testSupport, name) {
				t.Errorf("internal/%s imports internal/%s, which is for tests only", name, dep)
				continue
			}
			allowed := false
			for _, m := range layers[row].may {
				if m == "*" && !slices.Contains(testSupport, dep) || match(m, dep) {
					allowed = true
					break
				}
			}
			if !allowed {
				t.Errorf("internal/%s imports internal/%s: its row allows only %v", name, dep, layers[row].may)
			}
		}
	}
	for i, l := range layers {
		if !used[i] {
			t.Errorf("the layering table has a row for %s, which matches no package: remove it", l.pkg)
		}
	}
}

// TestNoRenderers: the rules, the engine and the admission path link neither Helm,
// kustomize nor the input layer, directly or through any dependency.
func TestNoRenderers(t *testing.T) {
	g := graph(t)
	checked := 0
	for path := range g {
		name, ok := strings.CutPrefix(path, module+"/")
		if !ok || !slices.ContainsFunc(lean, func(p string) bool { return match(p, name) }) || slices.Contains(testSupport, strings.TrimPrefix(name, "internal/")) {
			continue
		}
		checked++
		if chain := reach(g, path); chain != nil {
			short := strings.ReplaceAll(strings.Join(chain, " -> "), module+"/", "")
			t.Errorf("%s depends on %s: %s", name, strings.TrimPrefix(chain[len(chain)-1], module+"/"), short)
		}
	}
	if checked < len(lean) {
		t.Errorf("checked %d packages, want at least %d (%v)", checked, len(lean), lean)
	}
}

// reach returns the shortest import chain from path to a forbidden package, or nil.
func reach(g map[string][]string, from string) []string {
	prev := map[string]string{from: ""}
	queue := []string{from}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if slices.ContainsFunc(forbidden, func(f string) bool { return match(f, p) }) {
			var chain []string
			for ; p != ""; p = prev[p] {
				chain = append(chain, p)
			}
			slices.Reverse(chain)
			return chain
		}
		for _, q := range g[p] {
			if _, seen := prev[q]; seen {
				continue
			}
			prev[q] = p
			queue = append(queue, q)
		}
	}
	return nil
}

// TestReach: the chain search finds an indirect dependency, through internal
// packages too, so TestNoRenderers cannot pass by not looking.
func TestReach(t *testing.T) {
	g := map[string][]string{
		module + "/internal/webhook":     {module + "/internal/admission"},
		module + "/internal/admission":   {module + "/internal/checks/rbac", "fmt"},
		module + "/internal/checks/rbac": {module + "/internal/netpol", "sigs.k8s.io/kustomize/api/krusty"},
		module + "/internal/netpol":      {module + "/internal/load"},
	}
	got := fmt.Sprint(reach(g, module+"/internal/webhook"))
	want := fmt.Sprint([]string{module + "/internal/webhook", module + "/internal/admission", module + "/internal/checks/rbac", "sigs.k8s.io/kustomize/api/krusty"})
	if got != want {
		t.Errorf("reach = %s, want %s", got, want)
	}
	g[module+"/internal/checks/rbac"] = g[module+"/internal/checks/rbac"][:1]
	if chain := reach(g, module+"/internal/webhook"); len(chain) != 5 {
		t.Errorf("reach through an internal package = %v, want a chain of 5", chain)
	}
	g[module+"/internal/netpol"] = []string{module + "/internal/load/helm"}
	if chain := reach(g, module+"/internal/webhook"); len(chain) != 5 {
		t.Errorf("reach into a subpackage of load = %v, want a chain of 5", chain)
	}
}

package load

import (
	"bytes"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"sigs.k8s.io/kustomize/api/types"
)

// writeTree writes files (path -> content, "->target" for a symbolic link) under dir.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if target, ok := strings.CutPrefix(content, "->"); ok {
			if err := os.Symlink(target, p); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// countingServer answers every request with a ConfigMap and counts the requests.
func countingServer(t *testing.T) (string, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		fmt.Fprint(w, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: fetched}\n")
	}))
	t.Cleanup(srv.Close)
	return srv.URL, &n
}

const localCM = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: local}\n"

// TestKustomizeRemoteNotFetched: every way a kustomization can name something remote
// is an input error on the kustomization file and line that names it, and nothing is
// fetched (a loopback server counts the requests: none).
func TestKustomizeRemoteNotFetched(t *testing.T) {
	url, requests := countingServer(t)
	host := strings.TrimPrefix(url, "http://")
	for _, tc := range []struct {
		name  string
		files map[string]string
		// file and line of the error, and what it says.
		file string
		line int
		want string
	}{
		{name: "resource URL", files: map[string]string{"kustomization.yaml": "resources:\n- cm.yaml\n- URL/cm.yaml\n"},
			line: 3, want: "remote resource not fetched: URL/cm.yaml"},
		{name: "base", files: map[string]string{"kustomization.yaml": "bases: [URL/org/repo]\n"},
			line: 1, want: "remote resource not fetched"},
		{name: "credentials in the URL are masked", files: map[string]string{"kustomization.yaml": "resources:\n- https://ci:Tr0ub4dor-3x@HOST/cm.yaml\n"},
			line: 2, want: "remote resource not fetched: https://ci:****@HOST/cm.yaml"},
		{name: "git:: base", files: map[string]string{"kustomization.yaml": "resources:\n- git::URL/org/repo//base?ref=v1\n"},
			line: 2, want: "remote resource not fetched: git::URL/org/repo//base?ref=v1"},
		{name: "git over HTTP", files: map[string]string{"kustomization.yaml": "resources:\n- URL/org/repo.git//base?ref=v1\n"},
			line: 2, want: "remote resource not fetched"},
		{name: "GitHub shorthand", files: map[string]string{"kustomization.yaml": "resources:\n- github.com/org/repo//base?ref=v1\n"},
			line: 2, want: "remote resource not fetched: github.com/org/repo//base?ref=v1"},
		{name: "scp-style", files: map[string]string{"kustomization.yaml": "resources:\n- git@HOST:org/repo.git\n"},
			line: 2, want: "remote resource not fetched"},
		{name: "ssh", files: map[string]string{"kustomization.yaml": "resources:\n- ssh://git@HOST/org/repo\n"},
			line: 2, want: "remote resource not fetched"},
		{name: "component", files: map[string]string{"kustomization.yaml": "resources: [cm.yaml]\ncomponents:\n- URL/org/repo//c\n"},
			line: 3, want: "remote component not fetched"},
		{name: "key in another case", files: map[string]string{"kustomization.yaml": "RESOURCES: [URL/cm.yaml]\n"},
			line: 1, want: "remote resource not fetched"},
		{name: "key folded like encoding/json", files: map[string]string{"kustomization.yaml": "reſources: [URL/cm.yaml]\n"},
			line: 1, want: "remote resource not fetched"},
		{name: "alias", files: map[string]string{"kustomization.yaml": "commonAnnotations: {a: &u URL/cm.yaml}\nresources: [cm.yaml, *u]\n"},
			line: 1, want: "remote resource not fetched"},
		{name: "patch path", files: map[string]string{"kustomization.yaml": "resources: [cm.yaml]\npatches:\n- path: URL/p.yaml\n"},
			line: 3, want: "remote patch not fetched"},
		{name: "strategic merge patch", files: map[string]string{"kustomization.yaml": "resources: [cm.yaml]\npatchesStrategicMerge:\n- URL/p.yaml\n"},
			line: 3, want: "remote patch not fetched"},
		{name: "JSON 6902 patch", files: map[string]string{"kustomization.yaml": "resources: [cm.yaml]\npatchesJson6902:\n- path: URL/p.yaml\n  target: {kind: ConfigMap, name: local, version: v1}\n"},
			line: 3, want: "remote patch not fetched"},
		{name: "OpenAPI schema", files: map[string]string{"kustomization.yaml": "resources: [cm.yaml]\nopenapi:\n  path: URL/schema.json\n"},
			line: 3, want: "remote OpenAPI schema not fetched"},
		{name: "CRDs", files: map[string]string{"kustomization.yaml": "resources: [cm.yaml]\ncrds: [URL/crd.yaml]\n"},
			line: 2, want: "remote CRD file not fetched"},
		{name: "configurations", files: map[string]string{"kustomization.yaml": "resources: [cm.yaml]\nconfigurations: [URL/c.yaml]\n"},
			line: 2, want: "remote transformer configuration not fetched"},
		{name: "replacements", files: map[string]string{"kustomization.yaml": "resources: [cm.yaml]\nreplacements:\n- path: URL/r.yaml\n"},
			line: 3, want: "remote replacement not fetched"},
		{name: "generator file", files: map[string]string{"kustomization.yaml": "configMapGenerator:\n- name: x\n  files:\n  - URL/f.txt\n"},
			line: 4, want: "remote generator file not fetched"},
		{name: "generator file under a key", files: map[string]string{"kustomization.yaml": "configMapGenerator:\n- name: x\n  files:\n  - \"k=URL/f.txt\"\n"},
			line: 4, want: "remote generator file not fetched"},
		{name: "generator env file", files: map[string]string{"kustomization.yaml": "secretGenerator:\n- name: x\n  envs: [URL/e.env]\n"},
			line: 3, want: "remote generator env file not fetched"},
		{name: "generator env (deprecated)", files: map[string]string{"kustomization.yaml": "secretGenerator:\n- name: x\n  env: URL/e.env\n"},
			line: 3, want: "remote generator env file not fetched"},
		{name: "transformer URL", files: map[string]string{"kustomization.yaml": "resources: [cm.yaml]\ntransformers: [URL/t.yaml]\n"},
			line: 2, want: "remote plugin configuration not fetched"},
		{name: "inline transformer", files: map[string]string{"kustomization.yaml": "resources: [cm.yaml]\ntransformers:\n- |\n  apiVersion: builtin\n  kind: PatchTransformer\n  metadata: {name: p}\n  path: URL/p.yaml\n"},
			line: 7, want: "remote reference in a plugin configuration not fetched: URL/p.yaml"},
		{name: "transformer file", files: map[string]string{
			"kustomization.yaml": "resources: [cm.yaml]\ntransformers: [t.yaml]\n",
			"t.yaml":             "apiVersion: builtin\nkind: ReplacementTransformer\nmetadata: {name: r}\nreplacements:\n- path: URL/r.yaml\n"},
			file: "t.yaml", line: 5, want: "remote reference in a plugin configuration not fetched"},
		{name: "generator kustomization", files: map[string]string{
			"kustomization.yaml":     "generators: [gen]\n",
			"gen/kustomization.yaml": "resources: [g.yaml]\n",
			"gen/g.yaml":             "apiVersion: builtin\nkind: ConfigMapGenerator\nmetadata: {name: g}\nFiles: [URL/f.txt]\n"},
			file: "gen/g.yaml", line: 4, want: "remote reference in a plugin configuration not fetched"},
		{name: "validator", files: map[string]string{"kustomization.yaml": "resources: [cm.yaml]\nvalidators:\n- URL/v.yaml\n"},
			line: 3, want: "remote plugin configuration not fetched"},
		{name: "in a local base", files: map[string]string{
			"kustomization.yaml":      "resources: [base]\n",
			"base/kustomization.yaml": "resources:\n- URL/cm.yaml\n"},
			file: "base/kustomization.yaml", line: 2, want: "remote resource not fetched"},
		{name: "in a local component", files: map[string]string{
			"kustomization.yaml":   "resources: [cm.yaml]\ncomponents: [c]\n",
			"c/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\npatches:\n- path: URL/p.yaml\n"},
			file: "c/kustomization.yaml", line: 4, want: "remote patch not fetched"},
		{name: "helm chart", files: map[string]string{"kustomization.yaml": "helmCharts:\n- name: app\n  repo: URL/charts\n  version: 1.0.0\n"},
			line: 2, want: `helm chart "app" not inflated`},
		{name: "helm chart (deprecated)", files: map[string]string{"kustomization.yaml": "helmChartInflationGenerator:\n- chartName: app\n  chartRepoUrl: URL/charts\n"},
			line: 2, want: `helm chart "app" not inflated`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			files := map[string]string{"cm.yaml": localCM}
			for k, v := range tc.files {
				files[k] = strings.NewReplacer("URL", url, "HOST", host).Replace(v)
			}
			writeTree(t, dir, files)
			res := Load([]string{dir, "testdata/deployment.yaml"}, Options{})
			file := tc.file
			if file == "" {
				file = "kustomization.yaml"
			}
			want := strings.NewReplacer("URL", url, "HOST", host).Replace(tc.want)
			found := false
			for _, e := range res.Errors {
				if e.Location.File == filepath.Join(dir, file) && e.Location.Line == tc.line && strings.Contains(e.Message, want) {
					found = true
				}
			}
			if !found {
				t.Errorf("errors = %v\nwant one on %s:%d saying %q", res.Errors, file, tc.line, want)
			}
			for _, o := range res.Inventory.Objects {
				if o.Ref.Kind == "ConfigMap" {
					t.Errorf("the overlay was built: %s", o.Ref)
				}
			}
			if len(res.Inventory.Objects) != 1 {
				t.Errorf("the other input was not loaded: %d objects", len(res.Inventory.Objects))
			}
		})
	}
	if n := requests.Load(); n != 0 {
		t.Errorf("%d requests reached the server, want none", n)
	}
}

// TestKustomizeLocalRepositoryNotCloned: a file:// git URL would have kustomize clone
// a repository anywhere on the machine, past its own load restrictor.
func TestKustomizeLocalRepositoryNotCloned(t *testing.T) {
	repo := t.TempDir()
	writeTree(t, repo, map[string]string{
		"base/kustomization.yaml": "resources: [cm.yaml]\n",
		"base/cm.yaml":            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: outside-the-tree}\n",
	})
	if _, err := exec.LookPath("git"); err == nil {
		for _, args := range [][]string{{"init", "-q"}, {"add", "."}, {"-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x"}} {
			if out, err := exec.Command("git", append([]string{"-C", repo}, args...)...).CombinedOutput(); err != nil {
				t.Fatalf("git %v: %v\n%s", args, err, out)
			}
		}
	}
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"kustomization.yaml": "resources:\n- file://" + repo + "//base?ref=HEAD\n"})
	res := Load([]string{dir}, Options{})
	if len(res.Errors) != 1 || res.Errors[0].Location.Line != 2 || !strings.Contains(res.Errors[0].Message, "remote resource not fetched: file://"+repo) {
		t.Errorf("errors = %v, want one on line 2: remote resource not fetched", res.Errors)
	}
	if len(res.Inventory.Objects) != 0 {
		t.Errorf("read the repository outside the tree: %v", summarize(res.Inventory.Objects))
	}
}

// TestKustomizeStaysInTree: a kustomization reads nothing outside the scanned tree (the
// named path, or the git work tree that holds it), through a base, a symbolic link or
// a generator file, and no device or FIFO.
func TestKustomizeStaysInTree(t *testing.T) {
	outside := t.TempDir()
	writeTree(t, outside, map[string]string{
		"base/kustomization.yaml": "resources: [cm.yaml]\n",
		"base/cm.yaml":            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: outside-the-tree}\n",
		"secret.txt":              "s3cr3t-outside",
	})
	for _, tc := range []struct {
		name  string
		files map[string]string
		fifo  string
		line  int
		want  string
	}{
		{name: "base outside", files: map[string]string{"kustomization.yaml": "resources:\n- OUT/base\n"},
			line: 2, want: "outside the scanned tree"},
		{name: "base through a link", files: map[string]string{"kustomization.yaml": "resources:\n- b\n", "b": "->OUT/base"},
			line: 2, want: "outside the scanned tree"},
		{name: "resource through a link", files: map[string]string{"kustomization.yaml": "resources:\n- cm.yaml\n", "cm.yaml": "->OUT/base/cm.yaml"},
			line: 2, want: "outside the scanned tree"},
		{name: "generator file through a link", files: map[string]string{"kustomization.yaml": "secretGenerator:\n- name: s\n  files:\n  - secret.txt\n", "secret.txt": "->OUT/secret.txt"},
			line: 4, want: "outside the scanned tree"},
		{name: "environment", files: map[string]string{"kustomization.yaml": "configMapGenerator:\n- name: s\n  files:\n  - env.txt\n", "env.txt": "->/proc/self/environ"},
			line: 4, want: "outside the scanned tree"},
		{name: "device", files: map[string]string{"kustomization.yaml": "resources:\n- zero.yaml\n", "zero.yaml": "->/dev/zero"},
			line: 2, want: "/dev/zero"},
		{name: "FIFO in the tree", files: map[string]string{"kustomization.yaml": "resources:\n- p.yaml\n"}, fifo: "p.yaml",
			line: 2, want: "not a regular file"},
		{name: "kustomization file is a FIFO", files: map[string]string{}, fifo: "kustomization.yaml",
			want: "not a regular file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			files := map[string]string{}
			for k, v := range tc.files {
				files[k] = strings.ReplaceAll(v, "OUT", outside)
			}
			writeTree(t, dir, files)
			if tc.fifo != "" {
				if err := syscall.Mkfifo(filepath.Join(dir, tc.fifo), 0o644); err != nil {
					t.Skip("no FIFOs here:", err)
				}
			}
			res := Load([]string{dir}, Options{})
			if len(res.Errors) != 1 || res.Errors[0].Location.File != filepath.Join(dir, "kustomization.yaml") ||
				res.Errors[0].Location.Line != tc.line || !strings.Contains(res.Errors[0].Message, tc.want) {
				t.Errorf("errors = %v\nwant one on kustomization.yaml:%d saying %q", res.Errors, tc.line, tc.want)
			}
			if len(res.Inventory.Objects) != 0 {
				t.Errorf("objects %v, want none", summarize(res.Inventory.Objects))
			}
		})
	}
	t.Run("base elsewhere in the git work tree", func(t *testing.T) {
		repo := t.TempDir()
		writeTree(t, repo, map[string]string{
			".git/HEAD":                        "ref: refs/heads/main\n",
			"base/kustomization.yaml":          "resources: [cm.yaml]\n",
			"base/cm.yaml":                     localCM,
			"overlays/prod/kustomization.yaml": "resources: [../../base]\nnamePrefix: prod-\n",
		})
		res := mustLoad(t, []string{filepath.Join(repo, "overlays", "prod")}, Options{})
		noErrors(t, res)
		if len(res.Inventory.Objects) != 1 || res.Inventory.Objects[0].Ref.Name != "prod-local" {
			t.Errorf("objects %v, want prod-local", summarize(res.Inventory.Objects))
		}
	})
}

// TestKustomizeSecretsMasked: kustomize's errors quote the literals and files of secret
// generators (every literal of the list when one is malformed, an env file's line with
// invalid UTF-8); none of them reaches a message.
func TestKustomizeSecretsMasked(t *testing.T) {
	const (
		pw    = "hunter2-Zq8x"
		other = "lowentropy"
		token = "tok-77Ab91xyz"
	)
	for _, tc := range []struct {
		name  string
		files map[string]string
	}{
		{name: "malformed literal among others", files: map[string]string{
			"kustomization.yaml": "secretGenerator:\n- name: s\n  literals:\n  - password=" + pw + "\n  - user=" + other + "\n  - " + token + "\n"}},
		{name: "literal with an empty key", files: map[string]string{
			"kustomization.yaml": "secretGenerator:\n- name: s\n  literals:\n  - \"=" + pw + "\"\n  - a=" + other + "\n"}},
		{name: "invalid UTF-8 in an env file", files: map[string]string{
			"kustomization.yaml": "secretGenerator:\n- name: s\n  envs: [s.env]\n",
			"s.env":              "A=" + other + "\nPASSWORD=" + pw + "\xff\n"}},
		{name: "bad key in an env file", files: map[string]string{
			"kustomization.yaml": "secretGenerator:\n- name: s\n  envs: [s.env]\n",
			"s.env":              "A=" + other + "\n" + token + "\xff=" + pw + "\n"}},
		{name: "duplicate generators", files: map[string]string{
			"kustomization.yaml": "secretGenerator:\n- name: s\n  literals: [password=" + pw + "]\n- name: s\n  literals: [password=" + other + "]\n"}},
		{name: "patch on a Secret that does not apply", files: map[string]string{
			"kustomization.yaml": "resources: [s.yaml]\npatches:\n- target: {kind: Secret}\n  patch: |-\n    - op: test\n      path: /stringData/password\n      value: " + other + "x\n",
			"s.yaml":             "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData: {password: " + pw + "}\n"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeTree(t, dir, tc.files)
			res := Load([]string{dir}, Options{})
			if len(res.Errors) == 0 {
				t.Fatal("no error")
			}
			for _, e := range res.Errors {
				for _, s := range []string{pw, other, token} {
					if strings.Contains(e.Error(), s) {
						t.Errorf("error shows %q: %s", s, e.Error())
					}
				}
			}
		})
	}
}

// TestLibraryLogsQuiet: kustomize logs the value of a var it cannot use, here the data
// of a Secret; nothing of it reaches the standard logger's output.
func TestLibraryLogsQuiet(t *testing.T) {
	var buf bytes.Buffer
	log.SetOutput(&buf)
	t.Cleanup(func() { log.SetOutput(os.Stderr) })
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"kustomization.yaml": "resources: [s.yaml, pod.yaml]\nvars:\n- name: X\n  objref: {kind: Secret, name: s, apiVersion: v1}\n  fieldref: {fieldpath: data}\n",
		"s.yaml":             "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {db: aHVudGVyMi1acTh4}\n",
		"pod.yaml":           "apiVersion: v1\nkind: Pod\nmetadata: {name: c}\nspec: {containers: [{name: a, image: x, args: [\"$(X)\"]}]}\n",
	})
	Load([]string{dir}, Options{})
	if strings.Contains(buf.String(), "aHVudGVyMi1acTh4") {
		t.Errorf("the Secret's data reached the log: %q", buf.String())
	}
}

func TestKustomizeOptions(t *testing.T) {
	o := kustomizeOptions()
	if o.LoadRestrictions != types.LoadRestrictionsRootOnly {
		t.Errorf("load restrictions %v, want root only", o.LoadRestrictions)
	}
	if o.PluginConfig.PluginRestrictions != types.PluginRestrictionsBuiltinsOnly || o.PluginConfig.HelmConfig.Enabled ||
		o.PluginConfig.FnpLoadingOptions.EnableExec || o.PluginConfig.FnpLoadingOptions.Network {
		t.Errorf("plugin configuration %+v, want built-ins only, no helm, no exec, no network", o.PluginConfig)
	}
}

// TestKustomizeFieldsChecked fails when kustomize adds a field to its Kustomization
// type: checkKustomization must then decide whether it names something to load.
func TestKustomizeFieldsChecked(t *testing.T) {
	checked := map[string]bool{
		// names of things kustomize loads: checked
		"Resources": true, "Bases": true, "Components": true, "Crds": true, "Configurations": true,
		"OpenAPI": true, "PatchesStrategicMerge": true, "Patches": true, "PatchesJson6902": true,
		"Replacements": true, "ConfigMapGenerator": true, "SecretGenerator": true, "Generators": true,
		"Transformers": true, "Validators": true, "HelmCharts": true, "HelmChartInflationGenerator": true,
		"HelmGlobals": true,
		// nothing loaded
		"TypeMeta": true, "MetaData": true, "NamePrefix": true, "NameSuffix": true, "Namespace": true,
		"CommonLabels": true, "Labels": true, "CommonAnnotations": true, "Images": true, "ImageTags": true,
		"Replicas": true, "Vars": true, "SortOptions": true, "GeneratorOptions": true, "BuildMetadata": true,
	}
	typ := reflect.TypeOf(types.Kustomization{})
	for i := 0; i < typ.NumField(); i++ {
		if name := typ.Field(i).Name; !checked[name] {
			t.Errorf("Kustomization.%s is new: does it name something kustomize loads?", name)
		}
	}
	for _, typ := range []reflect.Type{reflect.TypeOf(types.KvPairSources{}), reflect.TypeOf(types.Patch{}), reflect.TypeOf(types.ReplacementField{})} {
		if typ.NumField() > 4 {
			t.Errorf("%s has new fields: do they name files?", typ)
		}
	}
}

// TestKustomizeJSONPatchCopies: each copy of a field into itself doubles it; thirty
// copies in a 2 KB patch would build gigabytes.
func TestKustomizeJSONPatchCopies(t *testing.T) {
	var ops strings.Builder
	ops.WriteString("    - op: add\n      path: /data/a0\n      value: \"0123456789012345678901234567890123456789\"\n")
	for i := 1; i <= 40; i++ {
		fmt.Fprintf(&ops, "    - op: copy\n      from: /data\n      path: /data/a%d\n", i)
	}
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"kustomization.yaml": "resources: [cm.yaml]\npatches:\n- target: {kind: ConfigMap}\n  patch: |-\n" + ops.String(),
		"cm.yaml":            localCM + "data: {}\n",
	})
	res := Load([]string{dir}, Options{})
	if len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Message, "Unable to complete the copy") {
		t.Errorf("errors = %v, want the copy limit", res.Errors)
	}
}

func TestKustomizeOutputCap(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{"kustomization.yaml": "resources: [a.yaml, b.yaml, c.yaml]\n"}
	for _, n := range []string{"a", "b", "c"} {
		files[n+".yaml"] = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: " + n + "}\ndata: {a: \"" + strings.Repeat("x", 1000) + "\"}\n"
	}
	writeTree(t, dir, files)
	res := Load([]string{dir}, Options{Render: RenderLimits{MaxBytes: 2048}})
	if len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Message, "over the limit of 2Ki") {
		t.Errorf("errors = %v, want the size limit", res.Errors)
	}
}

func TestRemoteRef(t *testing.T) {
	for ref, want := range map[string]bool{
		"https://example.com/cm.yaml": true, "HTTP://example.com/x": true, "http:x": true,
		"git::https://h/org/repo": true, "GIT::h/org/repo": true, "ssh://git@h/org/repo": true,
		"file:///srv/repo//base?ref=HEAD": true, "github.com/org/repo": true, "GitHub.com:org/repo": true,
		"git@github.com:org/repo.git": true, "user@host/org/repo": true, "u@h:repo.git": true,
		"base": false, "../base": false, "/abs/base": false, "cm.yaml": false, "dir/with:colon": false,
		"nginx@sha256:0123": false, "x=y": false, "": false,
	} {
		if got := remoteRef(ref); got != want {
			t.Errorf("remoteRef(%q) = %v, want %v", ref, got, want)
		}
	}
}

func TestUntrusted(t *testing.T) {
	long := "password=" + strings.Repeat("x", 10000) + " " + strings.Repeat("é", 3000)
	got := untrusted(long)
	if len(got) > maxMessage+40 || !strings.HasSuffix(got, "more bytes)") || strings.Contains(got, "xxxx") {
		t.Errorf("untrusted(long) = %.80q... (%d bytes)", got, len(got))
	}
	if got := untrusted("literal hunter2 bad", "hunter2"); got != "literal **** bad" {
		t.Errorf("known value: %q", got)
	}
}

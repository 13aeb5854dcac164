package main

// Where users run Palisade besides the command line: the GitHub Action (action.yml and
// its entry script), the pre-commit hooks (.pre-commit-hooks.yaml) and the kubectl
// plugin (.krew.yaml, the binary run as kubectl-palisade). Each is run here against the
// examples with a locally built binary, offline.

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"text/template"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"sigs.k8s.io/yaml"
)

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
)

// palisadeBinary builds cmd/palisade once per test run (static, as released).
func palisadeBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "palisade-bin")
		if err != nil {
			buildErr = err
			return
		}
		builtBin = filepath.Join(dir, "palisade")
		cmd := exec.Command("go", "build", "-trimpath", "-buildvcs=false", "-ldflags", "-X github.com/palisade-k8s/palisade/internal/cli.Version=v0.0.0-test", "-o", builtBin, ".")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return builtBin
}

func TestMain(m *testing.M) {
	code := m.Run()
	if builtBin != "" {
		os.RemoveAll(filepath.Dir(builtBin))
	}
	os.Exit(code)
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.UnmarshalStrict(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

type actionStep struct {
	Name  string            `json:"name"`
	ID    string            `json:"id"`
	If    string            `json:"if"`
	Uses  string            `json:"uses"`
	With  map[string]string `json:"with"`
	Env   map[string]string `json:"env"`
	Shell string            `json:"shell"`
	Run   string            `json:"run"`
}

type action struct {
	Name        string            `json:"name"`
	Description string            `json:"description"`
	Author      string            `json:"author"`
	Branding    map[string]string `json:"branding"`
	Inputs      map[string]struct {
		Description string `json:"description"`
		Required    bool   `json:"required"`
		Default     string `json:"default"`
	} `json:"inputs"`
	Outputs map[string]struct {
		Description string `json:"description"`
		Value       string `json:"value"`
	} `json:"outputs"`
	Runs struct {
		Using string       `json:"using"`
		Steps []actionStep `json:"steps"`
	} `json:"runs"`
}

// action.yml is a composite action whose steps use only declared inputs, pass them to
// the script through the environment, and whose outputs the script writes.
func TestGitHubActionDefinition(t *testing.T) {
	var a action
	readYAML(t, filepath.Join(repoRoot, "action.yml"), &a)
	script, err := os.ReadFile(filepath.Join(repoRoot, "hack", "action", "run.sh"))
	if err != nil {
		t.Fatal(err)
	}
	if a.Name == "" || a.Description == "" || a.Runs.Using != "composite" {
		t.Fatalf("action.yml: name %q, description %q, runs.using %q; want a described composite action", a.Name, a.Description, a.Runs.Using)
	}
	for _, in := range []string{"paths", "args", "sarif-file", "fail-on-findings"} {
		if a.Inputs[in].Description == "" {
			t.Errorf("input %s missing or undocumented", in)
		}
	}
	inputRef := regexp.MustCompile(`inputs\.([A-Za-z0-9_-]+)`)
	stepIDs := map[string]bool{}
	for _, s := range a.Runs.Steps {
		if s.ID != "" {
			stepIDs[s.ID] = true
		}
		texts := []string{s.If, s.Run}
		for _, m := range []map[string]string{s.With, s.Env} {
			for _, v := range m {
				texts = append(texts, v)
			}
		}
		for _, text := range texts {
			for _, m := range inputRef.FindAllStringSubmatch(text, -1) {
				if _, ok := a.Inputs[m[1]]; !ok {
					t.Errorf("step %q uses undeclared input %s", s.Name, m[1])
				}
			}
		}
		// Expressions in a script are pasted into it before bash runs: an input would
		// be shell code. Inputs go through env only.
		if strings.Contains(s.Run, "${{") {
			t.Errorf("step %q interpolates an expression into its script: %s", s.Name, s.Run)
		}
		if s.Run != "" && s.Shell == "" {
			t.Errorf("step %q: a composite run step needs a shell", s.Name)
		}
		for k := range s.Env {
			if s.Run != "" && !bytes.Contains(script, []byte(k)) {
				t.Errorf("step %q sets %s, which run.sh never reads", s.Name, k)
			}
		}
	}
	outRef := regexp.MustCompile(`^\$\{\{ steps\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+) \}\}$`)
	for name, o := range a.Outputs {
		m := outRef.FindStringSubmatch(o.Value)
		if m == nil || !stepIDs[m[1]] {
			t.Errorf("output %s = %q, want ${{ steps.ID.outputs.NAME }} of a step", name, o.Value)
			continue
		}
		if !bytes.Contains(script, []byte(`echo "`+m[2]+`=`)) {
			t.Errorf("output %s: run.sh never writes %s to GITHUB_OUTPUT", name, m[2])
		}
	}
	if _, ok := a.Outputs["sarif-file"]; !ok {
		t.Error("no sarif-file output for upload-sarif")
	}
}

// The action's entry script, run as the runner does (from the repository root, inputs
// in the environment), writes a valid SARIF report with paths relative to the
// repository, its outputs, and the exit code fail-on-findings asks for.
func TestGitHubActionRun(t *testing.T) {
	bin := palisadeBinary(t)
	sch := compileSARIFSchema(t)
	script, err := filepath.Abs(filepath.Join(repoRoot, "hack", "action", "run.sh"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, paths, args, fail string
		exit, outputExit        int
		results                 bool
	}{
		{name: "hardened", paths: "examples/hardened", exit: 0, outputExit: 0},
		{name: "insecure", paths: "examples/insecure\nexamples/hardened", exit: 1, outputExit: 1, results: true},
		{name: "insecure-no-fail", paths: "examples/insecure", fail: "false", exit: 0, outputExit: 1, results: true},
		{name: "insecure-fail-on-none", paths: "examples/insecure", args: "--fail-on none", exit: 0, outputExit: 0, results: true},
		{name: "usage-error", paths: "examples/insecure", args: "--no-such-flag", fail: "false", exit: 2, outputExit: 2},
		{name: "no-paths", paths: " \n", exit: 2, outputExit: -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			sarif, outputs := filepath.Join(dir, "reports", "palisade.sarif"), filepath.Join(dir, "outputs")
			cmd := exec.Command("bash", script)
			cmd.Dir = repoRoot
			cmd.Env = append(os.Environ(), "PALISADE_BIN="+bin, "PALISADE_PATHS="+tc.paths, "PALISADE_ARGS="+tc.args,
				"PALISADE_SARIF="+sarif, "PALISADE_FAIL="+tc.fail, "GITHUB_OUTPUT="+outputs)
			out, err := cmd.CombinedOutput()
			code := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tc.exit {
				t.Errorf("exit %d, want %d\n%s", code, tc.exit, out)
			}
			got, err := os.ReadFile(outputs)
			if tc.outputExit < 0 {
				if err == nil {
					t.Errorf("outputs written for a run that scanned nothing:\n%s", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if want := fmt.Sprintf("sarif-file=%s\nexit-code=%d\n", sarif, tc.outputExit); string(got) != want {
				t.Errorf("GITHUB_OUTPUT:\n%s\nwant\n%s", got, want)
			}
			if tc.exit == 2 {
				return
			}
			data, err := os.ReadFile(sarif)
			if err != nil {
				t.Fatal(err)
			}
			validateSARIF(t, sch, data)
			var log struct {
				Runs []struct {
					Results []struct {
						Locations []struct {
							PhysicalLocation struct {
								ArtifactLocation struct {
									URI string `json:"uri"`
								} `json:"artifactLocation"`
							} `json:"physicalLocation"`
						} `json:"locations"`
					} `json:"results"`
				} `json:"runs"`
			}
			if err := json.Unmarshal(data, &log); err != nil || len(log.Runs) != 1 {
				t.Fatalf("SARIF: %v, %d runs", err, len(log.Runs))
			}
			if n := len(log.Runs[0].Results); (n > 0) != tc.results {
				t.Errorf("%d results, want some: %v", n, tc.results)
			}
			for _, r := range log.Runs[0].Results {
				for _, l := range r.Locations {
					// Code scanning places a result by its path in the repository.
					if uri := l.PhysicalLocation.ArtifactLocation.URI; !strings.HasPrefix(uri, "examples/") {
						t.Errorf("result at %q, want a path relative to the repository", uri)
					}
				}
			}
		})
	}
}

func compileSARIFSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	path, err := filepath.Abs(filepath.Join(repoRoot, "internal", "report", "testdata", "sarif-schema-2.1.0.json"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(path, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

func validateSARIF(t *testing.T, sch *jsonschema.Schema, data []byte) {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("SARIF is not JSON: %v", err)
	}
	if err := sch.Validate(inst); err != nil {
		t.Fatalf("SARIF invalid: %v", err)
	}
}

type preCommitHook struct {
	ID               string   `json:"id"`
	Name             string   `json:"name"`
	Description      string   `json:"description"`
	Entry            string   `json:"entry"`
	Language         string   `json:"language"`
	Files            string   `json:"files"`
	Exclude          string   `json:"exclude"`
	Types            []string `json:"types"`
	PassFilenames    *bool    `json:"pass_filenames"`
	RequireSerial    bool     `json:"require_serial"`
	Args             []string `json:"args"`
	MinimumPreCommit string   `json:"minimum_pre_commit_version"`
	AlwaysRun        bool     `json:"always_run"`
	AdditionalDeps   []string `json:"additional_dependencies"`
	Stages           []string `json:"stages"`
	Verbose          bool     `json:"verbose"`
	LanguageVersion  string   `json:"language_version"`
	ExcludeTypes     []string `json:"exclude_types"`
	TypesOr          []string `json:"types_or"`
	Alias            string   `json:"alias"`
}

// .pre-commit-hooks.yaml has what pre-commit requires of each hook, its patterns
// select the examples' plain manifests (not chart templates, values or
// kustomizations, which are no manifests), and its entry, given those files as
// pre-commit passes them, passes the hardened examples and fails the insecure ones.
func TestPreCommitHooks(t *testing.T) {
	var hooks []preCommitHook
	readYAML(t, filepath.Join(repoRoot, ".pre-commit-hooks.yaml"), &hooks)
	if len(hooks) == 0 {
		t.Fatal("no hooks")
	}
	bin := palisadeBinary(t)
	languages := []string{"conda", "coursier", "dart", "docker", "docker_image", "dotnet", "fail", "golang", "haskell", "julia", "lua", "node", "perl", "pygrep", "python", "r", "ruby", "rust", "script", "swift", "system", "unsupported", "unsupported_script"}
	for _, h := range hooks {
		if h.ID == "" || h.Name == "" || h.Entry == "" || h.Language == "" {
			t.Errorf("hook %+v: id, name, entry and language are required", h)
			continue
		}
		if !slices.Contains(languages, h.Language) {
			t.Errorf("hook %s: unknown language %q", h.ID, h.Language)
		}
		if h.PassFilenames == nil || !*h.PassFilenames {
			t.Errorf("hook %s: pass_filenames should be true", h.ID)
		}
		files, err := regexp.Compile(h.Files)
		if err != nil {
			t.Fatalf("hook %s: files: %v", h.ID, err)
		}
		exclude, err := regexp.Compile(h.Exclude)
		if err != nil {
			t.Fatalf("hook %s: exclude: %v", h.ID, err)
		}
		selected := map[string][]string{}
		err = filepath.WalkDir(filepath.Join(repoRoot, "examples"), func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, _ := filepath.Rel(repoRoot, p)
			rel = filepath.ToSlash(rel)
			if files.MatchString(rel) && (h.Exclude == "" || !exclude.MatchString(rel)) {
				set := strings.SplitN(rel, "/", 3)[1]
				selected[set] = append(selected[set], rel)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, must := range []string{"examples/hardened/storefront.yaml", "examples/insecure/rbac.yaml"} {
			if !slices.Contains(selected["hardened"], must) && !slices.Contains(selected["insecure"], must) {
				t.Errorf("hook %s does not select %s", h.ID, must)
			}
		}
		for set, want := range map[string]int{"hardened": 0, "insecure": 1} {
			names := selected[set]
			sort.Strings(names)
			entry := strings.Fields(h.Entry)
			if entry[0] != "palisade" {
				t.Fatalf("hook %s: entry %q does not run palisade", h.ID, h.Entry)
			}
			cmd := exec.Command(bin, append(append(entry[1:], h.Args...), names...)...)
			cmd.Dir = repoRoot
			out, err := cmd.CombinedOutput()
			code := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != want {
				t.Errorf("hook %s on the %s examples %q: exit %d, want %d\n%s", h.ID, set, names, code, want, out)
			}
		}
	}
}

// .krew.yaml, rendered as krew-release-bot renders it, is a krew Plugin whose
// platforms each name an archive for their OS and architecture and install the
// binary as kubectl-palisade.
func TestKrewManifest(t *testing.T) {
	tmpl, err := os.ReadFile(filepath.Join(repoRoot, ".krew.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	const tag = "v1.2.3"
	tp, err := template.New("krew").Funcs(template.FuncMap{
		// krew-release-bot's function: the archive's URL (itself a template of the
		// tag) and its SHA-256, as two fields of the platform.
		"addURIAndSha": func(url, tag string) string {
			url = strings.ReplaceAll(url, "{{ .TagName }}", tag)
			return "uri: " + url + "\n    sha256: " + strings.Repeat("0f", 32)
		},
	}).Parse(string(tmpl))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := tp.Execute(&buf, struct{ TagName string }{tag}); err != nil {
		t.Fatal(err)
	}
	var p struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name string `json:"name"`
		} `json:"metadata"`
		Spec struct {
			Version          string `json:"version"`
			Homepage         string `json:"homepage"`
			ShortDescription string `json:"shortDescription"`
			Description      string `json:"description"`
			Caveats          string `json:"caveats"`
			Platforms        []struct {
				Selector struct {
					MatchLabels map[string]string `json:"matchLabels"`
				} `json:"selector"`
				URI    string `json:"uri"`
				Sha256 string `json:"sha256"`
				Bin    string `json:"bin"`
				Files  []struct {
					From string `json:"from"`
					To   string `json:"to"`
				} `json:"files"`
			} `json:"platforms"`
		} `json:"spec"`
	}
	if err := yaml.UnmarshalStrict(buf.Bytes(), &p); err != nil {
		t.Fatalf("rendered .krew.yaml: %v\n%s", err, buf.String())
	}
	if p.APIVersion != "krew.googlecontainertools.github.com/v1alpha2" || p.Kind != "Plugin" || p.Metadata.Name != "palisade" {
		t.Errorf("%s %s %s, want krew.googlecontainertools.github.com/v1alpha2 Plugin palisade", p.APIVersion, p.Kind, p.Metadata.Name)
	}
	if p.Spec.Version != tag || p.Spec.Homepage == "" || p.Spec.ShortDescription == "" || len(p.Spec.ShortDescription) > 50 || p.Spec.Description == "" {
		t.Errorf("spec: version %q homepage %q shortDescription %q (at most 50 characters)", p.Spec.Version, p.Spec.Homepage, p.Spec.ShortDescription)
	}
	sha := regexp.MustCompile(`^[0-9a-f]{64}$`)
	seen := map[string]bool{}
	for _, pl := range p.Spec.Platforms {
		osName, arch := pl.Selector.MatchLabels["os"], pl.Selector.MatchLabels["arch"]
		key := osName + "_" + arch
		if osName == "" || arch == "" || seen[key] {
			t.Errorf("platform selector %v: want a distinct os and arch", pl.Selector.MatchLabels)
		}
		seen[key] = true
		wantBin := "kubectl-palisade"
		if osName == "windows" {
			wantBin += ".exe"
		}
		if pl.Bin != wantBin {
			t.Errorf("%s: bin %q, want %q", key, pl.Bin, wantBin)
		}
		if !strings.HasPrefix(pl.URI, "https://github.com/palisade-k8s/palisade/releases/download/"+tag+"/") || !strings.Contains(pl.URI, "_"+key+".") ||
			!(strings.HasSuffix(pl.URI, ".tar.gz") || strings.HasSuffix(pl.URI, ".zip")) {
			t.Errorf("%s: uri %q, want the release archive for %s", key, pl.URI, key)
		}
		if !sha.MatchString(pl.Sha256) {
			t.Errorf("%s: sha256 %q", key, pl.Sha256)
		}
		var from []string
		for _, f := range pl.Files {
			from = append(from, f.From)
		}
		if !slices.Contains(from, pl.Bin) || !slices.Contains(from, "LICENSE") {
			t.Errorf("%s: files %v, want the binary and LICENSE", key, from)
		}
	}
	for _, k := range []string{"linux_amd64", "linux_arm64", "darwin_amd64", "darwin_arm64", "windows_amd64"} {
		if !seen[k] {
			t.Errorf("no platform %s", k)
		}
	}
}

// Installed as kubectl-palisade, the binary works as `kubectl palisade` and says so.
func TestKubectlPlugin(t *testing.T) {
	bin := palisadeBinary(t)
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	plugin := filepath.Join(t.TempDir(), "kubectl-palisade")
	if err := os.WriteFile(plugin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(plugin, "version").CombinedOutput()
	if err != nil || string(out) != "palisade v0.0.0-test\n" {
		t.Errorf("kubectl-palisade version: %q, %v", out, err)
	}
	for _, args := range [][]string{{"--help"}, {"scan", "--help"}} {
		out, err := exec.Command(plugin, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("kubectl-palisade %v: %v\n%s", args, err, out)
		}
		want := "kubectl palisade " + map[string]string{"--help": "[command]", "scan": "scan [PATH"}[args[0]]
		if !strings.Contains(string(out), want) {
			t.Errorf("kubectl-palisade %v: no %q in\n%s", args, want, out)
		}
		if _, usage, _ := strings.Cut(string(out), "Usage:\n  "); !strings.HasPrefix(usage, "kubectl palisade") {
			t.Errorf("kubectl-palisade %v: usage does not name the command kubectl palisade\n%s", args, out)
		}
	}
	// Errors behave as for palisade: exit code 2 on usage.
	if err := exec.Command(plugin, "scan").Run(); err == nil {
		t.Error("kubectl-palisade scan without paths: exit 0")
	} else if ee := (*exec.ExitError)(nil); errors.As(err, &ee) && ee.ExitCode() != 2 {
		t.Errorf("kubectl-palisade scan without paths: exit %d, want 2", ee.ExitCode())
	}
}

// `make plugin-archives` builds the archive .krew.yaml names for this platform, with
// what its files list, reproducibly; the binary in it is the kubectl plugin.
func TestPluginArchive(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	if _, err := os.Stat(filepath.Join(repoRoot, "LICENSE")); err != nil {
		t.Skip("no LICENSE in the repository to package")
	}
	platform := "linux/" + runtime.GOARCH
	build := func() (string, []byte) {
		t.Helper()
		dir := t.TempDir()
		cmd := exec.Command("make", "--no-print-directory", "plugin-archives", "PLUGIN_DIR="+dir, "PLUGIN_PLATFORMS="+platform, "VERSION=v0.0.0-test", "SOURCE_DATE_EPOCH=1700000000")
		cmd.Dir = repoRoot
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("make plugin-archives: %v\n%s", err, out)
		}
		name := filepath.Join(dir, "kubectl-palisade_v0.0.0-test_linux_"+runtime.GOARCH+".tar.gz")
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		return dir, data
	}
	// The binary is reproducible (tools/ociimage's test); so is the archive if
	// nothing else in it varies: no time or name in the gzip header, fixed owners and
	// times in the tar.
	dir, a := build()
	krew, err := os.ReadFile(filepath.Join(repoRoot, ".krew.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(krew, []byte("kubectl-palisade_{{ .TagName }}_linux_"+runtime.GOARCH+".tar.gz")) {
		t.Errorf(".krew.yaml names no archive kubectl-palisade_{{ .TagName }}_linux_%s.tar.gz", runtime.GOARCH)
	}
	zr, err := gzip.NewReader(bytes.NewReader(a))
	if err != nil {
		t.Fatal(err)
	}
	if !zr.Header.ModTime.IsZero() || zr.Header.Name != "" {
		t.Errorf("gzip header: time %v name %q, want neither", zr.Header.ModTime, zr.Header.Name)
	}
	tr := tar.NewReader(zr)
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
		if h.Uid != 0 || h.Gid != 0 || h.ModTime.Unix() != 1700000000 {
			t.Errorf("%s: owner %d:%d mtime %v, want 0:0 at SOURCE_DATE_EPOCH", h.Name, h.Uid, h.Gid, h.ModTime)
		}
		if h.Name == "kubectl-palisade" {
			bin := filepath.Join(dir, "kubectl-palisade")
			data, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(bin, data, 0o755); err != nil {
				t.Fatal(err)
			}
			if out, err := exec.Command(bin, "--help").CombinedOutput(); err != nil || !strings.Contains(string(out), "kubectl palisade [command]") {
				t.Errorf("kubectl-palisade from the archive: --help %v\n%s", err, out)
			}
		}
	}
	sort.Strings(names)
	if want := []string{"LICENSE", "kubectl-palisade"}; !slices.Equal(names, want) {
		t.Errorf("archive holds %q, want %q", names, want)
	}
}

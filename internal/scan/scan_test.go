package scan

import (
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/config"
	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/source"
	"github.com/palisade-k8s/palisade/internal/workload"
)

const customWorkload = `apiVersion: example.com/v1
kind: Runner
metadata:
  name: r
  namespace: ci
spec:
  pod:
    template:
      spec:
        containers:
        - name: job
          image: busybox
          securityContext:
            privileged: true
`

// TestPodTemplatePaths: a custom kind is checked like a Deployment once its template
// path is configured, and ignored (kept in the inventory, unchecked) before.
func TestPodTemplatePaths(t *testing.T) {
	for _, tc := range []struct {
		name  string
		paths []workload.TemplatePath
		want  int
	}{
		{"unconfigured", nil, 0},
		{"configured", []workload.TemplatePath{{Group: "example.com", Kind: "Runner", Path: "spec.pod.template"}}, 1},
		{"other group", []workload.TemplatePath{{Group: "other.io", Kind: "Runner", Path: "spec.pod.template"}}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Run(Options{Source: &source.Files{Paths: []string{"-"}, Stdin: strings.NewReader(customWorkload)},
				Config: &config.Config{PodTemplatePaths: tc.paths}, FailOn: "none"})
			if err != nil {
				t.Fatal(err)
			}
			if res.Report.Summary.Objects != 1 {
				t.Fatalf("%d objects, want the custom resource kept", res.Report.Summary.Objects)
			}
			n := 0
			for _, f := range res.Report.Findings {
				if f.RuleID == "PAL-001" {
					n++
					if f.Path != "spec.pod.template.spec.containers[0].securityContext.privileged" || f.Location.Line != 14 {
						t.Errorf("PAL-001 at %s line %d", f.Path, f.Location.Line)
					}
				}
			}
			if n != tc.want {
				t.Errorf("%d PAL-001 findings, want %d", n, tc.want)
			}
		})
	}
}

// TestSeverityOverrideAndDisable: configuration changes a copy of a rule, never the
// registry, and disabled rules do not run.
func TestSeverityOverrideAndDisable(t *testing.T) {
	cfg, err := config.Parse([]byte("rules:\n  PAL-001: {severity: low}\n  PAL-006: {enabled: false}\n"),
		func(string) bool { return true }, rules.ParamsOf)
	if err != nil {
		t.Fatal(err)
	}
	pod := "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n    image: x\n    securityContext: {privileged: true}\n"
	res, err := Run(Options{Source: &source.Files{Paths: []string{"-"}, Stdin: strings.NewReader(pod)}, Config: cfg, FailOn: "critical"})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range res.Report.Findings {
		if f.RuleID == "PAL-006" {
			t.Error("disabled rule PAL-006 reported")
		}
		if f.RuleID == "PAL-001" && f.Severity.String() != "low" {
			t.Errorf("PAL-001 severity %s, want low", f.Severity)
		}
	}
	for _, r := range AllRules() {
		if r.ID == "PAL-001" && r.Severity.String() != "critical" {
			t.Error("registry severity was changed")
		}
	}
	// PAL-001 was the only critical finding, and it is now low.
	if res.ExitCode() != 0 {
		t.Errorf("exit %d at --fail-on critical, want 0 once PAL-001 is low", res.ExitCode())
	}
}

// TestEmptyInputIsAnInputError: a scan that finds neither an object nor a
// configuration file never passes silently.
func TestEmptyInputIsAnInputError(t *testing.T) {
	for _, in := range []string{"", "# just a comment\n", "---\n---\n"} {
		res, err := Run(Options{Source: &source.Files{Paths: []string{"-"}, Stdin: strings.NewReader(in)}})
		if err != nil {
			t.Fatal(err)
		}
		if res.ExitCode() != 3 || len(res.Report.Errors) != 1 || res.Report.Errors[0].Message != source.NothingFound {
			t.Errorf("input %q: exit %d, errors %v; want exit 3 and a no-objects error", in, res.ExitCode(), res.Report.Errors)
		}
	}
}

// TestIncludeExclude: --include and --exclude select rules by ID or glob on top of the
// configuration, and a pattern that matches no rule is a usage error.
func TestIncludeExclude(t *testing.T) {
	pod := "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  hostNetwork: true\n  containers:\n  - name: a\n    image: x\n    securityContext: {privileged: true}\n"
	for _, tc := range []struct {
		name             string
		include, exclude []string
		want             string
		wantErr          bool
	}{
		{name: "include one", include: []string{"PAL-001"}, want: "PAL-001"},
		{name: "include glob", include: []string{"pal-01*"}, want: "PAL-011,PAL-013,PAL-018"},
		{name: "include and exclude", include: []string{"PAL-01*"}, exclude: []string{"PAL-011", "PAL-013"}, want: "PAL-018"},
		{name: "typo", exclude: []string{"PAL-9999"}, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Run(Options{Source: &source.Files{Paths: []string{"-"}, Stdin: strings.NewReader(pod)}, Include: tc.include, Exclude: tc.exclude, FailOn: "none"})
			if tc.wantErr {
				if _, ok := err.(config.Error); !ok {
					t.Fatalf("err = %v, want a config.Error", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			seen := map[string]bool{}
			var ids []string
			for _, f := range res.Report.Findings {
				if !seen[f.RuleID] {
					seen[f.RuleID] = true
					ids = append(ids, f.RuleID)
				}
			}
			sort.Strings(ids)
			if got := strings.Join(ids, ","); got != tc.want {
				t.Errorf("rules %s, want %s", got, tc.want)
			}
		})
	}
}

// TestSharedParameters: rules that split one space of values read each other's
// configured parameters, so retuning one moves findings to the other, never to
// nowhere and never to both.
func TestSharedParameters(t *testing.T) {
	cfg, err := config.Parse([]byte(`rules:
  PAL-022: {params: {paths: ["/data"]}}
  PAL-007: {params: {dangerous: ["SYS_ADMIN"]}}
`), func(string) bool { return true }, rules.ParamsOf)
	if err != nil {
		t.Fatal(err)
	}
	pod := `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - name: a
    image: x
    securityContext:
      capabilities: {add: [SYS_PTRACE]}
    volumeMounts: [{name: d, mountPath: /d, readOnly: true}, {name: e, mountPath: /e, readOnly: true}]
  volumes:
  - {name: d, hostPath: {path: /data/x}}
  - {name: e, hostPath: {path: /etc}}
`
	res, err := Run(Options{Source: &source.Files{Paths: []string{"-"}, Stdin: strings.NewReader(pod)}, Config: cfg, FailOn: "none",
		Include: []string{"PAL-007", "PAL-008", "PAL-021", "PAL-022", "PAL-023"}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range res.Report.Findings {
		got = append(got, f.RuleID+" "+f.Path)
	}
	sort.Strings(got)
	want := []string{
		"PAL-008 spec.containers[0].securityContext.capabilities.add[0]",
		"PAL-021 spec.volumes[1].hostPath.path",
		"PAL-022 spec.volumes[0].hostPath.path",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestMemoryBudget: the soft heap limit follows the input's size above a floor, and
// is off for standard input, whose size is unknown.
func TestMemoryBudget(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.yaml"), make([]byte, 1000), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := memoryBudget([]string{dir}); got != 256<<20 {
		t.Errorf("small input: budget %d, want the 256 MiB floor", got)
	}
	if got := memoryBudget([]string{"-"}); got != 0 {
		t.Errorf("stdin: budget %d, want 0", got)
	}
	big := filepath.Join(dir, "big.yaml")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(1 << 30); err != nil { // sparse: no disk used
		t.Fatal(err)
	}
	f.Close()
	if got, want := memoryBudget([]string{big}), int64(1<<30)/5*4; got != want {
		t.Errorf("1 GiB input: budget %d, want %d", got, want)
	}
}

// TestParamValues: a parameter whose rule lists the values it accepts is checked,
// and the error names the line.
func TestParamValues(t *testing.T) {
	if _, err := config.ParseFile([]byte("rules:\n  PAL-330:\n    params:\n      bootstrapPolicy: report\n"), "ok.yaml"); err != nil {
		t.Errorf("a listed value: %v", err)
	}
	_, err := config.ParseFile([]byte("rules:\n  PAL-330:\n    params:\n      bootstrapPolicy: always\n"), "bad.yaml")
	if err == nil || !strings.Contains(err.Error(), `bad.yaml: line 4: rule PAL-330 parameter bootstrapPolicy: "always" is not one of skip, report`) {
		t.Errorf("an unlisted value: %v", err)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, ".palisade.yaml")
	if err := os.WriteFile(file, []byte("rules:\n  PAL-330:\n    params:\n      bootstrapPolicy: [report]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := config.Resolve("", dir); err == nil || !strings.Contains(err.Error(), "line 4") {
		t.Errorf("a list where a value is expected: %v", err)
	}
}

// Every rule's default parameter values pass the rule's own declaration: the
// declared types and syntaxes describe what the rules really read.
func TestDefaultParamsPassTheirChecks(t *testing.T) {
	n := 0
	for _, r := range rules.All() {
		for _, p := range r.Params {
			n++
			got, err := p.CheckValue(p.Default)
			if err != nil {
				t.Errorf("%s %s: default %v: %v", r.ID, p.Name, p.Default, err)
				continue
			}
			if !reflect.DeepEqual(got, p.Default) {
				t.Errorf("%s %s: default %#v reads back as %#v", r.ID, p.Name, p.Default, got)
			}
		}
	}
	if n < 40 {
		t.Errorf("only %d parameters", n)
	}
}

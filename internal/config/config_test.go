package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/workload"
)

// knownRule accepts PAL-001 to PAL-030, like the built-in catalogue.
func knownRule(id string) bool {
	return len(id) == 7 && strings.HasPrefix(id, "PAL-0") && id >= "PAL-001" && id <= "PAL-030"
}

// ruleParams declares a parameter of each shape: a list of text, of paths and of
// shell patterns, a whole number and a choice.
func ruleParams(id string) []rules.Param {
	switch id {
	case "PAL-007":
		return []rules.Param{{Name: "dangerous", Default: []string{"SYS_ADMIN"}}}
	case "PAL-022":
		return []rules.Param{{Name: "paths", Default: []string{"/etc"}, Syntax: rules.Path}}
	case "PAL-023":
		return []rules.Param{{Name: "namespaces", Default: []string{"*"}, Syntax: rules.Glob}, {Name: "minLength", Default: "8", Syntax: rules.Integer}}
	case "PAL-024":
		return []rules.Param{{Name: "mode", Default: "skip", Values: []string{"skip", "report"}}}
	}
	return nil
}

func parseFile(t *testing.T, name string) (*Config, error) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return Parse(data, knownRule, ruleParams)
}

func TestParseValid(t *testing.T) {
	cfg, err := parseFile(t, "valid.yaml")
	if err != nil {
		t.Fatalf("valid config: %v", err)
	}
	if cfg.FailOn != "medium" || cfg.PSSVersion != "1.30" {
		t.Errorf("failOn %q pssVersion %q", cfg.FailOn, cfg.PSSVersion)
	}
	if rc := cfg.Rules["PAL-001"]; rc.Severity == nil || *rc.Severity != finding.High || rc.Enabled != nil {
		t.Errorf("PAL-001 = %+v, want severity high", rc)
	}
	if rc := cfg.Rules["PAL-009"]; rc.Enabled == nil || *rc.Enabled {
		t.Errorf("PAL-009 = %+v, want enabled false", rc)
	}
	if got, want := cfg.Rules["PAL-007"].Params["dangerous"], []string{"SYS_ADMIN", "NET_ADMIN"}; !reflect.DeepEqual(got, want) {
		t.Errorf("PAL-007 dangerous = %v, want %v", got, want)
	}
	want := []Exemption{
		{
			Rules: []string{"PAL-001", "PAL-02*"}, Namespaces: []string{"kube-system"}, Kinds: []string{"DaemonSet"},
			Names: []string{"cni-*"}, Labels: map[string]string{"app": "cni"},
			Reason: "The CNI plugin needs host access.", Expires: "2031-12-31", Line: 13,
		},
		{Namespaces: []string{"legacy"}, Reason: "Legacy namespace, tracked in TICKET-1.", Line: 21},
	}
	if !reflect.DeepEqual(cfg.Exemptions, want) {
		t.Errorf("exemptions:\n got  %+v\n want %+v", cfg.Exemptions, want)
	}
	wantTP := []workload.TemplatePath{{Group: "example.com", Kind: "Widget", Path: "spec.template"}}
	if !reflect.DeepEqual(cfg.PodTemplatePaths, wantTP) {
		t.Errorf("podTemplatePaths = %+v, want %+v", cfg.PodTemplatePaths, wantTP)
	}
}

func TestParseEmpty(t *testing.T) {
	for _, data := range []string{"", "# nothing configured\n", "---\n"} {
		cfg, err := Parse([]byte(data), knownRule, ruleParams)
		if err != nil || cfg == nil {
			t.Errorf("Parse(%q) = %v, %v; want an empty config", data, cfg, err)
		}
	}
}

func TestParseErrorsNameTheLine(t *testing.T) {
	tests := []struct {
		file string
		// want holds substrings the message must contain, the line first.
		want []string
	}{
		{"unknown-top-key.yaml", []string{"line 5:", "failon"}},
		{"unknown-rule-key.yaml", []string{"line 5:", "enable"}},
		{"unknown-rule.yaml", []string{"line 5:", `unknown rule "PAL-999"`}},
		{"unknown-param.yaml", []string{"line 6:", `no parameter "dangrous"`, "has: dangerous"}},
		{"exemption-no-reason.yaml", []string{"line 4:", "needs a reason"}},
		{"exemption-bad-expires.yaml", []string{"line 7:", `"31/12/2030"`, "YYYY-MM-DD"}},
		{"exemption-unknown-rule.yaml", []string{"line 5:", `unknown rule "PAL-1000"`}},
		{"bad-severity.yaml", []string{"line 3:", `"severe"`}},
		// yaml.v3 names the line of the block mapping that holds the problem.
		{"bad-yaml.yaml", []string{"line 2:", "invalid YAML", "did not find expected key"}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			cfg, err := parseFile(t, tc.file)
			if err == nil {
				t.Fatalf("no error; config %+v", cfg)
			}
			if cfg != nil {
				t.Errorf("config returned with an error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if n := strings.Count(err.Error(), "line "); n != 1 {
				t.Errorf("error %q names %d lines, want 1", err, n)
			}
		})
	}
}

func TestParseFailOn(t *testing.T) {
	for _, tc := range []struct {
		in      string
		wantErr string
	}{
		{"failOn: none\n", ""},
		{"failOn: CRITICAL\n", ""},
		{"# x\nfailOn: bogus\n", "line 2:"},
	} {
		_, err := Parse([]byte(tc.in), knownRule, ruleParams)
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("Parse(%q): %v", tc.in, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("Parse(%q) = %v, want error containing %q", tc.in, err, tc.wantErr)
		}
	}
}

func TestParseReportsEveryProblem(t *testing.T) {
	in := `rules:
  PAL-998: {}
  PAL-999: {}
exemptions:
  - kinds: [Pod]
`
	_, err := Parse([]byte(in), knownRule, ruleParams)
	if err == nil {
		t.Fatal("no error")
	}
	for _, w := range []string{`line 2: unknown rule "PAL-998"`, `line 3: unknown rule "PAL-999"`, "line 5: exemption needs a reason"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not contain %q", err, w)
		}
	}
}

func TestLoadAndFind(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "a", "b")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if got := Find(sub); got != "" && strings.HasPrefix(got, dir) {
		t.Fatalf("Find found %q before any file was written", got)
	}
	data, err := os.ReadFile(filepath.Join("testdata", "valid.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "a", FileName)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if got := Find(sub); got != p {
		t.Errorf("Find(%s) = %q, want %q", sub, got, p)
	}
	cfg, err := Load(p, knownRule, ruleParams)
	if err != nil || cfg.Path != p {
		t.Fatalf("Load = %+v, %v", cfg, err)
	}
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("x: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(bad, knownRule, ruleParams); err == nil || !strings.HasPrefix(err.Error(), bad+": line 1:") {
		t.Errorf("Load(bad) = %v, want an error naming the file and line", err)
	}
	if _, err := Load(filepath.Join(dir, "missing.yaml"), knownRule, ruleParams); err == nil {
		t.Errorf("Load(missing) gave no error")
	}
}

// Parameter values are checked against their declaration, each error naming the line
// of the value (of the item, in a list); accepted values are stored as rules read
// them.
func TestParamValuesAreTyped(t *testing.T) {
	for _, tc := range []struct {
		name, params string // the params mapping of one rule, under rules:
		want         string
	}{
		{"comma-separated string for a list", "PAL-022:\n    params:\n      paths: \"/etc, /root\"\n", `line 4: rule PAL-022 parameter paths: want a list, not the string "/etc, /root"`},
		{"numbers for strings", "PAL-022:\n    params:\n      paths: [1, 2]\n", `line 4: rule PAL-022 parameter paths: item 1: want a string, not the number 1 (quote it: "1")`},
		{"item on its own line", "PAL-022:\n    params:\n      paths:\n        - /etc\n        - root\n", `line 6: rule PAL-022 parameter paths: item 2: "root" is not an absolute path`},
		{"null list", "PAL-022:\n    params:\n      paths:\n", `line 4: rule PAL-022 parameter paths: no value (write [] for an empty list)`},
		{"mapping for a list", "PAL-007:\n    params:\n      dangerous: {a: b}\n", `line 4: rule PAL-007 parameter dangerous: want a list of strings, not a mapping`},
		{"malformed glob", "PAL-023:\n    params:\n      namespaces: [\"prod-[\"]\n", `line 4: rule PAL-023 parameter namespaces: item 1: "prod-[" is not a shell pattern: malformed pattern`},
		{"not a number", "PAL-023:\n    params:\n      minLength: eight\n", `line 4: rule PAL-023 parameter minLength: "eight" is not a whole number`},
		{"list for one value", "PAL-023:\n    params:\n      minLength: [8]\n", `line 4: rule PAL-023 parameter minLength: want one value (a whole number), not a list`},
		{"bool for a number", "PAL-023:\n    params:\n      minLength: true\n", `line 4: rule PAL-023 parameter minLength: want a whole number, not the boolean`},
		{"unlisted choice", "PAL-024:\n    params:\n      mode: always\n", `line 4: rule PAL-024 parameter mode: "always" is not one of skip, report`},
	} {
		_, err := Parse([]byte("rules:\n  "+tc.params), knownRule, ruleParams)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %s", tc.name, err, tc.want)
		}
	}
	cfg, err := Parse([]byte("rules:\n  PAL-023:\n    params:\n      namespaces: [\"prod-*\", team]\n      minLength: 12\n  PAL-022:\n    params:\n      paths: []\n"), knownRule, ruleParams)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Rules["PAL-023"].Params; !reflect.DeepEqual(got, map[string]any{"namespaces": []string{"prod-*", "team"}, "minLength": "12"}) {
		t.Errorf("PAL-023 params = %#v", got)
	}
	if got := cfg.Rules["PAL-022"].Params["paths"]; !reflect.DeepEqual(got, []string{}) {
		t.Errorf("empty list = %#v", got)
	}
}

// Malformed shell patterns in exemptions and unusable podTemplatePaths are errors
// naming the line.
func TestGlobsAndTemplatePathsAreChecked(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"exemptions:\n  - reason: r\n    names:\n      - ok\n      - \"web-[\"\n", `line 5: exemption names: "web-[": malformed pattern`},
		{"exemptions:\n  - reason: r\n    namespaces: [\"a\\\\\"]\n", `line 3: exemption namespaces: "a\\": malformed pattern`},
		{"exemptions:\n  - reason: r\n    rules: [\"PAL-0[1\"]\n", `line 3: exemption rules: "PAL-0[1": malformed pattern`},
		{"exemptions:\n  - reason: r\n    users: [\"ci-[\"]\n", `line 3: exemption users: "ci-[": malformed pattern`},
		{"exemptions:\n  - reason: r\n    kinds: [\"Dep[\"]\n", `line 3: exemption kinds: "Dep[": malformed pattern`},
		{"podTemplatePaths:\n  - {group: example.com, kind: \"Wid*\", path: spec.template}\n", `line 2: podTemplatePaths: kind "Wid*" is not a kind name`},
		{"podTemplatePaths:\n  - group: \"example.*\"\n    kind: Widget\n    path: spec.template\n", `line 2: podTemplatePaths: group "example.*" is not a group name`},
		{"podTemplatePaths:\n  - group: example.com\n    kind: Widget\n    path: spec..template\n", `line 4: podTemplatePaths: path "spec..template" is not a dotted path`},
		{"podTemplatePaths:\n  - group: example.com\n    path: spec.template\n", `line 2: podTemplatePaths: kind is missing`},
		{"webhook:\n  controllerUsers: [\"system:[\"]\n", `line 2: webhook.controllerUsers: "system:[": malformed pattern`},
		{"webhook:\n  exemptions:\n    - reason: r\n      users:\n        - \"ci-[\"\n", `line 5: webhook exemption users: "ci-[": malformed pattern`},
	} {
		_, err := Parse([]byte(tc.in), knownRule, ruleParams)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %s", tc.in, err, tc.want)
		}
	}
	if _, err := Parse([]byte("podTemplatePaths:\n  - {group: \"*\", kind: Widget, path: spec.template}\nexemptions:\n  - {reason: r, names: [\"web-*\", \"a?[0-9]\"]}\n"), knownRule, ruleParams); err != nil {
		t.Errorf("valid globs and paths: %v", err)
	}
}

// TestEncodingErrorOnItsLine: a NUL or invalid UTF-8 in the configuration is reported
// on its own line, not on line 1.
func TestEncodingErrorOnItsLine(t *testing.T) {
	for name, bad := range map[string]string{"NUL": "\x00", "invalid UTF-8": "\xff\xfe"} {
		data := []byte("rules:\n  PAL-001:\n    severity: high\n  PAL-002:\n    enabled: fal" + bad + "se\n")
		_, err := Parse(data, knownRule, ruleParams)
		if err == nil || !strings.HasPrefix(err.Error(), "line 5:") {
			t.Errorf("%s: %v, want an error on line 5", name, err)
		}
	}
}

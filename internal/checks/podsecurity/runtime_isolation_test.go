package podsecurity_test

import (
	"sort"
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/config"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/scan"
	"github.com/palisade-k8s/palisade/internal/source"
)

// rtPod is a Pod in namespace team; spec lines go before the containers, and each
// container line set follows its "- name" line.
func rtPod(meta, spec string) string {
	return `apiVersion: v1
kind: Pod
metadata:
  name: p
  namespace: team
` + meta + `spec:
` + spec + `  initContainers:
  - name: init
    image: busybox
  containers:
  - name: app
    image: nginx
`
}

func runtimeClassObj(name, handler string) string {
	return "apiVersion: node.k8s.io/v1\nkind: RuntimeClass\nmetadata:\n  name: " + name + "\nhandler: " + handler + "\n---\n"
}

// keys returns the sorted keys of a finding map.
func keys(m map[string]finding.Finding) []string {
	out := keysOf(m)
	sort.Strings(out)
	return out
}

func sameKeys(t *testing.T, got map[string]finding.Finding, want ...string) {
	t.Helper()
	sort.Strings(want)
	if g := keys(got); strings.Join(g, "|") != strings.Join(want, "|") {
		t.Errorf("findings\n got  %q\n want %q", g, want)
	}
}

func TestSeccompNoteRunsOnlyBelowRestricted(t *testing.T) {
	yaml := rtPod("", "")
	both := []string{
		"PAL-030 init spec.initContainers[0].securityContext.seccompProfile",
		"PAL-030 app spec.containers[0].securityContext.seccompProfile",
	}
	// Default level (restricted): PAL-013 reports, PAL-030 stays quiet.
	got := findingsOf(t, yaml, scan.Options{}, "PAL-030", "PAL-013")
	sameKeys(t, got,
		"PAL-013 init spec.initContainers[0].securityContext.seccompProfile",
		"PAL-013 app spec.containers[0].securityContext.seccompProfile")
	// Baseline level from the flag: the restricted rule is out, the note is in.
	got = findingsOf(t, yaml, scan.Options{PSSLevel: "baseline"}, "PAL-030", "PAL-013")
	sameKeys(t, got, both...)
	for _, f := range got {
		if f.Severity != finding.Low {
			t.Errorf("%s severity %v, want low", f.RuleID, f.Severity)
		}
		if f.Location.Line != lineOf(t, yaml, "- name: "+f.Container) {
			t.Errorf("%s reported on line %d", findingKey(&f), f.Location.Line)
		}
	}
	// Baseline level from the configuration.
	cfg := &config.Config{PodSecurityLevel: "baseline"}
	sameKeys(t, findingsOf(t, yaml, scan.Options{Config: cfg}, "PAL-030", "PAL-013"), both...)
	// Restricted level but PAL-013 disabled: the note stands in for it.
	off := false
	cfg = &config.Config{Rules: map[string]config.RuleConfig{"PAL-013": {Enabled: &off}}}
	sameKeys(t, findingsOf(t, yaml, scan.Options{Config: cfg}, "PAL-030", "PAL-013"), both...)
	// Excluding PAL-013 on the command line does the same.
	sameKeys(t, findingsOf(t, yaml, scan.Options{Exclude: []string{"PAL-013"}}, "PAL-030", "PAL-013"), both...)
	// Baseline level, but PAL-013 enabled by name: the restricted rule runs, the note does not.
	on := true
	cfg = &config.Config{PodSecurityLevel: "baseline", Rules: map[string]config.RuleConfig{"PAL-013": {Enabled: &on}}}
	got = findingsOf(t, yaml, scan.Options{Config: cfg}, "PAL-030", "PAL-013")
	if len(got) != 2 || got["PAL-013 app spec.containers[0].securityContext.seccompProfile"].RuleID == "" {
		t.Errorf("explicitly enabled PAL-013 at baseline: %v", keys(got))
	}
}

func TestSeccompNoteCases(t *testing.T) {
	base := scan.Options{PSSLevel: "baseline"}
	app := "PAL-030 app spec.containers[0].securityContext.seccompProfile"
	init := "PAL-030 init spec.initContainers[0].securityContext.seccompProfile"
	cases := []struct {
		name, meta, spec string
		want             []string
	}{
		{"pod-level RuntimeDefault is inherited", "", "  securityContext:\n    seccompProfile: {type: RuntimeDefault}\n", nil},
		{"pod-level Localhost is inherited", "", "  securityContext:\n    seccompProfile: {type: Localhost, localhostProfile: p.json}\n", nil},
		// Unconfined is set: PAL-012 (high) reports it, not this note.
		{"explicit Unconfined is PAL-012's", "", "  securityContext:\n    seccompProfile: {type: Unconfined}\n", nil},
		{"deprecated pod annotation", "  annotations: {seccomp.security.alpha.kubernetes.io/pod: runtime/default}\n", "", nil},
		{"deprecated container annotation covers one container", "  annotations: {container.seccomp.security.alpha.kubernetes.io/app: runtime/default}\n", "", []string{init}},
		{"unconfined annotation does not confine", "  annotations: {seccomp.security.alpha.kubernetes.io/pod: unconfined}\n", "", []string{init, app}},
		{"Windows pods have no seccomp", "", "  os: {name: windows}\n", nil},
		{"AppArmor alone does not replace seccomp", "", "  securityContext:\n    appArmorProfile: {type: RuntimeDefault}\n", []string{init, app}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sameKeys(t, findingsOf(t, rtPod(tc.meta, tc.spec), base, "PAL-030"), tc.want...)
		})
	}
}

func TestPSSLevelValidation(t *testing.T) {
	_, err := scan.Run(scan.Options{Source: &source.Files{Paths: []string{"-"}, Stdin: strings.NewReader(rtPod("", ""))}, PSSLevel: "privileged"})
	var ce config.Error
	if err == nil || !asConfigError(err, &ce) || !strings.Contains(err.Error(), "--pss-level") {
		t.Errorf("--pss-level privileged: %v", err)
	}
	_, err = config.Parse([]byte("podSecurityLevel: strict\n"), func(string) bool { return true }, func(string) []rules.Param { return nil })
	if err == nil || !strings.Contains(err.Error(), "line 1: podSecurityLevel") {
		t.Errorf("config podSecurityLevel: strict: %v", err)
	}
}

func asConfigError(err error, ce *config.Error) bool {
	c, ok := err.(config.Error)
	if ok {
		*ce = c
	}
	return ok
}

// TestBaselineLevelLeavesOutRestricted checks the level against the registry: at
// baseline no restricted-profile rule runs, and every baseline one still does.
func TestBaselineLevelLeavesOutRestricted(t *testing.T) {
	on, err := config.EnabledRules(&config.Config{PodSecurityLevel: "baseline"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	enabled := map[string]bool{}
	for _, r := range on {
		enabled[r.ID] = true
	}
	for _, r := range rules.All() {
		switch {
		case r.Frameworks.PSS == "restricted" && enabled[r.ID]:
			t.Errorf("%s (restricted) runs at baseline", r.ID)
		case r.Frameworks.PSS == "baseline" && !enabled[r.ID]:
			t.Errorf("%s (baseline) does not run at baseline", r.ID)
		}
	}
	if !enabled["PAL-030"] {
		t.Error("PAL-030 does not run at baseline")
	}
}

func TestUntrustedRuntimeClass(t *testing.T) {
	r := []string{"PAL-031"}
	untrusted := "  labels: {palisade.dev/untrusted: \"true\"}\n"
	at := "PAL-031 - spec.runtimeClassName"
	runCases(t, []ruleCase{
		{name: "untrusted without a runtime class", rules: r, yaml: rtPod(untrusted, ""), want: []string{at},
			lines: map[string]string{"spec.runtimeClassName": "initContainers:"}},
		{name: "trusted workload is not reported", rules: r, yaml: rtPod("", "")},
		{name: "other label value is not untrusted", rules: r, yaml: rtPod("  labels: {palisade.dev/untrusted: \"false\"}\n", "")},
		{name: "sandboxed class by name (not in input)", rules: r, yaml: rtPod(untrusted, "  runtimeClassName: gvisor\n")},
		{name: "kata-qemu by name", rules: r, yaml: rtPod(untrusted, "  runtimeClassName: kata-qemu\n")},
		{name: "unknown class name not in input", rules: r, yaml: rtPod(untrusted, "  runtimeClassName: fast\n"), want: []string{at},
			lines: map[string]string{"spec.runtimeClassName": "runtimeClassName: fast"}},
		{name: "class in input with sandboxed handler", rules: r,
			yaml: runtimeClassObj("secure", "runsc") + rtPod(untrusted, "  runtimeClassName: secure\n")},
		{name: "class in input after the workload", rules: r,
			yaml: rtPod(untrusted, "  runtimeClassName: secure\n") + "---\n" + runtimeClassObj("secure", "kata-fc")},
		{name: "class in input named gvisor but handler runc", rules: r,
			yaml: runtimeClassObj("gvisor", "runc") + rtPod(untrusted, "  runtimeClassName: gvisor\n"), want: []string{at}},
	})
}

func TestUntrustedRuntimeClassMessagesAndParams(t *testing.T) {
	yaml := runtimeClassObj("gvisor", "runc") + rtPod("  labels: {palisade.dev/untrusted: \"true\"}\n", "  runtimeClassName: gvisor\n")
	got := findingsOf(t, yaml, scan.Options{}, "PAL-031")
	f := got["PAL-031 - spec.runtimeClassName"]
	if !strings.Contains(f.Message, `handler "runc" is not a sandboxed runtime`) {
		t.Errorf("message %q", f.Message)
	}
	cfg := paramsConfig(map[string]map[string]any{"PAL-031": {
		"untrustedLabels":     []any{"tier=plugins"},
		"untrustedNamespaces": []any{"sandbox-*"},
		"sandboxedHandlers":   []any{"myvm"},
	}})
	cases := map[string]struct {
		yaml string
		want int
	}{
		"custom label":                  {rtPod("  labels: {tier: plugins}\n", ""), 1},
		"default label no longer marks": {rtPod("  labels: {palisade.dev/untrusted: \"true\"}\n", ""), 0},
		"namespace pattern":             {strings.Replace(rtPod("", ""), "namespace: team", "namespace: sandbox-ci", 1), 1},
		"custom handler":                {runtimeClassObj("vm", "myvm") + rtPod("  labels: {tier: plugins}\n", "  runtimeClassName: vm\n"), 0},
		"default handler no longer":     {runtimeClassObj("vm", "runsc") + rtPod("  labels: {tier: plugins}\n", "  runtimeClassName: vm\n"), 1},
	}
	for name, tc := range cases {
		if n := len(findingsOf(t, tc.yaml, scan.Options{Config: cfg}, "PAL-031")); n != tc.want {
			t.Errorf("%s: %d findings, want %d", name, n, tc.want)
		}
	}
}

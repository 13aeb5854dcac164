package checks_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"testing"

	"k8s.io/pod-security-admission/policy"

	"github.com/palisade-k8s/palisade/internal/config"
	"github.com/palisade-k8s/palisade/internal/engine"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/load"
	"github.com/palisade-k8s/palisade/internal/pss"
	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/scan"
	"github.com/palisade-k8s/palisade/internal/source"
	"github.com/palisade-k8s/palisade/internal/workload"
)

// ruleCase is one manifest scanned through the whole pipeline (load, engine with every
// rule, PSS gating) and the exact findings expected from the rules under test.
type ruleCase struct {
	name string
	// version is the Pod Security Standards version ("" is latest).
	version string
	// rules are the rules under test: their findings must equal want exactly. Findings
	// of other rules are ignored.
	rules []string
	yaml  string
	// want lists "RULE container path"; the container is "-" for pod-level findings.
	want []string
	// lines maps a finding's path to a text that occurs on exactly one line of yaml:
	// every finding at that path must be reported on that line.
	lines map[string]string
}

func findingKey(f *finding.Finding) string {
	c := f.Container
	if c == "" {
		c = "-"
	}
	return f.RuleID + " " + c + " " + f.Path
}

// lineOf returns the 1-based line of yaml that contains text; the text must occur on
// exactly one line.
func lineOf(t *testing.T, yaml, text string) int {
	t.Helper()
	line := 0
	for i, l := range strings.Split(yaml, "\n") {
		if strings.Contains(l, text) {
			if line != 0 {
				t.Fatalf("line marker %q occurs on lines %d and %d", text, line, i+1)
			}
			line = i + 1
		}
	}
	if line == 0 {
		t.Fatalf("line marker %q not found in the manifest", text)
	}
	return line
}

func scanYAML(t *testing.T, yaml, version string) []finding.Finding {
	t.Helper()
	res, err := scan.Run(scan.Options{
		Source:     &source.Files{Paths: []string{"-"}, Stdin: strings.NewReader(yaml)},
		PSSVersion: version, FailOn: "none",
	})
	if err != nil {
		t.Fatalf("scan: %v", err)
	}
	for _, e := range res.Report.Errors {
		t.Errorf("input error: %s: %s", e.Location, e.Message)
	}
	if res.Report.Summary.Workloads == 0 {
		t.Fatalf("the manifest has no workload")
	}
	return res.Report.Findings
}

func runCases(t *testing.T, cases []ruleCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if len(tc.rules) == 0 {
				t.Fatal("case names no rule under test")
			}
			fs := scanYAML(t, tc.yaml, tc.version)
			for i := range fs {
				// The engine's fallback means no rule could point at the field: every
				// case here must be pinpointed, whatever rule it concerns.
				if f := &fs[i]; isFallback(f) {
					t.Errorf("fallback finding: %s: %s", f.RuleID, f.Message)
				}
			}
			got := matchFindings(t, fs, tc.rules, findingKey, tc.want)
			checkLines(t, tc.yaml, got, tc.lines)
		})
	}
}

// matchFindings compares the findings of the rules under test, keyed by key, with
// want: each wanted key must be found once, and nothing else may be. It returns the
// findings of the rules under test by key.
func matchFindings(t *testing.T, fs []finding.Finding, ruleIDs []string, key func(*finding.Finding) string, want []string) map[string]*finding.Finding {
	t.Helper()
	under := map[string]bool{}
	for _, r := range ruleIDs {
		under[r] = true
	}
	got := map[string]*finding.Finding{}
	var gotKeys []string
	for i := range fs {
		f := &fs[i]
		if !under[f.RuleID] {
			continue
		}
		k := key(f)
		if got[k] != nil {
			t.Errorf("duplicate finding %s", k)
		}
		got[k] = f
		gotKeys = append(gotKeys, k)
	}
	wantSet := map[string]bool{}
	for _, w := range want {
		wantSet[w] = true
		if got[w] == nil {
			t.Errorf("missing finding %s", w)
		}
	}
	sort.Strings(gotKeys)
	for _, k := range gotKeys {
		if !wantSet[k] {
			t.Errorf("unexpected finding %s: %s", k, got[k].Message)
		}
	}
	return got
}

// checkLines asserts that the findings at each path are reported on the one line of
// the manifest that contains the given text.
func checkLines(t *testing.T, yaml string, got map[string]*finding.Finding, lines map[string]string) {
	t.Helper()
	for path, text := range lines {
		want := lineOf(t, yaml, text)
		n := 0
		for _, f := range got {
			if f.Path == path {
				n++
				if f.Location.Line != want {
					t.Errorf("%s %s reported on line %d, want %d (%q)", f.RuleID, f.Path, f.Location.Line, want, text)
				}
			}
		}
		if n == 0 {
			t.Errorf("no finding at %s to check the line of", path)
		}
	}
}

// paramsConfig is a configuration that sets rule parameters (rule ID -> name -> value).
func paramsConfig(params map[string]map[string]any) *config.Config {
	cfg := &config.Config{Rules: map[string]config.RuleConfig{}}
	for id, ps := range params {
		cfg.Rules[id] = config.RuleConfig{Params: ps}
	}
	return cfg
}

// checkInputErrors fails on every input error except one containing wantErr, which
// must occur when wantErr is set.
func checkInputErrors(t *testing.T, errs []finding.InputError, wantErr string) {
	t.Helper()
	seen := false
	for _, e := range errs {
		if wantErr != "" && strings.Contains(e.Message, wantErr) {
			seen = true
			continue
		}
		t.Errorf("input error: %s: %s", e.Location, e.Message)
	}
	if wantErr != "" && !seen {
		t.Errorf("no input error containing %q", wantErr)
	}
}

// Paths used again and again below.
const (
	c0sc  = "spec.containers[0].securityContext"
	tplc0 = "spec.template.spec.containers[0]"
)

func TestPrivileged(t *testing.T) {
	runCases(t, []ruleCase{
		{
			name:  "privileged container",
			rules: []string{"PAL-001"},
			yaml: `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
  - name: app
    image: nginx
    securityContext:
      privileged: true
`,
			want:  []string{"PAL-001 app " + c0sc + ".privileged"},
			lines: map[string]string{c0sc + ".privileged": "privileged: true"},
		},
		{
			name:  "privileged false",
			rules: []string{"PAL-001"},
			yaml: `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
  - name: app
    image: nginx
    securityContext:
      privileged: false
`,
		},
		{
			name:  "privileged init and ephemeral containers",
			rules: []string{"PAL-001"},
			yaml: `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  initContainers:
  - name: setup
    image: busybox
    securityContext:
      privileged: true
  containers:
  - name: app
    image: nginx
  ephemeralContainers:
  - name: debug
    image: busybox
    securityContext: {privileged: true}
`,
			want: []string{
				"PAL-001 setup spec.initContainers[0].securityContext.privileged",
				"PAL-001 debug spec.ephemeralContainers[0].securityContext.privileged",
			},
			lines: map[string]string{
				"spec.initContainers[0].securityContext.privileged":      "      privileged: true",
				"spec.ephemeralContainers[0].securityContext.privileged": "{privileged: true}",
			},
		},
	})
}

// TestWorkloadKinds finds the pod template of every kind that runs pods and reports
// field paths under it.
func TestWorkloadKinds(t *testing.T) {
	container := `      containers:
      - name: app
        image: nginx
        securityContext:
          privileged: true
`
	tmpl := func(apiVersion, kind, specExtra string) string {
		return "apiVersion: " + apiVersion + "\nkind: " + kind + "\nmetadata:\n  name: w\nspec:\n" + specExtra +
			"  template:\n    metadata:\n      labels: {app: w}\n    spec:\n" + container
	}
	want := []string{"PAL-001 app " + tplc0 + ".securityContext.privileged"}
	lines := map[string]string{tplc0 + ".securityContext.privileged": "privileged: true"}
	cases := []ruleCase{
		{name: "Deployment", yaml: tmpl("apps/v1", "Deployment", "  selector: {matchLabels: {app: w}}\n")},
		{name: "StatefulSet", yaml: tmpl("apps/v1", "StatefulSet", "  serviceName: w\n")},
		{name: "DaemonSet", yaml: tmpl("apps/v1", "DaemonSet", "")},
		{name: "ReplicaSet", yaml: tmpl("apps/v1", "ReplicaSet", "")},
		{name: "Job", yaml: tmpl("batch/v1", "Job", "")},
		{name: "ReplicationController", yaml: tmpl("v1", "ReplicationController", "  replicas: 1\n")},
		{name: "Argo Rollout", yaml: tmpl("argoproj.io/v1alpha1", "Rollout", "  strategy: {canary: {}}\n")},
		{name: "OpenShift DeploymentConfig", yaml: tmpl("apps.openshift.io/v1", "DeploymentConfig", "")},
		{name: "old extensions Deployment", yaml: tmpl("extensions/v1beta1", "Deployment", "")},
	}
	for i := range cases {
		cases[i].rules = []string{"PAL-001"}
		cases[i].want = want
		cases[i].lines = lines
	}
	cases = append(cases,
		ruleCase{
			name:  "PodTemplate",
			rules: []string{"PAL-001"},
			yaml: `apiVersion: v1
kind: PodTemplate
metadata:
  name: t
template:
  spec:
    containers:
    - name: app
      image: nginx
      securityContext:
        privileged: true
`,
			want:  []string{"PAL-001 app template.spec.containers[0].securityContext.privileged"},
			lines: map[string]string{"template.spec.containers[0].securityContext.privileged": "privileged: true"},
		},
		ruleCase{
			name:  "CronJob",
			rules: []string{"PAL-001", "PAL-004", "PAL-018"},
			yaml: `apiVersion: batch/v1
kind: CronJob
metadata:
  name: c
spec:
  schedule: "0 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          hostNetwork: true
          securityContext:
            runAsUser: 0
          restartPolicy: Never
          containers:
          - name: app
            image: nginx
            securityContext:
              privileged: true
`,
			want: []string{
				"PAL-001 app spec.jobTemplate.spec.template.spec.containers[0].securityContext.privileged",
				"PAL-004 - spec.jobTemplate.spec.template.spec.securityContext.runAsUser",
				"PAL-018 - spec.jobTemplate.spec.template.spec.hostNetwork",
			},
			lines: map[string]string{
				"spec.jobTemplate.spec.template.spec.containers[0].securityContext.privileged": "privileged: true",
				"spec.jobTemplate.spec.template.spec.securityContext.runAsUser":                "runAsUser: 0",
				"spec.jobTemplate.spec.template.spec.hostNetwork":                              "hostNetwork: true",
			},
		},
		ruleCase{
			name:  "not a workload kind is not checked",
			rules: []string{"PAL-001"},
			yaml: `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
  - name: app
    image: nginx
---
apiVersion: example.com/v1
kind: Widget
metadata:
  name: w
spec:
  template:
    spec:
      containers:
      - name: app
        image: nginx
        securityContext:
          privileged: true
`,
		},
	)
	runCases(t, cases)
}

func TestAllowPrivilegeEscalation(t *testing.T) {
	runCases(t, []ruleCase{
		{
			name:  "unset defaults to allowed",
			rules: []string{"PAL-002"},
			yaml: `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
  - name: app
    image: nginx
`,
			want: []string{"PAL-002 app " + c0sc + ".allowPrivilegeEscalation"},
			// A missing field is reported on its nearest existing parent.
			lines: map[string]string{c0sc + ".allowPrivilegeEscalation": "- name: app"},
		},
		{
			name:  "explicitly true, and an init container unset",
			rules: []string{"PAL-002"},
			yaml: `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  initContainers:
  - name: init
    image: busybox
  containers:
  - name: app
    image: nginx
    securityContext:
      allowPrivilegeEscalation: true
`,
			want: []string{
				"PAL-002 init spec.initContainers[0].securityContext.allowPrivilegeEscalation",
				"PAL-002 app " + c0sc + ".allowPrivilegeEscalation",
			},
			lines: map[string]string{c0sc + ".allowPrivilegeEscalation": "allowPrivilegeEscalation: true"},
		},
		{
			name:  "false",
			rules: []string{"PAL-002"},
			yaml: `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
  - name: app
    image: nginx
    securityContext:
      allowPrivilegeEscalation: false
`,
		},
	})
}

func TestRunAsNonRoot(t *testing.T) {
	runCases(t, []ruleCase{
		{
			name:  "neither pod nor container sets it",
			rules: []string{"PAL-003"},
			yaml: `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
  - name: app
    image: nginx
`,
			want: []string{"PAL-003 app " + c0sc + ".runAsNonRoot"},
		},
		{
			name:  "pod true is inherited",
			rules: []string{"PAL-003"},
			yaml: `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  securityContext:
    runAsNonRoot: true
  initContainers:
  - name: init
    image: busybox
  containers:
  - name: app
    image: nginx
`,
		},
		{
			name:  "container true without pod",
			rules: []string{"PAL-003"},
			yaml: `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
  - name: app
    image: nginx
    securityContext:
      runAsNonRoot: true
`,
		},
		{
			name:  "container false overrides pod true",
			rules: []string{"PAL-003"},
			yaml: `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  securityContext:
    runAsNonRoot: true
  containers:
  - name: app
    image: nginx
    securityContext:
      runAsNonRoot: false
  - name: sidecar
    image: envoy
`,
			want:  []string{"PAL-003 app " + c0sc + ".runAsNonRoot"},
			lines: map[string]string{c0sc + ".runAsNonRoot": "runAsNonRoot: false"},
		},
		{
			name:  "pod false is inherited by each container",
			rules: []string{"PAL-003"},
			yaml: `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  securityContext:
    runAsNonRoot: false
  containers:
  - name: app
    image: nginx
  - name: sidecar
    image: envoy
`,
			want: []string{
				"PAL-003 app spec.securityContext.runAsNonRoot",
				"PAL-003 sidecar spec.securityContext.runAsNonRoot",
			},
			lines: map[string]string{"spec.securityContext.runAsNonRoot": "runAsNonRoot: false"},
		},
		{
			name:  "pod false although every container overrides it with true",
			rules: []string{"PAL-003"},
			yaml: `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  securityContext:
    runAsNonRoot: false
  containers:
  - name: app
    image: nginx
    securityContext:
      runAsNonRoot: true
`,
			want:  []string{"PAL-003 - spec.securityContext.runAsNonRoot"},
			lines: map[string]string{"spec.securityContext.runAsNonRoot": "runAsNonRoot: false"},
		},
		{
			name:  "user namespace pod is exempt (1.35+)",
			rules: []string{"PAL-003"},
			yaml: `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  hostUsers: false
  containers:
  - name: app
    image: nginx
`,
		},
	})
}

func TestRunAsUser(t *testing.T) {
	runCases(t, []ruleCase{
		{
			name:  "pod runAsUser 0",
			rules: []string{"PAL-004"},
			yaml: `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  securityContext:
    runAsUser: 0
  containers:
  - name: app
    image: nginx
`,
			want:  []string{"PAL-004 - spec.securityContext.runAsUser"},
			lines: map[string]string{"spec.securityContext.runAsUser": "runAsUser: 0"},
		},
		{
			name:  "container runAsUser 0 overriding a non-root pod",
			rules: []string{"PAL-004"},
			yaml: `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  securityContext:
    runAsUser: 1000
  containers:
  - name: app
    image: nginx
    securityContext:
      runAsUser: 0
`,
			want:  []string{"PAL-004 app " + c0sc + ".runAsUser"},
			lines: map[string]string{c0sc + ".runAsUser": "runAsUser: 0"},
		},
		{
			name:  "non-zero and unset",
			rules: []string{"PAL-004"},
			yaml: `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  securityContext:
    runAsUser: 1000
  containers:
  - name: app
    image: nginx
  - name: other
    image: nginx
    securityContext:
      runAsUser: 10001
`,
		},
	})
}

func TestRootGroup(t *testing.T) {
	runCases(t, []ruleCase{
		{
			name:  "pod runAsGroup, fsGroup and supplementalGroups 0",
			rules: []string{"PAL-005"},
			yaml: `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  securityContext:
    runAsGroup: 0
    fsGroup: 0
    supplementalGroups: [1000, 0]
  containers:
  - name: app
    image: nginx
  - name: other
    image: nginx
    securityContext:
      runAsGroup: 3000
`,
			want: []string{
				"PAL-005 - spec.securityContext.fsGroup",
				"PAL-005 - spec.securityContext.supplementalGroups[1]",
				"PAL-005 app spec.securityContext.runAsGroup",
			},
			lines: map[string]string{"spec.securityContext.runAsGroup": "runAsGroup: 0"},
		},
		{
			name:  "container runAsGroup 0",
			rules: []string{"PAL-005"},
			yaml: `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
  - name: app
    image: nginx
    securityContext:
      runAsGroup: 0
`,
			want: []string{"PAL-005 app " + c0sc + ".runAsGroup"},
		},
		{
			name:  "non-root groups",
			rules: []string{"PAL-005"},
			yaml: `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  securityContext:
    runAsGroup: 1000
    fsGroup: 2000
    supplementalGroups: [3000]
  containers:
  - name: app
    image: nginx
`,
		},
	})
}

func TestReadOnlyRootFilesystem(t *testing.T) {
	runCases(t, []ruleCase{
		{
			name:  "unset and false",
			rules: []string{"PAL-006"},
			yaml: `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
  - name: app
    image: nginx
  - name: other
    image: nginx
    securityContext:
      readOnlyRootFilesystem: false
`,
			want: []string{
				"PAL-006 app " + c0sc + ".readOnlyRootFilesystem",
				"PAL-006 other spec.containers[1].securityContext.readOnlyRootFilesystem",
			},
			lines: map[string]string{"spec.containers[1].securityContext.readOnlyRootFilesystem": "readOnlyRootFilesystem: false"},
		},
		{
			name:  "true",
			rules: []string{"PAL-006"},
			yaml: `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
  - name: app
    image: nginx
    securityContext:
      readOnlyRootFilesystem: true
`,
		},
	})
}

func TestCapabilities(t *testing.T) {
	caps := []string{"PAL-007", "PAL-008", "PAL-009", "PAL-010", "PAL-011"}
	capPod := func(capabilities string) string {
		return `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
  - name: app
    image: nginx
    securityContext:
      capabilities:
` + capabilities
	}
	add := c0sc + ".capabilities.add"
	drop := c0sc + ".capabilities.drop"
	runCases(t, []ruleCase{
		{
			name:  "SYS_ADMIN with drop ALL",
			rules: caps,
			yaml: capPod(`        drop: ["ALL"]
        add: ["SYS_ADMIN"]
`),
			want:  []string{"PAL-007 app " + add + "[0]"},
			lines: map[string]string{add + "[0]": `add: ["SYS_ADMIN"]`},
		},
		{
			name:  "CAP_ prefix and lower case are recognised as dangerous",
			rules: []string{"PAL-007"},
			yaml: capPod(`        drop: ["ALL"]
        add: ["CAP_SYS_PTRACE", "net_admin"]
`),
			want: []string{"PAL-007 app " + add + "[0]", "PAL-007 app " + add + "[1]"},
		},
		{
			name:  "SYS_NICE is outside the default set",
			rules: caps,
			yaml: capPod(`        drop:
        - ALL
        add:
        - NET_BIND_SERVICE
        - SYS_NICE
`),
			want:  []string{"PAL-008 app " + add + "[1]"},
			lines: map[string]string{add + "[1]": "- SYS_NICE"},
		},
		{
			name:  "CHOWN with drop ALL is forbidden only by restricted",
			rules: caps,
			yaml: capPod(`        drop: ["ALL"]
        add: ["CHOWN"]
`),
			want: []string{"PAL-010 app " + add + "[0]"},
		},
		{
			name:  "NET_BIND_SERVICE with drop ALL",
			rules: caps,
			yaml: capPod(`        drop: ["ALL"]
        add: ["NET_BIND_SERVICE"]
`),
		},
		{
			// Adding NET_RAW back after dropping ALL is the worst case of CIS 5.2.8:
			// PAL-011 reports the container holding it, PAL-008 the addition outside
			// the baseline set; both at the list entry.
			name:  "NET_RAW added after drop ALL",
			rules: caps,
			yaml: capPod(`        drop: ["ALL"]
        add: ["NET_RAW"]
`),
			want:  []string{"PAL-008 app " + add + "[0]", "PAL-011 app " + add + "[0]"},
			lines: map[string]string{add + "[0]": `add: ["NET_RAW"]`},
		},
		{
			name:  "NET_RAW added without any drop is reported once, at the addition",
			rules: []string{"PAL-011"},
			yaml: capPod(`        add: ["SYS_NICE", "cap_net_raw"]
`),
			want: []string{"PAL-011 app " + add + "[1]"},
		},
		{
			// The runtime applies single drops after single adds: NET_RAW is gone.
			name:  "NET_RAW added and dropped",
			rules: caps,
			yaml: capPod(`        drop: ["ALL", "NET_RAW"]
        add: ["NET_RAW"]
`),
			want: []string{"PAL-008 app " + add + "[0]"},
		},
		{
			name:  "adding ALL grants NET_RAW",
			rules: []string{"PAL-011"},
			yaml: capPod(`        add: ["ALL"]
`),
			want: []string{"PAL-011 app " + add + "[0]"},
		},
		{
			// Dropping ALL clears what adding ALL gave, as containerd and CRI-O apply it.
			name:  "adding and dropping ALL",
			rules: []string{"PAL-011"},
			yaml: capPod(`        drop: ["ALL"]
        add: ["ALL"]
`),
		},
		{
			name:  "no drop of ALL keeps NET_RAW",
			rules: caps,
			yaml: `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
  - name: app
    image: nginx
`,
			want: []string{"PAL-009 app " + drop, "PAL-011 app " + drop},
		},
		{
			name:  "dropping only NET_RAW",
			rules: caps,
			yaml: capPod(`        drop: ["NET_RAW"]
`),
			want:  []string{"PAL-009 app " + drop},
			lines: map[string]string{drop: `drop: ["NET_RAW"]`},
		},
		{
			name:  "lower-case all satisfies the runtime but not the restricted profile",
			rules: caps,
			yaml: capPod(`        drop: ["all"]
`),
			want: []string{"PAL-009 app " + drop},
		},
		{
			name:  "init container without drop ALL",
			rules: []string{"PAL-009"},
			yaml: `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  initContainers:
  - name: init
    image: busybox
  containers:
  - name: app
    image: nginx
    securityContext:
      capabilities:
        drop: ["ALL"]
`,
			want: []string{"PAL-009 init spec.initContainers[0].securityContext.capabilities.drop"},
		},
	})
}

// TestNetRawConfiguredDangerous: with NET_RAW in PAL-007's dangerous list, PAL-007
// reports the addition instead of PAL-008, and PAL-011 still reports the container
// holding NET_RAW (CIS 5.2.8 must not pass).
func TestNetRawConfiguredDangerous(t *testing.T) {
	yaml := `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
  - name: app
    image: nginx
    securityContext:
      capabilities:
        drop: ["ALL"]
        add: ["NET_RAW"]
`
	cfg := paramsConfig(map[string]map[string]any{"PAL-007": {"dangerous": []any{"NET_RAW", "SYS_ADMIN"}}})
	got := keysOf(findingsOf(t, yaml, scan.Options{Config: cfg}, "PAL-007", "PAL-008", "PAL-011"))
	add := c0sc + ".capabilities.add[0]"
	want := []string{"PAL-007 app " + add, "PAL-011 app " + add}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("findings %q, want %q", got, want)
	}
}

func TestSeccomp(t *testing.T) {
	runCases(t, []ruleCase{
		{
			name:  "unset",
			rules: []string{"PAL-012", "PAL-013"},
			yaml: `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
  - name: app
    image: nginx
`,
			want: []string{"PAL-013 app " + c0sc + ".seccompProfile"},
		},
		{
			name:  "pod RuntimeDefault is inherited",
			rules: []string{"PAL-012", "PAL-013"},
			yaml: `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  securityContext:
    seccompProfile: {type: RuntimeDefault}
  containers:
  - name: app
    image: nginx
  - name: other
    image: nginx
    securityContext:
      seccompProfile:
        type: Localhost
        localhostProfile: profiles/app.json
`,
		},
		{
			name:  "pod Unconfined",
			rules: []string{"PAL-012", "PAL-013"},
			yaml: `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  securityContext:
    seccompProfile:
      type: Unconfined
  containers:
  - name: app
    image: nginx
`,
			want:  []string{"PAL-012 - spec.securityContext.seccompProfile.type"},
			lines: map[string]string{"spec.securityContext.seccompProfile.type": "type: Unconfined"},
		},
		{
			name:  "container Unconfined overriding pod RuntimeDefault",
			rules: []string{"PAL-012", "PAL-013"},
			yaml: `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  securityContext:
    seccompProfile:
      type: RuntimeDefault
  containers:
  - name: app
    image: nginx
    securityContext:
      seccompProfile:
        type: Unconfined
`,
			want:  []string{"PAL-012 app " + c0sc + ".seccompProfile.type"},
			lines: map[string]string{c0sc + ".seccompProfile.type": "type: Unconfined"},
		},
		{
			// Before 1.19 the official check reads the seccomp annotations only.
			name:    "annotations unconfined at 1.18",
			version: "1.18",
			rules:   []string{"PAL-012"},
			yaml: `apiVersion: v1
kind: Pod
metadata:
  name: p
  annotations:
    seccomp.security.alpha.kubernetes.io/pod: unconfined
    container.seccomp.security.alpha.kubernetes.io/app: unconfined
spec:
  containers:
  - name: app
    image: nginx
`,
			want: []string{
				"PAL-012 - metadata.annotations['seccomp.security.alpha.kubernetes.io/pod']",
				"PAL-012 app metadata.annotations['container.seccomp.security.alpha.kubernetes.io/app']",
			},
		},
		{
			// Since 1.19 only the fields count: the annotation alone passes.
			name:  "annotation unconfined at latest",
			rules: []string{"PAL-012"},
			yaml: `apiVersion: v1
kind: Pod
metadata:
  name: p
  annotations:
    seccomp.security.alpha.kubernetes.io/pod: unconfined
spec:
  containers:
  - name: app
    image: nginx
`,
		},
	})
}

func TestAppArmor(t *testing.T) {
	runCases(t, []ruleCase{
		{
			name:  "container field Unconfined",
			rules: []string{"PAL-014"},
			yaml: `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
  - name: app
    image: nginx
    securityContext:
      appArmorProfile:
        type: Unconfined
`,
			want:  []string{"PAL-014 app " + c0sc + ".appArmorProfile.type"},
			lines: map[string]string{c0sc + ".appArmorProfile.type": "type: Unconfined"},
		},
		{
			name:  "pod field Unconfined",
			rules: []string{"PAL-014"},
			yaml: `apiVersion: apps/v1
kind: Deployment
metadata:
  name: d
spec:
  selector: {matchLabels: {app: d}}
  template:
    metadata:
      labels: {app: d}
    spec:
      securityContext:
        appArmorProfile: {type: Unconfined}
      containers:
      - name: app
        image: nginx
`,
			want: []string{"PAL-014 - spec.template.spec.securityContext.appArmorProfile.type"},
		},
		{
			name:  "annotation unconfined",
			rules: []string{"PAL-014"},
			yaml: `apiVersion: apps/v1
kind: Deployment
metadata:
  name: d
spec:
  selector: {matchLabels: {app: d}}
  template:
    metadata:
      labels: {app: d}
      annotations:
        container.apparmor.security.beta.kubernetes.io/app: unconfined
    spec:
      containers:
      - name: app
        image: nginx
`,
			want:  []string{"PAL-014 app spec.template.metadata.annotations['container.apparmor.security.beta.kubernetes.io/app']"},
			lines: map[string]string{"spec.template.metadata.annotations['container.apparmor.security.beta.kubernetes.io/app']": "apparmor.security"},
		},
		{
			name:  "runtime default and localhost",
			rules: []string{"PAL-014"},
			yaml: `apiVersion: v1
kind: Pod
metadata:
  name: p
  annotations:
    container.apparmor.security.beta.kubernetes.io/app: runtime/default
    container.apparmor.security.beta.kubernetes.io/other: localhost/my-profile
spec:
  containers:
  - name: app
    image: nginx
  - name: other
    image: nginx
  - name: third
    image: nginx
    securityContext:
      appArmorProfile: {type: RuntimeDefault}
`,
		},
	})
}

func TestSELinux(t *testing.T) {
	runCases(t, []ruleCase{
		{
			name:  "custom type, user and role",
			rules: []string{"PAL-015"},
			yaml: `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  securityContext:
    seLinuxOptions:
      type: spc_t
  containers:
  - name: app
    image: nginx
    securityContext:
      seLinuxOptions:
        user: system_u
        role: system_r
        level: "s0:c123,c456"
`,
			want: []string{
				"PAL-015 - spec.securityContext.seLinuxOptions.type",
				"PAL-015 app " + c0sc + ".seLinuxOptions.user",
				"PAL-015 app " + c0sc + ".seLinuxOptions.role",
			},
			lines: map[string]string{
				"spec.securityContext.seLinuxOptions.type": "type: spc_t",
				c0sc + ".seLinuxOptions.role":              "role: system_r",
			},
		},
		{
			name:  "standard container types and a level",
			rules: []string{"PAL-015"},
			yaml: `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  securityContext:
    seLinuxOptions:
      level: "s0:c123,c456"
  containers:
  - name: app
    image: nginx
    securityContext:
      seLinuxOptions: {type: container_t}
  - name: other
    image: nginx
    securityContext:
      seLinuxOptions: {type: container_init_t}
`,
		},
	})
}

func TestProcMount(t *testing.T) {
	runCases(t, []ruleCase{
		{
			name:  "Unmasked",
			rules: []string{"PAL-016"},
			yaml: `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
  - name: app
    image: nginx
    securityContext:
      procMount: Unmasked
`,
			want:  []string{"PAL-016 app " + c0sc + ".procMount"},
			lines: map[string]string{c0sc + ".procMount": "procMount: Unmasked"},
		},
		{
			name:  "Default",
			rules: []string{"PAL-016"},
			yaml: `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
  - name: app
    image: nginx
    securityContext:
      procMount: Default
`,
		},
		{
			// Since 1.35 baseline allows any procMount in a user-namespace pod.
			name:  "Unmasked in a user-namespace pod at latest",
			rules: []string{"PAL-016"},
			yaml: `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  hostUsers: false
  containers:
  - name: app
    image: nginx
    securityContext:
      procMount: Unmasked
`,
		},
		{
			name:    "Unmasked in an init container at 1.34",
			version: "1.34",
			rules:   []string{"PAL-016"},
			yaml: `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  hostUsers: false
  initContainers:
  - name: init
    image: busybox
    securityContext:
      procMount: Unmasked
  containers:
  - name: app
    image: nginx
`,
			want: []string{"PAL-016 init spec.initContainers[0].securityContext.procMount"},
		},
	})
}

func TestSysctls(t *testing.T) {
	runCases(t, []ruleCase{
		{
			name:  "unsafe sysctl next to a safe one",
			rules: []string{"PAL-017"},
			yaml: `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  securityContext:
    sysctls:
    - name: kernel.shm_rmid_forced
      value: "1"
    - name: kernel.msgmax
      value: "65536"
  containers:
  - name: app
    image: nginx
`,
			want:  []string{"PAL-017 - spec.securityContext.sysctls[1].name"},
			lines: map[string]string{"spec.securityContext.sysctls[1].name": "kernel.msgmax"},
		},
		{
			name:  "safe sysctls only",
			rules: []string{"PAL-017"},
			yaml: `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  securityContext:
    sysctls:
    - {name: kernel.shm_rmid_forced, value: "1"}
    - {name: net.ipv4.ip_local_port_range, value: "1024 65535"}
  containers:
  - name: app
    image: nginx
`,
		},
	})
}

func TestHostNamespaces(t *testing.T) {
	runCases(t, []ruleCase{
		{
			name:  "all three",
			rules: []string{"PAL-018", "PAL-019", "PAL-020"},
			yaml: `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata:
      labels: {app: agent}
    spec:
      hostNetwork: true
      hostPID: true
      hostIPC: true
      containers:
      - name: agent
        image: agent
`,
			want: []string{
				"PAL-018 - spec.template.spec.hostNetwork",
				"PAL-019 - spec.template.spec.hostPID",
				"PAL-020 - spec.template.spec.hostIPC",
			},
			lines: map[string]string{
				"spec.template.spec.hostNetwork": "hostNetwork: true",
				"spec.template.spec.hostPID":     "hostPID: true",
				"spec.template.spec.hostIPC":     "hostIPC: true",
			},
		},
		{
			name:  "explicitly false",
			rules: []string{"PAL-018", "PAL-019", "PAL-020"},
			yaml: `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  hostNetwork: false
  hostPID: false
  hostIPC: false
  containers:
  - name: app
    image: nginx
`,
		},
	})
}

func TestHostPath(t *testing.T) {
	hp := []string{"PAL-021", "PAL-022", "PAL-023", "PAL-024", "PAL-027"}
	vol := func(i string) string { return "spec.volumes[" + i + "].hostPath.path" }
	mount := func(i string) string { return "spec.containers[0].volumeMounts[" + i + "]" }
	runCases(t, []ruleCase{
		{
			name:  "classification and writability",
			rules: hp,
			yaml: `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
  - name: app
    image: nginx
    volumeMounts:
    - {name: data, mountPath: /data}
    - {name: etc, mountPath: /host/etc, readOnly: true}
    - {name: kubelet, mountPath: /kubelet}
    - {name: root, mountPath: /host, readOnly: true}
    - {name: docker, mountPath: /var/run/docker.sock}
    - {name: containerd, mountPath: /run/containerd/containerd.sock}
    - {name: scratch, mountPath: /tmp}
  volumes:
  - name: data
    hostPath: {path: /data}
  - name: etc
    hostPath: {path: /etc}
  - name: kubelet
    hostPath: {path: /var/lib/kubelet, type: Directory}
  - name: root
    hostPath: {path: /}
  - name: docker
    hostPath: {path: /var/run/docker.sock, type: Socket}
  - name: containerd
    hostPath: {path: /run/containerd/containerd.sock}
  - name: scratch
    emptyDir: {}
`,
			want: []string{
				"PAL-021 - " + vol("0"),
				"PAL-022 - " + vol("1"),
				"PAL-022 - " + vol("2"),
				"PAL-022 - " + vol("3"),
				"PAL-023 - " + vol("4"),
				"PAL-023 - " + vol("5"),
				// Writable mounts of data and kubelet; sockets are PAL-023's alone.
				"PAL-024 app " + mount("0"),
				"PAL-024 app " + mount("2"),
			},
			lines: map[string]string{
				vol("0"):   "path: /data}",
				vol("4"):   "path: /var/run/docker.sock",
				mount("2"): "name: kubelet, mountPath",
			},
		},
		{
			name:  "read-only plain hostPath in a Deployment",
			rules: hp,
			yaml: `apiVersion: apps/v1
kind: Deployment
metadata:
  name: d
spec:
  selector: {matchLabels: {app: d}}
  template:
    metadata:
      labels: {app: d}
    spec:
      containers:
      - name: app
        image: nginx
        volumeMounts:
        - name: cache
          mountPath: /cache
          readOnly: true
      volumes:
      - name: cache
        hostPath:
          path: /srv/cache
`,
			want:  []string{"PAL-021 - spec.template.spec.volumes[0].hostPath.path"},
			lines: map[string]string{"spec.template.spec.volumes[0].hostPath.path": "path: /srv/cache"},
		},
		{
			name:  "a writable mount in an init container",
			rules: []string{"PAL-024"},
			yaml: `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  initContainers:
  - name: init
    image: busybox
    volumeMounts:
    - {name: logs, mountPath: /logs}
  containers:
  - name: app
    image: nginx
    volumeMounts:
    - {name: logs, mountPath: /logs, readOnly: true}
  volumes:
  - name: logs
    hostPath: {path: /var/log/app}
`,
			want: []string{"PAL-024 init spec.initContainers[0].volumeMounts[0]"},
		},
		{
			name:  "no hostPath",
			rules: hp,
			yaml: `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
  - name: app
    image: nginx
    volumeMounts:
    - {name: cfg, mountPath: /cfg}
  volumes:
  - name: cfg
    configMap: {name: cfg}
`,
		},
	})
}

func TestHostPorts(t *testing.T) {
	runCases(t, []ruleCase{
		{
			name:  "hostPort",
			rules: []string{"PAL-025"},
			yaml: `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
  - name: app
    image: nginx
    ports:
    - containerPort: 80
    - containerPort: 443
      hostPort: 8443
`,
			want:  []string{"PAL-025 app spec.containers[0].ports[1].hostPort"},
			lines: map[string]string{"spec.containers[0].ports[1].hostPort": "hostPort: 8443"},
		},
		{
			name:  "container ports only",
			rules: []string{"PAL-025"},
			yaml: `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
  - name: app
    image: nginx
    ports:
    - containerPort: 80
`,
		},
	})
}

func TestWindowsHostProcess(t *testing.T) {
	runCases(t, []ruleCase{
		{
			name:  "pod and container hostProcess",
			rules: []string{"PAL-026"},
			yaml: `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  hostNetwork: true
  securityContext:
    windowsOptions:
      hostProcess: true
      runAsUserName: "NT AUTHORITY\\SYSTEM"
  containers:
  - name: app
    image: mcr.microsoft.com/windows/nanoserver
    securityContext:
      windowsOptions:
        hostProcess: true
`,
			want: []string{
				"PAL-026 - spec.securityContext.windowsOptions.hostProcess",
				"PAL-026 app " + c0sc + ".windowsOptions.hostProcess",
			},
		},
		{
			name:  "hostProcess false",
			rules: []string{"PAL-026"},
			yaml: `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  securityContext:
    windowsOptions:
      hostProcess: false
  containers:
  - name: app
    image: mcr.microsoft.com/windows/nanoserver
`,
		},
	})
}

func TestRestrictedVolumes(t *testing.T) {
	runCases(t, []ruleCase{
		{
			name:  "nfs next to allowed types",
			rules: []string{"PAL-027"},
			yaml: `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
  - name: app
    image: nginx
  volumes:
  - name: tmp
    emptyDir: {}
  - name: share
    nfs:
      server: nfs.example.com
      path: /exports
  - name: data
    persistentVolumeClaim: {claimName: data}
`,
			want:  []string{"PAL-027 - spec.volumes[1]"},
			lines: map[string]string{"spec.volumes[1]": "- name: share"},
		},
		{
			// hostPath fails restrictedVolumes too, but PAL-021..023 report it.
			name:  "hostPath is not reported again",
			rules: []string{"PAL-027"},
			yaml: `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
  - name: app
    image: nginx
  volumes:
  - name: data
    hostPath: {path: /data}
`,
		},
		{
			name:  "allowed types only",
			rules: []string{"PAL-027"},
			yaml: `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
  - name: app
    image: nginx
  volumes:
  - name: cfg
    configMap: {name: cfg}
  - name: creds
    secret: {secretName: creds}
  - name: token
    projected:
      sources:
      - serviceAccountToken: {path: token}
  - name: info
    downwardAPI:
      items:
      - path: labels
        fieldRef: {fieldPath: metadata.labels}
`,
		},
	})
}

func TestHostProbes(t *testing.T) {
	runCases(t, []ruleCase{
		{
			name:  "probe and lifecycle hosts",
			rules: []string{"PAL-028"},
			yaml: `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
  - name: app
    image: nginx
    livenessProbe:
      httpGet:
        host: 169.254.169.254
        path: /healthz
        port: 80
    readinessProbe:
      tcpSocket:
        host: 10.0.0.1
        port: 80
    lifecycle:
      preStop:
        httpGet:
          host: kubelet.local
          port: 10250
`,
			want: []string{
				"PAL-028 app spec.containers[0].livenessProbe.httpGet.host",
				"PAL-028 app spec.containers[0].readinessProbe.tcpSocket.host",
				"PAL-028 app spec.containers[0].lifecycle.preStop.httpGet.host",
			},
			lines: map[string]string{
				"spec.containers[0].livenessProbe.httpGet.host":     "host: 169.254.169.254",
				"spec.containers[0].lifecycle.preStop.httpGet.host": "host: kubelet.local",
			},
		},
		{
			name:  "probes without host",
			rules: []string{"PAL-028"},
			yaml: `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
  - name: app
    image: nginx
    livenessProbe:
      httpGet: {path: /healthz, port: 80}
    startupProbe:
      tcpSocket: {port: 80}
`,
		},
	})
}

// TestVersionAwareness checks that rules follow the official checks as they stood at
// the configured Kubernetes version.
func TestVersionAwareness(t *testing.T) {
	plain := `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
  - name: app
    image: nginx
`
	probe := `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
  - name: app
    image: nginx
    livenessProbe:
      httpGet: {host: 127.0.0.1, port: 80}
`
	keepalive := `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  securityContext:
    sysctls:
    - {name: net.ipv4.tcp_keepalive_time, value: "600"}
  containers:
  - name: app
    image: nginx
`
	engineT := `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
  - name: app
    image: nginx
    securityContext:
      seLinuxOptions: {type: container_engine_t}
`
	drop := "PAL-009 app " + c0sc + ".capabilities.drop"
	host := "PAL-028 app spec.containers[0].livenessProbe.httpGet.host"
	sysctl := "PAL-017 - spec.securityContext.sysctls[0].name"
	runCases(t, []ruleCase{
		{name: "capabilities_restricted absent at 1.21", version: "1.21", rules: []string{"PAL-009"}, yaml: plain},
		{name: "capabilities_restricted from 1.22", version: "1.22", rules: []string{"PAL-009"}, yaml: plain, want: []string{drop}},
		{name: "capabilities_restricted at latest", version: "latest", rules: []string{"PAL-009"}, yaml: plain, want: []string{drop}},
		{name: "host probes allowed at 1.33", version: "1.33", rules: []string{"PAL-028"}, yaml: probe},
		{name: "host probes forbidden at latest", version: "latest", rules: []string{"PAL-028"}, yaml: probe, want: []string{host}},
		{name: "tcp_keepalive_time unsafe at 1.28", version: "1.28", rules: []string{"PAL-017"}, yaml: keepalive, want: []string{sysctl}},
		{name: "tcp_keepalive_time safe at latest", version: "latest", rules: []string{"PAL-017"}, yaml: keepalive},
		{name: "container_engine_t allowed at latest", version: "latest", rules: []string{"PAL-015"}, yaml: engineT},
	})
}

// corpusDir is ../shared/corpus beside the repository root (two levels above this
// package directory).
func corpusDir(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Skip("cannot locate the test source")
	}
	root := filepath.Join(filepath.Dir(file), "..", "..")
	dir := filepath.Join(root, "..", "shared", "corpus")
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		t.Skipf("corpus not found at %s", dir)
	}
	return dir
}

// overrides maps each restricted check to the baseline checks it supersedes, as the
// official policy declares: a failure of the restricted check is explained by findings
// of the baseline check it overrides (a hostPath volume fails restrictedVolumes too).
func overrides() map[string][]string {
	out := map[string][]string{}
	for _, c := range policy.DefaultChecks() {
		seen := map[string]bool{}
		for _, v := range c.Versions {
			for _, o := range v.OverrideCheckIDs {
				if !seen[string(o)] {
					seen[string(o)] = true
					out[string(c.ID)] = append(out[string(c.ID)], string(o))
				}
			}
		}
	}
	return out
}

func isFallback(f *finding.Finding) bool {
	return strings.HasPrefix(f.Message, "Pod Security Standards")
}

// TestPSSConsistencyCorpus checks, for every workload of the real-world corpus and every
// official check, that the check fails if and only if some finding carries it, and
// that every failure is pinpointed by a rule rather than by the engine's fallback.
func TestPSSConsistencyCorpus(t *testing.T) {
	if testing.Short() {
		t.Skip("corpus scan skipped in -short mode")
	}
	dir := corpusDir(t)
	all := rules.All()
	finder := workload.NewFinder(nil)
	lr := load.Load([]string{dir}, load.Options{Decode: engine.Decoder(all, finder)})
	for _, version := range []string{"latest", "1.30", "1.24"} {
		t.Run(version, func(t *testing.T) {
			ev, err := pss.New(version)
			if err != nil {
				t.Fatal(err)
			}
			checkCorpusConsistency(t, all, finder, lr, ev)
		})
	}
}

func checkCorpusConsistency(t *testing.T, all []*rules.Rule, finder *workload.Finder, lr *load.Result, ev *pss.Evaluator) {
	type key struct {
		file string
		doc  int
		ref  finding.ObjectRef
	}
	type evaluated struct {
		key
		failed map[string]pss.Result
	}
	// Evaluate every workload before the engine runs, which may release decoded bodies.
	var wls []evaluated
	seen := map[key]bool{}
	for _, o := range lr.Inventory.Objects {
		w, err := finder.From(o)
		if err != nil || w == nil {
			continue
		}
		k := key{o.Origin.File, o.Origin.Document, o.Ref}
		if seen[k] {
			t.Errorf("two workloads share %v: findings cannot be told apart", k)
		}
		seen[k] = true
		wls = append(wls, evaluated{k, ev.Evaluate(w.Meta, w.Spec)})
	}
	if len(wls) < 100 {
		t.Fatalf("only %d workloads found in the corpus; the loader or finder is broken", len(wls))
	}
	er := engine.Run(lr.Inventory, engine.Options{Rules: all, PSS: ev, Finder: finder})
	byObject := map[key][]*finding.Finding{}
	for i := range er.Findings {
		f := &er.Findings[i]
		k := key{f.Location.File, f.Location.Document, f.Object}
		byObject[k] = append(byObject[k], f)
	}
	over := overrides()
	checkIDs := pss.SortedCheckIDs()

	var divergences, fallbacks []string
	for _, wl := range wls {
		failed := wl.failed
		fs := byObject[wl.key]
		tagged := map[string]bool{}
		for _, f := range fs {
			r, ok := rules.Get(f.RuleID)
			if !ok {
				t.Errorf("finding for unknown rule %s", f.RuleID)
				continue
			}
			if c := r.Frameworks.PSSCheck; c != "" {
				tagged[c] = true
			}
			if isFallback(f) {
				fallbacks = append(fallbacks, wl.file+": "+wl.ref.String()+": "+f.RuleID+": "+f.Message)
			}
		}
		name := filepath.Base(wl.file) + ": " + wl.ref.String()
		for _, id := range checkIDs {
			res, bad := failed[id]
			explained := tagged[id]
			for _, b := range over[id] {
				if _, baseBad := failed[b]; baseBad && tagged[b] {
					explained = true
				}
			}
			switch {
			case bad && !explained:
				divergences = append(divergences, name+": check "+id+" fails ("+res.Detail+") but no finding carries it")
			case !bad && tagged[id]:
				divergences = append(divergences, name+": check "+id+" passes but a finding carries it")
			}
		}
	}
	sort.Strings(divergences)
	sort.Strings(fallbacks)
	for _, d := range divergences {
		t.Errorf("divergence: %s", d)
	}
	for _, f := range fallbacks {
		t.Errorf("fallback finding (no rule pinpointed the field): %s", f)
	}
	t.Logf("%d workloads, %d findings checked", len(wls), len(er.Findings))
}

// knownUncovered lists official checks that no rule carries yet, each with why. The
// test fails if one of them becomes covered, so the list cannot go stale.
var knownUncovered = map[string]string{}

// TestRuleMetadata checks that every registered rule is complete and that its Pod
// Security Standards tag names a real check at the right level.
func TestRuleMetadata(t *testing.T) {
	all := rules.All()
	checks := pss.CheckIDs()
	layers := map[string]bool{"cloud": true, "cluster": true, "container": true, "code": true}
	idRE := regexp.MustCompile(`^PAL-\d{3}$`)
	ids := map[string]bool{}
	covered := map[string]bool{}
	for _, r := range all {
		ids[r.ID] = true
		if !idRE.MatchString(r.ID) {
			t.Errorf("rule ID %q is not PAL-NNN", r.ID)
		}
		for field, v := range map[string]string{
			"title": r.Title, "category": r.Category, "rationale": r.Rationale, "remediation": r.Remediation,
		} {
			if strings.TrimSpace(v) == "" {
				t.Errorf("%s has no %s", r.ID, field)
			}
		}
		if r.Severity < finding.Low || r.Severity > finding.Critical {
			t.Errorf("%s has severity %v, want low to critical", r.ID, r.Severity)
		}
		if c := r.CoveredBy; c != "" {
			if other, ok := rules.Get(c); !ok || other.ID == r.ID || other.CoveredBy != "" {
				t.Errorf("%s is covered by %q, which must be another registered rule not itself covered", r.ID, c)
			}
		}
		fw := r.Frameworks
		if !layers[fw.Layer] {
			t.Errorf("%s has 4C layer %q", r.ID, fw.Layer)
		}
		if (fw.PSS == "") != (fw.PSSCheck == "") {
			t.Errorf("%s: PSS level %q and PSS check %q must be set together", r.ID, fw.PSS, fw.PSSCheck)
		}
		if fw.PSSCheck == "" {
			continue
		}
		level, ok := checks[fw.PSSCheck]
		switch {
		case !ok:
			t.Errorf("%s: PSS check %q is not an official check", r.ID, fw.PSSCheck)
		case level != fw.PSS:
			t.Errorf("%s: PSS check %q is %s, but the rule says %s", r.ID, fw.PSSCheck, level, fw.PSS)
		case r.Workload == nil:
			t.Errorf("%s: a PSS check only gates workload rules", r.ID)
		}
		covered[fw.PSSCheck] = true
	}
	for i := 1; i <= 28; i++ {
		id := fmt.Sprintf("PAL-%03d", i)
		if !ids[id] {
			t.Errorf("rule %s is not registered", id)
		}
	}
	for _, id := range pss.SortedCheckIDs() {
		why, known := knownUncovered[id]
		switch {
		case covered[id] && known:
			t.Errorf("check %s is now covered: remove it from knownUncovered", id)
		case !covered[id] && !known:
			t.Errorf("no rule carries the official check %s", id)
		case !covered[id]:
			t.Logf("known gap: %s: %s", id, why)
		}
	}
	for id := range knownUncovered {
		if _, ok := checks[id]; !ok {
			t.Errorf("knownUncovered names %s, which is not an official check", id)
		}
	}
}

// TestExactOfficialSemantics covers values that only the official checks' exact
// comparisons reject: each must be pinpointed by a rule, never left to the fallback.
func TestExactOfficialSemantics(t *testing.T) {
	pod := func(body string) string {
		return "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n" + body
	}
	c0 := "spec.containers[0]"
	runCases(t, []ruleCase{
		{
			name:  "restricted Unmasked /proc in a user-namespace pod",
			rules: []string{"PAL-016", "PAL-029"},
			yaml: pod(`  hostUsers: false
  containers:
  - name: app
    image: nginx
    securityContext:
      procMount: Unmasked
`),
			want:  []string{"PAL-029 app " + c0 + ".securityContext.procMount"},
			lines: map[string]string{c0 + ".securityContext.procMount": "procMount: Unmasked"},
		},
		{
			name:  "Unmasked /proc without a user namespace is PAL-016 only",
			rules: []string{"PAL-016", "PAL-029"},
			yaml: pod(`  containers:
  - name: app
    image: nginx
    securityContext:
      procMount: Unmasked
`),
			want: []string{"PAL-016 app " + c0 + ".securityContext.procMount"},
		},
		{
			name:  "lower-case capability name is not the default CHOWN",
			rules: []string{"PAL-007", "PAL-008", "PAL-010"},
			yaml: pod(`  containers:
  - name: app
    image: nginx
    securityContext:
      capabilities:
        drop: ["ALL"]
        add: ["chown", "CHOWN"]
`),
			want: []string{"PAL-008 app " + c0 + ".securityContext.capabilities.add[0]", "PAL-010 app " + c0 + ".securityContext.capabilities.add[1]"},
		},
		{
			name:    "container_engine_t before 1.31",
			version: "1.30",
			rules:   []string{"PAL-015"},
			yaml: pod(`  securityContext:
    seLinuxOptions:
      type: container_engine_t
  containers:
  - name: app
    image: nginx
`),
			want: []string{"PAL-015 - spec.securityContext.seLinuxOptions.type"},
		},
		{
			name:  "container_engine_t at latest",
			rules: []string{"PAL-015"},
			yaml: pod(`  securityContext:
    seLinuxOptions:
      type: container_engine_t
  containers:
  - name: app
    image: nginx
`),
		},
		{
			name:  "AppArmor type the official check rejects",
			rules: []string{"PAL-014"},
			yaml: pod(`  containers:
  - name: app
    image: nginx
    securityContext:
      appArmorProfile:
        type: Unconfined
  - name: ok
    image: nginx
    securityContext:
      appArmorProfile:
        type: RuntimeDefault
`),
			want: []string{"PAL-014 app " + c0 + ".securityContext.appArmorProfile.type"},
		},
	})
}

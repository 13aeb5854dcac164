package podsecurity_test

import (
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/scan"
)

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

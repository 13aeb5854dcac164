package resources_test

import (
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/config"
	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/scan"
	"github.com/palisade-k8s/palisade/internal/source"
)

var containerResourceRules = []string{"PAL-201", "PAL-202", "PAL-203", "PAL-204", "PAL-205"}

// allResources lists the five container findings for one container path.
func allResources(container, path string) []string {
	return []string{
		"PAL-201 " + container + " " + path + ".resources.requests.cpu",
		"PAL-202 " + container + " " + path + ".resources.requests.memory",
		"PAL-203 " + container + " " + path + ".resources.limits.memory",
		"PAL-204 " + container + " " + path + ".resources.limits.cpu",
		"PAL-205 " + container + " " + path + ".resources.limits.ephemeral-storage",
	}
}

const fullResources = `    resources:
      requests: {cpu: 100m, memory: 64Mi}
      limits: {cpu: 500m, memory: 128Mi, ephemeral-storage: 1Gi}
`

func TestContainerResources(t *testing.T) {
	c0 := "spec.containers[0]"
	runCases(t, []ruleCase{
		{
			name:  "no resources at all",
			rules: containerResourceRules,
			yaml: `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
  - name: app
    image: nginx
`,
			want: allResources("app", c0),
			// Missing fields resolve to the container.
			lines: map[string]string{
				c0 + ".resources.requests.cpu":             "- name: app",
				c0 + ".resources.limits.ephemeral-storage": "- name: app",
			},
		},
		{
			name:  "empty resources point at resources",
			rules: containerResourceRules,
			yaml: `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
  - name: app
    image: nginx
    resources: {}
`,
			want:  allResources("app", c0),
			lines: map[string]string{c0 + ".resources.limits.memory": "resources: {}"},
		},
		{
			name:  "everything set",
			rules: containerResourceRules,
			yaml: `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
  - name: app
    image: nginx
` + fullResources,
		},
		{
			name:  "limits alone: requests default to them",
			rules: containerResourceRules,
			yaml: `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
  - name: app
    image: nginx
    resources:
      limits:
        cpu: "1"
        memory: 1Gi
`,
			want: []string{"PAL-205 app " + c0 + ".resources.limits.ephemeral-storage"},
			// A block mapping's line is that of its first entry.
			lines: map[string]string{c0 + ".resources.limits.ephemeral-storage": `cpu: "1"`},
		},
		{
			name:  "requests alone are no limits",
			rules: containerResourceRules,
			yaml: `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
  - name: app
    image: nginx
    resources:
      requests:
        cpu: 100m
        memory: 64Mi
        ephemeral-storage: 1Gi
`,
			want: []string{
				"PAL-203 app " + c0 + ".resources.limits.memory",
				"PAL-204 app " + c0 + ".resources.limits.cpu",
				"PAL-205 app " + c0 + ".resources.limits.ephemeral-storage",
			},
		},
		{
			name:  "zero values are no request or limit",
			rules: containerResourceRules,
			yaml: `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
  - name: app
    image: nginx
    resources:
      requests:
        cpu: 0
      limits:
        cpu: 500m
        memory: "0"
        ephemeral-storage: 0Gi
`,
			want: []string{
				"PAL-201 app " + c0 + ".resources.requests.cpu",
				// The memory request defaults to the zero limit.
				"PAL-202 app " + c0 + ".resources.limits.memory",
				"PAL-203 app " + c0 + ".resources.limits.memory",
				"PAL-205 app " + c0 + ".resources.limits.ephemeral-storage",
			},
			lines: map[string]string{
				c0 + ".resources.requests.cpu":  "cpu: 0",
				c0 + ".resources.limits.memory": `memory: "0"`,
			},
		},
		{
			name:  "init containers and sidecars are checked, ephemeral containers are not",
			rules: containerResourceRules,
			yaml: `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  initContainers:
  - name: setup
    image: busybox
  - name: proxy
    image: envoy
    restartPolicy: Always
` + fullResources + `  containers:
  - name: app
    image: nginx
` + fullResources + `  ephemeralContainers:
  - name: debug
    image: busybox
`,
			want: allResources("setup", "spec.initContainers[0]"),
		},
		{
			name:  "CronJob nesting",
			rules: containerResourceRules,
			yaml: `apiVersion: batch/v1
kind: CronJob
metadata:
  name: c
spec:
  schedule: "* * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers:
          - name: job
            image: busybox
            resources:
              limits: {memory: 64Mi}
`,
			want: []string{
				"PAL-201 job spec.jobTemplate.spec.template.spec.containers[0].resources.requests.cpu",
				"PAL-204 job spec.jobTemplate.spec.template.spec.containers[0].resources.limits.cpu",
				"PAL-205 job spec.jobTemplate.spec.template.spec.containers[0].resources.limits.ephemeral-storage",
			},
			lines: map[string]string{
				"spec.jobTemplate.spec.template.spec.containers[0].resources.limits.cpu": "limits: {memory: 64Mi}",
			},
		},
	})
}

func TestPodLevelResources(t *testing.T) {
	tpl := "spec.template.spec.containers[0]"
	deployment := func(podResources string) string {
		return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: d
spec:
  selector: {matchLabels: {app: d}}
  template:
    metadata: {labels: {app: d}}
    spec:
` + podResources + `      initContainers:
      - name: init
        image: busybox
      containers:
      - name: app
        image: nginx
`
	}
	runCases(t, []ruleCase{
		{
			name:  "pod-level limits cover CPU and memory of every container, not ephemeral storage",
			rules: containerResourceRules,
			yaml: deployment(`      resources:
        limits: {cpu: "2", memory: 1Gi}
`),
			want: []string{
				"PAL-205 init spec.template.spec.initContainers[0].resources.limits.ephemeral-storage",
				"PAL-205 app " + tpl + ".resources.limits.ephemeral-storage",
			},
		},
		{
			name:  "pod-level requests cover requests only",
			rules: containerResourceRules,
			yaml: deployment(`      resources:
        requests: {cpu: "1", memory: 512Mi}
        limits: {memory: 1Gi}
`),
			want: []string{
				"PAL-204 init spec.template.spec.initContainers[0].resources.limits.cpu",
				"PAL-204 app " + tpl + ".resources.limits.cpu",
				"PAL-205 init spec.template.spec.initContainers[0].resources.limits.ephemeral-storage",
				"PAL-205 app " + tpl + ".resources.limits.ephemeral-storage",
			},
		},
		{
			name:  "a zero pod-level request is not defaulted from the pod-level limit",
			rules: []string{"PAL-201", "PAL-204"},
			yaml: deployment(`      resources:
        requests: {cpu: "0"}
        limits: {cpu: "1"}
`),
			want: []string{
				"PAL-201 init spec.template.spec.initContainers[0].resources.requests.cpu",
				"PAL-201 app " + tpl + ".resources.requests.cpu",
			},
		},
		{
			name:  "pod-level ephemeral-storage is not a thing",
			rules: []string{"PAL-205"},
			yaml: deployment(`      resources:
        limits: {ephemeral-storage: 1Gi}
`),
			want: []string{
				"PAL-205 init spec.template.spec.initContainers[0].resources.limits.ephemeral-storage",
				"PAL-205 app " + tpl + ".resources.limits.ephemeral-storage",
			},
		},
	})
}

const bareDeployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: d
  namespace: team
spec:
  selector: {matchLabels: {app: d}}
  template:
    metadata: {labels: {app: d}}
    spec:
      containers:
      - name: app
        image: nginx
`

func TestLimitRangeDefaults(t *testing.T) {
	tpl := "spec.template.spec.containers[0]"
	runCases(t, []ruleCase{
		{
			name:  "LimitRange defaults in the namespace cover containers",
			rules: containerResourceRules,
			yaml: `apiVersion: v1
kind: LimitRange
metadata:
  name: defaults
  namespace: team
spec:
  limits:
  - type: Container
    default: {memory: 256Mi, ephemeral-storage: 2Gi}
    defaultRequest: {cpu: 100m}
---
` + bareDeployment,
			// default memory also becomes the default memory request.
			want: []string{"PAL-204 app " + tpl + ".resources.limits.cpu"},
		},
		{
			name:  "max becomes the default limit, min the default request",
			rules: containerResourceRules,
			yaml: `apiVersion: v1
kind: LimitRange
metadata:
  name: bounds
  namespace: team
spec:
  limits:
  - type: Container
    max: {memory: 1Gi, cpu: "2"}
    min: {ephemeral-storage: 10Mi}
---
` + bareDeployment,
			// max cpu and memory default both limits and requests; min sets only a
			// request, so the ephemeral-storage limit is still missing.
			want: []string{"PAL-205 app " + tpl + ".resources.limits.ephemeral-storage"},
		},
		{
			name:  "LimitRange of another namespace or of type Pod does not cover",
			rules: []string{"PAL-203"},
			yaml: `apiVersion: v1
kind: LimitRange
metadata:
  name: elsewhere
  namespace: other
spec:
  limits:
  - type: Container
    default: {memory: 256Mi}
---
apiVersion: v1
kind: LimitRange
metadata:
  name: pod-bounds
  namespace: team
spec:
  limits:
  - type: Pod
    max: {memory: 4Gi}
---
` + bareDeployment,
			want: []string{"PAL-203 app " + tpl + ".resources.limits.memory"},
		},
		{
			name:  "an explicit zero keeps the LimitRange default out",
			rules: []string{"PAL-203"},
			yaml: `apiVersion: v1
kind: LimitRange
metadata:
  name: defaults
  namespace: team
spec:
  limits:
  - type: Container
    default: {memory: 256Mi}
---
` + strings.Replace(bareDeployment, "image: nginx\n", "image: nginx\n        resources: {limits: {memory: 0}}\n", 1),
			want: []string{"PAL-203 app " + tpl + ".resources.limits.memory"},
		},
		{
			name:  "defaulted namespaces match",
			rules: containerResourceRules,
			yaml: `apiVersion: v1
kind: LimitRange
metadata:
  name: defaults
spec:
  limits:
  - type: Container
    default: {cpu: 500m, memory: 256Mi, ephemeral-storage: 1Gi}
---
` + strings.Replace(bareDeployment, "  namespace: team\n", "", 1),
		},
		{
			name:  "an invalid LimitRange defaults nothing",
			rules: []string{"PAL-203"},
			yaml: `apiVersion: v1
kind: LimitRange
metadata:
  name: broken
  namespace: team
spec:
  limits:
  - type: Container
    default: {memory: lots}
---
` + bareDeployment,
			want: []string{"PAL-203 app " + tpl + ".resources.limits.memory"},
		},
	})
}

// TestLimitRangeWithOneRule: the LimitRange is read even when no rule that reads
// LimitRanges itself is enabled.
func TestLimitRangeWithOneRule(t *testing.T) {
	yaml := `apiVersion: v1
kind: LimitRange
metadata: {name: defaults, namespace: team}
spec:
  limits:
  - type: Container
    default: {memory: 256Mi}
---
` + bareDeployment
	got := findingsOf(t, yaml, scan.Options{Include: []string{"PAL-203"}}, "PAL-203")
	if len(got) != 0 {
		t.Errorf("findings %v, want none", keysOf(got))
	}
	res, err := scan.Run(scan.Options{Source: &source.Files{Paths: []string{"-"}, Stdin: strings.NewReader(yaml)}, FailOn: "none",
		Include: []string{"PAL-203"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Report.Summary.Workloads != 1 {
		t.Errorf("workloads = %d, want 1 when only inventory-wide rules run", res.Report.Summary.Workloads)
	}
}

func TestResourceMessages(t *testing.T) {
	tpl := "spec.template.spec.containers[0]"
	yaml := `apiVersion: v1
kind: LimitRange
metadata: {name: cpu-only, namespace: team}
spec:
  limits:
  - type: Container
    defaultRequest: {cpu: 100m}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: d
  namespace: team
spec:
  selector: {matchLabels: {app: d}}
  template:
    metadata: {labels: {app: d}}
    spec:
      resources:
        requests: {cpu: 200m}
      initContainers:
      - name: init
        image: busybox
        resources:
          limits: {memory: "0"}
      containers:
      - name: app
        image: nginx
        resources:
          requests: {memory: "0"}
`
	got := findingsOf(t, yaml, scan.Options{}, "PAL-202", "PAL-203")
	want := map[string][]string{
		"PAL-203 app " + tpl + ".resources.limits.memory": {
			`container "app" sets no memory limit (resources.limits.memory)`,
			`pod-level spec.resources sets no non-zero memory limit either`,
			`LimitRange "cpu-only" in namespace "team" sets no default limit for memory`,
		},
		"PAL-202 app " + tpl + ".resources.requests.memory": {
			`container "app" sets resources.requests.memory to 0, which reserves nothing`,
		},
		"PAL-202 init spec.template.spec.initContainers[0].resources.limits.memory": {
			`init container "init" sets resources.limits.memory to 0, so its memory request defaults to 0`,
		},
		"PAL-203 init spec.template.spec.initContainers[0].resources.limits.memory": {
			`init container "init" sets resources.limits.memory to 0, which is no limit`,
		},
	}
	for k, parts := range want {
		f, ok := got[k]
		if !ok {
			t.Errorf("missing finding %s (got %v)", k, keysOf(got))
			continue
		}
		for _, p := range parts {
			if !strings.Contains(f.Message, p) {
				t.Errorf("%s: message %q lacks %q", k, f.Message, p)
			}
		}
		if strings.Contains(f.Message, "LimitRange") && !strings.Contains(k, "app") {
			t.Errorf("%s: an explicit value keeps LimitRange defaults out, yet the message names one: %q", k, f.Message)
		}
	}
	if len(got) != len(want) {
		t.Errorf("findings %v, want %d", keysOf(got), len(want))
	}
}

func TestCPULimitNamespacesParam(t *testing.T) {
	cfg, err := config.Parse([]byte(`rules:
  PAL-204: {params: {namespaces: ["prod-*"]}}
`), func(string) bool { return true }, rules.ParamsOf)
	if err != nil {
		t.Fatal(err)
	}
	yaml := bareDeployment + "---\n" + strings.Replace(bareDeployment, "namespace: team", "namespace: prod-eu", 1)
	got := findingsOf(t, yaml, scan.Options{Config: cfg}, "PAL-204")
	want := "PAL-204 app spec.template.spec.containers[0].resources.limits.cpu"
	if len(got) != 1 || got[want].Object.Namespace != "prod-eu" {
		t.Errorf("findings %v, want only %s in prod-eu", keysOf(got), want)
	}
	cfg, err = config.Parse([]byte(`rules:
  PAL-204: {params: {namespaces: []}}
`), func(string) bool { return true }, rules.ParamsOf)
	if err != nil {
		t.Fatal(err)
	}
	if got := findingsOf(t, yaml, scan.Options{Config: cfg}, "PAL-204"); len(got) != 0 {
		t.Errorf("findings %v with no namespaces, want none", keysOf(got))
	}
}

func TestNamespaceResourcePolicies(t *testing.T) {
	both := []string{"PAL-206", "PAL-207"}
	ns := `apiVersion: v1
kind: Namespace
metadata:
  name: team
---
`
	quota := func(hard string) string {
		return `apiVersion: v1
kind: ResourceQuota
metadata: {name: q, namespace: team}
spec:
  hard: ` + hard + `
---
`
	}
	limitRange := func(typ string) string {
		return `apiVersion: v1
kind: LimitRange
metadata: {name: lr, namespace: team}
spec:
  limits:
  - type: ` + typ + `
    max: {storage: 10Gi, memory: 1Gi}
---
`
	}
	runCases(t, []ruleCase{
		{
			name:  "Namespace object without quota or LimitRange",
			rules: both,
			yaml:  ns + bareDeployment,
			want:  []string{"PAL-206 - metadata.name", "PAL-207 - metadata.name"},
			lines: map[string]string{"metadata.name": "name: team"},
		},
		{
			name:  "quota capping compute and a Container LimitRange",
			rules: both,
			yaml:  ns + quota(`{requests.cpu: "10", limits.memory: 20Gi}`) + limitRange("Container") + bareDeployment,
		},
		{
			name:  "bare cpu quota and a Pod LimitRange count too",
			rules: both,
			yaml:  ns + quota(`{cpu: "10"}`) + limitRange("Pod") + bareDeployment,
		},
		{
			name:  "quota of object counts only, LimitRange for PVCs only",
			rules: both,
			yaml:  ns + quota(`{pods: "10", count/configmaps: "5"}`) + limitRange("PersistentVolumeClaim") + bareDeployment,
			want:  []string{"PAL-206 - metadata.name", "PAL-207 - metadata.name"},
		},
		{
			name:  "no Namespace object: first workload naming the namespace, once",
			rules: both,
			yaml: strings.Replace(bareDeployment, "namespace: team\n", "namespace: team # first\n", 1) + "---\n" +
				strings.Replace(bareDeployment, "name: d\n", "name: second\n", 1),
			want:  []string{"PAL-206 - metadata.namespace", "PAL-207 - metadata.namespace"},
			lines: map[string]string{"metadata.namespace": "namespace: team # first"},
		},
		{
			name:  "workloads with a defaulted namespace are not a namespace of the input",
			rules: both,
			yaml:  strings.Replace(bareDeployment, "  namespace: team\n", "", 1),
		},
		{
			name:  "a Namespace without workloads is not reported",
			rules: both,
			yaml: `apiVersion: v1
kind: Namespace
metadata: {name: empty}
---
` + quota(`{cpu: "1"}`) + limitRange("Container") + bareDeployment,
		},
		{
			name:  "system namespaces are exempt",
			rules: both,
			yaml:  strings.Replace(bareDeployment, "namespace: team", "namespace: kube-system", 1),
		},
		{
			name:  "a quota in another namespace does not count",
			rules: both,
			yaml:  strings.ReplaceAll(quota(`{cpu: "10"}`)+limitRange("Container"), "namespace: team", "namespace: other") + bareDeployment,
			want:  []string{"PAL-206 - metadata.namespace", "PAL-207 - metadata.namespace"},
		},
		{
			name:  "CronJob as the first workload",
			rules: []string{"PAL-206"},
			yaml: `apiVersion: batch/v1
kind: CronJob
metadata:
  name: c
  namespace: batch-jobs
spec:
  schedule: "@daily"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers: [{name: job, image: busybox}]
`,
			want:  []string{"PAL-206 - metadata.namespace"},
			lines: map[string]string{"metadata.namespace": "namespace: batch-jobs"},
		},
	})
}

func TestNamespaceResourceMessages(t *testing.T) {
	yaml := `apiVersion: v1
kind: Namespace
metadata: {name: team}
---
apiVersion: v1
kind: ResourceQuota
metadata: {name: broken, namespace: team}
spec:
  hard: {requests.cpu: plenty}
---
apiVersion: v1
kind: LimitRange
metadata: {name: pvc, namespace: team}
spec:
  limits:
  - type: PersistentVolumeClaim
    max: {storage: 10Gi}
---
` + bareDeployment
	got := findingsOf(t, yaml, scan.Options{}, "PAL-206", "PAL-207")
	want := map[string]string{
		"PAL-206 - metadata.name": `namespace "team" has no ResourceQuota that the API server would accept (ResourceQuota "broken" does not decode)`,
		"PAL-207 - metadata.name": `namespace "team" has LimitRange "pvc", but it has no item of type Container or Pod`,
	}
	for k, msg := range want {
		if got[k].Message != msg {
			t.Errorf("%s: message %q, want %q", k, got[k].Message, msg)
		}
	}
	if len(got) != len(want) {
		t.Errorf("findings %v", keysOf(got))
	}
	cfg, err := config.Parse([]byte(`rules:
  PAL-206: {params: {exemptNamespaces: ["te*"]}}
`), func(string) bool { return true }, rules.ParamsOf)
	if err != nil {
		t.Fatal(err)
	}
	got = findingsOf(t, yaml, scan.Options{Config: cfg}, "PAL-206", "PAL-207")
	if keys := keysOf(got); len(keys) != 1 || keys[0] != "PAL-207 - metadata.name" {
		t.Errorf("with team exempt from PAL-206: findings %v", keys)
	}
}

package main

// The node collector's manifests (deploy/node-collector) and the chart's
// nodeCollector (DaemonSet and Job) pass Palisade's own scan at the documented level
// (medium) with every exception an annotation that gives its reason, and they keep
// the properties the exceptions rely on: no token, no network, read-only host mounts,
// one added capability.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/cli"
	"github.com/palisade-k8s/palisade/internal/load"
)

var nodeCollectorDir = filepath.Join(deployDir, "node-collector")

// nodeCollectorScans are the inputs the test scans: the manifests and the chart's
// nodeCollector in each kind (and with AppArmor unconfined, which adds an exception).
var nodeCollectorScans = [][]string{
	{nodeCollectorDir},
	{chartDir, "--set", "nodeCollector.enabled=true"},
	{chartDir, "--set", "nodeCollector.enabled=true", "--set", "nodeCollector.kind=Job", "--set", "nodeCollector.nodeName=worker-1"},
	{chartDir, "--set", "nodeCollector.enabled=true", "--set", "nodeCollector.appArmorUnconfined=true", "--set", "nodeCollector.profile=gke", "--set", "nodeCollector.extraHostPaths={/home/kubernetes}"},
}

func TestNodeCollectorPassesScan(t *testing.T) {
	for _, args := range nodeCollectorScans {
		var out, errb bytes.Buffer
		code := cli.Main(append([]string{"scan", "--fail-on", "medium", "-o", "json"}, args...), nil, &out, &errb)
		if code != 0 {
			t.Errorf("scan %v: exit %d\n%s%s", args, code, out.String(), errb.String())
			continue
		}
		var rep struct {
			Findings []struct {
				RuleID     string `json:"ruleID"`
				Severity   string `json:"severity"`
				Object     struct{ Kind, Name string }
				Suppressed *struct{ Kind, Reason string }
			}
		}
		if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
			t.Fatalf("scan %v: %v", args, err)
		}
		suppressed := 0
		for _, f := range rep.Findings {
			if f.Suppressed == nil {
				continue
			}
			suppressed++
			where := f.RuleID + " on " + f.Object.Kind + "/" + f.Object.Name
			if f.Suppressed.Kind != "annotation" {
				t.Errorf("scan %v: %s suppressed by %s, want an annotation beside the grant", args, where, f.Suppressed.Kind)
			}
			if r := f.Suppressed.Reason; len(r) < 40 || strings.Contains(r, "no reason given") {
				t.Errorf("scan %v: %s suppressed without a reason (%q)", args, where, r)
			}
		}
		// The exceptions exist: a scan that suppresses nothing did not scan the
		// collector (the chart value was ignored, the directory moved).
		if suppressed < 6 {
			t.Errorf("scan %v: %d suppressed findings, want the collector's exceptions (at least 6)", args, suppressed)
		}
	}
}

// TestNodeCollectorGrants: what the exceptions' reasons promise holds in every
// rendering: hostPID, no token, UID 0 with SYS_PTRACE only in the collecting
// container, read-only host mounts of existing directories, a deny-all policy.
func TestNodeCollectorGrants(t *testing.T) {
	for _, args := range nodeCollectorScans {
		opts := load.Options{Decode: func(string, string) bool { return true }}
		for i := 1; i+1 < len(args); i += 2 {
			if args[i] == "--set" {
				opts.Helm.Set = append(opts.Helm.Set, args[i+1])
			}
		}
		res := load.Load(args[:1], opts)
		if len(res.Errors) > 0 {
			t.Fatalf("%v: %v", args, res.Errors)
		}
		pods, denyAll := 0, false
		for _, o := range res.Inventory.Objects {
			labels := nested[map[string]any](o.Body, "metadata", "labels")
			if labels["app.kubernetes.io/component"] != "node-collector" {
				continue
			}
			switch o.Ref.Kind {
			case "NetworkPolicy":
				spec := nested[map[string]any](o.Body, "spec")
				types, _ := spec["policyTypes"].([]any)
				denyAll = len(types) == 2 && spec["ingress"] == nil && spec["egress"] == nil
			case "ServiceAccount":
				if o.Body["automountServiceAccountToken"] != false {
					t.Errorf("%v: service account %s automounts its token", args, o.Ref.Name)
				}
			case "DaemonSet", "Job":
				pods++
				checkCollectorPod(t, args, o.Ref.Kind, nested[map[string]any](o.Body, "spec", "template", "spec"))
			}
		}
		if pods == 0 {
			t.Errorf("%v: no collector workload", args)
		}
		if !denyAll {
			t.Errorf("%v: no deny-all NetworkPolicy for the collector", args)
		}
	}
}

func checkCollectorPod(t *testing.T, args []string, kind string, spec map[string]any) {
	t.Helper()
	if spec["hostPID"] != true || spec["automountServiceAccountToken"] != false || spec["hostNetwork"] != nil {
		t.Errorf("%v %s: hostPID %v, automountServiceAccountToken %v, hostNetwork %v; want true, false, unset", args, kind, spec["hostPID"], spec["automountServiceAccountToken"], spec["hostNetwork"])
	}
	for _, v := range spec["volumes"].([]any) {
		hp, ok := v.(map[string]any)["hostPath"].(map[string]any)
		if ok && hp["type"] != "Directory" {
			t.Errorf("%v %s: hostPath %v has type %v, want Directory (never created on the host)", args, kind, hp["path"], hp["type"])
		}
	}
	var all []any
	for _, key := range []string{"initContainers", "containers"} {
		cs, _ := spec[key].([]any)
		all = append(all, cs...)
	}
	collectors := 0
	for _, c := range all {
		c := c.(map[string]any)
		sc := nested[map[string]any](c, "securityContext")
		caps := nested[map[string]any](sc, "capabilities")
		if sc["allowPrivilegeEscalation"] != false || sc["readOnlyRootFilesystem"] != true || sc["privileged"] == true {
			t.Errorf("%v %s: container %v: securityContext %v", args, kind, c["name"], sc)
		}
		if drop, _ := caps["drop"].([]any); len(drop) != 1 || drop[0] != "ALL" {
			t.Errorf("%v %s: container %v drops %v, want [ALL]", args, kind, c["name"], caps["drop"])
		}
		mounts, _ := c["volumeMounts"].([]any)
		for _, m := range mounts {
			if m.(map[string]any)["readOnly"] != true {
				t.Errorf("%v %s: container %v mounts %v writable", args, kind, c["name"], m)
			}
		}
		if c["name"] == "collect" {
			collectors++
			if add, _ := caps["add"].([]any); len(add) != 1 || add[0] != "SYS_PTRACE" {
				t.Errorf("%v %s: collect adds %v, want [SYS_PTRACE]", args, kind, caps["add"])
			}
			if len(mounts) == 0 {
				t.Errorf("%v %s: collect mounts nothing of the host", args, kind)
			}
			continue
		}
		if len(mounts) > 0 || caps["add"] != nil || sc["runAsNonRoot"] != true {
			t.Errorf("%v %s: container %v holds mounts, capabilities or root: only collect may", args, kind, c["name"])
		}
	}
	if collectors != 1 {
		t.Errorf("%v %s: %d collect containers, want 1", args, kind, collectors)
	}
}

// nested returns body[keys...] as T, or T's zero value.
func nested[T any](body map[string]any, keys ...string) T {
	var zero T
	var cur any = body
	for _, k := range keys {
		m, ok := cur.(map[string]any)
		if !ok {
			return zero
		}
		cur = m[k]
	}
	v, ok := cur.(T)
	if !ok {
		return zero
	}
	return v
}

// TestNodeCollectorChartMatchesManifests: the chart renders the collector the
// manifests hold: the same pod (host namespaces, security contexts, host mounts,
// collector arguments) for the DaemonSet and for the Job.
func TestNodeCollectorChartMatchesManifests(t *testing.T) {
	pods := func(args ...string) map[string]map[string]any {
		opts := load.Options{Decode: func(string, string) bool { return true }}
		for i := 1; i+1 < len(args); i += 2 {
			opts.Helm.Set = append(opts.Helm.Set, args[i+1])
		}
		res := load.Load(args[:1], opts)
		if len(res.Errors) > 0 {
			t.Fatal(res.Errors)
		}
		out := map[string]map[string]any{}
		for _, o := range res.Inventory.Objects {
			if o.Ref.Kind == "DaemonSet" || o.Ref.Kind == "Job" {
				if spec := nested[map[string]any](o.Body, "spec", "template", "spec"); spec["hostPID"] == true {
					out[o.Ref.Kind] = spec
				}
			}
		}
		return out
	}
	manifests := pods(nodeCollectorDir)
	for _, kind := range []string{"DaemonSet", "Job"} {
		chart := pods(chartDir, "--set", "nodeCollector.enabled=true", "--set", "nodeCollector.kind="+kind)[kind]
		plain := manifests[kind]
		if chart == nil || plain == nil {
			t.Fatalf("%s: chart %v, manifests %v", kind, chart != nil, plain != nil)
		}
		for _, key := range []string{"hostPID", "hostNetwork", "hostIPC", "automountServiceAccountToken", "enableServiceLinks", "securityContext", "volumes", "tolerations", "initContainers", "restartPolicy"} {
			if a, b := jsonText(chart[key]), jsonText(plain[key]); a != b && key != "initContainers" {
				t.Errorf("%s: %s differs:\nchart:     %s\nmanifests: %s", kind, key, a, b)
			}
		}
		collect := func(spec map[string]any) map[string]any {
			for _, key := range []string{"initContainers", "containers"} {
				cs, _ := spec[key].([]any)
				for _, c := range cs {
					if c := c.(map[string]any); c["name"] == "collect" {
						return c
					}
				}
			}
			return nil
		}
		cc, pc := collect(chart), collect(plain)
		for _, key := range []string{"args", "env", "securityContext", "volumeMounts", "resources", "imagePullPolicy"} {
			if a, b := jsonText(cc[key]), jsonText(pc[key]); a != b {
				t.Errorf("%s: container collect's %s differs:\nchart:     %s\nmanifests: %s", kind, key, a, b)
			}
		}
		if (chart["initContainers"] == nil) != (plain["initContainers"] == nil) {
			t.Errorf("%s: the chart and the manifests disagree on an init container", kind)
		}
	}
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// The chart refuses to put the collector in the release namespace (restricted Pod
// Security: the pod would be rejected) and an unknown kind.
func TestNodeCollectorChartRefuses(t *testing.T) {
	for set, want := range map[string]string{
		"nodeCollector.namespace=palisade": "must differ from the release namespace",
		"nodeCollector.kind=Deployment":    "must be DaemonSet or Job",
	} {
		opts := load.Options{Decode: func(string, string) bool { return true }}
		opts.Helm.Set = []string{"nodeCollector.enabled=true", set}
		opts.Helm.ReleaseName, opts.Namespace = "palisade", "palisade"
		res := load.Load([]string{chartDir}, opts)
		if len(res.Errors) == 0 || !strings.Contains(fmt.Sprint(res.Errors), want) {
			t.Errorf("--set %s: errors %v, want %q", set, res.Errors, want)
		}
	}
}

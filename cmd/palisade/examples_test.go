package main

// The bundled examples are part of the product: the README's quickstart scans them,
// so they must keep producing what it shows. examples/insecure must fail with the
// findings listed below (plain manifests, a Helm chart and a Kustomize overlay), and
// its hardened twin must scan clean at every severity.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/cli"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/scan"
)

var (
	insecureDir = filepath.Join("..", "..", "examples", "insecure")
	hardenedDir = filepath.Join("..", "..", "examples", "hardened")
)

// Where an object came from: plain file, Helm chart or Kustomize overlay.
const (
	srcPlain = "plain"
	srcHelm  = "helm"
	srcKust  = "kustomize"
)

// expectedInsecure lists findings examples/insecure must produce: (rule, object).
// Objects are Kind/namespace/name as rendered (the chart with the default release
// name in "default", the overlay with its namespace and name prefix).
var expectedInsecure = []struct {
	rule, object, source string
}{
	// storefront.yaml: no securityContext, hostPort, unsafe sysctl, a version tag
	// without digest pulled IfNotPresent by default.
	{"PAL-002", "Deployment/shop/storefront", srcPlain},
	{"PAL-003", "Deployment/shop/storefront", srcPlain},
	{"PAL-006", "Deployment/shop/storefront", srcPlain},
	{"PAL-009", "Deployment/shop/storefront", srcPlain},
	{"PAL-011", "Deployment/shop/storefront", srcPlain},
	{"PAL-013", "Deployment/shop/storefront", srcPlain},
	{"PAL-017", "Deployment/shop/storefront", srcPlain},
	{"PAL-025", "Deployment/shop/storefront", srcPlain},
	{"PAL-103", "Deployment/shop/storefront", srcPlain},
	{"PAL-104", "Deployment/shop/storefront", srcPlain},
	// orders-db.yaml: root user and group, plain hostPath mounted writable, a hardcoded password.
	{"PAL-004", "StatefulSet/shop/orders-db", srcPlain},
	{"PAL-005", "StatefulSet/shop/orders-db", srcPlain},
	{"PAL-010", "StatefulSet/shop/orders-db", srcPlain},
	{"PAL-021", "StatefulSet/shop/orders-db", srcPlain},
	{"PAL-024", "StatefulSet/shop/orders-db", srcPlain},
	{"PAL-515", "StatefulSet/shop/orders-db", srcPlain}, // POSTGRES_PASSWORD written into the manifest
	// log-agent.yaml: privileged node agent with host mounts.
	{"PAL-001", "DaemonSet/shop/log-agent", srcPlain},
	{"PAL-015", "DaemonSet/shop/log-agent", srcPlain},
	{"PAL-019", "DaemonSet/shop/log-agent", srcPlain},
	{"PAL-022", "DaemonSet/shop/log-agent", srcPlain},
	{"PAL-023", "DaemonSet/shop/log-agent", srcPlain},
	{"PAL-024", "DaemonSet/shop/log-agent", srcPlain},
	{"PAL-025", "DaemonSet/shop/log-agent", srcPlain},
	// image-build.yaml: Docker socket and SYS_ADMIN.
	{"PAL-004", "CronJob/shop/nightly-image-build", srcPlain},
	{"PAL-007", "CronJob/shop/nightly-image-build", srcPlain},
	{"PAL-023", "CronJob/shop/nightly-image-build", srcPlain},
	// db-migrate.yaml: seccomp Unconfined, escalation, extra capabilities.
	{"PAL-002", "Job/shop/db-migrate", srcPlain},
	{"PAL-003", "Job/shop/db-migrate", srcPlain},
	{"PAL-008", "Job/shop/db-migrate", srcPlain},
	{"PAL-011", "Job/shop/db-migrate", srcPlain},
	{"PAL-012", "Job/shop/db-migrate", srcPlain},
	// debug-pod.yaml: every host namespace, privileged, unmasked /proc, host root,
	// an image without a tag.
	{"PAL-001", "Pod/shop/debug-shell", srcPlain},
	{"PAL-014", "Pod/shop/debug-shell", srcPlain},
	{"PAL-016", "Pod/shop/debug-shell", srcPlain},
	{"PAL-018", "Pod/shop/debug-shell", srcPlain},
	{"PAL-019", "Pod/shop/debug-shell", srcPlain},
	{"PAL-020", "Pod/shop/debug-shell", srcPlain},
	{"PAL-022", "Pod/shop/debug-shell", srcPlain},
	{"PAL-102", "Pod/shop/debug-shell", srcPlain},
	{"PAL-103", "Pod/shop/debug-shell", srcPlain},
	// Resources: most containers set no requests or limits, and neither namespace
	// has a ResourceQuota or a LimitRange.
	{"PAL-201", "Job/shop/db-migrate", srcPlain},
	{"PAL-202", "Job/shop/db-migrate", srcPlain},
	{"PAL-203", "Deployment/shop/storefront", srcPlain},
	{"PAL-204", "Deployment/shop/storefront", srcPlain},
	{"PAL-205", "Deployment/shop/storefront", srcPlain},
	{"PAL-206", "Namespace/shop", srcPlain},
	{"PAL-207", "Namespace/shop", srcPlain},
	// namespace.yaml: no Pod Security enforce label.
	{"PAL-603", "Namespace/shop", srcPlain},
	{"PAL-206", "Deployment/shop-prod/prod-recommender", srcKust},
	{"PAL-207", "Deployment/shop-prod/prod-recommender", srcKust},
	// Service accounts: no workload disables token automounting; all but the chart
	// (which creates its own account) run as the namespace's default account.
	{"PAL-351", "Deployment/shop/storefront", srcPlain},
	{"PAL-352", "Deployment/shop/storefront", srcPlain},
	{"PAL-351", "StatefulSet/shop/orders-db", srcPlain},
	{"PAL-352", "StatefulSet/shop/orders-db", srcPlain},
	{"PAL-351", "DaemonSet/shop/log-agent", srcPlain},
	{"PAL-352", "DaemonSet/shop/log-agent", srcPlain},
	{"PAL-351", "CronJob/shop/nightly-image-build", srcPlain},
	{"PAL-352", "CronJob/shop/nightly-image-build", srcPlain},
	{"PAL-351", "Job/shop/db-migrate", srcPlain},
	{"PAL-352", "Job/shop/db-migrate", srcPlain},
	{"PAL-351", "Pod/shop/debug-shell", srcPlain},
	{"PAL-352", "Pod/shop/debug-shell", srcPlain},
	{"PAL-351", "Deployment/shop-prod/prod-recommender", srcKust},
	{"PAL-352", "Deployment/shop-prod/prod-recommender", srcKust},
	{"PAL-351", "Deployment/default/release-name-shop-payments", srcHelm},
	// rbac.yaml: the namespace's default account reads every secret of shop, and the
	// CI deployer's role grants every permission.
	{"PAL-311", "ClusterRole/secret-reader", srcPlain},
	{"PAL-301", "ClusterRole/shop-deployer", srcPlain},
	{"PAL-307", "ClusterRoleBinding/shop-deployer", srcPlain},
	// chart/: insecure values, a probe aimed at the node, a tag pulled IfNotPresent.
	{"PAL-002", "Deployment/default/release-name-shop-payments", srcHelm},
	{"PAL-004", "Deployment/default/release-name-shop-payments", srcHelm},
	{"PAL-006", "Deployment/default/release-name-shop-payments", srcHelm},
	{"PAL-007", "Deployment/default/release-name-shop-payments", srcHelm},
	{"PAL-028", "Deployment/default/release-name-shop-payments", srcHelm},
	{"PAL-104", "Deployment/default/release-name-shop-payments", srcHelm},
	// Network policies: shop's only policy allows everything, so no namespace has a
	// default deny, and the chart's and the overlay's pods are selected by none.
	{"PAL-423", "Namespace/shop", srcPlain},
	{"PAL-424", "Namespace/shop", srcPlain},
	{"PAL-425", "NetworkPolicy/shop/allow-all", srcPlain},
	{"PAL-426", "NetworkPolicy/shop/allow-all", srcPlain},
	{"PAL-423", "Deployment/shop-prod/prod-recommender", srcKust},
	{"PAL-424", "Deployment/shop-prod/prod-recommender", srcKust},
	{"PAL-421", "Deployment/shop-prod/prod-recommender", srcKust},
	{"PAL-422", "Deployment/shop-prod/prod-recommender", srcKust},
	{"PAL-421", "Deployment/default/release-name-shop-payments", srcHelm},
	{"PAL-422", "Deployment/default/release-name-shop-payments", srcHelm},
	// kustomize/overlays/prod: the base's gaps plus the overlay's patches.
	{"PAL-003", "Deployment/shop-prod/prod-recommender", srcKust},
	{"PAL-004", "Deployment/shop-prod/prod-recommender", srcKust},
	{"PAL-007", "Deployment/shop-prod/prod-recommender", srcKust},
	{"PAL-012", "Deployment/shop-prod/prod-recommender", srcKust},
	{"PAL-021", "Deployment/shop-prod/prod-recommender", srcKust},
	{"PAL-024", "Deployment/shop-prod/prod-recommender", srcKust},
}

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := cli.Main(args, strings.NewReader(""), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func scanExample(t *testing.T, dir string) *scan.Result {
	t.Helper()
	res, err := scan.Run(scan.Options{Paths: []string{dir}, FailOn: "info"})
	if err != nil {
		t.Fatalf("scan %s: %v", dir, err)
	}
	if len(res.Report.Errors) > 0 {
		t.Fatalf("scan %s: input errors: %v", dir, res.Report.Errors)
	}
	return res
}

func TestInsecureExampleFindings(t *testing.T) {
	res := scanExample(t, insecureDir)
	byKey := map[string][]finding.Finding{}
	for _, f := range res.Report.Findings {
		k := f.RuleID + " " + f.Object.String()
		byKey[k] = append(byKey[k], f)
	}
	for _, e := range expectedInsecure {
		fs := byKey[e.rule+" "+e.object]
		if len(fs) == 0 {
			t.Errorf("%s on %s: no finding", e.rule, e.object)
			continue
		}
		for _, f := range fs {
			loc := f.Location
			switch e.source {
			case srcPlain:
				if loc.Renderer != "" || loc.Rendered {
					t.Errorf("%s on %s: renderer %q, want a plain file", e.rule, e.object, loc.Renderer)
				}
				if loc.Line == 0 {
					t.Errorf("%s on %s: no line number", e.rule, e.object)
				}
			case srcHelm:
				if !strings.Contains(loc.Renderer, "shop-payments") || !loc.Rendered {
					t.Errorf("%s on %s: renderer %q (rendered %v), want the shop-payments chart", e.rule, e.object, loc.Renderer, loc.Rendered)
				}
				if want := filepath.Join("chart", "templates", "deployment.yaml"); !strings.HasSuffix(loc.File, want) {
					t.Errorf("%s on %s: file %s, want the chart's %s", e.rule, e.object, loc.File, want)
				}
			case srcKust:
				if !strings.Contains(loc.Renderer, "kustomize") || !strings.Contains(filepath.ToSlash(loc.Renderer), "overlays/prod") || !loc.Rendered {
					t.Errorf("%s on %s: renderer %q (rendered %v), want the prod overlay", e.rule, e.object, loc.Renderer, loc.Rendered)
				}
			}
		}
	}

	// The kustomize base is built through the overlay only, never on its own.
	for _, f := range res.Report.Findings {
		if f.Object.Name == "recommender" {
			t.Errorf("kustomize base scanned on its own: %s %s", f.RuleID, f.Object)
		}
	}

	// Every rule that fires is expected somewhere: a new finding on the examples
	// should be a deliberate change to this table.
	expectedRules := map[string]bool{}
	for _, e := range expectedInsecure {
		expectedRules[e.rule] = true
	}
	var extra []string
	for _, f := range res.Report.Findings {
		if !expectedRules[f.RuleID] {
			extra = append(extra, fmt.Sprintf("%s on %s", f.RuleID, f.Object))
		}
	}
	sort.Strings(extra)
	if len(extra) > 0 {
		t.Errorf("rules not in the expected table fired: %v", extra)
	}
}

func TestInsecureExampleSuppression(t *testing.T) {
	res := scanExample(t, insecureDir)
	var suppressed []finding.Finding
	for _, f := range res.Report.Findings {
		if f.Suppressed != nil {
			suppressed = append(suppressed, f)
		}
	}
	if len(suppressed) != 1 {
		t.Fatalf("want exactly 1 suppressed finding, got %d: %+v", len(suppressed), suppressed)
	}
	f := suppressed[0]
	if f.RuleID != "PAL-018" || f.Object.String() != "DaemonSet/shop/log-agent" {
		t.Errorf("suppressed finding is %s on %s, want PAL-018 on DaemonSet/shop/log-agent", f.RuleID, f.Object)
	}
	if f.Suppressed.Kind != "annotation" || !strings.Contains(f.Suppressed.Reason, "SHOP-142") {
		t.Errorf("suppression = %+v, want the annotation with its reason", *f.Suppressed)
	}
	if res.Report.Summary.Suppressed != 1 {
		t.Errorf("summary counts %d suppressed, want 1", res.Report.Summary.Suppressed)
	}
}

func TestInsecureExampleExitCode(t *testing.T) {
	code, out, stderr := runCLI(t, "scan", insecureDir, "--no-color")
	if code != 1 {
		t.Fatalf("exit code %d, want 1\nstdout:\n%s\nstderr:\n%s", code, out, stderr)
	}
	if !strings.Contains(out, "Result: FAIL") || !strings.Contains(out, "1 suppressed") {
		t.Errorf("text report lacks the failing result or the suppressed count:\n%s", out)
	}

	// The JSON report carries the same findings, including the suppressed one.
	code, out, stderr = runCLI(t, "scan", insecureDir, "-o", "json")
	if code != 1 {
		t.Fatalf("json: exit code %d, want 1\nstderr:\n%s", code, stderr)
	}
	var rep struct {
		Findings []finding.Finding `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("json report: %v", err)
	}
	found := false
	for _, f := range rep.Findings {
		if f.RuleID == "PAL-018" && f.Object.Name == "log-agent" && f.Suppressed != nil {
			found = true
		}
	}
	if !found {
		t.Error("json report does not mark PAL-018 on log-agent suppressed")
	}

	// With the gate off the same scan passes.
	if code, _, stderr := runCLI(t, "scan", insecureDir, "--fail-on", "none"); code != 0 {
		t.Errorf("--fail-on none: exit code %d, want 0\nstderr:\n%s", code, stderr)
	}
}

func TestHardenedExampleIsClean(t *testing.T) {
	res := scanExample(t, hardenedDir)
	for _, f := range res.Report.Findings {
		t.Errorf("unexpected finding: %s %s %s: %s (%s)", f.Severity, f.RuleID, f.Object, f.Message, f.Location)
	}
	if res.Report.Summary.Workloads != 8 {
		t.Errorf("scanned %d workloads, want 8 (one per kind, the chart and the overlay)", res.Report.Summary.Workloads)
	}

	code, out, stderr := runCLI(t, "scan", hardenedDir, "--fail-on", "info", "--no-color")
	if code != 0 {
		t.Fatalf("exit code %d, want 0\nstdout:\n%s\nstderr:\n%s", code, out, stderr)
	}
	if !strings.Contains(out, "no findings") {
		t.Errorf("text report does not say no findings:\n%s", out)
	}
}

// TestExampleRBACRisks: palisade rbac risks on the examples shows the deployer with
// every permission and every shop workload running with a token that reads the
// namespace's secrets; the hardened twin has none.
func TestExampleRBACRisks(t *testing.T) {
	code, out, stderr := runCLI(t, "rbac", "risks", "-f", insecureDir, "-o", "json")
	if code != 1 {
		t.Fatalf("insecure: exit %d: %s", code, stderr)
	}
	var rep struct {
		Findings []struct {
			RuleID string
			Object struct{ Kind, Namespace, Name string }
		}
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, f := range rep.Findings {
		got[f.RuleID+" "+f.Object.Kind]++
	}
	want := map[string]int{"PAL-330 ServiceAccount": 1, "PAL-334 RoleBinding": 1, "PAL-345 Deployment": 1,
		"PAL-345 StatefulSet": 1, "PAL-345 DaemonSet": 1, "PAL-345 CronJob": 1, "PAL-345 Job": 1, "PAL-345 Pod": 1}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("insecure risks: %v, want %v", got, want)
	}
	if code, out, stderr := runCLI(t, "rbac", "risks", "-f", hardenedDir, "--fail-on", "info"); code != 0 || !strings.Contains(out, "no findings") {
		t.Errorf("hardened risks: exit %d\n%s%s", code, out, stderr)
	}
}

// The two examples are twins: the same workloads, by kind and name.
func TestExamplesAreTwins(t *testing.T) {
	workloads := func(dir string) []string {
		res := scanExample(t, dir)
		var out []string
		for _, o := range res.Load.Inventory.Objects {
			switch o.Ref.Kind {
			case "Deployment", "StatefulSet", "DaemonSet", "CronJob", "Job", "Pod":
				out = append(out, o.Ref.String())
			}
		}
		sort.Strings(out)
		return out
	}
	in, hard := workloads(insecureDir), workloads(hardenedDir)
	if strings.Join(in, ",") != strings.Join(hard, ",") {
		t.Errorf("workloads differ:\ninsecure: %v\nhardened: %v", in, hard)
	}
	if len(in) != 8 {
		t.Errorf("insecure example has %d workloads, want 8: %v", len(in), in)
	}
}

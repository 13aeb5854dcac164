package main

// The bundled examples are part of the product: the README's quickstart scans them,
// so they must keep producing what it shows. examples/insecure must fail with the
// findings listed below (plain manifests, a Helm chart and a Kustomize overlay), and
// its hardened twin must scan clean at every severity.

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/cli"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/load"
	"github.com/palisade-k8s/palisade/internal/scan"
	"github.com/palisade-k8s/palisade/internal/source"
)

var (
	insecureDir = filepath.Join("..", "..", "examples", "insecure")
	hardenedDir = filepath.Join("..", "..", "examples", "hardened")
	// secretsDir holds configuration files and Secrets beside the twins: where
	// credentials hide outside workloads (README, "Secrets").
	secretsDir = filepath.Join("..", "..", "examples", "secrets")
	// policiesDir is the example of custom rules and ValidatingAdmissionPolicies
	// (README "Your own rules and admission policies"): its policies, found among
	// the scanned objects, bind to its own namespace only.
	policiesDir = filepath.Join("..", "..", "examples", "policies")
)

// Where an object came from: plain file, Helm chart or Kustomize overlay.
const (
	srcPlain = "plain"
	srcHelm  = "helm"
	srcKust  = "kustomize"
)

// expectedInsecure lists findings examples/insecure must produce: (rule, object).
// Objects are Kind/namespace/name as rendered (the chart with the default release
// name, the overlay with its namespace and name prefix).
var expectedInsecure = []struct {
	rule, object, source string
}{
	// storefront.yaml: no securityContext, hostPort, unsafe sysctl, a version tag
	// without digest pulled IfNotPresent by default.
	{"PAL-002", "Deployment/shop-insecure/storefront", srcPlain},
	{"PAL-003", "Deployment/shop-insecure/storefront", srcPlain},
	{"PAL-006", "Deployment/shop-insecure/storefront", srcPlain},
	{"PAL-009", "Deployment/shop-insecure/storefront", srcPlain},
	{"PAL-011", "Deployment/shop-insecure/storefront", srcPlain},
	{"PAL-013", "Deployment/shop-insecure/storefront", srcPlain},
	{"PAL-017", "Deployment/shop-insecure/storefront", srcPlain},
	{"PAL-025", "Deployment/shop-insecure/storefront", srcPlain},
	{"PAL-103", "Deployment/shop-insecure/storefront", srcPlain},
	{"PAL-104", "Deployment/shop-insecure/storefront", srcPlain},
	// orders-db.yaml: root user and group, plain hostPath mounted writable, a hardcoded password.
	{"PAL-004", "StatefulSet/shop-insecure/orders-db", srcPlain},
	{"PAL-005", "StatefulSet/shop-insecure/orders-db", srcPlain},
	{"PAL-010", "StatefulSet/shop-insecure/orders-db", srcPlain},
	{"PAL-021", "StatefulSet/shop-insecure/orders-db", srcPlain},
	{"PAL-024", "StatefulSet/shop-insecure/orders-db", srcPlain},
	{"PAL-515", "StatefulSet/shop-insecure/orders-db", srcPlain}, // POSTGRES_PASSWORD written into the manifest
	// log-agent.yaml: privileged node agent with host mounts.
	{"PAL-001", "DaemonSet/shop-insecure/log-agent", srcPlain},
	{"PAL-015", "DaemonSet/shop-insecure/log-agent", srcPlain},
	{"PAL-019", "DaemonSet/shop-insecure/log-agent", srcPlain},
	{"PAL-022", "DaemonSet/shop-insecure/log-agent", srcPlain},
	{"PAL-023", "DaemonSet/shop-insecure/log-agent", srcPlain},
	{"PAL-024", "DaemonSet/shop-insecure/log-agent", srcPlain},
	{"PAL-025", "DaemonSet/shop-insecure/log-agent", srcPlain},
	// image-build.yaml: Docker socket and SYS_ADMIN.
	{"PAL-004", "CronJob/shop-insecure/nightly-image-build", srcPlain},
	{"PAL-007", "CronJob/shop-insecure/nightly-image-build", srcPlain},
	{"PAL-023", "CronJob/shop-insecure/nightly-image-build", srcPlain},
	// db-migrate.yaml: seccomp Unconfined, escalation, extra capabilities.
	{"PAL-002", "Job/shop-insecure/db-migrate", srcPlain},
	{"PAL-003", "Job/shop-insecure/db-migrate", srcPlain},
	{"PAL-008", "Job/shop-insecure/db-migrate", srcPlain},
	{"PAL-011", "Job/shop-insecure/db-migrate", srcPlain},
	{"PAL-012", "Job/shop-insecure/db-migrate", srcPlain},
	// debug-pod.yaml: every host namespace, privileged, unmasked /proc, host root,
	// an image without a tag.
	{"PAL-001", "Pod/shop-insecure/debug-shell", srcPlain},
	{"PAL-014", "Pod/shop-insecure/debug-shell", srcPlain},
	{"PAL-016", "Pod/shop-insecure/debug-shell", srcPlain},
	{"PAL-018", "Pod/shop-insecure/debug-shell", srcPlain},
	{"PAL-019", "Pod/shop-insecure/debug-shell", srcPlain},
	{"PAL-020", "Pod/shop-insecure/debug-shell", srcPlain},
	{"PAL-022", "Pod/shop-insecure/debug-shell", srcPlain},
	{"PAL-102", "Pod/shop-insecure/debug-shell", srcPlain},
	{"PAL-103", "Pod/shop-insecure/debug-shell", srcPlain},
	// Resources: most containers set no requests or limits, and neither namespace
	// has a ResourceQuota or a LimitRange.
	{"PAL-201", "Job/shop-insecure/db-migrate", srcPlain},
	{"PAL-202", "Job/shop-insecure/db-migrate", srcPlain},
	{"PAL-203", "Deployment/shop-insecure/storefront", srcPlain},
	{"PAL-204", "Deployment/shop-insecure/storefront", srcPlain},
	{"PAL-205", "Deployment/shop-insecure/storefront", srcPlain},
	{"PAL-206", "Namespace/shop-insecure", srcPlain},
	{"PAL-207", "Namespace/shop-insecure", srcPlain},
	// namespace.yaml: no Pod Security enforce label.
	{"PAL-603", "Namespace/shop-insecure", srcPlain},
	{"PAL-206", "Deployment/shop-insecure-prod/prod-recommender", srcKust},
	{"PAL-207", "Deployment/shop-insecure-prod/prod-recommender", srcKust},
	// Service accounts: no workload disables token automounting; all but the chart
	// (which creates its own account) run as the namespace's default account.
	{"PAL-351", "Deployment/shop-insecure/storefront", srcPlain},
	{"PAL-352", "Deployment/shop-insecure/storefront", srcPlain},
	{"PAL-351", "StatefulSet/shop-insecure/orders-db", srcPlain},
	{"PAL-352", "StatefulSet/shop-insecure/orders-db", srcPlain},
	{"PAL-351", "DaemonSet/shop-insecure/log-agent", srcPlain},
	{"PAL-352", "DaemonSet/shop-insecure/log-agent", srcPlain},
	{"PAL-351", "CronJob/shop-insecure/nightly-image-build", srcPlain},
	{"PAL-352", "CronJob/shop-insecure/nightly-image-build", srcPlain},
	{"PAL-351", "Job/shop-insecure/db-migrate", srcPlain},
	{"PAL-352", "Job/shop-insecure/db-migrate", srcPlain},
	{"PAL-351", "Pod/shop-insecure/debug-shell", srcPlain},
	{"PAL-352", "Pod/shop-insecure/debug-shell", srcPlain},
	{"PAL-351", "Deployment/shop-insecure-prod/prod-recommender", srcKust},
	{"PAL-352", "Deployment/shop-insecure-prod/prod-recommender", srcKust},
	{"PAL-351", "Deployment/shop-insecure/release-name-shop-payments", srcHelm},
	// rbac.yaml: the namespace's default account reads every secret of shop, and the
	// CI deployer's role grants every permission.
	{"PAL-311", "ClusterRole/secret-reader", srcPlain},
	{"PAL-301", "ClusterRole/shop-deployer", srcPlain},
	{"PAL-307", "ClusterRoleBinding/shop-deployer", srcPlain},
	// chart/: insecure values, a probe aimed at the node, a tag pulled IfNotPresent.
	{"PAL-002", "Deployment/shop-insecure/release-name-shop-payments", srcHelm},
	{"PAL-004", "Deployment/shop-insecure/release-name-shop-payments", srcHelm},
	{"PAL-006", "Deployment/shop-insecure/release-name-shop-payments", srcHelm},
	{"PAL-007", "Deployment/shop-insecure/release-name-shop-payments", srcHelm},
	{"PAL-028", "Deployment/shop-insecure/release-name-shop-payments", srcHelm},
	{"PAL-104", "Deployment/shop-insecure/release-name-shop-payments", srcHelm},
	// Network policies: shop-insecure's only policy allows everything, so no namespace
	// has a default deny, and the overlay's pods are selected by none.
	{"PAL-423", "Namespace/shop-insecure", srcPlain},
	{"PAL-424", "Namespace/shop-insecure", srcPlain},
	{"PAL-425", "NetworkPolicy/shop-insecure/allow-all", srcPlain},
	{"PAL-426", "NetworkPolicy/shop-insecure/allow-all", srcPlain},
	{"PAL-423", "Deployment/shop-insecure-prod/prod-recommender", srcKust},
	{"PAL-424", "Deployment/shop-insecure-prod/prod-recommender", srcKust},
	{"PAL-421", "Deployment/shop-insecure-prod/prod-recommender", srcKust},
	{"PAL-422", "Deployment/shop-insecure-prod/prod-recommender", srcKust},
	// kustomize/overlays/prod: the base's gaps plus the overlay's patches.
	{"PAL-003", "Deployment/shop-insecure-prod/prod-recommender", srcKust},
	{"PAL-004", "Deployment/shop-insecure-prod/prod-recommender", srcKust},
	{"PAL-007", "Deployment/shop-insecure-prod/prod-recommender", srcKust},
	{"PAL-012", "Deployment/shop-insecure-prod/prod-recommender", srcKust},
	{"PAL-021", "Deployment/shop-insecure-prod/prod-recommender", srcKust},
	{"PAL-024", "Deployment/shop-insecure-prod/prod-recommender", srcKust},
	{"PAL-525", "Secret/shop-insecure/deployer-token", srcPlain},
	// Attack paths (PAL-47x): the storefront is exposed (a host port) and runs as the
	// default account, which reads the namespace's Secrets, among them the deployer's
	// legacy token: every permission. The privileged pods with host networking are
	// reached from the internet and from any pod, and take their node over.
	{"PAL-470", "Deployment/shop-insecure/storefront", srcPlain},
	{"PAL-472", "Deployment/shop-insecure/storefront", srcPlain},
	{"PAL-473", "Deployment/shop-insecure/storefront", srcPlain},
	{"PAL-475", "Deployment/shop-insecure/storefront", srcPlain},
	{"PAL-471", "Pod/shop-insecure/debug-shell", srcPlain},
	{"PAL-474", "Pod/shop-insecure/debug-shell", srcPlain},
	{"PAL-471", "DaemonSet/shop-insecure/log-agent", srcPlain},
	{"PAL-474", "DaemonSet/shop-insecure/log-agent", srcPlain},
}

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := cli.Main(args, strings.NewReader(""), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func scanExample(t *testing.T, dir string) *scan.Result {
	t.Helper()
	res, err := scan.Run(scan.Options{Source: &source.Files{Paths: []string{dir}}, FailOn: "info"})
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
	if f.RuleID != "PAL-018" || f.Object.String() != "DaemonSet/shop-insecure/log-agent" {
		t.Errorf("suppressed finding is %s on %s, want PAL-018 on DaemonSet/shop-insecure/log-agent", f.RuleID, f.Object)
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

// The two examples are twins: the same workloads, by kind and name, in namespaces of
// their own.
func TestExamplesAreTwins(t *testing.T) {
	workloads := func(dir string) (names []string, namespaces map[string]bool) {
		res := scanExample(t, dir)
		namespaces = map[string]bool{}
		for _, o := range res.Input.Inventory.Objects {
			if o.Ref.Namespace != "" {
				namespaces[o.Ref.Namespace] = true
			}
			switch o.Ref.Kind {
			case "Deployment", "StatefulSet", "DaemonSet", "CronJob", "Job", "Pod":
				names = append(names, o.Ref.Kind+"/"+o.Ref.Name)
			}
		}
		sort.Strings(names)
		return names, namespaces
	}
	in, inNS := workloads(insecureDir)
	hard, hardNS := workloads(hardenedDir)
	if strings.Join(in, ",") != strings.Join(hard, ",") {
		t.Errorf("workloads differ:\ninsecure: %v\nhardened: %v", in, hard)
	}
	if len(in) != 8 {
		t.Errorf("insecure example has %d workloads, want 8: %v", len(in), in)
	}
	for ns := range inNS {
		if hardNS[ns] {
			t.Errorf("both examples use namespace %s: scanned together, their objects and policies mix", ns)
		}
	}
}

// The README's first command scans both twins (and the secrets example) at once: that
// must report exactly what the scans report on their own (every insecure finding,
// nothing on the hardened twin), with no object defined twice.
func TestExamplesScanTogether(t *testing.T) {
	key := func(f finding.Finding) string {
		return f.RuleID + " " + f.Object.String() + " " + f.Path + " " + f.Location.File
	}
	want := map[string]int{}
	for _, dir := range []string{insecureDir, hardenedDir, secretsDir, policiesDir, nodesDir} {
		for _, f := range scanExample(t, dir).Report.Findings {
			want[key(f)]++
		}
	}
	both := scanExample(t, filepath.Join("..", "..", "examples"))
	got := map[string]int{}
	for _, f := range both.Report.Findings {
		got[key(f)]++
		if got[key(f)] > want[key(f)] {
			t.Errorf("scanned together, a finding appears that neither example has alone: %s %s %s", f.RuleID, f.Object, f.Location)
		}
	}
	for k, n := range want {
		if got[k] < n {
			t.Errorf("scanned together, a finding of one example disappears: %s", k)
		}
	}
	for _, n := range both.Report.Notices {
		t.Errorf("notice: %s", n)
	}
}

// hardenedConnections are the connections the hardened app makes, read from what its
// containers are told to connect to (env values, commands and arguments: the evidence
// column). Its NetworkPolicies must allow each of them and nothing else, or the app
// would not work when deployed (or would allow more than it needs). The table is also
// the comment at the top of examples/hardened/network-policy.yaml. kube-dns and the
// scoring service are outside the example: testdata/hardened-peers.yaml stands in
// for them.
var hardenedConnections = []struct {
	from, to, ports, addresses string
	evidence                   []string
}{
	{"shop/Deployment/storefront", "shop/StatefulSet/orders-db", "TCP/5432", "", []string{"http://orders-db.shop.svc:5432"}},
	{"shop/Job/db-migrate", "shop/StatefulSet/orders-db", "TCP/5432", "", []string{"nc -z orders-db 5432", "postgres://orders-db.shop.svc:5432"}},
	{"shop/CronJob/nightly-image-build", "outside", "TCP/443", "203.0.113.0/24", []string{"https://ci.example.com"}},
	{"shop/Deployment/release-name-shop-payments", "fraud/Deployment/fraud-scoring", "TCP/8080", "", []string{"http://fraud-scoring.fraud.svc:8080"}},
	// Every pod resolves names through the cluster DNS.
	{"shop/CronJob/nightly-image-build", "kube-system/Deployment/coredns", "TCP/53, UDP/53", "", nil},
	{"shop/DaemonSet/log-agent", "kube-system/Deployment/coredns", "TCP/53, UDP/53", "", nil},
	{"shop/Deployment/release-name-shop-payments", "kube-system/Deployment/coredns", "TCP/53, UDP/53", "", nil},
	{"shop/Deployment/storefront", "kube-system/Deployment/coredns", "TCP/53, UDP/53", "", nil},
	{"shop/Job/db-migrate", "kube-system/Deployment/coredns", "TCP/53, UDP/53", "", nil},
	{"shop/Pod/debug-shell", "kube-system/Deployment/coredns", "TCP/53, UDP/53", "", nil},
	{"shop/StatefulSet/orders-db", "kube-system/Deployment/coredns", "TCP/53, UDP/53", "", nil},
	{"shop-prod/Deployment/prod-recommender", "kube-system/Deployment/coredns", "TCP/53, UDP/53", "", nil},
}

// hardenedLocal are endpoints the containers name that stay inside their own pod
// (the profiler scrapes the app over localhost), which no NetworkPolicy governs.
var hardenedLocal = []string{"http://127.0.0.1:8080"}

// TestHardenedExampleConnections: every connection of the hardened app is allowed by
// its NetworkPolicies, every other connection from or to its workloads is denied, and
// the table names every endpoint the containers are told to connect to.
func TestHardenedExampleConnections(t *testing.T) {
	peers := filepath.Join("testdata", "hardened-peers.yaml")
	code, out, stderr := runCLI(t, "netpol", "matrix", "-f", hardenedDir, "-f", peers, "-o", "csv")
	if code != 0 {
		t.Fatalf("netpol matrix: exit %d\n%s", code, stderr)
	}
	ours := func(w string) bool { return strings.HasPrefix(w, "shop/") || strings.HasPrefix(w, "shop-prod/") }
	want := map[string]bool{}
	for _, c := range hardenedConnections {
		want[strings.Join([]string{c.from, c.to, c.ports, c.addresses}, "|")] = true
	}
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(rows) == 0 {
		t.Fatalf("netpol matrix csv: %v\n%s", err, out)
	}
	got := map[string]bool{}
	for _, r := range rows[1:] {
		if !ours(r[0]) && !ours(r[1]) {
			continue // between the stand-ins
		}
		k := strings.Join(r, "|")
		got[k] = true
		if !want[k] {
			t.Errorf("allowed, but not a connection of the app: %s -> %s %s %s", r[0], r[1], r[2], r[3])
		}
	}
	for k := range want {
		if !got[k] {
			t.Errorf("a connection of the app is denied (or allows other ports): %s", k)
		}
	}

	// The case the README reviewer tried: the migration's wait for the database.
	if code, out, _ := runCLI(t, "netpol", "reach", "-f", hardenedDir, "--from", "shop/job/db-migrate", "--to", "shop/sts/orders-db", "--port", "5432"); code != 0 {
		t.Errorf("db-migrate cannot reach orders-db:\n%s", out)
	}

	// Every endpoint a container is told to connect to is in the table.
	known := map[string]bool{}
	for _, c := range hardenedConnections {
		for _, e := range c.evidence {
			known[e] = true
		}
	}
	for _, e := range hardenedLocal {
		known[e] = true
	}
	found := map[string]bool{}
	res := load.Load([]string{hardenedDir}, load.Options{Decode: func(string, string) bool { return true }})
	for _, o := range res.Inventory.Objects {
		for _, s := range containerStrings(o.Body, false) {
			for _, e := range endpointRE.FindAllString(s, -1) {
				found[e] = true
				if !known[e] {
					t.Errorf("%s: a container connects to %s, which the table of connections does not list", o.Ref, e)
				}
			}
		}
	}
	for e := range known {
		if !found[e] {
			t.Errorf("the table names %q, which no container of the example connects to", e)
		}
	}
}

// endpointRE matches what a container is told to connect to: a URL's scheme, host and
// port, or a shell's `nc -z HOST PORT`.
var endpointRE = regexp.MustCompile(`[a-z][a-z0-9+.-]*://[^/\s"'@]+|nc -z \S+ \d+`)

// containerStrings returns the env values, commands and arguments of every container
// in a decoded object.
func containerStrings(v any, inContainer bool) []string {
	var out []string
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			switch {
			case k == "containers" || k == "initContainers" || k == "ephemeralContainers":
				out = append(out, containerStrings(x, true)...)
			case inContainer && (k == "command" || k == "args"):
				for _, s := range x.([]any) {
					out = append(out, fmt.Sprint(s))
				}
			case inContainer && k == "env":
				for _, e := range x.([]any) {
					if val, ok := e.(map[string]any)["value"].(string); ok {
						out = append(out, val)
					}
				}
			case !inContainer:
				out = append(out, containerStrings(x, false)...)
			}
		}
	case []any:
		for _, x := range v {
			out = append(out, containerStrings(x, inContainer)...)
		}
	}
	return out
}

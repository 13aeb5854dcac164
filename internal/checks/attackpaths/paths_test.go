package attackpaths_test

import (
	"testing"

	"github.com/palisade-k8s/palisade/internal/attackpath"
	"github.com/palisade-k8s/palisade/internal/checks/attackpaths"
	"github.com/palisade-k8s/palisade/internal/checks/checktest"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/scan"
	"github.com/palisade-k8s/palisade/internal/source"
)

func TestRank(t *testing.T) {
	for _, tc := range []struct {
		entry, target string
		want          int
	}{
		{attackpath.Internet, attackpath.ClusterAdmin, 0},
		{attackpath.Internet, attackpath.HostNode, 0},
		{attackpath.Internet, "secrets:shop", 1},
		{attackpath.Internet, attackpath.AllSecrets, 1},
		{attackpath.Internet, "workload:shop/Deployment/db", 2},
		{attackpath.AnyPod, attackpath.ClusterAdmin, 1},
		{"namespace:ci", attackpath.HostNode, 1},
		{"identity:user:alice", "secrets:shop", 2},
		{attackpath.AnyPod, "workload:shop/Deployment/db", 3},
	} {
		if got := attackpaths.Rank(tc.entry, tc.target); got != tc.want {
			t.Errorf("Rank(%s, %s) = %d, want %d", tc.entry, tc.target, got, tc.want)
		}
	}
}

// TestQuerySeverityAndAnchor scans PAL-476's fail fixture with its query: the path
// from namespace ci to the node is on the runner, the one from ops/deployer's token
// to cluster-admin on the binding's subject, both high (not from the internet), each
// with its evidence. (The fixture has four more: from ops/deployer to the node, and
// from namespace ci over the network to ops/deployer, whose token reaches both.)
func TestQuerySeverityAndAnchor(t *testing.T) {
	cfg := checktest.ParamsConfig(map[string]map[string]any{
		attackpaths.Query: {attackpaths.ParamFrom: []any{"namespace:ci", "identity:sa:ops:deployer"}, attackpaths.ParamTo: []any{"cluster-admin", "node"}},
	})
	res, err := scan.Run(scan.Options{Source: &source.Files{Paths: []string{"testdata/PAL-476/fail.yaml"}}, Config: cfg, Include: []string{attackpaths.Query}, FailOn: "none"})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]finding.Finding{}
	for _, f := range res.Report.Findings {
		if f.AttackPath == nil {
			t.Fatalf("%s has no attack path evidence", f.Message)
		}
		got[f.Object.Kind+"/"+f.Object.Name+" "+f.AttackPath.Entry+" "+f.AttackPath.Target] = f
	}
	if len(got) != 6 {
		t.Fatalf("findings = %v, want 6", res.Report.Findings)
	}
	if lateral := got["Deployment/deployer namespace:ci cluster-admin"]; lateral.AttackPath == nil || len(lateral.AttackPath.Hops) < 2 ||
		lateral.AttackPath.Hops[1].Kind != string(attackpath.EdgeNetwork) || len(lateral.AttackPath.Hops[1].Evidence) == 0 {
		t.Errorf("lateral path: %+v", lateral.AttackPath)
	}
	runner, binding := got["Deployment/runner namespace:ci node"], got["ClusterRoleBinding/deployer-admin serviceaccount:ops/deployer cluster-admin"]
	if runner.Severity != finding.High || runner.AttackPath.Entry != "namespace:ci" || runner.AttackPath.Target != attackpath.HostNode {
		t.Errorf("runner: %s %+v", runner.Severity, runner.AttackPath)
	}
	if binding.Severity != finding.High || binding.Path != "subjects[0]" || binding.AttackPath.Pivot != "" || binding.AttackPath.Target != attackpath.ClusterAdmin {
		t.Errorf("binding: %s %s %+v", binding.Severity, binding.Path, binding.AttackPath)
	}
	if binding.AttackPath.Fix == nil || binding.AttackPath.Fix.Path != "subjects[0]" {
		t.Errorf("binding fix = %+v", binding.AttackPath.Fix)
	}
	if runner.Fingerprint == "" || runner.Fingerprint == binding.Fingerprint {
		t.Errorf("fingerprints %q %q", runner.Fingerprint, binding.Fingerprint)
	}
}

// BenchmarkPathRules runs the path rules (PAL-470..PAL-475) over examples/insecure
// as palisade paths does: the read, the graph, the queries and the findings.
func BenchmarkPathRules(b *testing.B) {
	for b.Loop() {
		res, err := scan.Run(scan.Options{Source: &source.Files{Paths: []string{"../../../examples/insecure"}}, Include: attackpaths.Fixed, FailOn: "none"})
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Report.Findings) == 0 {
			b.Fatal("no path on examples/insecure")
		}
	}
}

package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/finding"
)

// pathReport is a scan with two attack-path findings: the internet to cluster-admin
// through a web front end (its token; cut by the token, every path) with one other
// path listed, and an identity's path that crosses no workload, on its binding's
// subject, whose evidence holds characters that need escaping.
func pathReport() *Report {
	web := finding.ObjectRef{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "shop", Name: "web"}
	crb := finding.ObjectRef{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRoleBinding", Name: "ops-admin"}
	webLoc := finding.Location{File: "deploy/web.yaml", Line: 12}
	crbLoc := finding.Location{File: "deploy/rbac.yaml", Line: 9}
	internet := finding.PathNode{ID: "internet", Kind: "internet", Label: "the internet"}
	webN := finding.PathNode{ID: "workload:shop/Deployment/web", Kind: "workload", Label: "Deployment shop/web", Namespace: "shop", Object: &web, Location: &webLoc}
	sa := finding.PathNode{ID: "serviceaccount:shop/web", Kind: "serviceaccount", Label: "ServiceAccount shop/web", Namespace: "shop"}
	capN := finding.PathNode{ID: "capability:admin@cluster", Kind: "capability", Label: "every permission cluster-wide"}
	admin := finding.PathNode{ID: "cluster-admin", Kind: "cluster-admin", Label: "cluster-admin"}
	tokenFix := &finding.PathFix{Hop: 1, Change: "set automountServiceAccountToken: false in the pod template", Object: &web, Location: &webLoc,
		Path: "spec.template.spec.automountServiceAccountToken", Cost: 1, CutsAll: true}
	bindFix := &finding.PathFix{Hop: 2, Change: "remove subject 0 (ServiceAccount shop/web) from ClusterRoleBinding web-admin", Object: &crb, Path: "subjects[0]", Cost: 1}
	hops := []finding.PathHop{
		{From: internet, To: webN, Kind: "exposed", Analyzer: "exposure", Evidence: []string{"LoadBalancer Service shop/web port 80 -> 8080", "NetworkPolicy: none selects the pods"},
			Fix: &finding.PathFix{Hop: 0, Change: "stop exposing Deployment shop/web outside the cluster", Cost: 3}},
		{From: webN, To: sa, Kind: "token", Analyzer: "rbac", Evidence: []string{"its pods run as shop/web and mount its token"}, Fix: tokenFix},
		{From: sa, To: capN, Kind: "grant", Analyzer: "rbac", Evidence: []string{"ClusterRoleBinding web-admin -> ClusterRole cluster-admin -> */*"}, Fix: bindFix},
		{From: capN, To: admin, Kind: "escalate", Analyzer: "rbac", Evidence: []string{"every verb on every resource is cluster-admin"}},
	}
	f1 := mkFinding("PAL-T01", web, "", "", webLoc, "the internet -> Deployment shop/web -> ServiceAccount shop/web -> every permission cluster-wide -> cluster-admin. Fix: set automountServiceAccountToken: false in the pod template.", nil)
	f1.AttackPath = &finding.PathEvidence{Entry: "internet", Target: "cluster-admin", Pivot: webN.ID, Hops: hops, Fix: tokenFix, Alternatives: 1,
		Others: [][]finding.PathHop{{hops[0], {From: webN, To: admin, Kind: "exec", Analyzer: "rbac", Evidence: []string{"hypothetical"}}}}}
	f1.ComputeFingerprint()
	alice := finding.PathNode{ID: "identity:user:alice\x1b[31m", Kind: "identity", Label: "user alice\x1b[31m\nforged line"}
	f2 := mkFinding("PAL-T02", crb, "", "subjects[0]", crbLoc, "user alice -> every permission cluster-wide -> cluster-admin. Fix: remove subject 0.", nil)
	f2.AttackPath = &finding.PathEvidence{Entry: alice.ID, Target: "cluster-admin", Hops: []finding.PathHop{
		{From: alice, To: capN, Kind: "grant", Analyzer: "rbac", Evidence: []string{"ClusterRoleBinding ops-admin -> ClusterRole cluster-admin\n<script>"},
			Fix: &finding.PathFix{Hop: 0, Change: "remove subject 0 (User alice) from ClusterRoleBinding ops-admin", Object: &crb, Location: &crbLoc, Path: "subjects[0]", Cost: 1}},
		{From: capN, To: admin, Kind: "escalate", Analyzer: "rbac", Evidence: []string{"every verb on every resource is cluster-admin"}},
	}}
	f2.AttackPath.Fix = f2.AttackPath.Hops[0].Fix
	f2.ComputeFingerprint()
	return New("1.2.3", []finding.Finding{f1, f2}, nil, 2, 4, 1, finding.High, true, testRules)
}

// The text report lists every hop with its evidence and the fix, escaped; SARIF
// steps through the hops as a code flow at the objects the input defines.
func TestAttackPathRendering(t *testing.T) {
	text := string(render(t, pathReport(), "text", Options{PathHops: true}))
	for _, want := range []string{
		"path: 4 hops from internet to cluster-admin through workload:shop/Deployment/web (1 other path)",
		"1. the internet -> Deployment shop/web [exposed, by exposure]",
		"LoadBalancer Service shop/web port 80 -> 8080",
		"fix (hop 2): set automountServiceAccountToken: false in the pod template (Deployment/shop/web, spec.template.spec.automountServiceAccountToken, deploy/web.yaml:12); cuts every path",
		"other: the internet -> Deployment shop/web -> cluster-admin",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "\x1b") || strings.Contains(text, "\nforged line") {
		t.Errorf("text carries the input's control characters:\n%q", text)
	}
	// Without PathHops (scan's text report) the hops are left out, not the fix.
	short := string(render(t, pathReport(), "text", Options{}))
	if strings.Contains(short, "1. the internet") || !strings.Contains(short, "(1 other path); fix at hop 2: Deployment/shop/web, spec.template.spec.automountServiceAccountToken, deploy/web.yaml:12 (cuts every path through this workload)") {
		t.Errorf("short text:\n%s", short)
	}
	var log struct {
		Runs []struct {
			Results []struct {
				CodeFlows []struct {
					ThreadFlows []struct {
						Locations []struct {
							Location struct {
								PhysicalLocation *struct {
									ArtifactLocation struct{ URI string } `json:"artifactLocation"`
									Region           *struct{ StartLine int }
								} `json:"physicalLocation"`
								Message struct{ Text string }
							}
						}
					} `json:"threadFlows"`
				} `json:"codeFlows"`
			}
		}
	}
	if err := json.Unmarshal(render(t, pathReport(), "sarif", Options{}), &log); err != nil {
		t.Fatal(err)
	}
	flows := log.Runs[0].Results[0].CodeFlows
	if len(flows) != 1 || len(flows[0].ThreadFlows[0].Locations) != 5 {
		t.Fatalf("code flows = %+v, want one of 5 locations", flows)
	}
	at := flows[0].ThreadFlows[0].Locations[1].Location
	if at.PhysicalLocation == nil || at.PhysicalLocation.ArtifactLocation.URI != "deploy/web.yaml" || at.PhysicalLocation.Region.StartLine != 12 {
		t.Errorf("hop 1 location = %+v", at)
	}
	junit := render(t, pathReport(), "junit", Options{})
	if !bytes.Contains(junit, []byte("Hop 3: ServiceAccount shop/web -> every permission cluster-wide [grant, by rbac]")) {
		t.Errorf("junit lacks the hops:\n%s", junit)
	}
}

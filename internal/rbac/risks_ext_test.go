package rbac_test

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/checks/identity"
	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/rbac"
	"github.com/palisade-k8s/palisade/internal/scan"
	"github.com/palisade-k8s/palisade/internal/source"
)

func loadSynthetic(tb testing.TB, text string) []*inventory.Object {
	tb.Helper()
	src := &source.Files{Paths: []string{"-"}, Stdin: strings.NewReader(text)}
	objs, errs, err := rbac.ReadObjects(src)
	if err != nil || len(errs) > 0 {
		tb.Fatalf("load: %v %v", err, errs)
	}
	return objs
}

// holds asks the authorizer itself whether u holds class c in namespace ns ("" for
// cluster-wide): some path whose every need has a probe Authorize allows, asked
// without a namespace for needs on cluster-scoped resources.
func holds(m *rbac.Model, c rbac.RiskClass, u rbac.UserInfo, ns string) bool {
	need := func(n rbac.Need) bool {
		for _, p := range n.Any {
			a := rbac.Attributes{User: u, Verb: p.Verb, ResourceRequest: true, APIGroup: p.Group, Resource: p.Resource, Subresource: p.Subresource, Name: p.Name}
			if !n.Cluster {
				a.Namespace = ns
			}
			if d := m.Authorize(a); d.Allowed && len(d.Grants) > 0 {
				return true
			}
		}
		return false
	}
	paths := c.Paths
	if paths == nil {
		for i := range c.Needs {
			paths = append(paths, []int{i})
		}
	}
	for _, p := range paths {
		ok := true
		for _, i := range p {
			if !need(c.Needs[i]) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// TestRisksAgreeWithAuthorize checks the risk analysis against the model's authorizer
// (itself checked against SubjectAccessReview, sar_diff_test.go) on generated RBAC
// that draws from every resource of the risk classes: for every subject and every
// class, the reach the analysis computes (cluster-wide, else the namespaces) is
// exactly where Authorize allows one of the class's paths, and Risks() reports for a
// subject no more than that.
func TestRisksAgreeWithAuthorize(t *testing.T) {
	classes := identity.RiskClasses()
	for _, seed := range []uint64{1, 2, 3} {
		objs := loadSynthetic(t, rbac.Synthetic(5, 400, 800, 50, seed, true))
		m, _, err := rbac.Build(objs, rbac.Options{})
		if err != nil {
			t.Fatal(err)
		}
		a := m.AnalyzeRisks(classes)
		namespaces := append(m.Namespaces(), "elsewhere")
		subjects := m.Subjects()
		var compared, held, clusterWide int
		for _, s := range subjects {
			// A group's risks are what every member holds: the group's grants and
			// those of the groups all its members are in.
			u := rbac.UserInfoFor(s, nil)
			got := map[string]rbac.Risk{}
			for _, r := range a.Of(s) {
				got[r.Class] = r
			}
			// Holds (no grants, shared per set of groups) says the same.
			var fromHolds []string
			for _, r := range a.Holds(s) {
				fromHolds = append(fromHolds, r.Class+" "+r.Reach.Text()+" "+r.Subject.String())
				if g, ok := got[r.Class]; !ok || g.Reach.Text() != r.Reach.Text() || r.Subject != s || g.Default != r.Default {
					t.Errorf("seed %d: %s %s: Holds says %s (default %v), Of %s (default %v)", seed, s, r.Class, r.Reach.Text(), r.Default, g.Reach.Text(), g.Default)
				}
			}
			if len(fromHolds) != len(got) {
				t.Errorf("seed %d: %s: Holds %v, Of has %d classes", seed, s, fromHolds, len(got))
			}
			for _, c := range classes {
				compared++
				wantCluster := holds(m, c, u, "")
				var wantNS []string
				if !wantCluster {
					for _, ns := range namespaces {
						if holds(m, c, u, ns) {
							wantNS = append(wantNS, ns)
						}
					}
				}
				r, ok := got[c.ID]
				if !wantCluster && len(wantNS) == 0 {
					if ok {
						t.Errorf("seed %d: %s %s: analysis says %s, Authorize allows no path", seed, s, c.ID, r.Reach.Text())
					}
					continue
				}
				held++
				if wantCluster {
					clusterWide++
				}
				if !ok {
					t.Errorf("seed %d: %s %s: Authorize allows it (cluster-wide %v, namespaces %v), the analysis has no risk", seed, s, c.ID, wantCluster, wantNS)
					continue
				}
				if r.Reach.ClusterWide != wantCluster || fmt.Sprint(r.Reach.Namespaces) != fmt.Sprint(wantNS) {
					t.Errorf("seed %d: %s %s: analysis %s, Authorize: cluster-wide %v, namespaces %v", seed, s, c.ID, r.Reach.Text(), wantCluster, wantNS)
				}
				if len(r.Grants) == 0 {
					t.Errorf("seed %d: %s %s: no grants", seed, s, c.ID)
				}
			}
			// A reported risk never reaches further than what the subject holds.
			for _, r := range a.Risks() {
				if r.Subject != s {
					continue
				}
				all, ok := got[r.Class]
				if !ok || (r.Reach.ClusterWide && !all.Reach.ClusterWide) {
					t.Errorf("seed %d: %s %s: reported %s beyond what it holds", seed, s, r.Class, r.Reach.Text())
				}
				for _, ns := range r.Reach.Namespaces {
					if !all.Reach.Includes(ns) {
						t.Errorf("seed %d: %s %s: reported in %s, not held there", seed, s, r.Class, ns)
					}
				}
			}
		}
		t.Logf("seed %d: %d subjects x %d classes = %d compared; %d held (%d cluster-wide)", seed, len(subjects), len(classes), compared, held, clusterWide)
		if held < 100 || clusterWide < 20 || held == compared {
			t.Errorf("seed %d: the generated RBAC exercises too little (%d held, %d cluster-wide of %d)", seed, held, clusterWide, compared)
		}
	}
}

var riskSizes = []struct{ namespaces, roles, bindings, workloads int }{
	{25, 2500, 5000, 1250},
	{50, 5000, 10000, 2500},
	{100, 10000, 20000, 5000},
}

// BenchmarkRisksAnalysis is the analysis alone on a built model: every bound rule
// against every class, every subject's risks, and every workload service account's.
func BenchmarkRisksAnalysis(b *testing.B) {
	classes := identity.RiskClasses()
	for _, sz := range riskSizes {
		b.Run(fmt.Sprintf("roles=%d/bindings=%d", sz.roles, sz.bindings), func(b *testing.B) {
			objs := loadSynthetic(b, rbac.Synthetic(sz.namespaces, sz.roles, sz.bindings, sz.workloads, 1, true))
			m, _, _ := rbac.Build(objs, rbac.Options{})
			b.ReportAllocs()
			b.ResetTimer()
			var n int
			for range b.N {
				a := m.AnalyzeRisks(classes)
				n = len(a.Risks())
				for _, sa := range a.ServiceAccountsWithWorkloads() {
					n += len(a.Holds(sa))
				}
			}
			b.ReportMetric(float64(n), "risks")
		})
	}
}

// BenchmarkRisksRun is a whole `palisade rbac risks` after the input is read: the
// model, the analysis, the rules on every service account, binding and workload, and
// the report (scan.Run over the loaded objects, as the command runs it).
func BenchmarkRisksRun(b *testing.B) {
	for _, sz := range riskSizes {
		b.Run(fmt.Sprintf("roles=%d/bindings=%d", sz.roles, sz.bindings), func(b *testing.B) {
			text := rbac.Synthetic(sz.namespaces, sz.roles, sz.bindings, sz.workloads, 1, true)
			b.ReportAllocs()
			b.ResetTimer()
			var findings int
			var peak uint64
			for range b.N {
				// A scan drops the bodies it no longer needs, so every run reads anew
				// (outside the timer).
				b.StopTimer()
				objs := loadSynthetic(b, text)
				b.StartTimer()
				res, err := scan.Run(scan.Options{Source: &source.Objects{Objects: objs, Inputs: 1}, Include: identity.RiskRuleIDs(), FailOn: "none"})
				if err != nil {
					b.Fatal(err)
				}
				findings = len(res.Report.Findings)
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapInuse)
			}
			b.ReportMetric(float64(findings), "findings")
			b.ReportMetric(float64(len(text)), "yaml-B")
			b.ReportMetric(float64(peak), "heap-inuse-B")
		})
	}
}

// HoldsAs counts the groups a request names (an audit event's user.groups): a class
// whose needs come from two of them is held only with both, as Authorize says.
func TestHoldsAsGroups(t *testing.T) {
	objs := loadSynthetic(t, `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: binder}
rules: [{apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [bind]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: crb-writer}
rules: [{apiGroups: [rbac.authorization.k8s.io], resources: [clusterrolebindings], verbs: [create]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: devs}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: binder}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: Group, name: devs}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: ops}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: crb-writer}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: Group, name: ops}]
`)
	m, _, err := rbac.Build(objs, rbac.Options{})
	if err != nil {
		t.Fatal(err)
	}
	classes := identity.RiskClasses()
	a := m.AnalyzeRisks(classes)
	alice := rbac.Subject{Kind: rbac.KindUser, Name: "alice"}
	classOf := func(rs []rbac.Risk, id string) (rbac.Risk, bool) {
		for _, r := range rs {
			if r.Class == id {
				return r, true
			}
		}
		return rbac.Risk{}, false
	}
	var bind rbac.RiskClass
	for _, c := range classes {
		if c.ID == "PAL-332" {
			bind = c
		}
	}
	for _, tc := range []struct {
		groups []string
		want   bool
	}{{nil, false}, {[]string{"devs"}, false}, {[]string{"ops"}, false}, {[]string{"devs", "ops"}, true}, {[]string{"ops", "devs", "devs"}, true}} {
		r, ok := classOf(a.HoldsAs(alice, tc.groups), "PAL-332")
		if ok != tc.want || (ok && !r.Reach.ClusterWide) {
			t.Errorf("groups %v: PAL-332 %v %+v, want %v", tc.groups, ok, r.Reach, tc.want)
		}
		if auth := holds(m, bind, rbac.UserInfoFor(alice, tc.groups), ""); auth != tc.want {
			t.Errorf("groups %v: Authorize says %v", tc.groups, auth)
		}
	}
	if _, ok := classOf(a.Holds(alice), "PAL-332"); ok {
		t.Error("Holds counts groups the subject is not in")
	}
}

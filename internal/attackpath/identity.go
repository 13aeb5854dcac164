package attackpath

// Identity edges: a workload's pods to the service account whose token they mount,
// an account to the capabilities its bindings grant (rbac risks), and capabilities
// to what they give: other accounts, workloads, secrets, nodes, cluster-admin.

import (
	"fmt"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/rbac"
)

// classAdmin is every verb on every resource.
const classAdmin = "admin"

// classes are the capabilities the graph follows.
var classes = []rbac.RiskClass{
	{ID: classAdmin, Needs: []rbac.Need{{Name: "every verb on every resource", Any: []rbac.Probe{{Verb: "*", Group: "*", Resource: "*"}}}}},
}

func (b *builder) identity() {
	m, _, err := rbac.Build(b.inv.Objects, rbac.Options{})
	if err != nil {
		b.g.Notes = append(b.g.Notes, "RBAC objects could not be analysed: "+err.Error())
		return
	}
	a := m.AnalyzeRisks(classes)
	admin := b.g.Add(Node{ID: ClusterAdmin, Kind: KindClusterAdmin, Label: "cluster-admin"})
	for _, sa := range a.ServiceAccountsWithWorkloads() {
		san := b.g.Add(Node{ID: ServiceAccountID(sa.Namespace, sa.Name), Kind: KindServiceAccount, Label: "ServiceAccount " + sa.Namespace + "/" + sa.Name, Namespace: sa.Namespace})
		for _, w := range a.Workloads(sa) {
			if !w.Token || w.Namespace != sa.Namespace || w.ServiceAccount != sa.Name {
				continue
			}
			ref := finding.ObjectRef{Kind: w.Kind, Namespace: w.Namespace, Name: w.Name}
			wn := b.g.Node(WorkloadID(ref))
			if wn == nil {
				continue
			}
			loc := w.Location
			b.g.Connect(Edge{From: wn, To: san, Kind: EdgeToken, Analyzer: ByRBAC,
				Evidence: []string{fmt.Sprintf("its pods run as %s/%s and mount its token", sa.Namespace, sa.Name)},
				Fix: &finding.PathFix{Change: "set automountServiceAccountToken: false in the pod template (or give the pods an account of their own)",
					Object: wn.Object, Location: &loc, Path: "spec.template.spec.automountServiceAccountToken", Cost: 1}})
		}
		for _, rk := range a.Of(sa) {
			if rk.Class != classAdmin || !rk.Reach.ClusterWide {
				continue
			}
			capn := b.g.Add(Node{ID: CapabilityID(classAdmin, ""), Kind: KindCapability, Label: "every permission cluster-wide"})
			var ev []string
			var fix *finding.PathFix
			for _, g := range rk.Grants {
				if g.Default && !b.opts.IncludeSystem {
					continue
				}
				ev = append(ev, rbac.ChainText(g))
				if fix == nil {
					ref := finding.ObjectRef{APIVersion: "rbac.authorization.k8s.io/v1", Kind: g.Binding.Kind, Namespace: g.Binding.Namespace, Name: g.Binding.Name}
					fix = &finding.PathFix{Change: fmt.Sprintf("remove subject %d (%s) from %s %s", g.SubjectIndex, g.Subject, g.Binding.Kind, g.Binding.Name),
						Object: &ref, Path: fmt.Sprintf("subjects[%d]", g.SubjectIndex), Cost: 1}
				}
			}
			if len(ev) == 0 {
				continue
			}
			b.g.Connect(Edge{From: san, To: capn, Kind: EdgeGrant, Analyzer: ByRBAC, Evidence: ev, Fix: fix})
			b.g.Connect(Edge{From: capn, To: admin, Kind: EdgeEscalate, Analyzer: ByRBAC, Evidence: []string{"every verb on every resource is cluster-admin"}})
		}
	}
}

package leastpriv

// Risky capabilities held but not needed: a class of the RBAC risk analysis
// (`palisade rbac risks`) that a subject holds, where the roles of its use alone
// (Minimal, with resourceNames) would not hold it. Both sides are judged by the
// same analysis (rbac.Model.AnalyzeRisks), so "needed" means exactly what "held"
// means: a path of the class held, cluster-wide or in a namespace.

import (
	"github.com/palisade-k8s/palisade/internal/rbac"
)

// UnusedRisk is a risky capability a subject holds beyond what its use needed.
type UnusedRisk struct {
	Risk rbac.Risk `json:"risk"`
	// Needed is where the subject's use needed the class (zero: nowhere).
	Needed rbac.Reach `json:"needed"`
	// Unused is where it holds the class without having needed it.
	Unused rbac.Reach `json:"unused"`
}

// UnusedRisks lists the classes sr's subject holds (a: the model's analysis of
// classes) beyond what its use needed, leaving out those held only through the
// bootstrap policy.
func UnusedRisks(a *rbac.RiskAnalysis, classes []rbac.RiskClass, sr *SubjectReport) ([]UnusedRisk, error) {
	if a == nil {
		return nil, nil
	}
	held := a.Of(sr.Subject)
	if len(held) == 0 {
		return nil, nil
	}
	objs, err := Minimal(sr.Subject, sr.Perms(), RoleOptions{ResourceNames: true}).Inventory()
	if err != nil {
		return nil, err
	}
	needed := map[string]rbac.Reach{}
	if len(objs) > 0 {
		m, _, err := rbac.Build(objs, rbac.Options{})
		if err != nil {
			return nil, err
		}
		for _, rk := range m.AnalyzeRisks(classes).Of(sr.Subject) {
			needed[rk.Class] = rk.Reach
		}
	}
	var out []UnusedRisk
	for _, rk := range held {
		if rk.Default {
			continue
		}
		need := needed[rk.Class]
		unused := minus(rk.Reach, need)
		if !unused.ClusterWide && len(unused.Namespaces) == 0 {
			continue
		}
		out = append(out, UnusedRisk{Risk: rk, Needed: need, Unused: unused})
	}
	return out, nil
}

// minus is where held reaches and need does not. Cluster-wide held minus
// namespaces needed stays cluster-wide (every other namespace and the
// cluster-scoped resources).
func minus(held, need rbac.Reach) rbac.Reach {
	if need.ClusterWide {
		return rbac.Reach{}
	}
	if held.ClusterWide {
		return rbac.Reach{ClusterWide: true}
	}
	var out rbac.Reach
	for _, ns := range held.Namespaces {
		if !need.Includes(ns) {
			out.Namespaces = append(out.Namespaces, ns)
		}
	}
	return out
}

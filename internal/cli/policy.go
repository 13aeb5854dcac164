package cli

import (
	"github.com/spf13/pflag"
	"k8s.io/apiserver/pkg/authentication/user"

	"github.com/palisade-k8s/palisade/internal/checks/admissionpolicy"
	"github.com/palisade-k8s/palisade/internal/scan"
)

// policyFlags are the ValidatingAdmissionPolicy flags of scan and cluster.
type policyFlags struct {
	policies        []string
	as              string
	groups          []string
	includeDefaults bool
}

// register adds --policy, --as and --as-group (and, for scan, --include-defaults:
// a cluster's RBAC already holds its bootstrap policy).
func (p *policyFlags) register(f *pflag.FlagSet, files bool) {
	f.StringArrayVar(&p.policies, "policy", nil, "file or directory of ValidatingAdmissionPolicies, their bindings and parameter resources to evaluate against the scanned objects (repeatable; PAL-800..803)")
	f.StringVar(&p.as, "as", "", "user the ValidatingAdmissionPolicies see making each request (request.userInfo, the authorizer library) (default \""+admissionpolicy.DefaultUser+"\")")
	f.StringArrayVar(&p.groups, "as-group", nil, "group of the --as user (repeatable; system:authenticated is always added, as the API server does)")
	if files {
		f.BoolVar(&p.includeDefaults, "include-defaults", false, "answer the policies' authorizer checks with the bootstrap ClusterRoles and ClusterRoleBindings too, as palisade rbac --include-defaults")
	}
}

// apply sets the scan options.
func (p *policyFlags) apply(o *scan.Options) {
	o.Policies, o.IncludeDefaults = p.policies, p.includeDefaults
	if p.as == "" && len(p.groups) == 0 {
		return
	}
	name := p.as
	if name == "" {
		name = admissionpolicy.DefaultUser
	}
	groups := append([]string(nil), p.groups...)
	if name != user.Anonymous {
		groups = appendMissing(groups, user.AllAuthenticated)
	} else {
		groups = appendMissing(groups, user.AllUnauthenticated)
	}
	o.User = &user.DefaultInfo{Name: name, Groups: groups}
}

func appendMissing(l []string, s string) []string {
	for _, x := range l {
		if x == s {
			return l
		}
	}
	return append(l, s)
}

package identity_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/checks/identity"
	"github.com/palisade-k8s/palisade/internal/config"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/scan"
	"github.com/palisade-k8s/palisade/internal/source"
	"github.com/palisade-k8s/palisade/internal/workload"
)

// riskDoc pieces: roles, bindings, service accounts and workloads written compactly.
func rkClusterRole(name, rules string) string {
	return fmt.Sprintf("---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: %s}\nrules:\n%s", name, rules)
}

func rkRole(ns, name, rules string) string {
	return fmt.Sprintf("---\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: %s, namespace: %s}\nrules:\n%s", name, ns, rules)
}

// binding writes a ClusterRoleBinding (ns "") or RoleBinding to a role kind/name.
func rkBinding(ns, name, roleKind, roleName string, subjects ...string) string {
	kind, meta := "ClusterRoleBinding", "{name: "+name+"}"
	if ns != "" {
		kind, meta = "RoleBinding", "{name: "+name+", namespace: "+ns+"}"
	}
	s := fmt.Sprintf("---\napiVersion: rbac.authorization.k8s.io/v1\nkind: %s\nmetadata: %s\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: %s, name: %s}\nsubjects:\n", kind, meta, roleKind, roleName)
	for _, sub := range subjects {
		s += "- " + sub + "\n"
	}
	return s
}

func sa(ns, name string) string {
	return "{kind: ServiceAccount, name: " + name + ", namespace: " + ns + "}"
}
func user(name string) string {
	return "{kind: User, name: " + name + ", apiGroup: rbac.authorization.k8s.io}"
}
func group(name string) string {
	return "{kind: Group, name: " + name + ", apiGroup: rbac.authorization.k8s.io}"
}

func serviceAccount(ns, name string) string {
	return fmt.Sprintf("---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: %s, namespace: %s}\n", name, ns)
}

func deployment(ns, name, account, extra string) string {
	return fmt.Sprintf("---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: %s, namespace: %s}\nspec:\n  selector: {matchLabels: {app: %s}}\n  template:\n    metadata: {labels: {app: %s}}\n    spec:\n      serviceAccountName: %s\n%s      containers: [{name: app, image: nginx}]\n", name, ns, name, name, account, extra)
}

const (
	readSecrets = "- {apiGroups: [\"\"], resources: [secrets], verbs: [get, list]}\n"
	nodesProxy  = "- {apiGroups: [\"\"], resources: [nodes/proxy], verbs: [get]}\n"
)

var adminAll = rkClusterRole("admin-all", "- {apiGroups: [\"*\"], resources: [\"*\"], verbs: [\"*\"]}\n") +
	rkBinding("", "c1", "ClusterRole", "admin-all", user("root")) +
	rkBinding("shop", "r1", "ClusterRole", "admin-all", user("nsadmin"))

// riskFindings runs the subject-level rules and lists "RULE SEVERITY KIND/NS/NAME PATH"
// and the messages by that key.
func riskFindings(t *testing.T, yaml string, cfg *config.Config, include []string) ([]string, map[string]string) {
	t.Helper()
	if include == nil {
		include = identity.RiskRuleIDs()
	}
	res, err := scan.Run(scan.Options{Source: &source.Files{Paths: []string{"-"}, Stdin: strings.NewReader(yaml)}, Config: cfg, FailOn: "none", Include: include})
	if err != nil {
		t.Fatal(err)
	}
	checkInputErrors(t, res.Report.Errors, "")
	var got []string
	msgs := map[string]string{}
	for _, f := range res.Report.Findings {
		k := fmt.Sprintf("%s %s %s %s", f.RuleID, f.Severity, f.Object, f.Path)
		got = append(got, k)
		msgs[k] = f.Message
	}
	sort.Strings(got)
	return got, msgs
}

func TestRiskRules(t *testing.T) {
	for _, tc := range []struct {
		name string
		yaml string
		cfg  *config.Config
		// include selects rules (nil: every subject-level rule).
		include []string
		want    []string
		// msg maps a wanted finding to texts its message contains.
		msg map[string][]string
	}{
		{
			name: "cluster-wide secrets read: the service account, a user, and the workload running as the account",
			yaml: serviceAccount("build", "ci") + rkClusterRole("secret-reader", readSecrets) +
				rkBinding("", "ci-secrets", "ClusterRole", "secret-reader", sa("build", "ci"), user("alice")) +
				deployment("build", "builder", "ci", ""),
			want: []string{
				"PAL-334 critical ClusterRoleBinding/ci-secrets subjects[1]",
				"PAL-334 critical ServiceAccount/build/ci metadata.name",
				"PAL-345 critical Deployment/build/builder spec.template.spec.serviceAccountName",
			},
			msg: map[string][]string{
				"PAL-334 critical ServiceAccount/build/ci metadata.name":                          {"ServiceAccount build/ci can read secrets cluster-wide", "get secrets; list secrets", "ClusterRoleBinding ci-secrets -> ClusterRole secret-reader, rule 0", "The pods of Deployment build/builder run with its token"},
				"PAL-334 critical ClusterRoleBinding/ci-secrets subjects[1]":                      {"User alice can read secrets cluster-wide"},
				"PAL-345 critical Deployment/build/builder spec.template.spec.serviceAccountName": {"ServiceAccount build/ci", "can read secrets cluster-wide (PAL-334)"},
			},
		},
		{
			name: "a RoleBinding grants in its namespace only: lower severity, except in kube-system",
			yaml: rkClusterRole("secret-reader", readSecrets) +
				rkBinding("shop", "r1", "ClusterRole", "secret-reader", user("bob")) +
				rkBinding("kube-system", "r2", "ClusterRole", "secret-reader", user("carol")),
			want: []string{
				"PAL-334 critical RoleBinding/kube-system/r2 subjects[0]",
				"PAL-334 medium RoleBinding/shop/r1 subjects[0]",
			},
			msg: map[string][]string{"PAL-334 medium RoleBinding/shop/r1 subjects[0]": {"User bob can read secrets in namespace shop"}},
		},
		{
			name: "a RoleBinding never grants cluster-scoped resources: nodes/proxy only through a ClusterRoleBinding",
			yaml: rkClusterRole("proxy", nodesProxy) +
				rkBinding("shop", "r1", "ClusterRole", "proxy", user("bob")) +
				rkBinding("", "c1", "ClusterRole", "proxy", user("dave")),
			want: []string{"PAL-337 critical ClusterRoleBinding/c1 subjects[0]"},
		},
		{
			name: "bind plus rolebinding writes, from two bindings, is one escalation path; bind alone is none",
			yaml: rkRole("shop", "binder", "- {apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [bind]}\n") +
				rkRole("shop", "rb-writer", "- {apiGroups: [rbac.authorization.k8s.io], resources: [rolebindings], verbs: [create]}\n") +
				rkBinding("shop", "b1", "Role", "binder", user("bob"), user("eve")) +
				rkBinding("shop", "b2", "Role", "rb-writer", user("bob")),
			want: []string{
				"PAL-332 high RoleBinding/shop/b1 subjects[0]",
				"PAL-341 medium RoleBinding/shop/b2 subjects[0]",
			},
			msg: map[string][]string{"PAL-332 high RoleBinding/shop/b1 subjects[0]": {"User bob can bind any role in namespace shop", "bind roles or clusterroles in a namespace; write rolebindings", "RoleBinding shop/b1 -> Role shop/binder", "RoleBinding shop/b2 -> Role shop/rb-writer"}},
		},
		{
			name: "a path completed by a group of the account: the account is reported, with the group named",
			yaml: serviceAccount("shop", "deployer") +
				rkClusterRole("binder", "- {apiGroups: [rbac.authorization.k8s.io], resources: [roles], verbs: [bind]}\n") +
				rkClusterRole("rb-writer", "- {apiGroups: [rbac.authorization.k8s.io], resources: [rolebindings], verbs: [create, update]}\n") +
				rkBinding("shop", "all-sa-bind", "ClusterRole", "binder", group("system:serviceaccounts:shop")) +
				rkBinding("shop", "deployer-rb", "ClusterRole", "rb-writer", sa("shop", "deployer")),
			want: []string{
				"PAL-332 high ServiceAccount/shop/deployer metadata.name",
				"PAL-341 medium ServiceAccount/shop/deployer metadata.name",
			},
			msg: map[string][]string{"PAL-332 high ServiceAccount/shop/deployer metadata.name": {"as a member of group system:serviceaccounts:shop: RoleBinding shop/all-sa-bind"}},
		},
		{
			name: "a path made of two groups' grants is reported on the narrower group, whose members hold both",
			yaml: rkClusterRole("binder", "- {apiGroups: [rbac.authorization.k8s.io], resources: [roles], verbs: [bind]}\n") +
				rkClusterRole("rb-writer", "- {apiGroups: [rbac.authorization.k8s.io], resources: [rolebindings], verbs: [create]}\n") +
				rkBinding("shop", "sa-bind", "ClusterRole", "binder", group("system:serviceaccounts:shop")) +
				rkBinding("shop", "all-rb", "ClusterRole", "rb-writer", group("system:authenticated")) +
				deployment("shop", "web", "default", ""),
			want: []string{
				"PAL-332 high RoleBinding/shop/sa-bind subjects[0]",
				"PAL-341 medium RoleBinding/shop/all-rb subjects[0]",
				"PAL-345 high Deployment/shop/web spec.template.spec.serviceAccountName",
			},
			msg: map[string][]string{"PAL-332 high RoleBinding/shop/sa-bind subjects[0]": {
				"Group system:serviceaccounts:shop can bind any role in namespace shop",
				"as a member of group system:authenticated: RoleBinding shop/all-rb",
				"The pods of Deployment shop/web run with its token",
			}},
		},
		{
			name: "what a group holds alone is reported on the group, not again on its members; workloads still are",
			yaml: serviceAccount("shop", "web") + rkClusterRole("secret-reader", readSecrets) +
				rkBinding("", "everyone", "ClusterRole", "secret-reader", group("system:authenticated")) +
				rkBinding("shop", "web", "ClusterRole", "secret-reader", sa("shop", "web")) +
				deployment("shop", "web", "web", ""),
			want: []string{
				"PAL-334 critical ClusterRoleBinding/everyone subjects[0]",
				"PAL-345 critical Deployment/shop/web spec.template.spec.serviceAccountName",
			},
			msg: map[string][]string{"PAL-334 critical ClusterRoleBinding/everyone subjects[0]": {"Group system:authenticated (every authenticated user and service account) can read secrets cluster-wide", "The pods of Deployment shop/web"}},
		},
		{
			name: "pods without the token carry no risk",
			yaml: serviceAccount("build", "ci") + rkClusterRole("secret-reader", readSecrets) +
				rkBinding("", "ci-secrets", "ClusterRole", "secret-reader", sa("build", "ci")) +
				deployment("build", "builder", "ci", "      automountServiceAccountToken: false\n"),
			want: []string{"PAL-334 critical ServiceAccount/build/ci metadata.name"},
		},
		{
			name: "a custom kind that runs pods, from the configured pod template paths",
			yaml: serviceAccount("build", "ci") + rkClusterRole("secret-reader", readSecrets) +
				rkBinding("", "ci-secrets", "ClusterRole", "secret-reader", sa("build", "ci")) +
				"---\napiVersion: example.com/v1\nkind: Worker\nmetadata: {name: w, namespace: build}\nspec:\n  podTemplate:\n    spec:\n      serviceAccountName: ci\n      containers: [{name: c, image: nginx}]\n",
			cfg: &config.Config{PodTemplatePaths: []workload.TemplatePath{{Group: "example.com", Kind: "Worker", Path: "spec.podTemplate"}}},
			want: []string{
				"PAL-334 critical ServiceAccount/build/ci metadata.name",
				"PAL-345 critical Worker/build/w spec.podTemplate.spec.serviceAccountName",
			},
			msg: map[string][]string{"PAL-334 critical ServiceAccount/build/ci metadata.name": {"The pods of Worker build/w run with its token"}},
		},
		{
			name: "resourceNames: named secrets do not count; the kubernetes.io/* signer name does",
			yaml: rkClusterRole("named", "- {apiGroups: [\"\"], resources: [secrets], verbs: [get], resourceNames: [db]}\n") +
				rkClusterRole("csr", "- {apiGroups: [certificates.k8s.io], resources: [certificatesigningrequests], verbs: [create]}\n"+
					"- {apiGroups: [certificates.k8s.io], resources: [certificatesigningrequests/approval], verbs: [update]}\n"+
					"- {apiGroups: [certificates.k8s.io], resources: [signers], verbs: [approve], resourceNames: [\"kubernetes.io/*\"]}\n") +
				rkClusterRole("csr-other", "- {apiGroups: [certificates.k8s.io], resources: [certificatesigningrequests, certificatesigningrequests/approval], verbs: [create, update]}\n"+
					"- {apiGroups: [certificates.k8s.io], resources: [signers], verbs: [approve], resourceNames: [example.com/internal]}\n") +
				rkBinding("", "c1", "ClusterRole", "named", user("bob")) +
				rkBinding("", "c2", "ClusterRole", "csr", user("approver")) +
				rkBinding("", "c3", "ClusterRole", "csr-other", user("other")),
			want: []string{"PAL-339 critical ClusterRoleBinding/c2 subjects[0]"},
		},
		{
			name: "aggregation counts: a role aggregated into a bound ClusterRole",
			yaml: rkClusterRole("impersonator", "- {apiGroups: [\"\"], resources: [users, groups], verbs: [impersonate]}\n") +
				"---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: agg}\naggregationRule:\n  clusterRoleSelectors: [{matchLabels: {x: y}}]\nrules: []\n" +
				"---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: part, labels: {x: y}}\nrules:\n- {apiGroups: [\"\"], resources: [serviceaccounts], verbs: [impersonate]}\n" +
				rkBinding("shop", "r", "ClusterRole", "agg", user("bob")),
			want: []string{"PAL-333 high RoleBinding/shop/r subjects[0]"},
			msg:  map[string][]string{"PAL-333 high RoleBinding/shop/r subjects[0]": {"impersonate serviceaccounts", "(aggregating ClusterRole part)"}},
		},
		{
			name: "the bootstrap policy's grants are left out unless asked for",
			yaml: rkClusterRole("secret-reader", readSecrets) +
				"---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: system:ctrl, labels: {kubernetes.io/bootstrapping: rbac-defaults}}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: secret-reader}\nsubjects: [{kind: User, name: system:kube-controller-manager}]\n",
			want: nil,
		},
		{
			name: "bootstrapPolicy report counts them",
			yaml: rkClusterRole("secret-reader", readSecrets) +
				"---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: system:ctrl, labels: {kubernetes.io/bootstrapping: rbac-defaults}}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: secret-reader}\nsubjects: [{kind: User, name: system:kube-controller-manager}]\n",
			cfg:  paramsConfig(map[string]map[string]any{identity.RiskParamRule: {identity.RiskParamBootstrap: "report"}}),
			want: []string{"PAL-334 critical ClusterRoleBinding/system:ctrl subjects[0]"},
		},
		{
			name: "a configured severity is the cluster-wide one; namespaced ones follow it down",
			yaml: rkClusterRole("secret-reader", readSecrets) +
				rkBinding("shop", "r1", "ClusterRole", "secret-reader", user("bob")) +
				rkBinding("", "c1", "ClusterRole", "secret-reader", user("carol")),
			cfg: func() *config.Config {
				sev := finding.High
				return &config.Config{Rules: map[string]config.RuleConfig{"PAL-334": {Severity: &sev}}}
			}(),
			want: []string{
				"PAL-334 high ClusterRoleBinding/c1 subjects[0]",
				"PAL-334 low RoleBinding/shop/r1 subjects[0]",
			},
		},
		{
			name: "every permission: one finding where it holds, not one per class it implies",
			yaml: adminAll,
			want: []string{
				"PAL-330 critical ClusterRoleBinding/c1 subjects[0]",
				"PAL-330 high RoleBinding/shop/r1 subjects[0]",
			},
			msg: map[string][]string{"PAL-330 high RoleBinding/shop/r1 subjects[0]": {"User nsadmin holds every permission in namespace shop"}},
		},
		{
			name:    "without PAL-330, each class it implies is reported where it holds",
			yaml:    adminAll,
			include: identity.RiskRuleIDs()[1:],
			want: []string{
				"PAL-331 critical ClusterRoleBinding/c1 subjects[0]", "PAL-331 high RoleBinding/shop/r1 subjects[0]",
				"PAL-332 critical ClusterRoleBinding/c1 subjects[0]", "PAL-332 high RoleBinding/shop/r1 subjects[0]",
				"PAL-333 critical ClusterRoleBinding/c1 subjects[0]", "PAL-333 high RoleBinding/shop/r1 subjects[0]",
				"PAL-334 critical ClusterRoleBinding/c1 subjects[0]", "PAL-334 medium RoleBinding/shop/r1 subjects[0]",
				"PAL-335 high ClusterRoleBinding/c1 subjects[0]", "PAL-335 medium RoleBinding/shop/r1 subjects[0]",
				"PAL-336 high ClusterRoleBinding/c1 subjects[0]", "PAL-336 medium RoleBinding/shop/r1 subjects[0]",
				// Cluster-scoped resources: only the ClusterRoleBinding grants them.
				"PAL-337 critical ClusterRoleBinding/c1 subjects[0]",
				"PAL-338 high ClusterRoleBinding/c1 subjects[0]", "PAL-338 medium RoleBinding/shop/r1 subjects[0]",
				"PAL-339 critical ClusterRoleBinding/c1 subjects[0]",
				"PAL-340 high ClusterRoleBinding/c1 subjects[0]",
				"PAL-341 high ClusterRoleBinding/c1 subjects[0]", "PAL-341 medium RoleBinding/shop/r1 subjects[0]",
				"PAL-342 high ClusterRoleBinding/c1 subjects[0]",
				"PAL-343 high ClusterRoleBinding/c1 subjects[0]",
				"PAL-344 medium ClusterRoleBinding/c1 subjects[0]", "PAL-344 low RoleBinding/shop/r1 subjects[0]",
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, msgs := riskFindings(t, tc.yaml, tc.cfg, tc.include)
			want := append([]string(nil), tc.want...)
			sort.Strings(want)
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			for k, texts := range tc.msg {
				for _, s := range texts {
					if !strings.Contains(msgs[k], s) {
						t.Errorf("%s: message %q lacks %q", k, msgs[k], s)
					}
				}
			}
		})
	}
}

// TestRiskRulesOptIn: a plain scan runs none of them; naming one runs it.
func TestRiskRulesOptIn(t *testing.T) {
	yaml := rkClusterRole("secret-reader", readSecrets) + rkBinding("", "c1", "ClusterRole", "secret-reader", user("carol"))
	res, err := scan.Run(scan.Options{Source: &source.Files{Paths: []string{"-"}, Stdin: strings.NewReader(yaml)}, FailOn: "none"})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range res.Report.Findings {
		if f.Category == "rbac-risk" {
			t.Errorf("plain scan ran %s", f.RuleID)
		}
	}
	got, _ := riskFindings(t, yaml, nil, []string{"PAL-334"})
	if len(got) != 1 {
		t.Errorf("--include PAL-334: %v", got)
	}
	on := true
	cfg := &config.Config{Rules: map[string]config.RuleConfig{"PAL-334": {Enabled: &on}}}
	res, err = scan.Run(scan.Options{Source: &source.Files{Paths: []string{"-"}, Stdin: strings.NewReader(yaml)}, FailOn: "none", Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range res.Report.Findings {
		if f.RuleID == "PAL-334" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("enabled in the configuration: %d PAL-334 findings", n)
	}
}

package identity_test

import (
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/config"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/scan"
	"github.com/palisade-k8s/palisade/internal/source"
)

// rbacCase is one manifest of RBAC objects scanned through the whole pipeline. Unless
// rules is set, the findings of every rbac rule are compared, so each case also proves
// that no other RBAC rule reports it.
type rbacCase struct {
	name  string
	rules []string
	yaml  string
	// params configures rule parameters: rule ID -> name -> value.
	params map[string]map[string]any
	// want lists "RULE path".
	want []string
	// lines maps a finding's path to a text on exactly one line of yaml.
	lines map[string]string
	// msg maps "RULE path" to texts its message must contain.
	msg map[string][]string
	// notMsg maps "RULE path" to texts its message must not contain.
	notMsg map[string][]string
	// wantError is a text that an input error must contain ("" for none).
	wantError string
}

func rbacRuleIDs() []string {
	var ids []string
	for _, r := range rules.All() {
		if r.Category == "rbac" {
			ids = append(ids, r.ID)
		}
	}
	return ids
}

func runRBACCases(t *testing.T, cases []rbacCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var cfg *config.Config
			if tc.params != nil {
				cfg = paramsConfig(tc.params)
			}
			res, err := scan.Run(scan.Options{
				Source: &source.Files{Paths: []string{"-"}, Stdin: strings.NewReader(tc.yaml)}, Config: cfg, FailOn: "none",
			})
			if err != nil {
				t.Fatalf("scan: %v", err)
			}
			checkInputErrors(t, res.Report.Errors, tc.wantError)
			ids := tc.rules
			if ids == nil {
				ids = rbacRuleIDs()
			}
			got := matchFindings(t, res.Report.Findings, ids, func(f *finding.Finding) string { return f.RuleID + " " + f.Path }, tc.want)
			checkLines(t, tc.yaml, got, tc.lines)
			for k, texts := range tc.msg {
				f := got[k]
				if f == nil {
					t.Errorf("no finding %s to check the message of", k)
					continue
				}
				for _, s := range texts {
					if !strings.Contains(f.Message, s) {
						t.Errorf("%s: message %q does not contain %q", k, f.Message, s)
					}
				}
			}
			for k, texts := range tc.notMsg {
				f := got[k]
				if f == nil {
					t.Errorf("no finding %s to check the message of", k)
					continue
				}
				for _, s := range texts {
					if strings.Contains(f.Message, s) {
						t.Errorf("%s: message %q contains %q", k, f.Message, s)
					}
				}
			}
		})
	}
}

// clusterRole and role wrap policy rules (YAML list items indented by two spaces).
func clusterRole(rulesYAML string) string {
	return "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: r\nrules:\n" + rulesYAML
}

func role(rulesYAML string) string {
	return "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: r\n  namespace: team\nrules:\n" + rulesYAML
}

// binding is a binding of kind (RoleBinding or ClusterRoleBinding) to roleRef kind/name.
func binding(kind, refKind, refName, subjectsYAML string) string {
	ns := ""
	if kind == "RoleBinding" {
		ns = "  namespace: team\n"
	}
	return "apiVersion: rbac.authorization.k8s.io/v1\nkind: " + kind + "\nmetadata:\n  name: b\n" + ns +
		"roleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: " + refKind + "\n  name: " + refName + "\nsubjects:\n" + subjectsYAML
}

const everything = `- apiGroups: ["*"]
  resources: ["*"]
  verbs: ["*"]
`

func TestRBACWildcards(t *testing.T) {
	r0 := "rules[0]"
	runRBACCases(t, []rbacCase{
		{
			name: "everything is one finding with a summary",
			yaml: clusterRole(`- apiGroups: ["*"]
  resources: ["*"]
  verbs: ["*"]
- nonResourceURLs: ["*"]
  verbs: ["*"]
`),
			want:  []string{"PAL-301 " + r0 + ".resources[0]", "PAL-306 rules[1].nonResourceURLs[0]"},
			lines: map[string]string{r0 + ".resources[0]": `resources: ["*"]`},
			msg: map[string][]string{"PAL-301 " + r0 + ".resources[0]": {
				"ClusterRole rules[0]", "cluster-admin", "secrets read", "escalate", "impersonate", "nodes/proxy",
				"CSR approval", "webhook configuration writes", "PersistentVolume create", "workload writes", "secrets write"}},
		},
		{
			name: "everything in a Role: namespaced classes only",
			yaml: role(everything),
			want: []string{"PAL-301 " + r0 + ".resources[0]"},
			msg: map[string][]string{"PAL-301 " + r0 + ".resources[0]": {
				"Role rules[0]", "admin of its namespace", "secrets read", "pods/exec", "serviceaccounts/token create"}},
			notMsg: map[string][]string{"PAL-301 " + r0 + ".resources[0]": {"nodes/proxy", "PersistentVolume", "CSR"}},
		},
		{
			name: "read everything: one resources finding with the implied classes, one for the group",
			yaml: clusterRole(`- apiGroups: ["*"]
  resources: ["*"]
  verbs: ["get", "list", "watch"]
`),
			want: []string{"PAL-302 " + r0 + ".resources[0]", "PAL-305 " + r0 + ".apiGroups[0]"},
			msg: map[string][]string{"PAL-302 " + r0 + ".resources[0]": {
				"get, list, watch", "secrets read", "pods/exec", "nodes/proxy"}},
			notMsg: map[string][]string{"PAL-302 " + r0 + ".resources[0]": {"workload writes", "escalate"}},
		},
		{
			name: "every verb on every core resource",
			yaml: clusterRole(`- apiGroups: [""]
  resources: ["*"]
  verbs: ["*"]
`),
			want: []string{"PAL-302 " + r0 + ".resources[0]", "PAL-304 " + r0 + ".verbs[0]"},
			msg: map[string][]string{"PAL-302 " + r0 + ".resources[0]": {
				"the core API group", "secrets read", "impersonate", "workload writes", "secrets write", "PersistentVolume create"}},
		},
		{
			name: "wildcard create in apps implies workload creation",
			yaml: role(`- apiGroups: ["apps"]
  resources: ["*"]
  verbs: ["create"]
`),
			want: []string{"PAL-302 " + r0 + ".resources[0]"},
			msg:  map[string][]string{"PAL-302 " + r0 + ".resources[0]": {"workload writes"}},
		},
		{
			name: "wildcard in a custom group is low",
			yaml: clusterRole(`- apiGroups: ["example.com"]
  resources: ["*"]
  verbs: ["*"]
`),
			want: []string{"PAL-303 " + r0 + ".resources[0]", "PAL-304 " + r0 + ".verbs[0]"},
		},
		{
			name: "subresource wildcard",
			yaml: clusterRole(`- apiGroups: ["example.com"]
  resources: ["widgets", "*/finalizers"]
  verbs: ["update"]
`),
			want:  []string{"PAL-303 " + r0 + ".resources[1]"},
			lines: map[string]string{r0 + ".resources[1]": "widgets"},
			msg:   map[string][]string{"PAL-303 " + r0 + ".resources[1]": {`resources[1] "*/finalizers"`}},
		},
		{
			name: "wildcard reads of secrets only through get",
			yaml: clusterRole(`- apiGroups: [""]
  resources: ["*"]
  verbs: ["get"]
`),
			want: []string{"PAL-302 " + r0 + ".resources[0]"},
			msg:  map[string][]string{"PAL-302 " + r0 + ".resources[0]": {"secrets read"}},
		},
		{
			name: "wildcard resources with verbs that reach nothing sensitive",
			yaml: clusterRole(`- apiGroups: ["apps", "batch"]
  resources: ["*"]
  verbs: ["delete", "list"]
`),
			want: []string{"PAL-303 " + r0 + ".resources[0]"},
		},
		{
			name: "nodes/proxy counts with any verb, even through a wildcard",
			yaml: clusterRole(`- apiGroups: [""]
  resources: ["*"]
  verbs: ["delete"]
`),
			want: []string{"PAL-302 " + r0 + ".resources[0]"},
			msg:  map[string][]string{"PAL-302 " + r0 + ".resources[0]": {"this includes nodes/proxy"}},
		},
		{
			name: "every verb on named resources",
			yaml: clusterRole(`- apiGroups: ["apps"]
  resources: ["deployments"]
  verbs: ["get", "*"]
`),
			want:  []string{"PAL-304 " + r0 + ".verbs[1]", "PAL-322 " + r0 + ".resources[0]"},
			lines: map[string]string{r0 + ".verbs[1]": `verbs: ["get", "*"]`},
			msg:   map[string][]string{"PAL-322 " + r0 + ".resources[0]": {`create, update, patch (through verbs "*") on deployments`}},
		},
		{
			name: "explicit rules have no wildcard",
			yaml: clusterRole(`- apiGroups: ["apps"]
  resources: ["deployments", "deployments/scale"]
  verbs: ["get", "list", "watch", "update"]
`),
			want: []string{"PAL-322 " + r0 + ".resources[0]"},
		},
		{
			name: "every API group",
			yaml: clusterRole(`- apiGroups: ["*"]
  resources: ["configmaps"]
  verbs: ["get"]
`),
			want: []string{"PAL-305 " + r0 + ".apiGroups[0]"},
		},
		{
			name: "sensitive non-resource wildcard",
			yaml: clusterRole(`- nonResourceURLs: ["/healthz", "/debug/*"]
  verbs: ["get"]
`),
			want:  []string{"PAL-306 " + r0 + ".nonResourceURLs[1]"},
			lines: map[string]string{r0 + ".nonResourceURLs[1]": "nonResourceURLs"},
		},
		{
			name: "harmless non-resource URLs",
			yaml: clusterRole(`- nonResourceURLs: ["/metrics", "/api/*", "/logs"]
  verbs: ["get"]
`),
		},
		{
			name:   "every verb on every URL with no sensitive path configured",
			params: map[string]map[string]any{"PAL-306": {"sensitivePaths": []any{}}},
			yaml: clusterRole(`- nonResourceURLs: ["*"]
  verbs: ["*"]
`),
			want: []string{"PAL-304 " + r0 + ".verbs[0]"},
		},
		{
			name: "a role aggregated into view says so",
			yaml: `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: widgets-view
  labels:
    rbac.authorization.k8s.io/aggregate-to-view: "true"
    rbac.authorization.k8s.io/aggregate-to-edit: "false"
rules:
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["list"]
`,
			want:   []string{"PAL-311 " + r0 + ".resources[0]"},
			msg:    map[string][]string{"PAL-311 " + r0 + ".resources[0]": {"aggregated into the built-in view role"}},
			notMsg: map[string][]string{"PAL-311 " + r0 + ".resources[0]": {"edit"}},
		},
		{
			name: "bootstrap cluster-admin is not reported",
			yaml: `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: cluster-admin
  labels:
    kubernetes.io/bootstrapping: rbac-defaults
rules:
` + everything,
		},
		{
			name: "the bootstrap label alone does not exempt a custom role",
			yaml: `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: my-admin
  labels:
    kubernetes.io/bootstrapping: rbac-defaults
rules:
` + everything,
			want: []string{"PAL-301 " + r0 + ".resources[0]"},
		},
		{
			name: "a system: name alone does not exempt a role",
			yaml: `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: system:mine
rules:
` + everything,
			want: []string{"PAL-301 " + r0 + ".resources[0]"},
		},
		{
			name: "aggregated ClusterRole rules are the controller's",
			yaml: `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: monitoring
aggregationRule:
  clusterRoleSelectors:
  - matchLabels:
      example.com/aggregate-to-monitoring: "true"
rules:
` + everything,
		},
		{
			name: "v1beta1 roles are checked",
			yaml: strings.Replace(clusterRole(everything), "/v1\n", "/v1beta1\n", 1),
			want: []string{"PAL-301 " + r0 + ".resources[0]"},
		},
		{
			name: "a Role kind of another API group is not RBAC",
			yaml: `apiVersion: example.com/v1
kind: Role
metadata:
  name: r
rules:
` + everything,
		},
		{
			name:      "a role that does not decode is reported as not fully checked",
			yaml:      clusterRole("  notalist\n"),
			wantError: "not fully checked",
		},
	})
}

func TestRBACBindings(t *testing.T) {
	sa := "- kind: ServiceAccount\n  name: deployer\n  namespace: ci\n"
	runRBACCases(t, []rbacCase{
		{
			name:  "ClusterRoleBinding to cluster-admin",
			yaml:  binding("ClusterRoleBinding", "ClusterRole", "cluster-admin", sa),
			want:  []string{"PAL-307 roleRef.name"},
			lines: map[string]string{"roleRef.name": "name: cluster-admin"},
			msg:   map[string][]string{"PAL-307 roleRef.name": {"every namespace", "ServiceAccount ci/deployer"}},
		},
		{
			name: "RoleBinding to cluster-admin",
			yaml: binding("RoleBinding", "ClusterRole", "cluster-admin", sa),
			want: []string{"PAL-307 roleRef.name"},
			msg:  map[string][]string{"PAL-307 roleRef.name": {`in namespace "team"`}},
		},
		{
			name:  "ClusterRoleBinding to a ClusterRole of the input that is cluster-admin by another name",
			yaml:  clusterRole("- apiGroups: [\"*\"]\n  resources: [\"*\"]\n  verbs: [\"*\"]\n") + "---\n" + binding("ClusterRoleBinding", "ClusterRole", "r", sa),
			rules: []string{"PAL-307"},
			want:  []string{"PAL-307 roleRef.name"},
			msg:   map[string][]string{"PAL-307 roleRef.name": {`binds ClusterRole "r" (roleRef.name), which grants every permission like cluster-admin, in every namespace`}},
		},
		{
			name:  "RoleBinding to a Role of its namespace granting every permission",
			yaml:  role("- apiGroups: [\"*\"]\n  resources: [\"*\"]\n  verbs: [\"*\"]\n") + "---\n" + binding("RoleBinding", "Role", "r", sa),
			rules: []string{"PAL-307"},
			want:  []string{"PAL-307 roleRef.name"},
			msg:   map[string][]string{"PAL-307 roleRef.name": {`binds Role "r"`, `in namespace "team"`}},
		},
		{
			name:  "a role with narrower rules is not cluster-admin",
			yaml:  clusterRole("- apiGroups: [\"*\"]\n  resources: [\"*\"]\n  verbs: [get, list]\n") + "---\n" + binding("ClusterRoleBinding", "ClusterRole", "r", sa),
			rules: []string{"PAL-307"},
		},
		{
			name: "a Role named cluster-admin is not the ClusterRole",
			yaml: binding("RoleBinding", "Role", "cluster-admin", sa),
		},
		{
			name: "bootstrap cluster-admin binding",
			yaml: `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: cluster-admin
  labels:
    kubernetes.io/bootstrapping: rbac-defaults
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: cluster-admin
subjects:
- apiGroup: rbac.authorization.k8s.io
  kind: Group
  name: system:masters
`,
		},
		{
			name: "anonymous and unauthenticated",
			yaml: binding("ClusterRoleBinding", "ClusterRole", "reader", `- kind: Group
  name: system:unauthenticated
- kind: User
  name: system:anonymous # the user
- kind: Group
  name: system:anonymous
`),
			want:  []string{"PAL-308 subjects[0].name", "PAL-308 subjects[1].name"},
			lines: map[string]string{"subjects[1].name": "# the user"},
		},
		{
			name: "unauthenticated bound to the public info viewer",
			yaml: binding("ClusterRoleBinding", "ClusterRole", "system:public-info-viewer", "- kind: Group\n  name: system:unauthenticated\n"),
		},
		{
			name: "a Role named like the public info viewer is not it",
			yaml: binding("RoleBinding", "Role", "system:public-info-viewer", "- kind: Group\n  name: system:unauthenticated\n"),
			want: []string{"PAL-308 subjects[0].name"},
		},
		{
			name: "every authenticated identity",
			yaml: binding("RoleBinding", "Role", "proxier", `- kind: Group
  name: system:authenticated
- kind: Group
  name: system:serviceaccounts
- kind: Group
  name: system:serviceaccounts:team
- kind: User
  name: system:authenticated
`),
			want: []string{"PAL-309 subjects[0].name", "PAL-309 subjects[1].name"},
			msg:  map[string][]string{"PAL-309 subjects[0].name": {`RoleBinding binds Role "proxier" in namespace "team" to every member of Group system:authenticated`}},
		},
		{
			name: "authenticated bound to discovery",
			yaml: binding("ClusterRoleBinding", "ClusterRole", "system:discovery", "- kind: Group\n  name: system:authenticated\n"),
		},
		{
			name:   "configured allowed role",
			params: map[string]map[string]any{"PAL-309": {"allowedRoles": []any{"proxier"}}},
			yaml:   binding("ClusterRoleBinding", "ClusterRole", "proxier", "- kind: Group\n  name: system:authenticated\n"),
		},
		{
			name:   "configured groups",
			params: map[string]map[string]any{"PAL-309": {"groups": []any{"everyone"}}},
			yaml: binding("ClusterRoleBinding", "ClusterRole", "reader", `- kind: Group
  name: system:authenticated
- kind: Group
  name: everyone
`),
			want: []string{"PAL-309 subjects[1].name"},
		},
		{
			name: "system:masters",
			yaml: binding("ClusterRoleBinding", "ClusterRole", "reader", `- kind: User
  name: system:masters
- kind: Group
  name: system:masters
`),
			want: []string{"PAL-310 subjects[1].name"},
		},
		{
			name: "ordinary subjects",
			yaml: binding("ClusterRoleBinding", "ClusterRole", "reader", sa+"- kind: Group\n  name: team-a\n"),
		},
		{
			name:      "a binding that does not decode",
			yaml:      binding("RoleBinding", "Role", "x", "  notalist\n"),
			wantError: "not fully checked",
		},
	})
}

func TestRBACPermissions(t *testing.T) {
	r0 := "rules[0]"
	runRBACCases(t, []rbacCase{
		// Secrets read.
		{
			name: "secrets read",
			yaml: role(`- apiGroups: [""]
  resources: ["configmaps", "secrets"]
  verbs: ["get", "list", "create"]
`),
			want:  []string{"PAL-311 " + r0 + ".resources[1]", "PAL-323 " + r0 + ".resources[1]"},
			lines: map[string]string{r0 + ".resources[1]": "resources:"},
			msg:   map[string][]string{"PAL-311 " + r0 + ".resources[1]": {`Role rules[0] grants get, list on secrets in the core API group (resources[1] "secrets")`}},
		},
		{
			name: "secrets with every verb and every group",
			yaml: clusterRole(`- apiGroups: ["*"]
  resources: ["secrets"]
  verbs: ["*"]
`),
			want: []string{"PAL-304 " + r0 + ".verbs[0]", "PAL-305 " + r0 + ".apiGroups[0]", "PAL-311 " + r0 + ".resources[0]", "PAL-323 " + r0 + ".resources[0]"},
			msg: map[string][]string{
				"PAL-311 " + r0 + ".resources[0]": {`get, list, watch (through verbs "*")`},
				"PAL-323 " + r0 + ".resources[0]": {`create, update, patch (through verbs "*")`},
			},
		},
		// Secrets write.
		{
			// create mints service account tokens (a service-account-token Secret).
			name: "secrets create",
			yaml: role(`- apiGroups: [""]
  resources: ["configmaps", "secrets"]
  verbs: ["create"]
`),
			want:  []string{"PAL-323 " + r0 + ".resources[1]"},
			lines: map[string]string{r0 + ".resources[1]": "resources:"},
			msg:   map[string][]string{"PAL-323 " + r0 + ".resources[1]": {`Role rules[0] grants create on secrets in the core API group (resources[1] "secrets")`}},
		},
		{
			name: "secrets read and update",
			yaml: clusterRole(`- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["get", "update", "patch", "delete"]
`),
			want: []string{"PAL-311 " + r0 + ".resources[0]", "PAL-323 " + r0 + ".resources[0]"},
			msg:  map[string][]string{"PAL-323 " + r0 + ".resources[0]": {"update, patch on secrets"}},
		},
		{
			// A controller maintaining its own secret; create cannot be narrowed.
			name: "secrets write narrowed by resourceNames is not reported",
			yaml: role(`- apiGroups: [""]
  resources: ["secrets"]
  resourceNames: ["webhook-tls"]
  verbs: ["create", "update", "patch"]
`),
		},
		{
			name: "secrets delete only",
			yaml: role(`- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["delete", "deletecollection"]
`),
		},
		{
			name: "secrets read narrowed by resourceNames is not reported",
			yaml: role(`- apiGroups: [""]
  resources: ["secrets"]
  resourceNames: ["app-tls"]
  verbs: ["get", "watch", "list"]
`),
		},
		{
			name:  "secrets writes only are not secrets read",
			rules: []string{"PAL-311"},
			yaml: role(`- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["create", "update", "delete"]
`),
		},
		{
			name: "secrets of another group",
			yaml: role(`- apiGroups: ["example.com"]
  resources: ["secrets"]
  verbs: ["get"]
`),
		},
		{
			name: "verbs are case-sensitive",
			yaml: role(`- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["GET"]
`),
		},
		// Escalate and bind.
		{
			name: "escalate on clusterroles in a ClusterRole",
			yaml: clusterRole(`- apiGroups: ["rbac.authorization.k8s.io"]
  resources: ["clusterroles"]
  verbs: ["escalate"]
`),
			want: []string{"PAL-312 " + r0 + ".resources[0]"},
		},
		{
			name: "escalate on clusterroles in a Role is inert, on roles it is not",
			yaml: role(`- apiGroups: ["rbac.authorization.k8s.io"]
  resources: ["clusterroles"]
  verbs: ["escalate"]
- apiGroups: ["rbac.authorization.k8s.io"]
  resources: ["roles"]
  verbs: ["escalate", "get"]
`),
			want: []string{"PAL-312 rules[1].resources[0]"},
		},
		{
			name: "every verb on roles includes escalate and bind",
			yaml: role(`- apiGroups: ["rbac.authorization.k8s.io"]
  resources: ["roles", "rolebindings"]
  verbs: ["*"]
`),
			want: []string{"PAL-304 " + r0 + ".verbs[0]", "PAL-312 " + r0 + ".resources[0]", "PAL-313 " + r0 + ".resources[0]"},
		},
		{
			name: "bind on clusterroles in a Role works for RoleBindings",
			yaml: role(`- apiGroups: ["rbac.authorization.k8s.io"]
  resources: ["clusterroles"]
  resourceNames: ["view"]
  verbs: ["bind"]
`),
			want: []string{"PAL-313 " + r0 + ".resources[0]"},
			msg:  map[string][]string{"PAL-313 " + r0 + ".resources[0]": {`resourceNames "view"`}},
		},
		{
			name: "reading roles",
			yaml: clusterRole(`- apiGroups: ["rbac.authorization.k8s.io"]
  resources: ["roles", "clusterroles", "rolebindings"]
  verbs: ["get", "list", "watch", "create"]
`),
		},
		{
			name: "escalate in the wrong group",
			yaml: clusterRole(`- apiGroups: [""]
  resources: ["clusterroles"]
  verbs: ["escalate", "bind"]
`),
		},
		// Impersonation.
		{
			name: "impersonate users, groups and uids",
			yaml: clusterRole(`- apiGroups: [""]
  resources: ["groups", "users"]
  verbs: ["impersonate"]
- apiGroups: ["authentication.k8s.io"]
  resources: ["uids"]
  verbs: ["impersonate"]
`),
			want: []string{"PAL-314 " + r0 + ".resources[0]", "PAL-314 rules[1].resources[0]"},
			msg:  map[string][]string{"PAL-314 " + r0 + ".resources[0]": {"users", "groups"}},
		},
		{
			name: "a Role can impersonate service accounts but not users",
			yaml: role(`- apiGroups: [""]
  resources: ["users"]
  verbs: ["impersonate"]
- apiGroups: [""]
  resources: ["serviceaccounts"]
  verbs: ["impersonate"]
`),
			want: []string{"PAL-314 rules[1].resources[0]"},
		},
		{
			name: "impersonating users needs the core group",
			yaml: clusterRole(`- apiGroups: ["authentication.k8s.io"]
  resources: ["users", "groups"]
  verbs: ["impersonate"]
`),
		},
		// Exec and attach.
		{
			name: "pods/exec create, get and subresource wildcard",
			yaml: clusterRole(`- apiGroups: [""]
  resources: ["pods/exec"]
  verbs: ["create"]
- apiGroups: [""]
  resources: ["pods", "pods/exec"]
  verbs: ["get"]
- apiGroups: [""]
  resources: ["*/exec"]
  verbs: ["create"]
`),
			want: []string{"PAL-315 " + r0 + ".resources[0]", "PAL-315 rules[1].resources[1]", "PAL-315 rules[2].resources[0]", "PAL-303 rules[2].resources[0]"},
		},
		{
			name: "pods/* matches no subresource",
			yaml: clusterRole(`- apiGroups: [""]
  resources: ["pods", "pods/*", "pods/log"]
  verbs: ["get", "create"]
`),
			want: []string{"PAL-322 " + r0 + ".resources[0]"},
		},
		{
			name: "pods/attach",
			yaml: role(`- apiGroups: [""]
  resources: ["pods/attach"]
  verbs: ["create"]
`),
			want: []string{"PAL-316 " + r0 + ".resources[0]"},
		},
		{
			name: "pods/exec named pods is still exec",
			yaml: role(`- apiGroups: [""]
  resources: ["pods/exec", "pods/attach"]
  resourceNames: ["debug-0"]
  verbs: ["create"]
`),
			want: []string{"PAL-315 " + r0 + ".resources[0]", "PAL-316 " + r0 + ".resources[1]"},
		},
		{
			name: "exec with a non-stream verb",
			yaml: role(`- apiGroups: [""]
  resources: ["pods/exec", "pods/attach"]
  verbs: ["delete"]
`),
		},
		// nodes/proxy.
		{
			name: "nodes/proxy with any verb",
			yaml: clusterRole(`- apiGroups: [""]
  resources: ["nodes", "nodes/metrics", "nodes/proxy"]
  verbs: ["get"]
- apiGroups: [""]
  resources: ["*/proxy"]
  verbs: ["list"]
`),
			want: []string{"PAL-317 " + r0 + ".resources[2]", "PAL-317 rules[1].resources[0]", "PAL-303 rules[1].resources[0]"},
		},
		{
			name: "nodes/proxy in a Role is inert",
			yaml: role(`- apiGroups: [""]
  resources: ["nodes/proxy"]
  verbs: ["get"]
`),
		},
		{
			name: "nodes/metrics is not nodes/proxy",
			yaml: clusterRole(`- apiGroups: [""]
  resources: ["nodes/metrics", "nodes/stats"]
  verbs: ["get"]
`),
		},
		// Token creation.
		{
			name: "serviceaccounts/token create",
			yaml: role(`- apiGroups: [""]
  resources: ["serviceaccounts", "serviceaccounts/token"]
  verbs: ["create"]
`),
			want: []string{"PAL-318 " + r0 + ".resources[1]"},
		},
		{
			name: "reading serviceaccounts/token",
			yaml: role(`- apiGroups: [""]
  resources: ["serviceaccounts/token"]
  verbs: ["get"]
`),
		},
		// CSR approval.
		{
			name: "CSR approval and signer approve",
			yaml: clusterRole(`- apiGroups: ["certificates.k8s.io"]
  resources: ["certificatesigningrequests", "certificatesigningrequests/approval"]
  verbs: ["get", "update"]
- apiGroups: ["certificates.k8s.io"]
  resources: ["signers"]
  resourceNames: ["kubernetes.io/kube-apiserver-client"]
  verbs: ["approve"]
`),
			want: []string{"PAL-319 " + r0 + ".resources[1]", "PAL-319 rules[1].resources[0]"},
			msg:  map[string][]string{"PAL-319 rules[1].resources[0]": {"kubernetes.io/kube-apiserver-client"}},
		},
		{
			name: "CSR create and read",
			yaml: clusterRole(`- apiGroups: ["certificates.k8s.io"]
  resources: ["certificatesigningrequests"]
  verbs: ["get", "create", "update"]
`),
		},
		{
			name: "CSR approval in a Role is inert",
			yaml: role(`- apiGroups: ["certificates.k8s.io"]
  resources: ["certificatesigningrequests/approval"]
  verbs: ["update"]
`),
		},
		// Webhook configurations.
		{
			name: "webhook configuration writes",
			yaml: clusterRole(`- apiGroups: ["admissionregistration.k8s.io"]
  resources: ["validatingwebhookconfigurations", "mutatingwebhookconfigurations"]
  verbs: ["get", "list", "patch"]
`),
			want: []string{"PAL-320 " + r0 + ".resources[0]"},
			msg:  map[string][]string{"PAL-320 " + r0 + ".resources[0]": {"patch on validatingwebhookconfigurations", "patch on mutatingwebhookconfigurations"}},
		},
		{
			name: "webhook caBundle patch of a named configuration",
			yaml: clusterRole(`- apiGroups: ["admissionregistration.k8s.io"]
  resources: ["validatingwebhookconfigurations"]
  resourceNames: ["my-webhook"]
  verbs: ["get", "update", "patch"]
`),
		},
		{
			name: "webhook configuration reads",
			yaml: clusterRole(`- apiGroups: ["admissionregistration.k8s.io"]
  resources: ["validatingwebhookconfigurations", "mutatingwebhookconfigurations"]
  verbs: ["get", "list", "watch"]
`),
		},
		// PersistentVolume creation.
		{
			name: "PersistentVolume create",
			yaml: clusterRole(`- apiGroups: [""]
  resources: ["persistentvolumeclaims", "persistentvolumes"]
  verbs: ["create"]
`),
			want: []string{"PAL-321 " + r0 + ".resources[1]"},
		},
		{
			name: "PersistentVolume create cannot be narrowed by name",
			yaml: clusterRole(`- apiGroups: [""]
  resources: ["persistentvolumes"]
  resourceNames: ["pv-1"]
  verbs: ["create", "delete"]
`),
		},
		{
			name: "an empty resource name matches unnamed requests",
			yaml: clusterRole(`- apiGroups: [""]
  resources: ["persistentvolumes"]
  resourceNames: [""]
  verbs: ["create"]
`),
			want: []string{"PAL-321 " + r0 + ".resources[0]"},
		},
		{
			name: "PersistentVolume create in a Role is inert",
			yaml: role(`- apiGroups: [""]
  resources: ["persistentvolumes"]
  verbs: ["create"]
`),
		},
		// Workload creation.
		{
			name: "workload creation is one finding per policy rule",
			yaml: role(`- apiGroups: ["", "apps", "batch"]
  resources: ["configmaps", "pods", "deployments", "jobs", "cronjobs"]
  verbs: ["create", "get"]
`),
			want: []string{"PAL-322 " + r0 + ".resources[1]"},
			msg:  map[string][]string{"PAL-322 " + r0 + ".resources[1]": {"pods", "deployments", "jobs", "cronjobs"}},
		},
		{
			name: "workload creation in the wrong group, job updates and evictions",
			yaml: role(`- apiGroups: ["extensions"]
  resources: ["deployments"]
  verbs: ["create"]
- apiGroups: ["batch"]
  resources: ["jobs"]
  verbs: ["update", "patch"]
- apiGroups: [""]
  resources: ["pods/eviction", "pods/status"]
  verbs: ["create", "update", "patch"]
`),
		},
		{
			// Changing a controller's pod template rolls out pods running the new code,
			// as any service account of the namespace: as good as creating them.
			name: "pod template updates",
			yaml: role(`- apiGroups: ["apps"]
  resources: ["deployments", "statefulsets"]
  verbs: ["update", "patch"]
- apiGroups: ["batch"]
  resources: ["cronjobs"]
  verbs: ["patch"]
- apiGroups: [""]
  resources: ["replicationcontrollers"]
  verbs: ["update"]
`),
			want: []string{"PAL-322 " + r0 + ".resources[0]", "PAL-322 rules[1].resources[0]", "PAL-322 rules[2].resources[0]"},
			msg:  map[string][]string{"PAL-322 " + r0 + ".resources[0]": {"update, patch on deployments", "update, patch on statefulsets"}},
		},
		{
			// Container images of a running pod are mutable; an ephemeral container is a
			// container of the caller's choice.
			name: "pod updates and ephemeral containers",
			yaml: role(`- apiGroups: [""]
  resources: ["pods"]
  verbs: ["get", "patch"]
- apiGroups: [""]
  resources: ["pods/ephemeralcontainers"]
  verbs: ["update"]
`),
			want: []string{"PAL-322 " + r0 + ".resources[0]", "PAL-322 rules[1].resources[0]"},
			msg:  map[string][]string{"PAL-322 rules[1].resources[0]": {"update on pods/ephemeralcontainers"}},
		},
		{
			// A template update of a named deployment is still code execution.
			name: "pod template update narrowed by name is reported with the names",
			yaml: role(`- apiGroups: ["apps"]
  resources: ["deployments"]
  resourceNames: ["web"]
  verbs: ["create", "patch"]
`),
			want: []string{"PAL-322 " + r0 + ".resources[0]"},
			msg:  map[string][]string{"PAL-322 " + r0 + ".resources[0]": {`patch on deployments`, `resourceNames "web"`}},
		},
		{
			name: "workload creation narrowed by name allows nothing",
			yaml: role(`- apiGroups: ["apps"]
  resources: ["deployments"]
  resourceNames: ["web"]
  verbs: ["create", "get"]
`),
		},
	})
}

// TestRBACRuleFrameworks checks the RBAC rules' catalogue entries: ID range, category,
// 4C layer, NSA/CISA section and CIS 5.1 tags.
func TestRBACRuleFrameworks(t *testing.T) {
	ids := rbacRuleIDs()
	if len(ids) != 23 {
		t.Errorf("%d rbac rules, want 23", len(ids))
	}
	for _, id := range ids {
		r, _ := rules.Get(id)
		if id < "PAL-301" || id > "PAL-329" {
			t.Errorf("%s is outside PAL-301..PAL-329", id)
		}
		if r.Frameworks.Layer != "cluster" {
			t.Errorf("%s: layer %q", id, r.Frameworks.Layer)
		}
		if len(r.Frameworks.NSA) != 1 || r.Frameworks.NSA[0] != "Authentication and authorization: role-based access control" {
			t.Errorf("%s: NSA %v", id, r.Frameworks.NSA)
		}
		for _, c := range r.Frameworks.CIS {
			if !strings.HasPrefix(c, "5.1.") {
				t.Errorf("%s: CIS %s is not a 5.1 control", id, c)
			}
		}
		if len(r.Kinds) == 0 || r.Workload != nil {
			t.Errorf("%s must be an object rule", id)
		}
	}
}

package rbac

import (
	"testing"
)

func TestWorkloadsAndWhoCan(t *testing.T) {
	m, _ := build(t,
		clusterRole("secrets", "- apiGroups: ['']\n  resources: ['secrets']\n  verbs: ['get', 'list']\n"),
		bind("shop", "app-secrets", "ClusterRole", "secrets", "ServiceAccount:shop:app", "Group:system:serviceaccounts:ops"),
		bind("", "auditor", "ClusterRole", "secrets", "User:auditor"),
		`apiVersion: v1
kind: ServiceAccount
metadata: {name: quiet, namespace: shop}
automountServiceAccountToken: false`,
		`apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    spec:
      serviceAccountName: app
      containers: [{name: c, image: nginx}]`,
		`apiVersion: v1
kind: Pod
metadata: {name: tokenless, namespace: shop}
spec:
  serviceAccountName: app
  automountServiceAccountToken: false
  containers: [{name: c, image: nginx}]`,
		`apiVersion: batch/v1
kind: CronJob
metadata: {name: quiet-job, namespace: shop}
spec:
  schedule: '* * * * *'
  jobTemplate:
    spec:
      template:
        spec:
          serviceAccountName: quiet
          containers: [{name: c, image: busybox}]`,
		`apiVersion: v1
kind: Pod
metadata: {name: projected, namespace: shop}
spec:
  serviceAccountName: quiet
  containers: [{name: c, image: nginx}]
  volumes:
  - name: token
    projected:
      sources:
      - serviceAccountToken: {path: token}`,
		`apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: ops}
spec:
  template:
    spec:
      containers: [{name: c, image: busybox}]`,
	)
	ws := m.WorkloadsOf(Subject{Kind: KindServiceAccount, Namespace: "shop", Name: "app"})
	if len(ws) != 2 || ws[0].Name != "web" || !ws[0].Token || ws[1].Name != "tokenless" || ws[1].Token {
		t.Errorf("workloads of shop/app: %+v", ws)
	}
	ws = m.WorkloadsOf(Subject{Kind: KindServiceAccount, Namespace: "shop", Name: "quiet"})
	if len(ws) != 2 || ws[0].Token || !ws[1].Token {
		t.Errorf("quiet's automount false must carry to its pods, unless they project a token: %+v", ws)
	}
	ws = m.WorkloadsOf(Subject{Kind: KindServiceAccount, Namespace: "ops", Name: "default"})
	if len(ws) != 1 || ws[0].Name != "agent" || ws[0].ServiceAccount != "default" {
		t.Errorf("no serviceAccountName means default: %+v", ws)
	}

	get := Attributes{Verb: "get", ResourceRequest: true, Resource: "secrets", Namespace: "shop", Name: "db"}
	ans := m.WhoCan(get)
	var names []string
	for _, a := range ans {
		names = append(names, a.Subject.String())
	}
	want := "user:auditor group:system:masters group:system:serviceaccounts:ops sa:shop:app"
	if got := join(names); got != want {
		t.Fatalf("who can get secrets in shop: %s, want %s", got, want)
	}
	if len(ans[2].Workloads) != 1 || ans[2].Workloads[0].Name != "agent" {
		t.Errorf("group system:serviceaccounts:ops runs agent: %+v", ans[2].Workloads)
	}
	if g := ans[3].Grants; len(g) != 1 || g[0].Binding.Name != "app-secrets" || g[0].Role.Name != "secrets" || g[0].Namespace != "shop" {
		t.Errorf("chain of sa:shop:app: %+v", g)
	}
	// Cluster-wide: the RoleBinding does not count.
	get.Namespace = ""
	if got := len(m.WhoCan(get)); got != 2 {
		t.Errorf("cluster-wide answers: %d, want auditor and system:masters", got)
	}
	// Any namespace: it does.
	if got := len(m.WhoCanAnyNamespace(get)); got != 4 {
		t.Errorf("any-namespace answers: %d, want 4", got)
	}
	// Another namespace: only the cluster-wide grant.
	get.Namespace = "other"
	if got := len(m.WhoCan(get)); got != 2 {
		t.Errorf("answers in other: %d, want 2", got)
	}
	if n := len(m.Grants()); n != 3 {
		t.Errorf("Grants: %d, want 3", n)
	}
	if n := len(m.Subjects()); n != 4 {
		t.Errorf("Subjects: %v", m.Subjects())
	}
}

func join(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += " "
		}
		out += x
	}
	return out
}

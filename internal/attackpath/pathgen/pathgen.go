// Package pathgen generates clusters for the attack-path tests and benchmarks: N
// pods in M namespaces with Pod Security labels, service accounts (some without
// automounted tokens), Services of every kind that exposes pods (NodePort,
// LoadBalancer, externalIPs, ClusterIP behind an Ingress; numeric and named target
// ports), host ports and host networking, privileged and host-sharing pods,
// NetworkPolicies (default deny, same namespace, other namespaces by label,
// ipBlock sources from the internet, egress limits), Roles and ClusterRoles holding
// every capability class the graph follows (and random rules), bindings to service
// accounts, users, groups and the service-account groups, and legacy token Secrets.
//
// A Spec is seeded: the same Spec always writes the same manifests. The package is
// test support (it imports nothing of Palisade): tests and tools/pathbench read the
// manifests through internal/source like any input.
package pathgen

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
)

// Spec describes a generated cluster.
type Spec struct {
	Namespaces, Pods, Policies, Roles, Bindings int
	Seed                                        uint64
}

// Large is the scale: 10,000 pods, 2,000 policies, 10,000 roles and 20,000
// bindings (in 500 namespaces).
var Large = Spec{Namespaces: 500, Pods: 10000, Policies: 2000, Roles: 10000, Bindings: 20000, Seed: 1}

// Small is a cluster every check can afford to look at exhaustively.
func Small(seed uint64) Spec {
	return Spec{Namespaces: 8, Pods: 120, Policies: 24, Roles: 80, Bindings: 140, Seed: seed}
}

func (s Spec) String() string {
	return fmt.Sprintf("pods=%d/ns=%d/policies=%d/roles=%d/bindings=%d", s.Pods, s.Namespaces, s.Policies, s.Roles, s.Bindings)
}

// YAML is the cluster as one multi-document manifest.
func (s Spec) YAML() string {
	var b strings.Builder
	b.Grow(s.Pods*700 + s.Roles*300 + s.Bindings*250)
	_ = s.WriteYAML(&b)
	return b.String()
}

// serviceAccounts per namespace: sa-0 .. sa-3 (sa-3 without an automounted token),
// besides "default".
const serviceAccounts = 4

var roles = []struct {
	name, tier, portName, proto string
	port                        int
}{
	{"web", "frontend", "http", "TCP", 8080},
	{"api", "backend", "https", "TCP", 8443},
	{"db", "data", "postgres", "TCP", 5432},
	{"cache", "data", "redis", "TCP", 6379},
	{"worker", "backend", "metrics", "TCP", 9090},
	{"gateway", "frontend", "grpc", "TCP", 9000},
	{"agent", "node", "agent", "TCP", 7070},
}

var psaLevels = []string{"restricted", "baseline", "privileged", ""}

// gen writes one cluster.
type gen struct {
	Spec
	r     *rand.Rand
	w     *bufio.Writer
	teams int
}

func (g *gen) printf(format string, a ...any) { fmt.Fprintf(g.w, format, a...) }

func (g *gen) ns(i int) string { return fmt.Sprintf("ns-%03d", i%g.Namespaces) }

// WriteYAML writes the cluster.
func (s Spec) WriteYAML(w io.Writer) error {
	if s.Namespaces < 1 {
		s.Namespaces = 1
	}
	g := &gen{Spec: s, r: rand.New(rand.NewPCG(s.Seed, 0x9a7e)), w: bufio.NewWriterSize(w, 1<<16), teams: max(2, s.Namespaces/10)}
	g.namespaces()
	g.workloads()
	g.policies()
	g.rbac()
	return g.w.Flush()
}

func (g *gen) namespaces() {
	envs := []string{"prod", "staging", "dev"}
	for i := range g.Namespaces {
		psa := psaLevels[i%len(psaLevels)]
		g.printf("---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: %s\n  labels:\n    team: team-%d\n    env: %s\n", g.ns(i), i%g.teams, envs[i%3])
		if psa != "" {
			g.printf("    pod-security.kubernetes.io/enforce: %s\n", psa)
		}
		for k := range serviceAccounts {
			g.printf("---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: sa-%d, namespace: %s}\n", k, g.ns(i))
			if k == serviceAccounts-1 {
				g.printf("automountServiceAccountToken: false\n")
			}
		}
		if i%3 == 1 {
			// A legacy token Secret of sa-1.
			g.printf("---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: sa-1-token\n  namespace: %s\n  annotations: {kubernetes.io/service-account.name: sa-1}\ntype: kubernetes.io/service-account-token\n", g.ns(i))
		}
		g.printf("---\napiVersion: v1\nkind: Secret\nmetadata: {name: db-credentials, namespace: %s}\ntype: Opaque\n", g.ns(i))
	}
}

func (g *gen) workloads() {
	for i := range g.Pods {
		ns := g.ns(i)
		role := roles[(i/g.Namespaces)%len(roles)]
		name := fmt.Sprintf("%s-%d", role.name, i)
		kind, api := "Deployment", "apps/v1"
		if role.name == "agent" {
			kind = "DaemonSet"
		}
		var spec strings.Builder
		sa := g.r.IntN(serviceAccounts + 1) // serviceAccounts: "default"
		if sa < serviceAccounts {
			fmt.Fprintf(&spec, "      serviceAccountName: sa-%d\n", sa)
		}
		if g.r.IntN(8) == 0 {
			spec.WriteString("      automountServiceAccountToken: false\n")
		}
		hostNetwork := g.r.IntN(60) == 0
		if hostNetwork {
			spec.WriteString("      hostNetwork: true\n")
		}
		if g.r.IntN(40) == 0 {
			spec.WriteString("      hostPID: true\n")
		}
		fmt.Fprintf(&spec, "      containers:\n      - name: main\n        image: registry.example.com/%s:1.0\n        ports:\n        - {name: %s, containerPort: %d, protocol: %s}\n", role.name, role.portName, role.port, role.proto)
		if g.r.IntN(50) == 0 {
			spec.WriteString("        - {name: direct, containerPort: 9443, hostPort: 30443}\n")
		}
		var sc []string
		if g.r.IntN(25) == 0 {
			sc = append(sc, "privileged: true")
		}
		if g.r.IntN(40) == 0 {
			sc = append(sc, "capabilities: {add: [SYS_ADMIN]}")
		}
		if g.r.IntN(30) == 0 {
			sc = append(sc, "capabilities: {add: [NET_ADMIN]}") // reaches into the node, does not take it
		}
		if len(sc) > 0 {
			fmt.Fprintf(&spec, "        securityContext: {%s}\n", sc[0])
		}
		switch g.r.IntN(40) {
		case 0:
			spec.WriteString("        volumeMounts: [{name: sock, mountPath: /var/run/docker.sock}]\n      volumes:\n      - name: sock\n        hostPath: {path: /var/run/docker.sock}\n")
		case 1:
			spec.WriteString("        volumeMounts: [{name: data, mountPath: /data}]\n      volumes:\n      - name: data\n        hostPath: {path: /srv/data}\n")
		}
		g.printf("---\napiVersion: %s\nkind: %s\nmetadata: {name: %s, namespace: %s}\nspec:\n  selector: {matchLabels: {app: %s}}\n  template:\n    metadata:\n      labels: {app: %s, role: %s, tier: %s, team: team-%d}\n    spec:\n%s",
			api, kind, name, ns, name, name, role.name, role.tier, (i%g.Namespaces)%g.teams, spec.String())
		g.service(i, ns, name, role.portName, role.port)
	}
}

// service exposes some of the pods, one way or another.
func (g *gen) service(i int, ns, app, portName string, port int) {
	target := fmt.Sprint(port)
	if g.r.IntN(2) == 0 {
		target = portName
	}
	head := fmt.Sprintf("---\napiVersion: v1\nkind: Service\nmetadata: {name: %s, namespace: %s}\nspec:\n  selector: {app: %s}\n  ports: [{port: 80, targetPort: %s}]\n", app, ns, app, target)
	switch g.r.IntN(12) {
	case 0:
		g.printf("%s  type: NodePort\n", head)
	case 1:
		g.printf("%s  type: LoadBalancer\n", head)
	case 2:
		g.printf("%s  externalIPs: [203.0.113.%d]\n", head, i%250+1)
	case 3, 4:
		g.printf("%s---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: %s, namespace: %s}\nspec:\n  rules:\n  - http:\n      paths:\n      - {path: /, pathType: Prefix, backend: {service: {name: %s, port: {number: 80}}}}\n", head, app, ns, app)
	case 5, 6, 7:
		g.printf("%s", head) // ClusterIP only
	}
}

func (g *gen) policies() {
	per, extra := g.Policies/g.Namespaces, g.Policies%g.Namespaces
	for i := range g.Namespaces {
		n := per
		if i < extra {
			n++
		}
		for k := range n {
			g.policy(i, k)
		}
	}
}

func (g *gen) policy(nsi, k int) {
	role := roles[g.r.IntN(len(roles))]
	other := roles[g.r.IntN(len(roles))]
	g.printf("---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p%d, namespace: %s}\nspec:\n", k, g.ns(nsi))
	switch (nsi + k) % 8 {
	case 0: // default deny ingress
		g.printf("  podSelector: {}\n  policyTypes: [Ingress]\n")
	case 1: // same namespace, by tier, on a named port
		g.printf("  podSelector: {matchLabels: {tier: %s}}\n  ingress:\n  - from:\n    - podSelector: {matchLabels: {tier: frontend}}\n    ports: [{port: %s}]\n", role.tier, role.portName)
	case 2: // pods of one team's namespaces
		g.printf("  podSelector: {matchLabels: {role: %s}}\n  ingress:\n  - from:\n    - namespaceSelector: {matchLabels: {team: team-%d}}\n      podSelector: {matchLabels: {role: %s}}\n    ports: [{port: %d, protocol: %s}]\n", role.name, g.r.IntN(g.teams), other.name, role.port, role.proto)
	case 3: // the internet on the serving port
		g.printf("  podSelector: {matchLabels: {role: %s}}\n  ingress:\n  - from:\n    - ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8]}\n    ports: [{port: %s}]\n", role.name, role.portName)
	case 4: // egress to data pods of some teams and the internet on 443
		g.printf("  podSelector: {matchLabels: {tier: %s}}\n  policyTypes: [Egress]\n  egress:\n  - to:\n    - namespaceSelector: {matchExpressions: [{key: team, operator: In, values: [team-%d, team-%d]}]}\n      podSelector: {matchLabels: {tier: data}}\n    ports: [{port: 5000, endPort: 6500}]\n  - to:\n    - ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16]}\n    ports: [{port: 443}]\n", role.tier, g.r.IntN(g.teams), g.r.IntN(g.teams))
	case 5: // a private range only
		g.printf("  podSelector: {matchLabels: {role: %s}}\n  ingress:\n  - from:\n    - ipBlock: {cidr: 10.%d.0.0/16}\n", role.name, g.r.IntN(256))
	case 6: // every namespace but dev
		g.printf("  podSelector: {matchLabels: {role: %s}}\n  policyTypes: [Ingress]\n  ingress:\n  - from:\n    - namespaceSelector: {matchExpressions: [{key: env, operator: NotIn, values: [dev]}]}\n", role.name)
	default: // deny everything in and out for one role
		g.printf("  podSelector: {matchLabels: {role: %s}}\n  policyTypes: [Ingress, Egress]\n", role.name)
	}
}

// special are the roles that hold each capability class the graph follows, by
// rules: the first ClusterRoles and, per namespace, the first Roles.
var special = []string{
	`- {apiGroups: ["*"], resources: ["*"], verbs: ["*"]}`,
	`- {apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles, roles], verbs: [escalate, create, update, patch]}`,
	`- {apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles, roles], verbs: [bind]}
- {apiGroups: [rbac.authorization.k8s.io], resources: [clusterrolebindings, rolebindings], verbs: [create]}`,
	`- {apiGroups: [""], resources: [users, groups, serviceaccounts], verbs: [impersonate]}`,
	`- {apiGroups: [""], resources: [nodes/proxy], verbs: [get, create]}`,
	`- {apiGroups: [certificates.k8s.io], resources: [certificatesigningrequests], verbs: [create]}
- {apiGroups: [certificates.k8s.io], resources: [certificatesigningrequests/approval], verbs: [update]}
- {apiGroups: [certificates.k8s.io], resources: [signers], verbs: [approve], resourceNames: [kubernetes.io/kube-apiserver-client]}`,
	`- {apiGroups: [""], resources: [secrets], verbs: [get, list]}`,
	`- {apiGroups: [""], resources: [pods], verbs: [create, get]}`,
	`- {apiGroups: [apps], resources: [deployments], verbs: [create, patch]}`,
	`- {apiGroups: [""], resources: [pods/exec, pods/attach], verbs: [create]}`,
	`- {apiGroups: [""], resources: [pods/ephemeralcontainers], verbs: [patch]}`,
	`- {apiGroups: [""], resources: [serviceaccounts/token], verbs: [create]}`,
	`- {apiGroups: [""], resources: [serviceaccounts], verbs: [impersonate], resourceNames: [sa-0]}`,
	`- {apiGroups: [""], resources: [secrets], verbs: [get], resourceNames: [db-credentials]}`,
}

var (
	verbs     = []string{"get", "list", "watch", "create", "update", "patch", "delete", "*", "escalate", "bind", "impersonate"}
	resources = []string{"pods", "pods/log", "pods/exec", "secrets", "configmaps", "services", "deployments", "nodes", "roles", "rolebindings",
		"jobs", "events", "serviceaccounts/token", "serviceaccounts", "users", "groups", "nodes/proxy", "certificatesigningrequests", "widgets"}
	groups = []string{"", "apps", "batch", "rbac.authorization.k8s.io", "certificates.k8s.io", "example.com"}
)

func pick(r *rand.Rand, l []string) string { return l[r.IntN(len(l))] }

func (g *gen) randomRules() string {
	var b strings.Builder
	for range 1 + g.r.IntN(3) {
		fmt.Fprintf(&b, "- {apiGroups: [%q], resources: [%q, %q], verbs: [%q, %q]}\n", pick(g.r, groups), pick(g.r, resources), pick(g.r, resources), pick(g.r, verbs), pick(g.r, verbs))
	}
	return b.String()
}

func (g *gen) rbac() {
	clusterRoles := max(g.Roles/10, len(special))
	for i := range clusterRoles {
		g.printf("---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: cr-%d}\nrules:\n", i)
		if i < len(special) {
			g.printf("%s\n", special[i])
		} else {
			g.printf("%s", g.randomRules())
		}
	}
	nsRoles := max(g.Roles-clusterRoles, 0)
	for i := range nsRoles {
		// Roles go round-robin over the namespaces: role-k is in ns(k); the first
		// len(special) of each namespace are the special ones (but every permission).
		g.printf("---\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: role-%d, namespace: %s}\nrules:\n", i, g.ns(i))
		if k := i / g.Namespaces; k >= 1 && k < len(special) {
			g.printf("%s\n", special[k])
		} else {
			g.printf("%s", g.randomRules())
		}
	}
	for i := range g.Bindings {
		n := g.ns(g.r.IntN(g.Namespaces))
		switch {
		case i%10 == 0:
			// ClusterRoleBindings: a special ClusterRole one time in 25 (else the whole
			// cluster is admin), to service accounts, users and groups.
			cr := len(special) + g.r.IntN(max(clusterRoles-len(special), 1))
			if g.r.IntN(25) == 0 || clusterRoles == len(special) {
				cr = g.r.IntN(len(special))
			}
			g.printf("---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: crb-%d}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cr-%d}\nsubjects:\n", i, min(cr, clusterRoles-1))
		case g.r.IntN(3) == 0:
			g.printf("---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: rb-%d, namespace: %s}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cr-%d}\nsubjects:\n", i, n, g.r.IntN(clusterRoles))
		default:
			if nsRoles == 0 {
				continue
			}
			k := g.r.IntN(nsRoles)
			n = g.ns(k)
			g.printf("---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: rb-%d, namespace: %s}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: role-%d}\nsubjects:\n", i, n, k)
		}
		for range 1 + g.r.IntN(2) {
			g.subject(n, i%10 == 0)
		}
	}
}

func (g *gen) subject(ns string, cluster bool) {
	switch x := g.r.IntN(20); {
	case x < 3:
		g.printf("- {kind: User, apiGroup: rbac.authorization.k8s.io, name: user-%d}\n", g.r.IntN(g.Bindings/8+1))
	case x < 4:
		g.printf("- {kind: Group, apiGroup: rbac.authorization.k8s.io, name: group-%d}\n", g.r.IntN(g.Bindings/40+1))
	case x < 5 && !cluster:
		g.printf("- {kind: Group, apiGroup: rbac.authorization.k8s.io, name: \"system:serviceaccounts:%s\"}\n", ns)
	default:
		sa := "default"
		if k := g.r.IntN(serviceAccounts + 1); k < serviceAccounts {
			sa = fmt.Sprintf("sa-%d", k)
		}
		if cluster {
			ns = g.ns(g.r.IntN(g.Namespaces))
		}
		g.printf("- {kind: ServiceAccount, name: %s, namespace: %s}\n", sa, ns)
	}
}

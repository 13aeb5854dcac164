package identity

// The role rules (PAL-301..323) judge what a role allows. These rules judge what a
// subject can do once every binding that names it, and every group it is in, is
// counted: the questions an attacker asks after stealing a token ("can this account
// read every secret?", "can it make itself cluster-admin?"). Each finding names the
// subject, where the capability holds (cluster-wide, or the namespaces), and the chains
// binding -> role -> rule behind it; PAL-345 reports the workloads whose pods carry
// such a token.
//
// The analysis is internal/rbac's (RiskAnalysis), with the RBAC authorizer's exact
// matching: a RoleBinding grants only in its namespace and never grants permissions on
// cluster-scoped resources; ClusterRole aggregation is computed; resourceNames never
// match requests without a name, so a rule narrowed to named objects only counts for
// the requests that carry a name (approving CSRs of a named signer).
//
// Severity follows reach: the rule's severity when the capability holds cluster-wide
// or in kube-system (where the controllers' tokens and the cluster's credentials
// live), its NamespacedSeverity when it holds in other namespaces only.
//
// These rules are opt-in in `palisade scan` (Rule.OptIn): they are what `palisade rbac
// risks` runs, and in a scan they would repeat, subject by subject, what the role rules
// already say. Grants of Kubernetes' bootstrap policy are left out unless PAL-330's
// bootstrapPolicy parameter is "report" (`palisade rbac risks --include-system`).

import (
	"fmt"
	"sort"
	"strings"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/rbac"
	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/workload"
)

const (
	catRBACRisk = "rbac-risk"
	// RiskParamRule and RiskParamBootstrap name the parameter that decides whether
	// grants of the bootstrap policy count ("skip" or "report").
	RiskParamRule      = "PAL-330"
	RiskParamBootstrap = "bootstrapPolicy"
	// WorkloadRiskRule reports workloads whose service account holds a risk.
	WorkloadRiskRule = "PAL-345"
)

// indexRBACRisks is the RBAC model of the input with its risk analysis
// (rbacRisks).
var indexRBACRisks = inventory.NewIndex("rbac-risks", rbacRiskKinds(), buildRBACRisks)

// riskRule is a subject-level rule: its class and its metadata.
type riskRule struct {
	meta  rules.Meta
	class rbac.RiskClass
	// namespaced is the severity when the capability holds only in namespaces other
	// than kube-system.
	namespaced finding.Severity
}

var riskRules []riskRule

func riskProbe(verb, group, resource string) rbac.Probe {
	res, sub, _ := strings.Cut(resource, "/")
	return rbac.Probe{Verb: verb, Group: group, Resource: res, Subresource: sub}
}

// probes is every verb on every resource of a group.
func riskProbes(verbs []string, group string, resources ...string) []rbac.Probe {
	var out []rbac.Probe
	for _, r := range resources {
		for _, v := range verbs {
			out = append(out, riskProbe(v, group, r))
		}
	}
	return out
}

var (
	// putVerbs write an object's content; writeVerbs (rbac.go) also delete.
	putVerbs = []string{"create", "update", "patch"}
	anyVerbs = []string{"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"}
)

// RiskClasses lists the capabilities of the subject-level rules, in rule order.
func RiskClasses() []rbac.RiskClass {
	out := make([]rbac.RiskClass, len(riskRules))
	for i, r := range riskRules {
		out[i] = r.class
	}
	return out
}

// RiskRuleIDs lists the subject-level RBAC rules, PAL-330..PAL-345.
func RiskRuleIDs() []string {
	var ids []string
	for _, r := range riskRules {
		ids = append(ids, r.meta.ID)
	}
	return append(ids, WorkloadRiskRule)
}

func addRisk(id, title string, sev, namespaced finding.Severity, rationale, remediation string, cis []string, class rbac.RiskClass, refs ...string) {
	class.ID = id
	riskRules = append(riskRules, riskRule{
		meta: rules.Meta{
			ID: id, Title: title, Severity: sev, Category: catRBACRisk,
			Rationale: rationale + riskNote, Remediation: remediation,
			References: append([]string{refRBAC, refRBACGood}, refs...),
			Frameworks: rbacFrameworks(cis...),
		},
		class: class, namespaced: namespaced,
	})
}

const riskNote = " Counted over every binding that names the subject and every group it is in, with the RBAC authorizer's semantics; reported on the subject's ServiceAccount object or on the binding that names it. Severity is lower when the capability holds only in namespaces other than kube-system. Run by `palisade rbac risks`; opt-in in `palisade scan`."

func init() {
	addRisk("PAL-330", "Subject holds every permission", critical, high,
		"A subject allowed every verb on every resource of every API group is cluster-admin (or, through RoleBindings, the administrator of those namespaces): one stolen token of it owns the cluster, its secrets and its nodes.",
		"Bind cluster-admin only to a break-glass group of people; give workloads and automation roles that list the resources and verbs they use.",
		[]string{"5.1.1"},
		rbac.RiskClass{Needs: []rbac.Need{{Name: "every verb on every resource", Any: []rbac.Probe{riskProbe("*", "*", "*")}}}})
	addRisk("PAL-331", "Subject can escalate through role edits", critical, high,
		"escalate together with create or update on roles (or clusterroles) lets the subject write a role with any permission, including ones it does not hold, bypassing RBAC's privilege-escalation prevention: with clusterroles it reaches cluster-admin, with roles the administration of the namespace.",
		"Remove the escalate verb; let administrators or the deployment pipeline manage roles.",
		[]string{"5.1.8"},
		rbac.RiskClass{
			Needs: []rbac.Need{
				{Name: "escalate roles", Any: []rbac.Probe{riskProbe("escalate", rbacGroup, "roles")}},
				{Name: "write roles", Any: riskProbes(putVerbs, rbacGroup, "roles")},
				{Name: "escalate clusterroles", Cluster: true, Any: []rbac.Probe{riskProbe("escalate", rbacGroup, "clusterroles")}},
				{Name: "write clusterroles", Cluster: true, Any: riskProbes(putVerbs, rbacGroup, "clusterroles")},
			},
			Paths: [][]int{{0, 1}, {2, 3}},
		},
		"https://kubernetes.io/docs/reference/access-authn-authz/rbac/#privilege-escalation-prevention-and-bootstrapping")
	addRisk("PAL-332", "Subject can bind any role", critical, high,
		"bind on roles or clusterroles together with write access to bindings lets the subject bind a role it does not hold, such as cluster-admin, to itself: a ClusterRoleBinding makes it cluster-admin, a RoleBinding gives it every permission in that namespace.",
		"Remove the bind verb, or restrict it with resourceNames to roles that grant no more than the subject already holds; keep binding writes with the deployment pipeline.",
		[]string{"5.1.8"},
		rbac.RiskClass{
			Needs: []rbac.Need{
				{Name: "bind roles or clusterroles in a namespace", Any: []rbac.Probe{riskProbe("bind", rbacGroup, "roles"), riskProbe("bind", rbacGroup, "clusterroles")}},
				{Name: "write rolebindings", Any: riskProbes(putVerbs, rbacGroup, "rolebindings")},
				{Name: "bind clusterroles", Cluster: true, Any: []rbac.Probe{riskProbe("bind", rbacGroup, "clusterroles")}},
				{Name: "write clusterrolebindings", Cluster: true, Any: riskProbes(putVerbs, rbacGroup, "clusterrolebindings")},
			},
			Paths: [][]int{{0, 1}, {2, 3}},
		},
		"https://kubernetes.io/docs/reference/access-authn-authz/rbac/#restrictions-on-role-binding-creation-or-update")
	addRisk("PAL-333", "Subject can impersonate other identities", critical, high,
		"impersonate lets the subject send requests as another user, group or service account and get its permissions: impersonating the system:masters group or a controller's account is cluster-admin. A RoleBinding can only grant impersonation of its namespace's service accounts.",
		"Remove the impersonate verb; where an impersonating proxy needs it, restrict it with resourceNames to the identities it serves.",
		[]string{"5.1.8"},
		rbac.RiskClass{Needs: []rbac.Need{
			{Name: "impersonate users", Cluster: true, Any: []rbac.Probe{riskProbe("impersonate", "", "users")}},
			{Name: "impersonate groups", Cluster: true, Any: []rbac.Probe{riskProbe("impersonate", "", "groups")}},
			{Name: "impersonate serviceaccounts", Any: []rbac.Probe{riskProbe("impersonate", "", "serviceaccounts")}},
			{Name: "impersonate uids", Cluster: true, Any: []rbac.Probe{riskProbe("impersonate", "authentication.k8s.io", "uids")}},
			{Name: "impersonate user extras", Cluster: true, Any: []rbac.Probe{riskProbe("impersonate", "authentication.k8s.io", "userextras/scopes")}},
		}},
		"https://kubernetes.io/docs/reference/access-authn-authz/authentication/#user-impersonation")
	addRisk("PAL-334", "Subject can read secrets", critical, medium,
		"get, list or watch on secrets returns their values: service account tokens, TLS keys, registry and database credentials. Cluster-wide (or in kube-system) that includes the credentials of the controllers and of every application. Rules narrowed to named secrets are the least-privilege form and do not count.",
		"Narrow the grant to the secrets the subject needs (resourceNames, get only), in its own namespace; mount secrets into pods instead of reading them through the API.",
		[]string{"5.1.2"},
		rbac.RiskClass{Needs: []rbac.Need{
			{Name: "get secrets", Any: []rbac.Probe{riskProbe("get", "", "secrets")}},
			{Name: "list secrets", Any: []rbac.Probe{riskProbe("list", "", "secrets")}},
			{Name: "watch secrets", Any: []rbac.Probe{riskProbe("watch", "", "secrets")}},
		}})
	addRisk("PAL-335", "Subject can create pods or pod controllers", high, medium,
		"Creating a pod, or a controller that creates pods (or changing a controller's pod template), runs code as any service account of the namespace and mounts any of its secrets and config maps; where Pod Security admission allows it, the pod can also reach the node.",
		"Give workload writes to the deployment pipeline and to operators that need them, in namespaces that enforce Pod Security restricted.",
		[]string{"5.1.4"},
		rbac.RiskClass{Needs: []rbac.Need{
			{Name: "create pods", Any: []rbac.Probe{riskProbe("create", "", "pods")}},
			{Name: "write pod controllers", Any: append(append(append(
				riskProbes(putVerbs, "apps", "deployments", "daemonsets", "statefulsets", "replicasets"),
				riskProbes(putVerbs, "batch", "jobs", "cronjobs")...),
				riskProbes(putVerbs, "", "replicationcontrollers")...),
				riskProbes(putVerbs, "", "podtemplates")...)},
		}})
	addRisk("PAL-336", "Subject can exec into, attach to or debug pods", high, medium,
		"pods/exec and pods/attach run commands in (or take over the terminal of) running containers, with their service account tokens, mounted secrets and host access; pods/portforward reaches ports the pods do not expose; ephemeral containers add a debugging container of the caller's choice to a running pod. WebSocket connections are authorized as get, so get counts too.",
		"Remove these subresources from the roles of workloads and automation; grant them to people through a separate, audited role, in the namespaces they operate.",
		nil,
		rbac.RiskClass{Needs: []rbac.Need{
			{Name: "exec into pods", Any: riskProbes([]string{"create", "get"}, "", "pods/exec")},
			{Name: "attach to pods", Any: riskProbes([]string{"create", "get"}, "", "pods/attach")},
			{Name: "port-forward to pods", Any: riskProbes([]string{"create", "get"}, "", "pods/portforward")},
			{Name: "add ephemeral containers", Any: riskProbes([]string{"update", "patch"}, "", "pods/ephemeralcontainers")},
		}})
	addRisk("PAL-337", "Subject can reach the kubelet API through nodes/proxy", critical, critical,
		"Any verb on nodes/proxy reaches the kubelet of every node through the API server; the kubelet authorizes its exec and run endpoints from the HTTP method, so even get runs commands in every container on the node, and those requests are not audited as pods/exec.",
		"Remove nodes/proxy; monitoring agents read metrics through nodes/metrics or the kubelet's read-only endpoints.",
		[]string{"5.1.10"},
		rbac.RiskClass{Needs: []rbac.Need{{Name: "nodes/proxy", Cluster: true, Any: riskProbes(anyVerbs, "", "nodes/proxy")}}},
		"https://kubernetes.io/docs/reference/access-authn-authz/kubelet-authn-authz/")
	addRisk("PAL-338", "Subject can create service account tokens", high, medium,
		"create on serviceaccounts/token issues tokens for the service accounts the subject can name, so it acts with their permissions.",
		"Remove the permission, or restrict it with resourceNames to accounts with no more privilege than the subject.",
		[]string{"5.1.13"},
		rbac.RiskClass{Needs: []rbac.Need{{Name: "create serviceaccounts/token", Any: []rbac.Probe{riskProbe("create", "", "serviceaccounts/token")}}}},
		"https://kubernetes.io/docs/reference/access-authn-authz/service-accounts-admin/")
	addRisk("PAL-339", "Subject can create and approve certificate signing requests", critical, critical,
		"Creating a CertificateSigningRequest, approving it (update on certificatesigningrequests/approval) and holding approve on the kube-apiserver-client signer gives the subject a client certificate for any user or group it writes into the request, system:masters included.",
		"Leave CSR approval to the controller manager and to administrators; restrict approve on signers to the signers the subject is responsible for.",
		[]string{"5.1.11"},
		rbac.RiskClass{
			Needs: []rbac.Need{
				{Name: "create certificatesigningrequests", Cluster: true, Any: []rbac.Probe{riskProbe("create", "certificates.k8s.io", "certificatesigningrequests")}},
				{Name: "approve certificatesigningrequests", Cluster: true, Any: riskProbes([]string{"update", "patch"}, "certificates.k8s.io", "certificatesigningrequests/approval")},
				{Name: "approve for the kube-apiserver-client signer", Cluster: true, Any: []rbac.Probe{
					{Verb: "approve", Group: "certificates.k8s.io", Resource: "signers", Name: "kubernetes.io/kube-apiserver-client"},
					{Verb: "approve", Group: "certificates.k8s.io", Resource: "signers", Name: "kubernetes.io/*"},
				}},
			},
			Paths: [][]int{{0, 1, 2}},
		},
		"https://kubernetes.io/docs/reference/access-authn-authz/certificate-signing-requests/")
	addRisk("PAL-340", "Subject can change admission control", high, high,
		"Writing webhook configurations or admission policies lets the subject switch off the checks that enforce policy, or register a webhook that receives, and can rewrite, every object sent to the API server, secrets included. Rules narrowed to named configurations cannot create new ones and do not count.",
		"Manage admission configuration from the deployment pipeline; a controller patching its own caBundle needs update and patch on its named configuration only.",
		[]string{"5.1.12"},
		rbac.RiskClass{Needs: []rbac.Need{{Name: "write admission configuration", Cluster: true, Any: riskProbes(writeVerbs, "admissionregistration.k8s.io",
			"validatingwebhookconfigurations", "mutatingwebhookconfigurations", "validatingadmissionpolicies", "validatingadmissionpolicybindings",
			"mutatingadmissionpolicies", "mutatingadmissionpolicybindings")}}},
		"https://kubernetes.io/docs/reference/access-authn-authz/extensible-admission-controllers/")
	addRisk("PAL-341", "Subject can write RBAC objects", high, medium,
		"Writing roles and bindings lets the subject hand the permissions it holds to any identity, remove the bindings others rely on, and, with escalate or bind (PAL-331, PAL-332), grant itself more.",
		"Manage RBAC objects from the deployment pipeline; operators that must create bindings should bind only fixed roles (bind with resourceNames).",
		[]string{"5.1.8"},
		rbac.RiskClass{Needs: []rbac.Need{
			{Name: "write roles or rolebindings", Any: riskProbes(writeVerbs, rbacGroup, "roles", "rolebindings")},
			{Name: "write clusterroles or clusterrolebindings", Cluster: true, Any: riskProbes(writeVerbs, rbacGroup, "clusterroles", "clusterrolebindings")},
		}})
	addRisk("PAL-342", "Subject can create PersistentVolumes", high, high,
		"A PersistentVolume can point at a hostPath or at any storage backend; creating one and claiming it mounts node directories or another tenant's data into a pod, past Pod Security admission's hostPath restriction.",
		"Let StorageClasses provision volumes; keep PersistentVolume creation for administrators.",
		[]string{"5.1.9"},
		rbac.RiskClass{Needs: []rbac.Need{{Name: "create persistentvolumes", Cluster: true, Any: []rbac.Probe{riskProbe("create", "", "persistentvolumes")}}}},
		"https://kubernetes.io/docs/concepts/storage/persistent-volumes/")
	addRisk("PAL-343", "Subject can modify nodes", high, high,
		"Patching or updating nodes changes their labels and taints, which decide where pods are scheduled: the subject can draw sensitive workloads onto a node it controls, or mark nodes unschedulable.",
		"Leave node writes to the kubelets (NodeRestriction) and to administrators.",
		nil,
		rbac.RiskClass{Needs: []rbac.Need{{Name: "patch or update nodes", Cluster: true, Any: riskProbes([]string{"update", "patch"}, "", "nodes")}}})
	addRisk("PAL-344", "Subject can delete events", medium, low,
		"Deleting events removes the record of what happened in a namespace (failed logins to workloads, pods created and killed), helping an intruder cover its tracks.",
		"Remove delete on events; events expire by themselves.",
		nil,
		rbac.RiskClass{Needs: []rbac.Need{{Name: "delete events", Any: append(
			riskProbes([]string{"delete", "deletecollection"}, "", "events"),
			riskProbes([]string{"delete", "deletecollection"}, "events.k8s.io", "events")...)}}})

	kinds := append([]string{"ServiceAccount"}, bindingKinds...)
	for i := range riskRules {
		rr := &riskRules[i]
		if rr.meta.ID == RiskParamRule {
			rr.meta.Params = []rules.Param{{Name: RiskParamBootstrap,
				Description: `"skip" leaves out the grants of Kubernetes' bootstrap policy (bindings labelled kubernetes.io/bootstrapping=rbac-defaults: the control plane's own components) in every subject-level RBAC rule, PAL-330..PAL-345; "report" counts them.`,
				Default:     "skip", Values: []string{"skip", "report"}}}
		}
		rules.Register(&rules.Rule{Meta: rr.meta, Kinds: kinds, Needs: []inventory.AnyIndex{indexRBACRisks}, OptIn: true, Targets: rules.Scan | rules.RBACRisks, Object: checkRisks(rr)})
	}
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: WorkloadRiskRule, Title: "Workload runs as a service account with dangerous RBAC permissions", Severity: critical, Category: catRBACRisk,
			Rationale:   "A workload's pods carry its service account's token. Whoever compromises one of its containers (a remote code execution, a malicious dependency) holds every permission of that account, including those of the groups it is in. This rule reports the pods that would hand an attacker one of the capabilities of PAL-330..PAL-344; its severity is the highest of theirs." + riskNote,
			Remediation: "Run the workload as a service account of its own that holds only what the application calls, or set automountServiceAccountToken: false when it does not call the API.",
			References:  []string{refRBACGood, "https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/"},
			Frameworks:  rbacFrameworks("5.1.5", "5.1.6"),
		},
		Needs: []inventory.AnyIndex{indexRBACRisks}, OptIn: true, Targets: rules.Scan | rules.RBACRisks, Deferred: true,
		Workload: checkWorkloadRisks,
	})
}

// rbacRiskKinds are the kinds whose bodies the analysis reads: RBAC objects and
// service accounts. What it needs of objects that run pods (service account, token)
// the engine records while their bodies are decoded (workload.PodIdentityFact),
// with the configured pod template paths.
func rbacRiskKinds() []string {
	return append(append([]string{"ServiceAccount"}, roleKinds...), bindingKinds...)
}

// anchored is a risk and where it is reported.
type anchored struct {
	risk rbac.Risk
	path string
}

// rbacRisks is the index: the analysis, and the subject risks by the object they are
// reported on.
type rbacRisks struct {
	analysis *rbac.RiskAnalysis
	byObject map[*inventory.Object][]anchored
	// bySA caches each service account's risks for PAL-345.
	bySA map[rbac.Subject][]rbac.Risk
	// tokens says whether each workload's pods get a token, by KIND/NS/NAME.
	tokens map[string]bool
	// admin is where each subject holds every permission (PAL-330), which implies
	// every other class there.
	admin map[rbac.Subject]rbac.Reach
}

func objectKey(kind, ns, name string) string { return kind + "/" + ns + "/" + name }

func buildRBACRisks(inv *inventory.Inventory) *rbacRisks {
	m, _, err := rbac.Build(inv.Objects, rbac.Options{})
	if err != nil {
		return &rbacRisks{}
	}
	a := m.AnalyzeRisks(RiskClasses())
	idx := &rbacRisks{analysis: a, byObject: map[*inventory.Object][]anchored{}, bySA: map[rbac.Subject][]rbac.Risk{}, tokens: map[string]bool{}, admin: map[rbac.Subject]rbac.Reach{}}
	objs := map[string]*inventory.Object{}
	for _, o := range inv.Objects {
		switch o.Ref.Kind {
		case "ServiceAccount", "RoleBinding", "ClusterRoleBinding":
			objs[objectKey(o.Ref.Kind, o.Ref.Namespace, o.Ref.Name)] = o
		}
	}
	for _, rk := range a.Risks() {
		if rk.Class == RiskParamRule {
			idx.admin[rk.Subject] = rk.Reach
		}
		g, ok := rk.OwnGrant()
		if !ok {
			continue // Risks lists only risks its subject's own bindings are part of
		}
		if g.Default {
			// Point at a binding of the input rather than at the bootstrap policy.
			for _, x := range rk.Grants {
				if !x.Default && x.Subject == g.Subject {
					g = x
					break
				}
			}
		}
		if rk.Subject.Kind == rbac.KindServiceAccount {
			if o := objs[objectKey("ServiceAccount", rk.Subject.Namespace, rk.Subject.Name)]; o != nil {
				idx.byObject[o] = append(idx.byObject[o], anchored{risk: rk, path: "metadata.name"})
				continue
			}
		}
		if o := objs[objectKey(g.Binding.Kind, g.Binding.Namespace, g.Binding.Name)]; o != nil {
			idx.byObject[o] = append(idx.byObject[o], anchored{risk: rk, path: fmt.Sprintf("subjects[%d]", g.SubjectIndex)})
		}
	}
	for _, sa := range a.ServiceAccountsWithWorkloads() {
		idx.bySA[sa] = a.Holds(sa)
		for _, w := range a.Workloads(sa) {
			idx.tokens[objectKey(w.Kind, w.Namespace, w.Name)] = w.Token
		}
	}
	return idx
}

func rbacRisksOf(inv *inventory.Inventory) *rbacRisks {
	if inv == nil {
		return nil
	}
	r := inventory.Get(inv, indexRBACRisks)
	return r
}

// reportBootstrap reports whether grants of the bootstrap policy count.
func reportBootstrap(p *rules.Pass) bool {
	v := p.StringsOf(RiskParamRule, RiskParamBootstrap)
	return len(v) > 0 && v[0] == "report"
}

// severityOf is the rule's severity for a risk's reach: the rule's own (possibly
// configured) severity cluster-wide or in kube-system, else lowered as the rule's
// namespaced severity is below its default.
func severityOf(p *rules.Pass, rr *riskRule, r rbac.Reach) finding.Severity {
	sev := p.Rule.Severity
	if r.ClusterWide || r.Includes("kube-system") {
		return sev
	}
	sev -= rr.meta.Severity - rr.namespaced
	if sev < finding.Low {
		sev = finding.Low
	}
	return sev
}

func checkRisks(rr *riskRule) func(p *rules.Pass, o *inventory.Object) {
	return func(p *rules.Pass, o *inventory.Object) {
		idx := rbacRisksOf(p.Inventory)
		if idx == nil {
			return
		}
		withDefaults := reportBootstrap(p)
		for _, an := range idx.byObject[o] {
			rk := an.risk
			if rk.Class != rr.meta.ID || (rk.Default && !withDefaults) || idx.impliedByAdmin(p, rk) {
				continue
			}
			grants := rk.Grants
			if !withDefaults {
				grants = nonDefault(grants)
			}
			p.ReportSeverity(severityOf(p, rr, rk.Reach), an.path, "", "%s %s %s (%s). %s%s",
				riskSubjectText(rk.Subject), rr.phrase(), rk.Reach.Text(), strings.Join(rk.Held, "; "),
				chainsText(rk.Subject, grants), workloadsText(idx.analysis.Workloads(rk.Subject)))
		}
	}
}

// impliedByAdmin reports whether PAL-330 runs and reports the risk's subject as
// holding every permission wherever the risk holds: its finding says it all.
func (idx *rbacRisks) impliedByAdmin(p *rules.Pass, rk rbac.Risk) bool {
	if rk.Class == RiskParamRule || p.Enabled == nil || !p.Enabled(RiskParamRule) {
		return false
	}
	ar, ok := idx.admin[rk.Subject]
	return ok && covers(ar, rk.Reach)
}

// covers reports whether reach a includes all of reach b.
func covers(a, b rbac.Reach) bool {
	if a.ClusterWide {
		return true
	}
	if b.ClusterWide {
		return false
	}
	for _, ns := range b.Namespaces {
		if !a.Includes(ns) {
			return false
		}
	}
	return true
}

func nonDefault(gs []rbac.Grant) []rbac.Grant {
	var out []rbac.Grant
	for _, g := range gs {
		if !g.Default {
			out = append(out, g)
		}
	}
	return out
}

func riskSubjectText(s rbac.Subject) string {
	switch s.Kind {
	case rbac.KindServiceAccount:
		return "ServiceAccount " + s.Namespace + "/" + s.Name
	case rbac.KindGroup:
		switch s.Name {
		case rbac.GroupAuthenticated:
			return "Group system:authenticated (every authenticated user and service account)"
		case rbac.GroupUnauthenticated:
			return "Group system:unauthenticated (anonymous requests)"
		case rbac.GroupServiceAccounts:
			return "Group system:serviceaccounts (every service account)"
		}
	}
	return s.Kind + " " + s.Name
}

const maxChainsText = 3

// chainsText lists the chains behind a risk, the first few in full.
func chainsText(s rbac.Subject, gs []rbac.Grant) string {
	if len(gs) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("Through ")
	for i, g := range gs {
		if i == maxChainsText {
			fmt.Fprintf(&b, "; and %d more (palisade rbac can %s lists them)", len(gs)-i, s)
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		if g.Subject.Kind == rbac.KindGroup && g.Subject != s {
			b.WriteString("as a member of group " + g.Subject.Name + ": ")
		}
		b.WriteString(rbac.ChainText(g))
	}
	b.WriteString(".")
	return b.String()
}

const maxWorkloadsText = 5

// workloadsText names the workloads whose pods hold a token of the subject.
func workloadsText(ws []rbac.WorkloadRef) string {
	var names []string
	for _, w := range ws {
		if w.Token {
			names = append(names, w.Kind+" "+w.Namespace+"/"+w.Name)
		}
	}
	switch {
	case len(names) == 0:
		return ""
	case len(names) > maxWorkloadsText:
		return fmt.Sprintf(" The pods of %s and %d more workloads run with its token.", strings.Join(names[:maxWorkloadsText], ", "), len(names)-maxWorkloadsText)
	}
	return " The pods of " + strings.Join(names, ", ") + " run with its token."
}

// checkWorkloadRisks reports, during the parse, that the workload's pods carry its
// service account's token; once the risk analysis exists the finding is settled: it
// stands, with the capabilities and their worst severity, when the token carries one.
// So workload bodies need not be kept for it.
func checkWorkloadRisks(p *rules.Pass, w *workload.Workload) {
	o := w.Object
	saName := w.Spec.ServiceAccountName
	if saName == "" {
		saName = w.Spec.DeprecatedServiceAccount
	}
	if saName == "" {
		saName = "default"
	}
	sa := rbac.Subject{Kind: rbac.KindServiceAccount, Namespace: o.Ref.Namespace, Name: saName}
	key := objectKey(o.Ref.Kind, o.Ref.Namespace, o.Ref.Name)
	withDefaults := reportBootstrap(p)
	configured := p.Rule.Severity
	p.ReportSettled(func(inv *inventory.Inventory, f *finding.Finding) bool {
		idx := rbacRisksOf(inv)
		if idx == nil || !idx.tokens[key] {
			return false // no token in its pods (or not a workload the analysis read)
		}
		text, worst := workloadRisksText(idx.bySA[sa], withDefaults)
		if text == "" {
			return false
		}
		worst -= critical - configured
		if worst < finding.Low {
			worst = finding.Low
		}
		f.Severity = worst
		f.Message += fmt.Sprintf(", which %s. A compromised container holds these permissions (palisade rbac can %s shows the chains).", text, sa)
		return true
	}, w.SpecField("serviceAccountName"), "", "pods run with the token of ServiceAccount %s/%s", sa.Namespace, sa.Name)
}

// workloadRisksText lists what a service account's token can do and the worst
// severity of those capabilities; a subject holding every permission is said so once.
func workloadRisksText(risks []rbac.Risk, withDefaults bool) (string, finding.Severity) {
	var admin *rbac.Reach
	for _, rk := range risks {
		if rk.Class == RiskParamRule && !(rk.Default && !withDefaults) {
			admin = &rk.Reach
		}
	}
	var parts []string
	worst := finding.Severity(-1)
	for _, rk := range risks {
		if (rk.Default && !withDefaults) || (rk.Class != RiskParamRule && admin != nil && covers(*admin, rk.Reach)) {
			continue
		}
		rr := riskRuleOf(rk.Class)
		if rr == nil {
			continue
		}
		sev := rr.meta.Severity
		if !rk.Reach.ClusterWide && !rk.Reach.Includes("kube-system") {
			sev = rr.namespaced
		}
		worst = max(worst, sev)
		parts = append(parts, fmt.Sprintf("%s %s (%s)", rr.phrase(), rk.Reach.Text(), rr.meta.ID))
	}
	sort.Strings(parts)
	return strings.Join(parts, "; "), worst
}

// phrase is the rule's title as a predicate: "can read secrets", "holds every
// permission".
func (rr *riskRule) phrase() string {
	return strings.TrimPrefix(rr.meta.Title, "Subject ")
}

func riskRuleOf(id string) *riskRule {
	for i := range riskRules {
		if riskRules[i].meta.ID == id {
			return &riskRules[i]
		}
	}
	return nil
}

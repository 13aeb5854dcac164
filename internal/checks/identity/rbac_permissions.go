package identity

// Some permissions are worth more than their names suggest: each of them lets the
// holder become someone more privileged (a pod's service account, a node, a user it
// impersonates, a role it binds) or see what protects the cluster (secrets). Each class
// is one rule. A class is reported when a policy rule names the resource ("secrets",
// "pods/exec", or "*/exec"); a grant through a resources wildcard is reported by the
// wildcard rules, whose message lists the classes it implies. See rbac.go for the
// matching semantics.
//
// resourceNames: a secrets-read rule narrowed by resourceNames is the recommended
// least-privilege form (a controller reading its own secret) and is not reported; so
// is a webhook-configuration write narrowed to named configurations (a controller
// patching the caBundle of its own webhook). For the other classes a name restriction does not remove the risk (escalate on one role
// still lets its holder put any permission in it; impersonating one service account or
// exec into one pod is still a privilege change), so they are reported with the names
// in the message. Creating a PersistentVolume or a workload cannot be narrowed by
// name at all: such a rule does not allow create and is not reported.

import (
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/rules"
)

func registerClass(id, title string, sev finding.Severity, rationale, remediation string, cis []string, refs ...string) {
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: id, Title: title, Severity: sev, Category: catRBAC,
			Rationale: rationale + rbacScopeNote, Remediation: remediation,
			References: append([]string{refRBAC, refRBACGood}, refs...),
			Frameworks: rbacFrameworks(cis...),
		},
		Kinds:  roleKinds,
		Object: classRule(id),
	})
}

func init() {
	registerClass("PAL-311", "Role grants read access to secrets", high,
		"get, list or watch on secrets returns their decoded contents: service account tokens, TLS keys, registry and database credentials. list and watch return every secret of the namespace (of all namespaces for a ClusterRole bound cluster-wide). A rule narrowed by resourceNames is the least-privilege form and is not reported.",
		"Restrict the rule to the named secrets the subject needs (resourceNames), or mount the secret into the pod instead of reading it through the API.",
		[]string{"5.1.2"})
	registerClass("PAL-312", "Role grants the escalate verb", high,
		"escalate on roles or clusterroles lets the holder create or edit a role with permissions it does not have itself, bypassing RBAC's privilege-escalation prevention; with a binding to that role it can grant itself anything.",
		"Remove the escalate verb; let an administrator create roles with the needed permissions.",
		[]string{"5.1.8"}, "https://kubernetes.io/docs/reference/access-authn-authz/rbac/#privilege-escalation-prevention-and-bootstrapping")
	registerClass("PAL-313", "Role grants the bind verb", high,
		"bind on roles or clusterroles lets the holder bind roles whose permissions it does not have, for example cluster-admin to itself; it bypasses RBAC's privilege-escalation prevention.",
		"Remove the bind verb. Where delegation is intended, restrict it with resourceNames to roles that grant no more than the holder already has, and suppress the finding with the reason.",
		[]string{"5.1.8"}, "https://kubernetes.io/docs/reference/access-authn-authz/rbac/#restrictions-on-role-binding-creation-or-update")
	registerClass("PAL-314", "Role grants impersonation", high,
		"impersonate on users, groups, service accounts or uids lets the holder act as another identity: impersonating a privileged user, the system:masters group or a controller's service account yields their permissions. A Role can only grant impersonation of its namespace's service accounts; users, groups and uids need a ClusterRole.",
		"Remove the impersonate verb. Where an impersonating proxy needs it, run the proxy with its own service account and suppress the finding with the reason; resourceNames can limit the identities it may assume.",
		[]string{"5.1.8"}, "https://kubernetes.io/docs/reference/access-authn-authz/authentication/#user-impersonation")
	registerClass("PAL-315", "Role grants exec into pods", high,
		"create on pods/exec runs commands in any container the holder can name, with that container's service account token, mounted secrets and host access; exec over WebSocket is a GET request, which API servers have authorized as get (recent versions also require create), so get is reported too.",
		"Remove pods/exec from roles of workloads and automation; grant it to people through a separate, audited role.",
		nil)
	registerClass("PAL-316", "Role grants attach to pods", medium,
		"create (or get, on the WebSocket path) on pods/attach connects to the standard input and output of a running container, which for shells and interactive processes is as good as exec.",
		"Remove pods/attach from the role unless people need it interactively.",
		nil)
	registerClass("PAL-317", "Role grants access to nodes/proxy", high,
		"nodes/proxy reaches the kubelet API of every node through the API server: with it the holder can list pods, read logs and, through the kubelet's exec and run endpoints, run commands in any container on the node, whatever the verb granted, and such requests are not audited as pods/exec. It only has effect in a ClusterRole.",
		"Remove nodes/proxy; monitoring agents should read /metrics through nodes/metrics or the kubelet's read-only endpoints.",
		[]string{"5.1.10"}, "https://kubernetes.io/docs/reference/access-authn-authz/kubelet-authn-authz/")
	registerClass("PAL-318", "Role grants service account token creation", high,
		"create on serviceaccounts/token issues tokens for service accounts, so the holder acts with the permissions of any service account it can name.",
		"Remove the permission; where a controller must mint tokens, restrict it with resourceNames to service accounts with no more privilege than the controller, and suppress the finding with the reason.",
		[]string{"5.1.13"}, "https://kubernetes.io/docs/reference/access-authn-authz/service-accounts-admin/")
	registerClass("PAL-319", "Role grants certificate signing request approval", high,
		"update on certificatesigningrequests/approval together with approve on signers lets the holder approve its own certificate requests; with the kube-apiserver-client signer that is a client certificate for any user or group, including system:masters. Either half is reported. It only has effect in a ClusterRole.",
		"Leave CSR approval to the controller manager and to administrators; restrict any signers approve to the signers the holder is responsible for (resourceNames).",
		[]string{"5.1.11"}, "https://kubernetes.io/docs/reference/access-authn-authz/certificate-signing-requests/")
	registerClass("PAL-320", "Role grants writes to admission webhook configurations", high,
		"Writing validating or mutating webhook configurations lets the holder disable the admission controls that enforce policy, or register a webhook that receives, and may rewrite, every object sent to the API server, secrets included. A rule narrowed by resourceNames to named configurations cannot create new ones and is not reported. It only has effect in a ClusterRole.",
		"Manage webhook configurations from the deployment pipeline; if a controller must patch its own caBundle, restrict the rule to update and patch of its own configurations with resourceNames (such a rule is not reported).",
		[]string{"5.1.12"}, "https://kubernetes.io/docs/reference/access-authn-authz/extensible-admission-controllers/")
	registerClass("PAL-321", "Role grants PersistentVolume creation", medium,
		"A PersistentVolume can point at a hostPath or any storage backend; creating one and claiming it mounts node directories or other tenants' data into a pod, bypassing Pod Security admission's hostPath restriction. It only has effect in a ClusterRole.",
		"Let a StorageClass provision volumes dynamically; reserve PersistentVolume creation for administrators.",
		[]string{"5.1.9"}, "https://kubernetes.io/docs/concepts/storage/persistent-volumes/")
	registerClass("PAL-322", "Role grants pod creation or pod template writes", medium,
		"Creating pods, or creating or changing (update, patch) workloads that create pods (deployments, daemonsets, statefulsets, replicasets, replication controllers, cronjobs; "+
			"a Job's template cannot change, so only creating one counts), runs code of the holder's choice as any service account of the namespace and reads any secret or config map it can mount; "+
			"updating a running pod (its container images are mutable) or adding an ephemeral container to it (pods/ephemeralcontainers) runs code with that pod's account and mounts. "+
			"Without restrictive Pod Security admission it can also reach the node.",
		"Grant workload writes only to the deployment pipeline and to operators that need them, in namespaces that enforce Pod Security restricted.",
		[]string{"5.1.4"})
	registerClass("PAL-323", "Role grants write access to secrets", high,
		"create on secrets mints service account tokens: a Secret of type kubernetes.io/service-account-token annotated with kubernetes.io/service-account.name is filled by the token controller "+
			"with a long-lived token of that account, so the holder acts with the permissions of any service account of the namespace (in kube-system, those of the controllers). "+
			"update and patch overwrite the credentials workloads and controllers trust (TLS keys, registry credentials, webhook certificates), and their responses return the whole secret, so they read it as well. "+
			"A rule narrowed by resourceNames (a controller maintaining its own secret) is not reported; create cannot be narrowed by name.",
		"Remove create, update and patch on secrets from roles of workloads and people; where a controller writes its own secret, restrict the rule to update and patch of that secret with resourceNames "+
			"and let the deployment pipeline create it.",
		[]string{"5.1.2", "5.1.13"}, "https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/#manually-create-an-api-token-for-a-serviceaccount")
}

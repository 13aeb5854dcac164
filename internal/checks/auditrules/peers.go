package auditrules

// The peer mapping: every rule of Falco's k8saudit plugin
// (falcosecurity/plugins, plugins/k8saudit/rules/k8s_audit_rules.yaml) and every
// Sigma rule on Kubernetes audit events (SigmaHQ/sigma,
// rules/application/kubernetes/audit, and the GKE rules of rules/cloud/gcp/audit),
// each with the Palisade detections that cover it and what Palisade does
// differently, or why it is not covered. docs/audit-detections.md is generated
// from this table (TestAuditDetectionsDoc, -update); a test holds every rule ID it
// names to the registry. Another file may append rows in its init (peers =
// append(peers, ...)); a row per peer rule, never two.

// Peer is a rule of another engine and how Palisade covers it.
type Peer struct {
	// Engine is "Falco" or "Sigma".
	Engine string
	// Name is the rule's name (Falco) or title (Sigma).
	Name string
	// Ref identifies it in its repository: the Sigma rule's id, or Falco's rules file.
	Ref string
	// Covered are the Palisade rules that detect what it detects; empty when none does.
	Covered []string
	// Note says what Palisade does differently, or why it does not cover the rule.
	Note string
}

// The revisions the table was written from.
const (
	falcoRevision = "falcosecurity/plugins@0b3cbd8d84eba83877159cf3c9fdae1820084c26"
	sigmaRevision = "SigmaHQ/sigma@8eaafff1f2845a696050e05e72ba1140ee190698"
)

const (
	falcoRules = "plugins/k8saudit/rules/k8s_audit_rules.yaml"
	sigmaDir   = "rules/application/kubernetes/audit/"
	sigmaGCP   = "rules/cloud/gcp/audit/"
)

// Peers returns the table, Falco's rules first, each engine in its file order.
func Peers() []Peer { return peers }

const (
	activity = "Falco's activity rules (off by default: consider_activity_events) log every such change at INFO; Palisade does not alert on routine changes, which the audit log already records. "
	state    = "Palisade judges the pod template of every controller (Deployment, DaemonSet, StatefulSet, ReplicaSet, ReplicationController, Job, CronJob), not only pods; skips the pods controllers make from templates already judged; reports an update or patch that adds the property; skips dry runs and refused or failed requests; remembers the pod, so a later exec into it is one high finding with the creation in its chain. "
)

func falco(name string, covered []string, note string) Peer {
	return Peer{Engine: "Falco", Name: name, Ref: falcoRules, Covered: covered, Note: note}
}

func sigma(name, id, file string, covered []string, note string) Peer {
	return Peer{Engine: "Sigma", Name: name, Ref: id + " (" + file + ")", Covered: covered, Note: note}
}

func ids(s ...string) []string { return s }

var peers = []Peer{
	falco("Disallowed K8s User", ids("PAL-936"), "Falco matches users against a list it ships empty, and treats every \"system:\" name (service accounts included) as trusted. PAL-936 takes the allow-list as a parameter (idle when empty), judges service accounts too, and carries the identity's RBAC risk classes."),
	falco("Create Disallowed Pod", ids("PAL-919"), "Falco lists allowed image repositories for pods; PAL-919 allows registry prefixes (globs within a component) of the normalised name (nginx is docker.io/library/nginx), for pods and every pod controller, creates and changes. "+state),
	falco("Create Privileged Pod", ids("PAL-905"), state+"Windows HostProcess containers count as privileged. Falco's image exception list becomes Palisade's suppression and baselines."),
	falco("Create Sensitive Mount Pod", ids("PAL-906"), "Falco's list is a dozen exact paths; PAL-906 uses the sensitive paths and runtime sockets of the scan rules PAL-022/023 (parameters), matching paths inside and above them, with runtime sockets critical. "+state),
	falco("Create HostNetwork Pod", ids("PAL-907"), state+"A port-forward into a hostNetwork pod is then high (PAL-903)."),
	falco("Create HostPid Pod", ids("PAL-907"), state),
	falco("Create HostIPC Pod", ids("PAL-907"), state),
	falco("Create NodePort Service", ids("PAL-910"), "PAL-910 covers LoadBalancer Services too (noting an open loadBalancerSourceRanges), and updates or patches that change the type, with the node ports."),
	falco("Create/Modify Configmap With Private Credentials", ids("PAL-911"), "Falco matches substrings (aws_access_key_id, password, ...) in the whole request; PAL-911 runs Palisade's credential detectors (token formats with checksums, private keys, passwords under credential keys, placeholders rejected) per key, names the key and the kind, never a value, and reports an update only when it adds a credential."),
	falco("Anonymous Request Allowed", ids("PAL-924"), "Health endpoints are excluded as in Falco; the finding carries what system:anonymous may do under the RBAC model (its risk classes) when -f or --cluster gives one."),
	falco("Attach/Exec Pod", ids("PAL-901", "PAL-902"), "Once per request (audit ID) at ResponseStarted, or at ResponseComplete when the audit Policy omits that stage; both kubectl forms (POST over SPDY, GET with a WebSocket upgrade). The finding names the container and the command, and is high when the pod has host access, known from its creation in the log or the current state (-f, --cluster), with that creation in the chain: the exec-into-privileged-pod finding Falco's stateless engine cannot make."),
	falco("port-forward", ids("PAL-903"), "Only allowed requests; high when the pod is on the node's network (hostNetwork), where the tunnel reaches the node's loopback services."),
	falco("EphemeralContainers Created", ids("PAL-904"), "Names the container and image from the request body, and is high when the new container is privileged (kubectl debug --profile=sysadmin) or the pod has host access (remembered)."),
	falco("Create Disallowed Namespace", nil, "Not covered: a namespace name allow-list is a naming policy for admission (palisade admission, an admission policy), not an attack in the log; namespaces deleted are PAL-916."),
	falco("Pod Created in Kube Namespace", ids("PAL-908"), "Covers every pod controller and kube-public; skips Kubernetes components, controllers' pods and kubelets' mirror pods by identity instead of an image list, and reports service accounts of other namespaces (a CI identity deploying into kube-system)."),
	falco("Service Account Created in Kube Namespace", ids("PAL-909"), "Skips the identities of Kubernetes components and controllers rather than a list of known account names; service accounts of other namespaces are reported."),
	falco("System ClusterRole Modified/Deleted", ids("PAL-923"), "Covers the bootstrap roles and their bindings (system: names and the kubernetes.io/bootstrapping label), with the RBAC context of the identity."),
	falco("Attach to cluster-admin Role", ids("PAL-920"), "Bindings (cluster-wide and namespaced) to cluster-admin or to a role that the RBAC engine finds equivalent (wildcards on everything), not only the name."),
	falco("ClusterRole With Wildcard Created", ids("PAL-921"), "Roles and ClusterRoles, created or updated."),
	falco("ClusterRole With Write Privileges Created", ids("PAL-922"), "Partly: PAL-922 reports roles that grant the risky permissions of the RBAC risk classes (pods/exec, escalate, bind, impersonate, reading secrets); write access in general is what most roles grant and is not alerted on."),
	falco("ClusterRole With Pod Exec Created", ids("PAL-922"), "Roles and ClusterRoles, created or updated, with the other escalation grants."),
	falco("K8s Deployment Created", nil, "Not covered: "+activity+"What a Deployment runs is judged: PAL-905..908, PAL-919."),
	falco("K8s Deployment Deleted", ids("PAL-916"), "Deletions by people and applications (Kubernetes components and controllers skipped), with StatefulSets, DaemonSets, CronJobs, namespaces and volumes."),
	falco("K8s Service Created", ids("PAL-910"), "Partly: "+activity+"Services that open node ports or load balancers are PAL-910."),
	falco("K8s Service Deleted", nil, "Not covered: "+activity),
	falco("K8s ConfigMap Created", ids("PAL-911"), "Partly: "+activity+"ConfigMaps holding credentials are PAL-911."),
	falco("K8s ConfigMap Deleted", nil, "Not covered: "+activity),
	falco("K8s Namespace Created", nil, "Not covered: "+activity),
	falco("K8s Namespace Deleted", ids("PAL-916"), "High, by people and applications only (the namespace controller is skipped)."),
	falco("K8s Serviceaccount Created", ids("PAL-909"), "Partly: "+activity+"Service accounts created in kube-system or kube-public by people and applications are PAL-909."),
	falco("K8s Serviceaccount Deleted", nil, "Not covered: "+activity),
	falco("K8s Role Created", ids("PAL-921", "PAL-922"), "Partly: "+activity+"Roles with wildcards or risky grants are PAL-921 and PAL-922."),
	falco("K8s Role Deleted", ids("PAL-923"), "Partly: "+activity+"Deleting a bootstrap role is PAL-923."),
	falco("K8s ClusterRole Created", ids("PAL-921", "PAL-922"), "Partly: "+activity+"ClusterRoles with wildcards or risky grants are PAL-921 and PAL-922."),
	falco("K8s ClusterRole Deleted", ids("PAL-923"), "Partly: "+activity+"Deleting a bootstrap ClusterRole is PAL-923."),
	falco("K8s RoleBinding Created", ids("PAL-920"), "Partly: "+activity+"Bindings to cluster-admin or an equivalent role are PAL-920; a secret read followed by a binding by the same identity is PAL-933."),
	falco("K8s RoleBinding Deleted", ids("PAL-923"), "Partly: "+activity+"Deleting a bootstrap binding is PAL-923."),
	falco("K8s ClusterRoleBinding Created", ids("PAL-920", "PAL-933"), "Partly: "+activity+"Bindings to cluster-admin or an equivalent role are PAL-920; a secret read followed by a binding by the same identity is PAL-933."),
	falco("K8s ClusterRoleBinding Deleted", ids("PAL-923"), "Partly: "+activity+"Deleting a bootstrap binding is PAL-923."),
	falco("K8s Secret Created", nil, "Not covered: "+activity+"Credentials written into ConfigMaps instead are PAL-911."),
	falco("K8s Secret Deleted", ids("PAL-917"), "Updates and patches too, by people and applications; Helm's release records are skipped."),
	falco("K8s Secret Get Successfully", ids("PAL-930"), "Not every read: reads and lists by an identity that does not usually read secrets, learned over the window (bounded state)."),
	falco("K8s Secret Get Unsuccessfully Tried", ids("PAL-931"), "Bursts of forbidden responses from one identity, one finding with its count, rather than each refused read."),
	falco("All K8s Audit Events", nil, "Not covered: a debugging rule that emits every event; palisade audit -o json reports findings, not events."),
	falco("Full K8s Administrative Access", ids("PAL-925"), "Falco matches a list of administrator user names; PAL-925 reports the system:masters group (the break-glass certificate, which RBAC never limits), and every finding carries the actor's RBAC risk classes."),
	falco("Ingress Object without TLS Certificate Created", ids("PAL-912"), "Creations and updates (an update that drops tls), with the hosts served in clear text."),
	falco("Untrusted Node Successfully Joined the Cluster", ids("PAL-918"), "A Node created by anything but its own kubelet is high; a name outside the allow-list (parameter) medium; and a node credential used by a client other than the kubelet (kubectl, curl) is reported, once per identity and client."),
	falco("Untrusted Node Unsuccessfully Tried to Join the Cluster", ids("PAL-931"), "Partly: refused requests are judged as bursts per identity (PAL-931); a single refused node registration is not alerted on."),

	sigma("Kubernetes Admission Controller Modification", "eed82177-38f5-4299-8a76-098d50d225ab", sigmaDir+"kubernetes_audit_change_admission_controller.yml", ids("PAL-914"), "Also ValidatingAdmissionPolicies and their bindings (and the mutating ones); deletions high; updates that only rotate a CA bundle are quiet when the log holds the body; failurePolicy Ignore is named."),
	sigma("Kubernetes CronJob/Job Modification", "0c9b3bda-41a6-4442-9345-356ae86343dc", sigmaDir+"kubernetes_audit_cronjob_modification.yml", ids("PAL-913", "PAL-905", "PAL-906", "PAL-907"), "CronJobs (the persistent ones) with their schedule and images, high when their pods have host access; an update is reported when the schedule, an image or that access changes. Jobs are judged for what they run (PAL-905..907, PAL-919) rather than for existing."),
	sigma("Deployment Deleted From Kubernetes Cluster", "40967487-139b-4811-81d9-c9767a92aa5a", sigmaDir+"kubernetes_audit_deployment_deleted.yml", ids("PAL-916"), "Successful deletions by people and applications (controllers skipped), with the other workloads, namespaces and volumes."),
	sigma("Kubernetes Events Deleted", "3132570d-cab2-4561-9ea6-1743644b2290", sigmaDir+"kubernetes_audit_events_deleted.yml", ids("PAL-915"), "Both events APIs (core and events.k8s.io), successful deletions only, the namespace controller skipped, deletecollection high."),
	sigma("Potential Remote Command Execution In Pod Container", "a1b0ca4e-7835-413e-8471-3ff2b8a66be6", sigmaDir+"kubernetes_audit_exec_into_container.yml", ids("PAL-901"), "Allowed requests only, once per request, both kubectl forms (create and get), the command and container named, high when the pod has host access (state)."),
	sigma("Container With A hostPath Mount Created", "402b955c-8fe0-4a8c-b635-622b4ac5f902", sigmaDir+"kubernetes_audit_hostpath_mount.yml", ids("PAL-906"), "Sensitive paths and runtime sockets only (any hostPath is the scan rule PAL-021's concern), from the request body of pods and every controller. "+state),
	sigma("Creation Of Pod In System Namespace", "a80d927d-ac6e-443f-a867-e8d6e3897318", sigmaDir+"kubernetes_audit_pod_in_system_namespace.yml", ids("PAL-908"), "Pods and every pod controller, kube-public too, by identities that are not Kubernetes components or controllers: the daemon-set controller and the scheduler, Sigma's false positives, are not reported."),
	sigma("Kubernetes Potential Enumeration Activity", "597a7e84-187d-458b-9e4f-2f5a0e676711", sigmaDir+"kubernetes_audit_potential_enumeration_activity.yml", ids("PAL-901", "PAL-932", "PAL-930"), "Shells run through exec are PAL-901 (every exec, the command named); enumeration is judged by behaviour (permission discovery bursts, PAL-932; unusual secret readers, PAL-930) rather than by tool user agents, which any client can change."),
	sigma("Privileged Container Deployed", "c5cd1b20-36bb-488d-8c05-486be3d0cb97", sigmaDir+"kubernetes_audit_privileged_pod_creation.yml", ids("PAL-905", "PAL-907"), "Privileged containers (PAL-905) and host namespaces (PAL-907) from the pod spec; added capabilities alone are scan findings (PAL-007, PAL-008) rather than alerts. "+state),
	sigma("RBAC Permission Enumeration Attempt", "84b777bd-c946-4d17-aa2e-c39f5a454325", sigmaDir+"kubernetes_audit_rbac_permisions_listing.yml", ids("PAL-932"), "Bursts of SelfSubjectRulesReviews and access reviews from one identity, rather than each kubectl auth can-i."),
	sigma("Kubernetes Rolebinding Modification", "10b97915-ec8d-455f-a815-9a78926585f6", sigmaDir+"kubernetes_audit_rolebinding_modification.yml", ids("PAL-920", "PAL-923", "PAL-933"), "Not every binding change: bindings to cluster-admin or an equivalent role (PAL-920), changes to bootstrap bindings (PAL-923), and a binding made by an identity that just read secrets (PAL-933, one finding with both events)."),
	sigma("Kubernetes Secrets Enumeration", "eeb3e9e1-b685-44e4-9232-6bb701f925b5", sigmaDir+"kubernetes_audit_secrets_enumeration.yml", ids("PAL-930"), "Lists and reads by an identity that does not usually read secrets, learned over the window, rather than every list (controllers list secrets constantly)."),
	sigma("Kubernetes Secrets Modified or Deleted", "58d31a75-a4f8-4c40-985b-373d58162ca2", sigmaDir+"kubernetes_audit_secrets_modified_or_deleted.yml", ids("PAL-917"), "Updates, patches and deletions by people and applications; creation is routine and not alerted on; Helm's release records skipped; no value shown."),
	sigma("New Kubernetes Service Account Created", "e31bae15-83ed-473e-bf31-faf4f8a17d36", sigmaDir+"kubernetes_audit_serviceaccount_creation.yml", ids("PAL-909"), "Partly: service accounts created in kube-system or kube-public by people and applications; elsewhere creating service accounts is routine (every Helm chart does)."),
	sigma("Potential Sidecar Injection Into Running Deployment", "ad9012a6-e518-4432-9890-f3b82b8fc71f", sigmaDir+"kubernetes_audit_sidecar_injection.yml", ids("PAL-905", "PAL-906", "PAL-907", "PAL-919"), "Partly: a patch is judged for what it adds (a privileged container, a host path or namespace, an image from outside the allowed registries), for every controller, instead of every patch of a Deployment (kubectl rollout restart and scale are patches too)."),
	sigma("Kubernetes Unauthorized or Unauthenticated Access", "0d933542-1f1f-420d-97d4-21b2c3c492d9", sigmaDir+"kubernetes_audit_unauthorized_unauthenticated_actions.yml", ids("PAL-931"), "Bursts of 401 and 403 responses per identity, one finding with its count, rather than each refusal."),
	sigma("Google Cloud Kubernetes Admission Controller", "6ad91e31-53df-4826-bd27-0166171c8040", sigmaGCP+"gcp_kubernetes_admission_controller.yml", ids("PAL-914"), "GKE Cloud Audit Logs are read as Kubernetes audit events (the gke input format), so one detection serves every cluster."),
	sigma("Google Cloud Kubernetes CronJob", "cd3a808c-c7b7-4c50-a2f3-f4cfcd436435", sigmaGCP+"gcp_kubernetes_cronjob.yml", ids("PAL-913"), "As for the audit-log rule: CronJobs created or changed (GKE logs read as Kubernetes audit events)."),
	sigma("Google Cloud Kubernetes RoleBinding", "0322d9f2-289a-47c2-b5e1-b63c90901a3e", sigmaGCP+"gcp_kubernetes_rolebinding.yml", ids("PAL-920", "PAL-923"), "As for the audit-log rule: bindings that matter rather than every binding (GKE logs read as Kubernetes audit events)."),
	sigma("Google Cloud Kubernetes Secrets Modified or Deleted", "2f0bae2d-bf20-4465-be86-1311addebaa3", sigmaGCP+"gcp_kubernetes_secrets_modified_or_deleted.yml", ids("PAL-917"), "As for the audit-log rule (GKE logs read as Kubernetes audit events)."),
}

package compliance

import "github.com/palisade-k8s/palisade/internal/rules"

// cis112 is the CIS Kubernetes Benchmark v1.12.0: every recommendation, so the view is
// complete, with titles in Palisade's words. Sections 1 to 3 configure the control
// plane: its static pod manifests (and EncryptionConfiguration and audit Policy files)
// are assessed when the input holds them; file permissions (1.1) and the nodes
// (section 4) are assessed from nodes' facts files (palisade node collect, or
// cluster --nodes); section 5 is about the objects a cluster runs. Rules name controls by ID in rules.Frameworks.CIS.
func cis112() *Framework {
	f := &Framework{
		ID:     "cis-1.12",
		Title:  "CIS Kubernetes Benchmark v1.12",
		URL:    "https://www.cisecurity.org/benchmark/kubernetes",
		claims: func(fw rules.Frameworks) []string { return fw.CIS },
	}
	f.resolve = f.byID
	var section string
	var reason Reason
	at := func(s string, r Reason) { section, reason = s, r }
	add := func(id, title string) {
		f.Controls = append(f.Controls, Control{ID: id, Title: title, Section: section, NotAssessable: reason})
	}
	// addAs adds a control that manifests cannot decide in a section they otherwise can.
	addAs := func(id, title string, r Reason) {
		f.Controls = append(f.Controls, Control{ID: id, Title: title, Section: section, NotAssessable: r})
	}

	at("1.1 Control Plane Node Configuration Files", "")
	add("1.1.1", "API server pod spec file: permissions 600 or stricter")
	add("1.1.2", "API server pod spec file: owned by root:root")
	add("1.1.3", "Controller manager pod spec file: permissions 600 or stricter")
	add("1.1.4", "Controller manager pod spec file: owned by root:root")
	add("1.1.5", "Scheduler pod spec file: permissions 600 or stricter")
	add("1.1.6", "Scheduler pod spec file: owned by root:root")
	add("1.1.7", "etcd pod spec file: permissions 600 or stricter")
	add("1.1.8", "etcd pod spec file: owned by root:root")
	add("1.1.9", "CNI files: permissions 600 or stricter")
	add("1.1.10", "CNI files: owned by root:root")
	add("1.1.11", "etcd data directory: permissions 700 or stricter")
	add("1.1.12", "etcd data directory: owned by etcd:etcd")
	add("1.1.13", "Admin kubeconfig files (admin.conf, super-admin.conf): permissions 600")
	add("1.1.14", "Admin kubeconfig files: owned by root:root")
	add("1.1.15", "scheduler.conf: permissions 600 or stricter")
	add("1.1.16", "scheduler.conf: owned by root:root")
	add("1.1.17", "controller-manager.conf: permissions 600 or stricter")
	add("1.1.18", "controller-manager.conf: owned by root:root")
	add("1.1.19", "PKI directory and files: owned by root:root")
	add("1.1.20", "PKI certificate files: permissions 644 or stricter")
	add("1.1.21", "PKI key files: permissions 600")

	at("1.2 API Server", "")
	add("1.2.1", "API server: anonymous requests disabled")
	add("1.2.2", "API server: no static token file")
	add("1.2.3", "API server: DenyServiceExternalIPs admission plugin on")
	add("1.2.4", "API server: kubelet client certificate and key set")
	add("1.2.5", "API server: kubelet certificate authority set")
	add("1.2.6", "API server: authorization mode is not AlwaysAllow")
	add("1.2.7", "API server: authorization modes include Node")
	add("1.2.8", "API server: authorization modes include RBAC")
	add("1.2.9", "API server: EventRateLimit admission plugin on")
	add("1.2.10", "API server: AlwaysAdmit admission plugin off")
	add("1.2.11", "API server: AlwaysPullImages admission plugin on")
	add("1.2.12", "API server: ServiceAccount admission plugin on")
	add("1.2.13", "API server: NamespaceLifecycle admission plugin on")
	add("1.2.14", "API server: NodeRestriction admission plugin on")
	add("1.2.15", "API server: profiling off")
	add("1.2.16", "API server: audit log path set")
	add("1.2.17", "API server: audit logs kept 30 days (or as appropriate)")
	add("1.2.18", "API server: 10 audit log backups (or as appropriate)")
	add("1.2.19", "API server: audit logs rotated at 100 MB (or as appropriate)")
	addAs("1.2.20", "API server: request timeout set appropriately", Manual)
	add("1.2.21", "API server: service account lookup on")
	add("1.2.22", "API server: service account key file set")
	add("1.2.23", "API server: etcd client certificate and key set")
	add("1.2.24", "API server: serving TLS certificate and key set")
	add("1.2.25", "API server: client CA file set")
	add("1.2.26", "API server: etcd CA file set")
	add("1.2.27", "API server: encryption provider configuration set")
	add("1.2.28", "API server: encryption providers configured appropriately")
	add("1.2.29", "API server: strong TLS cipher suites only")
	add("1.2.30", "API server: service account token lifetimes not extended")

	at("1.3 Controller Manager", "")
	add("1.3.1", "Controller manager: terminated pod GC threshold set appropriately")
	add("1.3.2", "Controller manager: profiling off")
	add("1.3.3", "Controller manager: one service account credential per controller")
	add("1.3.4", "Controller manager: service account private key file set")
	add("1.3.5", "Controller manager: root CA file set")
	add("1.3.6", "Controller manager: RotateKubeletServerCertificate on")
	add("1.3.7", "Controller manager: bound to 127.0.0.1")

	at("1.4 Scheduler", "")
	add("1.4.1", "Scheduler: profiling off")
	add("1.4.2", "Scheduler: bound to 127.0.0.1")

	at("2 etcd", "")
	add("2.1", "etcd: serving certificate and key set")
	add("2.2", "etcd: client certificate authentication on")
	add("2.3", "etcd: no self-signed automatic TLS")
	add("2.4", "etcd: peer certificate and key set")
	add("2.5", "etcd: peer client certificate authentication on")
	add("2.6", "etcd: no self-signed automatic peer TLS")
	add("2.7", "etcd: a certificate authority of its own")

	at("3.1 Authentication and Authorization", Manual)
	add("3.1.1", "Users do not authenticate with client certificates")
	add("3.1.2", "Users do not authenticate with service account tokens")
	add("3.1.3", "Users do not authenticate with bootstrap tokens")

	at("3.2 Logging", "")
	add("3.2.1", "A minimal audit policy exists")
	add("3.2.2", "The audit policy covers the key security concerns")

	at("4.1 Worker Node Configuration Files", "")
	add("4.1.1", "kubelet service file: permissions 600 or stricter")
	add("4.1.2", "kubelet service file: owned by root:root")
	add("4.1.3", "kube-proxy kubeconfig, if present: permissions 600 or stricter")
	add("4.1.4", "kube-proxy kubeconfig, if present: owned by root:root")
	add("4.1.5", "kubelet.conf: permissions 600 or stricter")
	add("4.1.6", "kubelet.conf: owned by root:root")
	add("4.1.7", "Certificate authorities file: permissions 644 or stricter")
	add("4.1.8", "Client certificate authorities file: owned by root:root")
	add("4.1.9", "kubelet config.yaml, if used: permissions 600 or stricter")
	add("4.1.10", "kubelet config.yaml, if used: owned by root:root")

	at("4.2 Kubelet", "")
	add("4.2.1", "kubelet: anonymous requests disabled")
	add("4.2.2", "kubelet: authorization mode is not AlwaysAllow")
	add("4.2.3", "kubelet: client CA file set")
	add("4.2.4", "kubelet: read-only port off (0)")
	add("4.2.5", "kubelet: streaming connection idle timeout not 0")
	add("4.2.6", "kubelet: manages its iptables utility chains")
	add("4.2.7", "kubelet: hostname not overridden")
	add("4.2.8", "kubelet: event record rate captures events appropriately")
	add("4.2.9", "kubelet: serving TLS certificate and key set")
	add("4.2.10", "kubelet: client certificate rotation not disabled")
	add("4.2.11", "kubelet: RotateKubeletServerCertificate on")
	add("4.2.12", "kubelet: strong TLS cipher suites only")
	add("4.2.13", "kubelet: pod PID limit set")
	add("4.2.14", "kubelet: RuntimeDefault seccomp for every pod (--seccomp-default)")

	at("4.3 kube-proxy", "")
	add("4.3.1", "kube-proxy: metrics bound to localhost")

	at("5.1 RBAC and Service Accounts", "")
	add("5.1.1", "cluster-admin bound only where required")
	add("5.1.2", "Minimal access to secrets")
	add("5.1.3", "Minimal wildcards in Roles and ClusterRoles")
	add("5.1.4", "Minimal access to create pods")
	add("5.1.5", "Default service accounts not actively used")
	add("5.1.6", "Service account tokens mounted only where needed")
	add("5.1.7", "No use of the system:masters group")
	add("5.1.8", "Minimal bind, impersonate and escalate permissions")
	add("5.1.9", "Minimal access to create persistent volumes")
	add("5.1.10", "Minimal access to the nodes/proxy subresource")
	add("5.1.11", "Minimal access to approving certificate signing requests")
	add("5.1.12", "Minimal access to webhook configurations")
	add("5.1.13", "Minimal access to creating service account tokens")

	at("5.2 Pod Security Standards", "")
	add("5.2.1", "At least one active policy control mechanism")
	add("5.2.2", "Minimal admission of privileged containers")
	add("5.2.3", "Minimal admission of pods sharing the host PID namespace")
	add("5.2.4", "Minimal admission of pods sharing the host IPC namespace")
	add("5.2.5", "Minimal admission of pods sharing the host network namespace")
	add("5.2.6", "Minimal admission of containers allowing privilege escalation")
	add("5.2.7", "Minimal admission of root containers")
	add("5.2.8", "Minimal admission of containers with NET_RAW")
	add("5.2.9", "Minimal admission of containers with capabilities assigned")
	add("5.2.10", "Minimal admission of Windows HostProcess containers")
	add("5.2.11", "Minimal admission of hostPath volumes")
	add("5.2.12", "Minimal admission of containers using host ports")

	at("5.3 Network Policies and CNI", "")
	addAs("5.3.1", "The CNI plugin enforces NetworkPolicies", Cluster)
	add("5.3.2", "Every namespace has NetworkPolicies")

	at("5.4 Secrets Management", "")
	add("5.4.1", "Secrets mounted as files rather than environment variables")
	add("5.4.2", "External secret storage considered (no plaintext Secrets in the manifests)")

	at("5.5 Extensible Admission Control", "")
	add("5.5.1", "Image provenance enforced (ImagePolicyWebhook)")

	at("5.6 General Policies", "")
	add("5.6.1", "Namespaces as administrative boundaries")
	add("5.6.2", "seccomp profile RuntimeDefault in pod definitions")
	add("5.6.3", "Security contexts on pods and containers")
	add("5.6.4", "The default namespace not used")
	return f
}

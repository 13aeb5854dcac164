package controlplane

// kube-controller-manager runs the loops that turn desired state into actual state,
// with broad permissions; kube-scheduler places pods. Both serve metrics, health and
// (by default) profiling endpoints on a secure port bound to all interfaces unless
// --bind-address says otherwise; the controller manager, unless told to use one
// service account per controller, acts with its own all-powerful credential for every
// controller; it signs service account tokens and distributes the cluster CA. All
// three components expose Go profiling data (/debug/pprof) by default. CIS 1.2.15,
// 1.3.1 to 1.3.7, 1.4.1 and 1.4.2.

import (
	"fmt"
	"strings"

	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/workload"
)

const refSAControllers = "https://kubernetes.io/docs/reference/access-authn-authz/rbac/#controller-roles"

// profilingCIS maps each component to its CIS recommendation for --profiling.
var profilingCIS = map[string]string{binAPIServer: "1.2.15", binControllerManager: "1.3.2", binScheduler: "1.4.1"}

func init() {
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-710", Title: "Control-plane component serves profiling data", Severity: low, Category: catControlPlane,
			Rationale: "kube-apiserver, kube-controller-manager and kube-scheduler serve Go profiling endpoints (/debug/pprof) unless --profiling=false; the flag defaults to true. Profiles reveal the program's internals and load, and requesting CPU or heap profiles costs the component CPU and memory, a lever for denial of service; they are needed only while debugging. Access still requires authentication and authorization, which is why this is low. " +
				"kube-scheduler ignores --profiling when it reads a configuration file (--config); its enableProfiling field then decides and is not checked here.",
			Remediation: "Set --profiling=false on kube-apiserver, kube-controller-manager and kube-scheduler (for a scheduler with --config, enableProfiling: false in the KubeSchedulerConfiguration).",
			References:  []string{refAPIServerFlags, refKCMFlags, refSchedulerFlags},
			Frameworks:  cpFrameworks([]string{"1.2.15", "1.3.2", "1.4.1"}, nsaNetControl),
		},
		Scoped: true,
		Workload: func(p *rules.Pass, w *workload.Workload) {
			forComponents(p, w, []string{binAPIServer, binControllerManager, binScheduler}, checkProfiling)
		},
	})
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-721", Title: "Controller manager shares one credential across controllers", Severity: medium, Category: catControlPlane,
			Rationale:   "With --use-service-account-credentials=false (the default) kube-controller-manager runs every controller with its own credential, which must then hold the union of all controllers' permissions; a flaw in any one controller can use all of them, and the audit log cannot tell controllers apart. With the flag set, each controller runs as its own service account in kube-system (system:serviceaccount:kube-system:<controller>) with the narrow system:controller: role bound to it.",
			Remediation: "Set --use-service-account-credentials=true on kube-controller-manager (kubeadm does) and keep the default system:controller: roles bound.",
			References:  []string{refSAControllers, refKCMFlags},
			Frameworks:  cpFrameworks([]string{"1.3.3"}, nsaRBAC),
		},
		Scoped: true,
		Workload: func(p *rules.Pass, w *workload.Workload) {
			forComponents(p, w, []string{binControllerManager}, func(_ *rules.Pass, cp *component) []issue {
				return requireBool(cp, "use-service-account-credentials", true, false, "1.3.3", "every controller acts with the controller manager's own credential")
			})
		},
	})
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-722", Title: "Terminated pod garbage collection threshold not set", Severity: low, Category: catControlPlane,
			Rationale:   "kube-controller-manager deletes terminated pods only once more than --terminated-pod-gc-threshold of them exist (12500 by default); a value of 0 or less disables the collection. Until then every finished pod stays in etcd, costing storage and list performance, and many clusters never reach the default. CIS 1.3.1 (Manual) asks for a value chosen for the cluster; the maxThreshold parameter sets the largest accepted value.",
			Remediation: "Set --terminated-pod-gc-threshold on kube-controller-manager to a positive number suited to the cluster's size and job churn (for example 1000).",
			References:  []string{refKCMFlags, "https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#pod-garbage-collection"},
			Frameworks:  cpFrameworks([]string{"1.3.1"}, nsaNetControl),
			Params: []rules.Param{{Name: "maxThreshold", Syntax: rules.Integer,
				Description: "Largest acceptable --terminated-pod-gc-threshold.",
				Default:     "12500"}},
		},
		Scoped: true,
		Workload: func(p *rules.Pass, w *workload.Workload) {
			forComponents(p, w, []string{binControllerManager}, checkTerminatedPodGC)
		},
	})
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-723", Title: "Controller manager lacks its signing key or root CA, or disables kubelet certificate rotation", Severity: medium, Category: catControlPlane,
			Rationale:   "kube-controller-manager signs the tokens of legacy service account Secrets with --service-account-private-key-file; without it none are issued, and the matching public key on the API server cannot be rotated in step. --root-ca-file is the CA bundle it puts in every namespace's kube-root-ca.crt ConfigMap and in token Secrets, so that pods can verify the API server; without it pods cannot. Setting the RotateKubeletServerCertificate feature gate to false stops the controller manager's side of kubelet serving certificate rotation, so those certificates expire or live too long.",
			Remediation: "Set --service-account-private-key-file to the key whose public half is in the API server's --service-account-key-file, --root-ca-file to the cluster CA bundle, and remove RotateKubeletServerCertificate=false from --feature-gates on kube-controller-manager.",
			References:  []string{refSAAdmin, refKCMFlags, "https://kubernetes.io/docs/reference/access-authn-authz/kubelet-tls-bootstrapping/#certificate-rotation"},
			Frameworks:  cpFrameworks([]string{"1.3.4", "1.3.5", "1.3.6"}, nsaNetControl),
		},
		Scoped: true,
		Workload: func(p *rules.Pass, w *workload.Workload) {
			forComponents(p, w, []string{binControllerManager}, checkControllerKeys)
		},
	})
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-724", Title: "Controller manager or scheduler listens on all interfaces", Severity: medium, Category: catControlPlane,
			Rationale:   "kube-controller-manager and kube-scheduler serve health, metrics and profiling endpoints on their secure port, bound to --bind-address; the default 0.0.0.0 (and :: for IPv6) exposes them on every interface of the control-plane node, where anyone on the network can probe them and, with a stolen token, read profiles and metrics. They talk to the API server as clients and need no listener beyond the node itself.",
			Remediation: "Set --bind-address=127.0.0.1 on kube-controller-manager and kube-scheduler, and point their probes at 127.0.0.1 (kubeadm does both).",
			References:  []string{refKCMFlags, refSchedulerFlags},
			Frameworks:  cpFrameworks([]string{"1.3.7", "1.4.2"}, nsaNetControl),
		},
		Scoped: true,
		Workload: func(p *rules.Pass, w *workload.Workload) {
			forComponents(p, w, []string{binControllerManager, binScheduler}, checkBindAddress)
		},
	})
}

func checkProfiling(_ *rules.Pass, cp *component) []issue {
	if cp.bin == binScheduler {
		if _, file := cp.get("config"); file {
			return nil
		}
	}
	return requireBool(cp, "profiling", false, true, profilingCIS[cp.bin], "profiling data is served at /debug/pprof")
}

func checkTerminatedPodGC(p *rules.Pass, cp *component) []issue {
	limit := paramInt(p, "maxThreshold", 12500)
	s, ok := cp.get("terminated-pod-gc-threshold")
	if !ok {
		return []issue{{cp.missing("terminated-pod-gc-threshold"), "1.3.1", "--terminated-pod-gc-threshold is not set (default 12500): terminated pods pile up in etcd until there are that many"}}
	}
	if s.unknown {
		return nil
	}
	n, valid := parseFlagInt(s)
	switch {
	case !valid:
		return []issue{{s.path, "1.3.1", s.written + " is not an integer"}}
	case n <= 0:
		return []issue{{s.path, "1.3.1", s.written + " disables the garbage collection of terminated pods"}}
	case n > limit:
		return []issue{{s.path, "1.3.1", fmt.Sprintf("%s is above the maximum of %d", s.written, limit)}}
	}
	return nil
}

func checkControllerKeys(_ *rules.Pass, cp *component) []issue {
	out := requireSet(cp, "service-account-private-key-file", "1.3.4", "service account token Secrets are not signed")
	out = append(out, requireSet(cp, "root-ca-file", "1.3.5", "pods are not given the CA bundle to verify the API server")...)
	// Feature gates accumulate over occurrences; the last assignment of a gate wins.
	var gate setting
	found := false
	for _, s := range cp.all("feature-gates") {
		for _, kv := range strings.Split(s.value, ",") {
			k, v, _ := strings.Cut(strings.TrimSpace(kv), "=")
			if k == "RotateKubeletServerCertificate" {
				gate, found = s, !s.unknown && strings.EqualFold(strings.TrimSpace(v), "false")
			}
		}
	}
	if found {
		out = append(out, issue{gate.path, "1.3.6", gate.written + " disables RotateKubeletServerCertificate"})
	}
	return out
}

func checkBindAddress(_ *rules.Pass, cp *component) []issue {
	cis := "1.3.7"
	if cp.bin == binScheduler {
		cis = "1.4.2"
	}
	s, ok := cp.get("bind-address")
	switch {
	case !ok:
		return []issue{{cp.missing("bind-address"), cis, "--bind-address is not set and defaults to 0.0.0.0: the secure port listens on every interface"}}
	case s.unknown || isLoopback(s.value):
		return nil
	}
	return []issue{{s.path, cis, s.written + ": the secure port listens beyond the loopback interface"}}
}

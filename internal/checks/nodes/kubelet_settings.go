package nodes

// The rest of CIS 4.2: the kubelet settings that limit what its API serves, how it
// proves its identity, and what it lets pods do to the node.

import (
	"fmt"
	"slices"
	"strings"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/nodeconfig"
	"github.com/palisade-k8s/palisade/internal/rules"
)

const (
	refKubeletConfig   = "https://kubernetes.io/docs/reference/config-api/kubelet-config.v1beta1/"
	refKubeletFlags    = "https://kubernetes.io/docs/reference/command-line-tools-reference/kubelet/"
	refKubeletTLSBoot  = "https://kubernetes.io/docs/reference/access-authn-authz/kubelet-tls-bootstrapping/"
	refKubeletCertRot  = "https://kubernetes.io/docs/tasks/tls/certificate-rotation/"
	refPIDLimiting     = "https://kubernetes.io/docs/concepts/policy/pid-limiting/"
	refSeccompDefault  = "https://kubernetes.io/docs/tutorials/security/seccomp/#enable-the-use-of-runtimedefault-as-the-default-seccomp-profile-for-all-workloads"
	refStreamingIdle   = "https://kubernetes.io/docs/reference/command-line-tools-reference/kubelet/#options"
	refGoCipherSuites  = "https://pkg.go.dev/crypto/tls#pkg-constants"
	gateServerCertRot  = "RotateKubeletServerCertificate"
	settingServerBoot  = "serverTLSBootstrap"
	settingTLSCert     = "tlsCertFile"
	settingTLSKey      = "tlsPrivateKeyFile"
	settingCipherSuite = "tlsCipherSuites"
)

// strongCipherSuites are the suites PAL-741 accepts by default: ECDHE key exchange
// (forward secrecy) with an AEAD cipher, and the TLS 1.3 suites (which Go always
// enables and the kubelet accepts by name).
var strongCipherSuites = []string{
	"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
	"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
	"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305",
	"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
	"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
}

func init() {
	register := func(id, title string, sev finding.Severity, cis, rationale, remediation string, refs []string, params []rules.Param, check func(p *rules.Pass, o *inventory.Object)) {
		m := rules.Meta{ID: id, Title: title, Severity: sev, Category: catNode, Rationale: rationale, Remediation: remediation,
			References: refs, Frameworks: nodeFrameworks(cis), Params: params}
		rules.Register(&rules.Rule{Meta: m, Kinds: []string{inventory.NodeFactsKind}, Targets: rules.Scan, Scoped: true, Object: check})
	}

	register("PAL-731", "kubelet authorizes every request (AlwaysAllow)", critical, "4.2.2",
		"With authorization mode AlwaysAllow the kubelet lets every client it authenticated, and with anonymous requests on every client at all, use its whole API on port 10250: run commands in containers, read their logs, list the node's pods. "+
			"AlwaysAllow is the default of a kubelet started without a configuration file; a KubeletConfiguration file defaults to Webhook, which asks the API server (SubjectAccessReview) whether the caller may use the nodes/proxy, nodes/log or nodes/stats subresource.",
		"Set authorization.mode: Webhook in the kubelet's configuration file (or --authorization-mode=Webhook), with authentication.webhook.enabled: true, and grant the API server's kubelet client the nodes/* subresources it needs through RBAC.",
		[]string{refKubeletAuth, refKubeletConfig}, nil,
		func(p *rules.Pass, o *inventory.Object) {
			checkKubelet(p, o, kubeletSetting{
				setting: "authorization.mode", flag: "--authorization-mode", expected: "Webhook", recommendation: "4.2.2",
				bad: func(v any, set bool) (string, bool) {
					if s, ok := v.(string); ok && s == "AlwaysAllow" {
						return "every request that reaches the kubelet is authorized", true
					}
					return "", false
				},
			})
		})

	register("PAL-732", "kubelet does not verify client certificates", high, "4.2.3",
		"Without a client CA file (authentication.x509.clientCAFile, --client-ca-file) the kubelet authenticates no client by its certificate: the API server's own connections (exec, logs, port-forward) are then authenticated by bearer token only, or, with anonymous requests on, not at all.",
		"Set authentication.x509.clientCAFile in the kubelet's configuration file (or --client-ca-file) to the CA bundle that signed the API server's kubelet client certificate (kubeadm: /etc/kubernetes/pki/ca.crt).",
		[]string{refKubeletAuth, refKubeletConfig}, nil,
		func(p *rules.Pass, o *inventory.Object) {
			checkKubelet(p, o, kubeletSetting{
				setting: "authentication.x509.clientCAFile", flag: "--client-ca-file", expected: "the path of a CA bundle", recommendation: "4.2.3",
				bad: func(v any, set bool) (string, bool) {
					if s, _ := v.(string); s == "" {
						return "no client certificate is verified", true
					}
					return "", false
				},
			})
		})

	register("PAL-733", "kubelet serves its read-only port", medium, "4.2.4",
		"The read-only port (10255) serves the kubelet's pod list, node stats and metrics over plain HTTP without authentication or authorization: anyone who reaches it learns every pod of the node, their images, environment-derived names and volumes. "+
			"It is open by default on a kubelet started without a configuration file; a KubeletConfiguration file defaults it to 0 (off).",
		"Set readOnlyPort: 0 in the kubelet's configuration file (or --read-only-port=0), and read metrics through the authenticated port 10250.",
		[]string{refKubeletConfig, refKubeletFlags}, nil,
		func(p *rules.Pass, o *inventory.Object) {
			checkKubelet(p, o, kubeletSetting{
				setting: "readOnlyPort", flag: "--read-only-port", expected: "0", recommendation: "4.2.4",
				bad: func(v any, set bool) (string, bool) {
					if n, ok := asInt(v); ok && n != 0 {
						return fmt.Sprintf("port %d serves pod and node data without authentication", n), true
					}
					return "", false
				},
			})
		})

	register("PAL-734", "kubelet streaming connections never time out", medium, "4.2.5",
		"streamingConnectionIdleTimeout closes exec, attach and port-forward streams that carry no data for that long. Set to 0 they stay open for ever: forgotten sessions keep a shell in a container alive, and idle connections pile up until the kubelet runs out of them. "+
			"The default is 4 hours; a configuration file that writes 0 gets the default too (0 is the unset value), so only a flag or a kubelet's /configz can make it 0.",
		"Remove --streaming-connection-idle-timeout=0 from the kubelet's command line, or set streamingConnectionIdleTimeout to a bounded duration such as 5m or 4h in its configuration file.",
		[]string{refKubeletConfig, refStreamingIdle}, nil,
		func(p *rules.Pass, o *inventory.Object) {
			checkKubelet(p, o, kubeletSetting{
				setting: "streamingConnectionIdleTimeout", flag: "--streaming-connection-idle-timeout", expected: "a duration above 0 (default 4h0m0s)", recommendation: "4.2.5",
				bad: func(v any, set bool) (string, bool) {
					if !set {
						return "", false
					}
					if d, ok := asDuration(v); ok && d == 0 {
						return "idle exec, attach and port-forward streams are never closed", true
					}
					return "", false
				},
			})
		})

	register("PAL-735", "kubelet does not manage its iptables chains", low, "4.2.6",
		"With makeIPTablesUtilChains the kubelet keeps the iptables chains it relies on (KUBE-FIREWALL drops martian packets to localhost services) present and in order; with it off, the node's firewall rules for those services depend on whatever else edits iptables.",
		"Remove makeIPTablesUtilChains: false from the kubelet's configuration file (or --make-iptables-util-chains=false from its command line); the default is true.",
		[]string{refKubeletConfig}, nil,
		func(p *rules.Pass, o *inventory.Object) {
			checkKubelet(p, o, kubeletSetting{
				setting: "makeIPTablesUtilChains", flag: "--make-iptables-util-chains", expected: "true", recommendation: "4.2.6",
				bad: func(v any, set bool) (string, bool) {
					if b, ok := asBool(v); ok && !b {
						return "the kubelet leaves its iptables utility chains to other programs", true
					}
					return "", false
				},
			})
		})

	register("PAL-736", "kubelet overrides the node's hostname", low, "4.2.7",
		"--hostname-override makes the kubelet register and identify its node under a name other than the host's. Its serving certificate, the Node authorizer's view of which pods belong to the node, and the TLS name clients check then depend on that name being right on every node: a wrong or copied value breaks the link between the node's identity and the host. "+
			"Some cloud providers set it on purpose (the instance's DNS name); review it there rather than remove it. It is a command-line flag only: a kubelet's /configz does not show it, so facts read from /configz leave this check unknown.",
		"Remove --hostname-override from the kubelet's command line (its systemd unit, drop-ins or environment file) unless the platform needs it, so that the node's name is the host's.",
		[]string{refKubeletFlags}, nil,
		func(p *rules.Pass, o *inventory.Object) {
			judgeKubelet(p, o, "4.2.7", func(a *assessment) *verdict {
				val, org, set, known := kubeletFlag(a, "hostname-override")
				switch {
				case !known:
					return &verdict{unknown: "the kubelet's command line is not in the facts (read from /configz), and --hostname-override is a flag only"}
				case !set || strings.TrimSpace(val) == "":
					return nil
				}
				return &verdict{flag: "--hostname-override", value: val, expected: "not set", origin: org,
					why: "the node is registered under a name other than the host's"}
			})
		})

	register("PAL-737", "kubelet records events without a rate limit", low, "4.2.8",
		"eventRecordQPS bounds how many events per second the kubelet creates. CIS asks for a level that captures security-relevant events: too low a limit drops events, and 0 removes the limit, so a pod crash-looping or a flood of probes can make the kubelet spend itself and the API server on events. "+
			"Palisade fails 0 (unlimited) and accepts any positive value, the default 50 included: what level suits a cluster is a review CIS leaves to the operator.",
		"Set eventRecordQPS in the kubelet's configuration file (or --event-qps) to a positive value suited to the cluster; leave it unset for the default of 50.",
		[]string{refKubeletConfig}, nil,
		func(p *rules.Pass, o *inventory.Object) {
			checkKubelet(p, o, kubeletSetting{
				setting: "eventRecordQPS", flag: "--event-qps", expected: "above 0 (default 50)", recommendation: "4.2.8",
				bad: func(v any, set bool) (string, bool) {
					if n, ok := asInt(v); ok && n <= 0 {
						return "event creation is not rate limited", true
					}
					return "", false
				},
			})
		})

	register("PAL-738", "kubelet serves with a self-signed certificate", medium, "4.2.9",
		"Without tlsCertFile and tlsPrivateKeyFile, and without serverTLSBootstrap, the kubelet generates a self-signed serving certificate at startup. Clients of port 10250 (the API server, metrics collectors) then cannot verify they talk to the node's kubelet, and a man in the middle on the node network can read and change exec sessions and logs. "+
			"A serving certificate requested from the API server (serverTLSBootstrap: true, approved and signed by the cluster's CA) satisfies the recommendation as well as a certificate and key given as files.",
		"Give the kubelet a serving certificate signed by a CA its clients trust: set serverTLSBootstrap: true (and approve the kubelet-serving CSRs), or set tlsCertFile and tlsPrivateKeyFile (--tls-cert-file, --tls-private-key-file) in its configuration file.",
		[]string{refKubeletTLSBoot, refKubeletConfig}, nil,
		func(p *rules.Pass, o *inventory.Object) {
			judgeKubelet(p, o, "4.2.9", func(a *assessment) *verdict {
				e := a.kubelet
				if b, _ := asBool(valueOf(e, settingServerBoot)); b {
					return nil
				}
				cert, _ := valueOf(e, settingTLSCert).(string)
				key, _ := valueOf(e, settingTLSKey).(string)
				switch {
				case cert != "" && key != "":
					return nil
				case cert == "":
					return &verdict{setting: settingTLSCert, flag: "--tls-cert-file", value: nodeconfig.Text(valueOf(e, settingTLSCert)),
						expected: "a certificate file, or serverTLSBootstrap: true", origin: e.Origin(settingTLSCert),
						why: "without a certificate or serverTLSBootstrap the kubelet serves a self-signed certificate"}
				}
				return &verdict{setting: settingTLSKey, flag: "--tls-private-key-file", value: nodeconfig.Text(valueOf(e, settingTLSKey)),
					expected: "the certificate's key file", origin: e.Origin(settingTLSKey),
					why: "a certificate file without its key"}
			})
		})

	register("PAL-739", "kubelet client certificate rotation off", medium, "4.2.10",
		"With rotateCertificates the kubelet requests a new client certificate from the API server before its current one expires; with it off (the default of the configuration file, which kubeadm turns on), the certificate the node joined with is used until it expires and then the node drops out, or is replaced by hand with a long-lived one. "+
			"Where an outside authority (Vault, a cloud agent) issues the kubelet's client certificates, rotation is that tool's job: disable this rule for those nodes.",
		"Set rotateCertificates: true in the kubelet's configuration file (or --rotate-certificates), and let the kube-controller-manager's csrsigner sign the renewals.",
		[]string{refKubeletCertRot, refKubeletConfig}, nil,
		func(p *rules.Pass, o *inventory.Object) {
			checkKubelet(p, o, kubeletSetting{
				setting: "rotateCertificates", flag: "--rotate-certificates", expected: "true", recommendation: "4.2.10", unset: false,
				bad: func(v any, set bool) (string, bool) {
					if b, ok := asBool(v); !set || (ok && !b) {
						return "the client certificate is not renewed before it expires", true
					}
					return "", false
				},
			})
		})

	register("PAL-740", "kubelet serving certificate not rotated", medium, "4.2.11",
		"The RotateKubeletServerCertificate feature gate (on by default) and serverTLSBootstrap let the kubelet request its serving certificate from the API server and renew it before it expires. "+
			"With the gate off, or with neither serverTLSBootstrap nor a certificate of the operator's own (tlsCertFile), the kubelet serves a self-signed certificate that nothing renews. A certificate given as a file is rotated by whoever issues it, which the check cannot see: it passes.",
		"Set serverTLSBootstrap: true in the kubelet's configuration file (or --rotate-server-certificates), leave the RotateKubeletServerCertificate feature gate on, and approve the kubelet-serving certificate signing requests.",
		[]string{refKubeletCertRot, refKubeletTLSBoot}, nil,
		func(p *rules.Pass, o *inventory.Object) {
			judgeKubelet(p, o, "4.2.11", func(a *assessment) *verdict {
				e := a.kubelet
				bootstrap, _ := asBool(valueOf(e, settingServerBoot))
				if cert, _ := valueOf(e, settingTLSCert).(string); cert != "" && !bootstrap {
					return nil // a certificate of the operator's own: its issuer renews it
				}
				gate := "featureGates." + gateServerCertRot
				if v, set := e.Value(gate); set {
					if b, ok := asBool(v); ok && !b {
						return &verdict{setting: gate, flag: "--feature-gates", value: "false", expected: "true", origin: e.Origin(gate),
							why: "the kubelet never requests or renews its serving certificate"}
					}
				}
				if bootstrap {
					return nil
				}
				return &verdict{setting: settingServerBoot, flag: "--rotate-server-certificates", value: nodeconfig.Text(boolOr(valueOf(e, settingServerBoot))),
					expected: "true", origin: e.Origin(settingServerBoot),
					why: "the kubelet serves a self-signed certificate that nothing renews"}
			})
		})

	register("PAL-741", "kubelet accepts weak TLS cipher suites", medium, "4.2.12",
		"Without tlsCipherSuites the kubelet's port 10250 negotiates any suite Go enables by default for TLS 1.2, CBC-mode suites with SHA-1 among them; a list that names RSA key exchange or CBC suites keeps them on. "+
			"Palisade accepts by default the suites with ECDHE key exchange and an AEAD cipher (AES-GCM, ChaCha20-Poly1305) and the TLS 1.3 suites; a kubelet whose tlsMinVersion is VersionTLS13 passes, since TLS 1.3 suites are not configurable. "+
			"CIS's list also names TLS_RSA_WITH_AES_128_GCM_SHA256 and TLS_RSA_WITH_AES_256_GCM_SHA384, which have no forward secrecy: add them to the allowedCipherSuites parameter to follow it to the letter.",
		"Set tlsCipherSuites in the kubelet's configuration file (or --tls-cipher-suites) to ECDHE suites with AES-GCM or ChaCha20-Poly1305 only, for example [TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305, TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305], or set tlsMinVersion: VersionTLS13.",
		[]string{refKubeletConfig, refGoCipherSuites},
		[]rules.Param{{Name: "allowedCipherSuites", Description: "The TLS cipher suites (Go names) a kubelet may list in tlsCipherSuites.", Default: strongCipherSuites}},
		func(p *rules.Pass, o *inventory.Object) {
			allowed := p.Strings("allowedCipherSuites")
			judgeKubelet(p, o, "4.2.12", func(a *assessment) *verdict {
				e := a.kubelet
				if v, _ := e.Value("tlsMinVersion"); v == "VersionTLS13" {
					return nil
				}
				v, set := e.Value(settingCipherSuite)
				suites := stringList(v)
				vd := &verdict{setting: settingCipherSuite, flag: "--tls-cipher-suites", value: nodeconfig.Text(v),
					expected: "strong suites only: " + strings.Join(allowed, ", "), origin: e.Origin(settingCipherSuite)}
				if !set || len(suites) == 0 {
					vd.value = "(unset)"
					vd.why = "Go's default suites apply, CBC-mode suites with SHA-1 among them"
					return vd
				}
				var weak []string
				for _, s := range suites {
					if !slices.Contains(allowed, s) {
						weak = append(weak, s)
					}
				}
				if len(weak) == 0 {
					return nil
				}
				vd.why = "it allows " + strings.Join(weak, ", ")
				return vd
			})
		})

	register("PAL-742", "kubelet sets no limit on a pod's processes", medium, "4.2.13",
		"podPidsLimit caps the number of processes (PIDs) each pod may run. Without it (the default -1, or 0) one pod running a fork bomb or leaking threads exhausts the node's PID space, and the kubelet, the container runtime and every other pod on the node can no longer start a process.",
		"Set podPidsLimit in the kubelet's configuration file (or --pod-max-pids) to a positive number sized for the node's workloads (for example 4096), below the node's kernel.pid_max.",
		[]string{refPIDLimiting, refKubeletConfig}, nil,
		func(p *rules.Pass, o *inventory.Object) {
			checkKubelet(p, o, kubeletSetting{
				setting: "podPidsLimit", flag: "--pod-max-pids", expected: "a positive number", recommendation: "4.2.13", unset: -1,
				bad: func(v any, set bool) (string, bool) {
					if n, ok := asInt(v); !set || (ok && n <= 0) {
						return "a pod can use every PID of the node", true
					}
					return "", false
				},
			})
		})

	register("PAL-743", "kubelet does not default pods to the RuntimeDefault seccomp profile", medium, "4.2.14",
		"With seccompDefault (or --seccomp-default) the kubelet runs every container whose pod names no seccomp profile under the container runtime's RuntimeDefault profile, which blocks the system calls containers rarely need and many kernel exploits use. Without it such containers run Unconfined. "+
			"The setting and the flag are separate (the kubelet uses RuntimeDefault when either is on); a kubelet's /configz shows only the setting, so with it false there the check is unknown.",
		"Set seccompDefault: true in the kubelet's configuration file (or --seccomp-default), after checking that workloads run under the runtime's default profile.",
		[]string{refSeccompDefault, refKubeletConfig}, nil,
		func(p *rules.Pass, o *inventory.Object) {
			judgeKubelet(p, o, "4.2.14", func(a *assessment) *verdict {
				e := a.kubelet
				v, _ := e.Value("seccompDefault")
				if b, _ := asBool(v); b {
					return nil
				}
				val, _, set, known := kubeletFlag(a, "seccomp-default")
				if set {
					if b, ok := asBool(val); ok && b || val == "" {
						return nil
					}
				}
				if !known {
					return &verdict{unknown: "seccompDefault is false in the kubelet's /configz, which does not show the --seccomp-default flag"}
				}
				return &verdict{setting: "seccompDefault", flag: "--seccomp-default", value: nodeconfig.Text(boolOr(v)), expected: "true",
					origin: e.Origin("seccompDefault"), why: "containers whose pod names no seccomp profile run Unconfined"}
			})
		})
}

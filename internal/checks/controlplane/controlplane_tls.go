package controlplane

// kube-apiserver is a TLS client of every kubelet (logs, exec, port-forward) and of
// etcd (every object of the cluster), and a TLS server to everyone else. Without a
// client certificate the kubelets and etcd cannot tell the API server from anyone
// else on the network; without the certificate authorities it cannot tell a real
// kubelet or etcd from an impostor, and sends credentials and Secrets to whoever
// answers. Its own serving certificate and client CA make it verifiable and let
// components authenticate with certificates. The cipher suites and minimum version
// decide how strong all of that is. CIS 1.2.4, 1.2.5, 1.2.23 to 1.2.26 and 1.2.29.

import (
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/workload"
)

const (
	refKubeletAuth   = "https://kubernetes.io/docs/reference/access-authn-authz/kubelet-authn-authz/"
	refCPNodeComm    = "https://kubernetes.io/docs/concepts/architecture/control-plane-node-communication/"
	refPKI           = "https://kubernetes.io/docs/setup/best-practices/certificates/"
	refTLSCipherList = "https://pkg.go.dev/crypto/tls#pkg-constants"
)

// strongCipherSuites are the TLS cipher suites CIS 1.2.29 lists as strong: AEAD
// suites with forward secrecy.
var strongCipherSuites = []string{
	"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
	"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
	"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305", "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
	"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
	"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
}

func init() {
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-714", Title: "API server does not authenticate to or verify kubelets", Severity: high, Category: catControlPlane,
			Rationale:   "kube-apiserver connects to each kubelet to stream logs and to run exec, attach and port-forward. Without --kubelet-client-certificate and --kubelet-client-key it presents no client certificate, so kubelets must accept unauthenticated requests for those calls to work; without --kubelet-certificate-authority it does not verify the kubelet's serving certificate, so anyone who can intercept or impersonate a node's address receives the commands and the data of exec sessions.",
			Remediation: "Set --kubelet-client-certificate and --kubelet-client-key to a client certificate the kubelets authorize, and --kubelet-certificate-authority to the CA that signs kubelet serving certificates (with serverTLSBootstrap and approved kubelet serving CSRs).",
			References:  []string{refKubeletAuth, refCPNodeComm, refAPIServerFlags},
			Frameworks:  cpFrameworks([]string{"1.2.4", "1.2.5"}, nsaNetControl, nsaNetEncryption),
		},
		Scoped: true,
		Workload: func(p *rules.Pass, w *workload.Workload) {
			forComponents(p, w, []string{binAPIServer}, checkKubeletTLS)
		},
	})
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-715", Title: "API server connects to etcd without TLS", Severity: high, Category: catControlPlane,
			Rationale:   "etcd holds every object of the cluster, Secrets included, and whoever can talk to it bypasses authentication, authorization, admission and audit. kube-apiserver needs a client certificate (--etcd-certfile, --etcd-keyfile) so that etcd can require certificates from its clients, and the etcd CA (--etcd-cafile) to verify that it talks to the real etcd; an http:// endpoint in --etcd-servers sends everything in clear text.",
			Remediation: "Serve etcd over https with client certificate authentication, point --etcd-servers at https:// endpoints and set --etcd-certfile, --etcd-keyfile and --etcd-cafile on kube-apiserver.",
			References:  []string{refEtcdOps, refEtcdSecurity, refAPIServerFlags},
			Frameworks:  cpFrameworks([]string{"1.2.23", "1.2.26"}, nsaNetControl, nsaNetEncryption),
		},
		Scoped: true,
		Workload: func(p *rules.Pass, w *workload.Workload) {
			forComponents(p, w, []string{binAPIServer}, checkEtcdClientTLS)
		},
	})
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-716", Title: "API server serving certificate or client CA not set", Severity: medium, Category: catControlPlane,
			Rationale:   "Without --tls-cert-file and --tls-private-key-file kube-apiserver generates a self-signed certificate at start, which no client can verify, so clients are configured to skip verification and can be intercepted. Without --client-ca-file it does not authenticate client certificates at all, which the control-plane components and kubelets normally use.",
			Remediation: "Set --tls-cert-file and --tls-private-key-file to a certificate signed by the cluster CA for the API server's names and addresses, and --client-ca-file to the CA that signs client certificates.",
			References:  []string{refPKI, refAPIServerFlags},
			Frameworks:  cpFrameworks([]string{"1.2.24", "1.2.25"}, nsaNetControl, nsaNetEncryption),
		},
		Scoped: true,
		Workload: func(p *rules.Pass, w *workload.Workload) {
			forComponents(p, w, []string{binAPIServer}, checkServingTLS)
		},
	})
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-717", Title: "API server allows weak TLS cipher suites or versions", Severity: low, Category: catControlPlane,
			Rationale:   "Unless --tls-cipher-suites restricts them, kube-apiserver offers the Go runtime's default TLS 1.2 suites, which include CBC-mode suites with SHA-1 MACs that CIS does not count as strong, and --tls-min-version=VersionTLS10 or VersionTLS11 re-enables protocol versions with known weaknesses. CIS 1.2.29 is a Manual recommendation; the cipherSuites parameter holds its list of strong suites (TLS 1.3 suites cannot be restricted in Go and are always offered).",
			Remediation: "Set --tls-cipher-suites on kube-apiserver to suites from the strong list (ECDHE key exchange with AES-GCM or ChaCha20-Poly1305), and leave --tls-min-version unset or at VersionTLS12 or VersionTLS13.",
			References:  []string{refAPIServerFlags, refTLSCipherList},
			Frameworks:  cpFrameworks([]string{"1.2.29"}, nsaNetEncryption),
			Params: []rules.Param{{Name: "cipherSuites",
				Description: "TLS cipher suites (Go names, as --tls-cipher-suites takes them) the API server may offer.",
				Default:     strongCipherSuites}},
		},
		Scoped: true,
		Workload: func(p *rules.Pass, w *workload.Workload) {
			forComponents(p, w, []string{binAPIServer}, checkCipherSuites)
		},
	})
}

func checkKubeletTLS(_ *rules.Pass, cp *component) []issue {
	out := requireSet(cp, "kubelet-client-certificate", "1.2.4", "the API server presents no client certificate to kubelets")
	out = append(out, requireSet(cp, "kubelet-client-key", "1.2.4", "the API server presents no client certificate to kubelets")...)
	return append(out, requireSet(cp, "kubelet-certificate-authority", "1.2.5", "the API server does not verify kubelets' serving certificates")...)
}

func checkEtcdClientTLS(_ *rules.Pass, cp *component) []issue {
	out := requireSet(cp, "etcd-certfile", "1.2.23", "the API server presents no client certificate to etcd")
	out = append(out, requireSet(cp, "etcd-keyfile", "1.2.23", "the API server presents no client certificate to etcd")...)
	out = append(out, requireSet(cp, "etcd-cafile", "1.2.26", "the API server does not verify etcd's certificate against the etcd CA")...)
	for _, s := range cp.all("etcd-servers") {
		if s.unknown {
			continue
		}
		var plain []string
		for _, u := range strings.Split(s.value, ",") {
			if strings.HasPrefix(strings.ToLower(strings.TrimSpace(u)), "http://") {
				plain = append(plain, strings.TrimSpace(u))
			}
		}
		if len(plain) > 0 {
			out = append(out, issue{s.path, "1.2.23", fmt.Sprintf("%s: %s %s plain http", s.written, strings.Join(plain, ", "), isAre(len(plain)))})
		}
	}
	return out
}

func isAre(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}

func checkServingTLS(_ *rules.Pass, cp *component) []issue {
	why := "the API server serves a self-signed certificate it generates at start"
	out := requireSet(cp, "tls-cert-file", "1.2.24", why)
	out = append(out, requireSet(cp, "tls-private-key-file", "1.2.24", why)...)
	return append(out, requireSet(cp, "client-ca-file", "1.2.25", "client certificates are not authenticated")...)
}

func checkCipherSuites(p *rules.Pass, cp *component) []issue {
	var out []issue
	allowed := p.Strings("cipherSuites")
	suites, from := cp.listValues("tls-cipher-suites")
	if len(from) == 0 {
		out = append(out, issue{cp.missing("tls-cipher-suites"), "1.2.29", "--tls-cipher-suites is not set: the Go runtime's default suites, CBC-mode ones included, are offered"})
	}
	var weak []string
	var at setting
	for i, s := range suites {
		if from[i].unknown || s == "" || containsFold(allowed, s) {
			continue
		}
		if weak == nil {
			at = from[i]
		}
		weak = append(weak, s)
	}
	if len(weak) > 0 {
		out = append(out, issue{at.path, "1.2.29", fmt.Sprintf("--tls-cipher-suites offers %s, not in the strong list", strings.Join(weak, ", "))})
	}
	if s, ok := cp.get("tls-min-version"); ok && !s.unknown && (s.value == "VersionTLS10" || s.value == "VersionTLS11") {
		out = append(out, issue{s.path, "1.2.29", s.written + " accepts TLS versions before 1.2"})
	}
	return out
}

// nonLoopbackHTTP returns the http:// URLs of a list that do not listen on loopback.
func nonLoopbackHTTP(list string) []string {
	var out []string
	for _, raw := range strings.Split(list, ",") {
		raw = strings.TrimSpace(raw)
		u, err := url.Parse(raw)
		if err != nil || !strings.EqualFold(u.Scheme, "http") {
			continue
		}
		if !isLoopback(u.Hostname()) {
			out = append(out, raw)
		}
	}
	return out
}

// isLoopback reports whether a host is a loopback address or localhost.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

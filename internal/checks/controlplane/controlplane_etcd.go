package controlplane

// etcd stores the whole cluster state, Secrets included; a client that can talk to it
// reads and writes everything, past authentication, authorization, admission and
// audit. Its clients (the API servers) and its peers (the other members) must
// therefore be authenticated with certificates, and its traffic encrypted. etcd's
// defaults are the opposite: plain http, no client certificate authentication, and
// --auto-tls/--peer-auto-tls generate self-signed certificates that prove nothing.
// etcd reads flags with Go's flag package and, for flags not given, ETCD_* environment
// variables; with --config-file it ignores both, and is then not checked here. CIS
// section 2.

import (
	"fmt"
	"strings"

	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/workload"
)

func init() {
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-725", Title: "etcd client connections not protected by TLS", Severity: high, Category: catControlPlane,
			Rationale:   "etcd serves its clients over TLS only with --cert-file and --key-file, and requires them to present a certificate signed by --trusted-ca-file only with --client-cert-auth=true (the default is false); --auto-tls=true instead serves a self-signed certificate nobody can verify. Without these, anyone who reaches the client port reads and rewrites the cluster's state. CIS 2.7 (Manual) also asks that the etcd CA be dedicated to etcd, so that certificates issued for other purposes are not accepted; that cannot be seen from one manifest.",
			Remediation: "Set --cert-file, --key-file, --client-cert-auth=true and --trusted-ca-file (an etcd-only CA) on etcd, leave --auto-tls unset or false, and use https:// in --listen-client-urls and --advertise-client-urls.",
			References:  []string{refEtcdSecurity, refEtcdOps},
			Frameworks:  cpFrameworks([]string{"2.1", "2.2", "2.3", "2.7"}, nsaNetControl, nsaNetEncryption),
		},
		Scoped: true,
		Workload: func(p *rules.Pass, w *workload.Workload) {
			forComponents(p, w, []string{binEtcd}, checkEtcdClientSide)
		},
	})
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-726", Title: "etcd peer connections not protected by TLS", Severity: high, Category: catControlPlane,
			Rationale:   "etcd members replicate every write to each other over the peer port. Without --peer-cert-file and --peer-key-file that traffic is plain text, without --peer-client-cert-auth=true (the default is false) any host can join or impersonate a member, and --peer-auto-tls=true uses self-signed certificates that authenticate nothing.",
			Remediation: "Set --peer-cert-file, --peer-key-file, --peer-client-cert-auth=true and --peer-trusted-ca-file on etcd, leave --peer-auto-tls unset or false, and use https:// in --listen-peer-urls and --initial-advertise-peer-urls.",
			References:  []string{refEtcdSecurity, refEtcdOps},
			Frameworks:  cpFrameworks([]string{"2.4", "2.5", "2.6"}, nsaNetControl, nsaNetEncryption),
		},
		Scoped: true,
		Workload: func(p *rules.Pass, w *workload.Workload) {
			forComponents(p, w, []string{binEtcd}, checkEtcdPeerSide)
		},
	})
}

// etcdConfigured reports whether etcd reads a configuration file, which makes it
// ignore flags and environment.
func etcdConfigured(cp *component) bool {
	_, ok := cp.get("config-file")
	return ok
}

func checkEtcdClientSide(_ *rules.Pass, cp *component) []issue {
	if etcdConfigured(cp) {
		return nil
	}
	out := requireSet(cp, "cert-file", "2.1", "etcd serves its clients without TLS")
	out = append(out, requireSet(cp, "key-file", "2.1", "etcd serves its clients without TLS")...)
	out = append(out, requireBool(cp, "client-cert-auth", true, false, "2.2", "clients are not required to present a certificate")...)
	out = append(out, requireBool(cp, "auto-tls", false, false, "2.3", "etcd serves clients a self-signed certificate")...)
	out = append(out, requireSet(cp, "trusted-ca-file", "2.7", "there is no CA to verify client certificates against")...)
	return append(out, plainURLs(cp, "listen-client-urls", "2.1")...)
}

func checkEtcdPeerSide(_ *rules.Pass, cp *component) []issue {
	if etcdConfigured(cp) {
		return nil
	}
	out := requireSet(cp, "peer-cert-file", "2.4", "members replicate to each other without TLS")
	out = append(out, requireSet(cp, "peer-key-file", "2.4", "members replicate to each other without TLS")...)
	out = append(out, requireBool(cp, "peer-client-cert-auth", true, false, "2.5", "peers are not required to present a certificate")...)
	out = append(out, requireBool(cp, "peer-auto-tls", false, false, "2.6", "etcd uses self-signed peer certificates")...)
	return append(out, plainURLs(cp, "listen-peer-urls", "2.4")...)
}

// plainURLs reports http:// URLs beyond loopback in a URL list flag.
func plainURLs(cp *component, name, cis string) []issue {
	s, ok := cp.get(name)
	if !ok || s.unknown {
		return nil
	}
	if plain := nonLoopbackHTTP(s.value); len(plain) > 0 {
		return []issue{{s.path, cis, fmt.Sprintf("%s: %s %s plain http beyond loopback", s.written, strings.Join(plain, ", "), isAre(len(plain)))}}
	}
	return nil
}

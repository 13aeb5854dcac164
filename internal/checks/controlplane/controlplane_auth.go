package controlplane

// Who may call the API server is decided by two chains configured on kube-apiserver:
// authenticators turn a request into a user, and authorizers decide what that user
// may do. Both have unsafe defaults for historical reasons: a request without
// credentials is let in as system:anonymous (--anonymous-auth=true), and without
// --authorization-mode every request is allowed (AlwaysAllow). kubeadm sets
// Node,RBAC, but leaves anonymous requests on. Static token files and unverified
// service account tokens are credentials that cannot be revoked or rotated without a
// restart. CIS 1.2.1, 1.2.2, 1.2.6 to 1.2.8, 1.2.21, 1.2.22 and 1.2.30.

import (
	"fmt"

	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/workload"
)

const (
	refAnonymous   = "https://kubernetes.io/docs/reference/access-authn-authz/authentication/#anonymous-requests"
	refAuthz       = "https://kubernetes.io/docs/reference/access-authn-authz/authorization/"
	refNodeAuthz   = "https://kubernetes.io/docs/reference/access-authn-authz/node/"
	refStaticToken = "https://kubernetes.io/docs/reference/access-authn-authz/authentication/#static-token-file"
)

func init() {
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-701", Title: "API server accepts anonymous requests", Severity: high, Category: catControlPlane,
			Rationale: "kube-apiserver serves requests that carry no credentials as user system:anonymous in group system:unauthenticated unless --anonymous-auth=false; the flag defaults to true. With RBAC those requests reach only what is granted to that user and group (by default health and version endpoints), but a single careless binding to system:anonymous or system:unauthenticated then opens the cluster to anyone who can reach the port, and anonymous requests are also how attackers fingerprint exposed API servers. " +
				"CIS 1.2.1 is a Manual recommendation because some health checks rely on anonymous access; since Kubernetes 1.32 an AuthenticationConfiguration (--authentication-config) can allow anonymous requests to chosen health endpoints only, and when that file is used without the flag it is not judged here.",
			Remediation: "Set --anonymous-auth=false on kube-apiserver. If load balancers or probes need unauthenticated health checks, use --authentication-config with an anonymous section limited to /livez, /readyz and /healthz instead.",
			References:  []string{refAnonymous, refAPIServerFlags},
			Frameworks:  cpFrameworks([]string{"1.2.1"}, nsaAuthn),
		},
		Scoped: true,
		Workload: func(p *rules.Pass, w *workload.Workload) {
			forComponents(p, w, []string{binAPIServer}, checkAnonymousAuth)
		},
	})
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-702", Title: "API server authorizes every request (AlwaysAllow)", Severity: critical, Category: catControlPlane,
			Rationale: "The AlwaysAllow authorizer approves every request it sees. kube-apiserver uses it when --authorization-mode is not set, and an authorizer chain that contains it (RBAC,AlwaysAllow) approves whatever the authorizers before it do not deny, which RBAC never does. Every authenticated user, and with anonymous requests on every client that can reach the port, is then cluster-admin. " +
				"A kube-apiserver configured with --authorization-config (structured authorization, Kubernetes 1.30 and later) takes its chain from that file, which is not judged here.",
			Remediation: "Set --authorization-mode=Node,RBAC on kube-apiserver (or another chain without AlwaysAllow) and grant permissions with RBAC.",
			References:  []string{refAuthz, refAPIServerFlags},
			Frameworks:  cpFrameworks([]string{"1.2.6"}, nsaRBAC),
		},
		Scoped: true,
		Workload: func(p *rules.Pass, w *workload.Workload) {
			forComponents(p, w, []string{binAPIServer}, checkAlwaysAllow)
		},
	})
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-703", Title: "API server authorization lacks the Node or RBAC authorizer", Severity: medium, Category: catControlPlane,
			Rationale: "The Node authorizer limits each kubelet to the objects of the pods scheduled to its own node; without it, kubelets need broad RBAC grants (reading every Secret and ConfigMap), so one compromised node exposes the whole cluster. The RBAC authorizer is what makes Roles and ClusterRoles take effect; without it, permissions come from an external webhook or the deprecated ABAC file, which most tooling, Palisade's RBAC rules included, cannot review. " +
				"When --authorization-mode is not set the chain is AlwaysAllow alone (see PAL-702). A kube-apiserver configured with --authorization-config is not judged here.",
			Remediation: "Set --authorization-mode=Node,RBAC on kube-apiserver (Webhook may follow them), and keep NodeRestriction among the admission plugins.",
			References:  []string{refNodeAuthz, refAuthz},
			Frameworks:  cpFrameworks([]string{"1.2.7", "1.2.8"}, nsaRBAC),
		},
		Scoped: true,
		Workload: func(p *rules.Pass, w *workload.Workload) {
			forComponents(p, w, []string{binAPIServer}, checkAuthorizerChain)
		},
	})
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-704", Title: "API server accepts static tokens from a file", Severity: high, Category: catControlPlane,
			Rationale:   "--token-auth-file makes kube-apiserver accept the bearer tokens listed in a CSV file: they never expire, are kept in plain text on the control-plane node, and can be revoked or rotated only by editing the file and restarting the API server. A leaked token is a permanent credential.",
			Remediation: "Remove --token-auth-file from kube-apiserver and authenticate users with client certificates, OIDC (--oidc-* or --authentication-config) or a webhook; give workloads service account tokens.",
			References:  []string{refStaticToken, refAPIServerFlags},
			Frameworks:  cpFrameworks([]string{"1.2.2"}, nsaAuthn),
		},
		Scoped: true,
		Workload: func(p *rules.Pass, w *workload.Workload) {
			forComponents(p, w, []string{binAPIServer}, checkTokenAuthFile)
		},
	})
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-705", Title: "API server service account token checks weakened", Severity: medium, Category: catControlPlane,
			Rationale: "kube-apiserver verifies service account tokens with the public keys in --service-account-key-file; without the flag it falls back to the serving key (--tls-private-key-file), tying token verification to the TLS certificate. With --service-account-lookup=false (the default is true) it accepts a token whose ServiceAccount or Secret has been deleted, so deleting an account does not revoke its tokens. " +
				"With --service-account-extend-token-expiration (default true) the projected tokens the kubelet requests are issued valid for a year instead of their requested lifetime, to ease migration from legacy tokens, so a stolen token stays usable far longer than it should.",
			Remediation: "On kube-apiserver set --service-account-key-file to the public key(s) matching --service-account-signing-key-file, leave --service-account-lookup unset or true, and set --service-account-extend-token-expiration=false once workloads re-read rotated tokens.",
			References:  []string{refSAAdmin, refAPIServerFlags},
			Frameworks:  cpFrameworks([]string{"1.2.21", "1.2.22", "1.2.30"}, nsaAuthn, nsaSATokens),
		},
		Scoped: true,
		Workload: func(p *rules.Pass, w *workload.Workload) {
			forComponents(p, w, []string{binAPIServer}, checkServiceAccountTokens)
		},
	})
}

// anonymousEnabled reports whether the API server serves anonymous requests, and how
// that reads in the manifest; known is false when a configuration file decides.
func anonymousEnabled(cp *component) (enabled, known bool, how string) {
	s, ok := cp.get("anonymous-auth")
	if !ok {
		if _, file := cp.get("authentication-config"); file {
			return false, false, ""
		}
		return true, true, "--anonymous-auth is not set and defaults to true"
	}
	v, valid := s.boolValue()
	if s.unknown || !valid {
		return false, false, ""
	}
	return v, true, s.written
}

func checkAnonymousAuth(_ *rules.Pass, cp *component) []issue {
	if _, set := cp.get("anonymous-auth"); !set {
		if _, file := cp.get("authentication-config"); file {
			return nil
		}
	}
	return requireBool(cp, "anonymous-auth", false, true, "1.2.1", "requests without credentials are served as system:anonymous")
}

func checkAlwaysAllow(_ *rules.Pass, cp *component) []issue {
	if _, file := cp.get("authorization-config"); file {
		return nil
	}
	anon := ""
	if on, known, how := anonymousEnabled(cp); known && on {
		anon = fmt.Sprintf(", and anonymous requests are served (%s): anyone who reaches the port can do anything", how)
	}
	modes, from := cp.listValues("authorization-mode")
	if len(from) == 0 {
		return []issue{{cp.missing("authorization-mode"), "1.2.6",
			"--authorization-mode is not set and defaults to AlwaysAllow: every authenticated request is allowed" + anon}}
	}
	for i, m := range modes {
		if m == "AlwaysAllow" && !from[i].unknown {
			return []issue{{from[i].path, "1.2.6", from[i].written + " includes AlwaysAllow: every request no earlier authorizer denies is allowed" + anon}}
		}
	}
	return nil
}

func checkAuthorizerChain(_ *rules.Pass, cp *component) []issue {
	if _, file := cp.get("authorization-config"); file {
		return nil
	}
	modes, from := cp.listValues("authorization-mode")
	if len(from) == 0 {
		path := cp.missing("authorization-mode")
		return []issue{
			{path, "1.2.7", "--authorization-mode is not set (AlwaysAllow), so the Node authorizer does not restrict kubelets"},
			{path, "1.2.8", "--authorization-mode is not set (AlwaysAllow), so RBAC roles and bindings have no effect"},
		}
	}
	last := from[len(from)-1]
	for _, s := range from {
		if s.unknown {
			return nil
		}
	}
	var out []issue
	if !contains(modes, "Node") {
		out = append(out, issue{last.path, "1.2.7", last.written + " does not include Node, so kubelets are not restricted to their own node's objects"})
	}
	if !contains(modes, "RBAC") {
		out = append(out, issue{last.path, "1.2.8", last.written + " does not include RBAC, so RBAC roles and bindings have no effect"})
	}
	return out
}

func checkTokenAuthFile(_ *rules.Pass, cp *component) []issue {
	s, ok := cp.get("token-auth-file")
	if !ok {
		return nil
	}
	return []issue{{s.path, "1.2.2", s.written + ": the API server accepts the never-expiring bearer tokens listed in that file"}}
}

func checkServiceAccountTokens(_ *rules.Pass, cp *component) []issue {
	out := requireSet(cp, "service-account-key-file", "1.2.22",
		"service account tokens are verified with the serving key (--tls-private-key-file) instead of the token signing key's public half")
	out = append(out, requireBool(cp, "service-account-lookup", true, true, "1.2.21",
		"tokens of deleted service accounts and Secrets stay valid")...)
	out = append(out, requireBool(cp, "service-account-extend-token-expiration", false, true, "1.2.30",
		"projected service account tokens are issued valid for a year instead of their requested lifetime")...)
	return out
}

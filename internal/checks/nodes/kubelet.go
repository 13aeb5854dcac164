package nodes

// The kubelet serves an HTTPS API on every node (port 10250) that runs commands in
// containers, reads their logs and lists the node's pods. Its authentication and
// authorization decide who may use it: CIS 4.2.

import (
	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/rules"
)

const refKubeletAuth = "https://kubernetes.io/docs/reference/access-authn-authz/kubelet-authn-authz/"

func init() {
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-730", Title: "kubelet accepts anonymous requests", Severity: critical, Category: catNode,
			Rationale: "With anonymous authentication on, the kubelet serves requests without credentials as system:anonymous; with the AlwaysAllow authorizer (the default of a kubelet started without a configuration file) anyone who reaches port 10250 can run commands in every container of the node. " +
				"A kubelet started with flags only has anonymous authentication on by default; a KubeletConfiguration file turns it off unless the file, a drop-in or --anonymous-auth turns it on again.",
			Remediation: "Set authentication.anonymous.enabled: false in the kubelet's configuration file (or --anonymous-auth=false), and authenticate clients with x509 certificates and webhook token review.",
			References:  []string{refKubeletAuth},
			Frameworks:  nodeFrameworks("4.2.1"),
		},
		Kinds:   []string{inventory.NodeFactsKind},
		Targets: rules.Scan,
		Scoped:  true,
		Object: func(p *rules.Pass, o *inventory.Object) {
			checkKubelet(p, o, kubeletSetting{
				setting: "authentication.anonymous.enabled", flag: "--anonymous-auth", expected: "false", recommendation: "4.2.1",
				bad: func(v any, set bool) (string, bool) {
					if b, ok := asBool(v); ok && b {
						return "requests without credentials are served as system:anonymous", true
					}
					return "", false
				},
			})
		},
	})
}

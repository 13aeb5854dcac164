package controlplane_test

import "testing"

func TestAPIServerAudit(t *testing.T) {
	r := []string{"PAL-711", "PAL-712"}
	policy := "--audit-policy-file=/etc/kubernetes/audit-policy.yaml"
	logPath := "--audit-log-path=/var/log/kubernetes/audit.log"
	runCPCases(t, []cpCase{
		{
			name: "no audit", rules: r,
			yaml: apiserver(),
			want: []string{
				"PAL-711 kube-apiserver " + missingFlag("audit-log-path"),
				"PAL-711 kube-apiserver " + missingFlag("audit-policy-file"),
			},
			msgs: map[string][]string{"PAL-711 kube-apiserver " + missingFlag("audit-policy-file"): {"CIS 3.2.1"}},
		},
		{
			name: "audit to a file with retention", rules: r,
			yaml: apiserver(policy, logPath, "--audit-log-maxage=30", "--audit-log-maxbackup=10", "--audit-log-maxsize=200"),
		},
		{
			name: "maxsize unset is 100 MB", rules: r,
			yaml: apiserver(policy, logPath, "--audit-log-maxage=90", "--audit-log-maxbackup=20"),
		},
		{
			name: "short retention", rules: r,
			yaml: apiserver(policy, logPath, "--audit-log-maxage=7", "--audit-log-maxbackup=0", "--audit-log-maxsize=50"),
			want: []string{
				"PAL-712 kube-apiserver " + cmdAt(extraAt(2)),
				"PAL-712 kube-apiserver " + cmdAt(extraAt(3)),
				"PAL-712 kube-apiserver " + cmdAt(extraAt(4)),
			},
			lines: map[string]string{cmdAt(extraAt(2)): "maxage=7"},
			msgs: map[string][]string{
				"PAL-712 kube-apiserver " + cmdAt(extraAt(2)): {"CIS 1.2.17", "--audit-log-maxage=7 is below the minimum of 30 days"},
				"PAL-712 kube-apiserver " + cmdAt(extraAt(3)): {"CIS 1.2.18", "every rotated file is kept"},
				"PAL-712 kube-apiserver " + cmdAt(extraAt(4)): {"CIS 1.2.19"},
			},
		},
		{
			name: "retention minimums by parameter", rules: r,
			yaml:   apiserver(policy, logPath, "--audit-log-maxage=30", "--audit-log-maxbackup=10"),
			params: map[string]map[string]any{"PAL-712": {"minMaxAge": "365", "minMaxSize": "500"}},
			want: []string{
				"PAL-712 kube-apiserver " + cmdAt(extraAt(2)),
				"PAL-712 kube-apiserver " + missingFlag("audit-log-maxsize"),
			},
			msgs: map[string][]string{"PAL-712 kube-apiserver " + missingFlag("audit-log-maxsize"): {"below the minimum of 500 MB"}},
		},
		{
			name: "audit to standard output and a webhook", rules: r,
			yaml: apiserver(policy, "--audit-log-path=-", "--audit-webhook-config-file=/etc/kubernetes/audit-webhook.yaml"),
		},
		{
			name: "webhook backend without a policy", rules: r,
			yaml: apiserver("--audit-webhook-config-file=/etc/kubernetes/audit-webhook.yaml"),
			want: []string{"PAL-711 kube-apiserver " + missingFlag("audit-policy-file")},
		},
	})
}

func TestAuditPolicy(t *testing.T) {
	r := []string{"PAL-713"}
	pol := func(rules string) string {
		return "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n" + rules
	}
	runCPCases(t, []cpCase{
		{
			name: "Metadata for credentials first", rules: r,
			yaml: pol(`  - level: Metadata
    resources:
      - group: ""
        resources: [secrets, configmaps]
      - group: authentication.k8s.io
        resources: [tokenreviews]
  - level: RequestResponse
`),
		},
		{
			name: "catch-all RequestResponse", rules: r,
			yaml:  pol("  - level: RequestResponse\n"),
			want:  []string{"PAL-713 - rules[0].level"},
			lines: map[string]string{"rules[0].level": "level: RequestResponse"},
			msgs:  map[string][]string{"PAL-713 - rules[0].level": {"CIS 3.2.2", `"secrets", "configmaps", "tokenreviews.authentication.k8s.io" at level RequestResponse`}},
		},
		{
			name: "a partial rule falls through to the next", rules: r,
			yaml: pol(`  - level: None
    nonResourceURLs: ["/healthz*"]
  - level: Request
    users: ["admin"]
    resources:
      - group: ""
        resources: ["*"]
  - level: Metadata
    resources:
      - group: ""
  - level: RequestResponse
`),
			want: []string{"PAL-713 - rules[1].level", "PAL-713 - rules[3].level"},
			msgs: map[string][]string{
				"PAL-713 - rules[1].level": {`"secrets", "configmaps" at level Request`},
				"PAL-713 - rules[3].level": {`"tokenreviews.authentication.k8s.io" at level RequestResponse`},
			},
		},
		{
			name: "a Kyverno Policy is not an audit policy", rules: r,
			yaml: `apiVersion: kyverno.io/v1
kind: Policy
metadata:
  name: p
spec:
  rules:
  - level: RequestResponse
rules:
- level: RequestResponse
`,
		},
	})
}

// TestEncryptionAtRestFlag checks that an API server names an encryption configuration.
func TestEncryptionAtRestFlag(t *testing.T) {
	r := []string{"PAL-718"}
	runCPCases(t, []cpCase{
		{
			name: "kubeadm", rules: r,
			yaml: apiserver(),
			want: []string{"PAL-718 kube-apiserver " + missingFlag("encryption-provider-config")},
			msgs: map[string][]string{"PAL-718 kube-apiserver " + missingFlag("encryption-provider-config"): {"CIS 1.2.27 (kube-apiserver): --encryption-provider-config is not set"}},
		},
		{name: "configured", rules: r, yaml: apiserver("--encryption-provider-config=/etc/kubernetes/enc.yaml")},
	})
}

func TestEncryptionConfiguration(t *testing.T) {
	r := []string{"PAL-719", "PAL-720"}
	enc := func(body string) string {
		return "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n" + body
	}
	runCPCases(t, []cpCase{
		{
			name: "KMS v2 first, identity last", rules: r,
			yaml: enc(`  - resources: [secrets, configmaps]
    providers:
      - kms: {apiVersion: v2, name: kms, endpoint: unix:///run/kms.sock}
      - identity: {}
`),
		},
		{
			name: "secrets not listed", rules: r,
			yaml: enc(`  - resources: [configmaps]
    providers:
      - secretbox:
          keys: [{name: k1, secret: c2VjcmV0IGlzIHNlY3VyZSwgc2VjcmV0IGlzIHNlY3VyZQ==}]
`),
			params: map[string]map[string]any{"PAL-719": {"resources": []any{"secrets", "tokenreviews.authentication.k8s.io"}}},
			want:   []string{"PAL-719 - resources"},
			lines:  map[string]string{"resources": "[configmaps]"},
			msgs:   map[string][]string{"PAL-719 - resources": {"CIS 1.2.28", "secrets, tokenreviews.authentication.k8s.io: no entry matches them"}},
		},
		{
			name: "wildcards cover secrets", rules: r,
			yaml: enc(`  - resources: ["*."]
    providers:
      - aesgcm:
          keys: [{name: k1, secret: c2VjcmV0IGlzIHNlY3VyZQ==}]
  - resources: ["*.*"]
    providers:
      - secretbox:
          keys: [{name: k1, secret: c2VjcmV0IGlzIHNlY3VyZSwgc2VjcmV0IGlzIHNlY3VyZQ==}]
`),
		},
		{
			name: "the first matching entry decides: identity first", rules: r,
			yaml: enc(`  - resources: [events, secrets]
    providers:
      - identity: {}
      - aescbc:
          keys: [{name: k1, secret: c2VjcmV0IGlzIHNlY3VyZQ==}]
  - resources: ["*.*"]
    providers:
      - aescbc:
          keys: [{name: k2, secret: c2VjcmV0IGlzIHNlY3VyZQ==}]
`),
			want: []string{
				"PAL-719 - resources[0].providers[0].identity",
				"PAL-720 - resources[1].providers[0].aescbc",
			},
			lines: map[string]string{"resources[0].providers[0].identity": "- identity: {}"},
			msgs: map[string][]string{
				"PAL-719 - resources[0].providers[0].identity": {"lists identity first"},
				"PAL-720 - resources[1].providers[0].aescbc":   {"CIS 1.2.28", "resources[1] (*.*) encrypts new writes with aescbc"},
			},
		},
		{
			name: "KMS v1 and aesgcm on request", rules: r,
			yaml: enc(`  - resources: [secrets]
    providers:
      - kms: {name: legacy, endpoint: unix:///run/kms.sock, cachesize: 100}
  - resources: [configmaps]
    providers:
      - aesgcm:
          keys: [{name: k1, secret: c2VjcmV0IGlzIHNlY3VyZQ==}]
`),
			params: map[string]map[string]any{"PAL-720": {"weakProviders": []any{"kms-v1", "aesgcm"}}},
			want: []string{
				"PAL-720 - resources[0].providers[0].kms",
				"PAL-720 - resources[1].providers[0].aesgcm",
			},
			msgs: map[string][]string{
				"PAL-720 - resources[0].providers[0].kms":    {"kms-v1", "deprecated"},
				"PAL-720 - resources[1].providers[0].aesgcm": {"200,000 writes"},
			},
		},
		{
			name: "the pre-1.13 EncryptionConfig", rules: r,
			yaml: `apiVersion: v1
kind: EncryptionConfig
resources:
  - resources: [secrets]
    providers:
      - identity: {}
`,
			want: []string{"PAL-719 - resources[0].providers[0].identity"},
		},
		{
			name: "another group's EncryptionConfiguration is not read", rules: r,
			yaml: `apiVersion: example.com/v1
kind: EncryptionConfiguration
metadata:
  name: x
resources: []
`,
		},
	})
}

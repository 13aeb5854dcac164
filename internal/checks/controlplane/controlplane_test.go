package controlplane_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/scan"
	"github.com/palisade-k8s/palisade/internal/source"
)

// cpCase is a manifest (pods, or configuration files that are not workloads) scanned
// with optional rule parameters, with exact findings, lines and message fragments.
type cpCase struct {
	name   string
	rules  []string
	yaml   string
	params map[string]map[string]any
	want   []string
	lines  map[string]string
	// msgs maps a finding key to texts its message must contain.
	msgs map[string][]string
}

func runCPCases(t *testing.T, cases []cpCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := scan.Run(scan.Options{
				Source: &source.Files{Paths: []string{"-"}, Stdin: strings.NewReader(tc.yaml)},
				Config: paramsConfig(tc.params), FailOn: "none",
			})
			if err != nil {
				t.Fatalf("scan: %v", err)
			}
			checkInputErrors(t, res.Report.Errors, "")
			got := matchFindings(t, res.Report.Findings, tc.rules, findingKey, tc.want)
			for k, frags := range tc.msgs {
				f := got[k]
				if f == nil {
					t.Errorf("no finding %s to check the message of", k)
					continue
				}
				for _, s := range frags {
					if !strings.Contains(f.Message, s) {
						t.Errorf("%s: message %q does not contain %q", k, f.Message, s)
					}
				}
			}
			checkLines(t, tc.yaml, got, tc.lines)
		})
	}
}

// staticPod is a kube-system Pod like a kubeadm static pod manifest: one container
// named after the binary, with the command and args given (args nil: none).
func staticPod(name string, command, args []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: v1\nkind: Pod\nmetadata:\n  name: %s\n  namespace: kube-system\n  labels:\n    component: %s\n    tier: control-plane\nspec:\n  hostNetwork: true\n  containers:\n  - name: %s\n    image: registry.k8s.io/%s:v1.33.1\n", name, name, name, name)
	for _, l := range []struct {
		key  string
		list []string
	}{{"command", command}, {"args", args}} {
		if l.list == nil {
			continue
		}
		b.WriteString("    " + l.key + ":\n")
		for _, s := range l.list {
			fmt.Fprintf(&b, "    - %q\n", s)
		}
	}
	return b.String()
}

// apiserver is a kube-apiserver static pod with kubeadm's flags plus extra.
func apiserver(extra ...string) string {
	return staticPod("kube-apiserver", append(append([]string{"kube-apiserver"}, kubeadmAPIServerFlags...), extra...), nil)
}

// kubeadmAPIServerFlags are the flags kubeadm sets that matter to the rules.
var kubeadmAPIServerFlags = []string{
	"--authorization-mode=Node,RBAC",
	"--client-ca-file=/etc/kubernetes/pki/ca.crt",
	"--enable-admission-plugins=NodeRestriction",
	"--etcd-cafile=/etc/kubernetes/pki/etcd/ca.crt",
	"--etcd-certfile=/etc/kubernetes/pki/apiserver-etcd-client.crt",
	"--etcd-keyfile=/etc/kubernetes/pki/apiserver-etcd-client.key",
	"--etcd-servers=https://127.0.0.1:2379",
	"--kubelet-client-certificate=/etc/kubernetes/pki/apiserver-kubelet-client.crt",
	"--kubelet-client-key=/etc/kubernetes/pki/apiserver-kubelet-client.key",
	"--service-account-key-file=/etc/kubernetes/pki/sa.pub",
	"--service-account-signing-key-file=/etc/kubernetes/pki/sa.key",
	"--tls-cert-file=/etc/kubernetes/pki/apiserver.crt",
	"--tls-private-key-file=/etc/kubernetes/pki/apiserver.key",
}

const c0 = "spec.containers[0]"

// cmdAt is the path of command item i; missingFlag where a flag not set is reported.
func cmdAt(i int) string { return fmt.Sprintf("%s.command[%d]", c0, i) }

func missingFlag(flag string) string { return c0 + ".command['--" + flag + "']" }

// extraAt is the command index of the i-th extra flag of apiserver().
func extraAt(i int) int { return 1 + len(kubeadmAPIServerFlags) + i }

func TestControlPlaneRecognition(t *testing.T) {
	prof := []string{"PAL-710"}
	runCPCases(t, []cpCase{
		{
			name: "binary by path, flag set twice: the last wins", rules: prof,
			yaml:  staticPod("kube-apiserver", []string{"/usr/local/bin/kube-apiserver", "--profiling=false", "--profiling=true"}, nil),
			want:  []string{"PAL-710 kube-apiserver " + cmdAt(2)},
			lines: map[string]string{cmdAt(2): "--profiling=true"},
			msgs:  map[string][]string{"PAL-710 kube-apiserver " + cmdAt(2): {"CIS 1.2.15 (kube-apiserver)", "--profiling=true"}},
		},
		{
			name: "last false wins", rules: prof,
			yaml: staticPod("kube-apiserver", []string{"kube-apiserver", "--profiling=true", "--profiling=false"}, nil),
		},
		{
			name: "a boolean flag alone is true and does not take the next argument", rules: prof,
			yaml:  staticPod("kube-scheduler", []string{"kube-scheduler", "--bind-address=127.0.0.1", "--profiling", "false"}, nil),
			want:  []string{"PAL-710 kube-scheduler " + cmdAt(2)},
			lines: map[string]string{cmdAt(2): `"--profiling"`},
			msgs:  map[string][]string{"PAL-710 kube-scheduler " + cmdAt(2): {"--profiling (no value: true)", "CIS 1.4.1"}},
		},
		{
			name: "flags split between command and args; a missing flag belongs to args", rules: prof,
			yaml: staticPod("kube-controller-manager", []string{"kube-controller-manager", "--bind-address=127.0.0.1"}, []string{"--use-service-account-credentials=true"}),
			want: []string{"PAL-710 kube-controller-manager " + c0 + ".args['--profiling']"},
			// A list's line is that of its first item.
			lines: map[string]string{c0 + ".args['--profiling']": "--use-service-account-credentials=true"},
		},
		{
			name: "underscores read as dashes", rules: prof,
			yaml: staticPod("kube-apiserver", []string{"kube-apiserver", "--profiling_x=1", "--profiling=false"}, nil),
		},
		{
			name: "hyperkube", rules: prof,
			yaml: staticPod("kube-apiserver", []string{"/hyperkube", "apiserver", "--profiling=true"}, nil),
			want: []string{"PAL-710 kube-apiserver " + cmdAt(2)},
		},
		{
			name: "go-runner", rules: prof,
			yaml: staticPod("kube-scheduler", []string{"/go-runner", "--log-file=/var/log/kube-scheduler.log", "--also-stdout=false", "--", "/usr/local/bin/kube-scheduler", "--profiling=true"}, nil),
			want: []string{"PAL-710 kube-scheduler " + cmdAt(5)},
		},
		{
			name: "shell script", rules: prof,
			yaml: staticPod("kube-apiserver", []string{"/bin/sh", "-c",
				"mkdir -p /var/log && exec /usr/local/bin/kube-apiserver --anonymous-auth=false --profiling='true' 1>>/var/log/kube-apiserver.log 2>&1"}, nil),
			want:  []string{"PAL-710 kube-apiserver " + cmdAt(2) + "['--profiling']"},
			lines: map[string]string{cmdAt(2) + "['--profiling']": "exec /usr/local/bin/kube-apiserver"},
		},
		{
			name: "shell script with a missing flag", rules: prof,
			yaml: staticPod("kube-apiserver", []string{"sh", "-ec", "kube-apiserver --anonymous-auth=false"}, nil),
			want: []string{"PAL-710 kube-apiserver " + cmdAt(2) + "['--profiling']"},
		},
		{
			name: "shell script whose value is a shell variable is not judged", rules: prof,
			yaml: staticPod("kube-apiserver", []string{"sh", "-c", "kube-apiserver --profiling=$PROFILING"}, nil),
		},
		{
			name: "image entrypoint in kube-system", rules: prof,
			yaml: `apiVersion: v1
kind: Pod
metadata:
  name: apiserver
  namespace: kube-system
spec:
  containers:
  - name: apiserver
    image: registry.k8s.io/kube-apiserver-amd64:v1.33.1@sha256:0000000000000000000000000000000000000000000000000000000000000000
    args:
    - --profiling=true
`,
			want:  []string{"PAL-710 apiserver spec.containers[0].args[0]"},
			lines: map[string]string{"spec.containers[0].args[0]": "--profiling=true"},
		},
		{
			name: "image entrypoint outside the control plane is not a component", rules: prof,
			yaml: `apiVersion: v1
kind: Pod
metadata:
  name: apiserver
  namespace: dev
spec:
  containers:
  - name: apiserver
    image: registry.k8s.io/kube-apiserver:v1.33.1
`,
		},
		{
			name: "$(VAR) is expanded from the container's environment", rules: prof,
			yaml: `apiVersion: v1
kind: Pod
metadata:
  name: kube-apiserver
  namespace: kube-system
spec:
  containers:
  - name: kube-apiserver
    image: registry.k8s.io/kube-apiserver:v1.33.1
    env:
    - name: PROFILING
      value: "true"
    - name: FROM_FIELD
      valueFrom:
        fieldRef: {fieldPath: metadata.name}
    command:
    - kube-apiserver
    - --profiling=$(PROFILING)
`,
			want: []string{"PAL-710 kube-apiserver " + cmdAt(1)},
			msgs: map[string][]string{"PAL-710 kube-apiserver " + cmdAt(1): {"--profiling=true"}},
		},
		{
			name: "a value resolved only at run time is not judged", rules: prof,
			yaml: `apiVersion: v1
kind: Pod
metadata:
  name: kube-apiserver
  namespace: kube-system
spec:
  containers:
  - name: kube-apiserver
    image: registry.k8s.io/kube-apiserver:v1.33.1
    env:
    - name: PROFILING
      valueFrom:
        configMapKeyRef: {name: flags, key: profiling}
    command: [kube-apiserver, "--profiling=$(PROFILING)"]
`,
		},
		{
			name: "a quoted boolean is not one the binary accepts", rules: []string{"PAL-701"},
			yaml: apiserver(`--anonymous-auth="false"`),
			want: []string{"PAL-701 kube-apiserver " + cmdAt(extraAt(0))},
			msgs: map[string][]string{"PAL-701 kube-apiserver " + cmdAt(extraAt(0)): {"refuses to start"}},
		},
		{
			name: "init containers are not components", rules: prof,
			yaml: `apiVersion: v1
kind: Pod
metadata:
  name: restore
  namespace: kube-system
spec:
  initContainers:
  - name: check
    image: registry.k8s.io/kube-apiserver:v1.33.1
    command: [kube-apiserver, --version]
  containers:
  - name: app
    image: busybox
`,
		},
	})
}

// TestControlPlaneNotApplications checks that ordinary workloads, etcd used as an
// application database included, never trigger a control-plane rule.
func TestControlPlaneNotApplications(t *testing.T) {
	all := controlPlaneRuleIDs()
	runCPCases(t, []cpCase{
		{
			name: "application etcd StatefulSet", rules: all,
			yaml: `apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: etcd
  namespace: apisix
spec:
  serviceName: etcd
  selector: {matchLabels: {app: etcd}}
  template:
    metadata:
      labels: {app: etcd}
    spec:
      containers:
      - name: etcd
        image: docker.io/bitnami/etcd:3.5.16
        command: [/opt/bitnami/scripts/etcd/entrypoint.sh]
      - name: plain
        image: quay.io/coreos/etcd:v3.5.16
        command: [etcd, --listen-client-urls=http://0.0.0.0:2379]
`,
		},
		{
			name: "application pods in kube-system", rules: all,
			yaml: `apiVersion: apps/v1
kind: Deployment
metadata:
  name: coredns
  namespace: kube-system
spec:
  selector: {matchLabels: {k8s-app: kube-dns}}
  template:
    metadata:
      labels: {k8s-app: kube-dns}
    spec:
      containers:
      - name: coredns
        image: registry.k8s.io/coredns/coredns:v1.11.3
        args: [-conf, /etc/coredns/Corefile]
      - name: shell
        image: busybox
        command: [sh, -c, "echo starting; sleep 3600"]
`,
		},
	})
}

// controlPlaneRuleIDs lists PAL-701..PAL-799.
func controlPlaneRuleIDs() []string {
	var ids []string
	for i := 701; i <= 799; i++ {
		ids = append(ids, fmt.Sprintf("PAL-%d", i))
	}
	return ids
}

func TestAPIServerAuthentication(t *testing.T) {
	r := []string{"PAL-701", "PAL-704", "PAL-705"}
	runCPCases(t, []cpCase{
		{
			name: "kubeadm defaults", rules: r,
			yaml: apiserver(),
			want: []string{
				"PAL-701 kube-apiserver " + missingFlag("anonymous-auth"),
				"PAL-705 kube-apiserver " + missingFlag("service-account-extend-token-expiration"),
			},
			lines: map[string]string{missingFlag("anonymous-auth"): `- "kube-apiserver"`},
			msgs: map[string][]string{
				"PAL-701 kube-apiserver " + missingFlag("anonymous-auth"): {"CIS 1.2.1 (kube-apiserver): --anonymous-auth is not set and defaults to true"},
			},
		},
		{
			name: "hardened", rules: r,
			yaml: apiserver("--anonymous-auth=false", "--service-account-extend-token-expiration=false", "--service-account-lookup=true"),
		},
		{
			name: "an authentication configuration file decides anonymous access", rules: []string{"PAL-701"},
			yaml: apiserver("--authentication-config=/etc/kubernetes/authn.yaml"),
		},
		{
			name: "explicitly on, static tokens, no lookup, no key file", rules: r,
			yaml: staticPod("kube-apiserver", []string{"kube-apiserver", "--anonymous-auth=true", "--token-auth-file=/etc/kubernetes/tokens.csv",
				"--service-account-lookup=false", "--service-account-extend-token-expiration=true"}, nil),
			want: []string{
				"PAL-701 kube-apiserver " + cmdAt(1),
				"PAL-704 kube-apiserver " + cmdAt(2),
				"PAL-705 kube-apiserver " + cmdAt(3),
				"PAL-705 kube-apiserver " + cmdAt(4),
				"PAL-705 kube-apiserver " + missingFlag("service-account-key-file"),
			},
			lines: map[string]string{cmdAt(2): "tokens.csv", cmdAt(3): "--service-account-lookup=false"},
			msgs: map[string][]string{
				"PAL-704 kube-apiserver " + cmdAt(2): {"CIS 1.2.2", "--token-auth-file=/etc/kubernetes/tokens.csv"},
				"PAL-705 kube-apiserver " + cmdAt(3): {"CIS 1.2.21", "--service-account-lookup=false"},
				"PAL-705 kube-apiserver " + cmdAt(4): {"CIS 1.2.30"},
			},
		},
	})
}

func TestAPIServerAuthorization(t *testing.T) {
	r := []string{"PAL-702", "PAL-703"}
	runCPCases(t, []cpCase{
		{name: "Node,RBAC", rules: r, yaml: apiserver()},
		{
			name: "not set: AlwaysAllow", rules: r,
			yaml: staticPod("kube-apiserver", []string{"kube-apiserver", "--anonymous-auth=false"}, nil),
			want: []string{
				"PAL-702 kube-apiserver " + missingFlag("authorization-mode"),
				"PAL-703 kube-apiserver " + missingFlag("authorization-mode"),
			},
			msgs: map[string][]string{
				"PAL-702 kube-apiserver " + missingFlag("authorization-mode"): {"CIS 1.2.6", "defaults to AlwaysAllow"},
				"PAL-703 kube-apiserver " + missingFlag("authorization-mode"): {"CIS 1.2.7", "CIS 1.2.8"},
			},
		},
		{
			name: "AlwaysAllow after RBAC, with anonymous requests", rules: r,
			yaml: staticPod("kube-apiserver", []string{"kube-apiserver", "--authorization-mode=RBAC,AlwaysAllow"}, nil),
			want: []string{"PAL-702 kube-apiserver " + cmdAt(1), "PAL-703 kube-apiserver " + cmdAt(1)},
			msgs: map[string][]string{
				"PAL-702 kube-apiserver " + cmdAt(1): {"--authorization-mode=RBAC,AlwaysAllow includes AlwaysAllow", "anonymous requests are served"},
				"PAL-703 kube-apiserver " + cmdAt(1): {"does not include Node"},
			},
		},
		{
			name: "modes accumulate over repeated flags", rules: r,
			yaml: staticPod("kube-apiserver", []string{"kube-apiserver", "--authorization-mode", "Node", "--authorization-mode=RBAC"}, nil),
		},
		{
			name: "RBAC alone", rules: r,
			yaml:  staticPod("kube-apiserver", []string{"kube-apiserver", "--authorization-mode=Webhook,RBAC"}, nil),
			want:  []string{"PAL-703 kube-apiserver " + cmdAt(1)},
			lines: map[string]string{cmdAt(1): "Webhook,RBAC"},
		},
		{
			name: "an authorization configuration file decides", rules: r,
			yaml: staticPod("kube-apiserver", []string{"kube-apiserver", "--authorization-config=/etc/kubernetes/authz.yaml"}, nil),
		},
	})
}

func TestAPIServerAdmission(t *testing.T) {
	r := []string{"PAL-706", "PAL-707", "PAL-708", "PAL-709"}
	recommended := "--enable-admission-plugins=NodeRestriction,DenyServiceExternalIPs,EventRateLimit,AlwaysPullImages"
	enableAt := cmdAt(3)
	runCPCases(t, []cpCase{
		{
			name: "kubeadm: the recommended plugins are missing", rules: r,
			yaml: apiserver(),
			want: []string{"PAL-709 kube-apiserver " + enableAt},
			msgs: map[string][]string{"PAL-709 kube-apiserver " + enableAt: {
				"CIS 1.2.3 (kube-apiserver): DenyServiceExternalIPs is not enabled (--enable-admission-plugins=NodeRestriction)",
				"CIS 1.2.9", "CIS 1.2.11",
			}},
		},
		{
			name: "recommended plugins chosen by parameter", rules: r,
			yaml:   apiserver(),
			params: map[string]map[string]any{"PAL-709": {"plugins": []any{"DenyServiceExternalIPs", "ImagePolicyWebhook"}}},
			want:   []string{"PAL-709 kube-apiserver " + enableAt},
			msgs: map[string][]string{"PAL-709 kube-apiserver " + enableAt: {
				"CIS 1.2.3", "kube-apiserver: ImagePolicyWebhook not enabled",
			}},
		},
		{
			name: "everything enabled across two flags", rules: r,
			yaml: staticPod("kube-apiserver", []string{"kube-apiserver", "--enable-admission-plugins=NodeRestriction", "--enable-admission-plugins=DenyServiceExternalIPs,EventRateLimit,AlwaysPullImages"}, nil),
		},
		{
			name: "no plugins flag", rules: r,
			yaml: staticPod("kube-apiserver", []string{"kube-apiserver"}, nil),
			want: []string{
				"PAL-706 kube-apiserver " + missingFlag("enable-admission-plugins"),
				"PAL-709 kube-apiserver " + missingFlag("enable-admission-plugins"),
			},
			msgs: map[string][]string{"PAL-706 kube-apiserver " + missingFlag("enable-admission-plugins"): {
				"CIS 1.2.14", "NodeRestriction is not enabled (--enable-admission-plugins is not set)",
			}},
		},
		{
			name: "plugins disabled and AlwaysAdmit", rules: r,
			yaml: staticPod("kube-apiserver", []string{"kube-apiserver", recommended + ",AlwaysAdmit",
				"--disable-admission-plugins=PodSecurity,ServiceAccount,NamespaceLifecycle,NodeRestriction"}, nil),
			want: []string{
				"PAL-706 kube-apiserver " + cmdAt(2),
				"PAL-707 kube-apiserver " + cmdAt(2),
				"PAL-708 kube-apiserver " + cmdAt(1),
				"PAL-708 kube-apiserver " + cmdAt(2),
			},
			msgs: map[string][]string{
				"PAL-707 kube-apiserver " + cmdAt(2): {"CIS 5.2.1", "disables PodSecurity"},
				"PAL-708 kube-apiserver " + cmdAt(1): {"CIS 1.2.10", "AlwaysAdmit"},
				"PAL-708 kube-apiserver " + cmdAt(2): {"CIS 1.2.12", "CIS 1.2.13"},
			},
		},
		{
			name: "the legacy --admission-control replaces the defaults", rules: r,
			yaml: staticPod("kube-apiserver", []string{"kube-apiserver", "--admission-control=NodeRestriction,DenyServiceExternalIPs,EventRateLimit,AlwaysPullImages,ServiceAccount"}, nil),
			want: []string{"PAL-707 kube-apiserver " + cmdAt(1), "PAL-708 kube-apiserver " + cmdAt(1)},
			msgs: map[string][]string{
				"PAL-707 kube-apiserver " + cmdAt(1): {"replaces the default plugins and does not include PodSecurity"},
				"PAL-708 kube-apiserver " + cmdAt(1): {"CIS 1.2.13", "NamespaceLifecycle"},
			},
		},
	})
}

func TestAPIServerTLS(t *testing.T) {
	r := []string{"PAL-714", "PAL-715", "PAL-716", "PAL-717"}
	runCPCases(t, []cpCase{
		{
			name: "kubeadm", rules: r,
			yaml: apiserver(),
			want: []string{
				"PAL-714 kube-apiserver " + missingFlag("kubelet-certificate-authority"),
				"PAL-717 kube-apiserver " + missingFlag("tls-cipher-suites"),
			},
			msgs: map[string][]string{
				"PAL-714 kube-apiserver " + missingFlag("kubelet-certificate-authority"): {"CIS 1.2.5"},
			},
		},
		{
			name: "hardened", rules: r,
			yaml: apiserver("--kubelet-certificate-authority=/etc/kubernetes/pki/ca.crt",
				"--tls-cipher-suites=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305",
				"--tls-min-version=VersionTLS13"),
		},
		{
			name: "nothing set", rules: r,
			yaml: staticPod("kube-apiserver", []string{"kube-apiserver", "--etcd-servers=https://10.0.0.1:2379,http://10.0.0.2:2379",
				"--tls-cipher-suites=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_RSA_WITH_AES_128_CBC_SHA,TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA",
				"--tls-min-version=VersionTLS11"}, nil),
			want: []string{
				"PAL-714 kube-apiserver " + missingFlag("kubelet-client-certificate"),
				"PAL-714 kube-apiserver " + missingFlag("kubelet-client-key"),
				"PAL-714 kube-apiserver " + missingFlag("kubelet-certificate-authority"),
				"PAL-715 kube-apiserver " + missingFlag("etcd-certfile"),
				"PAL-715 kube-apiserver " + missingFlag("etcd-keyfile"),
				"PAL-715 kube-apiserver " + missingFlag("etcd-cafile"),
				"PAL-715 kube-apiserver " + cmdAt(1),
				"PAL-716 kube-apiserver " + missingFlag("tls-cert-file"),
				"PAL-716 kube-apiserver " + missingFlag("tls-private-key-file"),
				"PAL-716 kube-apiserver " + missingFlag("client-ca-file"),
				"PAL-717 kube-apiserver " + cmdAt(2),
				"PAL-717 kube-apiserver " + cmdAt(3),
			},
			lines: map[string]string{cmdAt(1): "--etcd-servers", cmdAt(3): "VersionTLS11"},
			msgs: map[string][]string{
				"PAL-715 kube-apiserver " + cmdAt(1): {"CIS 1.2.23", "http://10.0.0.2:2379 is plain http"},
				"PAL-717 kube-apiserver " + cmdAt(2): {"TLS_RSA_WITH_AES_128_CBC_SHA, TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA"},
				"PAL-717 kube-apiserver " + cmdAt(3): {"CIS 1.2.29", "--tls-min-version=VersionTLS11"},
			},
		},
		{
			name: "cipher allow-list by parameter", rules: []string{"PAL-717"},
			yaml:   apiserver("--tls-cipher-suites=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305"),
			params: map[string]map[string]any{"PAL-717": {"cipherSuites": []any{"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"}}},
			want:   []string{"PAL-717 kube-apiserver " + cmdAt(extraAt(0))},
		},
	})
}

func TestControllerManagerAndScheduler(t *testing.T) {
	r := []string{"PAL-710", "PAL-721", "PAL-722", "PAL-723", "PAL-724"}
	kcm := func(flags ...string) string {
		return staticPod("kube-controller-manager", append([]string{"kube-controller-manager"}, flags...), nil)
	}
	kcmOK := []string{"--bind-address=127.0.0.1", "--profiling=false", "--root-ca-file=/etc/kubernetes/pki/ca.crt",
		"--service-account-private-key-file=/etc/kubernetes/pki/sa.key", "--terminated-pod-gc-threshold=1000",
		"--use-service-account-credentials=true"}
	runCPCases(t, []cpCase{
		{name: "hardened controller manager", rules: r, yaml: kcm(kcmOK...)},
		{
			name: "controller manager defaults", rules: r,
			yaml: kcm("--kubeconfig=/etc/kubernetes/controller-manager.conf"),
			want: []string{
				"PAL-710 kube-controller-manager " + missingFlag("profiling"),
				"PAL-721 kube-controller-manager " + missingFlag("use-service-account-credentials"),
				"PAL-722 kube-controller-manager " + missingFlag("terminated-pod-gc-threshold"),
				"PAL-723 kube-controller-manager " + missingFlag("service-account-private-key-file"),
				"PAL-723 kube-controller-manager " + missingFlag("root-ca-file"),
				"PAL-724 kube-controller-manager " + missingFlag("bind-address"),
			},
			msgs: map[string][]string{
				"PAL-710 kube-controller-manager " + missingFlag("profiling"):                       {"CIS 1.3.2"},
				"PAL-721 kube-controller-manager " + missingFlag("use-service-account-credentials"): {"CIS 1.3.3", "defaults to false"},
				"PAL-722 kube-controller-manager " + missingFlag("terminated-pod-gc-threshold"):     {"CIS 1.3.1"},
				"PAL-724 kube-controller-manager " + missingFlag("bind-address"):                    {"CIS 1.3.7", "0.0.0.0"},
			},
		},
		{
			name: "controller manager weak values", rules: r,
			yaml: kcm(append(append([]string{}, kcmOK[:5]...), "--use-service-account-credentials=false", "--terminated-pod-gc-threshold=0",
				"--bind-address=10.0.0.10", "--feature-gates=RotateKubeletServerCertificate=true", "--feature-gates=Foo=true,RotateKubeletServerCertificate=false")...),
			want: []string{
				"PAL-721 kube-controller-manager " + cmdAt(6),
				"PAL-722 kube-controller-manager " + cmdAt(7),
				"PAL-724 kube-controller-manager " + cmdAt(8),
				"PAL-723 kube-controller-manager " + cmdAt(10),
			},
			msgs: map[string][]string{
				"PAL-722 kube-controller-manager " + cmdAt(7):  {"--terminated-pod-gc-threshold=0 disables"},
				"PAL-723 kube-controller-manager " + cmdAt(10): {"CIS 1.3.6"},
				"PAL-724 kube-controller-manager " + cmdAt(8):  {"--bind-address=10.0.0.10"},
			},
		},
		{
			name: "GC threshold above the maximum", rules: []string{"PAL-722"},
			yaml:   kcm("--terminated-pod-gc-threshold=1000"),
			params: map[string]map[string]any{"PAL-722": {"maxThreshold": "500"}},
			want:   []string{"PAL-722 kube-controller-manager " + cmdAt(1)},
			msgs:   map[string][]string{"PAL-722 kube-controller-manager " + cmdAt(1): {"above the maximum of 500"}},
		},
		{
			name: "feature gate turned back on", rules: []string{"PAL-723"},
			yaml: kcm("--root-ca-file=/ca.crt", "--service-account-private-key-file=/sa.key",
				"--feature-gates=RotateKubeletServerCertificate=false", "--feature-gates=RotateKubeletServerCertificate=true"),
		},
		{
			name: "scheduler defaults", rules: r,
			yaml: staticPod("kube-scheduler", []string{"kube-scheduler", "--kubeconfig=/etc/kubernetes/scheduler.conf"}, nil),
			want: []string{
				"PAL-710 kube-scheduler " + missingFlag("profiling"),
				"PAL-724 kube-scheduler " + missingFlag("bind-address"),
			},
			msgs: map[string][]string{"PAL-724 kube-scheduler " + missingFlag("bind-address"): {"CIS 1.4.2"}},
		},
		{
			name: "scheduler on loopback, profiling set by its configuration file", rules: r,
			yaml: staticPod("kube-scheduler", []string{"kube-scheduler", "--bind-address", "::1", "--config=/etc/kubernetes/scheduler-config.yaml"}, nil),
		},
		{
			name: "scheduler on localhost", rules: r,
			yaml: staticPod("kube-scheduler", []string{"kube-scheduler", "--bind-address=localhost", "--profiling=false"}, nil),
		},
	})
}

func TestEtcd(t *testing.T) {
	r := []string{"PAL-725", "PAL-726"}
	kubeadm := []string{"etcd", "--cert-file=/etc/kubernetes/pki/etcd/server.crt", "--client-cert-auth=true",
		"--key-file=/etc/kubernetes/pki/etcd/server.key", "--listen-client-urls=https://127.0.0.1:2379,https://10.0.0.10:2379",
		"--listen-peer-urls=https://10.0.0.10:2380", "--peer-cert-file=/etc/kubernetes/pki/etcd/peer.crt",
		"--peer-client-cert-auth=true", "--peer-key-file=/etc/kubernetes/pki/etcd/peer.key",
		"--peer-trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt", "--trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt"}
	runCPCases(t, []cpCase{
		{name: "kubeadm", rules: r, yaml: staticPod("etcd", kubeadm, nil)},
		{
			name: "Go flag syntax: single dashes and separate values", rules: r,
			yaml: staticPod("etcd", []string{"etcd", "-cert-file", "/s.crt", "-key-file=/s.key", "-client-cert-auth", "-trusted-ca-file", "/ca.crt",
				"-peer-cert-file=/p.crt", "-peer-key-file=/p.key", "-peer-client-cert-auth=true"}, nil),
		},
		{
			name: "plain etcd", rules: r,
			yaml: staticPod("etcd", []string{"etcd", "--listen-client-urls=http://0.0.0.0:2379", "--listen-peer-urls=http://10.0.0.10:2380,http://127.0.0.1:2380", "--auto-tls=true", "--peer-auto-tls"}, nil),
			want: []string{
				"PAL-725 etcd " + missingFlag("cert-file"),
				"PAL-725 etcd " + missingFlag("key-file"),
				"PAL-725 etcd " + missingFlag("client-cert-auth"),
				"PAL-725 etcd " + missingFlag("trusted-ca-file"),
				"PAL-725 etcd " + cmdAt(1),
				"PAL-725 etcd " + cmdAt(3),
				"PAL-726 etcd " + missingFlag("peer-cert-file"),
				"PAL-726 etcd " + missingFlag("peer-key-file"),
				"PAL-726 etcd " + missingFlag("peer-client-cert-auth"),
				"PAL-726 etcd " + cmdAt(2),
				"PAL-726 etcd " + cmdAt(4),
			},
			lines: map[string]string{cmdAt(3): "--auto-tls=true", cmdAt(4): "--peer-auto-tls\""},
			msgs: map[string][]string{
				"PAL-725 etcd " + cmdAt(1): {"CIS 2.1 (etcd)", "http://0.0.0.0:2379 is plain http"},
				"PAL-725 etcd " + cmdAt(3): {"CIS 2.3", "--auto-tls=true"},
				"PAL-726 etcd " + cmdAt(2): {"CIS 2.4", "http://10.0.0.10:2380 is plain"},
				"PAL-726 etcd " + cmdAt(4): {"CIS 2.6", "--peer-auto-tls (no value: true)"},
			},
		},
		{
			name: "environment variables stand in for flags not given", rules: r,
			yaml: `apiVersion: v1
kind: Pod
metadata:
  name: etcd
  namespace: kube-system
spec:
  containers:
  - name: etcd
    image: registry.k8s.io/etcd:3.5.21-0
    command: [etcd, --cert-file=/s.crt, --key-file=/s.key, --trusted-ca-file=/ca.crt, --peer-cert-file=/p.crt, --peer-key-file=/p.key, --peer-client-cert-auth=true]
    env:
    - name: ETCD_CLIENT_CERT_AUTH
      value: "False"
    - name: ETCD_PEER_AUTO_TLS
      value: "false"
    - name: ETCD_PEER_CLIENT_CERT_AUTH
      value: "false"
`,
			want:  []string{"PAL-725 etcd spec.containers[0].env[0].value"},
			lines: map[string]string{"spec.containers[0].env[0].value": `value: "False"`},
			msgs:  map[string][]string{"PAL-725 etcd spec.containers[0].env[0].value": {"CIS 2.2", "ETCD_CLIENT_CERT_AUTH=False"}},
		},
		{
			name: "a configuration file replaces flags and environment", rules: r,
			yaml: staticPod("etcd", []string{"etcd", "--config-file=/etc/etcd/etcd.conf.yml"}, nil),
		},
	})
}

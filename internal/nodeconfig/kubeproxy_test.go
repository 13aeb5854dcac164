package nodeconfig

import (
	"reflect"
	"strings"
	"testing"
)

const proxyHeader = "apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\n"

func TestKubeProxy(t *testing.T) {
	const conf = "/var/lib/kube-proxy/config.conf"
	pcfg := func(body string) *File { return &File{Path: conf, Content: []byte(proxyHeader + body)} }
	tests := []struct {
		name     string
		in       Input
		want     []want
		flags    map[string]string
		warnings []string
	}{{
		name: "defaults",
		in:   Input{},
		want: []want{
			{path: "metricsBindAddress", value: "127.0.0.1:10249", kind: FromDefault},
			{path: "healthzBindAddress", value: "0.0.0.0:10256"},
			{path: "mode", value: "iptables"},
			{path: "detectLocalMode", value: "ClusterCIDR"},
			{path: "iptables.syncPeriod", value: "30s"},
			{path: "ipvs.syncPeriod", value: "0s"},
			{path: "conntrack.maxPerCore", value: 32768.0},
			{path: "oomScoreAdj", value: -999.0},
		},
	}, {
		name: "flags without --config; the metrics port appended from --metrics-port's default",
		in:   Input{Args: []string{"--metrics-bind-address=0.0.0.0", "--kubeconfig=/var/lib/kube-proxy/kubeconfig.conf", "--proxy-mode", "ipvs", "--ipvs-sync-period=10s", "--iptables-sync-period=5s", "--masquerade-all"}},
		want: []want{
			{path: "metricsBindAddress", value: "0.0.0.0:10249", kind: FromFlag, arg: 0},
			{path: "clientConnection.kubeconfig", value: "/var/lib/kube-proxy/kubeconfig.conf", kind: FromFlag, arg: 1},
			{path: "mode", value: "ipvs", kind: FromFlag, arg: 2},
			{path: "ipvs.syncPeriod", value: "10s", kind: FromFlag, arg: 4},
			{path: "iptables.syncPeriod", value: "0s"},
			{path: "iptables.masqueradeAll", value: true, kind: FromFlag, arg: 6},
		},
	}, {
		name:     "the deprecated --metrics-port=0 disables metrics",
		in:       Input{Args: []string{"--metrics-port=0"}},
		want:     []want{{path: "metricsBindAddress", value: "", kind: FromFlag, arg: 0}},
		warnings: []string{"--metrics-port (argument 0) has been deprecated"},
	}, {
		name: "--config: the file alone, flags ignored but logging and --hostname-override",
		in: Input{Args: []string{"--config=" + conf, "--metrics-bind-address=0.0.0.0:10249", "-v=4", "--hostname-override=Node-1", "--cleanup"},
			Config: pcfg("metricsBindAddress: 0.0.0.0\nmode: nftables\nnftables:\n  syncPeriod: 20s\n")},
		want: []want{
			{path: "metricsBindAddress", value: "0.0.0.0:10249", kind: FromFile, file: conf, line: 3},
			{path: "logging.verbosity", value: 4.0, kind: FromFlag, arg: 2},
			{path: "hostnameOverride", value: "node-1", kind: FromFlag, arg: 3},
			{path: "nftables.syncPeriod", value: "20s"},
			{path: "iptables.syncPeriod", value: "0s"},
			{path: "nodePortAddresses", value: []any{"primary"}},
		},
		flags:    map[string]string{"config": conf, "cleanup": "true"},
		warnings: []string{"--metrics-bind-address (argument 1) is ignored"},
	}, {
		name: "--config with an IPv6 bind address: the metrics default follows",
		in:   Input{Config: pcfg("bindAddress: '::'\n")},
		want: []want{{path: "metricsBindAddress", value: "[::1]:10249"}, {path: "healthzBindAddress", value: "[::]:10256"}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := KubeProxy(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				got, ok := e.Value(w.path)
				if !ok || !reflect.DeepEqual(got, w.value) {
					t.Errorf("%s = %#v (set %v), want %#v", w.path, got, ok, w.value)
				}
				if w.kind == "" {
					continue
				}
				o := e.Origin(w.path)
				if o.Kind != w.kind || o.File != w.file || o.Line != w.line || (w.kind == FromFlag && o.Arg != w.arg) {
					t.Errorf("origin of %s = %+v, want %s %s:%d arg %d", w.path, o, w.kind, w.file, w.line, w.arg)
				}
			}
			for k, v := range tt.flags {
				if got, _ := e.Flag(k); got != v {
					t.Errorf("flag %s = %q, want %q", k, got, v)
				}
			}
			for _, w := range tt.warnings {
				if !strings.Contains(strings.Join(e.Warnings, "\n"), w) {
					t.Errorf("warnings %q lack %q", e.Warnings, w)
				}
			}
		})
	}
}

func TestKubeProxyErrors(t *testing.T) {
	for _, tt := range []struct {
		name string
		in   Input
		want string
	}{
		{"unknown flag", Input{Args: []string{"--nope"}}, `argument 0 ("--nope")`},
		{"bad address", Input{Args: []string{"--metrics-bind-address=localhost:10249"}}, "not a valid IP address"},
		{"argument", Input{Args: []string{"run"}}, "does not take any arguments"},
		{"wrong kind", Input{Config: &File{Path: "/c", Content: []byte("apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n")}}, "/c: unknown apiVersion/kind"},
		{"bad type", Input{Config: &File{Path: "/c", Content: []byte(proxyHeader + "mode: iptables\nconntrack:\n  min: lots\n")}}, "/c: line 5"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := KubeProxy(tt.in)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
}

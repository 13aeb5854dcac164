package nodeconfig

import (
	"strings"
	"testing"
)

// kubeadmConfig is the KubeletConfiguration kubeadm writes.
const kubeadmConfig = `apiVersion: kubelet.config.k8s.io/v1beta1
authentication:
  anonymous:
    enabled: false
  webhook:
    cacheTTL: 0s
    enabled: true
  x509:
    clientCAFile: /etc/kubernetes/pki/ca.crt
authorization:
  mode: Webhook
  webhook:
    cacheAuthorizedTTL: 0s
    cacheUnauthorizedTTL: 0s
cgroupDriver: systemd
clusterDNS:
- 10.96.0.10
clusterDomain: cluster.local
containerRuntimeEndpoint: ""
cpuManagerReconcilePeriod: 0s
evictionPressureTransitionPeriod: 0s
fileCheckFrequency: 0s
healthzBindAddress: 127.0.0.1
healthzPort: 10248
httpCheckFrequency: 0s
imageMaximumGCAge: 0s
imageMinimumGCAge: 0s
kind: KubeletConfiguration
logging:
  flushFrequency: 0
  options:
    json:
      infoBufferSize: "0"
    text:
      infoBufferSize: "0"
  verbosity: 0
memorySwap: {}
nodeStatusReportFrequency: 0s
nodeStatusUpdateFrequency: 0s
rotateCertificates: true
runtimeRequestTimeout: 0s
shutdownGracePeriod: 0s
shutdownGracePeriodCriticalPods: 0s
staticPodPath: /etc/kubernetes/manifests
streamingConnectionIdleTimeout: 0s
syncFrequency: 0s
volumeStatsAggPeriod: 0s
`

var kubeadmArgs = []string{
	"--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf",
	"--kubeconfig=/etc/kubernetes/kubelet.conf",
	"--config=/var/lib/kubelet/config.yaml",
	"--config-dir=/etc/kubernetes/kubelet.conf.d",
	"--container-runtime-endpoint=unix:///var/run/containerd/containerd.sock",
	"--pod-infra-container-image=registry.k8s.io/pause:3.10",
	"--node-ip", "10.0.0.5",
	"--feature-gates=KubeletCrashLoopBackOffMax=true",
}

func FuzzKubelet(f *testing.F) {
	f.Add(strings.Join(kubeadmArgs[:4], "\x00"), []byte(kubeadmConfig), []byte(header+"readOnlyPort: 0\n"))
	f.Add("--read-only-port\x0010255\x00-v=3\x00--eviction-hard=memory.available<1Gi", []byte(header), []byte(header+"authentication: null\n"))
	f.Add("--config-dir=/d\x00--feature-gates=A=true,B", []byte{}, []byte(`{"apiVersion":"kubelet.config.k8s.io/v1beta1","kind":"KubeletConfiguration","featureGates":{"A":null}}`))
	f.Add("-hv\x00--version=raw\x00--\x00x", []byte(header+"maxPods: &a 3\nkubeAPIBurst: *a\n"), []byte(header+"evictionHard: [1]\n"))
	f.Fuzz(func(t *testing.T, args string, file, drop []byte) {
		in := Input{Args: strings.Split(args, "\x00")}
		if len(file) > 0 {
			in.Config = &File{Path: "/var/lib/kubelet/config.yaml", Content: file}
		}
		if len(drop) > 0 {
			in.DropIns = []File{{Path: "/etc/kubernetes/kubelet.conf.d/10.conf", Content: drop}}
		}
		e, err := Kubelet(in)
		if err != nil {
			return
		}
		if e.Object == nil {
			t.Fatal("no object and no error")
		}
		for _, p := range []string{"authentication.anonymous.enabled", "readOnlyPort", "featureGates.A", "evictionHard"} {
			e.Value(p)
			_ = e.Origin(p).String()
		}
		if _, err := KubeProxy(Input{Args: in.Args, Config: in.Config}); err != nil {
			return
		}
	})
}

func BenchmarkKubelet(b *testing.B) {
	in := Input{
		Args:   kubeadmArgs,
		Config: &File{Path: "/var/lib/kubelet/config.yaml", Content: []byte(kubeadmConfig)},
		DropIns: []File{
			dropIn("/etc/kubernetes/kubelet.conf.d/10-eviction.conf", "evictionHard:\n  memory.available: 500Mi\n  nodefs.available: 10%\nsystemReserved:\n  cpu: 500m\n  memory: 1Gi\n"),
			dropIn("/etc/kubernetes/kubelet.conf.d/20-hardening.conf", "readOnlyPort: 0\nprotectKernelDefaults: true\ntlsCipherSuites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384]\nauthentication:\n  anonymous:\n    enabled: false\n"),
		},
	}
	// --pod-infra-container-image was removed: drop it so the input is valid.
	in.Args = append(append([]string{}, kubeadmArgs[:5]...), kubeadmArgs[6:]...)
	if _, err := Kubelet(in); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Kubelet(in); err != nil {
			b.Fatal(err)
		}
	}
}

func FuzzKubeProxy(f *testing.F) {
	f.Add("--metrics-bind-address=0.0.0.0\x00--proxy-mode\x00ipvs", []byte{})
	f.Add("--config=/c\x00-v=4", []byte(proxyHeader+"mode: nftables\nmetricsBindAddress: '::'\n"))
	f.Add("--metrics-port=0\x00--healthz-bind-address=1.2.3.4:5", []byte(proxyHeader+"bindAddress: 001.2.3.4\n"))
	f.Fuzz(func(t *testing.T, args string, file []byte) {
		in := Input{Args: strings.Split(args, "\x00")}
		if len(file) > 0 {
			in.Config = &File{Path: "/var/lib/kube-proxy/config.conf", Content: file}
		}
		e, err := KubeProxy(in)
		if err != nil {
			return
		}
		if _, ok := e.Value("metricsBindAddress"); !ok {
			t.Fatal("no metricsBindAddress")
		}
		_ = e.Origin("metricsBindAddress").String()
	})
}

package main

import (
	"fmt"
	"time"

	"github.com/palisade-k8s/palisade/internal/nodefacts"
)

// kubeletConfig is a kubeadm worker's config.yaml, at its usual size.
const kubeletConfig = `apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
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
logging:
  flushFrequency: 0
  options:
    json:
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

const tlsDropIn = `apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
tlsMinVersion: VersionTLS12
tlsCipherSuites:
- TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
- TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
`

// facts is node i: a worker, every tenth a control-plane node; every third
// keeps the read-only port open by flag, every seventh lacks its kubeconfig.
func facts(i int) *nodefacts.Facts {
	name := fmt.Sprintf("node-%05d", i)
	controlPlane := i%10 == 0
	args := []string{
		"--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf",
		"--kubeconfig=/etc/kubernetes/kubelet.conf",
		"--config=config.yaml",
		"--config-dir=/etc/kubernetes/kubelet.conf.d",
		"--container-runtime-endpoint=unix:///run/containerd/containerd.sock",
		fmt.Sprintf("--node-ip=10.%d.%d.%d", i>>16&255, i>>8&255, i&255),
	}
	if i%3 == 0 {
		args = append(args, "--read-only-port=10255")
	}
	f := &nodefacts.Facts{
		APIVersion:    nodefacts.APIVersion,
		Kind:          nodefacts.Kind,
		Metadata:      nodefacts.Metadata{Name: name},
		SchemaVersion: nodefacts.SchemaVersion,
		CollectedAt:   time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC),
		Collector:     "palisade node collect (nodebench)",
		Source:        nodefacts.SourceHost,
		Root:          "/host",
		Node: nodefacts.NodeInfo{Hostname: name, OSImage: "Ubuntu 24.04.1 LTS", KernelVersion: "6.8.0-49-generic", KubeletVersion: "v1.33.1",
			Labels: map[string]string{"kubernetes.io/hostname": name, "kubernetes.io/os": "linux"}},
		Profile:       "kubeadm",
		ProfileReason: "default profile (no distribution detected)",
		Components: []nodefacts.Component{{
			Name: nodefacts.Kubelet, Found: true, How: nodefacts.HowProcess, PID: 900 + i%1000, Exe: "/usr/bin/kubelet",
			Args: args, Cwd: "/var/lib/kubelet",
			Units:     []string{"/lib/systemd/system/kubelet.service", "/etc/systemd/system/kubelet.service.d/10-kubeadm.conf"},
			EnvFiles:  []string{"/var/lib/kubelet/kubeadm-flags.env", "/etc/default/kubelet"},
			Config:    &nodefacts.ConfigFile{Path: "/var/lib/kubelet/config.yaml", Given: "config.yaml", Content: kubeletConfig},
			DropInDir: "/etc/kubernetes/kubelet.conf.d",
			DropIns: []nodefacts.ConfigFile{
				{Path: "/etc/kubernetes/kubelet.conf.d/10-tls.conf", Content: tlsDropIn},
				{Path: "/etc/kubernetes/kubelet.conf.d/20-events.conf", Content: "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\neventRecordQPS: 5\nprotectKernelDefaults: true\n"},
			},
		}, {
			Name: nodefacts.KubeProxy, Tried: []string{"/proc/*/cmdline"},
		}},
	}
	file := func(path, role, mode, from string) nodefacts.File {
		return nodefacts.File{Path: path, Role: role, Exists: true, Type: "file", Mode: mode, User: "root", Group: "root", From: from}
	}
	f.Files = []nodefacts.File{
		file("/lib/systemd/system/kubelet.service", nodefacts.RoleKubeletService, "0644", "systemd unit"),
		file("/etc/systemd/system/kubelet.service.d/10-kubeadm.conf", nodefacts.RoleKubeletService, "0644", "systemd drop-in"),
		file("/var/lib/kubelet/config.yaml", nodefacts.RoleKubeletConfig, "0644", "--config"),
		file("/etc/kubernetes/pki/ca.crt", nodefacts.RoleClientCA, "0644", "authentication.x509.clientCAFile"),
		{Path: "/etc/cni/net.d", Role: nodefacts.RoleCNI, Exists: true, Type: "dir", Mode: "0755", User: "root", Group: "root", From: "profile kubeadm"},
	}
	if i%7 == 0 {
		f.Files = append(f.Files, nodefacts.File{Path: "/etc/kubernetes/kubelet.conf", Role: nodefacts.RoleKubeletKubeconfig, From: "--kubeconfig"})
	} else {
		f.Files = append(f.Files, file("/etc/kubernetes/kubelet.conf", nodefacts.RoleKubeletKubeconfig, "0600", "--kubeconfig"))
	}
	if controlPlane {
		for _, m := range []struct{ name, role string }{
			{"kube-apiserver", nodefacts.RoleAPIServerManifest}, {"kube-controller-manager", nodefacts.RoleControllerMgrManifest},
			{"kube-scheduler", nodefacts.RoleSchedulerManifest}, {"etcd", nodefacts.RoleEtcdManifest},
		} {
			f.Files = append(f.Files, file("/etc/kubernetes/manifests/"+m.name+".yaml", m.role, "0600", "profile kubeadm"))
		}
		f.Files = append(f.Files,
			nodefacts.File{Path: "/var/lib/etcd", Role: nodefacts.RoleEtcdDataDir, Exists: true, Type: "dir", Mode: "0700", UID: 0, GID: 0, User: "root", Group: "root", From: "profile kubeadm"},
			file("/etc/kubernetes/admin.conf", nodefacts.RoleAdminKubeconfig, "0600", "profile kubeadm"),
			file("/etc/kubernetes/scheduler.conf", nodefacts.RoleSchedulerKubeconfig, "0600", "profile kubeadm"),
			file("/etc/kubernetes/controller-manager.conf", nodefacts.RoleControllerMgrKubeconfig, "0600", "profile kubeadm"),
			nodefacts.File{Path: "/etc/kubernetes/pki", Role: nodefacts.RolePKIDir, Exists: true, Type: "dir", Mode: "0755", User: "root", Group: "root", From: "profile kubeadm"},
		)
		for _, p := range []string{"ca", "apiserver", "apiserver-kubelet-client", "front-proxy-ca", "front-proxy-client", "apiserver-etcd-client", "etcd/ca", "etcd/server", "etcd/peer", "etcd/healthcheck-client"} {
			f.Files = append(f.Files,
				file("/etc/kubernetes/pki/"+p+".crt", nodefacts.RolePKICert, "0644", "profile kubeadm"),
				file("/etc/kubernetes/pki/"+p+".key", nodefacts.RolePKIKey, "0600", "profile kubeadm"))
		}
	}
	return f
}

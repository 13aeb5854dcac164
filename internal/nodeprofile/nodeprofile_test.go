package nodeprofile

import (
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/nodefacts"
)

func TestEveryProfileLoads(t *testing.T) {
	want := []string{"kubeadm", "eks", "aks", "gke", "k3s", "rke2", "bottlerocket", "openshift"}
	got := Names()
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("Names() = %v, want %v", got, want)
	}
	for _, p := range All() {
		if p.Title == "" || p.Benchmark == "" || p.BenchmarkVersion == "" {
			t.Errorf("%s: title, benchmark or benchmark version missing", p.Name)
		}
		if len(p.Kubelet.Kubeconfig) == 0 || len(p.Kubelet.ClientCA) == 0 || len(p.Kubelet.Binaries) == 0 {
			t.Errorf("%s: kubelet kubeconfig, client CA or binaries missing", p.Name)
		}
		if len(p.Kubelet.Config) == 0 && len(p.Kubelet.ConfigDir) == 0 {
			t.Errorf("%s: neither a kubelet config file nor a drop-in directory", p.Name)
		}
		if len(p.KubeProxy.Kubeconfig) == 0 && p.KubeProxy.Absent == "" {
			t.Errorf("%s: no kube-proxy kubeconfig and no reason for its absence", p.Name)
		}
		if p.ControlPlane.Managed {
			if p.ControlPlane.Manifests != "" || p.ControlPlane.PKI != "" {
				t.Errorf("%s: a managed control plane with control-plane locations", p.Name)
			}
			// Every control-plane file rule is "-" on a managed control plane.
			for n := 760; n <= 780; n++ {
				id := "PAL-" + itoa(n)
				if r, ok := p.Recommendation(id, "1.1.x"); ok {
					t.Errorf("%s: %s has recommendation %s on a managed control plane", p.Name, id, r)
				}
			}
		}
		if p.Detect.Default {
			continue
		}
		if len(p.Detect.Labels) == 0 && len(p.Detect.OSImage) == 0 && len(p.Detect.KubeletVersion) == 0 && len(p.Detect.Processes) == 0 {
			t.Errorf("%s: no way to detect it", p.Name)
		}
		for k := range p.Detect.Labels {
			if k == "node.kubernetes.io/instance-type" && p.Detect.Labels[k] == "" {
				t.Errorf("%s: the presence of node.kubernetes.io/instance-type is no evidence (every cloud node has it)", p.Name)
			}
		}
	}
	first, again := All(), All()
	if first[0] != again[0] {
		t.Error("profiles are loaded more than once")
	}
}

func itoa(n int) string {
	return string(rune('0'+n/100)) + string(rune('0'+n/10%10)) + string(rune('0'+n%10))
}

func TestRecommendationsAreNodeRules(t *testing.T) {
	for _, p := range All() {
		for id, r := range p.Recommendations {
			if !IsNodeRule(id) {
				t.Errorf("%s: %s is not a node rule ID", p.Name, id)
			}
			if r != "-" && !validNumber(r) {
				t.Errorf("%s: %s: recommendation %q is not a dotted number or -", p.Name, id, r)
			}
		}
	}
	for _, id := range []string{"PAL-730", "PAL-744", "PAL-750", "PAL-759", "PAL-760", "PAL-780"} {
		if !IsNodeRule(id) {
			t.Errorf("IsNodeRule(%s) = false", id)
		}
	}
	for _, id := range []string{"PAL-729", "PAL-745", "PAL-749", "PAL-781", "PAL-7300", "PAL-73a", "pal-730", "PAL-001"} {
		if IsNodeRule(id) {
			t.Errorf("IsNodeRule(%s) = true", id)
		}
	}
}

func validNumber(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) < 2 {
		return false
	}
	for _, p := range parts {
		if p == "" || strings.Trim(p, "0123456789") != "" {
			return false
		}
	}
	return true
}

func TestRecommendation(t *testing.T) {
	eks, _ := Get("eks")
	if r, ok := eks.Recommendation("PAL-730", "4.2.1"); !ok || r != "3.2.1" {
		t.Errorf("eks PAL-730 = %q, %v; want 3.2.1", r, ok)
	}
	if r, ok := eks.Recommendation("PAL-736", "4.2.7"); ok {
		t.Errorf("eks PAL-736 (hostname override) = %q, want none", r)
	}
	gke, _ := Get("gke")
	if r, ok := gke.Recommendation("PAL-752", "4.1.3"); !ok || r != "3.1.1" {
		t.Errorf("gke PAL-752 = %q, %v; want 3.1.1 (proxy kubeconfig)", r, ok)
	}
	kubeadm, _ := Get("kubeadm")
	if r, ok := kubeadm.Recommendation("PAL-765", "1.1.6"); !ok || r != "1.1.6" {
		t.Errorf("kubeadm PAL-765 = %q, %v; want the CIS number", r, ok)
	}
	k3s, _ := Get("k3s")
	if _, ok := k3s.Recommendation("PAL-750", "4.1.1"); ok {
		t.Error("k3s has a kubelet service file recommendation; its kubelet is embedded")
	}
	if r, ok := k3s.Recommendation("PAL-754", "4.1.5"); !ok || r != "4.1.5" {
		t.Errorf("k3s PAL-754 = %q, %v", r, ok)
	}
}

func TestChoose(t *testing.T) {
	for _, c := range []struct {
		name   string
		facts  nodefacts.Facts
		want   string
		reason string
	}{
		{"eks managed node group", nodefacts.Facts{Node: nodefacts.NodeInfo{
			OSImage: "Amazon Linux 2023.5.20240624", KubeletVersion: "v1.30.0-eks-036c24b",
			Labels: map[string]string{"eks.amazonaws.com/nodegroup": "ng-1", "node.kubernetes.io/instance-type": "m5.large", "topology.kubernetes.io/zone": "eu-west-1a"}}},
			"eks", "node label eks.amazonaws.com/nodegroup"},
		{"eks self-managed, version only", nodefacts.Facts{Node: nodefacts.NodeInfo{
			OSImage: "Amazon Linux 2", KubeletVersion: "v1.29.3-eks-ae9a62a",
			Labels: map[string]string{"node.kubernetes.io/instance-type": "m5.large"}}},
			"eks", "kubelet version"},
		{"bottlerocket in an eks node group", nodefacts.Facts{Node: nodefacts.NodeInfo{
			OSImage: "Bottlerocket OS 1.20.3 (aws-k8s-1.30)", KubeletVersion: "v1.30.1-eks-e564799",
			Labels: map[string]string{"eks.amazonaws.com/nodegroup": "br", "node.kubernetes.io/instance-type": "m5.large"}}},
			"bottlerocket", "over node label eks.amazonaws.com/nodegroup"},
		{"bottlerocket from the OS image", nodefacts.Facts{Node: nodefacts.NodeInfo{OSImage: "Bottlerocket OS 1.19.0 (aws-k8s-1.29)"}},
			"bottlerocket", "OS image"},
		{"aks", nodefacts.Facts{Node: nodefacts.NodeInfo{
			OSImage: "Ubuntu 22.04.4 LTS", KubeletVersion: "v1.29.4",
			Labels: map[string]string{"kubernetes.azure.com/cluster": "MC_rg_aks_westeurope", "kubernetes.azure.com/agentpool": "nodepool1", "node.kubernetes.io/instance-type": "Standard_D4s_v3"}}},
			"aks", "node label kubernetes.azure.com/agentpool"},
		{"gke", nodefacts.Facts{Node: nodefacts.NodeInfo{
			OSImage: "Container-Optimized OS from Google", KubeletVersion: "v1.29.1-gke.1589018",
			Labels: map[string]string{"cloud.google.com/gke-nodepool": "default-pool", "node.kubernetes.io/instance-type": "e2-medium"}}},
			"gke", "node label cloud.google.com/gke-nodepool"},
		{"gke from the OS image", nodefacts.Facts{Node: nodefacts.NodeInfo{OSImage: "Container-Optimized OS from Google"}},
			"gke", "OS image"},
		{"k3s", nodefacts.Facts{Node: nodefacts.NodeInfo{
			OSImage: "Ubuntu 22.04.3 LTS", KubeletVersion: "v1.30.2+k3s1",
			Labels: map[string]string{"node.kubernetes.io/instance-type": "k3s", "beta.kubernetes.io/instance-type": "k3s", "node-role.kubernetes.io/control-plane": "true"}}},
			"k3s", "node label node.kubernetes.io/instance-type=k3s"},
		{"k3s from its version", nodefacts.Facts{Node: nodefacts.NodeInfo{OSImage: "Debian GNU/Linux 12 (bookworm)", KubeletVersion: "v1.31.1+k3s1"}},
			"k3s", "kubelet version"},
		{"k3s from its process", nodefacts.Facts{Node: nodefacts.NodeInfo{OSImage: "Alpine Linux v3.20"},
			Components: []nodefacts.Component{{Name: nodefacts.Kubelet, Found: true, Exe: "/usr/local/bin/k3s"}}},
			"k3s", "process k3s"},
		{"rke2", nodefacts.Facts{Node: nodefacts.NodeInfo{
			OSImage: "SUSE Linux Enterprise Server 15 SP5", KubeletVersion: "v1.29.5+rke2r1",
			Labels: map[string]string{"node.kubernetes.io/instance-type": "rke2"}}},
			"rke2", "node label node.kubernetes.io/instance-type=rke2"},
		{"openshift", nodefacts.Facts{Node: nodefacts.NodeInfo{
			OSImage: "Red Hat Enterprise Linux CoreOS 415.92.202402201450-0 (Plow)", KubeletVersion: "v1.28.6+6216ea1",
			Labels: map[string]string{"node.openshift.io/os_id": "rhcos", "node-role.kubernetes.io/worker": ""}}},
			"openshift", "node label node.openshift.io/os_id"},
		{"openshift from the OS image", nodefacts.Facts{Node: nodefacts.NodeInfo{OSImage: "Red Hat Enterprise Linux CoreOS 416.94"}},
			"openshift", "OS image"},
		{"kubeadm on a cloud: instance-type is generic", nodefacts.Facts{Node: nodefacts.NodeInfo{
			OSImage: "Ubuntu 24.04 LTS", KubeletVersion: "v1.31.0",
			Labels: map[string]string{"node.kubernetes.io/instance-type": "m5.large", "kubernetes.io/os": "linux"}},
			Components: []nodefacts.Component{{Name: nodefacts.Kubelet, Found: true, Exe: "/usr/bin/kubelet"}}},
			"kubeadm", "the default profile"},
		{"named profile wins", nodefacts.Facts{Profile: "rke2", Node: nodefacts.NodeInfo{Labels: map[string]string{"eks.amazonaws.com/nodegroup": "x"}}},
			"rke2", "named by the facts"},
		{"unknown named profile falls back to evidence", nodefacts.Facts{Profile: "nosuch", Node: nodefacts.NodeInfo{Labels: map[string]string{"eks.amazonaws.com/nodegroup": "x"}}},
			"eks", "node label"},
		{"a label beats the OS image", nodefacts.Facts{Node: nodefacts.NodeInfo{OSImage: "Container-Optimized OS from Google",
			Labels: map[string]string{"node.openshift.io/os_id": "rhcos"}}},
			"openshift", "node label"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, why := Choose(&c.facts)
			if p == nil || p.Name != c.want {
				t.Fatalf("Choose = %v (%s), want %s", p, why, c.want)
			}
			if !strings.Contains(why, c.reason) {
				t.Errorf("reason %q does not say %q", why, c.reason)
			}
		})
	}
}

func TestLoadStrict(t *testing.T) {
	good := "- name: a\n  title: A\n  benchmark: B\n  detect: {default: true}\n  kubelet: {}\n  kubeProxy: {}\n  controlPlane: {}\n"
	if _, err := load([]byte(good)); err != nil {
		t.Fatalf("load(good) = %v", err)
	}
	for name, doc := range map[string]string{
		"unknown key":          good + "  color: blue\n",
		"unknown nested key":   strings.Replace(good, "kubelet: {}", "kubelet: {services: [x]}", 1),
		"not a node rule":      good + "  recommendations: {PAL-001: 1.2.3}\n",
		"reserved rule":        good + "  recommendations: {PAL-745: 4.3.2}\n",
		"empty recommendation": good + "  recommendations: {PAL-730: \"\"}\n",
		"two defaults":         good + strings.Replace(good, "name: a", "name: b", 1),
		"no default":           strings.Replace(good, "default: true", "default: false", 1),
		"duplicate":            good + good,
		"no name":              strings.Replace(good, "name: a", "name: \"\"", 1),
		"unknown override":     strings.Replace(good, "default: true", "default: true, overrides: [zz]", 1),
		"not a list":           "name: a\n",
	} {
		if _, err := load([]byte(doc)); err == nil {
			t.Errorf("%s: load accepted\n%s", name, doc)
		}
	}
}

// FuzzLoad: load never panics, and what it accepts has one default and node rule
// IDs only.
func FuzzLoad(f *testing.F) {
	f.Add(profilesYAML)
	f.Add([]byte("- name: a\n  benchmark: B\n  detect: {default: true}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ps, err := load(data)
		if err != nil {
			return
		}
		for _, p := range ps {
			for id := range p.Recommendations {
				if !IsNodeRule(id) {
					t.Fatalf("accepted %s", id)
				}
			}
		}
	})
}

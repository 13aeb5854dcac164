// Package nodeprofile holds the distribution profiles (kubeadm, EKS, AKS, GKE, k3s,
// RKE2, Bottlerocket, OpenShift) as data (profiles.yaml): where each keeps the
// kubelet's and kube-proxy's files and the control plane's, how its nodes are
// recognised (node labels, OS image, processes), and which benchmark variant
// applies, with the variant's number for each node rule. The collector uses a
// profile's locations when a command line names no file; the checks name the
// variant's recommendation.
package nodeprofile

import (
	_ "embed"
	"fmt"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/palisade-k8s/palisade/internal/nodefacts"
	"sigs.k8s.io/yaml"
)

//go:embed profiles.yaml
var profilesYAML []byte

// Profile is one distribution's profile.
type Profile struct {
	Name  string `json:"name"`
	Title string `json:"title"`
	// Benchmark names the benchmark variant that applies, and BenchmarkVersion its
	// version.
	Benchmark        string `json:"benchmark"`
	BenchmarkVersion string `json:"benchmarkVersion,omitempty"`
	Detect           Detect `json:"detect"`
	Kubelet          struct {
		Service    []string `json:"service,omitempty"`
		Kubeconfig []string `json:"kubeconfig,omitempty"`
		Config     []string `json:"config,omitempty"`
		ConfigDir  []string `json:"configDir,omitempty"`
		ClientCA   []string `json:"clientCA,omitempty"`
		// Binaries are the process names that run the kubelet (kubelet, or k3s).
		Binaries []string `json:"binaries,omitempty"`
	} `json:"kubelet"`
	KubeProxy struct {
		Kubeconfig []string `json:"kubeconfig,omitempty"`
		Config     []string `json:"config,omitempty"`
		// Absent says why a node may have no kube-proxy file on the host (run from
		// ConfigMaps, or replaced by an eBPF dataplane): its checks are then not
		// applicable rather than failed.
		Absent string `json:"absent,omitempty"`
	} `json:"kubeProxy"`
	ControlPlane struct {
		// Managed: the provider runs the control plane; no node holds its files.
		Managed                     bool     `json:"managed,omitempty"`
		Manifests                   string   `json:"manifests,omitempty"`
		PKI                         string   `json:"pki,omitempty"`
		EtcdData                    string   `json:"etcdData,omitempty"`
		AdminKubeconfig             []string `json:"adminKubeconfig,omitempty"`
		SchedulerKubeconfig         []string `json:"schedulerKubeconfig,omitempty"`
		ControllerManagerKubeconfig []string `json:"controllerManagerKubeconfig,omitempty"`
		CNI                         []string `json:"cni,omitempty"`
	} `json:"controlPlane"`
	// Recommendations maps a node rule (PAL-7xx) to the variant's recommendation
	// number; a rule absent from the map keeps its CIS Kubernetes Benchmark number,
	// and "-" says the variant has no such recommendation (the check does not apply).
	Recommendations map[string]string `json:"recommendations,omitempty"`
}

// Detect says how a profile's nodes are recognised.
type Detect struct {
	// Default marks the profile used when no other matches.
	Default bool `json:"default,omitempty"`
	// Labels: a node label key whose presence (value "") or value marks the profile.
	Labels map[string]string `json:"labels,omitempty"`
	// OSImage: substrings of the OS image (case-insensitive).
	OSImage []string `json:"osImage,omitempty"`
	// KubeletVersion: substrings of the kubelet's version (v1.30.2+k3s1,
	// v1.29.3-eks-ae9a62a).
	KubeletVersion []string `json:"kubeletVersion,omitempty"`
	// Processes: executable names of the processes that mark the distribution.
	Processes []string `json:"processes,omitempty"`
	// Overrides names profiles whose label match this profile's OS image match
	// wins over (a Bottlerocket node of an EKS node group carries EKS's labels,
	// but its files are Bottlerocket's).
	Overrides []string `json:"overrides,omitempty"`
}

var (
	loadOnce sync.Once
	all      []*Profile
	loadErr  error
)

// load decodes and validates profiles.yaml, strictly (unknown keys refused).
func load(data []byte) ([]*Profile, error) {
	var ps []*Profile
	if err := yaml.UnmarshalStrict(data, &ps); err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	defaults := 0
	for i, p := range ps {
		if p == nil || p.Name == "" {
			return nil, fmt.Errorf("profile %d has no name", i+1)
		}
		if seen[p.Name] {
			return nil, fmt.Errorf("profile %s defined twice", p.Name)
		}
		seen[p.Name] = true
		if p.Detect.Default {
			defaults++
		}
		if p.Benchmark == "" {
			return nil, fmt.Errorf("profile %s names no benchmark", p.Name)
		}
		for id, r := range p.Recommendations {
			if !IsNodeRule(id) {
				return nil, fmt.Errorf("profile %s: recommendation for %s, not a node rule (PAL-730..PAL-744, PAL-750..PAL-759, PAL-760..PAL-780)", p.Name, id)
			}
			if r == "" {
				return nil, fmt.Errorf("profile %s: empty recommendation for %s (write \"-\" when the variant has none)", p.Name, id)
			}
		}
	}
	for _, p := range ps {
		for _, o := range p.Detect.Overrides {
			if !seen[o] {
				return nil, fmt.Errorf("profile %s overrides unknown profile %s", p.Name, o)
			}
		}
	}
	if defaults != 1 {
		return nil, fmt.Errorf("%d default profiles, want 1", defaults)
	}
	return ps, nil
}

// IsNodeRule says whether id is a node rule ID: PAL-730..PAL-744 (kubelet,
// kube-proxy), PAL-750..PAL-759 (worker node files), PAL-760..PAL-780
// (control-plane node files).
func IsNodeRule(id string) bool {
	n, ok := strings.CutPrefix(id, "PAL-")
	if !ok || len(n) != 3 {
		return false
	}
	v, err := strconv.Atoi(n)
	if err != nil {
		return false
	}
	return (v >= 730 && v <= 744) || (v >= 750 && v <= 780)
}

// All returns every profile, in the file's order. The profiles are loaded once.
func All() []*Profile {
	loadOnce.Do(func() {
		all, loadErr = load(profilesYAML)
	})
	if loadErr != nil {
		panic(fmt.Sprintf("nodeprofile: profiles.yaml: %v", loadErr))
	}
	return all
}

// Get returns the named profile.
func Get(name string) (*Profile, bool) {
	for _, p := range All() {
		if p.Name == name {
			return p, true
		}
	}
	return nil, false
}

// Names lists the profiles' names.
func Names() []string {
	var out []string
	for _, p := range All() {
		out = append(out, p.Name)
	}
	return out
}

// Choose returns the profile for a node's facts, and why. The facts' own profile
// (--profile, or the collector's choice) wins; then the most explicit evidence:
// a node label (unless a profile that overrides the labelled one matches the OS
// image), the OS image, the kubelet's version, the processes found on the node;
// else the default profile.
func Choose(f *nodefacts.Facts) (*Profile, string) {
	if f.Profile != "" {
		if p, ok := Get(f.Profile); ok {
			return p, "named by the facts"
		}
	}
	if p, key := byLabel(f.Node.Labels); p != nil {
		for _, o := range All() {
			if slices.Contains(o.Detect.Overrides, p.Name) && osImageMatch(o, f.Node.OSImage) {
				return o, fmt.Sprintf("OS image %q (over node label %s, which names %s)", f.Node.OSImage, key, p.Name)
			}
		}
		return p, "node label " + key
	}
	for _, p := range All() {
		if osImageMatch(p, f.Node.OSImage) {
			return p, fmt.Sprintf("OS image %q", f.Node.OSImage)
		}
	}
	for _, p := range All() {
		for _, s := range p.Detect.KubeletVersion {
			if f.Node.KubeletVersion != "" && strings.Contains(f.Node.KubeletVersion, s) {
				return p, fmt.Sprintf("kubelet version %q", f.Node.KubeletVersion)
			}
		}
	}
	procs := processes(f)
	for _, p := range All() {
		if p.Detect.Default {
			continue // the default's processes (a plain kubelet) are no evidence
		}
		for _, s := range p.Detect.Processes {
			if procs[s] {
				return p, "process " + s
			}
		}
	}
	for _, p := range All() {
		if p.Detect.Default {
			return p, "the default profile (no node label, OS image, kubelet version or process names a distribution)"
		}
	}
	return nil, "no profile"
}

// byLabel is the first profile (in file order) one of whose labels the node
// carries, and the label (key or key=value).
func byLabel(labels map[string]string) (*Profile, string) {
	if len(labels) == 0 {
		return nil, ""
	}
	for _, p := range All() {
		keys := make([]string, 0, len(p.Detect.Labels))
		for k := range p.Detect.Labels {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			want := p.Detect.Labels[k]
			got, ok := labels[k]
			switch {
			case !ok:
			case want == "":
				return p, k
			case got == want:
				return p, k + "=" + want
			}
		}
	}
	return nil, ""
}

func osImageMatch(p *Profile, image string) bool {
	if image == "" {
		return false
	}
	for _, s := range p.Detect.OSImage {
		if strings.Contains(strings.ToLower(image), strings.ToLower(s)) {
			return true
		}
	}
	return false
}

// processes are the executable names of the components found on the node.
func processes(f *nodefacts.Facts) map[string]bool {
	out := map[string]bool{}
	for _, c := range f.Components {
		if c.Found && c.Exe != "" {
			out[path.Base(c.Exe)] = true
		}
	}
	return out
}

// Recommendation is the variant's number for a rule, given the rule's CIS
// Kubernetes Benchmark number, and whether the variant has it.
func (p *Profile) Recommendation(ruleID, cis string) (string, bool) {
	if r, ok := p.Recommendations[ruleID]; ok {
		return r, r != "-"
	}
	return cis, true
}

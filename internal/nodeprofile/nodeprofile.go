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
	"strings"
	"sync"

	"github.com/palisade-k8s/palisade/internal/nodefacts"
	"sigs.k8s.io/yaml"
)

//go:embed profiles.yaml
var profilesYAML []byte

// Profile is one distribution's profile.
type Profile struct {
	Name      string `json:"name"`
	Title     string `json:"title"`
	Benchmark string `json:"benchmark"`
	Detect    Detect `json:"detect"`
	Kubelet   struct {
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
	} `json:"kubeProxy"`
	ControlPlane struct {
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
	// Processes: names of processes only this distribution runs.
	Processes []string `json:"processes,omitempty"`
}

var (
	loadOnce sync.Once
	all      []*Profile
	loadErr  error
)

// All returns every profile, in the file's order.
func All() []*Profile {
	loadOnce.Do(func() {
		loadErr = yaml.UnmarshalStrict(profilesYAML, &all)
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

// Choose returns the profile for a node's facts: the facts' own profile when set,
// else the first whose detection matches, else the default; and why.
func Choose(f *nodefacts.Facts) (*Profile, string) {
	if f.Profile != "" {
		if p, ok := Get(f.Profile); ok {
			return p, "named by the facts"
		}
	}
	var def *Profile
	for _, p := range All() {
		if p.Detect.Default {
			def = p
		}
		for k, v := range p.Detect.Labels {
			if got, ok := f.Node.Labels[k]; ok && (v == "" || got == v) {
				return p, "node label " + k
			}
		}
		for _, s := range p.Detect.OSImage {
			if strings.Contains(strings.ToLower(f.Node.OSImage), strings.ToLower(s)) {
				return p, "OS image " + f.Node.OSImage
			}
		}
	}
	return def, "the default profile"
}

// Recommendation is the variant's number for a rule, given the rule's CIS
// Kubernetes Benchmark number, and whether the variant has it.
func (p *Profile) Recommendation(ruleID, cis string) (string, bool) {
	if r, ok := p.Recommendations[ruleID]; ok {
		return r, r != "-"
	}
	return cis, true
}

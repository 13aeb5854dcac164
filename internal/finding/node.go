package finding

// NodeEvidence is what a node check (PAL-730..PAL-780) judged: one setting of a
// node daemon's effective configuration, or one file's owner and mode.
type NodeEvidence struct {
	// Node is the node's name (the facts' metadata.name).
	Node string `json:"node"`
	// Profile is the distribution profile that chose the file locations and the
	// benchmark (kubeadm, eks, gke, ...).
	Profile string `json:"profile,omitempty"`
	// Benchmark and Recommendation name the recommendation in the profile's
	// benchmark ("CIS Amazon EKS Benchmark v1.7", "3.2.1"); the rule's own
	// frameworks map it to the CIS Kubernetes Benchmark.
	Benchmark      string `json:"benchmark,omitempty"`
	Recommendation string `json:"recommendation,omitempty"`
	// Component is the daemon (kubelet, kube-proxy) of a configuration check.
	Component string `json:"component,omitempty"`
	// Setting is the configuration field judged, as a dotted JSON path
	// ("authentication.anonymous.enabled"), and Flag its command-line flag.
	Setting string `json:"setting,omitempty"`
	Flag    string `json:"flag,omitempty"`
	// Value is the effective value as text, Expected what the recommendation asks.
	Value    string `json:"value,omitempty"`
	Expected string `json:"expected,omitempty"`
	// Origin says where the effective value came from.
	Origin *NodeOrigin `json:"origin,omitempty"`
	// File is the file of a file check.
	File *NodeFile `json:"file,omitempty"`
}

// NodeOrigin is where an effective value came from.
type NodeOrigin struct {
	// Kind is default, legacy-default, config-file, drop-in, flag or configz.
	Kind string `json:"kind"`
	// File and Line locate a value set in a file on the node.
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
	// Flag is the argument that set it ("--anonymous-auth=true").
	Flag string `json:"flag,omitempty"`
}

// NodeFile is the metadata of a file a check judged.
type NodeFile struct {
	Path  string `json:"path"`
	Role  string `json:"role"`
	Mode  string `json:"mode,omitempty"`
	User  string `json:"user,omitempty"`
	Group string `json:"group,omitempty"`
	UID   int    `json:"uid"`
	GID   int    `json:"gid"`
}

func (f *NodeFile) path() string {
	if f == nil {
		return ""
	}
	return f.Path
}

// Package nodefacts is the schema of a node's facts file: what `palisade node
// collect` read on a node (the kubelet's and kube-proxy's command lines from /proc,
// their working directories, the configuration files and drop-ins they load, and the
// owner, group and mode of every file a CIS check names), or what `palisade cluster
// --nodes` read from a kubelet's /configz. The file is a JSON (or YAML) document of
// kind NodeFacts under palisade.dev/v1, so that every command reads it through the
// input layer like any other document, and the node rules judge it offline.
//
// The schema is versioned (SchemaVersion): a reader refuses a version it does not
// know, and unknown fields, rather than judging what it cannot read. A facts file
// holds no secret: the collector reads no kubeconfig, key or environment, and masks
// the values of staticPodURLHeader in the kubelet configuration files it keeps.
package nodefacts

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// The document's type.
const (
	APIVersion = "palisade.dev/v1"
	Kind       = "NodeFacts"
	// SchemaVersion is the version of this schema; readers refuse others.
	SchemaVersion = 1
	// MaxSize bounds a facts document (the configuration files it carries are
	// small; a larger document is refused as hostile).
	MaxSize = 16 << 20
)

// How a fact was obtained (Facts.Source).
const (
	// SourceHost: collected on the node by `palisade node collect`.
	SourceHost = "host"
	// SourceConfigz: read through the API server from the kubelet's /configz (the
	// effective configuration only: no command line, no file, no permission).
	SourceConfigz = "configz"
)

// How a component was found (Component.How).
const (
	// HowProcess: its running process, from /proc/PID (cmdline, cwd).
	HowProcess = "process"
	// HowSystemd: not running; its command line rebuilt from its systemd unit
	// (ExecStart with Environment and EnvironmentFile expanded).
	HowSystemd = "systemd"
	// HowProfile: neither a process nor a unit: the profile's known locations
	// (a distribution that embeds the kubelet, such as k3s).
	HowProfile = "profile"
)

// Component names.
const (
	Kubelet   = "kubelet"
	KubeProxy = "kube-proxy"
)

// Facts is one node's facts file.
type Facts struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Metadata   Metadata `json:"metadata"`
	// SchemaVersion is SchemaVersion.
	SchemaVersion int       `json:"schemaVersion"`
	CollectedAt   time.Time `json:"collectedAt,omitzero"`
	// Collector names the program that wrote the file ("palisade node collect vX").
	Collector string `json:"collector,omitempty"`
	// Source is SourceHost or SourceConfigz.
	Source string `json:"source"`
	// Root is the host root the collector read (a container's /host mount, or /).
	Root string   `json:"root,omitempty"`
	Node NodeInfo `json:"node"`
	// Profile is the distribution profile (nodeprofile) the collector chose, and
	// ProfileReason why (a node label, the OS image, a process, --profile).
	Profile       string `json:"profile,omitempty"`
	ProfileReason string `json:"profileReason,omitempty"`
	// Components are the kubelet and kube-proxy (present even when not found,
	// with Found false and the places tried).
	Components []Component `json:"components"`
	// Files are the files and directories the checks name, each with its role.
	Files []File `json:"files"`
	// Configz is the kubelet's effective configuration as /configz serves it
	// (the KubeletConfiguration object inside {"kubeletconfig": ...}); only with
	// SourceConfigz.
	Configz json.RawMessage `json:"configz,omitempty"`
	// Notes are what the collector could not do (a /proc entry it could not read,
	// a unit it could not parse), each naming the path.
	Notes []string `json:"notes,omitempty"`
}

// Metadata names the node.
type Metadata struct {
	Name string `json:"name"`
}

// NodeInfo describes the host.
type NodeInfo struct {
	Hostname string `json:"hostname,omitempty"`
	// OSImage is /etc/os-release's PRETTY_NAME (or the Node's status.nodeInfo).
	OSImage        string            `json:"osImage,omitempty"`
	KernelVersion  string            `json:"kernelVersion,omitempty"`
	KubeletVersion string            `json:"kubeletVersion,omitempty"`
	Labels         map[string]string `json:"labels,omitempty"`
}

// Component is a node daemon the checks judge.
type Component struct {
	Name  string `json:"name"`
	Found bool   `json:"found"`
	// How is HowProcess, HowSystemd or HowProfile.
	How string `json:"how,omitempty"`
	PID int    `json:"pid,omitempty"`
	// Exe is the executable's path on the host.
	Exe string `json:"exe,omitempty"`
	// Args are the arguments after the program name, as the program received them.
	Args []string `json:"args,omitempty"`
	// Cwd is the working directory against which relative paths resolve.
	Cwd string `json:"cwd,omitempty"`
	// Units are the systemd unit file and its drop-ins that start the component,
	// and EnvFiles the EnvironmentFile= files they name (metadata only: see Files).
	Units    []string `json:"units,omitempty"`
	EnvFiles []string `json:"envFiles,omitempty"`
	// Config is the file of --config (resolved against Cwd), when given.
	Config *ConfigFile `json:"config,omitempty"`
	// DropInDir is --config-dir resolved, and DropIns its files in the order the
	// kubelet merges them (lexical, subdirectories included), those it skips (not
	// *.conf) marked Skipped.
	DropInDir string       `json:"dropInDir,omitempty"`
	DropIns   []ConfigFile `json:"dropIns,omitempty"`
	// Tried are the places looked at when the component was not found.
	Tried []string `json:"tried,omitempty"`
}

// ConfigFile is a configuration file the component loads.
type ConfigFile struct {
	// Path is the absolute path on the host; Given is the path as the command line
	// wrote it (relative paths resolve against the component's Cwd).
	Path  string `json:"path"`
	Given string `json:"given,omitempty"`
	// Content is the file's text (with staticPodURLHeader values masked).
	Content string `json:"content,omitempty"`
	// Error says why the file could not be read (then Content is empty).
	Error   string `json:"error,omitempty"`
	Skipped bool   `json:"skipped,omitempty"`
}

// File is the metadata of a file or directory a check names.
type File struct {
	// Path is the absolute path on the host.
	Path string `json:"path"`
	// Role says what the file is to the checks (the Role* constants).
	Role string `json:"role"`
	// Exists is false when nothing is at Path (then Error is empty), Error is set
	// when it could not be examined.
	Exists bool   `json:"exists"`
	Error  string `json:"error,omitempty"`
	// Type is "file" or "dir" (of the target, symbolic links followed on the host
	// root).
	Type string `json:"type,omitempty"`
	// Mode is the permission bits in octal ("0600").
	Mode string `json:"mode,omitempty"`
	UID  int    `json:"uid"`
	GID  int    `json:"gid"`
	// User and Group are the names the host's /etc/passwd and /etc/group give.
	User  string `json:"user,omitempty"`
	Group string `json:"group,omitempty"`
	// From says where the path came from: a flag ("--kubeconfig"), a configuration
	// field ("authentication.x509.clientCAFile"), the profile's default location.
	From string `json:"from,omitempty"`
}

// File roles: what a CIS file check names.
const (
	RoleKubeletService          = "kubelet-service"
	RoleKubeletKubeconfig       = "kubelet-kubeconfig"
	RoleKubeletConfig           = "kubelet-config"
	RoleClientCA                = "client-ca"
	RoleKubeProxyKubeconfig     = "kube-proxy-kubeconfig"
	RoleAPIServerManifest       = "manifest-kube-apiserver"
	RoleControllerMgrManifest   = "manifest-kube-controller-manager"
	RoleSchedulerManifest       = "manifest-kube-scheduler"
	RoleEtcdManifest            = "manifest-etcd"
	RoleCNI                     = "cni"
	RoleEtcdDataDir             = "etcd-data-dir"
	RoleAdminKubeconfig         = "admin-kubeconfig"
	RoleSchedulerKubeconfig     = "scheduler-kubeconfig"
	RoleControllerMgrKubeconfig = "controller-manager-kubeconfig"
	RolePKIDir                  = "pki-dir"
	RolePKICert                 = "pki-cert"
	RolePKIKey                  = "pki-key"
)

// Component returns the named component, or nil.
func (f *Facts) Component(name string) *Component {
	for i := range f.Components {
		if f.Components[i].Name == name {
			return &f.Components[i]
		}
	}
	return nil
}

// FilesOf returns the files of a role, in the file's order.
func (f *Facts) FilesOf(role string) []*File {
	var out []*File
	for i := range f.Files {
		if f.Files[i].Role == role {
			out = append(out, &f.Files[i])
		}
	}
	return out
}

// Decode reads one facts document (JSON), strictly: unknown fields, another kind
// or schema version, and trailing data are errors.
func Decode(r io.Reader) (*Facts, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxSize {
		return nil, fmt.Errorf("node facts: larger than %d bytes", MaxSize)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f Facts
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("node facts: %w", err)
	}
	if dec.More() {
		return nil, errors.New("node facts: data after the document")
	}
	if err := f.Validate(); err != nil {
		return nil, err
	}
	return &f, nil
}

// FromBody converts a decoded document body (as the input layer holds it) to
// Facts, with Decode's strictness.
func FromBody(body map[string]any) (*Facts, error) {
	data, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("node facts: %w", err)
	}
	return Decode(bytes.NewReader(data))
}

// Validate checks the header and the values the checks rely on.
func (f *Facts) Validate() error {
	if f.APIVersion != APIVersion || f.Kind != Kind {
		return fmt.Errorf("node facts: apiVersion/kind %s/%s, want %s/%s", f.APIVersion, f.Kind, APIVersion, Kind)
	}
	if f.SchemaVersion != SchemaVersion {
		return fmt.Errorf("node facts: schemaVersion %d, this palisade reads version %d", f.SchemaVersion, SchemaVersion)
	}
	if f.Metadata.Name == "" {
		return errors.New("node facts: metadata.name (the node) is empty")
	}
	switch f.Source {
	case SourceHost, SourceConfigz:
	default:
		return fmt.Errorf("node facts: source %q, want %q or %q", f.Source, SourceHost, SourceConfigz)
	}
	return nil
}

// Encode writes f as indented JSON.
func Encode(w io.Writer, f *Facts) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(f)
}

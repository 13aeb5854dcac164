// Package nodeconfig builds the effective configuration of a node daemon the way
// the daemon builds it, from what a node's facts file holds.
//
// Kubelet follows kubelet v1.37's cmd/kubelet/app: the flags-only object
// (KubeletConfiguration v1beta1 defaults, then the legacy defaults of a kubelet
// without --config: anonymous authentication on, webhook authentication off,
// AlwaysAllow, read-only port 10255; then the command line, parsed by pflag with
// the kubelet's own flag set: word separators normalised, repeated flags as
// their flag types do, an unknown flag or a value that does not parse an error
// naming the argument). With --config the file alone replaces it (decoded
// strictly, leniently with a warning when only strictness fails, defaulted under
// the command line's feature gates, its relative paths resolved against its
// directory, EvictionHard defaulted or merged); with --config-dir the drop-ins
// (in the order given: the collector orders them as the kubelet walks them) are
// JSON merge patches over the object's v1beta1 JSON, decoded with encoding/json
// and defaulted again, their relative paths left as written; then the command
// line is parsed again over the result (flags take precedence; the files'
// feature gates stay unless a flag sets the same gate). The object is the
// v1beta1 JSON the kubelet logs as its "Effective KubeletConfiguration".
//
// KubeProxy follows cmd/kube-proxy/app: the v1alpha1 defaults and the flags, or
// with --config the file alone and, of the flags, only the logging ones and
// --hostname-override.
//
// Every value keeps where it came from (Origin): a default, a file and line, a
// drop-in and line, a flag and its argument, or a kubelet's /configz. Inputs
// are bounded (a document over 1 MiB is an error). The package reads no file:
// the facts hold the contents. The differential test holds Kubelet to the real
// kubelet built from the same Kubernetes release, field by field.
package nodeconfig

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// Where a value came from (Origin.Kind).
const (
	// FromDefault: the KubeletConfiguration (or KubeProxyConfiguration) default.
	FromDefault = "default"
	// FromLegacyDefault: the default of a kubelet run without --config and
	// --config-dir, which differs for a few fields (anonymous authentication on,
	// AlwaysAllow authorization, read-only port 10255).
	FromLegacyDefault = "legacy-default"
	FromFile          = "config-file"
	FromDropIn        = "drop-in"
	FromFlag          = "flag"
	FromConfigz       = "configz"
)

// Origin is where an effective value came from.
type Origin struct {
	Kind string `json:"kind"`
	// File and Line locate a value read from a file (config file, drop-in).
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
	// Flag is the flag as it appeared ("--anonymous-auth=true"), for FromFlag.
	Flag string `json:"flag,omitempty"`
	// Arg is the flag's index in the arguments, for FromFlag.
	Arg int `json:"arg,omitempty"`

	// zero: the document set a zero value the defaults may replace.
	zero bool
}

// String says where, for a finding's message.
func (o Origin) String() string {
	switch o.Kind {
	case FromFlag:
		return "flag " + o.Flag
	case FromFile, FromDropIn:
		what := "config file"
		if o.Kind == FromDropIn {
			what = "drop-in"
		}
		if o.Line > 0 {
			return fmt.Sprintf("%s %s:%d", what, o.File, o.Line)
		}
		return what + " " + o.File
	case FromLegacyDefault:
		return "the default of a kubelet without --config"
	case FromConfigz:
		return "the kubelet's /configz"
	}
	return "the default"
}

// File is a configuration file's path (absolute, on the host) and content.
type File struct {
	Path    string
	Content []byte
}

// Input is what a component's effective configuration is built from.
type Input struct {
	// Args are the arguments after the program name.
	Args []string
	// Cwd is the working directory (relative --config paths resolve against it).
	Cwd string
	// Config is the --config file (nil when not given). A relative Path
	// resolves against Cwd.
	Config *File
	// DropIns are the --config-dir files the kubelet merges, in its order (files
	// it skips are not in the list).
	DropIns []File
	// Running says the component runs with Args (they come from its process):
	// a flag this version does not know belongs to another version of the
	// component, which accepted it, and is left out with a warning instead of
	// refusing the arguments.
	Running bool
	// Configz, when set, is the effective configuration the kubelet serves on
	// /configz; the rest of Input is then ignored.
	Configz []byte
}

// Effective is a component's effective configuration.
type Effective struct {
	// Object is the configuration as the versioned JSON object (the fields of
	// KubeletConfiguration v1beta1, or KubeProxyConfiguration v1alpha1).
	Object map[string]any
	// Flags are the command-line flags that are not configuration fields (the
	// kubelet's --hostname-override, --kubeconfig, --config, --config-dir, ...),
	// by name without dashes, last value.
	Flags map[string]string
	// FlagArgs is the argument index of each of Flags.
	FlagArgs map[string]int
	// Warnings are what the component would warn about and still start with
	// (a deprecated flag, an unknown field decoded leniently).
	Warnings []string

	origins   map[string]Origin
	base      Origin
	usesFiles bool
}

// Value returns the value at a dotted path of JSON field names
// ("authentication.anonymous.enabled"), and whether it is set.
func (e *Effective) Value(path string) (any, bool) {
	var cur any = e.Object
	for _, k := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[k]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// Origin says where the value at path came from: the origin recorded for the path
// or its nearest enclosing object, else the default.
func (e *Effective) Origin(path string) Origin {
	for p := path; ; {
		if o, ok := e.origins[p]; ok {
			return o
		}
		i := strings.LastIndexByte(p, '.')
		if i < 0 {
			return e.base
		}
		p = p[:i]
	}
}

// Flag returns a non-configuration flag's value.
func (e *Effective) Flag(name string) (string, bool) {
	v, ok := e.Flags[name]
	return v, ok
}

// Text renders a value for a message: strings as they are, others as JSON.
func Text(v any) string {
	switch v := v.(type) {
	case nil:
		return "(unset)"
	case string:
		return v
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return strings.TrimSpace(b.String())
}

// Package nodecollect reads a node: the kubelet's and kube-proxy's command lines,
// working directories and configuration files (from /proc and the host root), and
// the owner, group and mode of every file a node check names, into a facts file
// (internal/nodefacts). It reads nothing else, never follows a path out of the host
// root, and sends nothing anywhere: the judging happens elsewhere, offline.
package nodecollect

// CONTRACT: finds the kubelet's process and its command line; the complete
// collector (config files, drop-ins, systemd units, file metadata, profiles,
// kube-proxy) replaces it.

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/palisade-k8s/palisade/internal/nodefacts"
	"github.com/palisade-k8s/palisade/internal/nodeprofile"
)

// Options say where to read.
type Options struct {
	// Root is the host's root directory (a container's read-only /host mount, or /).
	Root string
	// Proc is the host's /proc (hostPID), "" for /proc.
	Proc string
	// NodeName names the node ("" for the host name).
	NodeName string
	// Profile forces a distribution profile ("" to detect).
	Profile string
	// Version is the collector's version, written into the facts.
	Version string
	// Now is the clock (nil: time.Now).
	Now func() time.Time
}

// Collect reads the node.
func Collect(ctx context.Context, opts Options) (*nodefacts.Facts, error) {
	if opts.Root == "" {
		opts.Root = "/"
	}
	if opts.Proc == "" {
		opts.Proc = "/proc"
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	f := &nodefacts.Facts{
		APIVersion: nodefacts.APIVersion, Kind: nodefacts.Kind, SchemaVersion: nodefacts.SchemaVersion,
		Source: nodefacts.SourceHost, Root: opts.Root, CollectedAt: now().UTC(),
		Collector: "palisade node collect " + opts.Version,
	}
	f.Metadata.Name = opts.NodeName
	if f.Metadata.Name == "" {
		f.Metadata.Name, _ = os.Hostname()
	}
	kubelet := nodefacts.Component{Name: nodefacts.Kubelet, Tried: []string{filepath.Join(opts.Proc, "*/cmdline")}}
	entries, err := os.ReadDir(opts.Proc)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		raw, err := os.ReadFile(filepath.Join(opts.Proc, e.Name(), "cmdline"))
		if err != nil || len(raw) == 0 {
			continue
		}
		argv := strings.Split(strings.TrimRight(string(raw), "\x00"), "\x00")
		if filepath.Base(argv[0]) != "kubelet" {
			continue
		}
		cwd, _ := os.Readlink(filepath.Join(opts.Proc, e.Name(), "cwd"))
		kubelet = nodefacts.Component{Name: nodefacts.Kubelet, Found: true, How: nodefacts.HowProcess, PID: pid,
			Exe: argv[0], Args: argv[1:], Cwd: cwd}
		break
	}
	f.Components = append(f.Components, kubelet)
	if opts.Profile != "" {
		f.Profile, f.ProfileReason = opts.Profile, "--profile"
	} else if p, why := nodeprofile.Choose(f); p != nil {
		f.Profile, f.ProfileReason = p.Name, why
	}
	if b, err := os.ReadFile(filepath.Join(opts.Root, "etc/os-release")); err == nil {
		for _, l := range bytes.Split(b, []byte("\n")) {
			if v, ok := bytes.CutPrefix(l, []byte("PRETTY_NAME=")); ok {
				f.Node.OSImage = strings.Trim(string(v), `"`)
			}
		}
	}
	f.Files = []nodefacts.File{}
	return f, nil
}

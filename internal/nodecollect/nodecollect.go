// Package nodecollect reads a node: the kubelet's and kube-proxy's command lines,
// working directories and configuration files (from /proc and the host root), and
// the owner, group and mode of every file a node check names, into a facts file
// (internal/nodefacts). It reads nothing else, never follows a path out of the host
// root, and sends nothing anywhere: the judging happens elsewhere, offline.
//
// Where each daemon is found: its process in /proc (the one whose parent is not
// also one, when several match); else, for the kubelet, the systemd unit that
// starts it, its command line rebuilt as systemd would; else the profile's known
// locations (a distribution that runs the kubelet inside another process, such as
// k3s). A component not found is still in the facts, with every place tried.
package nodecollect

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
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
	// NodeName names the node ("" for the host's /etc/hostname).
	NodeName string
	// Profile forces a distribution profile ("" to detect).
	Profile string
	// Version is the collector's version, written into the facts.
	Version string
	// Now is the clock (nil: time.Now).
	Now func() time.Time

	// pidFilter, when set, limits the processes examined (tests that run on a
	// machine where other kubelets may run).
	pidFilter func(pid int) bool
}

const (
	// maxConfigFile bounds a configuration file or drop-in kept in the facts.
	maxConfigFile = 1 << 20
	// maxDropIns bounds the files of a --config-dir.
	maxDropIns = 256
	// maxContent bounds the configuration text kept in all (the facts document
	// must stay under nodefacts.MaxSize).
	maxContent = 8 << 20
	// maxWork bounds the file system operations of one collection.
	maxWork = 100000
)

// ErrProfile is an unknown --profile.
var ErrProfile = errors.New("unknown profile")

type collector struct {
	ctx    context.Context
	opts   Options
	host   *hostRoot
	prof   *nodeprofile.Profile
	facts  *nodefacts.Facts
	users  map[int]string
	groups map[int]string
	seen   map[string]bool
	work   int
	bytes  int
}

// Collect reads the node. It fails only when the host root or /proc cannot be
// read at all, the profile is unknown, or ctx ends; what it could not read on the
// way is in the facts (a file's Error, Notes).
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
	var forced *nodeprofile.Profile
	if opts.Profile != "" {
		p, ok := nodeprofile.Get(opts.Profile)
		if !ok {
			return nil, fmt.Errorf("%w %q (the profiles: %s)", ErrProfile, opts.Profile, strings.Join(nodeprofile.Names(), ", "))
		}
		forced = p
	}
	host, err := openHostRoot(opts.Root)
	if err != nil {
		return nil, fmt.Errorf("host root: %w", err)
	}
	defer host.Close()
	c := &collector{ctx: ctx, opts: opts, host: host, seen: map[string]bool{}}
	c.facts = &nodefacts.Facts{
		APIVersion: nodefacts.APIVersion, Kind: nodefacts.Kind, SchemaVersion: nodefacts.SchemaVersion,
		Source: nodefacts.SourceHost, Root: opts.Root, CollectedAt: now().UTC(),
		Collector:  strings.TrimSpace("palisade node collect " + opts.Version),
		Components: []nodefacts.Component{}, Files: []nodefacts.File{},
	}
	c.nodeInfo()
	c.users = c.accounts("/etc/passwd")
	c.groups = c.accounts("/etc/group")

	names := []string{nodefacts.Kubelet, nodefacts.KubeProxy}
	for _, p := range nodeprofile.All() {
		for _, n := range p.Detect.Processes {
			if !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	procs, notes, err := findProcs(ctx, opts.Proc, names, opts.pidFilter)
	if err != nil {
		return nil, fmt.Errorf("process table %s: %w", opts.Proc, err)
	}
	c.facts.Notes = append(c.facts.Notes, notes...)

	switch {
	case forced != nil:
		c.prof, c.facts.Profile, c.facts.ProfileReason = forced, forced.Name, "--profile"
	default:
		c.prof, c.facts.ProfileReason = chooseProfile(c.facts, procs)
		if c.prof != nil {
			c.facts.Profile = c.prof.Name
		}
	}
	if c.prof == nil {
		c.prof = &nodeprofile.Profile{Name: "none"}
	}

	c.facts.Components = append(c.facts.Components, c.kubelet(procs[nodefacts.Kubelet]))
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c.facts.Components = append(c.facts.Components, c.kubeProxy(procs[nodefacts.KubeProxy]))
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c.controlPlane()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return c.facts, nil
}

// chooseProfile: a process only one distribution runs, else nodeprofile.Choose
// (labels, OS image, the default).
func chooseProfile(f *nodefacts.Facts, procs map[string][]proc) (*nodeprofile.Profile, string) {
	for _, p := range nodeprofile.All() {
		for _, n := range p.Detect.Processes {
			if len(procs[n]) > 0 {
				return p, "process " + n
			}
		}
	}
	return nodeprofile.Choose(f)
}

// note records what the collector could not do.
func (c *collector) note(format string, args ...any) {
	if len(c.facts.Notes) < 1000 {
		c.facts.Notes = append(c.facts.Notes, fmt.Sprintf(format, args...))
	}
}

// spend counts one file system operation; false once the bound is reached or the
// context ended.
func (c *collector) spend() bool {
	if c.ctx.Err() != nil {
		return false
	}
	c.work++
	return c.work <= maxWork
}

// errText is an error's text with the host root's directory taken out (the facts
// name host paths).
func (c *collector) errText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		// os.Root names paths relative to the root: the reason alone, the caller
		// names the host path.
		err = pe.Err
	}
	s := err.Error()
	if c.opts.Root != "/" {
		s = strings.ReplaceAll(s, strings.TrimRight(c.opts.Root, "/"), "")
	}
	return s
}

func (c *collector) nodeInfo() {
	if _, b, err := c.host.readFile("/etc/hostname", 4096); err == nil {
		c.facts.Node.Hostname = strings.TrimSpace(string(b))
	}
	c.facts.Metadata.Name = c.opts.NodeName
	if c.facts.Metadata.Name == "" {
		c.facts.Metadata.Name = c.facts.Node.Hostname
	}
	if c.facts.Metadata.Name == "" {
		c.facts.Metadata.Name, _ = os.Hostname()
		c.note("/etc/hostname: not readable; the node is named after the collector's host name (give --node-name)")
	}
	for _, p := range []string{"/etc/os-release", "/usr/lib/os-release"} {
		_, b, err := c.host.readFile(p, 64<<10)
		if err != nil {
			continue
		}
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "PRETTY_NAME="); ok {
				c.facts.Node.OSImage = unquote(strings.TrimSpace(v))
			}
		}
		break
	}
	if b, err := readBounded(filepath.Join(c.opts.Proc, "sys/kernel/osrelease"), 4096); err == nil {
		c.facts.Node.KernelVersion = strings.TrimSpace(string(b))
	}
}

func unquote(v string) string {
	if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
		return v[1 : len(v)-1]
	}
	return v
}

func (c *collector) accounts(p string) map[int]string {
	_, b, err := c.host.readFile(p, maxAccountsFile)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			c.note("%s: %s (owners are given by number only)", p, c.errText(err))
		}
		return map[int]string{}
	}
	return parseAccounts(b)
}

// hostPath makes a command line's path absolute against the process's working
// directory (a host path).
func hostPath(cwd, p string) string {
	if p == "" {
		return ""
	}
	if path.IsAbs(p) {
		return path.Clean(p)
	}
	if cwd == "" {
		cwd = "/"
	}
	return path.Join(cwd, p)
}

// flagValue returns the last value of the long flag name (pflag syntax: --name=V
// or --name V; underscores and dashes alike, as the kubelet normalizes them), and
// the argument as given. Arguments after "--" are not flags.
func flagValue(args []string, name string) (string, bool) {
	val, found := "", false
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break
		}
		if !strings.HasPrefix(a, "--") {
			continue
		}
		n, v, hasVal := strings.Cut(a[2:], "=")
		if strings.ReplaceAll(n, "_", "-") != name {
			continue
		}
		if !hasVal {
			if i+1 >= len(args) {
				continue
			}
			i++
			v = args[i]
		}
		val, found = v, true
	}
	return val, found
}

// readConfig reads a configuration file named on a command line (host path p, as
// given): content bounded, staticPodURLHeader masked; Error says why not.
func (c *collector) readConfig(p, given string, mask bool) nodefacts.ConfigFile {
	cf := nodefacts.ConfigFile{Path: p}
	if given != p {
		cf.Given = given
	}
	if !c.spend() {
		cf.Error = "not read: the collector's bound on work was reached"
		return cf
	}
	r, b, err := c.host.readFile(p, maxConfigFile)
	if err != nil {
		cf.Error = c.errText(err)
		if r != "" && r != p {
			cf.Error += " (resolved on the host root to " + r + ")"
		}
		return cf
	}
	if c.bytes+len(b) > maxContent {
		cf.Error = fmt.Sprintf("not kept: the configuration files of this node exceed %d bytes", maxContent)
		return cf
	}
	if mask {
		if b, err = maskStaticPodURLHeader(b); err != nil {
			cf.Error = err.Error()
			return cf
		}
	}
	c.bytes += len(b)
	cf.Content = string(b)
	return cf
}

package nodecollect

// The kubelet: its process, else its systemd unit, else the profile's locations;
// then its --config file, its --config-dir drop-ins (walked as the kubelet's
// mergeKubeletConfigurations walks them: filepath.WalkDir's lexical order,
// subdirectories included, only *.conf merged, the rest skipped), and the
// metadata of the files CIS 4.1 names.

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/palisade-k8s/palisade/internal/nodeconfig"
	"github.com/palisade-k8s/palisade/internal/nodefacts"
)

func (c *collector) kubelet(ps []proc) nodefacts.Component {
	comp := nodefacts.Component{Name: nodefacts.Kubelet}
	comp.Tried = append(comp.Tried, path.Join(c.opts.Proc, "*/cmdline")+" (a process named kubelet)")
	// The unit's command line is rebuilt (its environment files read) only when
	// no process runs; its files are recorded either way (CIS 4.1.1/2).
	unit := c.kubeletUnit(&comp, len(ps) == 0)
	switch {
	case len(ps) > 0:
		p, clear := pick(ps)
		if !clear || len(ps) > 1 {
			c.note("%d kubelet processes; the facts are of PID %d", len(ps), p.pid)
		}
		comp.Found, comp.How, comp.PID, comp.Exe, comp.Args, comp.Cwd = true, nodefacts.HowProcess, p.pid, p.exe, p.argv[1:], p.cwd
	case unit != nil && unit.found:
		comp.Found, comp.How, comp.Exe, comp.Args, comp.Cwd = true, nodefacts.HowSystemd, unit.exe, unit.args, unit.cwd
	}
	if unit != nil {
		comp.Units, comp.EnvFiles = unit.files, unit.envFiles
	}
	if comp.Found {
		if given, ok := flagValue(comp.Args, "config"); ok && given != "" {
			cf := c.readConfig(hostPath(comp.Cwd, given), given, true)
			comp.Config = &cf
		}
		if given, ok := flagValue(comp.Args, "config-dir"); ok && given != "" {
			comp.DropInDir = hostPath(comp.Cwd, given)
			comp.DropIns = c.dropIns(comp.DropInDir)
		}
	} else {
		// No process, no unit: the profile's locations.
		for _, p := range c.prof.Kubelet.Config {
			comp.Tried = append(comp.Tried, p)
			if _, _, err := c.host.stat(p); err == nil {
				cf := c.readConfig(p, "", true)
				comp.Config = &cf
				comp.Found, comp.How = true, nodefacts.HowProfile
				break
			}
		}
		for _, d := range c.prof.Kubelet.ConfigDir {
			comp.Tried = append(comp.Tried, d)
			if _, fi, err := c.host.stat(d); err == nil && fi.IsDir() {
				comp.DropInDir = d
				comp.DropIns = c.dropIns(d)
				comp.Found, comp.How = true, nodefacts.HowProfile
				break
			}
		}
	}
	if comp.Found {
		comp.Tried = nil
	}
	c.kubeletFiles(&comp, unit)
	return comp
}

// kubeletFiles records the files of CIS 4.1.1, 4.1.2 and 4.1.5 to 4.1.10.
func (c *collector) kubeletFiles(comp *nodefacts.Component, unit *unitInfo) {
	// 4.1.1/2: the service file and its drop-ins.
	if unit != nil && len(unit.files) > 0 {
		for _, f := range unit.files {
			c.addFile(f, nodefacts.RoleKubeletService, "systemd")
		}
	} else {
		c.addFirst(c.prof.Kubelet.Service, nodefacts.RoleKubeletService, "profile")
	}
	// 4.1.5/6: the kubeconfig.
	if given, ok := flagValue(comp.Args, "kubeconfig"); ok && given != "" {
		c.addFile(hostPath(comp.Cwd, given), nodefacts.RoleKubeletKubeconfig, "--kubeconfig")
	} else if comp.How != nodefacts.HowProcess && comp.How != nodefacts.HowSystemd {
		c.addFirst(c.prof.Kubelet.Kubeconfig, nodefacts.RoleKubeletKubeconfig, "profile")
	}
	// 4.1.9/10: the configuration file.
	if comp.Config != nil {
		from := "--config"
		if comp.How == nodefacts.HowProfile {
			from = "profile"
		}
		c.addFile(comp.Config.Path, nodefacts.RoleKubeletConfig, from)
	} else if !comp.Found {
		c.addFirst(c.prof.Kubelet.Config, nodefacts.RoleKubeletConfig, "profile")
	}
	// 4.1.7/8: the client CA of the effective configuration.
	if !comp.Found {
		return
	}
	in := nodeconfig.Input{Args: comp.Args, Cwd: comp.Cwd, Running: comp.How == nodefacts.HowProcess || comp.How == nodefacts.HowSystemd}
	if comp.Config != nil {
		if comp.Config.Error != "" {
			c.note("kubelet: the client CA file is not known: %s could not be read", comp.Config.Path)
			return
		}
		in.Config = &nodeconfig.File{Path: comp.Config.Path, Content: []byte(comp.Config.Content)}
	}
	for _, d := range comp.DropIns {
		if d.Skipped {
			continue
		}
		if d.Error != "" {
			c.note("kubelet: the client CA file is not known: drop-in %s could not be read", d.Path)
			return
		}
		in.DropIns = append(in.DropIns, nodeconfig.File{Path: d.Path, Content: []byte(d.Content)})
	}
	eff, err := nodeconfig.Kubelet(in)
	if err != nil {
		c.note("kubelet: the effective configuration could not be built, so the client CA file is not known: %v", err)
		return
	}
	v, ok := eff.Value("authentication.x509.clientCAFile")
	s, _ := v.(string)
	if !ok || s == "" {
		return
	}
	o := eff.Origin("authentication.x509.clientCAFile")
	p := s
	if !path.IsAbs(p) {
		// The kubelet resolves the config file's relative paths against the
		// file's directory; a flag's against the working directory.
		switch o.Kind {
		case nodeconfig.FromFile:
			p = path.Join(path.Dir(o.File), p)
		default:
			p = hostPath(comp.Cwd, p)
		}
	}
	c.addFile(path.Clean(p), nodefacts.RoleClientCA, "authentication.x509.clientCAFile ("+o.String()+")")
}

// unitInfo is the kubelet's systemd unit.
type unitInfo struct {
	files    []string // the unit file, then its drop-ins in systemd's order
	envFiles []string
	found    bool // an ExecStart was rebuilt
	exe      string
	args     []string
	cwd      string
}

// kubeletUnit finds the kubelet's unit among the profile's locations and rebuilds
// its command line.
func (c *collector) kubeletUnit(comp *nodefacts.Component, rebuild bool) *unitInfo {
	var unitFile string
	for _, p := range c.prof.Kubelet.Service {
		comp.Tried = append(comp.Tried, p)
		if !c.spend() {
			break
		}
		if _, fi, err := c.host.stat(p); err == nil && fi.Mode().IsRegular() {
			unitFile = p
			break
		} else if err == nil && !fi.Mode().IsRegular() {
			c.note("%s: not a regular file (a masked unit?)", p)
		}
	}
	if unitFile == "" {
		return nil
	}
	u := &unitInfo{files: []string{unitFile}, cwd: "/"}
	name := path.Base(unitFile)
	// Drop-ins: NAME.d/*.conf in every unit directory, one per file name (the
	// directory of highest priority wins), applied in file-name order.
	dirs := append([]string{}, unitDirs...)
	for _, p := range c.prof.Kubelet.Service {
		if d := path.Dir(p); !contains(dirs, d) {
			dirs = append(dirs, d)
		}
	}
	byName := map[string]string{}
	for _, d := range dirs {
		dd := path.Join(d, name+".d")
		_, es, err := c.host.readDir(dd)
		if err != nil {
			continue
		}
		for _, e := range es {
			if !strings.HasSuffix(e.Name(), ".conf") || e.IsDir() {
				continue
			}
			if _, ok := byName[e.Name()]; !ok {
				byName[e.Name()] = path.Join(dd, e.Name())
			}
		}
	}
	var names []string
	for n := range byName {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		u.files = append(u.files, byName[n])
	}
	if !rebuild {
		return u
	}
	var s unitSettings
	for _, f := range u.files {
		_, b, err := c.host.readFile(f, maxUnitSize)
		if err != nil {
			c.note("%s: %s", f, c.errText(err))
			continue
		}
		if err := parseUnit(f, b, &s); err != nil {
			c.note("%v", err)
		}
	}
	if s.workingDir != "" {
		wd := strings.TrimPrefix(s.workingDir, "-")
		if path.IsAbs(wd) {
			u.cwd = path.Clean(wd)
		}
	}
	env := map[string]string{}
	for _, a := range s.env {
		k, v, _ := strings.Cut(a, "=")
		env[k] = v
	}
	for _, ef := range s.envFiles {
		optional := strings.HasPrefix(ef, "-")
		p := strings.TrimPrefix(ef, "-")
		u.envFiles = append(u.envFiles, p)
		if !path.IsAbs(p) {
			c.note("%s: EnvironmentFile=%s is not absolute; systemd ignores it", unitFile, p)
			continue
		}
		// Read to expand the command line only: the facts keep its path.
		_, b, err := c.host.readFile(p, maxUnitSize)
		if err != nil {
			if !optional || !errors.Is(err, fs.ErrNotExist) {
				c.note("EnvironmentFile %s: %s", p, c.errText(err))
			}
			continue
		}
		parseEnvFile(b, env)
	}
	if len(s.execStart) == 0 {
		c.note("%s: no ExecStart", unitFile)
		return u
	}
	exe, args, err := expandExec(s.execStart[len(s.execStart)-1], env)
	if err != nil {
		c.note("%s: ExecStart: %v", unitFile, err)
		return u
	}
	if filepath.Base(exe) == "hyperkube" && len(args) > 0 && args[0] == "kubelet" {
		args = args[1:]
	}
	u.found, u.exe, u.args = true, exe, args
	return u
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// dropIns walks the --config-dir as the kubelet does (filepath.WalkDir from the
// directory as given: lexical order, subdirectories entered, symbolic links not
// followed as directories, only *.conf merged).
func (c *collector) dropIns(dir string) []nodefacts.ConfigFile {
	var out []nodefacts.ConfigFile
	// WalkDir starts with Lstat of the directory itself: a symbolic link there is
	// a file to the kubelet, not a directory.
	parent, err := c.host.resolve(path.Dir(dir))
	var fi fs.FileInfo
	if err == nil {
		fi, err = c.host.root.Lstat(rel(path.Join(parent, path.Base(dir))))
	}
	if err != nil {
		c.note("kubelet --config-dir %s: %s (the kubelet does not start without it)", dir, c.errText(err))
		return []nodefacts.ConfigFile{{Path: dir, Error: c.errText(err)}}
	}
	if !fi.IsDir() {
		return []nodefacts.ConfigFile{c.dropIn(dir)}
	}
	var walk func(d string, depth int) bool
	walk = func(d string, depth int) bool {
		if depth > 32 {
			out = append(out, nodefacts.ConfigFile{Path: d, Error: "directories nested too deep"})
			return false
		}
		_, es, err := c.host.readDir(d)
		if err != nil {
			out = append(out, nodefacts.ConfigFile{Path: d, Error: c.errText(err)})
			return false
		}
		for _, e := range es {
			p := path.Join(d, e.Name())
			if len(out) >= maxDropIns {
				out = append(out, nodefacts.ConfigFile{Path: p, Error: fmt.Sprintf("not read: more than %d files under %s", maxDropIns, dir)})
				return false
			}
			if e.IsDir() {
				if !walk(p, depth+1) {
					return false
				}
				continue
			}
			out = append(out, c.dropIn(p))
		}
		return true
	}
	walk(dir, 0)
	return out
}

// dropIn reads one entry of the drop-in directory (or records it skipped).
func (c *collector) dropIn(p string) nodefacts.ConfigFile {
	if filepath.Ext(p) != ".conf" {
		return nodefacts.ConfigFile{Path: p, Skipped: true}
	}
	return c.readConfig(p, "", true)
}

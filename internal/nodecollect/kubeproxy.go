package nodecollect

// kube-proxy: its process, its --config file (a KubeProxyConfiguration), and its
// kubeconfig for CIS 4.1.3/4: with --config, kube-proxy takes the configuration
// from the file alone (clientConnection.kubeconfig; its --kubeconfig flag is
// ignored, options.go Complete), else from --kubeconfig; else the profile's
// location.

import (
	"path"

	"github.com/palisade-k8s/palisade/internal/nodefacts"
	"sigs.k8s.io/yaml"
)

func (c *collector) kubeProxy(ps []proc) nodefacts.Component {
	comp := nodefacts.Component{Name: nodefacts.KubeProxy}
	if len(ps) == 0 {
		comp.Tried = []string{path.Join(c.opts.Proc, "*/cmdline") + " (a process named kube-proxy)"}
		comp.Tried = append(comp.Tried, c.prof.KubeProxy.Config...)
		for _, p := range c.prof.KubeProxy.Config {
			if _, _, err := c.host.stat(p); err == nil {
				cf := c.readConfig(p, "", false)
				comp.Config = &cf
				comp.Found, comp.How, comp.Tried = true, nodefacts.HowProfile, nil
				break
			}
		}
	} else {
		p, clear := pick(ps)
		if !clear || len(ps) > 1 {
			c.note("%d kube-proxy processes; the facts are of PID %d", len(ps), p.pid)
		}
		comp.Found, comp.How, comp.PID, comp.Exe, comp.Args, comp.Cwd = true, nodefacts.HowProcess, p.pid, p.exe, p.argv[1:], p.cwd
		if given, ok := flagValue(comp.Args, "config"); ok && given != "" {
			cf := c.readConfig(hostPath(comp.Cwd, given), given, false)
			comp.Config = &cf
		}
	}
	switch {
	case comp.Config != nil:
		if comp.Config.Error != "" {
			c.note("kube-proxy: the kubeconfig is not known: %s could not be read on the host (a kube-proxy run in a pod names paths of its container, which the host root does not hold)", comp.Config.Path)
			break
		}
		var cfg struct {
			ClientConnection struct {
				Kubeconfig string `json:"kubeconfig"`
			} `json:"clientConnection"`
		}
		if err := yaml.Unmarshal([]byte(comp.Config.Content), &cfg); err != nil {
			c.note("kube-proxy: %s: %v", comp.Config.Path, err)
			break
		}
		if k := cfg.ClientConnection.Kubeconfig; k != "" {
			c.addFile(hostPath(comp.Cwd, k), nodefacts.RoleKubeProxyKubeconfig, "clientConnection.kubeconfig of "+comp.Config.Path)
		}
	case comp.How == nodefacts.HowProcess:
		if given, ok := flagValue(comp.Args, "kubeconfig"); ok && given != "" {
			c.addFile(hostPath(comp.Cwd, given), nodefacts.RoleKubeProxyKubeconfig, "--kubeconfig")
		}
	default:
		c.addFirst(c.prof.KubeProxy.Kubeconfig, nodefacts.RoleKubeProxyKubeconfig, "profile")
	}
	return comp
}

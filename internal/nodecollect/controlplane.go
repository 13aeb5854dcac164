package nodecollect

// The control plane's files (CIS 1.1), on a node whose profile's manifest
// directory exists: the four static pod manifests, the CNI files, the etcd data
// directory (the etcd manifest's --data-dir, else the profile's), the admin,
// scheduler and controller-manager kubeconfigs, and the PKI directory with every
// certificate and key under it.

import (
	"path"
	"strings"

	"github.com/palisade-k8s/palisade/internal/nodefacts"
	"sigs.k8s.io/yaml"
)

// maxManifest bounds a static pod manifest read for etcd's --data-dir.
const maxManifest = 1 << 20

func (c *collector) controlPlane() {
	cp := c.prof.ControlPlane
	if cp.Manifests == "" {
		return
	}
	if _, fi, err := c.host.stat(cp.Manifests); err != nil || !fi.IsDir() {
		return // not a control-plane node
	}
	for _, m := range []struct{ file, role string }{
		{"kube-apiserver.yaml", nodefacts.RoleAPIServerManifest},
		{"kube-controller-manager.yaml", nodefacts.RoleControllerMgrManifest},
		{"kube-scheduler.yaml", nodefacts.RoleSchedulerManifest},
		{"etcd.yaml", nodefacts.RoleEtcdManifest},
	} {
		c.addFile(path.Join(cp.Manifests, m.file), m.role, "profile")
	}
	for _, d := range cp.CNI {
		c.addFile(d, nodefacts.RoleCNI, "profile")
		if _, es, err := c.host.readDir(d); err == nil {
			for _, e := range es {
				if !e.IsDir() {
					c.addFile(path.Join(d, e.Name()), nodefacts.RoleCNI, "under "+d)
				}
			}
		}
	}
	if dd := c.etcdDataDir(path.Join(cp.Manifests, "etcd.yaml")); dd != "" {
		c.addFile(dd, nodefacts.RoleEtcdDataDir, "--data-dir of etcd.yaml")
	} else if cp.EtcdData != "" {
		c.addFile(cp.EtcdData, nodefacts.RoleEtcdDataDir, "profile")
	}
	for _, p := range cp.AdminKubeconfig {
		c.addFile(p, nodefacts.RoleAdminKubeconfig, "profile")
	}
	c.addFirst(cp.SchedulerKubeconfig, nodefacts.RoleSchedulerKubeconfig, "profile")
	c.addFirst(cp.ControllerManagerKubeconfig, nodefacts.RoleControllerMgrKubeconfig, "profile")
	if cp.PKI != "" {
		c.addPKI(cp.PKI)
	}
}

// etcdDataDir reads --data-dir from the etcd static pod manifest's etcd
// container command or args ("" when absent or unreadable).
func (c *collector) etcdDataDir(manifest string) string {
	_, b, err := c.host.readFile(manifest, maxManifest)
	if err != nil {
		return ""
	}
	var pod struct {
		Spec struct {
			Containers []struct {
				Command []string `json:"command"`
				Args    []string `json:"args"`
			} `json:"containers"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal(b, &pod); err != nil {
		c.note("%s: %v", manifest, err)
		return ""
	}
	for _, ct := range pod.Spec.Containers {
		args := append(append([]string{}, ct.Command...), ct.Args...)
		for i, a := range args {
			if v, ok := strings.CutPrefix(a, "--data-dir="); ok && v != "" {
				return path.Clean(v)
			}
			if a == "--data-dir" && i+1 < len(args) {
				return path.Clean(args[i+1])
			}
		}
	}
	return ""
}

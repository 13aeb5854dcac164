package nodes

// The files a node's daemons trust (CIS 1.1 on control-plane nodes, 4.1 on every
// node): who owns them and who may read or change them. Each rule is one row of
// fileRules; the facts hold each file's owner, group and mode as the collector
// read them on the node (nodefacts.File, by role).

import (
	"fmt"
	"path"
	"strconv"
	"strings"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/nodefacts"
	"github.com/palisade-k8s/palisade/internal/nodeprofile"
	"github.com/palisade-k8s/palisade/internal/rules"
)

const (
	refCISBenchmark   = "https://www.cisecurity.org/benchmark/kubernetes"
	refKubeadmFiles   = "https://kubernetes.io/docs/reference/setup-tools/kubeadm/implementation-details/"
	refPKICerts       = "https://kubernetes.io/docs/setup/best-practices/certificates/"
	refKubeletService = "https://kubernetes.io/docs/setup/production-environment/tools/kubeadm/kubelet-integration/"
	refEtcdSecurity   = "https://etcd.io/docs/latest/op-guide/security/"
	refCNI            = "https://www.cni.dev/docs/spec/"
	refKubeconfig     = "https://kubernetes.io/docs/concepts/configuration/organize-cluster-access-kubeconfig/"

	labelControlPlane = "node-role.kubernetes.io/control-plane"
	labelMaster       = "node-role.kubernetes.io/master"
)

// presence says what an absent file means to a rule.
type presence int

const (
	// The zero value, required: the benchmark names the file; not finding it is
	// unknown.
	_ presence = iota // required
	// ifPresent: the benchmark says "if present"; an absent file passes.
	ifPresent
	// ifUsed: the kubelet's configuration file, "if used": a kubelet without
	// --config passes; a file it names that was not examined is unknown.
	ifUsed
)

// nodeFile is a file (or a set of files) the benchmark names.
type nodeFile struct {
	// roles are the nodefacts roles of its entries in the facts.
	roles []string
	// name says what it is, for messages and docs.
	name string
	// why says what a reader or writer of it gains.
	why string
	// example is where kubeadm keeps it, for the remediation.
	example string
	// filesOnly judges the role's regular files only (the CNI directory holds
	// configuration files; the directory itself needs its x bits).
	filesOnly bool
	// refs are its references.
	refs []string
}

var (
	fileKubeletService = &nodeFile{roles: []string{nodefacts.RoleKubeletService}, name: "kubelet service file",
		why:     "The kubelet's systemd unit and its drop-ins hold the kubelet's command line: whoever can change them chooses its flags at the next restart (anonymous access, AlwaysAllow, another configuration file).",
		example: "/etc/systemd/system/kubelet.service.d/10-kubeadm.conf", refs: []string{refKubeletService}}
	fileKubeProxyKubeconfig = &nodeFile{roles: []string{nodefacts.RoleKubeProxyKubeconfig}, name: "kube-proxy kubeconfig",
		why:     "kube-proxy's kubeconfig holds the credentials it uses to read every Service and EndpointSlice of the cluster; whoever can change it points kube-proxy at another API server and so rewrites the node's Service routing.",
		example: "/var/lib/kube-proxy/kubeconfig.conf", refs: []string{refKubeconfig}}
	fileKubeletKubeconfig = &nodeFile{roles: []string{nodefacts.RoleKubeletKubeconfig}, name: "kubelet kubeconfig (kubelet.conf)",
		why:     "The kubelet's kubeconfig (--kubeconfig) names its client certificate and key: read, they let anyone act as the node (read the Secrets of its pods, change its Node object); changed, they point the kubelet at another API server.",
		example: "/etc/kubernetes/kubelet.conf", refs: []string{refKubeconfig, refKubeadmFiles}}
	fileClientCA = &nodeFile{roles: []string{nodefacts.RoleClientCA}, name: "client certificate authorities file",
		why:     "The client CA bundle (authentication.x509.clientCAFile) decides whose certificates the kubelet accepts on port 10250: whoever can add a CA to it can sign a certificate for any user and run commands in the node's containers. It holds public certificates only, so others may read it.",
		example: "/etc/kubernetes/pki/ca.crt", refs: []string{refKubeletAuth, refPKICerts}}
	fileKubeletConfig = &nodeFile{roles: []string{nodefacts.RoleKubeletConfig}, name: "kubelet configuration file (config.yaml)",
		why:     "The kubelet's configuration file (--config) sets its authentication, authorization, TLS and pod limits: whoever can change it turns those off at the next restart.",
		example: "/var/lib/kubelet/config.yaml", refs: []string{refKubeletConfig}}
	fileAPIServerManifest = &nodeFile{roles: []string{nodefacts.RoleAPIServerManifest}, name: "API server pod specification",
		why:     "The kubelet runs the API server from this static pod manifest: whoever can change it chooses the API server's flags and mounts (authorization, admission, the keys it reads) and so controls the cluster.",
		example: "/etc/kubernetes/manifests/kube-apiserver.yaml", refs: []string{refKubeadmFiles}}
	fileControllerMgrManifest = &nodeFile{roles: []string{nodefacts.RoleControllerMgrManifest}, name: "controller manager pod specification",
		why:     "The kubelet runs kube-controller-manager from this static pod manifest: whoever can change it runs code with the controller manager's credentials and the cluster CA's key.",
		example: "/etc/kubernetes/manifests/kube-controller-manager.yaml", refs: []string{refKubeadmFiles}}
	fileSchedulerManifest = &nodeFile{roles: []string{nodefacts.RoleSchedulerManifest}, name: "scheduler pod specification",
		why:     "The kubelet runs kube-scheduler from this static pod manifest: whoever can change it decides where every pod runs and runs code with the scheduler's credentials.",
		example: "/etc/kubernetes/manifests/kube-scheduler.yaml", refs: []string{refKubeadmFiles}}
	fileEtcdManifest = &nodeFile{roles: []string{nodefacts.RoleEtcdManifest}, name: "etcd pod specification",
		why:     "The kubelet runs etcd from this static pod manifest: whoever can change it reads or rewrites the whole cluster state, Secrets included.",
		example: "/etc/kubernetes/manifests/etcd.yaml", refs: []string{refKubeadmFiles, refEtcdSecurity}}
	fileCNI = &nodeFile{roles: []string{nodefacts.RoleCNI}, name: "CNI configuration files", filesOnly: true,
		why:     "The container runtime runs the plugins the CNI configuration names, as root, for every pod: whoever can change it runs code as root on the node and decides the pods' network.",
		example: "/etc/cni/net.d/*", refs: []string{refCNI}}
	fileEtcdData = &nodeFile{roles: []string{nodefacts.RoleEtcdDataDir}, name: "etcd data directory",
		why:     "The etcd data directory holds the cluster's whole state, Secrets included (in clear text unless encryption at rest is configured): whoever can read it reads every Secret.",
		example: "/var/lib/etcd", refs: []string{refEtcdSecurity}}
	fileAdminKubeconfig = &nodeFile{roles: []string{nodefacts.RoleAdminKubeconfig}, name: "admin kubeconfig (admin.conf, super-admin.conf)",
		why:     "admin.conf holds a client certificate in kubeadm:cluster-admins and super-admin.conf one in system:masters, which no RBAC rule can restrict: reading either is cluster-admin.",
		example: "/etc/kubernetes/admin.conf /etc/kubernetes/super-admin.conf", refs: []string{refKubeadmFiles}}
	fileSchedulerKubeconfig = &nodeFile{roles: []string{nodefacts.RoleSchedulerKubeconfig}, name: "scheduler kubeconfig (scheduler.conf)",
		why:     "scheduler.conf holds kube-scheduler's client certificate and key: reading it lets anyone bind pods to nodes and read what the scheduler reads.",
		example: "/etc/kubernetes/scheduler.conf", refs: []string{refKubeadmFiles}}
	fileControllerMgrKubeconfig = &nodeFile{roles: []string{nodefacts.RoleControllerMgrKubeconfig}, name: "controller manager kubeconfig (controller-manager.conf)",
		why:     "controller-manager.conf holds kube-controller-manager's client certificate and key, whose identity can mint service account tokens and change most objects of the cluster.",
		example: "/etc/kubernetes/controller-manager.conf", refs: []string{refKubeadmFiles}}
	filePKI = &nodeFile{roles: []string{nodefacts.RolePKIDir, nodefacts.RolePKICert, nodefacts.RolePKIKey}, name: "PKI directory and files",
		why:     "The PKI directory holds the cluster's CAs and the control plane's certificates and keys: whoever owns it can replace a CA and so mint any identity.",
		example: "/etc/kubernetes/pki", refs: []string{refPKICerts}}
	filePKICerts = &nodeFile{roles: []string{nodefacts.RolePKICert}, name: "PKI certificate files (*.crt)",
		why:     "The control plane's certificates are public, but whoever can change one (a CA above all) decides which identities the API server, etcd and the kubelets trust.",
		example: "/etc/kubernetes/pki/*.crt", refs: []string{refPKICerts}}
	filePKIKeys = &nodeFile{roles: []string{nodefacts.RolePKIKey}, name: "PKI key files (*.key)",
		why:     "The control plane's private keys (the CA keys, the service account signing key, etcd's keys) let whoever reads them sign certificates and tokens for any identity.",
		example: "/etc/kubernetes/pki/*.key", refs: []string{refPKICerts}}
)

// fileRule is one file check: a permission limit or an owner.
type fileRule struct {
	id, cis, title string
	sev            finding.Severity
	file           *nodeFile
	// mode is the most the permissions may allow (0 for an owner check); user and
	// group the owner an owner check wants.
	mode        uint32
	user, group string
	presence    presence
	// controlPlane marks the checks of control-plane nodes (CIS 1.1).
	controlPlane bool
}

// fileRules are the file checks, one per rule, in ID order.
var fileRules = []fileRule{
	{id: "PAL-750", cis: "4.1.1", title: "kubelet service file writable or readable by others", sev: high, file: fileKubeletService, mode: 0o600},
	{id: "PAL-751", cis: "4.1.2", title: "kubelet service file not owned by root", sev: high, file: fileKubeletService, user: "root", group: "root"},
	{id: "PAL-752", cis: "4.1.3", title: "kube-proxy kubeconfig readable or writable by others", sev: high, file: fileKubeProxyKubeconfig, mode: 0o600, presence: ifPresent},
	{id: "PAL-753", cis: "4.1.4", title: "kube-proxy kubeconfig not owned by root", sev: high, file: fileKubeProxyKubeconfig, user: "root", group: "root", presence: ifPresent},
	{id: "PAL-754", cis: "4.1.5", title: "kubelet kubeconfig readable or writable by others", sev: high, file: fileKubeletKubeconfig, mode: 0o600},
	{id: "PAL-755", cis: "4.1.6", title: "kubelet kubeconfig not owned by root", sev: high, file: fileKubeletKubeconfig, user: "root", group: "root"},
	{id: "PAL-756", cis: "4.1.7", title: "Client CA file writable by others", sev: high, file: fileClientCA, mode: 0o644},
	{id: "PAL-757", cis: "4.1.8", title: "Client CA file not owned by root", sev: high, file: fileClientCA, user: "root", group: "root"},
	{id: "PAL-758", cis: "4.1.9", title: "kubelet configuration file readable or writable by others", sev: medium, file: fileKubeletConfig, mode: 0o600, presence: ifUsed},
	{id: "PAL-759", cis: "4.1.10", title: "kubelet configuration file not owned by root", sev: medium, file: fileKubeletConfig, user: "root", group: "root", presence: ifUsed},

	{id: "PAL-760", cis: "1.1.1", title: "API server manifest readable or writable by others", sev: high, file: fileAPIServerManifest, mode: 0o600, controlPlane: true},
	{id: "PAL-761", cis: "1.1.2", title: "API server manifest not owned by root", sev: high, file: fileAPIServerManifest, user: "root", group: "root", controlPlane: true},
	{id: "PAL-762", cis: "1.1.3", title: "Controller manager manifest readable or writable by others", sev: high, file: fileControllerMgrManifest, mode: 0o600, controlPlane: true},
	{id: "PAL-763", cis: "1.1.4", title: "Controller manager manifest not owned by root", sev: high, file: fileControllerMgrManifest, user: "root", group: "root", controlPlane: true},
	{id: "PAL-764", cis: "1.1.5", title: "Scheduler manifest readable or writable by others", sev: high, file: fileSchedulerManifest, mode: 0o600, controlPlane: true},
	{id: "PAL-765", cis: "1.1.6", title: "Scheduler manifest not owned by root", sev: high, file: fileSchedulerManifest, user: "root", group: "root", controlPlane: true},
	{id: "PAL-766", cis: "1.1.7", title: "etcd manifest readable or writable by others", sev: high, file: fileEtcdManifest, mode: 0o600, controlPlane: true},
	{id: "PAL-767", cis: "1.1.8", title: "etcd manifest not owned by root", sev: high, file: fileEtcdManifest, user: "root", group: "root", controlPlane: true},
	{id: "PAL-768", cis: "1.1.9", title: "CNI configuration files readable or writable by others", sev: medium, file: fileCNI, mode: 0o600, controlPlane: true},
	{id: "PAL-769", cis: "1.1.10", title: "CNI configuration files not owned by root", sev: medium, file: fileCNI, user: "root", group: "root", controlPlane: true},
	{id: "PAL-770", cis: "1.1.11", title: "etcd data directory open to other users", sev: high, file: fileEtcdData, mode: 0o700, controlPlane: true},
	{id: "PAL-771", cis: "1.1.12", title: "etcd data directory not owned by etcd", sev: medium, file: fileEtcdData, user: "etcd", group: "etcd", controlPlane: true},
	{id: "PAL-772", cis: "1.1.13", title: "Admin kubeconfig readable or writable by others", sev: critical, file: fileAdminKubeconfig, mode: 0o600, controlPlane: true},
	{id: "PAL-773", cis: "1.1.14", title: "Admin kubeconfig not owned by root", sev: high, file: fileAdminKubeconfig, user: "root", group: "root", controlPlane: true},
	{id: "PAL-774", cis: "1.1.15", title: "Scheduler kubeconfig readable or writable by others", sev: high, file: fileSchedulerKubeconfig, mode: 0o600, controlPlane: true},
	{id: "PAL-775", cis: "1.1.16", title: "Scheduler kubeconfig not owned by root", sev: high, file: fileSchedulerKubeconfig, user: "root", group: "root", controlPlane: true},
	{id: "PAL-776", cis: "1.1.17", title: "Controller manager kubeconfig readable or writable by others", sev: high, file: fileControllerMgrKubeconfig, mode: 0o600, controlPlane: true},
	{id: "PAL-777", cis: "1.1.18", title: "Controller manager kubeconfig not owned by root", sev: high, file: fileControllerMgrKubeconfig, user: "root", group: "root", controlPlane: true},
	{id: "PAL-778", cis: "1.1.19", title: "PKI directory or files not owned by root", sev: high, file: filePKI, user: "root", group: "root", controlPlane: true},
	{id: "PAL-779", cis: "1.1.20", title: "PKI certificate files writable by others", sev: medium, file: filePKICerts, mode: 0o644, controlPlane: true},
	{id: "PAL-780", cis: "1.1.21", title: "PKI key files readable or writable by others", sev: critical, file: filePKIKeys, mode: 0o600, controlPlane: true},
}

func init() {
	for i := range fileRules {
		fr := &fileRules[i]
		rules.Register(&rules.Rule{
			Meta: rules.Meta{
				ID: fr.id, Title: fr.title, Severity: fr.sev, Category: catNode,
				Rationale: fr.rationale(), Remediation: fr.remediation(),
				References: append(append([]string{}, fr.file.refs...), refCISBenchmark), Frameworks: nodeFrameworks(fr.cis),
			},
			Kinds:   []string{inventory.NodeFactsKind},
			Targets: rules.Scan,
			Scoped:  true,
			Object:  fr.check,
		})
	}
}

// rationale is the rule's "why": what the file is, and what its check guards.
func (fr *fileRule) rationale() string {
	var b strings.Builder
	b.WriteString(fr.file.why)
	if fr.mode != 0 {
		fmt.Fprintf(&b, " CIS %s asks for permissions %o or stricter: no permission bit beyond %s.", fr.cis, fr.mode, modeWords(fr.mode))
	} else {
		fmt.Fprintf(&b, " CIS %s asks for owner %s:%s, so that no other account can change its permissions or content.", fr.cis, fr.user, fr.group)
	}
	switch fr.presence {
	case ifPresent:
		b.WriteString(" The recommendation applies if the file is present: a node without it passes.")
	case ifUsed:
		b.WriteString(" It applies if the kubelet uses a configuration file: a kubelet started without --config passes.")
	default:
		b.WriteString(" When the facts hold no such file (the collector did not find it, or could not read its metadata) the check is unknown, with the paths tried.")
	}
	if fr.controlPlane {
		b.WriteString(" It applies to control-plane nodes only (a control-plane static pod manifest on the node, or the node-role.kubernetes.io/control-plane label); on other nodes it is not applicable.")
	}
	b.WriteString(" Facts read from a kubelet's /configz carry no file metadata: the check is unknown there.")
	return b.String()
}

// remediation is the rule's fix, on kubeadm's paths.
func (fr *fileRule) remediation() string {
	if fr.mode != 0 {
		return fmt.Sprintf("On the node, run chmod %o %s (kubeadm's path; the facts name the node's own), and keep the tool that writes the %s from widening it again.", fr.mode, fr.file.example, fr.file.name)
	}
	r := ""
	if fr.file == filePKI {
		r = "-R "
	}
	return fmt.Sprintf("On the node, run chown %s%s:%s %s (kubeadm's path; the facts name the node's own).", r, fr.user, fr.group, fr.file.example)
}

// check judges the rule's files in a node's facts.
func (fr *fileRule) check(p *rules.Pass, o *inventory.Object) {
	a := assess(p, o)
	if a.err != nil {
		p.Fail(a.err)
		return
	}
	if fr.controlPlane && !controlPlaneNode(a.facts) {
		return // not applicable: no InScope, so the compliance view says "no objects"
	}
	a, ev, ok := applies(p, o, fr.cis)
	if !ok {
		return
	}
	if a.facts.Source == nodefacts.SourceConfigz {
		p.ReportUnknown("the API server's /configz carries no file metadata; collect the node's facts with palisade node collect")
		return
	}
	var examined int
	var missing, failed []string
	for i := range a.facts.Files {
		f := &a.facts.Files[i]
		if !fr.hasRole(f.Role) {
			continue
		}
		switch {
		case f.Error != "":
			failed = append(failed, f.Path+": "+f.Error)
			continue
		case !f.Exists:
			missing = append(missing, f.Path)
			continue
		case fr.file.filesOnly && f.Type == "dir":
			continue
		}
		examined++
		fr.judge(p, a, ev, i)
	}
	if examined > 0 {
		return
	}
	switch {
	case len(failed) > 0:
		p.ReportUnknown(fmt.Sprintf("the %s could not be examined: %s", fr.file.name, strings.Join(failed, "; ")), append(missing, pathsOf(failed)...)...)
	case fr.presence == ifPresent && len(missing) > 0:
		// Absent, and the benchmark asks only if present.
	case fr.presence == ifUsed && !kubeletUsesConfig(a):
		// The kubelet uses no configuration file.
	case len(missing) > 0:
		p.ReportUnknown(fmt.Sprintf("no %s found on the node", fr.file.name), missing...)
	default:
		p.ReportUnknown(fmt.Sprintf("the facts hold no %s (role %s)", fr.file.name, strings.Join(fr.file.roles, ", ")), fr.tried(a)...)
	}
}

// judge checks one examined file and reports it when it fails.
func (fr *fileRule) judge(p *rules.Pass, a *assessment, base *finding.NodeEvidence, i int) {
	f := &a.facts.Files[i]
	ev := *base
	ev.File = &finding.NodeFile{Path: f.Path, Role: f.Role, Mode: f.Mode, User: f.User, Group: f.Group, UID: f.UID, GID: f.GID}
	at := fmt.Sprintf("files[%d]", i)
	if fr.mode != 0 {
		m, err := strconv.ParseUint(strings.TrimSpace(f.Mode), 8, 32)
		if err != nil || m > 0o7777 {
			p.ReportUnknown(fmt.Sprintf("%s: mode %q is not an octal permission", f.Path, f.Mode), f.Path)
			return
		}
		extra := uint32(m) &^ fr.mode
		if extra == 0 {
			return
		}
		ev.Value, ev.Expected = fmt.Sprintf("%04o", m), fmt.Sprintf("%04o or stricter", fr.mode)
		p.ReportNode(&ev, at, "%s (%s) has mode %04o: %s beyond %04o (%s)", f.Path, fr.file.name, m, modeWords(extra), fr.mode, recommendation(&ev))
		return
	}
	userOK, groupOK := owns(f.User, f.UID, fr.user), owns(f.Group, f.GID, fr.group)
	if userOK && groupOK {
		return
	}
	ev.Value, ev.Expected = ownerText(f.User, f.UID)+":"+ownerText(f.Group, f.GID), fr.user+":"+fr.group
	p.ReportNode(&ev, at, "%s (%s) is owned by %s, not %s (%s)", f.Path, fr.file.name, ev.Value, ev.Expected, recommendation(&ev))
}

func (fr *fileRule) hasRole(role string) bool {
	for _, r := range fr.file.roles {
		if r == role {
			return true
		}
	}
	return false
}

// tried are the places the profile would look for the rule's files, when the
// facts hold none of them (the collector did not look, or its component was not
// found: then the component's own Tried).
func (fr *fileRule) tried(a *assessment) []string {
	var out []string
	// The paths the kubelet's own command line names come first.
	if c := a.facts.Component(nodefacts.Kubelet); c != nil && c.Found {
		switch fr.file {
		case fileKubeletConfig:
			if c.Config != nil && c.Config.Path != "" {
				out = append(out, c.Config.Path)
			}
		case fileKubeletKubeconfig:
			if v := argValue(c.Args, "kubeconfig"); v != "" {
				out = append(out, v)
			}
		}
	}
	for _, role := range fr.file.roles {
		out = append(out, profilePaths(a.profile, role)...)
	}
	comp := ""
	switch fr.file {
	case fileKubeletService, fileKubeletKubeconfig, fileClientCA, fileKubeletConfig:
		comp = nodefacts.Kubelet
	case fileKubeProxyKubeconfig:
		comp = nodefacts.KubeProxy
	}
	if c := a.facts.Component(comp); c != nil && !c.Found {
		out = append(out, c.Tried...)
	}
	return out
}

// profilePaths are a profile's locations of a role's files.
func profilePaths(pr *nodeprofile.Profile, role string) []string {
	if pr == nil {
		return nil
	}
	cp := pr.ControlPlane
	manifest := func(name string) []string {
		if cp.Manifests == "" {
			return nil
		}
		return []string{path.Join(cp.Manifests, name)}
	}
	dir := func(d string) []string {
		if d == "" {
			return nil
		}
		return []string{d}
	}
	switch role {
	case nodefacts.RoleKubeletService:
		return pr.Kubelet.Service
	case nodefacts.RoleKubeletKubeconfig:
		return pr.Kubelet.Kubeconfig
	case nodefacts.RoleKubeletConfig:
		return pr.Kubelet.Config
	case nodefacts.RoleClientCA:
		return pr.Kubelet.ClientCA
	case nodefacts.RoleKubeProxyKubeconfig:
		return pr.KubeProxy.Kubeconfig
	case nodefacts.RoleAPIServerManifest:
		return manifest("kube-apiserver.yaml")
	case nodefacts.RoleControllerMgrManifest:
		return manifest("kube-controller-manager.yaml")
	case nodefacts.RoleSchedulerManifest:
		return manifest("kube-scheduler.yaml")
	case nodefacts.RoleEtcdManifest:
		return manifest("etcd.yaml")
	case nodefacts.RoleCNI:
		return cp.CNI
	case nodefacts.RoleEtcdDataDir:
		return dir(cp.EtcdData)
	case nodefacts.RoleAdminKubeconfig:
		return cp.AdminKubeconfig
	case nodefacts.RoleSchedulerKubeconfig:
		return cp.SchedulerKubeconfig
	case nodefacts.RoleControllerMgrKubeconfig:
		return cp.ControllerManagerKubeconfig
	case nodefacts.RolePKIDir, nodefacts.RolePKICert, nodefacts.RolePKIKey:
		return dir(cp.PKI)
	}
	return nil
}

// controlPlaneNode reports whether the node runs the control plane: a
// control-plane static pod manifest is on it, or its labels say so.
func controlPlaneNode(f *nodefacts.Facts) bool {
	for _, l := range []string{labelControlPlane, labelMaster} {
		if _, ok := f.Node.Labels[l]; ok {
			return true
		}
	}
	for i := range f.Files {
		switch fl := &f.Files[i]; fl.Role {
		case nodefacts.RoleAPIServerManifest, nodefacts.RoleControllerMgrManifest, nodefacts.RoleSchedulerManifest, nodefacts.RoleEtcdManifest:
			if fl.Exists {
				return true
			}
		}
	}
	return false
}

// kubeletUsesConfig reports whether the kubelet may use a configuration file: it
// names one (--config), or it was not found (then nothing says it does not).
func kubeletUsesConfig(a *assessment) bool {
	c := a.facts.Component(nodefacts.Kubelet)
	if c == nil || !c.Found {
		return true
	}
	return c.Config != nil || argGiven(c.Args, "config")
}

// owns reports whether a file's owner (name, or numeric id when the host has no
// name for it) is want; only root has a known id.
func owns(name string, id int, want string) bool {
	if name != "" {
		return name == want
	}
	return want == "root" && id == 0
}

func ownerText(name string, id int) string {
	if name != "" {
		return name
	}
	return strconv.Itoa(id)
}

// modeWords says which permissions the bits of m are ("group read, others
// write"), special bits included.
func modeWords(m uint32) string {
	var parts []string
	for _, who := range []struct {
		name  string
		shift uint
	}{{"owner", 6}, {"group", 3}, {"others", 0}} {
		var p []string
		bits := (m >> who.shift) & 7
		if bits&4 != 0 {
			p = append(p, "read")
		}
		if bits&2 != 0 {
			p = append(p, "write")
		}
		if bits&1 != 0 {
			p = append(p, "execute")
		}
		if len(p) > 0 {
			parts = append(parts, who.name+" "+strings.Join(p, "/"))
		}
	}
	for _, s := range []struct {
		bit  uint32
		name string
	}{{0o4000, "setuid"}, {0o2000, "setgid"}, {0o1000, "sticky"}} {
		if m&s.bit != 0 {
			parts = append(parts, s.name)
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// pathsOf are the paths of "PATH: reason" entries.
func pathsOf(entries []string) []string {
	out := make([]string, 0, len(entries))
	for _, e := range entries {
		p, _, _ := strings.Cut(e, ": ")
		out = append(out, p)
	}
	return out
}

// argValue is the last value of a flag on a command line (--name=v or --name v).
func argValue(args []string, name string) string {
	val := ""
	for i, a := range args {
		if !strings.HasPrefix(a, "-") {
			continue
		}
		n, v, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if strings.ReplaceAll(n, "_", "-") != name {
			continue
		}
		if !hasVal && i+1 < len(args) {
			v = args[i+1]
		}
		val = v
	}
	return val
}

// Applies reports whether a node rule applies to a node (a per-node view asks it):
// the control-plane file rules apply only to control-plane nodes.
func Applies(ruleID string, f *nodefacts.Facts) bool {
	for i := range fileRules {
		if fileRules[i].id == ruleID && fileRules[i].controlPlane {
			return controlPlaneNode(f)
		}
	}
	return true
}

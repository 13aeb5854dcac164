package controlplane

// The control plane is configured almost entirely by command-line flags of four
// binaries: kube-apiserver, kube-controller-manager, kube-scheduler and etcd. On a
// kubeadm-style cluster they run as static pods (/etc/kubernetes/manifests, and as
// mirror pods in kube-system), and their defaults are not the secure choice: the API
// server accepts anonymous requests, serves profiling data and keeps no audit log
// unless told otherwise. Sections 1 to 3 of the CIS Kubernetes Benchmark list the
// flags that matter; the rules in controlplane_*.go check them (PAL-7xx), each finding
// naming its CIS recommendation and the exact flag and value found.
//
// A container is a control-plane component when the binary it runs is one of the
// four: the base name of command[0] (/usr/local/bin/kube-apiserver), of the program
// behind a wrapper (hyperkube, go-runner, env, tini, dumb-init), or of the command a
// shell script (sh -c "exec kube-apiserver ...") runs. etcd is a common application
// database, so an etcd container counts only in kube-system or in a pod labelled
// tier=control-plane or component=etcd, as kubeadm labels it. A container that names
// no command is identified by its image (registry.k8s.io/kube-apiserver) under the
// same condition, since the image's entrypoint then runs with its args.
//
// Flags are read as each binary reads them (see internal/cmdline): pflag for the
// Kubernetes components, Go's flag package for etcd, which also reads ETCD_*
// environment variables for flags not given. The kubelet expands $(VAR) references to
// the container's environment first; a value that depends on a variable known only at
// run time is not judged. A flag set more than once takes its last value; list flags
// accumulate. When --authentication-config, --authorization-config or the
// scheduler's --config file decides a setting instead of a flag, that setting is not
// judged, and etcd's --config-file makes it ignore every flag, so such an etcd is not
// checked.
//
// Findings point at the argument that sets the flag. A missing flag is reported at
// the list that holds the component's flags (command or args), keyed by the flag name
// (spec.containers[0].command['--audit-log-path']), so that every missing flag is a
// finding of its own; its line is that of the list.

import (
	"fmt"
	"path"
	"strconv"
	"strings"

	"github.com/palisade-k8s/palisade/internal/cmdline"
	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/workload"
)

const (
	catControlPlane = "control-plane"

	binAPIServer         = "kube-apiserver"
	binControllerManager = "kube-controller-manager"
	binScheduler         = "kube-scheduler"
	binEtcd              = "etcd"

	nsaAuthn    = "Authentication and authorization: authentication"
	nsaRBAC     = "Authentication and authorization: role-based access control"
	nsaSecrets  = "Network separation and hardening: secrets"
	nsaAuditLog = "Audit logging and threat detection: Kubernetes native audit logging configuration"

	refAPIServerFlags = "https://kubernetes.io/docs/reference/command-line-tools-reference/kube-apiserver/"
	refKCMFlags       = "https://kubernetes.io/docs/reference/command-line-tools-reference/kube-controller-manager/"
	refSchedulerFlags = "https://kubernetes.io/docs/reference/command-line-tools-reference/kube-scheduler/"
	refEtcdOps        = "https://kubernetes.io/docs/tasks/administer-cluster/configure-upgrade-etcd/"
	refEtcdSecurity   = "https://etcd.io/docs/v3.5/op-guide/security/"
	refSecuringClust  = "https://kubernetes.io/docs/tasks/administer-cluster/securing-a-cluster/"

	// controlPlaneNamespace is where kubeadm and most distributions run the control
	// plane's static pods.
	controlPlaneNamespace = "kube-system"
)

// cpFrameworks tags a control-plane rule with CIS IDs and NSA/CISA sections.
func cpFrameworks(cis []string, nsa ...string) rules.Frameworks {
	return rules.Frameworks{CIS: cis, NSA: nsa, Layer: layerCluster}
}

// component is a control-plane binary run by one container, with its flags.
type component struct {
	bin string
	c   *workload.Container
	// args are the arguments after the binary, each with the field it was written in.
	args  []cpArg
	flags *cmdline.Flags
	// anchor is the field that holds the flags: where a missing flag belongs.
	anchor string
	// env holds the container's literal environment variables (etcd reads ETCD_*).
	env map[string]envVar
}

// cpArg is one argument of a component and the field path it comes from. Several
// arguments share a field when a shell script holds them.
type cpArg struct {
	text   string
	path   string
	shared bool
	// unknown is set when the text depends on a variable known only at run time.
	unknown bool
}

type envVar struct {
	value string
	path  string
	// unknown is set for values from valueFrom (resolved at run time).
	unknown bool
}

// setting is a flag as the binary sees it.
type setting struct {
	name  string
	value string
	// written is the flag as it reads in the manifest, for messages.
	written string
	path    string
	// unknown is set when the value is known only at run time.
	unknown bool
}

// boolValue parses a boolean flag as both flag packages do (strconv.ParseBool).
func (s setting) boolValue() (v, ok bool) {
	b, err := strconv.ParseBool(s.value)
	return b, err == nil
}

// componentsOf returns the control-plane components run by a workload's regular
// containers.
func componentsOf(w *workload.Workload) []*component {
	var out []*component
	for _, c := range w.Containers {
		if c.Kind != workload.Regular {
			continue
		}
		if cp := identify(w, c); cp != nil {
			out = append(out, cp)
		}
	}
	return out
}

// forComponents runs check on every component of the given binaries and reports its
// issues, one finding per field path.
func forComponents(p *rules.Pass, w *workload.Workload, bins []string, check func(p *rules.Pass, cp *component) []issue) {
	for _, cp := range componentsOf(w) {
		if contains(bins, cp.bin) {
			p.InScope()
			reportIssues(p, cp, check(p, cp))
		}
	}
}

// issue is one failed CIS recommendation at a field path.
type issue struct {
	path, cis, msg string
}

// reportIssues reports issues as findings of the rule, joining those at the same path
// (two recommendations failed by one argument) into one message.
func reportIssues(p *rules.Pass, cp *component, issues []issue) {
	var order []string
	msgs := map[string][]string{}
	for _, is := range issues {
		if _, ok := msgs[is.path]; !ok {
			order = append(order, is.path)
		}
		m := is.msg
		if is.cis != "" {
			m = "CIS " + is.cis + " (" + cp.bin + "): " + m
		} else {
			m = cp.bin + ": " + m
		}
		msgs[is.path] = append(msgs[is.path], m)
	}
	for _, path := range order {
		p.Report(path, cp.c.Name, "%s", strings.Join(msgs[path], "; "))
	}
}

// get returns the effective setting of a flag: its last occurrence, or for etcd the
// ETCD_* environment variable that stands in for a flag not given.
func (cp *component) get(name string) (setting, bool) {
	if f, ok := cp.flags.Last(name); ok {
		return cp.setting(f), true
	}
	if cp.bin == binEtcd {
		key := "ETCD_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
		if e, ok := cp.env[key]; ok {
			return setting{name: name, value: e.value, written: key + "=" + e.value, path: e.path, unknown: e.unknown}, true
		}
	}
	return setting{}, false
}

// all returns every occurrence of a flag, for list flags that accumulate.
func (cp *component) all(name string) []setting {
	var out []setting
	for _, f := range cp.flags.All(name) {
		out = append(out, cp.setting(f))
	}
	if out == nil {
		if s, ok := cp.get(name); ok {
			out = append(out, s)
		}
	}
	return out
}

func (cp *component) setting(f cmdline.Flag) setting {
	a := cp.args[f.Arg]
	s := setting{name: f.Name, value: f.Value, path: a.path, unknown: cp.args[f.ValueArg].unknown}
	switch {
	case f.Implied:
		s.written = a.text + " (no value: true)"
	case f.ValueArg != f.Arg:
		s.written = a.text + " " + f.Value
	default:
		s.written = a.text
	}
	if a.shared {
		s.path += "['--" + f.Name + "']"
	}
	return s
}

// missing returns the path at which a flag that is not set is reported.
func (cp *component) missing(name string) string {
	return cp.anchor + "['--" + name + "']"
}

// listValues returns the values of a list flag with the setting each came from.
func (cp *component) listValues(name string) (vals []string, from []setting) {
	for _, s := range cp.all(name) {
		for _, v := range cmdline.SplitList(s.value) {
			vals = append(vals, strings.TrimSpace(v))
			from = append(from, s)
		}
	}
	return vals, from
}

// parseFlagInt reads an integer flag value; ok is false when it is not one.
func parseFlagInt(s setting) (int64, bool) {
	n, err := strconv.ParseInt(strings.TrimSpace(s.value), 10, 64)
	return n, err == nil
}

// paramInt reads an integer parameter, falling back to def when it is not one.
func paramInt(p *rules.Pass, name string, def int64) int64 {
	if v := p.Strings(name); len(v) == 1 {
		if n, err := strconv.ParseInt(strings.TrimSpace(v[0]), 10, 64); err == nil {
			return n
		}
	}
	return def
}

// identify returns the component a container runs, or nil.
func identify(w *workload.Workload, c *workload.Container) *component {
	if !mayRunComponent(c) {
		return nil
	}
	env, envUnknown := containerEnv(c)
	var items []cpArg
	for i, s := range c.Command {
		items = append(items, expandArg(s, c.Field("command")+indexSuffix(i), env, envUnknown))
	}
	for i, s := range c.Args {
		items = append(items, expandArg(s, c.Field("args")+indexSuffix(i), env, envUnknown))
	}
	bin, args, anchor := locateBinary(items)
	if bin == "" && len(c.Command) == 0 {
		// The image's entrypoint runs with the args: name the binary by the image.
		if b := binaryOfImage(c.Image); b != "" {
			bin, args = b, items
			anchor = c.Field("args")
			if len(c.Args) == 0 {
				anchor = c.Field("command")
			}
			if !controlPlaneContext(w, bin) {
				return nil
			}
		}
	}
	if bin == "" || bin == binEtcd && !controlPlaneContext(w, bin) {
		return nil
	}
	cp := &component{bin: bin, c: c, args: args, anchor: anchor, env: env}
	texts := make([]string, len(args))
	for i, a := range args {
		texts[i] = a.text
	}
	syntax := cmdline.PFlag
	if bin == binEtcd {
		syntax = cmdline.GoFlag
	}
	cp.flags = cmdline.Parse(texts, syntax, flagKind(bin))
	return cp
}

// mayRunComponent is a cheap first test that keeps ordinary containers from being
// parsed by every control-plane rule: a container that does not name a component
// binary (or hyperkube) in its command line, and whose image does not either when
// it names no command, cannot run one.
func mayRunComponent(c *workload.Container) bool {
	if len(c.Command) == 0 && binaryOfImage(c.Image) != "" {
		return true
	}
	for _, list := range [][]string{c.Command, c.Args} {
		for _, s := range list {
			if strings.Contains(s, "kube-") || strings.Contains(s, "etcd") || strings.Contains(s, "hyperkube") {
				return true
			}
		}
	}
	return false
}

// controlPlaneContext reports whether a workload runs where the cluster's own control
// plane runs: in kube-system, or labelled as a control-plane pod by kubeadm.
func controlPlaneContext(w *workload.Workload, bin string) bool {
	if w.Object.Ref.Namespace == controlPlaneNamespace {
		return true
	}
	l := w.Meta.Labels
	return l["tier"] == "control-plane" || l["component"] == bin
}

// locateBinary finds the control-plane binary in a command line and returns it with
// its arguments and the field that holds them.
func locateBinary(items []cpArg) (string, []cpArg, string) {
	for i := 0; i < len(items); {
		name := path.Base(items[i].text)
		if b := componentBinary(name); b != "" {
			return b, items[i+1:], anchorOf(items[i:])
		}
		switch name {
		case "hyperkube":
			if i+1 < len(items) {
				if b := hyperkubeCommand(items[i+1].text); b != "" {
					return b, items[i+2:], anchorOf(items[i+1:])
				}
			}
			return "", nil, ""
		case "go-runner", "env", "tini", "dumb-init", "nice", "ionice", "exec":
			// Skip the wrapper's own options (and env's assignments) to its command.
			i++
			for i < len(items) && (strings.HasPrefix(items[i].text, "-") || name == "env" && strings.Contains(items[i].text, "=")) {
				done := items[i].text == "--"
				i++
				if done {
					break
				}
			}
			continue
		case "sh", "bash", "ash", "dash", "busybox":
			return scriptBinary(items[i+1:])
		}
		return "", nil, ""
	}
	return "", nil, ""
}

// anchorOf returns the field where flags of a command line belong: the field of its
// last argument (args when the flags continue there, else command).
func anchorOf(items []cpArg) string {
	last := items[len(items)-1].path
	if i := strings.LastIndexByte(last, '['); i >= 0 {
		return last[:i]
	}
	return last
}

// scriptBinary finds a control-plane binary in the script of "sh -c script" (items
// are the shell's arguments). A script file (sh run.sh) cannot be read.
func scriptBinary(items []cpArg) (string, []cpArg, string) {
	hasC := false
	for i := 0; i < len(items); i++ {
		t := items[i].text
		switch {
		case t == "sh" || t == "bash": // busybox sh
		case t == "-o" || t == "+o":
			i++ // a shell option name follows
		case strings.HasPrefix(t, "--"):
		case strings.HasPrefix(t, "-") || strings.HasPrefix(t, "+"):
			hasC = hasC || strings.Contains(t[1:], "c")
		case !hasC:
			return "", nil, ""
		default:
			return binaryInScript(items[i])
		}
	}
	return "", nil, ""
}

// binaryInScript finds the first control-plane binary the script runs and the words
// of its simple command up to the next control operator; redirections are skipped.
func binaryInScript(script cpArg) (string, []cpArg, string) {
	words := cmdline.Words(script.text)
	for j, wd := range words {
		if wd.Op {
			continue
		}
		name := path.Base(wd.Text)
		b, start := componentBinary(name), j+1
		if b == "" && name == "hyperkube" && j+1 < len(words) && !words[j+1].Op {
			b, start = hyperkubeCommand(words[j+1].Text), j+2
		}
		if b == "" {
			continue
		}
		var args []cpArg
		for k := start; k < len(words); k++ {
			if words[k].Op {
				if strings.ContainsAny(words[k].Text[:1], "<>") {
					k++ // a redirection and its target
					continue
				}
				break
			}
			args = append(args, cpArg{text: words[k].Text, path: script.path, shared: true,
				unknown: script.unknown || strings.ContainsAny(words[k].Text, "$`")})
		}
		return b, args, script.path
	}
	return "", nil, ""
}

func componentBinary(name string) string {
	switch name {
	case binAPIServer, binControllerManager, binScheduler, binEtcd:
		return name
	}
	return ""
}

// hyperkubeCommand maps a hyperkube subcommand to its component.
func hyperkubeCommand(sub string) string {
	switch sub {
	case "kube-apiserver", "apiserver":
		return binAPIServer
	case "kube-controller-manager", "controller-manager":
		return binControllerManager
	case "kube-scheduler", "scheduler":
		return binScheduler
	}
	return ""
}

// binaryOfImage names the component an image runs by its repository's last path
// element ("registry.k8s.io/kube-apiserver-amd64:v1.31.0" is kube-apiserver).
func binaryOfImage(image string) string {
	name := image
	if i := strings.IndexByte(name, '@'); i >= 0 {
		name = name[:i]
	}
	name = path.Base(name)
	if i := strings.IndexByte(name, ':'); i >= 0 {
		name = name[:i]
	}
	for _, arch := range []string{"-amd64", "-arm64", "-arm", "-ppc64le", "-s390x"} {
		name = strings.TrimSuffix(name, arch)
	}
	return componentBinary(name)
}

// containerEnv returns the container's environment variables; unknown is set when
// envFrom may define more.
func containerEnv(c *workload.Container) (map[string]envVar, bool) {
	env := map[string]envVar{}
	for i, e := range c.Env {
		env[e.Name] = envVar{value: e.Value, path: c.Field("env") + indexSuffix(i) + ".value", unknown: e.ValueFrom != nil}
	}
	return env, len(c.EnvFrom) > 0
}

// expandArg applies the kubelet's expansion of $(VAR) references in command and args:
// a defined variable is replaced, "$$" is "$", anything else stays as written. A
// reference to a variable resolved only at run time makes the argument unknown.
func expandArg(s, fieldPath string, env map[string]envVar, envFrom bool) cpArg {
	a := cpArg{path: fieldPath}
	if !strings.Contains(s, "$") {
		a.text = s
		return a
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 >= len(s) {
			b.WriteByte(s[i])
			continue
		}
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			i++
			continue
		case '(':
			end := strings.IndexByte(s[i+2:], ')')
			if end < 0 {
				break
			}
			name := s[i+2 : i+2+end]
			if e, ok := env[name]; ok {
				b.WriteString(e.value)
				a.unknown = a.unknown || e.unknown
			} else {
				b.WriteString(s[i : i+3+end])
				a.unknown = a.unknown || envFrom
			}
			i += 2 + end
			continue
		}
		b.WriteByte(s[i])
	}
	a.text = b.String()
	return a
}

// flagKind returns how the flags of a binary take values: the boolean flags are
// listed, everything else is read by the cmdline heuristic.
func flagKind(bin string) func(string) cmdline.Kind {
	var bools map[string]bool
	switch bin {
	case binAPIServer:
		bools = apiServerBools
	case binControllerManager:
		bools = kcmBools
	case binScheduler:
		bools = schedulerBools
	case binEtcd:
		bools = etcdBools
	}
	return func(name string) cmdline.Kind {
		switch {
		case bools[name] || commonBools[name]:
			return cmdline.Bool
		case name == "v" && bin != binEtcd:
			return cmdline.Value
		}
		return cmdline.Unknown
	}
}

func set(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// The boolean flags of each binary (as of Kubernetes 1.33 and etcd 3.5): only these
// take no separate value argument.
var (
	commonBools = set("help", "h", "version", "profiling", "contention-profiling",
		"permit-port-sharing", "permit-address-sharing", "disable-http2-serving",
		"log-json-split-stream", "log-text-split-stream")
	apiServerBools = set("anonymous-auth", "allow-privileged", "audit-log-compress",
		"audit-log-batch-throttle-enable", "audit-log-truncate-enabled",
		"audit-webhook-batch-throttle-enable", "audit-webhook-truncate-enabled",
		"enable-aggregator-routing", "enable-bootstrap-token-auth", "enable-garbage-collector",
		"enable-logs-handler", "enable-priority-and-fairness", "encryption-provider-config-automatic-reload",
		"service-account-extend-token-expiration", "service-account-lookup", "watch-cache",
		"shutdown-send-retry-after", "kubelet-https", "oidc-username-prefix-disabled")
	kcmBools = set("use-service-account-credentials", "leader-elect", "allocate-node-cidrs",
		"configure-cloud-routes", "enable-dynamic-provisioning", "enable-garbage-collector",
		"enable-hostpath-provisioner", "enable-leader-migration", "authentication-skip-lookup",
		"authentication-tolerate-lookup-failure")
	schedulerBools = set("leader-elect", "authentication-skip-lookup", "authentication-tolerate-lookup-failure")
	etcdBools      = set("auto-tls", "peer-auto-tls", "client-cert-auth", "peer-client-cert-auth",
		"enable-pprof", "strict-reconfig-check", "enable-v2", "enable-grpc-gateway", "force-new-cluster",
		"pre-vote", "socket-reuse-port", "socket-reuse-address", "enable-log-rotation",
		"experimental-initial-corrupt-check", "experimental-enable-distributed-tracing",
		"experimental-enable-lease-checkpoint", "experimental-enable-lease-checkpoint-persist",
		"experimental-memory-mlock", "experimental-stop-grpc-service-on-defrag", "unsafe-no-fsync",
		"peer-skip-client-san-verification", "experimental-peer-skip-client-san-verification",
		"experimental-compact-hash-check-enabled")
)

// Helpers shared by the rules.

// requireSet reports a flag that must be set to some value.
func requireSet(cp *component, name, cis, why string) []issue {
	if _, ok := cp.get(name); ok {
		return nil
	}
	return []issue{{cp.missing(name), cis, fmt.Sprintf("--%s is not set; %s", name, why)}}
}

// requireBool reports a boolean flag that is not set to want. def is the binary's
// default, used when the flag is absent.
func requireBool(cp *component, name string, want, def bool, cis, why string) []issue {
	s, ok := cp.get(name)
	if !ok {
		if def == want {
			return nil
		}
		return []issue{{cp.missing(name), cis, fmt.Sprintf("--%s is not set and defaults to %t; %s", name, def, why)}}
	}
	if s.unknown {
		return nil
	}
	v, valid := s.boolValue()
	switch {
	case !valid:
		return []issue{{s.path, cis, fmt.Sprintf("%s is not a boolean the binary accepts (it refuses to start); it must be %t", s.written, want)}}
	case v != want:
		return []issue{{s.path, cis, fmt.Sprintf("%s; %s", s.written, why)}}
	}
	return nil
}

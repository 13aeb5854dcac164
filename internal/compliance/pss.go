package compliance

import (
	"github.com/palisade-k8s/palisade/internal/pss"
	"github.com/palisade-k8s/palisade/internal/rules"
)

// pssChecks are the Pod Security Standards controls in the order of the standard, by
// the check IDs of k8s.io/pod-security-admission. Rules name a check in
// rules.Frameworks.PSSCheck; the engine's fallback finding for a failed check that no
// rule pinpoints carries the ID of a rule for that check, so it counts here too.
var pssChecks = []struct{ id, level, title string }{
	{"windowsHostProcess", "baseline", "HostProcess: no Windows HostProcess containers"},
	{"hostNamespaces", "baseline", "Host namespaces: no hostNetwork, hostPID or hostIPC"},
	{"privileged", "baseline", "Privileged containers: none"},
	{"capabilities_baseline", "baseline", "Capabilities: none added beyond the default set"},
	{"hostPathVolumes", "baseline", "HostPath volumes: none"},
	{"hostPorts", "baseline", "Host ports: none"},
	{"hostProbesAndHostLifecycle", "baseline", "Probes and lifecycle hooks: no host field"},
	{"appArmorProfile", "baseline", "AppArmor: not unconfined"},
	{"seLinuxOptions", "baseline", "SELinux: no custom type, user or role"},
	{"procMount", "baseline", "/proc mount type: Default"},
	{"seccompProfile_baseline", "baseline", "Seccomp: not Unconfined"},
	{"sysctls", "baseline", "Sysctls: only the safe set"},
	{"restrictedVolumes", "restricted", "Volume types: only the restricted set"},
	{"allowPrivilegeEscalation", "restricted", "Privilege escalation: allowPrivilegeEscalation false"},
	{"runAsNonRoot", "restricted", "Running as non-root: runAsNonRoot true"},
	{"runAsUser", "restricted", "Running as a non-root user: runAsUser not 0"},
	{"seccompProfile_restricted", "restricted", "Seccomp: RuntimeDefault or Localhost"},
	{"capabilities_restricted", "restricted", "Capabilities: drop ALL, add at most NET_BIND_SERVICE"},
	{"procMount_restricted", "restricted", "/proc mount type: Default, in user-namespace pods too"},
}

// pssFramework is the view for one Pod Security Standards level; restricted includes
// every baseline control. A restricted check that a baseline failure implies
// (pss.SubsumedBy) includes that baseline control, as the official check fails too.
func pssFramework(id, level string) *Framework {
	f := &Framework{
		ID:    id,
		Title: "Pod Security Standards, " + level + " profile",
		URL:   "https://kubernetes.io/docs/concepts/security/pod-security-standards/",
		pss:   true,
	}
	for _, c := range pssChecks {
		if level == "baseline" && c.level != "baseline" {
			continue
		}
		ctl := Control{ID: c.id, Title: c.title, Section: "Pod Security Standards: " + c.level}
		if b, ok := pss.SubsumedBy[c.id]; ok {
			ctl.Includes = []string{b}
		}
		f.Controls = append(f.Controls, ctl)
	}
	// A baseline view ignores rules for restricted checks rather than calling them
	// unknown: they belong to the other level.
	f.claims = func(fw rules.Frameworks) []string {
		if fw.PSSCheck == "" || (level == "baseline" && fw.PSS != "baseline") {
			return nil
		}
		return []string{fw.PSSCheck}
	}
	f.resolve = f.byID
	return f
}

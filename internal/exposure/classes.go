package exposure

// What internal/attackpath reuses of the identity and host terms, so that a path's
// hops and a workload's exposure score agree.

import (
	"strings"

	"github.com/palisade-k8s/palisade/internal/rbac"
)

// RiskClasses are the capability classes of the identity term, most dangerous first
// (a copy: the caller may keep it).
func RiskClasses() []rbac.RiskClass {
	out := make([]rbac.RiskClass, len(capabilities))
	for i := range capabilities {
		out[i] = capabilities[i].class
	}
	return out
}

// CapabilityPhrase describes a class of RiskClasses ("can read secrets"; "" for an
// unknown class).
func CapabilityPhrase(class string) string {
	if c := capabilityOf(class); c != nil {
		return c.phrase
	}
	return ""
}

// NodeCapability reports whether an added Linux capability lets a container take its
// node over (host score 3), with its name as the host term writes it ("SYS_ADMIN"
// for "cap_sys_admin").
func NodeCapability(c string) (string, bool) {
	name := strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(c)), "CAP_")
	return name, nodeCapabilities[name]
}

// NodeDir reports whether a hostPath (cleaned, absolute) is the node's root or a
// sensitive node directory, or a file under one (host score 3).
func NodeDir(p string) bool { return nodeDir(p) }

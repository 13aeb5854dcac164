package compliance

import (
	"strings"

	"github.com/palisade-k8s/palisade/internal/rules"
)

// nsaCISA is the NSA/CISA Kubernetes Hardening Guidance v1.2 (August 2022). The guide
// does not number its sections, so controls get short IDs; rules name a control by its
// tag in rules.Frameworks.NSA: the section ("Network separation and hardening") or
// the section and subsection ("Pod security: non-root containers"), matched without
// regard to case. A section's general guidance is a control of its own, for rules
// tagged with the section as a whole.
func nsaCISA() *Framework {
	f := &Framework{
		ID:     "nsa-cisa",
		Title:  "NSA/CISA Kubernetes Hardening Guidance v1.2",
		URL:    "https://media.defense.gov/2022/Aug/29/2003066362/-1/-1/0/CTR_KUBERNETES_HARDENING_GUIDANCE_1.2_20220829.PDF",
		claims: func(fw rules.Frameworks) []string { return fw.NSA },
	}
	f.resolve = f.byTag
	var section, tag, prefix string
	// at starts a section: its own control, then its subsections.
	at := func(id, title, sectionTag string, r Reason) {
		section, tag, prefix = title, sectionTag, id
		f.Controls = append(f.Controls, Control{ID: id, Title: title + ": general", Section: title, Tag: sectionTag, NotAssessable: r})
	}
	add := func(id, title string, r Reason) {
		f.Controls = append(f.Controls, Control{
			ID: prefix + "." + id, Title: title, Section: section,
			Tag: tag + ": " + strings.ToLower(title), NotAssessable: r,
		})
	}

	at("pod-security", "Kubernetes Pod security", "Pod security", Overview)
	add("non-root", "Non-root containers", "")
	add("immutable-fs", "Immutable container file systems", "")
	add("secure-images", "Building secure container images", "")
	add("enforcement", "Pod security enforcement", "")
	add("sa-tokens", "Protecting pod service account tokens", "")
	add("hardening", "Hardening container environments", "")

	at("network", "Network separation and hardening", "Network separation and hardening", Overview)
	add("namespaces", "Namespaces", "")
	add("policies", "Network policies", "")
	add("resources", "Resource policies", "")
	add("control-plane", "Control plane hardening", "")
	add("worker-nodes", "Worker node segmentation", "")
	add("encryption", "Encryption", "")
	add("secrets", "Secrets", "")
	add("cloud", "Protecting sensitive cloud infrastructure", Cluster)

	at("authn-authz", "Authentication and authorization", "Authentication and authorization", Overview)
	add("authentication", "Authentication", "")
	add("rbac", "Role-based access control", "")

	at("logging", "Audit logging and threat detection", "Audit logging and threat detection", Overview)
	add("audit", "Kubernetes native audit logging configuration", "")
	add("nodes", "Worker node and container logging", Cluster)
	add("seccomp-audit", "Seccomp: audit mode", Cluster)
	add("syslog", "Syslog", Cluster)
	add("siem", "SIEM platforms", Manual)
	add("service-meshes", "Service meshes", Manual)
	add("fault-tolerance", "Fault tolerance", Manual)
	add("threat-detection", "Threat detection", Manual)
	add("alerting", "Alerting", Manual)
	add("tools", "Tools", Manual)

	// A section without subsections is one control.
	f.Controls = append(f.Controls, Control{ID: "upgrading", Title: "Upgrading and application security practices",
		Section: "Upgrading and application security practices", Tag: "Upgrading and application security practices", NotAssessable: Manual})
	return f
}

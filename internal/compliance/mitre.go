package compliance

import (
	"strings"

	"github.com/palisade-k8s/palisade/internal/rules"
)

// mitreContainers is the MITRE ATT&CK Containers matrix (Enterprise ATT&CK, platform
// Containers): every technique and sub-technique of the matrix, one control each,
// in the matrix's tactic order; a technique listed under several tactics is one
// control, in the section of its first tactic, its title naming the others. Rules
// claim a technique by its ID in rules.Frameworks.MITRE ("T1609", "T1053.007"):
// the audit-log detections (internal/checks/auditrules).
//
// A technique with sub-techniques is an Overview control: assessed through its
// sub-techniques unless a rule claims the technique itself. A technique that
// happens outside the Kubernetes API (inside a container, on a node, in a registry)
// is NotAudited: the API server's audit log cannot show it, and it has no rule by
// construction (a runtime sensor sees it). The rest the audit log can show; those
// without a rule are reported as such.
//
// The table is ATT&CK v17, the last release with the Defense Evasion tactic and
// Impair Defenses (T1562). Later releases split Defense Evasion into Stealth and
// Defense Impairment and renumber Disable or Modify Tools (T1685); moving to them
// is a new table (and new tags), not an edit of this one.
func mitreContainers() *Framework {
	f := &Framework{
		ID:     "mitre-attack",
		Title:  "MITRE ATT&CK v17 for Containers",
		URL:    "https://attack.mitre.org/matrices/enterprise/containers/",
		claims: func(fw rules.Frameworks) []string { return fw.MITRE },
		// Techniques are detected in audit logs, not judged in manifests.
		Detections: true,
	}
	f.resolve = f.byID
	add := func(id, title string, tactics []string, r Reason) {
		t := title
		if len(tactics) > 1 {
			t += " (also " + strings.Join(tactics[1:], ", ") + ")"
		}
		f.Controls = append(f.Controls, Control{ID: id, Title: t, Section: tactics[0], NotAssessable: r})
	}
	const (
		initial   = "Initial Access"
		execution = "Execution"
		persist   = "Persistence"
		privesc   = "Privilege Escalation"
		evasion   = "Defense Evasion"
		creds     = "Credential Access"
		discovery = "Discovery"
		lateral   = "Lateral Movement"
		impact    = "Impact"
	)
	tt := func(t ...string) []string { return t }

	// Initial Access
	add("T1190", "Exploit Public-Facing Application", tt(initial), NotAudited)
	add("T1133", "External Remote Services", tt(initial, persist), "")
	add("T1078", "Valid Accounts", tt(initial, persist, privesc, evasion), Overview)
	add("T1078.001", "Valid Accounts: Default Accounts", tt(initial, persist, privesc, evasion), "")
	add("T1078.003", "Valid Accounts: Local Accounts", tt(initial, persist, privesc, evasion), "")
	// Execution
	add("T1609", "Container Administration Command", tt(execution), "")
	add("T1610", "Deploy Container", tt(execution, evasion), "")
	add("T1053", "Scheduled Task/Job", tt(execution, persist, privesc), Overview)
	add("T1053.007", "Scheduled Task/Job: Container Orchestration Job", tt(execution, persist, privesc), "")
	add("T1204", "User Execution", tt(execution), Overview)
	add("T1204.003", "User Execution: Malicious Image", tt(execution), "")
	// Persistence
	add("T1098", "Account Manipulation", tt(persist, privesc), Overview)
	add("T1098.006", "Account Manipulation: Additional Container Cluster Roles", tt(persist, privesc), "")
	add("T1136", "Create Account", tt(persist), Overview)
	add("T1136.001", "Create Account: Local Account", tt(persist), "")
	add("T1543", "Create or Modify System Process", tt(persist, privesc), Overview)
	add("T1543.005", "Create or Modify System Process: Container Service", tt(persist, privesc), NotAudited)
	add("T1525", "Implant Internal Image", tt(persist), NotAudited)
	// Privilege Escalation
	add("T1611", "Escape to Host", tt(privesc), "")
	add("T1068", "Exploitation for Privilege Escalation", tt(privesc), NotAudited)
	// Defense Evasion
	add("T1612", "Build Image on Host", tt(evasion), NotAudited)
	add("T1562", "Impair Defenses", tt(evasion), Overview)
	add("T1562.001", "Impair Defenses: Disable or Modify Tools", tt(evasion), "")
	add("T1070", "Indicator Removal", tt(evasion), "")
	add("T1036", "Masquerading", tt(evasion), Overview)
	add("T1036.005", "Masquerading: Match Legitimate Resource Name or Location", tt(evasion), "")
	add("T1550", "Use Alternate Authentication Material", tt(evasion, lateral), Overview)
	add("T1550.001", "Use Alternate Authentication Material: Application Access Token", tt(evasion, lateral), "")
	// Credential Access
	add("T1110", "Brute Force", tt(creds), Overview)
	add("T1110.001", "Brute Force: Password Guessing", tt(creds), "")
	add("T1110.003", "Brute Force: Password Spraying", tt(creds), "")
	add("T1110.004", "Brute Force: Credential Stuffing", tt(creds), "")
	add("T1528", "Steal Application Access Token", tt(creds), "")
	add("T1552", "Unsecured Credentials", tt(creds), Overview)
	add("T1552.001", "Unsecured Credentials: Credentials In Files", tt(creds), NotAudited)
	add("T1552.007", "Unsecured Credentials: Container API", tt(creds), "")
	// Discovery
	add("T1613", "Container and Resource Discovery", tt(discovery), "")
	add("T1046", "Network Service Discovery", tt(discovery), NotAudited)
	add("T1069", "Permission Groups Discovery", tt(discovery), "")
	// Impact
	add("T1485", "Data Destruction", tt(impact), "")
	add("T1490", "Inhibit System Recovery", tt(impact), "")
	add("T1496", "Resource Hijacking", tt(impact), NotAudited)
	add("T1499", "Endpoint Denial of Service", tt(impact), NotAudited)
	return f
}

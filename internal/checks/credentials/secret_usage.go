package credentials

// A Secret is only as secret as the way a container consumes it. Mounted as a volume
// (a secret or projected volume, or a CSI secrets-store volume), its values are files
// on a tmpfs that only the container's mount namespace sees, readable under the file
// mode the pod chooses, and updated in place when the Secret is rotated. Read into an
// environment variable, the value is copied into the process environment once at
// start: every child process inherits it, /proc/<pid>/environ exposes it to whatever
// else runs as the same user, applications and crash reporters dump their environment
// into logs and error reports, and a rotated Secret takes effect only after a restart.
// Expanded into the command line ($(VAR) in command or args), it is worse: argv is
// world-readable in /proc/<pid>/cmdline, so any user on the node sees it with ps.
//
// Semantics, as the kubelet applies them:
//   - env[].valueFrom.secretKeyRef reads one key; envFrom[].secretRef reads every key
//     of the Secret (names prefixed with envFrom[].prefix), in all container kinds:
//     init, regular and ephemeral;
//   - in command, args and env[].value the kubelet replaces $(NAME) by the value of a
//     variable defined earlier in the container's environment; $$ escapes a $, and a
//     reference to an undefined variable is left as it is. So a variable whose value
//     expands a secret variable carries the secret too;
//   - variables that envFrom defines are named after the Secret's keys, which a file
//     scan sees only when the Secret is in the input; command-line expansion is
//     therefore judged from env[] alone, and env[] overrides envFrom anyway.

import (
	"fmt"
	"sort"
	"strings"

	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/workload"
)

const (
	catSecretUse = "secrets"

	nsaSecretUse = "Network separation and hardening: secrets"

	refSecretUse          = "https://kubernetes.io/docs/concepts/configuration/secret/"
	refSecretUseGood      = "https://kubernetes.io/docs/concepts/security/secrets-good-practices/"
	refSecretUseDistrib   = "https://kubernetes.io/docs/tasks/inject-data-application/distribute-credentials-secure/"
	refSecretUseArgs      = "https://kubernetes.io/docs/tasks/inject-data-application/define-command-argument-container/"
	refSecretUseProjected = "https://kubernetes.io/docs/concepts/storage/projected-volumes/"
)

func secretUseFrameworks(cis ...string) rules.Frameworks {
	return rules.Frameworks{CIS: cis, NSA: []string{nsaSecretUse}, Layer: layerCluster}
}

func init() {
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-521", Title: "Secret read into environment variables", Severity: low, Category: catSecretUse,
			Rationale: "A Secret read through env[].valueFrom.secretKeyRef or envFrom[].secretRef is copied into the process environment at start: every child process inherits it, /proc/<pid>/environ shows it to other processes of the same user, applications and crash reporters write their environment into logs and error reports, and a rotated Secret reaches the container only after a restart. " +
				"Mounted as a volume, the same Secret is a file on a tmpfs that the pod's file mode protects and the kubelet updates in place. " +
				"Severity is low: the Secret reaches only its own container either way; environment variables add ways for it to leak from there. " +
				"Every reference is reported, in init, regular and ephemeral containers; envFrom reads every key of the Secret, including keys the application never uses.",
			Remediation: "Mount the Secret as a file instead: a secret volume (or a projected volume with a secret source, selecting only the keys the container needs via items) and a volumeMount, readOnly, and have the application read the file (many accept *_FILE variables that name it). " +
				"With an external secret manager, mount it through the Secrets Store CSI driver. Secrets that must stay in the environment can be exempted with the exemptSecrets parameter.",
			References: []string{refSecretUseGood, refSecretUseDistrib, refSecretUseProjected},
			Frameworks: secretUseFrameworks("5.4.1"),
			Params: []rules.Param{{Name: "exemptSecrets", Syntax: rules.Glob,
				Description: "Secrets that containers may read into environment variables: shell patterns matched against the Secret name, or against name/key for a single key read through secretKeyRef (envFrom reads every key, so only name patterns exempt it).",
				Default:     []string{}}},
		},
		Workload: checkSecretEnv,
	})
	rules.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-526", Title: "Secret expanded into the container command line", Severity: medium, Category: catSecretUse,
			Rationale: "The kubelet replaces $(NAME) in command and args with the value of the container's environment variable NAME. When that variable comes from a Secret (env[].valueFrom.secretKeyRef, or an env[].value that expands such a variable), the secret value becomes part of the process arguments, " +
				"which every user of the node (and every pod with hostPID) can read in /proc/<pid>/cmdline (ps, top, monitoring agents, process accounting and audit logs record them), unlike the environment or a mounted file. $$(NAME) is an escaped literal and not reported. " +
				"Variables that envFrom defines are not followed: their names depend on the Secret's keys.",
			Remediation: "Pass the secret as a file: mount the Secret as a volume and give the program the file's path (--password-file=/etc/secret/password and the like), or let it read the variable from its environment itself instead of from its arguments.",
			References:  []string{refSecretUseArgs, refSecretUseGood},
			Frameworks:  secretUseFrameworks("5.4.1"),
		},
		Workload: checkSecretArgs,
	})
}

func checkSecretEnv(p *rules.Pass, w *workload.Workload) {
	exempt := p.Strings("exemptSecrets")
	for _, c := range w.Containers {
		for i := range c.Env {
			e := &c.Env[i]
			if e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil {
				continue
			}
			ref := e.ValueFrom.SecretKeyRef
			if matchAny(exempt, ref.Name) || matchAny(exempt, ref.Name+"/"+ref.Key) {
				continue
			}
			p.Report(c.Field(fmt.Sprintf("env[%d].valueFrom.secretKeyRef", i)), c.Name,
				"container %q reads key %q of Secret %q into environment variable %s", c.Name, ref.Key, ref.Name, e.Name)
		}
		for i := range c.EnvFrom {
			ref := c.EnvFrom[i].SecretRef
			if ref == nil || matchAny(exempt, ref.Name) {
				continue
			}
			names := "every key of it becomes an environment variable"
			if pre := c.EnvFrom[i].Prefix; pre != "" {
				names = fmt.Sprintf("every key of it becomes an environment variable prefixed %s", pre)
			}
			p.Report(c.Field(fmt.Sprintf("envFrom[%d].secretRef", i)), c.Name,
				"container %q reads Secret %q into its environment: %s", c.Name, ref.Name, names)
		}
	}
}

// secretVariables returns the container's environment variables that carry a Secret
// value (read from a secretKeyRef, or expanding such a variable defined before), each
// with where the value comes from. A later definition of a name replaces an earlier one.
func secretVariables(c *workload.Container) map[string]string {
	vars := map[string]string{}
	for i := range c.Env {
		e := &c.Env[i]
		switch {
		case e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil:
			ref := e.ValueFrom.SecretKeyRef
			vars[e.Name] = fmt.Sprintf("key %q of Secret %q", ref.Key, ref.Name)
		case e.ValueFrom == nil:
			from := ""
			for _, r := range varRefs(e.Value) {
				if src, ok := vars[r]; ok {
					from = src
					break
				}
			}
			if from != "" {
				vars[e.Name] = from
			} else {
				delete(vars, e.Name)
			}
		default:
			delete(vars, e.Name)
		}
	}
	return vars
}

// varRefs returns the variable names a string references as $(NAME), the way the
// kubelet expands them: "$$" is an escaped "$", and "$(" without a closing ")" is
// literal text.
func varRefs(s string) []string {
	var out []string
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 >= len(s) {
			continue
		}
		switch s[i+1] {
		case '$':
			i++
		case '(':
			end := strings.IndexByte(s[i+2:], ')')
			if end < 0 {
				return out
			}
			out = append(out, s[i+2:i+2+end])
			i += 2 + end
		}
	}
	return out
}

func checkSecretArgs(p *rules.Pass, w *workload.Workload) {
	for _, c := range w.Containers {
		if len(c.Command) == 0 && len(c.Args) == 0 {
			continue
		}
		vars := secretVariables(c)
		if len(vars) == 0 {
			continue
		}
		for _, field := range []struct {
			name string
			list []string
		}{{"command", c.Command}, {"args", c.Args}} {
			for i, arg := range field.list {
				var hits []string
				seen := map[string]bool{}
				for _, r := range varRefs(arg) {
					if src, ok := vars[r]; ok && !seen[r] {
						seen[r] = true
						hits = append(hits, fmt.Sprintf("$(%s) (%s)", r, src))
					}
				}
				if len(hits) == 0 {
					continue
				}
				sort.Strings(hits)
				p.Report(c.Field(fmt.Sprintf("%s[%d]", field.name, i)), c.Name,
					"container %q expands %s into %s[%d]: the secret value is part of the process arguments, readable by every user of the node",
					c.Name, strings.Join(hits, ", "), field.name, i)
			}
		}
	}
}

package auditrules

// Secrets hold the cluster's credentials: service-account tokens, registry
// passwords, TLS keys, cloud keys. Which identities read which namespaces' secrets
// is stable (an ingress controller reads its certificates, a CI account the
// registry secret); an identity reading secrets it never read before is how token
// theft and lateral movement start. The detection learns who reads what over a
// warm-up at the start of the log, then reports what is new; listing every
// namespace's secrets at once is reported whenever it happens.

import (
	"strings"
	"time"

	"github.com/palisade-k8s/palisade/internal/audit"
	"github.com/palisade-k8s/palisade/internal/auditlog"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/rules"
)

// maxReaderNamespaces bounds the namespaces remembered per identity; an identity
// reading more is a broad reader, and its new namespaces are no longer reported.
const maxReaderNamespaces = 64

func init() {
	audit.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-930", Title: "Secrets read by an identity that does not usually read them", Severity: finding.Medium, Category: catAudit,
			Rationale: "Reading a Secret through the API yields its value: service-account tokens, passwords, keys (MITRE T1552.007, credentials from the container API). The detection learns, during a warm-up at the start of the log (warmup, on the log's clock), which identities read the secrets of which namespaces; after it, an identity reading secrets for the first time, or in a namespace it did not read before, is reported once. " +
				"Listing or watching secrets across all namespaces is reported at any time, once per identity per run (high): it reads every credential of the cluster. Controllers and Kubernetes components are exempt (exempt). State per identity is bounded (Limits.MaxIdentities identities, 64 namespaces each).",
			Remediation: "Check that the reader is expected to read those secrets; if not, find how it got the permission (palisade rbac who-can get secrets -n NAMESPACE), remove it, and rotate the secrets it read. Grant secret reads with resourceNames, in the namespaces needed (CIS 5.1.2).",
			References:  []string{"https://kubernetes.io/docs/concepts/security/secrets-good-practices/", refRBACGood, mitreURL("T1552.007")},
			Frameworks:  rules.Frameworks{MITRE: []string{"T1552.007"}, CIS: []string{"5.1.2"}, NSA: []string{nsaRBAC}, Layer: layerCluster},
			Params: []rules.Param{
				{Name: "warmup", Description: "How long, from the first event, readers are learned before new ones are reported (a Go duration).", Default: "15m", Valid: validDuration},
				{Name: "exempt", Description: "Users (shell patterns) whose secret reads are not judged.", Default: defaultExempt, Syntax: rules.Glob},
			},
		},
		Targets: rules.Audit,
	}, []audit.Need{{Verbs: []string{"get", "list", "watch"}, Resources: []string{"secrets"}, Level: auditlog.LevelMetadata, Stage: auditlog.StageResponseComplete}},
		func(s *audit.Setup) audit.Detector {
			return &secretReaders{
				exempt:  s.Strings("exempt"),
				warm:    warmup{d: s.Duration("warmup", 15*time.Minute)},
				readers: audit.NewLRU[string, *secretReader](s.Limits.MaxIdentities),
			}
		})
}

type secretReader struct {
	namespaces []string
	broad      bool
	cluster    bool
}

type secretReaders struct {
	exempt  []string
	warm    warmup
	readers *audit.LRU[string, *secretReader]
}

// isSecretRead reports whether an event is an allowed, completed read of secrets.
func isSecretRead(ev *auditlog.Event) bool {
	o := ev.ObjectRef
	return o != nil && o.Resource == "secrets" && o.APIGroup == "" && o.Subresource == "" && completed(ev) && ev.Allowed() &&
		(ev.Verb == "get" || ev.Verb == "list" || ev.Verb == "watch")
}

func (d *secretReaders) Event(c *audit.Context) {
	ev := c.Event()
	learning := d.warm.learning(c)
	if !isSecretRead(ev) {
		return
	}
	a := c.Actor()
	if matchAny(d.exempt, a.User) {
		return
	}
	key := identityKey(a)
	r, known := d.readers.Get(key)
	if !known {
		r = &secretReader{}
		d.readers.Put(key, r)
	}
	ns := ev.ObjectRef.Namespace
	if ns == "" {
		if r.cluster {
			return
		}
		r.cluster = true
		if ev.Verb == "get" {
			return
		}
		c.Report(audit.Report{Severity: finding.High, HasSeverity: true,
			Message: who(a) + " " + ev.Verb + " secrets across all namespaces"})
		return
	}
	// A reader of every namespace's secrets is past judging namespace by namespace.
	if contains(r.namespaces, ns) || r.broad || r.cluster {
		return
	}
	if len(r.namespaces) == maxReaderNamespaces {
		r.broad = true
	} else {
		r.namespaces = append(r.namespaces, ns)
	}
	if learning {
		return
	}
	name := ""
	if n := ev.ObjectRef.Name; n != "" {
		name = " (" + n + ")"
	}
	if len(r.namespaces) == 1 {
		c.Reportf(nil, "%s read secrets for the first time: %s secrets in %s%s", who(a), ev.Verb, ns, name)
		return
	}
	c.Reportf(nil, "%s read secrets in %s%s for the first time (it read those of %s)", who(a), ns, name, strings.Join(r.namespaces[:len(r.namespaces)-1], ", "))
}

// who names the actor, with the impersonator.
func who(a audit.Actor) string {
	if a.Impersonator != nil {
		return a.User + " (impersonated by " + a.Impersonator.Username + ")"
	}
	return a.User
}

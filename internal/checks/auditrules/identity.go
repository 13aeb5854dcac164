package auditrules

// What the identity and behaviour detections (PAL-920..936) share: reading the
// object a write carried, naming subjects, matching identity lists, and the
// bounded, log-clock state they keep (first sighting per window, bursts).

import (
	"path"
	"sort"
	"strings"
	"time"

	"github.com/palisade-k8s/palisade/internal/audit"
	"github.com/palisade-k8s/palisade/internal/auditlog"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/rbac"
)

const (
	rbacGroup  = "rbac.authorization.k8s.io"
	certGroup  = "certificates.k8s.io"
	authzGroup = "authorization.k8s.io"

	refRBAC        = "https://kubernetes.io/docs/reference/access-authn-authz/rbac/"
	refRBACGood    = "https://kubernetes.io/docs/concepts/security/rbac-good-practices/"
	refAuthn       = "https://kubernetes.io/docs/reference/access-authn-authz/authentication/"
	refCSR         = "https://kubernetes.io/docs/reference/access-authn-authz/certificate-signing-requests/"
	refSATokens    = "https://kubernetes.io/docs/reference/access-authn-authz/service-accounts-admin/"
	refImpersonate = "https://kubernetes.io/docs/reference/access-authn-authz/authentication/#user-impersonation"

	nsaRBAC  = "Authentication and authorization: role-based access control"
	nsaAuthn = "Authentication and authorization: authentication"

	// apiServerUser is the API server's own loopback identity: it creates and
	// reconciles the bootstrap RBAC policy at every start, in system:masters.
	apiServerUser = "system:apiserver"
)

// mitreURL is the ATT&CK page of a technique ("T1098.006").
func mitreURL(id string) string {
	return "https://attack.mitre.org/techniques/" + strings.Replace(id, ".", "/", 1) + "/"
}

// completed reports whether an event is the final record of its request: the
// detections read each request once, at ResponseComplete.
func completed(ev *auditlog.Event) bool { return ev.Stage == auditlog.StageResponseComplete }

// isWrite is create, update or patch.
func isWrite(verb string) bool { return verb == "create" || verb == "update" || verb == "patch" }

// writtenObject is the object a successful write left: the response body when the
// log has it (RequestResponse), else the request body of a create or update (a
// patch's request body is a patch, not the object). nil when neither is logged.
func writtenObject(c *audit.Context) map[string]any {
	if b, err := c.ResponseBody(); err == nil && b != nil && b["kind"] != "Status" {
		return b
	}
	if c.Event().Verb == "patch" {
		return nil
	}
	b, err := c.Body()
	if err != nil {
		return nil
	}
	return b
}

// str reads a string field of a decoded object along keys.
func str(m map[string]any, keys ...string) string {
	for i, k := range keys {
		if m == nil {
			return ""
		}
		if i == len(keys)-1 {
			s, _ := m[k].(string)
			return s
		}
		m, _ = m[k].(map[string]any)
	}
	return ""
}

// field reads a nested map of a decoded object.
func field(m map[string]any, keys ...string) map[string]any {
	for _, k := range keys {
		if m == nil {
			return nil
		}
		m, _ = m[k].(map[string]any)
	}
	return m
}

// strs reads a list of strings.
func strs(v any) []string {
	l, _ := v.([]any)
	out := make([]string, 0, len(l))
	for _, x := range l {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// matchAny reports whether name matches one of the shell patterns (path.Match
// syntax; a malformed pattern matches only itself).
func matchAny(patterns []string, name string) bool {
	for _, p := range patterns {
		if ok, err := path.Match(p, name); (err == nil && ok) || p == name {
			return true
		}
	}
	return false
}

// remoteAddress is the address the API server saw the request come from: the last
// of sourceIPs (the earlier ones come from X-Forwarded-For and X-Real-Ip, which the
// client writes).
func remoteAddress(ev *auditlog.Event) string {
	if len(ev.SourceIPs) == 0 {
		return ""
	}
	return ev.SourceIPs[len(ev.SourceIPs)-1]
}

// identityKey names the identity acting, impersonation included (alice acting as
// bob is not bob).
func identityKey(a audit.Actor) string {
	if a.Impersonator != nil {
		return a.User + "\x00" + a.Impersonator.Username
	}
	return a.User
}

// onceIn remembers keys for a window on the log's clock: First is true for a key
// not seen within the window (then remembered from now). Bounded by its LRU.
type onceIn struct {
	seen   *audit.LRU[string, time.Time]
	window time.Duration
}

func newOnceIn(s *audit.Setup, window time.Duration) *onceIn {
	return &onceIn{seen: audit.NewLRU[string, time.Time](s.Limits.MaxIdentities), window: window}
}

func (o *onceIn) First(key string, now time.Time) bool {
	if t, ok := o.seen.Get(key); ok && now.Sub(t) < o.window {
		return false
	}
	o.seen.Put(key, now)
	return true
}

// warmup is a learning period at the start of the log (Context.Start: the first
// event the engine processed, whichever detector it reached), on the log's clock.
type warmup struct{ d time.Duration }

// learning reports whether the log's clock is still within the warm-up.
func (w warmup) learning(c *audit.Context) bool { return c.Now().Sub(c.Start()) < w.d }

func sorted(l []string) []string {
	out := append([]string(nil), l...)
	sort.Strings(out)
	return out
}

// risksOf lists the risk classes (palisade rbac risks) a subject holds in the
// run's RBAC model; nil without one.
func risksOf(c *audit.Context, s rbac.Subject) []string {
	_, risks := c.RBAC()
	if risks == nil {
		return nil
	}
	var out []string
	for _, r := range risks.Holds(s) {
		if !contains(out, r.Class) {
			out = append(out, r.Class)
		}
	}
	sort.Strings(out)
	return out
}

// identityRef is the identity acting, as the object of a finding about the
// identity itself (a burst, a credential used): its ServiceAccount, or the user.
func identityRef(a audit.Actor) finding.ObjectRef {
	if ns, name, ok := strings.Cut(a.ServiceAccount, "/"); ok {
		return finding.ObjectRef{APIVersion: "v1", Kind: "ServiceAccount", Namespace: ns, Name: name}
	}
	return finding.ObjectRef{APIVersion: rbacGroup + "/v1", Kind: "User", Name: a.User}
}

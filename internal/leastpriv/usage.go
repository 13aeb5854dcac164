package leastpriv

// Usage: which permissions each identity used, from the events of an audit log.
//
// A use is one permission tuple as the authorizer was asked it: the audit verb
// (watch and list are distinct, as are get of pods and get of pods/log), the API
// group, resource and subresource, the namespace and the object name, or for a
// non-resource request the URL path and its verb. Only requests the API server
// authorized and that reached a response are counted (stage ResponseStarted for
// long-running requests, ResponseComplete for the rest; RequestReceived comes
// before the authorizer decided, and a 401/403 was never granted).
//
// Subjects are users and service accounts: the impersonated identity when a
// request impersonated one (the impersonator's own use is the impersonate
// permission it needed). Groups are never subjects: what a group's binding grants
// is attributed to the use its members made of it.
//
// State is bounded: MaxSubjects identities, MaxPerSubject tuples each. When a
// subject's set is full, a new tuple with a name is kept without it (the
// permission without resourceNames: still sufficient), and what still does not
// fit is counted as dropped; the report says so (Truncated) so that roles derived
// from an incomplete record are never presented as complete.

import (
	"sort"
	"strings"
	"time"

	"github.com/palisade-k8s/palisade/internal/auditlog"
	"github.com/palisade-k8s/palisade/internal/rbac"
)

// Perm is one permission as the authorizer is asked it.
type Perm struct {
	Verb string `json:"verb"`
	// APIGroup, Resource, Subresource, Namespace and Name describe a resource
	// request; Namespace "" is a cluster-scoped or all-namespaces request.
	APIGroup    string `json:"apiGroup,omitempty"`
	Resource    string `json:"resource,omitempty"`
	Subresource string `json:"subresource,omitempty"`
	Namespace   string `json:"namespace,omitempty"`
	Name        string `json:"name,omitempty"`
	// Path is the URL path of a non-resource request (Resource is then "").
	Path string `json:"path,omitempty"`
}

// NonResource reports whether the permission is for a non-resource URL.
func (p Perm) NonResource() bool { return p.Resource == "" }

// Attributes is the permission as an authorizer request of user u.
func (p Perm) Attributes(u rbac.UserInfo) rbac.Attributes {
	if p.NonResource() {
		return rbac.Attributes{User: u, Verb: p.Verb, Path: p.Path}
	}
	return rbac.Attributes{User: u, Verb: p.Verb, ResourceRequest: true, APIGroup: p.APIGroup,
		Resource: p.Resource, Subresource: p.Subresource, Namespace: p.Namespace, Name: p.Name}
}

// String writes the permission as a request: "get pods/log web -n shop",
// "get /healthz".
func (p Perm) String() string {
	if p.NonResource() {
		return p.Verb + " " + p.Path
	}
	var sb strings.Builder
	sb.WriteString(p.Verb)
	sb.WriteByte(' ')
	sb.WriteString(p.Resource)
	if p.APIGroup != "" {
		sb.WriteString("." + p.APIGroup)
	}
	if p.Subresource != "" {
		sb.WriteString("/" + p.Subresource)
	}
	if p.Name != "" {
		sb.WriteString(" " + p.Name)
	}
	if p.Namespace != "" {
		sb.WriteString(" -n " + p.Namespace)
	} else {
		sb.WriteString(" (cluster-wide)")
	}
	return sb.String()
}

// namelessVerbs carry no object name to the authorizer: a rule with resourceNames
// never allows them.
var namelessVerbs = map[string]bool{"create": true, "list": true, "watch": true, "deletecollection": true}

// Options bound a Collector.
type Options struct {
	// MaxSubjects bounds the identities recorded (DefaultMaxSubjects when 0).
	MaxSubjects int
	// MaxPerSubject bounds the permission tuples of one identity
	// (DefaultMaxPerSubject when 0).
	MaxPerSubject int
}

// Defaults of Options.
const (
	DefaultMaxSubjects   = 50_000
	DefaultMaxPerSubject = 2_000
	// maxField bounds every string a tuple keeps (names, paths).
	maxField = 512
	// maxGroups bounds the groups recorded for one identity.
	maxGroups = 64
)

// Stat is what the log says about one use.
type Stat struct {
	Count int       `json:"count"`
	First time.Time `json:"first"`
	Last  time.Time `json:"last"`
}

// Usage is what one identity did.
type Usage struct {
	Subject rbac.Subject
	// Groups are the groups its requests carried (the authenticator's), bounded.
	Groups []string
	Perms  map[Perm]*Stat
	// Events counts its allowed, completed requests.
	Events int
	// Dropped counts the uses that did not fit (MaxPerSubject).
	Dropped int
	// NamesDropped counts the uses recorded without their object name because the
	// set was full.
	NamesDropped int
	// Last is its latest counted event, without bodies (the evidence of a finding).
	Last    *auditlog.Event
	lastOwn bool
}

// Collector gathers the uses of every identity of a log.
type Collector struct {
	opts     Options
	subjects map[rbac.Subject]*Usage
	order    []rbac.Subject
	// dropped counts the events of identities not recorded (MaxSubjects).
	dropped     int
	first, last time.Time
	scratch     []Perm
}

// NewCollector returns an empty collector.
func NewCollector(opts Options) *Collector {
	if opts.MaxSubjects <= 0 {
		opts.MaxSubjects = DefaultMaxSubjects
	}
	if opts.MaxPerSubject <= 0 {
		opts.MaxPerSubject = DefaultMaxPerSubject
	}
	return &Collector{opts: opts, subjects: map[rbac.Subject]*Usage{}}
}

// Counted reports whether an event is a use: an authorized request that reached a
// response.
func Counted(ev *auditlog.Event) bool {
	switch ev.Stage {
	case auditlog.StageResponseComplete, auditlog.StageResponseStarted:
	default:
		return false
	}
	return ev.Allowed() && ev.User.Username != ""
}

// SubjectOf is the identity an event's request acted as: the impersonated user
// when it impersonated one; a service account for system:serviceaccount:NS:NAME.
func SubjectOf(ev *auditlog.Event) (rbac.Subject, []string) {
	u := ev.User
	if ev.ImpersonatedUser != nil {
		u = *ev.ImpersonatedUser
	}
	return subjectOfUser(u.Username), u.Groups
}

func subjectOfUser(name string) rbac.Subject {
	if sa, ok := rbac.ServiceAccountOf(name); ok {
		return sa
	}
	return rbac.Subject{Kind: rbac.KindUser, Name: clip(name)}
}

func clip(s string) string {
	if len(s) > maxField {
		return s[:maxField]
	}
	return s
}

// PermsOf are the permissions an event's request needed of its subject.
func PermsOf(ev *auditlog.Event) []Perm { return appendPerms(nil, ev) }

func appendPerms(out []Perm, ev *auditlog.Event) []Perm {
	verb := clip(strings.ToLower(ev.Verb))
	if verb == "" {
		return nil
	}
	if ev.ObjectRef == nil || ev.ObjectRef.Resource == "" {
		path := ev.RequestURI
		if i := strings.IndexAny(path, "?#"); i >= 0 {
			path = path[:i]
		}
		if path == "" {
			return nil
		}
		return append(out, Perm{Verb: verb, Path: clip(path)})
	}
	o := ev.ObjectRef
	p := Perm{Verb: verb, APIGroup: clip(o.APIGroup), Resource: clip(o.Resource), Subresource: clip(o.Subresource),
		Namespace: clip(o.Namespace), Name: clip(o.Name)}
	if namelessVerbs[p.Verb] {
		// The audit log names the object of a create (and of a watch or list
		// narrowed by metadata.name); the authorizer was asked without it for a
		// create, and resourceNames are never generated for the others.
		p.Name = ""
	}
	out = append(out, p)
	if p.Verb == "get" && p.APIGroup == "" && p.Resource == "pods" && streamSubresources[p.Subresource] {
		// A WebSocket exec, attach or port-forward is a GET that the API server
		// also authorizes as create (AuthorizePodWebsocketUpgradeCreatePermission,
		// on by default since Kubernetes 1.31).
		c := p
		c.Verb = "create"
		out = append(out, c)
	}
	return out
}

var streamSubresources = map[string]bool{"exec": true, "attach": true, "portforward": true}

// impersonation are the impersonate permissions the authenticated user of an
// impersonating request needed: the user (or service account) and the groups it
// asked for (the groups the API server adds itself are not asked).
func impersonation(ev *auditlog.Event) []Perm {
	iu := ev.ImpersonatedUser
	var out []Perm
	if sa, ok := rbac.ServiceAccountOf(iu.Username); ok {
		out = append(out, Perm{Verb: "impersonate", Resource: "serviceaccounts", Namespace: sa.Namespace, Name: sa.Name})
	} else if iu.Username != "" {
		out = append(out, Perm{Verb: "impersonate", Resource: "users", Name: clip(iu.Username)})
	}
	for _, g := range iu.Groups {
		if g == rbac.GroupAuthenticated || g == rbac.GroupServiceAccounts || strings.HasPrefix(g, "system:serviceaccounts:") {
			continue
		}
		out = append(out, Perm{Verb: "impersonate", Resource: "groups", Name: clip(g)})
	}
	return out
}

// Add records an event; it reports whether the event counted.
func (c *Collector) Add(ev *auditlog.Event) bool {
	if !Counted(ev) {
		return false
	}
	t := ev.Time()
	if c.first.IsZero() || t.Before(c.first) {
		c.first = t
	}
	if t.After(c.last) {
		c.last = t
	}
	if s, groups := SubjectOf(ev); s.Name != "" {
		c.scratch = appendPerms(c.scratch[:0], ev)
		c.record(s, groups, ev, c.scratch, t, true)
	}
	if ev.ImpersonatedUser != nil {
		c.record(subjectOfUser(ev.User.Username), ev.User.Groups, ev, impersonation(ev), t, false)
	}
	return true
}

// record adds an event's permissions to a subject; own is false for the
// impersonator of a request (the event's actor is someone else: it is its Last
// only when nothing of its own was seen).
func (c *Collector) record(s rbac.Subject, groups []string, ev *auditlog.Event, perms []Perm, t time.Time, own bool) {
	u := c.subjects[s]
	if u == nil {
		if len(c.subjects) >= c.opts.MaxSubjects {
			c.dropped++
			return
		}
		u = &Usage{Subject: s, Perms: map[Perm]*Stat{}}
		c.subjects[s] = u
		c.order = append(c.order, s)
	}
	for _, g := range groups {
		if len(u.Groups) >= maxGroups {
			break
		}
		if !contains(u.Groups, g) {
			u.Groups = append(u.Groups, clip(g))
		}
	}
	if ev.Stage == auditlog.StageResponseComplete {
		u.Events++
	}
	switch {
	case u.Last == nil || own && !u.lastOwn:
		u.Last, u.lastOwn = trim(ev), own
	case own && !t.Before(u.Last.Time()):
		// Overwritten in place: no finding holds it before the log ends.
		*u.Last = *ev
		u.Last.RequestObject, u.Last.ResponseObject = nil, nil
	}
	for _, p := range perms {
		st := u.Perms[p]
		if st == nil && len(u.Perms) >= c.opts.MaxPerSubject {
			if p.Name != "" {
				p.Name = ""
				if st = u.Perms[p]; st != nil {
					u.NamesDropped++
				}
			}
		}
		if st == nil {
			if len(u.Perms) >= c.opts.MaxPerSubject {
				u.Dropped++
				continue
			}
			st = &Stat{First: t}
			u.Perms[p] = st
		}
		st.Count++
		if t.Before(st.First) {
			st.First = t
		}
		if t.After(st.Last) {
			st.Last = t
		}
	}
}

func trim(ev *auditlog.Event) *auditlog.Event {
	cp := *ev
	cp.RequestObject, cp.ResponseObject = nil, nil
	return &cp
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// Subjects lists the recorded identities in a stable order (users, then service
// accounts, by name).
func (c *Collector) Subjects() []*Usage {
	out := make([]*Usage, 0, len(c.order))
	for _, s := range c.order {
		out = append(out, c.subjects[s])
	}
	sort.Slice(out, func(i, j int) bool { return subjectLess(out[i].Subject, out[j].Subject) })
	return out
}

// Usage returns the uses of one identity.
func (c *Collector) Usage(s rbac.Subject) (*Usage, bool) {
	u, ok := c.subjects[s]
	return u, ok
}

// Window is the span of the counted events on the log's clock.
func (c *Collector) Window() (first, last time.Time) { return c.first, c.last }

// DroppedSubjects counts the events of identities not recorded (MaxSubjects).
func (c *Collector) DroppedSubjects() int { return c.dropped }

func subjectLess(a, b rbac.Subject) bool {
	if a.Kind != b.Kind {
		return a.Kind == rbac.KindUser
	}
	if a.Namespace != b.Namespace {
		return a.Namespace < b.Namespace
	}
	return a.Name < b.Name
}

// SortedPerms lists a usage's permissions in a stable order.
func (u *Usage) SortedPerms() []Perm {
	out := make([]Perm, 0, len(u.Perms))
	for p := range u.Perms {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return permLess(out[i], out[j]) })
	return out
}

func permLess(a, b Perm) bool {
	ka := [...]string{a.Namespace, a.Path, a.APIGroup, a.Resource, a.Subresource, a.Verb, a.Name}
	kb := [...]string{b.Namespace, b.Path, b.APIGroup, b.Resource, b.Subresource, b.Verb, b.Name}
	for i := range ka {
		if ka[i] != kb[i] {
			return ka[i] < kb[i]
		}
	}
	return false
}

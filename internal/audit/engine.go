package audit

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/palisade-k8s/palisade/internal/auditlog"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/rbac"
	"github.com/palisade-k8s/palisade/internal/rules"
)

// Limits bound the engine's state. Everything the engine and its detectors keep is
// bounded by them, whatever the log holds:
//
//   - objects remembered: at most MaxObjects (an LRU: the least recently created,
//     updated or looked-up object is forgotten first; each holds a trimmed event and
//     its pod or binding facts, a few hundred bytes);
//   - RBAC context: one entry per identity, at most MaxIdentities (LRU);
//   - detectors' state: per identity in an LRU of MaxIdentities, and only for
//     Window on the log's clock.
type Limits struct {
	// Window is how long, on the log's clock, state about an identity or an event
	// is kept for a later event to complete a detection (DefaultWindow when 0).
	Window time.Duration
	// MaxObjects bounds the objects remembered (DefaultMaxObjects when 0).
	MaxObjects int
	// MaxIdentities bounds the identities each detector keeps state about
	// (DefaultMaxIdentities when 0).
	MaxIdentities int
}

// Defaults of Limits.
const (
	DefaultWindow        = time.Hour
	DefaultMaxObjects    = 200_000
	DefaultMaxIdentities = 50_000
)

func (l Limits) withDefaults() Limits {
	if l.Window <= 0 {
		l.Window = DefaultWindow
	}
	if l.MaxObjects <= 0 {
		l.MaxObjects = DefaultMaxObjects
	}
	if l.MaxIdentities <= 0 {
		l.MaxIdentities = DefaultMaxIdentities
	}
	return l
}

// Options configure an Engine.
type Options struct {
	// Rules are the selected rules; those that target rules.Audit run.
	Rules []*rules.Rule
	// Params returns a rule's parameter values (nil: the defaults).
	Params func(id string) map[string]any
	Limits Limits
	// RBAC is the RBAC model the acting identities are judged against (from -f
	// manifests or the live cluster); Risks its risk analysis (with the classes of
	// internal/checks/identity.RiskClasses). nil: no RBAC context.
	RBAC  *rbac.Model
	Risks *rbac.RiskAnalysis
	// CountDefaults counts the risks that only the bootstrap policy grants (the
	// control plane's own components); by default they are left out, as `palisade
	// rbac risks` leaves them out.
	CountDefaults bool
	// PrivilegedNamespaces are where creating pods or exec escalates
	// (DefaultPrivilegedNamespaces when nil).
	PrivilegedNamespaces []string
	// Initial is the current state: objects read from -f manifests or the live
	// cluster, remembered as if the log had created them.
	Initial []*inventory.Object
	// Suppress, if set, marks a finding suppressed (exemptions, a baseline) before
	// it is reported; suppressed findings are reported too, marked.
	Suppress func(*finding.Finding)
	// Report receives each finding.
	Report func(finding.Finding)
}

// Engine runs the detections over a stream of events. Process and Close are called
// from one goroutine (the webhook serialises its batches).
type Engine struct {
	opts       Options
	limits     Limits
	dets       []runDetector
	route      *dispatch
	objects    *LRU[objectKey, *Object]
	identities *LRU[string, *rbacFacts]
	escalation map[string]Escalation
	privileged []string
	now        time.Time
	start      time.Time
	stats      Stats
	ctx        Context
}

type runDetector struct {
	rule *rules.Rule
	det  Detector
}

// Stats count what an engine saw.
type Stats struct {
	// Events counts the events processed; Dispatched the detector calls they made
	// (an event that interests no detection makes none).
	Events     int
	Dispatched int
	// Findings counts findings by rule ID (suppressed ones included).
	Findings map[string]int
	// Objects is the number of objects remembered now; ObjectsEvicted those
	// forgotten for lack of room (MaxObjects).
	Objects        int
	ObjectsEvicted int
}

// New compiles an engine: one Detector per selected audit rule, indexed by the
// events its Needs name.
func New(opts Options) (*Engine, error) {
	e := &Engine{opts: opts, limits: opts.Limits.withDefaults(), stats: Stats{Findings: map[string]int{}}}
	e.objects = NewLRU[objectKey, *Object](e.limits.MaxObjects)
	e.identities = NewLRU[string, *rbacFacts](e.limits.MaxIdentities)
	e.escalation = map[string]Escalation{}
	for _, x := range Escalations {
		e.escalation[x.Class] = x
	}
	e.privileged = opts.PrivilegedNamespaces
	if e.privileged == nil {
		e.privileged = DefaultPrivilegedNamespaces
	}
	var needs [][]Need
	for _, r := range opts.Rules {
		if !r.RunsIn(rules.Audit) {
			continue
		}
		reg, ok := Detection(r.ID)
		if !ok {
			return nil, fmt.Errorf("audit: rule %s has no registered detector", r.ID)
		}
		params := map[string]any{}
		if opts.Params != nil {
			for k, v := range opts.Params(r.ID) {
				params[k] = v
			}
		}
		for _, p := range r.Params {
			if _, set := params[p.Name]; !set {
				params[p.Name] = p.Default
			}
		}
		e.dets = append(e.dets, runDetector{rule: r, det: reg.Factory(&Setup{Rule: r, Params: params, Limits: e.limits})})
		needs = append(needs, reg.Needs)
	}
	e.route = newDispatch(needs)
	for _, o := range opts.Initial {
		e.remember(objectFromInventory(o))
	}
	return e, nil
}

// Process runs the detections that may care about one event, then updates the
// remembered state.
func (e *Engine) Process(ev *auditlog.Event) {
	e.stats.Events++
	if t := ev.Time(); t.After(e.now) {
		e.now = t
	}
	if e.start.IsZero() || (ev.Time().Before(e.start) && !ev.Time().IsZero()) {
		e.start = ev.Time()
	}
	c := &e.ctx
	*c = Context{e: e, ev: ev}
	idx := e.route.of(ev)
	for _, i := range idx {
		d := &e.dets[i]
		c.rule = d.rule
		d.det.Event(c)
	}
	e.stats.Dispatched += len(idx)
	e.update(c)
	c.ev, c.body, c.respBody = nil, nil, nil
}

// Close flushes the detectors that hold findings back.
func (e *Engine) Close() {
	c := &Context{e: e}
	for _, d := range e.dets {
		if f, ok := d.det.(Flusher); ok {
			c.rule = d.rule
			f.Flush(c)
		}
	}
}

// Stats returns what the engine saw so far.
func (e *Engine) Stats() Stats {
	s := e.stats
	s.Objects, s.ObjectsEvicted = e.objects.Len(), e.objects.Evicted
	return s
}

// Context is what a detector sees of one event. It is valid during the call only:
// keep Trim(c.Event()), not the Context.
type Context struct {
	e    *Engine
	ev   *auditlog.Event
	rule *rules.Rule

	body, respBody map[string]any
	bodyErr        error
	bodyDone       bool
	actor          Actor
	actorDone      bool
}

// Event is the event being judged (nil in Flush).
func (c *Context) Event() *auditlog.Event { return c.ev }

// Now is the time of the latest event on the log's clock (not the wall clock: a
// log read a month later keeps its windows).
func (c *Context) Now() time.Time { return c.e.now }

// Start is the time of the earliest event the engine processed (the log's start,
// or the webhook's first event): where a warm-up counts from, whichever events
// reach the detector.
func (c *Context) Start() time.Time { return c.e.start }

// Limits are the engine's limits.
func (c *Context) Limits() Limits { return c.e.limits }

// Actor is the identity acting in the event (computed once per event).
func (c *Context) Actor() Actor {
	if !c.actorDone && c.ev != nil {
		c.actor, c.actorDone = ActorOf(c.ev), true
	}
	return c.actor
}

// RBAC returns the run's RBAC model and its risk analysis (both nil without RBAC
// context: no -f RBAC objects, no cluster).
func (c *Context) RBAC() (*rbac.Model, *rbac.RiskAnalysis) { return c.e.opts.RBAC, c.e.opts.Risks }

// Risks returns the risk classes the actor holds in the run's RBAC model, and
// those of them that escalate (Escalations); nil without RBAC context.
func (c *Context) Risks() (held, escalating []string) {
	if c.e.opts.Risks == nil || c.ev == nil {
		return nil, nil
	}
	f := c.e.rbacOf(c.Actor())
	return f.risks, f.raised
}

// Rule is the rule of the detection being run.
func (c *Context) Rule() *rules.Rule { return c.rule }

// Object returns what the engine remembers of an object: resource is the plural
// resource name ("pods"), namespace "" for cluster-scoped objects.
func (c *Context) Object(resource, namespace, name string) (*Object, bool) {
	return c.e.objects.Get(objectKey{resource, namespace, name})
}

// Body decodes the event's request object (once per event, shared by the
// detections); nil with no error when the event has none.
func (c *Context) Body() (map[string]any, error) {
	if !c.bodyDone {
		c.bodyDone = true
		c.body, c.bodyErr = decodeBody(c.ev.RequestObject)
	}
	return c.body, c.bodyErr
}

// ResponseBody decodes the event's response object; nil when the event has none.
func (c *Context) ResponseBody() (map[string]any, error) {
	if c.respBody == nil && len(c.ev.ResponseObject) > 0 {
		b, err := decodeBody(c.ev.ResponseObject)
		if err != nil {
			return nil, err
		}
		c.respBody = b
	}
	return c.respBody, nil
}

func decodeBody(raw json.RawMessage) (map[string]any, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		// Never the body itself in the error: it may hold a secret.
		return nil, fmt.Errorf("request object: not a JSON object (%d bytes)", len(raw))
	}
	return m, nil
}

// Report is one finding of a detection.
type Report struct {
	// Object is what the finding is about; zero: the event's object.
	Object finding.ObjectRef
	// Path is a field of the request object the finding points at, if any.
	Path string
	// Chain are the earlier events behind the finding, oldest first; the engine
	// adds the event being judged at the end (in Flush, Chain is the whole chain).
	Chain []*auditlog.Event
	// Whole marks Chain as the whole chain: the engine adds nothing to it. A
	// detector closing a window while judging an event that is no part of it (a
	// burst that ended before this event) sets it.
	Whole bool
	// Count is the number of events a summarising finding stands for.
	Count int
	// Severity overrides the rule's when HasSeverity is set. It is read relative to
	// the rule's registered severity: when the configuration changes the rule's
	// severity, the finding moves by as many steps (a detection that raises medium
	// to high raises a rule configured critical to critical).
	Severity    finding.Severity
	HasSeverity bool
	// KeepSeverity leaves the severity where the detection put it: the RBAC context
	// still lists the actor's risk classes but does not raise. For findings about
	// the actor's grants themselves (PAL-950, PAL-951), where holding a risk class is
	// the finding, not an aggravation.
	KeepSeverity bool
	Message      string
}

// Reportf reports a finding on the event's object with the rule's severity.
func (c *Context) Reportf(chain []*auditlog.Event, format string, args ...any) {
	c.Report(Report{Chain: chain, Message: fmt.Sprintf(format, args...)})
}

// Report reports a finding of the detection being run.
func (c *Context) Report(r Report) {
	chain := r.Chain
	if c.ev != nil && !r.Whole && (len(chain) == 0 || chain[len(chain)-1] != c.ev) {
		chain = append(chain[:len(chain):len(chain)], c.ev)
	}
	if len(chain) == 0 {
		return
	}
	last := chain[len(chain)-1]
	obj := r.Object
	if obj == (finding.ObjectRef{}) {
		obj = RefOf(last)
	}
	sev := c.rule.Severity
	if r.HasSeverity {
		sev = c.e.severity(c.rule, r.Severity)
	}
	actor := ActorOf(last)
	ev := &finding.AuditEvidence{
		Actor:      finding.AuditActor{User: actor.User, Groups: actor.Groups},
		SourceIPs:  last.SourceIPs,
		UserAgent:  last.UserAgent,
		Techniques: c.rule.Frameworks.MITRE,
		Count:      r.Count,
	}
	if actor.Impersonator != nil {
		ev.Impersonator = &finding.AuditActor{User: actor.Impersonator.Username, Groups: actor.Impersonator.Groups}
	}
	for _, x := range chain {
		ev.Events = append(ev.Events, EventRef(x))
	}
	if raised := c.e.rbacContext(actor, ev, sev); !r.KeepSeverity {
		sev = raised
	} else {
		ev.Raised = false
	}
	f := finding.Finding{
		RuleID:      c.rule.ID,
		Title:       c.rule.Title,
		Severity:    sev,
		Category:    c.rule.Category,
		Object:      obj,
		Path:        r.Path,
		Location:    finding.Location{File: last.Source.File, Line: last.Source.Line, Provenance: finding.FromAudit},
		Message:     r.Message,
		Remediation: c.rule.Remediation,
		Frameworks:  c.rule.Frameworks.Tags(),
		Audit:       ev,
	}
	f.ComputeFingerprint()
	if c.e.opts.Suppress != nil {
		c.e.opts.Suppress(&f)
	}
	c.e.stats.Findings[c.rule.ID]++
	if c.e.opts.Report != nil {
		c.e.opts.Report(f)
	}
}

// severity is the severity of a finding whose detection asked for want: as many
// steps from the rule's run severity (configured) as want is from its registered
// one, within info..critical.
func (e *Engine) severity(r *rules.Rule, want finding.Severity) finding.Severity {
	base := r.Severity
	if reg, ok := Detection(r.ID); ok {
		base = reg.Rule.Severity
	}
	sev := r.Severity + (want - base)
	if sev < finding.Info {
		sev = finding.Info
	}
	if sev > finding.Critical {
		sev = finding.Critical
	}
	return sev
}

// EventRef names an event in a finding.
func EventRef(ev *auditlog.Event) finding.AuditEventRef {
	r := finding.AuditEventRef{
		AuditID: ev.AuditID, Time: ev.Time(), Verb: ev.Verb, URI: ev.RequestURI,
		User: ActorOf(ev).User, Code: ev.Code(),
		File: ev.Source.File, Line: ev.Source.Line, Index: ev.Source.Index,
	}
	if o := ev.ObjectRef; o != nil {
		r.Object = ev.Resource()
		switch {
		case o.Namespace != "" && o.Name != "":
			r.Object += " " + o.Namespace + "/" + o.Name
		case o.Name != "":
			r.Object += " " + o.Name
		case o.Namespace != "":
			r.Object += " in " + o.Namespace
		}
	}
	return r
}

// Trim returns a copy of an event without its bodies: what a detector keeps in its
// state for a later finding's chain.
func Trim(ev *auditlog.Event) *auditlog.Event {
	cp := *ev
	cp.RequestObject, cp.ResponseObject = nil, nil
	return &cp
}

// RefOf is the object an event acts on, as a finding names it (Kind from the
// resource: "pods" is Pod; the subresource is not part of it).
func RefOf(ev *auditlog.Event) finding.ObjectRef {
	o := ev.ObjectRef
	if o == nil {
		return finding.ObjectRef{Kind: "NonResourceURL", Name: ev.RequestURI}
	}
	apiVersion := o.APIVersion
	if o.APIGroup != "" {
		apiVersion = o.APIGroup + "/" + o.APIVersion
	}
	name := o.Name
	if name == "" {
		name = "*"
	}
	return finding.ObjectRef{APIVersion: apiVersion, Kind: KindOf(o.Resource), Namespace: o.Namespace, Name: name}
}

// KindOf is the kind of a resource ("pods" → "Pod", "clusterrolebindings" →
// "ClusterRoleBinding"); an unknown resource keeps its name.
func KindOf(resource string) string {
	if k, ok := kinds[resource]; ok {
		return k
	}
	return resource
}

var kinds = map[string]string{
	"pods": "Pod", "services": "Service", "secrets": "Secret", "configmaps": "ConfigMap",
	"serviceaccounts": "ServiceAccount", "namespaces": "Namespace", "nodes": "Node", "events": "Event",
	"deployments": "Deployment", "daemonsets": "DaemonSet", "statefulsets": "StatefulSet", "replicasets": "ReplicaSet",
	"jobs": "Job", "cronjobs": "CronJob", "replicationcontrollers": "ReplicationController",
	"roles": "Role", "clusterroles": "ClusterRole", "rolebindings": "RoleBinding", "clusterrolebindings": "ClusterRoleBinding",
	"certificatesigningrequests": "CertificateSigningRequest", "ingresses": "Ingress", "networkpolicies": "NetworkPolicy",
	"mutatingwebhookconfigurations": "MutatingWebhookConfiguration", "validatingwebhookconfigurations": "ValidatingWebhookConfiguration",
	"validatingadmissionpolicies": "ValidatingAdmissionPolicy", "validatingadmissionpolicybindings": "ValidatingAdmissionPolicyBinding",
	"mutatingadmissionpolicies": "MutatingAdmissionPolicy", "mutatingadmissionpolicybindings": "MutatingAdmissionPolicyBinding",
	"tokenreviews": "TokenReview", "subjectaccessreviews": "SubjectAccessReview", "selfsubjectaccessreviews": "SelfSubjectAccessReview",
	"selfsubjectrulesreviews": "SelfSubjectRulesReview", "persistentvolumes": "PersistentVolume", "persistentvolumeclaims": "PersistentVolumeClaim",
	"customresourcedefinitions": "CustomResourceDefinition", "podsecuritypolicies": "PodSecurityPolicy", "leases": "Lease",
	"endpoints": "Endpoints", "endpointslices": "EndpointSlice",
}

// Actor is the identity acting in an event, with what Palisade derives from its
// name and groups.
type Actor struct {
	User   string
	Groups []string
	// Impersonator is the authenticated user when the request impersonated User.
	Impersonator *auditlog.UserInfo
	// ServiceAccount is "namespace/name" for a service account, else "".
	ServiceAccount string
	// Anonymous: system:anonymous or the system:unauthenticated group.
	Anonymous bool
	// Masters: a member of system:masters (RBAC never applies to it).
	Masters bool
	// Node: a kubelet (system:node:NAME in system:nodes).
	Node bool
	// System: a Kubernetes component or controller (system: users other than
	// anonymous, service accounts of kube-system), not a person or an application.
	System bool
}

// ActorOf derives the actor of an event: the impersonated user when the request
// impersonated one.
func ActorOf(ev *auditlog.Event) Actor {
	u := ev.User
	var a Actor
	if ev.ImpersonatedUser != nil {
		orig := ev.User
		a.Impersonator = &orig
		u = *ev.ImpersonatedUser
	}
	a.User, a.Groups = u.Username, u.Groups
	for _, g := range u.Groups {
		switch g {
		case "system:masters":
			a.Masters = true
		case "system:unauthenticated":
			a.Anonymous = true
		case "system:nodes":
			a.Node = strings.HasPrefix(u.Username, "system:node:")
		}
	}
	if u.Username == "system:anonymous" {
		a.Anonymous = true
	}
	if rest, ok := strings.CutPrefix(u.Username, "system:serviceaccount:"); ok {
		a.ServiceAccount = strings.Replace(rest, ":", "/", 1)
		a.System = strings.HasPrefix(rest, "kube-system:")
	} else if strings.HasPrefix(u.Username, "system:") && !a.Anonymous {
		a.System = true
	}
	return a
}

// Subject is the actor as `palisade rbac` names a subject ("user:alice",
// "sa:ns:name"), which rbac.ParseSubject reads.
func (a Actor) Subject() string {
	if a.ServiceAccount != "" {
		return "sa:" + strings.Replace(a.ServiceAccount, "/", ":", 1)
	}
	return "user:" + a.User
}

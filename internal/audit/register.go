package audit

import (
	"fmt"
	"sort"
	"time"

	"github.com/palisade-k8s/palisade/internal/rules"
)

// Detector judges the events of one rule in one Engine. A Factory makes one per
// engine, so whatever state it keeps belongs to that engine (a run, a webhook).
// Event is called for every event, in the order the engine receives them, never
// concurrently.
type Detector interface {
	Event(c *Context)
}

// Flusher is a Detector that holds findings back until a window closes (a burst of
// forbidden requests is reported once, with its count): Flush reports what is
// still open when the input ends (or the webhook stops).
type Flusher interface {
	Flush(c *Context)
}

// Factory makes a rule's Detector for one engine.
type Factory func(s *Setup) Detector

// Setup is what a Factory is given: the rule, its parameter values and the limits
// its state must keep to.
type Setup struct {
	Rule   *rules.Rule
	Params map[string]any
	Limits Limits
}

// String returns a parameter of one value ("" when unset).
func (s *Setup) String(name string) string {
	v, _ := s.Params[name].(string)
	return v
}

// Strings returns a list parameter.
func (s *Setup) Strings(name string) []string { return rules.StringList(s.Params[name]) }

// Int returns an integer parameter, def when unset or not an integer.
func (s *Setup) Int(name string, def int) int {
	var n int
	if _, err := fmt.Sscan(s.String(name), &n); err != nil {
		return def
	}
	return n
}

// Duration returns a duration parameter ("10m"), def when unset or malformed.
func (s *Setup) Duration(name string, def time.Duration) time.Duration {
	d, err := time.ParseDuration(s.String(name))
	if err != nil {
		return def
	}
	return d
}

// Need says which events a detection reads, so that an audit Policy can be judged
// blind to it (internal/auditpolicy): requests matching Verbs, Resources (with
// their subresource, "pods/exec") of APIGroup, logged at least at Level, at Stage.
// The engine also gives a detection only the events of the resources its Needs
// name (dispatch.go): "pods" (the resource alone), "pods/exec", "pods/*" (every
// subresource); "*" or no Resources (without NonResource) for every event.
type Need struct {
	Verbs    []string
	APIGroup string
	// Resources are "resource" or "resource/subresource"; "*" for any. Empty with
	// NonResource set: non-resource URLs.
	Resources   []string
	NonResource bool
	// Level is the lowest level at which the detection can work: Metadata when it
	// reads only who did what, Request when it reads the request body.
	Level string
	// Stage is the stage the detection reads (ResponseComplete when it reads the
	// response code).
	Stage string
	// Users, when set, are the users whose requests matter ("system:anonymous");
	// empty: any user.
	Users []string
	// Groups, when set, are the groups whose requests matter; empty: any.
	Groups []string
}

// Registered is a registered detection.
type Registered struct {
	Rule    *rules.Rule
	Needs   []Need
	Factory Factory
}

var detections = map[string]Registered{}

// Register registers a detection: its rule (Targets must be rules.Audit; it is
// registered with rules.Register too), the events it needs and its Factory. It
// panics on a malformed or duplicate detection (init time).
func Register(r *rules.Rule, needs []Need, f Factory) {
	if r.Targets != rules.Audit {
		panic("audit: " + r.ID + " must target rules.Audit")
	}
	if f == nil || len(needs) == 0 {
		panic("audit: " + r.ID + " needs a Factory and the events it reads")
	}
	if len(r.Frameworks.MITRE) == 0 {
		panic("audit: " + r.ID + " maps to no MITRE ATT&CK technique")
	}
	rules.Register(r)
	detections[r.ID] = Registered{Rule: r, Needs: needs, Factory: f}
}

// Detection returns a registered detection by rule ID.
func Detection(id string) (Registered, bool) {
	d, ok := detections[id]
	return d, ok
}

// Detections returns every registered detection, ordered by rule ID.
func Detections() []Registered {
	out := make([]Registered, 0, len(detections))
	for _, d := range detections {
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Rule.ID < out[j].Rule.ID })
	return out
}

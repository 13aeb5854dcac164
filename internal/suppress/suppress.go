// Package suppress decides which findings are hidden from the gate, and why: object
// annotations, configuration exemptions, OpenVEX statements (known vulnerabilities)
// and a baseline of accepted findings. Hidden
// findings stay in the report, marked, and are counted; nothing is silently dropped.
package suppress

import (
	"encoding/json"
	"fmt"
	"os"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/palisade-k8s/palisade/internal/config"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/vex"
)

// Annotation keys on objects.
const (
	IgnoreAnnotation       = "palisade.dev/ignore"
	IgnoreReasonAnnotation = "palisade.dev/ignore-reason"
)

// Suppressor applies the suppression sources, in order: annotation, config, VEX,
// baseline.
type Suppressor struct {
	Exemptions []config.Exemption
	// VEX holds OpenVEX statements: a known-vulnerability finding whose deciding
	// statement is not_affected or fixed is suppressed with it.
	VEX      *vex.Index
	Baseline *Baseline
	// Now is the time exemptions and baseline entries expire against; zero means
	// the time of each call (a long-running webhook).
	Now time.Time
	// NoAnnotations ignores palisade.dev/ignore annotations: at admission the
	// requester writes the object's annotations, so they cannot exempt it.
	NoAnnotations bool
}

// Apply marks f suppressed if a source hides it.
func (s *Suppressor) Apply(o *inventory.Object, f *finding.Finding) {
	now := s.Now
	if now.IsZero() {
		now = time.Now()
	}
	if v, ok := o.Annotations[IgnoreAnnotation]; ok && !s.NoAnnotations && matchesIDList(v, f.RuleID) {
		reason := o.Annotations[IgnoreReasonAnnotation]
		if reason == "" {
			reason = "no reason given (" + IgnoreReasonAnnotation + " is not set)"
		}
		f.Suppressed = &finding.Suppression{Kind: "annotation", Reason: reason}
		return
	}
	for _, e := range s.Exemptions {
		if e.Expires != "" && expired(e.Expires, now) {
			continue
		}
		if exemptionMatches(e, o, f) {
			f.Suppressed = &finding.Suppression{Kind: "config", Reason: e.Reason, Expires: e.Expires}
			return
		}
	}
	if s.VEX != nil {
		if sp := s.VEX.Suppression(f); sp != nil {
			f.Suppressed = sp
			return
		}
	}
	if s.Baseline != nil {
		if be, ok := s.Baseline.byFP[f.Fingerprint]; ok && (be.Expires == "" || !expired(be.Expires, now)) {
			reason := be.Reason
			if reason == "" {
				reason = "accepted in baseline"
			}
			f.Suppressed = &finding.Suppression{Kind: "baseline", Reason: reason, Expires: be.Expires}
		}
	}
}

func matchesIDList(list, id string) bool {
	for _, p := range strings.Split(list, ",") {
		p = strings.TrimSpace(p)
		if p == "*" || p == "all" || strings.EqualFold(p, id) {
			return true
		}
	}
	return false
}

func expired(date string, now time.Time) bool {
	t, err := time.Parse("2006-01-02", date)
	if err != nil {
		return false
	}
	// An entry is valid through the whole of its expiry day.
	return now.After(t.Add(24 * time.Hour))
}

func globAny(globs []string, s string) bool {
	if len(globs) == 0 {
		return true
	}
	for _, g := range globs {
		if ok, _ := path.Match(g, s); ok || g == s {
			return true
		}
	}
	return false
}

func exemptionMatches(e config.Exemption, o *inventory.Object, f *finding.Finding) bool {
	if !globAny(e.Rules, f.RuleID) || !globAny(e.Namespaces, o.Ref.Namespace) ||
		!globAny(e.Kinds, o.Ref.Kind) || !globAny(e.Names, o.Ref.Name) {
		return false
	}
	if len(e.Users) > 0 && !auditUserMatches(e.Users, f.Audit) {
		return false
	}
	for k, v := range e.Labels {
		if got, ok := o.Labels[k]; !ok || (v != "*" && got != v) {
			return false
		}
	}
	return true
}

// auditUserMatches reports whether the actor of an audit finding, or the user that
// impersonated it, matches one of the globs (false for other findings).
func auditUserMatches(globs []string, a *finding.AuditEvidence) bool {
	if a == nil {
		return false
	}
	if globAny(globs, a.Actor.User) {
		return true
	}
	return a.Impersonator != nil && globAny(globs, a.Impersonator.User)
}

// Baseline is a file of accepted findings, matched by fingerprint.
type Baseline struct {
	Version int             `json:"version"`
	Entries []BaselineEntry `json:"entries"`
	byFP    map[string]BaselineEntry
}

// BaselineEntry is one accepted finding. Reason and Expires may be edited by hand.
type BaselineEntry struct {
	Fingerprint string `json:"fingerprint"`
	RuleID      string `json:"ruleID"`
	Object      string `json:"object"`
	Container   string `json:"container,omitempty"`
	Path        string `json:"path,omitempty"`
	Reason      string `json:"reason,omitempty"`
	// Expires (YYYY-MM-DD): after this day the finding resurfaces.
	Expires string `json:"expires,omitempty"`
}

// LoadBaseline reads a baseline file.
func LoadBaseline(file string) (*Baseline, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("baseline: %w", err)
	}
	var b Baseline
	if err := json.Unmarshal(data, &b); err != nil {
		return nil, fmt.Errorf("baseline %s: %w", file, err)
	}
	if b.Version != 1 {
		return nil, fmt.Errorf("baseline %s: unsupported version %d (want 1)", file, b.Version)
	}
	b.byFP = map[string]BaselineEntry{}
	for i, e := range b.Entries {
		if e.Fingerprint == "" {
			return nil, fmt.Errorf("baseline %s: entry %d has no fingerprint", file, i)
		}
		if e.Expires != "" {
			if _, err := time.Parse("2006-01-02", e.Expires); err != nil {
				return nil, fmt.Errorf("baseline %s: entry %d: expires %q is not a date (YYYY-MM-DD)", file, i, e.Expires)
			}
		}
		b.byFP[e.Fingerprint] = e
	}
	return &b, nil
}

// NewBaseline records every finding not already hidden by an annotation or exemption.
func NewBaseline(fs []finding.Finding) *Baseline {
	b := &Baseline{Version: 1, Entries: []BaselineEntry{}}
	seen := map[string]bool{}
	for _, f := range fs {
		if (f.Suppressed != nil && f.Suppressed.Kind != "baseline") || seen[f.Fingerprint] {
			continue
		}
		seen[f.Fingerprint] = true
		e := BaselineEntry{Fingerprint: f.Fingerprint, RuleID: f.RuleID, Object: f.Object.String(), Container: f.Container, Path: f.Path}
		if f.Suppressed != nil {
			e.Reason, e.Expires = f.Suppressed.Reason, f.Suppressed.Expires
		}
		b.Entries = append(b.Entries, e)
	}
	sort.Slice(b.Entries, func(i, j int) bool { return b.Entries[i].Fingerprint < b.Entries[j].Fingerprint })
	return b
}

// Write saves the baseline as indented JSON.
func (b *Baseline) Write(file string) error {
	data, err := json.MarshalIndent(b, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(file, append(data, '\n'), 0o644)
}

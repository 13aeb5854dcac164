// Package pss evaluates the Pod Security Standards with the official
// k8s.io/pod-security-admission policy checks, at a chosen Kubernetes version.
package pss

import (
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
)

// Evaluator runs every PSS check as it stood at one Kubernetes version.
type Evaluator struct {
	version api.Version
	checks  []versioned
}

type versioned struct {
	id    string
	level api.Level
	fn    policy.CheckPodFn
}

// Result is the outcome of one failed check.
type Result struct {
	CheckID string
	Level   string
	Reason  string
	Detail  string
}

// New returns an evaluator for version ("latest", "v1.30" or "1.30").
func New(version string) (*Evaluator, error) {
	if version == "" {
		version = api.VersionLatest
	}
	if version != api.VersionLatest && !strings.HasPrefix(version, "v") {
		version = "v" + version
	}
	v, err := api.ParseVersion(version)
	if err != nil {
		return nil, fmt.Errorf("pss version %q: want \"latest\" or a Kubernetes version such as 1.30", strings.TrimPrefix(version, "v"))
	}
	e := &Evaluator{version: v}
	for _, c := range policy.DefaultChecks() {
		// The newest implementation not newer than the requested version applies.
		var fn policy.CheckPodFn
		for _, vc := range c.Versions {
			if !v.Older(vc.MinimumVersion) {
				fn = vc.CheckPod
			}
		}
		if fn != nil {
			e.checks = append(e.checks, versioned{id: string(c.ID), level: c.Level, fn: fn})
		}
	}
	return e, nil
}

// Version is the Kubernetes version the evaluator applies.
func (e *Evaluator) Version() string { return e.version.String() }

// Evaluate runs every check on a pod and returns the failed ones by check ID. Each
// check is evaluated on its own, so a restricted check never hides a baseline one.
func (e *Evaluator) Evaluate(meta *metav1.ObjectMeta, spec *corev1.PodSpec) map[string]Result {
	var out map[string]Result
	for _, c := range e.checks {
		r := c.fn(meta, spec)
		if r.Allowed {
			continue
		}
		if out == nil {
			out = map[string]Result{}
		}
		out[c.id] = Result{CheckID: c.id, Level: string(c.level), Reason: r.ForbiddenReason, Detail: r.ForbiddenDetail}
	}
	return out
}

// Check runs a single check by ID on a pod; ok is false if the check does not apply
// at this version.
func (e *Evaluator) Check(id string, meta *metav1.ObjectMeta, spec *corev1.PodSpec) (allowed, ok bool) {
	for _, c := range e.checks {
		if c.id == id {
			return c.fn(meta, spec).Allowed, true
		}
	}
	return true, false
}

// SubsumedBy maps a restricted check to the baseline check whose failure implies its
// own: a hostPath volume fails restrictedVolumes, an Unconfined seccomp profile fails
// seccompProfile_restricted, a capability outside the baseline set fails
// capabilities_restricted, an unmasked /proc fails procMount_restricted. Findings for
// the baseline check therefore explain the restricted failure too.
var SubsumedBy = map[string]string{
	"restrictedVolumes":         "hostPathVolumes",
	"seccompProfile_restricted": "seccompProfile_baseline",
	"capabilities_restricted":   "capabilities_baseline",
	"procMount_restricted":      "procMount",
}

// Has reports whether check id exists at the evaluator's version.
func (e *Evaluator) Has(id string) bool {
	for _, c := range e.checks {
		if c.id == id {
			return true
		}
	}
	return false
}

// CheckIDs lists every check the policy package defines, with its level.
func CheckIDs() map[string]string {
	out := map[string]string{}
	for _, c := range policy.DefaultChecks() {
		out[string(c.ID)] = string(c.Level)
	}
	return out
}

// SortedCheckIDs lists the check IDs in order.
func SortedCheckIDs() []string {
	ids := CheckIDs()
	out := make([]string, 0, len(ids))
	for id := range ids {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

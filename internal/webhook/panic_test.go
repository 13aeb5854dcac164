package webhook

import (
	"context"
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/admission"
)

// TestJobPanicIsAnError: a panic while deciding a review (outside the rules, which the
// engine contains) is that review's error, never an allow, and the replica lives on.
func TestJobPanicIsAnError(t *testing.T) {
	j := &job{name: "review x of Pod", decide: func(context.Context, *admission.Evaluator) *admission.Decision {
		var d *admission.Decision
		d.Allowed = true // a nil dereference: a bug outside the rules
		return d
	}}
	d := j.run(context.Background(), nil)
	if d == nil || d.Allowed || d.Err == nil {
		t.Fatalf("decision %+v, want an error", d)
	}
	if !strings.Contains(d.Err.Error(), "internal error in review x of Pod: panic: runtime error: invalid memory address or nil pointer dereference") {
		t.Errorf("error %q", d.Err)
	}
}

package admission

import (
	"slices"
	"testing"

	"github.com/palisade-k8s/palisade/internal/checks/identity"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/rules"
)

// TestRuleTargets: the targets the rules declare (rules.Rule.Targets) select what
// the ID lists and index tests used to: at admission, every rule whose indexes a
// review can fill; at image reviews, the image rules whose input an ImageReview
// carries; in `palisade rbac risks`, the subject-level RBAC rules.
func TestRuleTargets(t *testing.T) {
	audit := 0
	for _, r := range rules.All() {
		if r.RunsIn(rules.Audit) {
			// Audit detections judge audit events, never a review (nor a scan).
			audit++
			if r.RunsIn(rules.Admission) || r.RunsIn(rules.Scan) {
				t.Errorf("%s judges audit events but runs in a scan or at admission", r.ID)
			}
			continue
		}
		fillable := true
		for _, n := range r.Needs {
			fillable = fillable && admissionIndexes[n]
		}
		// A rule of inputs that are not Kubernetes objects (a Dockerfile, an image) has nothing to
		// judge in a review: it may stay out of admission.
		if pseudoOnly(r) && !r.RunsIn(rules.Admission) {
			continue
		}
		if r.RunsIn(rules.Admission) != fillable {
			t.Errorf("%s: at admission %v, but a review can fill its indexes: %v", r.ID, r.RunsIn(rules.Admission), fillable)
		}
	}
	if got, want := rules.IDsFor(rules.ImageReview), []string{"PAL-101", "PAL-102", "PAL-103", "PAL-105", "PAL-106", "PAL-115", "PAL-116"}; !slices.Equal(got, want) {
		t.Errorf("image review rules %v, want %v", got, want)
	}
	if got, want := rules.IDsFor(rules.RBACRisks), identity.RiskRuleIDs(); !slices.Equal(got, want) || len(got) != 16 {
		t.Errorf("rbac risks rules %v, want %v", got, want)
	}
	if got := rules.IDsFor(rules.Scan); len(got)+audit != len(rules.All()) || audit == 0 {
		t.Errorf("%d of %d rules run in a scan, %d judge audit events", len(got), len(rules.All()), audit)
	}
}

// pseudoOnly reports whether every kind a rule reads is one of Palisade's own kinds
// (palisade.dev/v1: configuration files, Dockerfiles, images), which no review
// carries.
func pseudoOnly(r *rules.Rule) bool {
	if len(r.Kinds) == 0 || r.Workload != nil {
		return false
	}
	for _, k := range r.Kinds {
		if k != finding.ConfigFileKind && k != finding.DockerfileKind && k != finding.ImageKind && k != finding.NodeFactsKind {
			return false
		}
	}
	return true
}

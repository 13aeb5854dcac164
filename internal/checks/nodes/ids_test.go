package nodes_test

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/rules"

	_ "github.com/palisade-k8s/palisade/internal/checks/nodes"
)

// The node rules' IDs follow the CIS recommendations in order (the contract of
// issue 21): PAL-730..PAL-743 are 4.2.1..4.2.14, PAL-744 is 4.3.1, PAL-750..PAL-759
// are 4.1.1..4.1.10 and PAL-760..PAL-780 are 1.1.1..1.1.21; PAL-745..PAL-749 are
// reserved. Each rule has its own title, rationale and remediation.
func TestRuleIDsFollowCIS(t *testing.T) {
	want := map[string]string{"PAL-744": "4.3.1"}
	for i := 0; i <= 13; i++ {
		want[fmt.Sprintf("PAL-%d", 730+i)] = fmt.Sprintf("4.2.%d", i+1)
	}
	for i := 0; i <= 9; i++ {
		want[fmt.Sprintf("PAL-%d", 750+i)] = fmt.Sprintf("4.1.%d", i+1)
	}
	for i := 0; i <= 20; i++ {
		want[fmt.Sprintf("PAL-%d", 760+i)] = fmt.Sprintf("1.1.%d", i+1)
	}
	seen := map[string]bool{}
	titles, rationales := map[string]string{}, map[string]string{}
	for _, r := range rules.All() {
		n, err := strconv.Atoi(strings.TrimPrefix(r.ID, "PAL-"))
		if err != nil || n < 730 || n > 789 {
			continue
		}
		seen[r.ID] = true
		cis, ok := want[r.ID]
		if !ok {
			t.Errorf("%s is registered but is not a node rule of the contract", r.ID)
			continue
		}
		if !slices.Equal(r.Frameworks.CIS, []string{cis}) {
			t.Errorf("%s maps to CIS %v, want %s", r.ID, r.Frameworks.CIS, cis)
		}
		if r.Category != "node" || !r.Scoped || r.Title == "" || r.Rationale == "" || r.Remediation == "" || len(r.References) == 0 {
			t.Errorf("%s: incomplete metadata %+v", r.ID, r.Meta)
		}
		if prev := titles[r.Title]; prev != "" {
			t.Errorf("%s and %s share the title %q", prev, r.ID, r.Title)
		}
		titles[r.Title] = r.ID
		if prev := rationales[r.Rationale]; prev != "" {
			t.Errorf("%s and %s share their rationale", prev, r.ID)
		}
		rationales[r.Rationale] = r.ID
	}
	for id := range want {
		if !seen[id] {
			t.Errorf("%s is not registered", id)
		}
	}
}

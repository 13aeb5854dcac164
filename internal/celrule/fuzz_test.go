package celrule

import (
	"testing"

	"github.com/palisade-k8s/palisade/internal/rules"
)

// FuzzCompile compiles hostile customRules text and runs what compiles on a pod:
// never a panic, an error or rules.
func FuzzCompile(f *testing.F) {
	f.Add(acme)
	f.Add("- {id: A-1, title: t, severity: low, match: {workloads: true}, rationale: r, remediation: m, expression: 'podSpec.containers.all(c, c.image != \"\")'}")
	f.Add("- {id: A-1, title: t, severity: low, match: {kinds: [v1/Pod]}, rationale: r, remediation: m, expression: 'object.spec.(', messageExpression: '1'}")
	f.Add("- {id: A-1, frameworks: {nsa: [pod-security.non-root], layer: [code], pss: [baseline]}}")
	f.Fuzz(func(t *testing.T, text string) {
		if len(text) > 1<<16 {
			return
		}
		specs, err := decode([]byte(text))
		if err != nil {
			return
		}
		rs, err := Compile(specs)
		if err != nil {
			return
		}
		if _, err := rules.NewCatalog(rs...); err != nil {
			t.Fatalf("compiled rules the catalog refuses: %v", err)
		}
		o := object(t, badPod)
		check(t, rs, o)
	})
}

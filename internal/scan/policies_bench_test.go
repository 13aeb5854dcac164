package scan_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/checks/checktest"
	"github.com/palisade-k8s/palisade/internal/scan"
	"github.com/palisade-k8s/palisade/internal/source"
)

// benchPolicies writes n ValidatingAdmissionPolicies with Deny bindings over the
// kinds a corpus is made of (workloads, services, config maps).
func benchPolicies(b *testing.B, n int) string {
	b.Helper()
	resources := []string{`apiGroups: [apps], apiVersions: [v1], resources: [deployments, statefulsets, daemonsets]`,
		`apiGroups: [""], apiVersions: [v1], resources: [services]`, `apiGroups: [""], apiVersions: [v1], resources: [configmaps]`}
	var sb strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&sb, `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: p%d}
spec:
  matchConstraints:
    resourceRules:
    - {operations: [CREATE], %s}
  validations:
  - expression: "has(object.metadata.labels) && object.metadata.labels.size() > %d"
    messageExpression: "'needs labels: ' + object.metadata.name"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: p%d}
spec: {policyName: p%d, validationActions: [Deny]}
---
`, i, resources[i%len(resources)], i%3, i, i)
	}
	p := filepath.Join(b.TempDir(), "policies.yaml")
	if err := os.WriteFile(p, []byte(sb.String()), 0o600); err != nil {
		b.Fatal(err)
	}
	return p
}

// BenchmarkScanPolicies scans the corpus without policies and with 20
// ValidatingAdmissionPolicies (--policy): the cost of evaluating them.
func BenchmarkScanPolicies(b *testing.B) {
	dir := checktest.CorpusDir(b)
	for _, n := range []int{0, 20} {
		var policies []string
		if n > 0 {
			policies = []string{benchPolicies(b, n)}
		}
		b.Run(fmt.Sprintf("policies=%d", n), func(b *testing.B) {
			for b.Loop() {
				res, err := scan.Run(scan.Options{Source: &source.Files{Paths: []string{dir}}, Policies: policies, FailOn: "none"})
				if err != nil {
					b.Fatal(err)
				}
				for _, e := range res.Report.Errors {
					if strings.HasSuffix(e.Location.File, "policies.yaml") {
						b.Fatalf("input error of the policies: %s: %s", e.Location, e.Message)
					}
				}
			}
		})
	}
}

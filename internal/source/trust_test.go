package source

import (
	"context"
	"fmt"
	"testing"

	"github.com/palisade-k8s/palisade/internal/signature"
)

// TestTrustVerifyMany: more references than Parallel, with duplicates, are each
// judged once and all get a verdict; the verdicts are collected while the loop is
// still starting verifications (go test -race caught a concurrent map write here).
func TestTrustVerifyMany(t *testing.T) {
	v, err := signature.New(signature.Policy{Default: signature.DefaultDeny}, signature.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	var refs []string
	for i := range 200 {
		refs = append(refs, fmt.Sprintf("registry.example.com/app-%d:1.0", i%150))
	}
	tr := &Trust{Verifier: v, Parallel: 2}
	out := tr.Verify(context.Background(), refs)
	if len(out) != 150 {
		t.Fatalf("%d verdicts, want 150", len(out))
	}
	for ref, r := range out {
		if r == nil || r.Allowed || !r.Defaulted {
			t.Fatalf("%s: %+v, want denied by default", ref, r)
		}
	}
}

package source_test

import (
	"os/exec"
	"strings"
	"testing"
)

// The analyzers build from an inventory: they reach neither the input layer nor what
// it reads with (the loader and its renderers, the API client).
func TestAnalyzersDoNotReadInput(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	for _, pkg := range []string{"../netpol", "../rbac"} {
		out, err := exec.Command("go", "list", "-deps", pkg).Output()
		if err != nil {
			t.Fatalf("go list %s: %v", pkg, err)
		}
		for _, dep := range strings.Fields(string(out)) {
			switch dep {
			case "github.com/palisade-k8s/palisade/internal/source",
				"github.com/palisade-k8s/palisade/internal/load",
				"github.com/palisade-k8s/palisade/internal/live",
				"k8s.io/client-go/dynamic",
				"helm.sh/helm/v3/pkg/chart/loader":
				t.Errorf("%s depends on %s", pkg, dep)
			}
		}
	}
}

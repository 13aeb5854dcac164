package netpol

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/source"
)

// TestCorpus analyses the real-world corpus (hundreds of NetworkPolicies from charts
// and install bundles): every policy compiles, and the views run on all of it. The
// only input errors are the corpus's genuinely invalid YAML documents.
func TestCorpus(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "shared", "corpus")
	if _, err := os.Stat(dir); err != nil {
		t.Skip("shared corpus not available")
	}
	if testing.Short() {
		t.Skip("corpus skipped in -short mode")
	}
	m, errs, err := fromSource(&source.Files{Paths: []string{dir}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range errs {
		if !strings.Contains(e.Message, "invalid YAML: mapping key") {
			t.Errorf("input error: %s", e.Error())
		}
	}
	if len(errs) != 4 {
		t.Errorf("%d input errors, want the corpus's 4 invalid documents", len(errs))
	}
	if len(m.Policies) < 300 || len(m.Workloads) < 650 {
		t.Errorf("%d policies and %d workloads, want >= 300 and >= 650", len(m.Policies), len(m.Workloads))
	}
	x := m.Matrix()
	iso := m.Isolation(Filter{})
	isolated := 0
	for _, i := range iso {
		if len(i.Policies[Ingress]) > 0 {
			isolated++
		}
	}
	if isolated == 0 || isolated == len(iso) {
		t.Errorf("%d of %d workloads isolated for ingress", isolated, len(iso))
	}
	// Spot-check the matrix against reach on every 97th pair.
	n := 0
	for i, a := range m.Workloads {
		for j, b := range m.Workloads {
			if (i*len(m.Workloads)+j)%97 != 0 {
				continue
			}
			v, err := m.Reach(Endpoint{Workload: a}, Endpoint{Workload: b}, AllPorts())
			if err != nil {
				t.Fatal(err)
			}
			if got := x.Ports(a.Class, b.Class); !got.Equal(v.Ports) {
				t.Fatalf("%s -> %s: matrix %s, reach %s", a.Name(), b.Name(), got, v.Ports)
			}
			n++
		}
	}
	if d := DiffMatrices(x, x, Filter{}); len(d.Changes) != 0 {
		t.Errorf("the corpus differs from itself: %d changes", len(d.Changes))
	}
	t.Logf("%d policies, %d workloads in %d classes, %d class pairs connected; %d pairs checked against reach", len(m.Policies), len(m.Workloads), len(m.Classes), x.Count(), n)
}

package netpol

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/source"
)

// The benchmark clusters: every pod template distinct (one class each), so the
// figures are for the worst case of the equivalence classes. The first three scale
// pods, namespaces and policies together; the last two vary policies at 10,000 pods.
var benchSizes = []synthetic{
	{namespaces: 50, pods: 1000, policies: 200, seed: 1},
	{namespaces: 250, pods: 5000, policies: 1000, seed: 1},
	{namespaces: 500, pods: 10000, policies: 2000, seed: 1},
	{namespaces: 500, pods: 10000, policies: 500, seed: 1},
	{namespaces: 500, pods: 10000, policies: 8000, seed: 1},
}

func (s synthetic) String() string {
	return fmt.Sprintf("pods=%d/ns=%d/policies=%d", s.pods, s.namespaces, s.policies)
}

var benchInventories sync.Map

// inventoryOf loads a synthetic cluster once per test binary.
func inventoryOf(b *testing.B, s synthetic) *inventory.Inventory {
	if v, ok := benchInventories.Load(s); ok {
		return v.(*inventory.Inventory)
	}
	src := &source.Files{Paths: []string{"-"}, Stdin: strings.NewReader(s.yaml())}
	inv, errs, err := readInventory(src)
	if err != nil || len(errs) > 0 {
		b.Fatalf("load: %v %v", err, errs)
	}
	benchInventories.Store(s, inv)
	return inv
}

// BenchmarkBuild measures the model: namespaces, classes, compiled policies and which
// policy isolates which class.
func BenchmarkBuild(b *testing.B) {
	for _, s := range benchSizes {
		b.Run(s.String(), func(b *testing.B) {
			inv := inventoryOf(b, s)
			b.ResetTimer()
			var m *Model
			for i := 0; i < b.N; i++ {
				m = Build(inv, Options{})
			}
			b.ReportMetric(float64(len(m.Classes)), "classes")
		})
	}
}

// BenchmarkMatrix measures the full connectivity matrix (every class pair and the
// outside of the cluster) on a built model.
func BenchmarkMatrix(b *testing.B) {
	for _, s := range benchSizes {
		b.Run(s.String(), func(b *testing.B) {
			m := Build(inventoryOf(b, s), Options{})
			b.ResetTimer()
			var x *Matrix
			for i := 0; i < b.N; i++ {
				x = m.Matrix()
			}
			b.ReportMetric(float64(x.Count()), "connections")
		})
	}
}

// BenchmarkReach measures one reach query with its explanation, on a built model.
func BenchmarkReach(b *testing.B) {
	for _, s := range benchSizes {
		b.Run(s.String(), func(b *testing.B) {
			m := Build(inventoryOf(b, s), Options{})
			from, to := m.Workloads[len(m.Workloads)/3], m.Workloads[len(m.Workloads)/2+7]
			port := SinglePort(TCP, 5432)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := m.Reach(Endpoint{Workload: from}, Endpoint{Workload: to}, port); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkReachFromScratch is a single reach as the CLI runs it once the manifests
// are parsed: build the model, then answer.
func BenchmarkReachFromScratch(b *testing.B) {
	s := benchSizes[2]
	inv := inventoryOf(b, s)
	b.Run(s.String(), func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			m := Build(inv, Options{})
			from, to := m.Workloads[len(m.Workloads)/3], m.Workloads[len(m.Workloads)/2+7]
			if _, err := m.Reach(Endpoint{Workload: from}, Endpoint{Workload: to}, AllPorts()); err != nil {
				b.Fatal(err)
			}
		}
	})
}

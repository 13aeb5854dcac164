package attackpath

import (
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/palisade-k8s/palisade/internal/attackpath/pathgen"
	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/netpol"
	"github.com/palisade-k8s/palisade/internal/rbac"
)

var (
	largeOnce sync.Once
	largeInv  *inventory.Inventory
)

// largeInventory loads pathgen.Large once per test binary.
func largeInventory(b *testing.B) *inventory.Inventory {
	largeOnce.Do(func() { largeInv = loadYAML(b, pathgen.Large.YAML()) })
	if largeInv == nil {
		b.Fatal("the large cluster did not load")
	}
	return largeInv
}

// BenchmarkPathsLarge is the scale (pathgen.Large: 10,000 pods, 2,000
// policies, 10,000 roles, 20,000 bindings): the graph built from the loaded
// objects, then every path from the internet to cluster-admin. Its baseline is
// BenchmarkPathsLargeAnalyzers, the analyzers the graph is made of.
func BenchmarkPathsLarge(b *testing.B) {
	inv := largeInventory(b)
	b.ReportAllocs()
	b.ResetTimer()
	var paths []*Path
	var g *Graph
	var build, query time.Duration
	for range b.N {
		start := time.Now()
		g = Build(inv, Options{})
		build += time.Since(start)
		start = time.Now()
		var err error
		if paths, err = g.Paths(Query{From: []string{Internet}, To: []string{ClusterAdmin}}); err != nil {
			b.Fatal(err)
		}
		query += time.Since(start)
	}
	b.StopTimer()
	b.ReportMetric(float64(len(paths)), "paths")
	b.ReportMetric(float64(len(g.Nodes)), "nodes")
	b.ReportMetric(build.Seconds()/float64(b.N), "build-s/op")
	b.ReportMetric(query.Seconds()/float64(b.N), "paths-s/op")
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapAlloc), "heap-B")
	runtime.KeepAlive(g)
}

// BenchmarkPathsLargeAnalyzers builds what the graph reads, alone: the
// NetworkPolicy model and a matrix row per class, the RBAC model and its risk
// analysis of every service account that pods run as.
func BenchmarkPathsLargeAnalyzers(b *testing.B) {
	inv := largeInventory(b)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		analyzersAlone(b, inv)
	}
}

func analyzersAlone(b *testing.B, inv *inventory.Inventory) {
	m := netpol.Build(inv, netpol.Options{})
	x := m.Matrix()
	n := 0
	for _, c := range m.Classes {
		x.Each(c, func(*netpol.Class, netpol.PortSet) { n++ })
		x.FromOutside(c)
	}
	rb, _, err := rbac.Build(inv.Objects, rbac.Options{})
	if err != nil {
		b.Fatal(err)
	}
	var classes []rbac.RiskClass
	for _, c := range proofClasses {
		classes = append(classes, c)
	}
	a := rb.AnalyzeRisks(classes)
	for _, s := range a.ServiceAccountsWithWorkloads() {
		a.Of(s)
	}
}

package rbac

import (
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/source"
)

// The size is the last: 10,000 roles and 20,000 bindings. The smaller ones
// show how time and memory grow.
var benchSizes = []synthetic{
	{namespaces: 25, roles: 2500, bindings: 5000, workloads: 1250, seed: 1},
	{namespaces: 50, roles: 5000, bindings: 10000, workloads: 2500, seed: 1},
	{namespaces: 100, roles: 10000, bindings: 20000, workloads: 5000, seed: 1},
}

var benchObjects sync.Map

// cpuPerOp reports the CPU time per operation since start (see cpuTime).
func cpuPerOp(b *testing.B, start time.Duration) {
	if start > 0 {
		b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
	}
}

func objectsOf(b *testing.B, s synthetic) []*inventory.Object {
	if v, ok := benchObjects.Load(s); ok {
		return v.([]*inventory.Object)
	}
	src := &source.Files{Paths: []string{"-"}, Stdin: strings.NewReader(s.yaml())}
	objs, errs, err := readObjects(src)
	if err != nil || len(errs) > 0 {
		b.Fatalf("load: %v %v", err, errs)
	}
	benchObjects.Store(s, objs)
	return objs
}

// BenchmarkLoad is the baseline: parsing the same manifests with the scan loader,
// decoding what the analysis needs.
func BenchmarkLoad(b *testing.B) {
	for _, s := range benchSizes {
		b.Run(s.String(), func(b *testing.B) {
			text := s.yaml()
			b.SetBytes(int64(len(text)))
			b.ResetTimer()
			start := cpuTime()
			for range b.N {
				src := &source.Files{Paths: []string{"-"}, Stdin: strings.NewReader(text)}
				if _, _, err := readObjects(src); err != nil {
					b.Fatal(err)
				}
			}
			cpuPerOp(b, start)
			b.ReportMetric(float64(len(text)), "yaml-B")
		})
	}
}

// BenchmarkBuild measures the model from loaded objects: decoding rules and subjects,
// aggregation, and the indexes.
func BenchmarkBuild(b *testing.B) {
	for _, s := range benchSizes {
		b.Run(s.String(), func(b *testing.B) {
			objs := objectsOf(b, s)
			b.ReportAllocs()
			b.ResetTimer()
			start := cpuTime()
			for range b.N {
				if _, _, err := Build(objs, Options{}); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			cpuPerOp(b, start)
			// The model's own size: the heap it keeps beyond the loaded objects.
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			m, _, _ := Build(objs, Options{})
			runtime.GC()
			runtime.ReadMemStats(&after)
			b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc), "model-B")
			runtime.KeepAlive(m)
		})
	}
}

var benchQueries = []struct {
	name string
	a    Attributes
}{
	{"get-secrets-ns", Attributes{Verb: "get", ResourceRequest: true, Resource: "secrets", Namespace: "ns-7", Name: "db"}},
	{"list-pods-cluster", Attributes{Verb: "list", ResourceRequest: true, Resource: "pods"}},
	{"create-pods-exec-ns", Attributes{Verb: "create", ResourceRequest: true, Resource: "pods", Subresource: "exec", Namespace: "ns-3"}},
	{"update-deploy-scale-ns", Attributes{Verb: "update", ResourceRequest: true, APIGroup: "apps", Resource: "deployments", Subresource: "scale", Namespace: "ns-3", Name: "web"}},
}

// BenchmarkWhoCan measures one who-can answer, with every grant and the workloads of
// each service account (the issue asks for under 50 ms at 10,000 roles and 20,000
// bindings).
func BenchmarkWhoCan(b *testing.B) {
	s := benchSizes[len(benchSizes)-1]
	for _, q := range benchQueries {
		b.Run(s.String()+"/"+q.name, func(b *testing.B) {
			m, _, err := Build(objectsOf(b, s), Options{})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			var n int
			start := cpuTime()
			for range b.N {
				n = len(m.WhoCan(q.a))
			}
			cpuPerOp(b, start)
			b.ReportMetric(float64(n), "subjects")
		})
	}
	b.Run(s.String()+"/get-secrets-any-namespace", func(b *testing.B) {
		m, _, _ := Build(objectsOf(b, s), Options{})
		b.ReportAllocs()
		b.ResetTimer()
		var n int
		start := cpuTime()
		for range b.N {
			n = len(m.WhoCanAnyNamespace(benchQueries[0].a))
		}
		cpuPerOp(b, start)
		b.ReportMetric(float64(n), "subjects")
	})
}

// BenchmarkAuthorize measures one decision for a service account.
func BenchmarkAuthorize(b *testing.B) {
	s := benchSizes[len(benchSizes)-1]
	m, _, err := Build(objectsOf(b, s), Options{})
	if err != nil {
		b.Fatal(err)
	}
	a := benchQueries[0].a
	a.User = UserInfoFor(Subject{Kind: KindServiceAccount, Namespace: "ns-7", Name: "sa-3"}, nil)
	b.ReportAllocs()
	b.ResetTimer()
	start := cpuTime()
	for range b.N {
		m.Authorize(a)
	}
	cpuPerOp(b, start)
}

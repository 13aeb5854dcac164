package attackpath

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// manyClasses is 10,000 workloads in 2,000 classes, each class reaching five
// random workloads' classes; 500 accounts with exec, secrets and admin grants.
func manyClasses() *hand {
	{
		r := rand.New(rand.NewPCG(1, 1))
		h := newHand()
		var ws []*Node
		for i := range 10000 {
			w := fmt.Sprintf("workload:ns%d/Deployment/w%d", i%50, i)
			n := h.n(w)
			ws = append(ws, n)
			h.lat.class[n] = i % 2000
			if i%10 == 0 {
				h.e(Internet, w, EdgeExposed, 3)
			}
			if i%7 == 0 {
				h.e(AnyPod, w, EdgeNetwork, 2)
			}
			sa := fmt.Sprintf("serviceaccount:ns%d/w%d", i%50, i%500)
			h.e(w, sa, EdgeToken, 1)
			if i%5 == 0 {
				h.e(w, HostNode, EdgeHost, 1)
			}
		}
		for i := range 500 {
			sa := fmt.Sprintf("serviceaccount:ns%d/w%d", i%50, i)
			if i%3 == 0 {
				h.e(sa, "capability:admin@cluster", EdgeGrant, 1)
			}
			if i%4 == 0 {
				h.e(sa, fmt.Sprintf("capability:exec@ns%d", i%50), EdgeGrant, 1)
			}
			h.e(sa, fmt.Sprintf("capability:read-secrets@ns%d", i%50), EdgeGrant, 1)
		}
		for i := range 50 {
			h.e(fmt.Sprintf("capability:read-secrets@ns%d", i), fmt.Sprintf("secrets:ns%d", i), EdgeReadSecrets, 0)
			for j := range 200 {
				h.e(fmt.Sprintf("capability:exec@ns%d", i), fmt.Sprintf("workload:ns%d/Deployment/w%d", i, i+50*j), EdgeExec, 0)
			}
		}
		h.e("capability:admin@cluster", ClusterAdmin, EdgeEscalate, 0)
		for c := range 2000 {
			for range 5 {
				h.lat.rows[c] = append(h.lat.rows[c], ws[r.IntN(len(ws))])
			}
		}
		return h
	}
}

func BenchmarkPathsManyClasses(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		h := manyClasses()
		b.StartTimer()
		ps, err := h.g.Paths(Query{})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(len(ps)), "paths")
	}
}

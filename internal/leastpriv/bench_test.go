package leastpriv

import (
	"fmt"
	"testing"

	"github.com/palisade-k8s/palisade/internal/auditlog"
)

// benchEvents are 10,000 requests of 100 identities over 20 resources and 10
// namespaces.
func benchEvents() []*auditlog.Event {
	res := []string{"pods", "configmaps", "secrets", "services", "events"}
	verbs := []string{"get", "list", "watch", "update"}
	var evs []*auditlog.Event
	for i := 0; i < 10_000; i++ {
		user := fmt.Sprintf("system:serviceaccount:ns%d:sa%d", i%10, i%100)
		evs = append(evs, event(user, []string{"system:serviceaccounts", "system:authenticated"},
			verbs[i%len(verbs)], "", res[i%len(res)], "", fmt.Sprintf("ns%d", i%10), fmt.Sprintf("obj%d", i%7)))
	}
	return evs
}

func BenchmarkCollect(b *testing.B) {
	evs := benchEvents()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c := NewCollector(Options{})
		for _, ev := range evs {
			c.Add(ev)
		}
	}
	b.ReportMetric(float64(b.N*len(evs))/b.Elapsed().Seconds(), "events/s")
}

func BenchmarkAnalyze(b *testing.B) {
	m := model(b, grants)
	c := NewCollector(Options{})
	for _, ev := range benchEvents() {
		c.Add(ev)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rep := Analyze(c, m, nil)
		for j := range rep.Subjects {
			Minimal(rep.Subjects[j].Subject, rep.Subjects[j].Perms(), RoleOptions{ResourceNames: true}).Objects()
		}
	}
}

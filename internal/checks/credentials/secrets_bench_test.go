package credentials_test

import (
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/engine"
	"github.com/palisade-k8s/palisade/internal/load"
	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/workload"
)

// BenchmarkSecretsRulesCorpus measures the secrets rules alone (pod-template decode
// and the scan of every environment value, argument, ConfigMap value and annotation)
// over the corpus, loaded once outside the timer.
func BenchmarkSecretsRulesCorpus(b *testing.B) {
	dir := corpusDir(b)
	var rs []*rules.Rule
	for _, r := range rules.All() {
		if r.Category == "secrets" && strings.HasPrefix(r.ID, "PAL-5") {
			rs = append(rs, r)
		}
	}
	finder := workload.NewFinder(nil)
	lr := load.Load([]string{dir}, load.Options{Decode: engine.Decoder(rs, finder)})
	n, found := 0, 0
	for b.Loop() {
		r := engine.Run(lr.Inventory, engine.Options{Rules: rs, Finder: finder})
		n, found = r.Objects, len(r.Findings)
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "objects/s")
	b.ReportMetric(float64(found), "findings")
}

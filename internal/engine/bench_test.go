package engine_test

import (
	"path/filepath"
	"testing"

	_ "github.com/palisade-k8s/palisade/internal/checks/all"
	"github.com/palisade-k8s/palisade/internal/engine"
	"github.com/palisade-k8s/palisade/internal/load"
	"github.com/palisade-k8s/palisade/internal/pss"
	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/workload"
)

// BenchmarkEngineCorpus measures rule evaluation alone (workload decode, PSS checks,
// every rule) over the corpus, loaded once outside the timer.
func BenchmarkEngineCorpus(b *testing.B) {
	corpus := filepath.Join("..", "..", "..", "shared", "corpus")
	all := rules.All()
	finder := workload.NewFinder(nil)
	lr := load.Load([]string{corpus}, load.Options{Decode: engine.Decoder(all, finder)})
	if len(lr.Inventory.Objects) == 0 {
		b.Skip("corpus not available")
	}
	ev, err := pss.New("latest")
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	for b.Loop() {
		r := engine.Run(lr.Inventory, engine.Options{Rules: all, PSS: ev, Finder: finder})
		n = r.Objects
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "objects/s")
}

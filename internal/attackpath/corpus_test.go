package attackpath

import (
	"context"
	"os"
	"testing"

	"github.com/palisade-k8s/palisade/internal/source"
)

// TestCorpusIdentityHost: the corpus (../shared/corpus: real charts and manifests)
// builds, and exercises the identity and host edge kinds.
func TestCorpusIdentityHost(t *testing.T) {
	const dir = "../../../shared/corpus"
	if testing.Short() {
		t.Skip("corpus: not in -short")
	}
	if _, err := os.Stat(dir); err != nil {
		t.Skip("no corpus at " + dir)
	}
	res, err := (&source.Files{Paths: []string{dir}}).Read(context.Background(), source.Needs{Kinds: indexKinds(), PodFacts: true})
	if err != nil {
		t.Fatal(err)
	}
	g := Build(res.Inventory, Options{})
	kinds := map[EdgeKind]int{}
	for _, n := range g.Nodes {
		for _, e := range g.Out(n) {
			kinds[e.Kind]++
			// Lateral edges are explained on the paths reported (Graph.Explain),
			// which network_test holds to netpol reach.
			if len(e.Evidence) == 0 && !(e.Kind == EdgeNetwork && e.From.Kind == KindWorkload) {
				t.Errorf("%s -%s-> %s: no evidence", e.From.ID, e.Kind, e.To.ID)
			}
		}
	}
	for _, k := range []EdgeKind{EdgeToken, EdgeGrant, EdgeRunAs, EdgeExec, EdgeReadSecrets, EdgeCreatePod, EdgeHost, EdgeEscalate, EdgeNodesProxy} {
		if kinds[k] == 0 {
			t.Errorf("no %s edge in the corpus (edges: %v)", k, kinds)
		}
	}
}

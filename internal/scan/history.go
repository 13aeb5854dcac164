package scan

import (
	"context"
	"sort"

	"github.com/palisade-k8s/palisade/internal/engine"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/source"
	"github.com/palisade-k8s/palisade/internal/workload"
)

// historyRules are the enabled rules that run on a git history (rules.History).
// They are Local rules: each file of a commit is judged alone.
func historyRules(enabled []*rules.Rule) []*rules.Rule {
	var out []*rules.Rule
	for _, r := range enabled {
		if r.RunsIn(rules.History) && r.Phase() == rules.Local {
			out = append(out, r)
		}
	}
	return out
}

// readHistory reads the git history through the engine eng of the history rules.
func readHistory(ctx context.Context, g *source.GitHistory, eng *engine.Evaluation, rs []*rules.Rule, finder *workload.Finder, workers int) (*source.Result, error) {
	return g.Read(ctx, source.Needs{
		Kinds:   source.RuleKinds(rs),
		Decode:  engine.Decoder(rs, finder),
		Finder:  finder,
		Visit:   eng.Visit,
		Retain:  eng.Retain,
		Workers: workers,
	})
}

// newInHistory keeps the findings of a git history that the working tree's
// findings (tree) do not repeat: a secret (SecretDigest) still in the working tree
// is reported there, not again for each commit that held it. Of the others, one
// finding per secret and file is kept: the first commit that added it there.
func newInHistory(tree, hist []finding.Finding) []finding.Finding {
	var zero [32]byte
	inTree := map[[32]byte]bool{}
	for _, f := range tree {
		if f.SecretDigest != zero {
			inTree[f.SecretDigest] = true
		}
	}
	sort.SliceStable(hist, func(i, j int) bool {
		a, b := hist[i].Location.Commit, hist[j].Location.Commit
		if a == nil || b == nil {
			return a == nil && b != nil
		}
		return a.Order < b.Order
	})
	// A finding without a digest (no secret behind it) is kept once per rule, file
	// and field instead.
	type key struct {
		digest          [32]byte
		file, rule, fld string
	}
	seen := map[key]bool{}
	var out []finding.Finding
	for _, f := range hist {
		k := key{digest: f.SecretDigest, file: f.Location.File}
		if f.SecretDigest == zero {
			k.rule, k.fld = f.RuleID, f.Path
		} else if inTree[f.SecretDigest] {
			continue
		}
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, f)
	}
	sort.SliceStable(out, func(i, j int) bool { return finding.Less(&out[i], &out[j]) })
	return out
}

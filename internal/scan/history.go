package scan

import (
	"context"
	"sort"

	"github.com/palisade-k8s/palisade/internal/engine"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
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

// maxHistoryNotices bounds the notices about objects of a history that the rules
// could not check (a pod template that does not decode).
const maxHistoryNotices = 20

// runHistory reads the git history g and judges each file as soon as it is read,
// with a fresh run of plan (the history rules rs), so that memory holds only the
// findings kept: those of secrets the working tree's findings (tree) do not hold,
// the first per secret and file (see historyFilter). It returns what the read
// produced, the findings, notices about objects the rules could not check, and the
// rules' internal errors.
func runHistory(ctx context.Context, g *source.GitHistory, plan *engine.Plan, rs []*rules.Rule, finder *workload.Finder, tree []finding.Finding) (
	*source.Result, []finding.Finding, []finding.Notice, []finding.InternalError, error) {
	keep := newHistoryFilter(tree)
	var (
		notices  []finding.Notice
		internal []finding.InternalError
	)
	run := plan.NewRun(ctx)
	h := *g
	h.Flush = func(inv *inventory.Inventory) {
		res := run.Finish(inv)
		for _, f := range res.Findings {
			keep.add(f)
		}
		for _, e := range res.Errors {
			if len(notices) < maxHistoryNotices {
				notices = append(notices, finding.Notice{Location: e.Location, Message: "in the git history, not checked: " + e.Message})
			}
		}
		internal = append(internal, res.Internal...)
		run = plan.NewRun(ctx)
	}
	in, err := h.Read(ctx, source.Needs{
		Kinds:  source.RuleKinds(rs),
		Decode: plan.Decode,
		Finder: finder,
		// One file is read at a time, in this goroutine: run is the current one.
		Visit:  func(o *inventory.Object) { run.Visit(o) },
		Retain: func(o *inventory.Object) bool { return run.Retain(o) },
	})
	if err != nil {
		return nil, nil, nil, nil, err
	}
	return in, keep.findings(), notices, internal, nil
}

// historyFilter keeps the findings of a git history that the working tree's
// findings do not repeat: a secret (SecretDigests) still in the working tree is
// reported there, not again for each commit that held it. Of the others, one
// finding per secret and file is kept: the first added, as the commits are read
// oldest first. A finding on several secrets of one field is kept when one of them
// is new.
type historyFilter struct {
	inTree map[[32]byte]bool
	seen   map[historyKey]bool
	kept   []finding.Finding
}

// historyKey identifies a secret at a file; a finding without a digest (no secret
// behind it) is kept once per rule, file and field instead.
type historyKey struct {
	digest            [32]byte
	file, rule, field string
}

func newHistoryFilter(tree []finding.Finding) *historyFilter {
	h := &historyFilter{inTree: map[[32]byte]bool{}, seen: map[historyKey]bool{}}
	for _, f := range tree {
		for _, d := range f.SecretDigests {
			h.inTree[d] = true
		}
	}
	return h
}

// add considers f, a finding of a commit no earlier than those of the findings
// added before it.
func (h *historyFilter) add(f finding.Finding) {
	if len(f.SecretDigests) == 0 {
		k := historyKey{file: f.Location.File, rule: f.RuleID, field: f.Path}
		if !h.seen[k] {
			h.seen[k] = true
			h.kept = append(h.kept, f)
		}
		return
	}
	fresh := false
	for _, d := range f.SecretDigests {
		k := historyKey{digest: d, file: f.Location.File}
		if h.inTree[d] || h.seen[k] {
			continue
		}
		h.seen[k] = true
		fresh = true
	}
	if fresh {
		h.kept = append(h.kept, f)
	}
}

// findings are the findings kept, in report order.
func (h *historyFilter) findings() []finding.Finding {
	sort.SliceStable(h.kept, func(i, j int) bool { return finding.Less(&h.kept[i], &h.kept[j]) })
	return h.kept
}

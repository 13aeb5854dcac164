package all_test

// Tests over the whole registry: every rule's metadata, and the agreement of the Pod
// Security Standards rules with the official checks over the real-world corpus.

import (
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"k8s.io/pod-security-admission/policy"

	_ "github.com/palisade-k8s/palisade/internal/checks/all"
	"github.com/palisade-k8s/palisade/internal/checks/checktest"
	"github.com/palisade-k8s/palisade/internal/engine"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/load"
	"github.com/palisade-k8s/palisade/internal/pss"
	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/workload"
)

var (
	corpusDir  = checktest.CorpusDir
	isFallback = checktest.IsFallback
)

// overrides maps each restricted check to the baseline checks it supersedes, as the
// official policy declares: a failure of the restricted check is explained by findings
// of the baseline check it overrides (a hostPath volume fails restrictedVolumes too).
func overrides() map[string][]string {
	out := map[string][]string{}
	for _, c := range policy.DefaultChecks() {
		seen := map[string]bool{}
		for _, v := range c.Versions {
			for _, o := range v.OverrideCheckIDs {
				if !seen[string(o)] {
					seen[string(o)] = true
					out[string(c.ID)] = append(out[string(c.ID)], string(o))
				}
			}
		}
	}
	return out
}

// TestPSSConsistencyCorpus checks, for every workload of the real-world corpus and every
// official check, that the check fails if and only if some finding carries it, and
// that every failure is pinpointed by a rule rather than by the engine's fallback.
func TestPSSConsistencyCorpus(t *testing.T) {
	if testing.Short() {
		t.Skip("corpus scan skipped in -short mode")
	}
	dir := corpusDir(t)
	all := rules.All()
	finder := workload.NewFinder(nil)
	lr := load.Load([]string{dir}, load.Options{Decode: engine.Decoder(all, finder)})
	for _, version := range []string{"latest", "1.30", "1.24"} {
		t.Run(version, func(t *testing.T) {
			ev, err := pss.New(version)
			if err != nil {
				t.Fatal(err)
			}
			checkCorpusConsistency(t, all, finder, lr, ev)
		})
	}
}

func checkCorpusConsistency(t *testing.T, all []*rules.Rule, finder *workload.Finder, lr *load.Result, ev *pss.Evaluator) {
	type key struct {
		file string
		doc  int
		ref  finding.ObjectRef
	}
	type evaluated struct {
		key
		failed map[string]pss.Result
	}
	// Evaluate every workload before the engine runs, which may release decoded bodies.
	var wls []evaluated
	seen := map[key]bool{}
	for _, o := range lr.Inventory.Objects {
		w, err := finder.From(o)
		if err != nil || w == nil {
			continue
		}
		k := key{o.Origin.File, o.Origin.Document, o.Ref}
		if seen[k] {
			t.Errorf("two workloads share %v: findings cannot be told apart", k)
		}
		seen[k] = true
		wls = append(wls, evaluated{k, ev.Evaluate(w.Meta, w.Spec)})
	}
	if len(wls) < 100 {
		t.Fatalf("only %d workloads found in the corpus; the loader or finder is broken", len(wls))
	}
	er := engine.Run(lr.Inventory, engine.Options{Rules: all, PSS: ev, Finder: finder})
	byObject := map[key][]*finding.Finding{}
	for i := range er.Findings {
		f := &er.Findings[i]
		k := key{f.Location.File, f.Location.Document, f.Object}
		byObject[k] = append(byObject[k], f)
	}
	over := overrides()
	checkIDs := pss.SortedCheckIDs()

	var divergences, fallbacks []string
	for _, wl := range wls {
		failed := wl.failed
		fs := byObject[wl.key]
		tagged := map[string]bool{}
		for _, f := range fs {
			r, ok := rules.Get(f.RuleID)
			if !ok {
				t.Errorf("finding for unknown rule %s", f.RuleID)
				continue
			}
			if c := r.Frameworks.PSSCheck; c != "" {
				tagged[c] = true
			}
			if isFallback(f) {
				fallbacks = append(fallbacks, wl.file+": "+wl.ref.String()+": "+f.RuleID+": "+f.Message)
			}
		}
		name := filepath.Base(wl.file) + ": " + wl.ref.String()
		for _, id := range checkIDs {
			res, bad := failed[id]
			explained := tagged[id]
			for _, b := range over[id] {
				if _, baseBad := failed[b]; baseBad && tagged[b] {
					explained = true
				}
			}
			switch {
			case bad && !explained:
				divergences = append(divergences, name+": check "+id+" fails ("+res.Detail+") but no finding carries it")
			case !bad && tagged[id]:
				divergences = append(divergences, name+": check "+id+" passes but a finding carries it")
			}
		}
	}
	sort.Strings(divergences)
	sort.Strings(fallbacks)
	for _, d := range divergences {
		t.Errorf("divergence: %s", d)
	}
	for _, f := range fallbacks {
		t.Errorf("fallback finding (no rule pinpointed the field): %s", f)
	}
	t.Logf("%d workloads, %d findings checked", len(wls), len(er.Findings))
}

// knownUncovered lists official checks that no rule carries yet, each with why. The
// test fails if one of them becomes covered, so the list cannot go stale.
var knownUncovered = map[string]string{}

// TestRuleMetadata checks that every registered rule is complete and that its Pod
// Security Standards tag names a real check at the right level.
func TestRuleMetadata(t *testing.T) {
	all := rules.All()
	checks := pss.CheckIDs()
	layers := map[string]bool{"cloud": true, "cluster": true, "container": true, "code": true}
	idRE := regexp.MustCompile(`^PAL-\d{3}$`)
	ids := map[string]bool{}
	covered := map[string]bool{}
	for _, r := range all {
		ids[r.ID] = true
		if !idRE.MatchString(r.ID) {
			t.Errorf("rule ID %q is not PAL-NNN", r.ID)
		}
		for field, v := range map[string]string{
			"title": r.Title, "category": r.Category, "rationale": r.Rationale, "remediation": r.Remediation,
		} {
			if strings.TrimSpace(v) == "" {
				t.Errorf("%s has no %s", r.ID, field)
			}
		}
		if r.Severity < finding.Low || r.Severity > finding.Critical {
			t.Errorf("%s has severity %v, want low to critical", r.ID, r.Severity)
		}
		if c := r.CoveredBy; c != "" {
			if other, ok := rules.Get(c); !ok || other.ID == r.ID || other.CoveredBy != "" {
				t.Errorf("%s is covered by %q, which must be another registered rule not itself covered", r.ID, c)
			}
		}
		fw := r.Frameworks
		if !layers[fw.Layer] {
			t.Errorf("%s has 4C layer %q", r.ID, fw.Layer)
		}
		if (fw.PSS == "") != (fw.PSSCheck == "") {
			t.Errorf("%s: PSS level %q and PSS check %q must be set together", r.ID, fw.PSS, fw.PSSCheck)
		}
		if fw.PSSCheck == "" {
			continue
		}
		level, ok := checks[fw.PSSCheck]
		switch {
		case !ok:
			t.Errorf("%s: PSS check %q is not an official check", r.ID, fw.PSSCheck)
		case level != fw.PSS:
			t.Errorf("%s: PSS check %q is %s, but the rule says %s", r.ID, fw.PSSCheck, level, fw.PSS)
		case r.Workload == nil:
			t.Errorf("%s: a PSS check only gates workload rules", r.ID)
		}
		covered[fw.PSSCheck] = true
	}
	for i := 1; i <= 28; i++ {
		id := fmt.Sprintf("PAL-%03d", i)
		if !ids[id] {
			t.Errorf("rule %s is not registered", id)
		}
	}
	for _, id := range pss.SortedCheckIDs() {
		why, known := knownUncovered[id]
		switch {
		case covered[id] && known:
			t.Errorf("check %s is now covered: remove it from knownUncovered", id)
		case !covered[id] && !known:
			t.Errorf("no rule carries the official check %s", id)
		case !covered[id]:
			t.Logf("known gap: %s: %s", id, why)
		}
	}
	for id := range knownUncovered {
		if _, ok := checks[id]; !ok {
			t.Errorf("knownUncovered names %s, which is not an official check", id)
		}
	}
}

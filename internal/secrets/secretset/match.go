package secretset

import (
	"fmt"
	"sort"
	"strings"
)

// Finding is one finding of a scanner, reduced to what labels are matched on.
type Finding struct {
	File string
	Line int
	// Rule is the scanner's rule ID.
	Rule string
	// Commit is the commit of a history finding ("" matches any).
	Commit string
}

// Result is a scanner's findings matched against the labels.
type Result struct {
	Labels Labels
	// Hits lists, per label, the findings on it.
	Hits [][]Finding
	// Stray are the findings on no label (false positives).
	Stray []Finding
	// on is, per finding on a label, the label it counts for.
	on []int
	// strict: a positive counts as found only when its own rule reported it.
	strict bool
}

// Match attributes each finding to the label it falls on: the label whose lines
// cover its line, else the labels of the values of a file-like value whose key it
// names (Anchor: a finding of one rule there is on every value of that rule in the
// file, since it cannot say which; findings of a label's own rule are placed first),
// else a whole-file label of the same rule. With strict, a positive is found only by
// a finding of its expected rule (a scanner whose rule IDs are the labels');
// otherwise any finding on it counts.
func (ls Labels) Match(findings []Finding, strict bool) *Result {
	r := &Result{Labels: ls, Hits: make([][]Finding, len(ls)), strict: strict}
	byFile := map[string][]int{}
	for i, l := range ls {
		byFile[l.File] = append(byFile[l.File], i)
	}
	same := func(l Label, f Finding) bool { return l.Commit == "" || f.Commit == "" || l.Commit == f.Commit }
	hit := func(i int, f Finding) {
		r.Hits[i] = append(r.Hits[i], f)
	}
	attribute := func(f Finding, ruleOnly bool) bool {
		cands := byFile[f.File]
		for _, i := range cands {
			if l := ls[i]; l.Line > 0 && same(l, f) && l.Covers(f.File, f.Line) {
				hit(i, f)
				r.on = append(r.on, i)
				return true
			}
		}
		first := -1
		for _, i := range cands {
			if l := ls[i]; l.Anchor == f.Line && same(l, f) && l.Rule == f.Rule {
				hit(i, f)
				if first < 0 {
					first = i
				}
			}
		}
		if first < 0 && !ruleOnly {
			for _, i := range cands {
				if l := ls[i]; l.Anchor == f.Line && same(l, f) && l.Positive() && !r.Found(i) {
					hit(i, f)
					first = i
					break
				}
			}
		}
		if first >= 0 {
			r.on = append(r.on, first)
			return true
		}
		for _, i := range cands {
			if l := ls[i]; l.Line == 0 && l.Rule == f.Rule {
				hit(i, f)
				r.on = append(r.on, i)
				return true
			}
		}
		return false
	}
	var rest []Finding
	for _, f := range findings {
		if !strict || !attribute(f, true) {
			rest = append(rest, f)
		}
	}
	for _, f := range rest {
		if !attribute(f, false) {
			r.Stray = append(r.Stray, f)
		}
	}
	return r
}

// Found reports whether label i was reported: for a positive, by its rule (strict)
// or by anything; for a look-alike, by anything (a false positive).
func (r *Result) Found(i int) bool {
	l := r.Labels[i]
	for _, f := range r.Hits[i] {
		if !r.strict || !l.Positive() || f.Rule == l.Rule {
			return true
		}
	}
	return false
}

// Row is one line of a recall and precision table.
type Row struct {
	Key string
	// Positives and Found count credentials; LookAlikes and Reported look-alikes.
	Positives, Found, LookAlikes, Reported int
	// True counts findings on credentials, False findings on look-alikes or on no label.
	True, False int
}

// Recall is Found/Positives (1 when there are none).
func (w Row) Recall() float64 {
	if w.Positives == 0 {
		return 1
	}
	return float64(w.Found) / float64(w.Positives)
}

// Precision is True/(True+False) (1 when nothing was reported).
func (w Row) Precision() float64 {
	if w.True+w.False == 0 {
		return 1
	}
	return float64(w.True) / float64(w.True+w.False)
}

// Rows groups the result by key (Label.Location, Label.Format, ...) in key order,
// with a total last. A stray finding goes to the group of another label of its file
// (so, by location, to its file's location), else to "(no label)".
func (r *Result) Rows(key func(Label) string) []Row {
	rows := map[string]*Row{}
	row := func(k string) *Row {
		if rows[k] == nil {
			rows[k] = &Row{Key: k}
		}
		return rows[k]
	}
	fileKey := map[string]string{}
	for i, l := range r.Labels {
		w := row(key(l))
		if l.Positive() {
			w.Positives++
			if r.Found(i) {
				w.Found++
			}
		} else {
			w.LookAlikes++
			if r.Found(i) {
				w.Reported++
			}
		}
		if k, ok := fileKey[l.File]; !ok || k == key(l) {
			fileKey[l.File] = key(l)
		} else {
			fileKey[l.File] = "(no label)"
		}
	}
	for _, i := range r.on {
		if w := row(key(r.Labels[i])); r.Labels[i].Positive() {
			w.True++
		} else {
			w.False++
		}
	}
	for _, f := range r.Stray {
		k, ok := fileKey[f.File]
		if !ok {
			k = "(no label)"
		}
		row(k).False++
	}
	var out []Row
	var total Row
	total.Key = "total"
	for _, w := range rows {
		out = append(out, *w)
		total.Positives += w.Positives
		total.Found += w.Found
		total.LookAlikes += w.LookAlikes
		total.Reported += w.Reported
		total.True += w.True
		total.False += w.False
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return append(out, total)
}

// Table renders rows as a Markdown table whose first column is named title.
func Table(title string, rows []Row) string {
	var b strings.Builder
	fmt.Fprintf(&b, "| %s | credentials | found | recall | look-alikes | reported | findings | false | precision |\n", title)
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, w := range rows {
		key := w.Key
		if key == "total" {
			key = "**total**"
		}
		fmt.Fprintf(&b, "| %s | %d | %d | %.0f%% | %d | %d | %d | %d | %.0f%% |\n", key, w.Positives, w.Found, 100*w.Recall(),
			w.LookAlikes, w.Reported, w.True+w.False, w.False, 100*w.Precision())
	}
	return b.String()
}

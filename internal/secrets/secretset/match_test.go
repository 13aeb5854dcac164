package secretset

import "testing"

// TestMatch: findings land on the label whose lines they cover, on the values of a
// file-like value when they name its key (each rule's finding on every value of that
// rule), on a whole-file label of their rule, or nowhere (stray); strict matching
// wants the label's rule.
func TestMatch(t *testing.T) {
	ls := Labels{
		{File: "a.yaml", Line: 3, Rule: "R1", Location: "x", Format: "f1"},
		{File: "a.yaml", Line: 5, Span: 3, Rule: "R2", Location: "x", Format: "f2"}, // lines 5-8
		{File: "a.yaml", Line: 10, Location: "x", Format: "look"},
		{File: "b.yaml", Line: 12, Anchor: 10, Rule: "R1", Location: "y", Format: "f1"},
		{File: "b.yaml", Line: 13, Anchor: 10, Rule: "R1", Location: "y", Format: "f1"},
		{File: "b.yaml", Line: 14, Anchor: 10, Rule: "R3", Location: "y", Format: "f3"},
		{File: "b.yaml", Line: 15, Anchor: 10, Location: "y", Format: "look"},
		{File: "c.yaml", Rule: "R9", Location: "z", Format: "file"},
	}
	fs := []Finding{
		{File: "a.yaml", Line: 3, Rule: "R1"},
		{File: "a.yaml", Line: 7, Rule: "R4"},  // on the R2 value, another rule
		{File: "a.yaml", Line: 10, Rule: "R1"}, // a look-alike reported
		{File: "b.yaml", Line: 10, Rule: "R4"}, // the file's key, a rule no value has
		{File: "b.yaml", Line: 10, Rule: "R1"}, // both R1 values
		{File: "c.yaml", Line: 4, Rule: "R9"},
		{File: "c.yaml", Line: 4, Rule: "R8"}, // stray
	}
	strict := ls.Match(fs, true)
	want := []bool{true, false, true, true, true, false, false, true}
	for i, w := range want {
		if got := strict.Found(i); got != w {
			t.Errorf("strict: label %d (%+v) found %v, want %v", i, ls[i], got, w)
		}
	}
	if len(strict.Stray) != 1 || strict.Stray[0].Rule != "R8" {
		t.Errorf("strict strays %+v, want the R8 finding", strict.Stray)
	}
	loose := ls.Match(fs, false)
	if !loose.Found(1) {
		t.Error("loose: a finding of any rule on a credential finds it")
	}
	rows := strict.Rows(func(l Label) string { return l.Location })
	total := rows[len(rows)-1]
	if total.Key != "total" || total.Positives != 6 || total.Found != 4 || total.LookAlikes != 2 || total.Reported != 1 {
		t.Errorf("total %+v", total)
	}
	// Findings: 5 on credentials (R1 a, R4 a:7, R4 and R1 on b's key, R9), 2 false
	// (the look-alike, the stray).
	if total.True != 5 || total.False != 2 {
		t.Errorf("total findings: %d true, %d false; want 5, 2", total.True, total.False)
	}
	for _, w := range rows {
		if w.Key == "z" && w.False != 1 {
			t.Errorf("the stray in c.yaml counts for its file's location: %+v", w)
		}
	}
}

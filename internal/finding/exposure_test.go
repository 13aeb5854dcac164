package finding

import (
	"slices"
	"sort"
	"testing"
)

// TestMoreExposed sorts findings with and without exposure: the exposed ones come
// first, highest score first, and every group of equivalent findings (equal scores,
// or no exposure) keeps its order.
func TestMoreExposed(t *testing.T) {
	mk := func(name string, score int) Finding {
		f := Finding{RuleID: name}
		if score >= 0 {
			f.Exposure = &Exposure{Score: score}
		}
		return f
	}
	fs := []Finding{mk("a", -1), mk("b", 3), mk("c", -1), mk("d", 11), mk("e", 3), mk("f", -1), mk("g", 0)}
	sort.SliceStable(fs, func(i, j int) bool { return MoreExposed(&fs[i], &fs[j]) })
	var got []string
	for _, f := range fs {
		got = append(got, f.RuleID)
	}
	if want := []string{"d", "b", "e", "g", "a", "c", "f"}; !slices.Equal(got, want) {
		t.Fatalf("order %v, want %v", got, want)
	}
	// Strict weak ordering: irreflexive, and incomparability is transitive (checked
	// over every triple).
	for i := range fs {
		if MoreExposed(&fs[i], &fs[i]) {
			t.Fatalf("%s before itself", fs[i].RuleID)
		}
		for j := range fs {
			for k := range fs {
				eq := func(x, y int) bool { return !MoreExposed(&fs[x], &fs[y]) && !MoreExposed(&fs[y], &fs[x]) }
				if eq(i, j) && eq(j, k) && !eq(i, k) {
					t.Fatalf("incomparability not transitive: %s %s %s", fs[i].RuleID, fs[j].RuleID, fs[k].RuleID)
				}
				if MoreExposed(&fs[i], &fs[j]) && MoreExposed(&fs[j], &fs[k]) && !MoreExposed(&fs[i], &fs[k]) {
					t.Fatalf("not transitive: %s %s %s", fs[i].RuleID, fs[j].RuleID, fs[k].RuleID)
				}
			}
		}
	}
}

package osv

import (
	"slices"
	"strconv"
	"testing"
	"time"
)

func TestMergeAliases(t *testing.T) {
	now := time.Now()
	rec := func(id string, aliases ...string) *Record { return &Record{ID: id, Aliases: aliases} }
	goRec := rec("GO-2024-0001", "CVE-2024-1", "GHSA-aaaa")
	ghsa := rec("GHSA-aaaa", "CVE-2024-1")
	dsa := rec("DSA-5000-1", "CVE-2024-2")
	dla := rec("DLA-4000-1", "CVE-2024-2", "CVE-2024-3")
	chain := rec("CVE-2024-3")
	alone := rec("GO-2024-0002")
	alone.Related = []string{"CVE-2024-1"} // related is not an alias
	withdrawn := rec("GHSA-bbbb", "CVE-2024-1", "CVE-2024-2")
	withdrawn.Withdrawn = &now // would join the two groups if it were not ignored
	groups := MergeAliases([]*Record{goRec, dsa, alone, withdrawn, ghsa, dla, chain, nil})
	if len(groups) != 3 {
		t.Fatalf("%d groups: %+v", len(groups), groups)
	}
	want := [][]string{
		{"CVE-2024-1", "GHSA-aaaa", "GO-2024-0001"},
		{"CVE-2024-2", "CVE-2024-3", "DLA-4000-1", "DSA-5000-1"},
		{"GO-2024-0002"},
	}
	wantRecords := [][]*Record{{goRec, ghsa}, {dsa, dla, chain}, {alone}}
	for i, g := range groups {
		if !slices.Equal(g.IDs, want[i]) || !slices.Equal(g.Records, wantRecords[i]) {
			t.Errorf("group %d: %q %v", i, g.IDs, g.Records)
		}
	}
}

func BenchmarkMergeAliases(b *testing.B) {
	var recs []*Record
	for i := range 10000 {
		recs = append(recs, &Record{ID: "GO-" + strconv.Itoa(i), Aliases: []string{"CVE-" + strconv.Itoa(i/2)}})
	}
	b.ReportAllocs()
	for b.Loop() {
		MergeAliases(recs)
	}
}

package history

import (
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
)

// TestTopoOrder: parents come before children even when a child is dated before its
// parent (clock skew, rebases); among ready commits the oldest comes first.
func TestTopoOrder(t *testing.T) {
	h := func(b byte) plumbing.Hash { return plumbing.Hash{b} }
	at := func(hour int) time.Time { return time.Date(2025, 1, 1, hour, 0, 0, 0, time.UTC) }
	// 1 <- 2 <- 4 (merge of 2 and 3); 1 <- 3; 2 is dated before 1; 9 is outside.
	nodes := []node{
		{hash: h(4), parents: []plumbing.Hash{h(2), h(3)}, when: at(5)},
		{hash: h(3), parents: []plumbing.Hash{h(1)}, when: at(3)},
		{hash: h(2), parents: []plumbing.Hash{h(1), h(9)}, when: at(0)},
		{hash: h(1), when: at(1)},
	}
	got := topoOrder(nodes)
	want := []plumbing.Hash{h(1), h(2), h(3), h(4)}
	if len(got) != len(want) {
		t.Fatalf("order %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("order %v, want %v", got, want)
		}
	}
}

// TestDirs: the directories compared are those of the scanned paths, none below
// another.
func TestDirs(t *testing.T) {
	r := &Repository{scope: []scope{
		{prefix: "deploy-x", dir: true}, {prefix: "deploy/sub", dir: true}, {prefix: "deploy", dir: true},
		{prefix: "deploy/a.yaml"}, {prefix: "top.yaml"}, {prefix: "other/x/y.yaml"},
	}}
	got := r.dirs()
	if len(got) != 1 || got[0] != "" {
		t.Errorf("dirs = %q, want only the whole tree (top.yaml is at the root)", got)
	}
	r.scope = r.scope[:4]
	got = r.dirs()
	if len(got) != 2 || got[0] != "deploy" || got[1] != "deploy-x" {
		t.Errorf("dirs = %q, want deploy, deploy-x", got)
	}
}

package inventory

import (
	"sync"
	"testing"

	"github.com/palisade-k8s/palisade/internal/finding"
)

// TestTypedIndex: an index is built once per inventory, by concurrent readers too,
// and read back with its own type; every inventory builds its own; a second index
// of the same name is a programming error.
func TestTypedIndex(t *testing.T) {
	builds := 0
	names := NewIndex("test-names", []string{"ConfigMap"}, func(inv *Inventory) []string {
		builds++
		var out []string
		for _, o := range inv.Objects {
			out = append(out, o.Ref.Name)
		}
		return out
	})
	if got := names.Kinds(); len(got) != 1 || got[0] != "ConfigMap" || names.Name() != "test-names" || !Registered(names) {
		t.Errorf("index %q reads %v", names.Name(), got)
	}
	if Registered(&Index[int]{}) || Registered(nil) {
		t.Error("an index not made by NewIndex counts as registered")
	}
	inv := &Inventory{Objects: []*Object{{Ref: finding.ObjectRef{Kind: "ConfigMap", Name: "a"}}}}
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if got := Get(inv, names); len(got) != 1 || got[0] != "a" {
				t.Errorf("Get = %v", got)
			}
		}()
	}
	wg.Wait()
	Build(inv, names)
	if builds != 1 {
		t.Errorf("built %d times for one inventory, want 1", builds)
	}
	if got := Get(&Inventory{}, names); got != nil || builds != 2 {
		t.Errorf("another inventory: %v after %d builds", got, builds)
	}
	if n := len(Get(inv, ObjectsByKind)["ConfigMap"]); n != 1 {
		t.Errorf("ObjectsByKind has %d ConfigMaps, want 1", n)
	}
	defer func() {
		if recover() == nil {
			t.Error("no panic for a duplicate index name")
		}
	}()
	NewIndex("test-names", nil, func(*Inventory) int { return 0 })
}

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

// TestFact: a fact is a typed side table of objects: recorded or not, per object,
// with its own type, and a recorded nil (a workload without a pod template's
// identity) is still recorded.
func TestFact(t *testing.T) {
	labels := NewFact[map[string]string]("test-labels")
	size := NewFact[*int]("test-size")
	a, b := &Object{}, &Object{}
	if _, ok := labels.Of(a); ok {
		t.Error("a fact never recorded reads as recorded")
	}
	labels.Set(a, map[string]string{"app": "web"})
	size.Set(b, nil)
	if l, ok := labels.Of(a); !ok || l["app"] != "web" {
		t.Errorf("labels of a: %v %v", l, ok)
	}
	if _, ok := labels.Of(b); ok {
		t.Error("b has a's fact")
	}
	if v, ok := size.Of(b); !ok || v != nil {
		t.Errorf("size of b: %v %v, want a recorded nil", v, ok)
	}
	defer func() {
		if recover() == nil {
			t.Error("no panic for a duplicate fact name")
		}
	}()
	NewFact[int]("test-labels")
}

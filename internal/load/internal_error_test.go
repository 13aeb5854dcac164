package load

import (
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/inventory"
)

// A panic while a document is read or visited (a bug) is an internal error naming
// the document; the other documents are still read, in every worker.
func TestPanicInAWorkerIsAnInternalError(t *testing.T) {
	in := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: boom}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"
	visit := func(o *inventory.Object) {
		if o.Ref.Name == "boom" {
			panic("visit failed")
		}
	}
	for _, workers := range []int{1, 3} {
		res := Load([]string{"-"}, Options{Stdin: strings.NewReader(in), Visit: visit, Workers: workers})
		if len(res.Internal) != 1 || res.Internal[0].Location == nil || res.Internal[0].Location.Line != 4 || res.Internal[0].Location.Document != 1 ||
			!strings.HasPrefix(res.Internal[0].Message, "reading the document: panic: visit failed (at ") {
			t.Fatalf("workers %d: internal = %+v", workers, res.Internal)
		}
		var names []string
		for _, o := range res.Inventory.Objects {
			names = append(names, o.Ref.Name)
		}
		if strings.Join(names, ",") != "a,c" || len(res.Errors) != 0 {
			t.Errorf("workers %d: objects %v, errors %v", workers, names, res.Errors)
		}
	}
	// Objects read elsewhere (a live cluster) are guarded alike.
	objs := []*inventory.Object{{}, {}, {}}
	objs[1].Ref.Name = "boom"
	res := Objects(objs, 1, Options{Visit: visit})
	if len(res.Internal) != 1 || res.Internal[0].Object == nil || res.Internal[0].Object.Name != "boom" {
		t.Errorf("Objects: internal = %+v", res.Internal)
	}
}

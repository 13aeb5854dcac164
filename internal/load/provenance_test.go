package load

import (
	"strings"
	"testing"

	"github.com/palisade-k8s/palisade/internal/finding"
)

// Every object's origin says what kind of input it came from, as a typed field (the
// printed File stays what it was).
func TestProvenance(t *testing.T) {
	for _, tc := range []struct {
		path string
		want finding.Provenance
	}{
		{"testdata/deployment.yaml", finding.FromFile},
		{"-", finding.FromStdin},
		{"testdata/chart", finding.FromRendered},
		{"testdata/kustomize/base", finding.FromRendered},
	} {
		res := Load([]string{tc.path}, Options{Stdin: strings.NewReader("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")})
		if len(res.Inventory.Objects) == 0 {
			t.Fatalf("%s: no objects (%v)", tc.path, res.Errors)
		}
		for _, o := range res.Inventory.Objects {
			want := tc.want
			if o.IsConfigFile() && o.Origin.Renderer == "" {
				want = finding.FromFile // testdata/chart/values-prod.yaml, beside the charts
			}
			if o.Origin.Provenance != want {
				t.Errorf("%s: %s from %+v has provenance %s, want %s", tc.path, o.Ref.Name, o.Origin, o.Origin.Provenance, want)
			}
		}
	}
	if res := Load([]string{"-"}, Options{Stdin: strings.NewReader("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")}); res.Inventory.Objects[0].Origin.File != StdinName {
		t.Errorf("standard input is printed as %q", res.Inventory.Objects[0].Origin.File)
	}
}

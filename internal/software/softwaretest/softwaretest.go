// Package softwaretest is test support for the catalogers: a fake image's layers.
package softwaretest

import (
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/palisade-k8s/palisade/internal/software"
)

// Layers is a fake image's software.Layers: for each file name, its content in each
// layer (the index is the layer), the last one the final version (LayerOf). A nil
// entry is a layer without a version of the file.
type Layers map[string][][]byte

// LayerOf is the last layer that has a version of name, -1 if none.
func (l Layers) LayerOf(name string) int { return len(l[name]) - 1 }

// Versions lists the versions of name, oldest first.
func (l Layers) Versions(name string) []software.Version {
	var out []software.Version
	for i, b := range l[name] {
		if b == nil {
			continue
		}
		out = append(out, software.Version{Layer: i, Open: func() (fs.File, error) { return fstest.MapFS{"f": {Data: b}}.Open("f") }})
	}
	return out
}

// Lines are pkgs, one line each as line writes it, in their order.
func Lines(pkgs []software.Package, line func(software.Package) string) []string {
	var out []string
	for _, p := range pkgs {
		out = append(out, line(p))
	}
	return out
}

// PURLLicensesPath is a package's line: its PURL, licenses and path.
func PURLLicensesPath(p software.Package) string {
	return p.PURL + " " + strings.Join(p.Licenses, ",") + " " + p.Location.Path
}

// EqualLines fails t unless got is want.
func EqualLines(t testing.TB, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// OneProblem fails t unless probs is one problem, on path.
func OneProblem(t testing.TB, probs []software.Problem, path string) {
	t.Helper()
	if len(probs) != 1 || probs[0].Path != path {
		t.Errorf("problems: %v", probs)
	}
}

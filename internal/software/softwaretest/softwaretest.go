// Package softwaretest is test support for the catalogers: a fake image's layers.
package softwaretest

import (
	"io/fs"
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

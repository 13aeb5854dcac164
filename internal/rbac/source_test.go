package rbac

import (
	"context"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/source"
)

// fromSource reads a source as `palisade rbac` does and builds its model.
func fromSource(src source.Source, opts Options) (*Model, []Problem, []finding.InputError, error) {
	res, err := src.Read(context.Background(), source.Needs{Kinds: Kinds, Finder: opts.Finder})
	if err != nil {
		return nil, nil, nil, err
	}
	m, problems, err := Build(res.Inventory.Objects, opts)
	return m, problems, res.AllErrors(), err
}

// readObjects reads a source with what the analysis decodes.
func readObjects(src source.Source) ([]*inventory.Object, []finding.InputError, error) {
	res, err := src.Read(context.Background(), source.Needs{Kinds: Kinds})
	if err != nil {
		return nil, nil, err
	}
	return res.Inventory.Objects, res.AllErrors(), nil
}

// ReadObjects is readObjects for the external tests.
var ReadObjects = readObjects

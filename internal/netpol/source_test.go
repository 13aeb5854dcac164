package netpol

import (
	"context"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/source"
)

// fromSource reads a source as `palisade netpol` does and builds its model: input
// errors (unreadable files, kinds not listed, invalid policies) come with the model.
func fromSource(src source.Source, opts Options) (*Model, []finding.InputError, error) {
	res, err := src.Read(context.Background(), source.Needs{Kinds: Kinds, Finder: opts.Finder, PodFacts: true})
	if err != nil {
		return nil, nil, err
	}
	m := Build(res.Inventory, opts)
	return m, append(res.AllErrors(), m.Errors...), nil
}

// readInventory reads a source with what the analysis decodes.
func readInventory(src source.Source) (*inventory.Inventory, []finding.InputError, error) {
	res, err := src.Read(context.Background(), source.Needs{Kinds: Kinds, PodFacts: true})
	if err != nil {
		return nil, nil, err
	}
	return res.Inventory, res.AllErrors(), nil
}

package netpol

import (
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/load"
	"github.com/palisade-k8s/palisade/internal/workload"
)

// Source yields the objects an analysis reads: manifests (Files) or a live cluster.
type Source interface {
	// Load returns the objects read and the inputs that could not be read; err is a
	// failure to read anything at all.
	Load() (inv *inventory.Inventory, inputErrors []finding.InputError, err error)
}

// Files reads manifests, charts and overlays with the same loader as scan.
type Files struct {
	Paths []string
	// Options are the loader's options; Decode and Visit are set by Load.
	Options load.Options
	// Finder recognises the objects that run pods (nil: the built-in kinds).
	Finder *workload.Finder
}

// Load reads the files. Only NetworkPolicies, Namespaces and objects that run pods
// are decoded.
func (f *Files) Load() (*inventory.Inventory, []finding.InputError, error) {
	finder := f.Finder
	if finder == nil {
		finder = builtinFinder
	}
	opts := loadOptions(finder, f.Options)
	res := load.Load(f.Paths, opts)
	errs := res.Errors
	if len(res.Inventory.Objects) == 0 && len(errs) == 0 {
		errs = append(errs, finding.InputError{Location: finding.Location{File: describe(f.Paths)},
			Message: "no Kubernetes objects found (no .yaml, .yml or .json manifests, charts or overlays with objects)"})
	}
	return res.Inventory, errs, nil
}

func describe(paths []string) string {
	s := ""
	for i, p := range paths {
		if i > 0 {
			s += " "
		}
		if p == "-" {
			p = "<stdin>"
		}
		s += p
	}
	return s
}

// FromSource loads a source and builds its model. Input errors (unreadable files,
// invalid policies) are returned with the model, which covers everything else.
func FromSource(src Source, opts Options) (*Model, []finding.InputError, error) {
	inv, errs, err := src.Load()
	if err != nil {
		return nil, nil, err
	}
	if f, ok := src.(*Files); ok && opts.Finder == nil {
		opts.Finder = f.Finder
	}
	m := Build(inv, opts)
	return m, append(errs, m.Errors...), nil
}

// loadOptions sets what every source needs of the loader: a full decode of
// NetworkPolicies, Namespaces and objects that run pods only, and their pod labels and
// ports read while each is parsed (in the parse workers, as a scan's engine does).
func loadOptions(finder *workload.Finder, opts load.Options) load.Options {
	opts.Decode = func(apiVersion, kind string) bool {
		if kind == "NetworkPolicy" || kind == "Namespace" {
			return true
		}
		_, ok := finder.Lookup(apiVersion, kind)
		return ok
	}
	opts.Visit = finder.Record
	return opts
}

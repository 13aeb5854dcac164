package load

import (
	"io"
	"strings"
	"sync"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
)

// Readable reports whether a file of this name is read when a directory walk finds
// it: a manifest (.yaml, .yml, .json) or a configuration file known by its name
// (.env, .npmrc, *.ini, ...). Readers of other trees (a git history) read the same
// files.
func Readable(name string) bool { return walkedFile(name) }

// SkipDir reports whether a directory walk leaves out a directory of this name (below
// the path named): hidden directories (.git, .github, .terraform) and node_modules,
// whose JSON and YAML files are packages' own, never the repository's manifests or
// settings. Readers of other trees (a git history) leave out the same directories.
func SkipDir(name string) bool {
	return strings.HasPrefix(name, ".") || name == "node_modules"
}

var splitters = sync.Pool{New: func() any { return new(splitter) }}

// Stream reads one input that is not a file on disk (a file of a git history): its
// documents are parsed as a file of that name found by a walk would be, in the
// calling goroutine, at locations based on base (File, Provenance, Commit). Visit
// and Retain apply as in Load; Workers and Context do not (the input is one
// stream). Nothing is rendered: a chart's template is read as a manifest.
func Stream(base finding.Location, r io.Reader, opts Options) *Result {
	res := &Result{Inventory: &inventory.Inventory{}, Files: 1}
	// A splitter's buffers are reused from one stream to the next, as Load reuses
	// them from one file to the next: a history has many small files.
	sp := splitters.Get().(*splitter)
	defer splitters.Put(sp)
	cr := &countingReader{r: r}
	split := sp.split
	if f := configFormat(base.File); f != "" {
		split = readWhole(f)
	}
	err := split(cr, opts.Limits, func(d document) error {
		if d.err != "" {
			loc := base
			loc.Document, loc.Line = d.index, d.line
			res.Errors = append(res.Errors, finding.InputError{Location: loc, Message: d.err})
			return nil
		}
		dr := parseJob(job{base: base, doc: d}, &opts)
		res.Inventory.Objects = append(res.Inventory.Objects, dr.objs...)
		res.Errors = append(res.Errors, dr.errs...)
		res.Internal = append(res.Internal, dr.internal...)
		return nil
	})
	res.Bytes = cr.n
	if err != nil {
		res.Errors = append(res.Errors, finding.InputError{Location: base, Message: "read: " + err.Error()})
	}
	return res
}

package load

import (
	"runtime"
	"sync"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
)

// Objects builds a load result from objects that were read elsewhere (the live
// cluster reader), applying the same options as Load: bodies are kept only for kinds
// opts.Decode asks for, Visit sees each object (concurrently), Retain may drop bodies.
// inputs is the count reported as inputs read. Object order is kept.
func Objects(objs []*inventory.Object, inputs int, opts Options) *Result {
	res := &Result{Inventory: &inventory.Inventory{Objects: objs}, Files: inputs}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	ch := make(chan *inventory.Object, workers*4)
	var (
		wg sync.WaitGroup
		mu sync.Mutex
	)
	visit := func(o *inventory.Object) {
		// A panic is an internal error on the object; the others are still read.
		defer func() {
			if v := recover(); v != nil {
				ref, loc := o.Ref, o.Origin
				ie := finding.InternalError{Object: &ref, Location: &loc, Message: "reading the object: " + finding.Recovered(v)}
				mu.Lock()
				res.Internal = append(res.Internal, ie)
				mu.Unlock()
			}
		}()
		if opts.Decode == nil || !opts.Decode(o.Ref.APIVersion, o.Ref.Kind) {
			o.Body, o.Lines = nil, nil
		}
		if opts.Visit != nil {
			opts.Visit(o)
		}
		if opts.Retain != nil && !opts.Retain(o) {
			o.Body, o.Lines = nil, nil
		}
	}
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for o := range ch {
				visit(o)
			}
		}()
	}
	for _, o := range objs {
		ch <- o
	}
	close(ch)
	wg.Wait()
	return res
}

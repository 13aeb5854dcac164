package rbac

import (
	"context"
	"fmt"
	"time"

	"k8s.io/client-go/rest"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/live"
	"github.com/palisade-k8s/palisade/internal/load"
	"github.com/palisade-k8s/palisade/internal/workload"
)

// Source yields the objects an analysis reads: manifests (Files) or a live cluster.
type Source interface {
	// Load returns the objects read and the inputs that could not be read; err is a
	// failure to read anything at all.
	Load() (objs []*inventory.Object, inputErrors []finding.InputError, err error)
}

// Files reads manifests, charts and overlays with the same loader as scan.
type Files struct {
	Paths []string
	// Options are the loader's options; Decode is set by Load.
	Options load.Options
	// Finder recognises the objects that run pods (nil: the built-in kinds).
	Finder *workload.Finder
	// Read is the number of inputs read, set by Load.
	Read int
}

// Load reads the files; only RBAC objects, ServiceAccounts and objects that run pods
// are decoded.
func (f *Files) Load() ([]*inventory.Object, []finding.InputError, error) {
	res := load.Load(f.Paths, LoadOptions(f.Finder, f.Options))
	f.Read = res.Files
	errs := res.Errors
	if len(res.Inventory.Objects) == 0 && len(errs) == 0 {
		errs = append(errs, finding.InputError{Location: finding.Location{File: describe(f.Paths)},
			Message: "no Kubernetes objects found (no .yaml, .yml or .json manifests, charts or overlays with objects)"})
	}
	return res.Inventory.Objects, errs, nil
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

// LoadOptions sets what the analysis needs of the loader: a full decode of RBAC
// objects, ServiceAccounts and objects that run pods only.
func LoadOptions(finder *workload.Finder, opts load.Options) load.Options {
	if finder == nil {
		finder = workload.NewFinder(nil)
	}
	opts.Decode = func(apiVersion, kind string) bool {
		switch kind {
		case "Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding", "ServiceAccount":
			return true
		}
		_, ok := finder.Lookup(apiVersion, kind)
		return ok
	}
	return opts
}

// clusterKinds are what the analysis lists from a live cluster.
var clusterKinds = map[string]bool{
	"CustomResourceDefinition": true, "ClusterRole": true, "ClusterRoleBinding": true,
	"Role": true, "RoleBinding": true, "ServiceAccount": true,
	"Deployment": true, "DaemonSet": true, "StatefulSet": true, "ReplicaSet": true,
	"ReplicationController": true, "CronJob": true, "Job": true, "Pod": true,
}

// Cluster reads a live cluster through the Kubernetes API (internal/live).
type Cluster struct {
	Config *rest.Config
	// Finder recognises the objects that run pods, custom kinds included.
	Finder *workload.Finder
	// Timeout bounds each list request (default 30s).
	Timeout time.Duration
	// Read is the number of lists read, set by Load.
	Read int
}

// Load lists the kinds the analysis needs. A kind that could not be listed is an
// input error: the answers would be incomplete without it.
func (c *Cluster) Load() ([]*inventory.Object, []finding.InputError, error) {
	f := c.Finder
	if f == nil {
		f = workload.NewFinder(nil)
	}
	var kinds []live.Kind
	for _, k := range live.Kinds {
		if clusterKinds[k.Kind] {
			kinds = append(kinds, k)
		}
	}
	res, err := live.Read(context.Background(), c.Config, live.Options{Kinds: kinds, Timeout: c.Timeout, RunsPods: func(apiVersion, kind string) bool {
		_, ok := f.Lookup(apiVersion, kind)
		return ok
	}})
	if err != nil {
		return nil, nil, err
	}
	var errs []finding.InputError
	for _, g := range res.Coverage {
		errs = append(errs, finding.InputError{Location: finding.Location{File: live.Origin},
			Message: fmt.Sprintf("%s (%s) not listed: %s", g.Kind, g.APIVersion, g.Reason)})
	}
	c.Read = res.Lists
	lr := load.Objects(res.Objects, res.Lists, LoadOptions(f, load.Options{}))
	return lr.Inventory.Objects, errs, nil
}

// FromSource loads a source and builds its model. Input errors are returned with the
// model, which covers everything that could be read.
func FromSource(src Source, opts Options) (*Model, []Problem, []finding.InputError, error) {
	objs, errs, err := src.Load()
	if err != nil {
		return nil, nil, nil, err
	}
	m, problems, err := Build(objs, opts)
	if err != nil {
		return nil, nil, errs, err
	}
	return m, problems, errs, nil
}

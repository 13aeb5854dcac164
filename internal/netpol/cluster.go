package netpol

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

// clusterKinds are what the analysis lists from a live cluster: namespaces, policies,
// the objects that run pods, and CRDs (whose custom kinds may run pods).
var clusterKinds = map[string]bool{
	"Namespace": true, "CustomResourceDefinition": true, "NetworkPolicy": true,
	"Deployment": true, "DaemonSet": true, "StatefulSet": true, "ReplicaSet": true,
	"ReplicationController": true, "CronJob": true, "Job": true, "Pod": true,
}

// Cluster reads a live cluster through the Kubernetes API (internal/live). Pods and
// ReplicaSets that a controller owns are read through the controller's pod template,
// as `palisade cluster` does.
type Cluster struct {
	Config *rest.Config
	// Finder recognises the objects that run pods, custom kinds included.
	Finder *workload.Finder
	// Timeout bounds each list request (default 30s).
	Timeout time.Duration
}

func (c *Cluster) finder() *workload.Finder {
	if c.Finder == nil {
		return builtinFinder
	}
	return c.Finder
}

// Read lists the kinds the analysis needs. Lists the API refuses or fails are coverage
// gaps in the result, not errors.
func (c *Cluster) Read(ctx context.Context) (*live.Result, error) {
	var kinds []live.Kind
	for _, k := range live.Kinds {
		if clusterKinds[k.Kind] {
			kinds = append(kinds, k)
		}
	}
	f := c.finder()
	return live.Read(ctx, c.Config, live.Options{Kinds: kinds, Timeout: c.Timeout, RunsPods: func(apiVersion, kind string) bool {
		_, ok := f.Lookup(apiVersion, kind)
		return ok
	}})
}

// Load reads the cluster. A kind that could not be listed is an input error: the
// analysis would be incomplete without it.
func (c *Cluster) Load() (*inventory.Inventory, []finding.InputError, error) {
	res, err := c.Read(context.Background())
	if err != nil {
		return nil, nil, err
	}
	var errs []finding.InputError
	for _, g := range res.Coverage {
		errs = append(errs, finding.InputError{Location: finding.Location{File: live.Origin},
			Message: fmt.Sprintf("%s (%s) not listed: %s", g.Kind, g.APIVersion, g.Reason)})
	}
	lr := load.Objects(res.Objects, res.Lists, loadOptions(c.finder(), load.Options{}))
	return lr.Inventory, errs, nil
}

package source

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/live"
	"github.com/palisade-k8s/palisade/internal/nodefacts"
	"github.com/palisade-k8s/palisade/internal/nodeprofile"
)

// configzNote says what a facts object read from /configz lacks.
const configzNote = "read from the kubelet's /configz through the API server (cluster --nodes): the effective configuration only; no command line, file, owner or permission, so the file checks are unknown"

// NodeFacts turns a node's /configz into a facts object (source configz), with the
// node's labels and status.nodeInfo, and the profile: profile when named
// (--profile), else the one nodeprofile.Choose picks from the node's labels, OS
// image and kubelet version.
func NodeFacts(n live.NodeConfig, profile string) (*nodefacts.Facts, error) {
	f := &nodefacts.Facts{
		APIVersion: nodefacts.APIVersion, Kind: nodefacts.Kind,
		Metadata:      nodefacts.Metadata{Name: n.Name},
		SchemaVersion: nodefacts.SchemaVersion,
		Source:        nodefacts.SourceConfigz,
		Node: nodefacts.NodeInfo{
			OSImage: n.OSImage, KernelVersion: n.KernelVersion, KubeletVersion: n.KubeletVersion,
			Labels: n.Labels,
		},
		Components: []nodefacts.Component{},
		Files:      []nodefacts.File{},
		Configz:    n.Configz,
		Notes:      []string{configzNote},
	}
	if profile != "" {
		if _, ok := nodeprofile.Get(profile); !ok {
			return nil, fmt.Errorf("unknown profile %q", profile)
		}
		f.Profile, f.ProfileReason = profile, "--profile"
	} else if p, why := nodeprofile.Choose(f); p != nil {
		f.Profile, f.ProfileReason = p.Name, why
	}
	if err := f.Validate(); err != nil {
		return nil, err
	}
	return f, nil
}

// nodeObject is the inventory object of a node's facts read from a cluster.
func nodeObject(f *nodefacts.Facts) (*inventory.Object, error) {
	data, err := json.Marshal(f)
	if err != nil {
		return nil, err
	}
	var body map[string]any
	if err := json.Unmarshal(data, &body); err != nil {
		return nil, err
	}
	return &inventory.Object{
		Ref:    finding.ObjectRef{APIVersion: nodefacts.APIVersion, Kind: nodefacts.Kind, Name: f.Metadata.Name},
		Origin: finding.Location{File: live.Origin, Provenance: finding.FromCluster},
		Body:   body,
	}, nil
}

// readNodes reads the nodes' kubelet configurations for Cluster.Read: facts
// objects, and the nodes not read as coverage gaps.
func (c *Cluster) readNodes(ctx context.Context, objs []*inventory.Object) ([]*inventory.Object, []finding.CoverageGap, error) {
	nr, err := live.ReadNodes(ctx, c.Config, live.NodeOptions{Timeout: c.Timeout, Progress: c.Progress})
	if err != nil {
		return nil, nil, err
	}
	gaps := nr.Coverage
	for _, n := range nr.Nodes {
		f, err := NodeFacts(n, c.Profile)
		if err == nil {
			var o *inventory.Object
			if o, err = nodeObject(f); err == nil {
				objs = append(objs, o)
				continue
			}
		}
		gaps = append(gaps, finding.CoverageGap{Kind: "Node", APIVersion: "v1", Name: n.Name, Reason: "its /configz could not be turned into node facts: " + err.Error()})
	}
	return objs, gaps, nil
}

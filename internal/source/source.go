// Package source is Palisade's one input layer. A Source (manifests, charts and
// overlays on disk or standard input; a live cluster; objects already in memory) is
// read with what its consumer needs (Needs: which kinds to decode and list, how to
// find pod templates, the streaming hooks of the engine) and yields a Result: an
// inventory plus input errors, coverage gaps, notices and the number of inputs read.
// `scan`, `cluster`, `netpol` and `rbac` all read their input here; analyzers build
// from the Result's inventory and never reach the loader or the API client
// themselves.
package source

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"k8s.io/client-go/rest"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/live"
	"github.com/palisade-k8s/palisade/internal/load"
	"github.com/palisade-k8s/palisade/internal/workload"
)

// Source is where objects come from.
type Source interface {
	// Read reads the input. Problems with part of the input are in the Result;
	// err is a failure to read anything at all (no cluster connection, the command
	// interrupted).
	Read(ctx context.Context, n Needs) (*Result, error)
	// Describe names the input for a message about all of it ("no objects found").
	Describe() string
}

// Needs is what the consumer of a read needs of it.
type Needs struct {
	// Kinds are the kinds the consumer reads: they are fully decoded, and listed
	// from a live cluster (with the kinds that run pods, and the CRDs that may
	// define more). For rules: RuleKinds.
	Kinds []string
	// Decode, if set, replaces the decision derived from Kinds and Finder of which
	// kinds are fully decoded (the engine's Decoder).
	Decode func(apiVersion, kind string) bool
	// Finder recognises the objects that run pods (nil: the built-in kinds).
	Finder *workload.Finder
	// Visit runs on every object as it is read, in the parse workers; Retain says
	// whether its body is kept afterwards (nil: kept). Together they let the engine
	// check objects while they stream and drop bodies it no longer needs.
	Visit  func(o *inventory.Object)
	Retain func(o *inventory.Object) bool
	// Workers bounds the parse workers (0: GOMAXPROCS).
	Workers int
	// PodFacts records, on every object that runs pods, its pod labels, network and
	// identity as it streams (before Visit), for analyzers that read them without
	// the engine (which records them itself).
	PodFacts bool
}

func (n Needs) finder() *workload.Finder {
	if n.Finder == nil {
		return workload.NewFinder(nil)
	}
	return n.Finder
}

// decoder is Decode, or Kinds and the kinds that run pods.
func (n Needs) decoder() func(apiVersion, kind string) bool {
	if n.Decode != nil {
		return n.Decode
	}
	kinds := map[string]bool{}
	for _, k := range n.Kinds {
		kinds[k] = true
	}
	f := n.finder()
	return func(apiVersion, kind string) bool {
		if kinds[kind] {
			return true
		}
		_, ok := f.Lookup(apiVersion, kind)
		return ok
	}
}

func (n Needs) loadOptions(o load.Options) load.Options {
	o.Decode, o.Visit, o.Retain, o.Workers = n.decoder(), n.Visit, n.Retain, n.Workers
	if n.PodFacts {
		f, visit := n.finder(), n.Visit
		o.Visit = func(obj *inventory.Object) {
			f.Record(obj)
			if visit != nil {
				visit(obj)
			}
		}
	}
	return o
}

// Result is what a read produced.
type Result struct {
	Inventory *inventory.Inventory
	// Errors are inputs that could not be read (exit code 3).
	Errors []finding.InputError
	// Coverage lists what a live read could not list, and why (exit code 3).
	Coverage []finding.CoverageGap
	// Notices are what is not an error (objects defined twice, links out of the tree).
	Notices []finding.Notice
	// Internal are failures of Palisade itself on part of the input.
	Internal []finding.InternalError
	// Inputs counts what was read: files and document streams, or list calls.
	Inputs int
	// SecretsRedacted is true when a live read dropped Secret values.
	SecretsRedacted bool
	// History is what a read of a git history (GitHistory) covered; nil otherwise.
	History *HistoryRead
}

// ConfigFiles counts the configuration files (and Dockerfiles) read beside the
// manifests: files, not documents; a chart's own values files are part of the chart,
// counted as its input. Images are not files (see Images).
func (r *Result) ConfigFiles() int {
	files := map[string]bool{}
	for _, o := range r.Inventory.Objects {
		if o.Ref.IsPseudo() && !o.Ref.IsImage() && o.Ref.Kind != finding.NodeFactsKind && o.Origin.Provenance != finding.FromRendered {
			files[o.Origin.File] = true
		}
	}
	return len(files)
}

// Nodes counts the nodes' facts read (objects of kind NodeFacts: facts files, or
// kubelets' /configz).
func (r *Result) Nodes() int {
	n := 0
	for _, o := range r.Inventory.Objects {
		if o.Ref.Kind == finding.NodeFactsKind && o.Ref.IsPseudo() {
			n++
		}
	}
	return n
}

// Images are the images read (objects of inventory.ImageKind), in input order.
func (r *Result) Images() []*inventory.ImageInfo {
	var out []*inventory.ImageInfo
	for _, o := range r.Inventory.Objects {
		if o.Image != nil {
			out = append(out, o.Image)
		}
	}
	return out
}

// Protected counts the secret sources kept out of plain text, by protection:
// "SOPS" (documents, objects included, that carry SOPS metadata), "SealedSecret"
// (bitnami.com), "ExternalSecret" and "ClusterExternalSecret" (external-secrets.io).
// Nil when there are none.
func (r *Result) Protected() map[string]int {
	var out map[string]int
	for _, o := range r.Inventory.Objects {
		var by string
		switch group := o.Group(); {
		case o.SOPS != nil:
			by = "SOPS"
		case group == "bitnami.com" && o.Ref.Kind == "SealedSecret",
			group == "external-secrets.io" && (o.Ref.Kind == "ExternalSecret" || o.Ref.Kind == "ClusterExternalSecret"):
			by = o.Ref.Kind
		default:
			continue
		}
		if out == nil {
			out = map[string]int{}
		}
		out[by]++
	}
	return out
}

// AllErrors is Errors followed by each coverage gap as an input error, for the
// analyzers, whose answers would be incomplete without the kinds not listed.
func (r *Result) AllErrors() []finding.InputError {
	errs := append([]finding.InputError(nil), r.Errors...)
	for _, g := range r.Coverage {
		errs = append(errs, finding.InputError{Location: finding.Location{File: live.Origin, Provenance: finding.FromCluster},
			Message: fmt.Sprintf("%s (%s) not listed: %s", g.Kind, g.APIVersion, g.Reason)})
	}
	return errs
}

// Describe names inputs in a message about all of them: the paths, "-" as <stdin>.
func Describe(paths []string) string {
	out := make([]string, len(paths))
	for i, p := range paths {
		if p == "-" {
			p = load.StdinName
		}
		out[i] = p
	}
	return strings.Join(out, " ")
}

// InterruptedError says a read of files stopped because its context ended (the
// command was interrupted). A live read says so with a *live.InterruptedError.
type InterruptedError struct {
	Input string
	Err   error
}

func (e *InterruptedError) Error() string {
	return fmt.Sprintf("reading %s interrupted: %v", e.Input, e.Err)
}

func (e *InterruptedError) Unwrap() error { return e.Err }

// NothingFound is the input error of a read of files that found neither a
// Kubernetes object nor a configuration file.
const NothingFound = "neither a Kubernetes object nor a configuration file found (no .yaml, .yml or .json manifests, charts or overlays with objects, nor configuration files such as values files, .env, .npmrc, .ini, .properties or .toml)"

// Files reads manifests, Helm charts and Kustomize overlays (internal/load), "-"
// from Stdin, and the configuration files beside them (inventory.Object.Config).
type Files struct {
	Paths []string
	Stdin io.Reader
	// Namespace is the namespace of objects that name none, and Helm's release
	// namespace.
	Namespace string
	Helm      load.HelmOptions
	// Limits bound what one input may cost (zero fields: the loader's defaults).
	Limits load.Limits
	// Render bounds what rendering one chart or overlay may cost.
	Render load.RenderLimits
}

// Describe implements Source.
func (f *Files) Describe() string { return Describe(f.Paths) }

// Read implements Source. Reading nothing at all is an input error: it is almost
// always a wrong path in CI. The end of ctx stops the read (an *InterruptedError).
func (f *Files) Read(ctx context.Context, n Needs) (*Result, error) {
	lr := load.Load(f.Paths, n.loadOptions(load.Options{
		Namespace: f.Namespace, Helm: f.Helm, Limits: f.Limits, Render: f.Render, Stdin: f.Stdin,
		Context: ctx,
	}))
	if lr.Interrupted != nil {
		return nil, &InterruptedError{Input: f.Describe(), Err: lr.Interrupted}
	}
	res := &Result{Inventory: lr.Inventory, Errors: lr.Errors, Notices: lr.Notices, Internal: lr.Internal, Inputs: lr.Files}
	if len(res.Inventory.Objects) == 0 && len(res.Errors) == 0 {
		// Configuration files count: a directory of values files or .env files is
		// read, and scanned for credentials; a path with neither is a mistake.
		res.Errors = append(res.Errors, finding.InputError{
			Location: finding.Location{File: f.Describe()},
			Message:  NothingFound,
		})
	}
	return res, nil
}

// Cluster reads a live cluster through the Kubernetes API (internal/live): the kinds
// of Needs.Kinds that it knows how to list, the kinds that run pods, and the CRDs
// whose custom kinds run pods. Pods and ReplicaSets a controller owns are read
// through the controller's template.
type Cluster struct {
	Config *rest.Config
	// Namespace limits namespaced kinds to one namespace ("" for all).
	Namespace string
	// IncludeSecretValues keeps Secrets' values.
	IncludeSecretValues bool
	// Timeout bounds each list request (default 30s).
	Timeout time.Duration
	// Progress, if set, receives one line per kind listed.
	Progress io.Writer
	// Nodes also reads each node's kubelet configuration from its /configz through
	// the API server (which needs get on nodes/proxy, and list on nodes) as a
	// NodeFacts object; a node that cannot be read is a coverage gap.
	Nodes bool
	// Profile names the distribution profile of every node read (nodeprofile);
	// "" chooses one per node from its labels, OS image and kubelet version.
	Profile string
}

// Describe implements Source.
func (c *Cluster) Describe() string { return live.Origin }

// Read implements Source. Lists the API refuses or fails are coverage gaps; the end
// of ctx is an error (*live.InterruptedError).
func (c *Cluster) Read(ctx context.Context, n Needs) (*Result, error) {
	f := n.finder()
	kinds, unknown := live.Select(ClusterKinds(n.Kinds))
	lr, err := live.Read(ctx, c.Config, live.Options{
		Namespace: c.Namespace, IncludeSecretValues: c.IncludeSecretValues, Timeout: c.Timeout,
		Progress: c.Progress, Kinds: kinds,
		RunsPods: func(apiVersion, kind string) bool {
			_, ok := f.Lookup(apiVersion, kind)
			return ok
		},
	})
	if err != nil {
		return nil, err
	}
	objs := lr.Objects
	if objs == nil {
		objs = []*inventory.Object{}
	}
	var nodeGaps []finding.CoverageGap
	if c.Nodes {
		if objs, nodeGaps, err = c.readNodes(ctx, objs); err != nil {
			return nil, err
		}
	}
	res := streamObjects(objs, lr.Lists, n)
	res.Coverage, res.SecretsRedacted = append(lr.Coverage, nodeGaps...), lr.SecretsRedacted
	// A kind a rule names that no list reads (a kind of a custom rule's match.kinds
	// outside live.Kinds) is a gap, not a pass. Kinds that run pods are listed
	// through their CustomResourceDefinitions.
	for _, k := range unknown {
		if _, fileOnly := FileOnly[k]; !fileOnly && k != "*" && !f.HasKind(k) {
			res.Coverage = append(res.Coverage, finding.CoverageGap{Kind: k, APIVersion: "*", Reason: "palisade does not list this kind from a cluster (a rule of the configuration names it)"})
		}
	}
	return res, nil
}

// Objects are objects already in memory (an admission request, objects read once
// and analysed twice), with what reading them produced.
type Objects struct {
	Objects []*inventory.Object
	// Inputs is the count reported as inputs read.
	Inputs   int
	Errors   []finding.InputError
	Coverage []finding.CoverageGap
	// Name names them in messages (default "objects").
	Name string
}

// Describe implements Source.
func (o *Objects) Describe() string {
	if o.Name == "" {
		return "objects"
	}
	return o.Name
}

// Read implements Source: the objects go through the hooks of n as parsed documents
// would.
func (o *Objects) Read(_ context.Context, n Needs) (*Result, error) {
	objs := o.Objects
	if objs == nil {
		objs = []*inventory.Object{}
	}
	res := streamObjects(objs, o.Inputs, n)
	res.Errors = append(append([]finding.InputError(nil), o.Errors...), res.Errors...)
	res.Coverage = o.Coverage
	return res, nil
}

func streamObjects(objs []*inventory.Object, inputs int, n Needs) *Result {
	lr := load.Objects(objs, inputs, n.loadOptions(load.Options{}))
	return &Result{Inventory: lr.Inventory, Errors: lr.Errors, Notices: lr.Notices, Internal: lr.Internal, Inputs: lr.Files}
}

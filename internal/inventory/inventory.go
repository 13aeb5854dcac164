// Package inventory holds every object a scan loaded, with where each came from, and
// builds the shared indexes that cross-object rules ask for, once per scan.
package inventory

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"k8s.io/apimachinery/pkg/runtime"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/signature"
)

// Object is one Kubernetes object as loaded. Header fields are always present. Body is
// the fully decoded object and Lines its field-to-line table; both are filled only for
// kinds some rule needs (see load.Options.Decode), so that large custom resources and
// CRDs cost only a parse.
type Object struct {
	Ref         finding.ObjectRef
	Labels      map[string]string
	Annotations map[string]string
	Origin      finding.Location
	// Body is the decoded object (JSON-compatible values), or nil if not decoded.
	Body map[string]any
	// Lines maps a field path ("spec.template.spec.containers[0].image") to its line.
	Lines *Lines
	// CRD is set on CustomResourceDefinitions: the kind and scope they define.
	CRD *CRDInfo
	// Config is set when the document is not a Kubernetes object but a configuration
	// file read for credentials (a Helm values file, a .env, an .npmrc): see
	// ConfigInfo. Its Ref is ConfigFileAPIVersion/ConfigFileKind, named by its file.
	Config *ConfigInfo
	// SOPS is set when the document (an object or a configuration file) carries SOPS
	// metadata: its values are encrypted, except those its rules leave in plain text.
	SOPS *SOPSInfo
	// Image is set on container images (ImageKind): see ImageInfo.
	Image *ImageInfo
	// NamespaceDefaulted is true when the manifest names no namespace: the namespace
	// came from the scan's --namespace option or, without one, is "default".
	NamespaceDefaulted bool
	// NamespaceFromOption is true when that default came from the scan's --namespace
	// option: the user said where the object is deployed (see NamespaceKnown).
	NamespaceFromOption bool
	// HeaderLines are the lines of the metadata fields every object keeps, so that
	// findings on headers resolve to a line even when the body was not decoded.
	HeaderLines struct {
		Metadata, Name, Namespace, Annotations int
		// AnnotationKeys holds the line of each annotation key, in input order.
		AnnotationKeys []KeyLine
	}

	// facts holds the values of the facts recorded about the object, by Fact slot.
	facts []any
}

// Fact is a typed side table of objects: a value of type T that an analyzer records
// about an object, usually while the object's body is decoded, so that later stages
// read it without keeping the body (the pod labels, network and identity of a
// workload: see workload.Finder.Record). Facts keep analyzer-specific data off
// Object; declare one as a package variable of the analyzer:
//
//	var PodLabels = inventory.NewFact[map[string]string]("pod-labels")
//	...
//	PodLabels.Set(o, labels)
//	labels, ok := PodLabels.Of(o)
//
// Set and Of are not synchronised: one goroutine records an object's facts (the
// parse worker that decoded it) before other stages read them.
type Fact[T any] struct {
	name string
	slot int
}

var (
	factsMu   sync.Mutex
	factNames = map[string]bool{}
	// factCount is the number of facts: an object's table is made that long at once.
	factCount atomic.Int32
)

// NewFact registers a fact. It panics on a duplicate name.
func NewFact[T any](name string) *Fact[T] {
	factsMu.Lock()
	defer factsMu.Unlock()
	if factNames[name] {
		panic("inventory: duplicate fact " + name)
	}
	factNames[name] = true
	return &Fact[T]{name: name, slot: int(factCount.Add(1)) - 1}
}

// Name returns the fact's name.
func (f *Fact[T]) Name() string { return f.name }

// Set records the fact about o.
func (f *Fact[T]) Set(o *Object, v T) {
	if f.slot >= len(o.facts) {
		facts := make([]any, max(f.slot+1, int(factCount.Load())))
		copy(facts, o.facts)
		o.facts = facts
	}
	o.facts[f.slot] = v
}

// Of returns the fact recorded about o; ok is false when none was.
func (f *Fact[T]) Of(o *Object) (v T, ok bool) {
	if f.slot < len(o.facts) && o.facts[f.slot] != nil {
		return o.facts[f.slot].(T), true
	}
	return v, false
}

// The reference of a configuration file: no API server serves this kind. Rules see
// such objects only when they name ConfigFileKind in Rule.Kinds (rules.AnyKind does
// not include them).
const (
	ConfigFileAPIVersion = finding.ConfigFileAPIVersion
	ConfigFileKind       = finding.ConfigFileKind
	// DockerfileKind is the kind of a Dockerfile's object (see load): Body
	// {"stages": [{"from", "base", "name", "instructions": [{"keyword", "value",
	// "flags", "args"}]}]}, Lines "stages[i]" (the FROM line) and
	// "stages[i].instructions[j]" (the instruction's first line).
	DockerfileKind = finding.DockerfileKind
	// NodeFactsKind is the kind of a node's facts file (internal/nodefacts).
	NodeFactsKind = finding.NodeFactsKind
)

// ConfigInfo describes a configuration file. Its Object's Body is {"data": tree},
// where tree is the file's content as JSON-compatible values: the document itself
// for YAML and JSON (a mapping or a sequence), a mapping of key to string value for
// dotenv, .npmrc and .properties files, a mapping of section to mapping for INI
// files (keys before any section are at the top). Lines maps "data.<key path>" to
// the line of each key, as for Kubernetes objects.
type ConfigInfo struct {
	// Format is "yaml", "json", "dotenv", "ini", "npmrc", "properties" or "toml".
	Format string
}

// IsConfigFile reports whether the object is a configuration file rather than a
// Kubernetes object.
func (o *Object) IsConfigFile() bool { return o.Config != nil }

// SOPSInfo is the part of a document's SOPS metadata that says which values are
// encrypted (https://github.com/getsops/sops: the "sops" mapping of YAML and JSON
// files, the sops_* keys of dotenv and INI files). At most one of the suffix and
// regular-expression settings is set by sops; none means every value is encrypted.
type SOPSInfo struct {
	Version                                        string
	UnencryptedSuffix, EncryptedSuffix             string
	UnencryptedRegex, EncryptedRegex               string
	UnencryptedCommentRegex, EncryptedCommentRegex string
	// MACOnlyEncrypted: the MAC covers only the encrypted values.
	MACOnlyEncrypted bool
}

// KeyLine is the line of one mapping key.
type KeyLine struct {
	Key  string
	Line int
}

// CRDInfo is what a CustomResourceDefinition defines.
type CRDInfo struct {
	Group, Kind string
	// Scope is "Namespaced" or "Cluster".
	Scope string
}

// Group returns the API group of the object ("" for the core group).
func (o *Object) Group() string {
	if i := strings.IndexByte(o.Ref.APIVersion, '/'); i >= 0 {
		return o.Ref.APIVersion[:i]
	}
	return ""
}

// NamespaceKnown reports whether the input says where a namespaced object is deployed:
// its manifest names the namespace, or the scan's --namespace option gives it one. An
// object with neither lands wherever it is eventually deployed, so rules about
// what its namespace enforces or lacks leave it out.
func (o *Object) NamespaceKnown() bool {
	return o.Ref.Namespace != "" && (!o.NamespaceDefaulted || o.NamespaceFromOption)
}

// LineOf resolves a field path to the line of the deepest part of it that exists in
// the input, so that a finding about a missing field points at its parent.
func (o *Object) LineOf(path string) int {
	line, n := o.Lines.Deepest(path)
	// Header lines answer for the parts of the path deeper than the table's.
	for p := path; len(p) > n; p = parentPath(p) {
		if l := o.headerLine(p); l > 0 {
			return l
		}
	}
	if n > 0 {
		return line
	}
	return o.Origin.Line
}

func (o *Object) headerLine(path string) int {
	switch path {
	case "metadata.name":
		return o.HeaderLines.Name
	case "metadata.namespace":
		return o.HeaderLines.Namespace
	case "metadata":
		return o.HeaderLines.Metadata
	case "metadata.annotations":
		return o.HeaderLines.Annotations
	}
	if rest, ok := strings.CutPrefix(path, "metadata.annotations"); ok {
		key, ok := strings.CutPrefix(rest, ".")
		if !ok && strings.HasPrefix(rest, "['") && strings.HasSuffix(rest, "']") {
			key, ok = rest[2:len(rest)-2], true
		}
		if ok {
			for _, kl := range o.HeaderLines.AnnotationKeys {
				if kl.Key == key {
					return kl.Line
				}
			}
		}
	}
	return 0
}

// LocationOf returns the source location of a field path in the object.
func (o *Object) LocationOf(path string) finding.Location {
	loc := o.Origin
	loc.Line = o.LineOf(path)
	return loc
}

func parentPath(p string) string {
	if strings.HasSuffix(p, "]") {
		if i := strings.LastIndexByte(p, '['); i >= 0 {
			return p[:i]
		}
	}
	if i := strings.LastIndexByte(p, '.'); i >= 0 {
		return p[:i]
	}
	return ""
}

// Inventory is the set of objects of one scan, in input order.
type Inventory struct {
	Objects []*Object
	// ImageTrust holds the signature verdict of each image reference (as written in
	// the workloads, or named on the command line) that was verified against the
	// images.verify policy: filled by the source (scan --images, image verify) or by
	// the admission review, read by PAL-115 and PAL-116. Nil when nothing was
	// verified.
	ImageTrust map[string]*signature.Result

	mu      sync.Mutex
	indexes map[AnyIndex]any
}

// Index is a typed handle on a shared index: a value of type T that its builder
// derives from a whole inventory, built once per inventory on first use (Get).
// Rules declare the indexes they read in rules.Rule.Needs and read them with Get,
// so an index's type is checked by the compiler instead of asserted from a name:
//
//	var podsByNamespace = inventory.NewIndex("pods-by-namespace", nil, buildPods)
//	...
//	pods := inventory.Get(p.Inventory, podsByNamespace)
type Index[T any] struct {
	name  string
	kinds []string
	build func(*Inventory) T
}

// AnyIndex is an Index of any type, as rules.Rule.Needs lists it. Only this
// package implements it.
type AnyIndex interface {
	// Name is the index's name, unique among the registered indexes.
	Name() string
	// Kinds are the kinds whose decoded bodies the builder reads (nil for an index
	// of headers only).
	Kinds() []string
	// registered reports whether NewIndex made the index.
	registered() bool
	buildOn(inv *Inventory)
}

var (
	namesMu sync.Mutex
	names   = map[string]bool{}
)

// NewIndex registers an index. kinds are the kinds whose decoded bodies build reads
// (for example LimitRange defaults; nil if it reads headers only): the engine
// decodes and keeps the bodies of those kinds whenever an enabled rule needs the
// index, so that the index does not depend on which other rules happen to be
// enabled. Analyzers that need a richer index (an RBAC graph, a selector index)
// declare it next to their rules, as a package variable. It panics on a duplicate
// name.
func NewIndex[T any](name string, kinds []string, build func(*Inventory) T) *Index[T] {
	namesMu.Lock()
	defer namesMu.Unlock()
	if names[name] {
		panic("inventory: duplicate index " + name)
	}
	names[name] = true
	return &Index[T]{name: name, kinds: append([]string(nil), kinds...), build: build}
}

// Name returns the index's name.
func (ix *Index[T]) Name() string { return ix.name }

// Kinds returns the kinds whose bodies the index reads (nil for header-only indexes).
func (ix *Index[T]) Kinds() []string { return ix.kinds }

func (ix *Index[T]) registered() bool { return ix != nil && ix.build != nil }

func (ix *Index[T]) buildOn(inv *Inventory) { Get(inv, ix) }

// Registered reports whether an index was made by NewIndex (a zero Index, or nil,
// names nothing).
func Registered(ix AnyIndex) bool { return ix != nil && ix.registered() }

// Build builds an index of inv now, if it is not built yet: the engine builds every
// needed index before the rules that read it run in parallel.
func Build(inv *Inventory, ix AnyIndex) { ix.buildOn(inv) }

// Get returns an index of inv, built once per inventory on first use. Concurrent
// callers share one build.
func Get[T any](inv *Inventory, ix *Index[T]) T {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	if v, ok := inv.indexes[ix]; ok {
		return v.(T)
	}
	v := ix.build(inv)
	if inv.indexes == nil {
		inv.indexes = map[AnyIndex]any{}
	}
	inv.indexes[ix] = v
	return v
}

// The shared indexes of headers every inventory offers.
var (
	// ObjectsByNamespace holds the objects of each namespace ("" for cluster-scoped
	// objects).
	ObjectsByNamespace = NewIndex("namespace", nil, func(inv *Inventory) map[string][]*Object {
		m := map[string][]*Object{}
		for _, o := range inv.Objects {
			m[o.Ref.Namespace] = append(m[o.Ref.Namespace], o)
		}
		return m
	})
	// ObjectsByKind holds the objects of each kind.
	ObjectsByKind = NewIndex("kind", nil, func(inv *Inventory) map[string][]*Object {
		m := map[string][]*Object{}
		for _, o := range inv.Objects {
			m[o.Ref.Kind] = append(m[o.Ref.Kind], o)
		}
		return m
	})
)

// ByNamespace returns the objects of each namespace ("" for cluster-scoped objects).
func (inv *Inventory) ByNamespace() map[string][]*Object { return Get(inv, ObjectsByNamespace) }

// ByKind returns the objects of each kind.
func (inv *Inventory) ByKind() map[string][]*Object { return Get(inv, ObjectsByKind) }

// Kinds counts objects by kind, sorted by kind name.
func (inv *Inventory) Kinds() []KindCount {
	m := map[string]int{}
	for _, o := range inv.Objects {
		m[o.Ref.Kind]++
	}
	out := make([]KindCount, 0, len(m))
	for k, n := range m {
		out = append(out, KindCount{k, n})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Kind < out[j].Kind })
	return out
}

// KindCount is a number of objects of one kind.
type KindCount struct {
	Kind  string
	Count int
}

// Decode converts the decoded body into a typed API object (for example
// *rbacv1.ClusterRole). It fails if the body was not decoded (the kind was not
// requested through Rule.Kinds) or does not fit the type.
func (o *Object) Decode(out any) (err error) {
	if o.Body == nil {
		return fmt.Errorf("%s: body not decoded", o.Ref)
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s: cannot decode: %v", o.Ref, r)
		}
	}()
	return runtime.DefaultUnstructuredConverter.FromUnstructured(o.Body, out)
}

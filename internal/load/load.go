// Package load turns the user's inputs (files, directories, stdin, Helm charts and
// Kustomize overlays) into an inventory of objects that remember where they came from.
// Every input mode of Palisade goes through it.
package load

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
)

// Options says how to load.
type Options struct {
	// Namespace is given to namespaced objects that name none ("default" if empty).
	Namespace string
	// Decode reports whether objects of a kind must be fully decoded (with their line
	// table). Other objects keep only their header. Nil decodes nothing.
	Decode func(apiVersion, kind string) bool
	// Helm rendering settings.
	Helm HelmOptions
	// Render bounds what rendering one chart or overlay may cost.
	Render RenderLimits
	// Stdin is read for the path "-" (os.Stdin if nil).
	Stdin io.Reader
	// Workers bounds parse parallelism (GOMAXPROCS if 0).
	Workers int
	// Visit, if set, is called for each object from the parse workers, concurrently,
	// while its body is decoded.
	Visit func(o *inventory.Object)
	// Retain, if set, decides after Visit whether an object keeps its Body and Lines;
	// dropping them keeps memory below the input size on large inputs.
	Retain func(o *inventory.Object) bool
	// Limits bound what one input, document and object may cost.
	Limits Limits
	// Context, if set, stops reading when it ends: no further input is opened and
	// the current one is not read on (Result.Interrupted then says why).
	Context context.Context

	// charts counts the charts a load rendered (their --values files are then read
	// as configuration files).
	charts int
}

// HelmOptions are the settings for rendering charts.
type HelmOptions struct {
	ValuesFiles []string
	Set         []string
	ReleaseName string
	KubeVersion string
}

// RenderLimits bound the rendering of one Helm chart or Kustomize overlay; exceeding
// one is an input error for that input, and the rest of the scan goes on.
type RenderLimits struct {
	// Timeout is the time one chart may take to render (DefaultRenderTimeout if 0).
	Timeout time.Duration
	// MaxBytes caps the output of one chart or overlay, any one value a template
	// builds, and each file kustomize reads (DefaultRenderMaxBytes if 0). A chart's
	// templates may produce at most WorkFactor times as much in all (intermediate
	// values and the output of include and tpl).
	MaxBytes int64
}

const (
	DefaultRenderTimeout  = 30 * time.Second
	DefaultRenderMaxBytes = 64 << 20
	// WorkFactor is how much more than RenderLimits.MaxBytes a chart's templates may
	// produce in all.
	WorkFactor = 16
)

func (l RenderLimits) withDefaults() RenderLimits {
	if l.Timeout <= 0 {
		l.Timeout = DefaultRenderTimeout
	}
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultRenderMaxBytes
	}
	return l
}

// Result is what a load produced. Errors never stop a load: every other input is
// still read.
type Result struct {
	Inventory *inventory.Inventory
	Errors    []finding.InputError
	// Internal are documents (or objects) whose reading panicked: a bug, reported
	// with exit code 4 while the rest is read.
	Internal []finding.InternalError
	// Files counts the inputs read (files, charts, overlays, stdin).
	Files int
	// Bytes counts the manifest bytes parsed.
	Bytes int64
	// Interrupted is the cause when Options.Context ended before everything was
	// read; the result then holds what was read before.
	Interrupted error
	// Notices are what the user should know about the input that is not an error:
	// objects defined more than once (see Duplicates), a symbolic link that leads out
	// of the directory scanned.
	Notices []finding.Notice
}

// Notice is a remark about one input that does not make it an input error.
type Notice = finding.Notice

// source is one input stream: a file, stdin, a rendered template, a kustomize build.
type source struct {
	base finding.Location
	open func() (io.ReadCloser, error)
	// mode says whether its YAML documents may be configuration (configAllowed for
	// files and standard input); format, when set, is the format of a configuration
	// file that is not YAML (dotenv, ini, ...), read whole as one document.
	mode   configMode
	format string
	// part: the source is part of an input counted already (a chart's values file).
	part bool
}

type job struct {
	src  int
	base finding.Location
	doc  document
}

type docResult struct {
	src, doc int
	objs     []*inventory.Object
	errs     []finding.InputError
	internal []finding.InternalError
}

// parseJob parses one document and hands its objects to the options' Visit and
// Retain. A panic (a bug in the parser or in Visit) is an internal error on the
// document; the other documents are still read.
func parseJob(j job, opts *Options) (r docResult) {
	r = docResult{src: j.src, doc: j.doc.index}
	defer func() {
		if v := recover(); v != nil {
			loc := j.base
			loc.Document, loc.Line = j.doc.index, j.doc.line
			r.objs, r.errs = nil, nil
			r.internal = []finding.InternalError{{Location: &loc, Message: "reading the document: " + finding.Recovered(v)}}
		}
	}()
	if j.doc.format != "" {
		r.objs, r.errs = parseConfigFile(j.doc, j.base, opts)
	} else {
		r.objs, r.errs = parseDocument(j.doc, j.base, opts)
	}
	for _, o := range r.objs {
		if opts.Visit != nil {
			opts.Visit(o)
		}
		if opts.Retain != nil && !opts.Retain(o) {
			o.Body, o.Lines = nil, nil
		}
	}
	return r
}

// Load reads all paths. A path is a file, a directory (walked recursively; hidden
// directories skipped, hidden files read), a chart directory or .tgz, a
// kustomization directory, or "-". Configuration files (config.go) are read beside
// the objects.
func Load(paths []string, opts Options) *Result {
	res := &Result{Inventory: &inventory.Inventory{}}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	jobs := make(chan job, workers*4)
	var (
		mu      sync.Mutex
		results []docResult
		wg      sync.WaitGroup
		nsrc    int
	)
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				r := parseJob(j, &opts)
				mu.Lock()
				results = append(results, r)
				mu.Unlock()
			}
		}()
	}
	var sp splitter
	var loadErrs []finding.InputError
	addErr := func(e finding.InputError) { loadErrs = append(loadErrs, e) }
	var internal []finding.InternalError
	notice := func(n Notice) { res.Notices = append(res.Notices, n) }
	interrupted := func() bool {
		if opts.Context != nil && opts.Context.Err() != nil {
			res.Interrupted = context.Cause(opts.Context)
			return true
		}
		return false
	}
	// read reads one source; it returns false once the load is interrupted.
	read := func(s source) bool {
		if interrupted() {
			return false
		}
		idx := nsrc
		nsrc++
		if !s.part {
			res.Files++
		}
		rc, err := s.open()
		if err != nil {
			addErr(finding.InputError{Location: s.base, Message: err.Error()})
			return true
		}
		cr := &countingReader{r: rc}
		split := sp.split
		if s.format != "" {
			split = readWhole(s.format)
		}
		err = split(cr, opts.Limits, func(d document) error {
			if interrupted() {
				return errInterrupted
			}
			d.mode = s.mode
			if d.err != "" {
				loc := s.base
				loc.Document, loc.Line = d.index, d.line
				mu.Lock()
				results = append(results, docResult{src: idx, doc: d.index, errs: []finding.InputError{{Location: loc, Message: d.err}}})
				mu.Unlock()
				return nil
			}
			jobs <- job{src: idx, base: s.base, doc: d}
			return nil
		})
		rc.Close()
		res.Bytes += cr.n
		if err != nil && !errors.Is(err, errInterrupted) {
			addErr(finding.InputError{Location: s.base, Message: "read: " + err.Error()})
		}
		return true
	}
paths:
	for _, p := range paths {
		if interrupted() {
			break
		}
		for _, s := range expandGuarded(p, &opts, addErr, notice, &internal) {
			if !read(s) {
				break paths
			}
		}
	}
	if opts.charts > 0 && res.Interrupted == nil {
		// The user's --values files are configuration too, read once for all charts.
		for _, s := range userValuesSources(&opts) {
			if !read(s) {
				break
			}
		}
	}
	close(jobs)
	wg.Wait()
	sort.Slice(results, func(i, j int) bool {
		if results[i].src != results[j].src {
			return results[i].src < results[j].src
		}
		return results[i].doc < results[j].doc
	})
	for _, r := range results {
		res.Inventory.Objects = append(res.Inventory.Objects, r.objs...)
		res.Errors = append(res.Errors, r.errs...)
		res.Internal = append(res.Internal, r.internal...)
	}
	res.Errors = append(loadErrs, res.Errors...)
	res.Internal = append(internal, res.Internal...)
	resolveNamespaces(res.Inventory)
	res.Notices = append(res.Notices, Duplicates(res.Inventory)...)
	return res
}

// errInterrupted stops a split when Options.Context ends.
var errInterrupted = errors.New("interrupted")

// Duplicates returns a notice for every object that an earlier input already defines:
// the same API group, kind, namespace and name. A cluster keeps one object per such
// identity, so two definitions are almost always a mistake (two overlays, or two
// copies of an application, deployed into the same namespace); every definition is
// still checked. Each notice is at the later definition and names the first one.
// Objects without metadata.name (named by generateName) are left out: each creates a
// new object.
func Duplicates(inv *inventory.Inventory) []finding.Notice {
	type identity struct{ group, kind, namespace, name string }
	first := map[identity]*inventory.Object{}
	var out []finding.Notice
	for _, o := range inv.Objects {
		if o.Ref.Name == "" || o.HeaderLines.Name == 0 || o.IsConfigFile() {
			continue // configuration files are not objects: a file may hold several
		}
		id := identity{o.Group(), o.Ref.Kind, o.Ref.Namespace, o.Ref.Name}
		f, seen := first[id]
		if !seen {
			first[id] = o
			continue
		}
		out = append(out, finding.Notice{
			Location: o.Origin,
			Message: fmt.Sprintf("%s is defined twice: here and at %s; a cluster keeps one of them (the last applied), but both are checked",
				o.Ref, describeOrigin(f.Origin)),
		})
	}
	return out
}

// describeOrigin is a location with the chart or overlay that rendered it.
func describeOrigin(l finding.Location) string {
	if l.Renderer != "" {
		return l.String() + " (" + l.Renderer + ")"
	}
	return l.String()
}

// expandGuarded is expand with a panic (a bug in a renderer, Helm's or kustomize's
// included) turned into an internal error on the path: the other paths are still read.
func expandGuarded(path string, opts *Options, addErr func(finding.InputError), notice func(Notice), internal *[]finding.InternalError) (out []source) {
	defer func() {
		if v := recover(); v != nil {
			*internal = append(*internal, finding.InternalError{Location: &finding.Location{File: path}, Message: "reading the input: " + finding.Recovered(v)})
			out = nil
		}
	}()
	return expand(path, opts, addErr, notice)
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// fileSource reads the file at path. A file found by a walk (regularOnly) is read only
// if it is a regular file once its links are resolved: a device would never end and a
// named pipe would block. A file the user named may also be a pipe or a device
// (process substitution, /dev/stdin), read up to the input limit.
func fileSource(path string, regularOnly bool) source {
	return source{
		base:   finding.Location{File: path},
		open:   func() (io.ReadCloser, error) { return openInput(path, regularOnly) },
		format: configFormat(path),
	}
}

// bytesSource is rendered output (a chart's template, an overlay): its documents
// must be objects.
func bytesSource(base finding.Location, data []byte) source {
	return source{base: base, mode: configNever, open: func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	}}
}

// readWhole reads a configuration file that is not YAML as one document (with the
// split's limits: a file over the document limit is an error, not read in part).
func readWhole(format string) func(io.Reader, Limits, func(document) error) error {
	return func(r io.Reader, lim Limits, emit func(document) error) error {
		max := min(lim.maxDocumentBytes(), lim.maxInputBytes())
		data, err := io.ReadAll(io.LimitReader(r, max+1))
		if err != nil {
			return err
		}
		if int64(len(data)) > max {
			return emit(document{line: 1, err: tooBigMsg(max)})
		}
		if len(bytes.TrimSpace(data)) == 0 {
			data = data[:0] // an empty file is an empty configuration
		}
		return emit(document{line: 1, data: data, format: format})
	}
}

// manifestExt reports whether a file name looks like a manifest when found by a walk.
func manifestExt(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

// walkedFile reports whether a walk reads a file by its name: a manifest (YAML or
// JSON, which may also hold configuration) or a configuration file (configFormat).
func walkedFile(name string) bool { return manifestExt(name) || configFormat(name) != "" }

func isChartDir(dir string) bool { return exists(filepath.Join(dir, "Chart.yaml")) }

func kustomizationFile(dir string) string {
	for _, n := range []string{"kustomization.yaml", "kustomization.yml", "Kustomization"} {
		if p := filepath.Join(dir, n); exists(p) {
			return p
		}
	}
	return ""
}

func exists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// StdinName is the File of locations in standard input ("-").
const StdinName = "<stdin>"

// expand turns one user path into sources, rendering charts and overlays on the way.
func expand(p string, opts *Options, addErr func(finding.InputError), notice func(Notice)) []source {
	if p == "-" {
		in := opts.Stdin
		if in == nil {
			in = os.Stdin
		}
		return []source{{base: finding.Location{File: StdinName, Provenance: finding.FromStdin}, open: func() (io.ReadCloser, error) {
			return io.NopCloser(in), nil
		}}}
	}
	st, err := os.Stat(p)
	if err != nil {
		msg := err.Error()
		if errors.Is(err, fs.ErrNotExist) {
			msg = "no such file or directory"
		}
		addErr(finding.InputError{Location: finding.Location{File: p}, Message: msg})
		return nil
	}
	if !st.IsDir() {
		if isChartArchive(p) {
			return renderChart(p, opts, addErr)
		}
		return []source{fileSource(p, false)}
	}
	if isChartDir(p) {
		return renderChart(p, opts, addErr)
	}
	tree, err := scanTree(p)
	if err != nil {
		addErr(finding.InputError{Location: finding.Location{File: p}, Message: err.Error()})
		return nil
	}
	if kustomizationFile(p) != "" {
		return buildKustomization(p, tree, opts, addErr)
	}
	if lst, err := os.Lstat(p); err == nil && lst.Mode()&fs.ModeSymlink != 0 && !strings.HasSuffix(p, string(filepath.Separator)) {
		// A directory the user names through a link is walked: WalkDir does not follow
		// a link at its root, but does one written with a trailing separator.
		p += string(filepath.Separator)
	}
	var (
		out         []source
		kustomDirs  []string
		referenced  = map[string]bool{}
		walkSources = map[string][]source{}
		order       []string
		links       = linkTree{root: p}
	)
	err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			addErr(finding.InputError{Location: finding.Location{File: path}, Message: err.Error()})
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			if n, ok := links.check(path, walkedFile(d.Name())); ok {
				notice(n)
			}
		}
		if d.IsDir() {
			if path != p && SkipDir(d.Name()) {
				return filepath.SkipDir
			}
			if path != p && isChartDir(path) {
				order = append(order, path)
				walkSources[path] = renderChart(path, opts, addErr)
				return filepath.SkipDir
			}
			if path != p && kustomizationFile(path) != "" {
				kustomDirs = append(kustomDirs, path)
				for _, r := range kustomizeLocalRefs(path, tree, opts) {
					referenced[r] = true
				}
				order = append(order, path)
				return filepath.SkipDir
			}
			return nil
		}
		if walkedFile(d.Name()) {
			// Hidden files are read (.env, .npmrc); hidden directories are not.
			order = append(order, path)
			walkSources[path] = []source{fileSource(path, true)}
		} else if isChartArchive(path) {
			// Helm reads the archive itself: make sure it is a regular file first, as
			// for manifests (a named pipe would block the scan).
			if st, err := os.Stat(path); err == nil && !st.Mode().IsRegular() {
				addErr(finding.InputError{Location: finding.Location{File: path}, Message: notRegular(st.Mode()).Error()})
				return nil
			}
			order = append(order, path)
			walkSources[path] = renderChart(path, opts, addErr)
		}
		return nil
	})
	if err != nil {
		addErr(finding.InputError{Location: finding.Location{File: p}, Message: err.Error()})
	}
	for _, k := range kustomDirs {
		// A base that another overlay in this walk builds on is scanned through that
		// overlay, not a second time on its own.
		if real, err := realPath(k); err == nil && referenced[real] {
			continue
		}
		walkSources[k] = buildKustomization(k, tree, opts, addErr)
	}
	for _, k := range order {
		out = append(out, walkSources[k]...)
	}
	return out
}

func isChartArchive(p string) bool {
	l := strings.ToLower(p)
	return strings.HasSuffix(l, ".tgz") || strings.HasSuffix(l, ".tar.gz")
}

// groupKind is a kind in its API group ("" is the core group).
type groupKind struct{ group, kind string }

// clusterScoped lists Kubernetes' built-in cluster-scoped kinds: those kube-apiserver
// serves without a namespace when every API is enabled (TestClusterScopedKinds
// compares the table with a real server's discovery), and those of removed APIs that
// manifests still carry.
var clusterScoped = func() map[groupKind]bool {
	m := map[groupKind]bool{}
	for group, kinds := range map[string][]string{
		"": {"Namespace", "Node", "PersistentVolume", "ComponentStatus",
			// The pre-1.13 encryption configuration file (apiVersion v1).
			"EncryptionConfig"},
		"admissionregistration.k8s.io": {"ValidatingWebhookConfiguration", "MutatingWebhookConfiguration",
			"ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding", "MutatingAdmissionPolicy", "MutatingAdmissionPolicyBinding"},
		"apiextensions.k8s.io":         {"CustomResourceDefinition"},
		"apiregistration.k8s.io":       {"APIService"},
		"authentication.k8s.io":        {"TokenReview", "SelfSubjectReview"},
		"authorization.k8s.io":         {"SubjectAccessReview", "SelfSubjectAccessReview", "SelfSubjectRulesReview"},
		"certificates.k8s.io":          {"CertificateSigningRequest", "ClusterTrustBundle"},
		"flowcontrol.apiserver.k8s.io": {"FlowSchema", "PriorityLevelConfiguration"},
		"internal.apiserver.k8s.io":    {"StorageVersion"},
		"networking.k8s.io":            {"IngressClass", "IPAddress", "ServiceCIDR"},
		"node.k8s.io":                  {"RuntimeClass"},
		"policy":                       {"PodSecurityPolicy"},
		"extensions":                   {"PodSecurityPolicy"},
		"rbac.authorization.k8s.io":    {"ClusterRole", "ClusterRoleBinding"},
		"resource.k8s.io":              {"DeviceClass", "ResourceSlice", "DeviceTaintRule", "ResourcePoolStatusRequest", "ResourceClass"},
		"scheduling.k8s.io":            {"PriorityClass"},
		"storage.k8s.io":               {"StorageClass", "CSIDriver", "CSINode", "VolumeAttachment", "VolumeAttributesClass"},
		"storagemigration.k8s.io":      {"StorageVersionMigration"},
	} {
		for _, k := range kinds {
			m[groupKind{group, k}] = true
		}
	}
	return m
}()

// apiGroup is the group of an apiVersion ("" for the core group's "v1").
func apiGroup(apiVersion string) string {
	group, _, ok := strings.Cut(apiVersion, "/")
	if !ok {
		return ""
	}
	return group
}

// palisadeClusterScoped are Palisade's own document kinds that describe no
// namespaced thing: a node's facts file (palisade node collect) is about a node,
// which has no namespace.
var palisadeClusterScoped = map[groupKind]bool{
	{"palisade.dev", inventory.NodeFactsKind}: true,
}

// isClusterScoped reports whether a built-in kind (or one of Palisade's own
// documents, such as NodeFacts) has no namespace.
func isClusterScoped(apiVersion, kind string) bool {
	gk := groupKind{apiGroup(apiVersion), kind}
	return clusterScoped[gk] || palisadeClusterScoped[gk]
}

// dropNamespace clears the namespace of a cluster-scoped object, as the API server
// does when it stores one whose manifest names a namespace.
func dropNamespace(o *inventory.Object) {
	o.Ref.Namespace, o.NamespaceDefaulted, o.NamespaceFromOption, o.HeaderLines.Namespace = "", false, false, 0
	if md, ok := o.Body["metadata"].(map[string]any); ok {
		delete(md, "namespace")
		o.Lines.Remove("metadata", "namespace")
	}
}

// configFile reports whether an apiVersion belongs to a component configuration file
// (EncryptionConfiguration, an audit Policy, KubeletConfiguration, kubeadm's
// ClusterConfiguration) rather than to an API object: such files are read from disk,
// never stored in the API, and have no namespace.
func configFile(apiVersion string) bool {
	group, _, ok := strings.Cut(apiVersion, "/")
	if !ok {
		return false
	}
	switch group {
	case "audit.k8s.io", "apiserver.k8s.io", "kubeadm.k8s.io":
		return true
	}
	return strings.HasSuffix(group, ".config.k8s.io")
}

// defaultNamespace is the namespace of objects that name none.
func defaultNamespace(def string) string {
	if def == "" {
		return "default"
	}
	return def
}

// resolveNamespaces finishes namespace resolution once the whole input is known. The
// parser already gave namespaced objects without a namespace the default one
// (metadata.namespace, else the --namespace flag, else "default") and cleared it on
// built-in cluster-scoped kinds; objects of the kinds (group and kind) that a
// cluster-scoped CustomResourceDefinition in the same input defines lose theirs,
// whether defaulted or written, as the API server drops it.
func resolveNamespaces(inv *inventory.Inventory) {
	custom := map[groupKind]bool{}
	for _, o := range inv.Objects {
		if o.CRD != nil && o.CRD.Scope == "Cluster" {
			custom[groupKind{o.CRD.Group, o.CRD.Kind}] = true
		}
	}
	if len(custom) == 0 {
		return
	}
	for _, o := range inv.Objects {
		if o.Ref.Namespace != "" && !o.IsConfigFile() && custom[groupKind{apiGroup(o.Ref.APIVersion), o.Ref.Kind}] {
			dropNamespace(o)
		}
	}
}

// Summary is a one-line description of a load, for logs.
func (r *Result) Summary() string {
	return fmt.Sprintf("%d objects from %d inputs, %d input errors", len(r.Inventory.Objects), r.Files, len(r.Errors))
}

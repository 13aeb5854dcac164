// Package workload finds the pod template in any object that runs pods and computes
// each container's effective security settings (pod-level defaults, then container
// overrides), so that no rule has to re-derive inheritance.
package workload

import (
	"fmt"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/palisade-k8s/palisade/internal/inventory"
)

// TemplatePath says where a kind keeps its pod template. Group "*" matches any group.
type TemplatePath struct {
	Group string `yaml:"group" json:"group"`
	Kind  string `yaml:"kind" json:"kind"`
	// Path is the dotted path to a PodTemplateSpec ("spec.template"), or to a PodSpec
	// when PodSpec is true (a Pod's "spec").
	Path    string `yaml:"path" json:"path"`
	PodSpec bool   `yaml:"podSpec,omitempty" json:"podSpec,omitempty"`
}

// BuiltinTemplatePaths are the kinds Palisade knows run pods. Groups cover the old
// extensions/apps beta versions too, since archived manifests still use them.
var BuiltinTemplatePaths = []TemplatePath{
	{Group: "", Kind: "Pod", Path: "spec", PodSpec: true},
	{Group: "", Kind: "PodTemplate", Path: "template"},
	{Group: "", Kind: "ReplicationController", Path: "spec.template"},
	{Group: "*", Kind: "Deployment", Path: "spec.template"},
	{Group: "*", Kind: "ReplicaSet", Path: "spec.template"},
	{Group: "*", Kind: "StatefulSet", Path: "spec.template"},
	{Group: "*", Kind: "DaemonSet", Path: "spec.template"},
	{Group: "batch", Kind: "Job", Path: "spec.template"},
	{Group: "batch", Kind: "CronJob", Path: "spec.jobTemplate.spec.template"},
	{Group: "argoproj.io", Kind: "Rollout", Path: "spec.template"},
	{Group: "apps.openshift.io", Kind: "DeploymentConfig", Path: "spec.template"},
	{Group: "", Kind: "DeploymentConfig", Path: "spec.template"},
}

// Finder locates pod templates using a list of template paths.
type Finder struct {
	paths []TemplatePath
}

// NewFinder returns a finder for the built-in kinds plus extra ones.
func NewFinder(extra []TemplatePath) *Finder {
	return &Finder{paths: append(append([]TemplatePath{}, BuiltinTemplatePaths...), extra...)}
}

// Lookup returns the template path for a kind, if it runs pods.
func (f *Finder) Lookup(apiVersion, kind string) (TemplatePath, bool) {
	group := ""
	if i := strings.IndexByte(apiVersion, '/'); i >= 0 {
		group = apiVersion[:i]
	}
	for _, p := range f.paths {
		if p.Kind == kind && (p.Group == "*" || p.Group == group) {
			return p, true
		}
	}
	return TemplatePath{}, false
}

// HasKind reports whether a template path names kind, in any group.
func (f *Finder) HasKind(kind string) bool {
	for _, p := range f.paths {
		if p.Kind == kind {
			return true
		}
	}
	return false
}

// ContainerKind is init, regular or ephemeral.
type ContainerKind string

// Container kinds, named as in the PodSpec.
const (
	Init      ContainerKind = "initContainers"
	Regular   ContainerKind = "containers"
	Ephemeral ContainerKind = "ephemeralContainers"
)

// Container is one container of a workload with its field path.
type Container struct {
	Kind  ContainerKind
	Index int
	// Path is the container's field path ("spec.template.spec.containers[0]").
	Path string
	*corev1.Container
	Effective Effective

	w *Workload
}

// Field returns the path of a field under the container ("securityContext.privileged").
func (c *Container) Field(sub string) string { return c.Path + "." + sub }

// Workload is an object that runs pods, with its decoded pod template.
type Workload struct {
	Object *inventory.Object
	// Meta is the pod template's metadata (a Pod's own metadata).
	Meta *metav1.ObjectMeta
	Spec *corev1.PodSpec
	// MetaPath and SpecPath are the field paths of the pod metadata and PodSpec.
	MetaPath, SpecPath string
	Containers         []*Container
	// DeprecatedServiceAccount is spec.serviceAccount as written ("" when unset): the
	// API server overwrites the alias with serviceAccountName (Spec holds the result).
	DeprecatedServiceAccount string

	// defaulted maps field paths the API server set (defaults.go: Defaulted) to the
	// written field each copied its value from ("" for a constant); derived says
	// whether any was copied.
	defaulted map[string]string
	derived   bool
}

// SpecField returns the path of a PodSpec field ("hostNetwork").
func (w *Workload) SpecField(sub string) string { return w.SpecPath + "." + sub }

// The facts a Finder records about an object that runs pods (Record), while its
// body is decoded, so that label-selector indexes, NetworkPolicy analysis and RBAC
// analysis need not keep workload bodies.
var (
	// PodLabelsFact holds the pod labels of an object that runs pods (non-nil,
	// possibly empty).
	PodLabelsFact = inventory.NewFact[map[string]string]("pod-labels")
	// PodNetworkFact holds the network side of its pods (container ports, host
	// network), for NetworkPolicy analysis.
	PodNetworkFact = inventory.NewFact[*PodNetwork]("pod-network")
	// PodIdentityFact holds who its pods act as (service account and token), for
	// RBAC analysis; nil when it has no pod template.
	PodIdentityFact = inventory.NewFact[*PodIdentity]("pod-identity")
)

// Record records the pod facts of an object that runs pods and whose body is
// decoded (PodLabelsFact, PodNetworkFact, PodIdentityFact, PodHostFact), once.
func (f *Finder) Record(o *inventory.Object) {
	if _, done := PodLabelsFact.Of(o); done {
		return
	}
	if l, ok := f.PodLabels(o); ok {
		PodLabelsFact.Set(o, l)
		PodNetworkFact.Set(o, f.PodNetwork(o))
		PodIdentityFact.Set(o, f.PodIdentity(o))
		PodHostFact.Set(o, f.PodHost(o))
	}
}

// PodNetwork is the network side of a pod template.
type PodNetwork struct {
	// Ports are the ports the pod's containers declare (regular containers and
	// restartable init containers), which named ports in NetworkPolicies resolve to.
	Ports       []PodPort
	HostNetwork bool
}

// PodIdentity is the API identity of a pod template.
type PodIdentity struct {
	// ServiceAccount is serviceAccountName, else the deprecated serviceAccount, else
	// "default".
	ServiceAccount string
	// Automount is the template's automountServiceAccountToken (nil: not set, the
	// service account's setting decides).
	Automount *bool
	// ProjectedToken is set when a projected volume mounts a service account token,
	// which automountServiceAccountToken does not prevent.
	ProjectedToken bool
}

// PodPort is one declared container port.
type PodPort struct {
	Name string
	// Protocol is TCP, UDP or SCTP ("" reads as TCP).
	Protocol string
	Port     int32
}

// PodLabels returns the labels of the pods an object runs (a Pod's own labels; a pod
// template's, with those the API server adds to a Job's), read from its decoded body
// without decoding the template; ok is false when the object runs no pods or its body
// was not decoded. Non-string values are skipped: such a template does not decode
// anyway.
func (f *Finder) PodLabels(o *inventory.Object) (labels map[string]string, ok bool) {
	tp, found := f.Lookup(o.Ref.APIVersion, o.Ref.Kind)
	if !found || o.Body == nil {
		return nil, false
	}
	metaPath := "metadata"
	if !tp.PodSpec {
		metaPath = tp.Path + ".metadata"
	}
	labels = map[string]string{}
	if meta, found := lookup(o.Body, metaPath); found {
		if raw, isMap := meta["labels"].(map[string]any); isMap {
			for k, v := range raw {
				if s, isStr := v.(string); isStr {
					labels[k] = s
				}
			}
		}
	}
	// The Job registry labels a Job's pods with its name (defaults.go, step 7).
	if name, ok := jobNameLabelValue(o.Ref.APIVersion, o.Ref.Kind, o.Ref.Name, o.Body); ok {
		for _, k := range [...]string{LegacyJobNameLabel, JobNameLabel} {
			if _, set := labels[k]; !set {
				labels[k] = name
			}
		}
	}
	return labels, true
}

// podSpec returns the decoded PodSpec of an object that runs pods (nil when its
// template has none); runsPods is false when the object runs no pods or its body was
// not decoded.
func (f *Finder) podSpec(o *inventory.Object) (spec map[string]any, runsPods bool) {
	spec, path := f.podSpecAt(o)
	return spec, path != ""
}

// podSpecAt is podSpec with the PodSpec's field path ("" when the object runs no
// pods or its body was not decoded).
func (f *Finder) podSpecAt(o *inventory.Object) (spec map[string]any, specPath string) {
	tp, found := f.Lookup(o.Ref.APIVersion, o.Ref.Kind)
	if !found || o.Body == nil {
		return nil, ""
	}
	specPath = tp.Path
	if !tp.PodSpec {
		specPath += ".spec"
	}
	spec, _ = lookup(o.Body, specPath)
	return spec, specPath
}

// PodNetwork returns the container ports and host-network setting of an object that
// runs pods, read from its decoded body without decoding the template (nil when the
// object runs no pods or its body was not decoded). Ports of regular containers and of
// restartable (sidecar) init containers count: those are the containers that serve.
// Malformed entries are skipped: such a template does not decode anyway.
func (f *Finder) PodNetwork(o *inventory.Object) *PodNetwork {
	spec, runsPods := f.podSpec(o)
	if !runsPods {
		return nil
	}
	if spec == nil {
		return &PodNetwork{}
	}
	n := &PodNetwork{}
	n.HostNetwork, _ = spec["hostNetwork"].(bool)
	for _, list := range []string{"containers", "initContainers"} {
		cs, _ := spec[list].([]any)
		for _, c := range cs {
			cm, _ := c.(map[string]any)
			if cm == nil || (list == "initContainers" && cm["restartPolicy"] != "Always") {
				continue
			}
			ports, _ := cm["ports"].([]any)
			for _, p := range ports {
				pm, _ := p.(map[string]any)
				var num int64
				switch v := pm["containerPort"].(type) {
				case int64:
					num = v
				case float64:
					num = int64(v)
				}
				if num < 1 || num > 65535 {
					continue
				}
				name, _ := pm["name"].(string)
				proto, _ := pm["protocol"].(string)
				n.Ports = append(n.Ports, PodPort{Name: name, Protocol: proto, Port: int32(num)})
			}
		}
	}
	return n
}

// PodIdentity returns the service account and token settings of an object that runs
// pods, read from its decoded body; nil when the object runs no pods, its body was
// not decoded or it has no pod template.
func (f *Finder) PodIdentity(o *inventory.Object) *PodIdentity {
	spec, _ := f.podSpec(o)
	if spec == nil {
		return nil
	}
	id := &PodIdentity{}
	id.ServiceAccount, _ = spec["serviceAccountName"].(string)
	if id.ServiceAccount == "" {
		id.ServiceAccount, _ = spec["serviceAccount"].(string) // the deprecated alias
	}
	if id.ServiceAccount == "" {
		id.ServiceAccount = "default"
	}
	if v, ok := spec["automountServiceAccountToken"].(bool); ok {
		id.Automount = &v
	}
	vols, _ := spec["volumes"].([]any)
	for _, v := range vols {
		vm, _ := v.(map[string]any)
		proj, _ := vm["projected"].(map[string]any)
		srcs, _ := proj["sources"].([]any)
		for _, s := range srcs {
			if sm, _ := s.(map[string]any); sm["serviceAccountToken"] != nil {
				id.ProjectedToken = true
			}
		}
	}
	return id
}

// From decodes the workload view of an object: the pod its template makes, as the API
// server stores it (defaults.go), with each container's effective settings. It
// returns nil, nil for objects that do not run pods, and an error when the pod
// template cannot be decoded.
func (f *Finder) From(o *inventory.Object) (*Workload, error) {
	tp, ok := f.Lookup(o.Ref.APIVersion, o.Ref.Kind)
	if !ok || o.Body == nil {
		return nil, nil
	}
	raw, ok := lookup(o.Body, tp.Path)
	if !ok {
		return nil, nil
	}
	w := &Workload{Object: o}
	if tp.PodSpec {
		var spec corev1.PodSpec
		if err := convert(raw, &spec); err != nil {
			return nil, fmt.Errorf("%s: %w", tp.Path, err)
		}
		meta := &metav1.ObjectMeta{}
		if m, ok := o.Body["metadata"].(map[string]any); ok {
			if err := convert(m, meta); err != nil {
				return nil, fmt.Errorf("metadata: %w", err)
			}
		}
		w.Meta, w.Spec, w.MetaPath, w.SpecPath = meta, &spec, "metadata", tp.Path
	} else {
		var tmpl corev1.PodTemplateSpec
		if err := convert(raw, &tmpl); err != nil {
			return nil, fmt.Errorf("%s: %w", tp.Path, err)
		}
		w.Meta, w.Spec, w.MetaPath, w.SpecPath = &tmpl.ObjectMeta, &tmpl.Spec, tp.Path+".metadata", tp.Path+".spec"
	}
	w.applyDefaults()
	w.collectContainers()
	return w, nil
}

func (w *Workload) collectContainers() {
	add := func(kind ContainerKind, i int, c *corev1.Container) {
		cc := &Container{Kind: kind, Index: i, Path: w.SpecPath + "." + string(kind) + "[" + strconv.Itoa(i) + "]", Container: c, w: w}
		cc.Effective = effective(w, cc)
		w.Containers = append(w.Containers, cc)
	}
	for i := range w.Spec.InitContainers {
		add(Init, i, &w.Spec.InitContainers[i])
	}
	for i := range w.Spec.Containers {
		add(Regular, i, &w.Spec.Containers[i])
	}
	for i := range w.Spec.EphemeralContainers {
		c := corev1.Container(w.Spec.EphemeralContainers[i].EphemeralContainerCommon)
		add(Ephemeral, i, &c)
	}
}

func lookup(m map[string]any, path string) (map[string]any, bool) {
	cur := m
	for _, part := range strings.Split(path, ".") {
		next, ok := cur[part].(map[string]any)
		if !ok {
			return nil, false
		}
		cur = next
	}
	return cur, true
}

func convert(raw map[string]any, out any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("cannot decode: %v", r)
		}
	}()
	return runtime.DefaultUnstructuredConverter.FromUnstructured(raw, out)
}

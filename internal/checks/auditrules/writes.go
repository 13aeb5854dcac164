package auditrules

// What the detections of PAL-902..919 share: when an event is a change that
// happened (allowed, successful, complete, not a dry run), the pods and pod
// controllers a request body describes, and a bounded memory of what was already
// reported about an object so that an update repeating it stays quiet.
//
// Dry runs (?dryRun=All) change nothing: the API server runs admission and
// validation and stores nothing, so the object detections skip them (a dry run of a
// privileged pod is a question to admission, which `palisade admission` judges).
// Requests that failed (a 4xx, a 5xx) or were forbidden changed nothing either; the
// identity detections (PAL-924, PAL-931) judge forbidden requests.

import (
	"crypto/sha256"
	"strings"

	"github.com/palisade-k8s/palisade/internal/audit"
	"github.com/palisade-k8s/palisade/internal/auditlog"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/workload"
)

// changed reports whether the event is a completed change of one of verbs that the
// API server made: allowed, 2xx, at ResponseComplete, not a dry run.
func changed(ev *auditlog.Event, verbs ...string) bool {
	if ev.Stage != auditlog.StageResponseComplete || ev.ObjectRef == nil || !ev.Succeeded() {
		return false
	}
	for _, v := range verbs {
		if ev.Verb == v {
			return ev.Allowed() && !isDryRun(ev)
		}
	}
	return false
}

var writeVerbs = []string{"create", "update", "patch"}

// isDryRun reports whether the request asked for a dry run (dryRun=All in its
// query: kubectl --dry-run=server, client-go DryRun).
func isDryRun(ev *auditlog.Event) bool { return ev.DryRun() }

// podResources are the resources whose objects run pods, with their kinds: a pod and
// every built-in controller with a pod template.
var podResources = map[string]string{
	"pods": "Pod", "replicationcontrollers": "ReplicationController", "deployments": "Deployment",
	"daemonsets": "DaemonSet", "statefulsets": "StatefulSet", "replicasets": "ReplicaSet",
	"jobs": "Job", "cronjobs": "CronJob",
}

// podWrite is a pod or a pod controller written by a request, as its body says.
type podWrite struct {
	Ref   finding.ObjectRef
	Verb  string
	Body  map[string]any
	Facts *audit.PodFacts
	// Spec is the field path of the PodSpec ("spec", "spec.template.spec").
	Spec string
	obj  *inventory.Object
}

var finder = workload.NewFinder(nil)

// podWriteOf returns the pod or controller a completed create, update or patch
// wrote, read from the response body when the log has it (the stored object) or
// else from the request body (for a patch, the patch: what it sets is judged). nil
// for other events, for bodies the log does not hold (level Metadata), and for
// objects that controllers and kubelets make from a template already judged: a
// system identity writing an object with a controller owner (the ReplicaSets of a
// Deployment, the Jobs of a CronJob, the pods of them all), a kubelet's mirror pod.
func podWriteOf(c *audit.Context) *podWrite {
	ev := c.Event()
	if ev.ObjectRef == nil || ev.ObjectRef.Subresource != "" {
		return nil
	}
	kind, ok := podResources[ev.ObjectRef.Resource]
	if !ok || !changed(ev, writeVerbs...) {
		return nil
	}
	body, _ := c.ResponseBody()
	if _, ok := body["spec"]; !ok {
		body, _ = c.Body()
	}
	if body == nil {
		return nil
	}
	ref := audit.RefOf(ev)
	ref.Kind = kind
	if md, ok := body["metadata"].(map[string]any); ok {
		if ref.Name == "*" {
			if n, ok := md["name"].(string); ok && n != "" {
				ref.Name = n
			}
		}
		if fromTemplate(c.Actor(), md) {
			return nil
		}
	}
	o := &inventory.Object{Ref: ref, Body: body}
	tp, ok := finder.Lookup(ref.APIVersion, kind)
	if !ok {
		return nil
	}
	spec := tp.Path
	if !tp.PodSpec {
		spec += ".spec"
	}
	facts := audit.PodFactsOf(kind, ref.APIVersion, body)
	if facts == nil {
		return nil
	}
	return &podWrite{Ref: ref, Verb: ev.Verb, Body: body, Facts: facts, Spec: spec, obj: o}
}

// fromTemplate: an object a controller made from its owner's template (a system
// identity, a controller owner reference) or a kubelet's mirror of a static pod.
func fromTemplate(a audit.Actor, md map[string]any) bool {
	if ann, ok := md["annotations"].(map[string]any); ok && a.Node {
		if _, mirror := ann["kubernetes.io/config.mirror"]; mirror {
			return true
		}
	}
	if !a.System {
		return false
	}
	owners, _ := md["ownerReferences"].([]any)
	for _, o := range owners {
		if om, ok := o.(map[string]any); ok && om["controller"] == true {
			return true
		}
	}
	return false
}

// Host returns the workload's host access per container and volume.
func (w *podWrite) Host() *workload.PodHost { return finder.PodHost(w.obj) }

// Images returns the images of its containers with their fields.
func (w *podWrite) Images() []workload.ContainerImage { return finder.Images(w.obj) }

// What names the workload in a message ("pod default/web", "deployment
// prod/api").
func (w *podWrite) What() string {
	return strings.ToLower(w.Ref.Kind) + " " + nsName(w.Ref.Namespace, w.Ref.Name)
}

func nsName(ns, name string) string {
	if name == "" {
		name = "*" // a create logged at level Metadata names no object
	}
	if ns == "" {
		return name
	}
	return ns + "/" + name
}

// memo remembers, per object, what was last reported about it, so that an update
// that keeps a reported property (a privileged DaemonSet whose image is bumped)
// is not reported again. Bounded: the oldest objects are forgotten first, and both
// the object and what was reported are kept as digests (a hostile log's names and
// bodies can be large).
type memo struct {
	seen *audit.LRU[[32]byte, [32]byte]
}

func newMemo(s *audit.Setup) memo {
	return memo{seen: audit.NewLRU[[32]byte, [32]byte](s.Limits.MaxObjects)}
}

// fresh records what (a summary of the reported property) for the object of ref
// and reports whether it is new: always on create, on update or patch when it
// differs from what was recorded.
func (m memo) fresh(ref finding.ObjectRef, verb, what string) bool {
	key := digest(ref.Kind, ref.Namespace, ref.Name)
	sum := digest(what)
	old, ok := m.seen.Get(key)
	m.seen.Put(key, sum)
	return verb == "create" || !ok || old != sum
}

// forget drops what was recorded for an object (deleted).
func (m memo) forget(ref finding.ObjectRef) { m.seen.Delete(digest(ref.Kind, ref.Namespace, ref.Name)) }

// digest identifies a tuple of strings in bounded space.
func digest(parts ...string) [32]byte {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// verbText is the verb as a message says it.
func verbText(verb string) string {
	switch verb {
	case "create":
		return "created"
	case "update", "patch":
		return "changed"
	case "delete":
		return "deleted"
	case "deletecollection":
		return "deleted (collection)"
	}
	return verb
}

// systemNamespaces are the namespaces of the control plane.
var systemNamespaces = map[string]bool{"kube-system": true, "kube-public": true}

// person reports whether the actor is neither a Kubernetes component nor a
// controller (Actor.System), nor a node.
func person(a audit.Actor) bool { return !a.System && !a.Node }

func lower(s string) string { return strings.ToLower(s) }

// spec returns the decoded PodSpec.
func (w *podWrite) spec() map[string]any {
	var cur any = w.Body
	for _, k := range strings.Split(w.Spec, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[k]
	}
	m, _ := cur.(map[string]any)
	return m
}

// containerPath returns the field path of the named container
// ("spec.template.spec.initContainers[1]"), "" when not found.
func (w *podWrite) containerPath(name string) string {
	spec := w.spec()
	for _, list := range []string{"containers", "initContainers", "ephemeralContainers"} {
		cs, _ := spec[list].([]any)
		for i, c := range cs {
			if cm, ok := c.(map[string]any); ok && cm["name"] == name {
				return w.Spec + "." + list + "[" + itoa(i) + "]"
			}
		}
	}
	return ""
}

// volumePath returns the field path of the hostPath of the volume mounting p.
func (w *podWrite) volumePath(p string) string {
	vs, _ := w.spec()["volumes"].([]any)
	for i, v := range vs {
		vm, _ := v.(map[string]any)
		if hp, ok := vm["hostPath"].(map[string]any); ok && hp["path"] == p {
			return w.Spec + ".volumes[" + itoa(i) + "].hostPath.path"
		}
	}
	return w.Spec + ".volumes"
}

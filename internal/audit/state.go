package audit

import (
	"github.com/palisade-k8s/palisade/internal/auditlog"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/workload"
)

type objectKey struct{ resource, namespace, name string }

// Object is what the engine remembers of an object.
type Object struct {
	Ref finding.ObjectRef
	// Resource is its plural resource ("pods").
	Resource string
	// Pod holds the security facts of a pod; nil for other kinds.
	Pod *PodFacts
	// Created is the event that created it (trimmed of its bodies), nil when it
	// came from the initial state.
	Created *auditlog.Event
	// Origin is where the object was read when it came from the initial state (a
	// manifest's file and line, the cluster).
	Origin finding.Location
}

// PodFacts are what detections ask of a pod.
type PodFacts struct {
	Privileged                    bool
	HostPID, HostIPC, HostNetwork bool
	HostPaths                     []string
	ServiceAccount, Node          string
	// IPs are the pod's addresses when the log (a response body, a status update)
	// or the state gave them.
	IPs []string
}

// HostAccess describes what the pod holds of its node, in words ("privileged
// container app", "hostPath /var/run/docker.sock", "hostPID"); empty when nothing.
func (p *PodFacts) HostAccess() []string {
	if p == nil {
		return nil
	}
	var out []string
	if p.Privileged {
		out = append(out, "privileged")
	}
	if p.HostPID {
		out = append(out, "hostPID")
	}
	if p.HostIPC {
		out = append(out, "hostIPC")
	}
	if p.HostNetwork {
		out = append(out, "hostNetwork")
	}
	for _, h := range p.HostPaths {
		out = append(out, "hostPath "+h)
	}
	return out
}

var finder = workload.NewFinder(nil)

// PodFactsOf reads the security facts of a decoded object that runs pods (a Pod,
// or a controller's pod template); nil when it runs none.
func PodFactsOf(kind, apiVersion string, body map[string]any) *PodFacts {
	o := &inventory.Object{Ref: finding.ObjectRef{APIVersion: apiVersion, Kind: kind}, Body: body}
	h := finder.PodHost(o)
	if h == nil {
		return nil
	}
	p := &PodFacts{HostPID: h.HostPID, HostIPC: h.HostIPC, HostNetwork: h.HostNetwork}
	for _, c := range h.Containers {
		if c.Privileged {
			p.Privileged = true
		}
	}
	for _, v := range h.HostPaths {
		p.HostPaths = append(p.HostPaths, v.Path)
	}
	if spec, ok := body["spec"].(map[string]any); ok {
		p.ServiceAccount, _ = spec["serviceAccountName"].(string)
		p.Node, _ = spec["nodeName"].(string)
	}
	return p
}

func (e *Engine) remember(o *Object) {
	if o == nil {
		return
	}
	e.objects.Put(objectKey{o.Resource, o.Ref.Namespace, o.Ref.Name}, o)
}

// update records what a completed, successful event changed: objects created are
// remembered (pods with their facts), objects deleted forgotten.
func (e *Engine) update(c *Context) {
	ev := c.ev
	if ev.Stage != auditlog.StageResponseComplete || !ev.Succeeded() || ev.ObjectRef == nil || ev.ObjectRef.Subresource != "" {
		return
	}
	ref := ev.ObjectRef
	switch ev.Verb {
	case "delete":
		e.objects.Delete(objectKey{ref.Resource, ref.Namespace, ref.Name})
	case "create", "update", "patch":
		obj := &Object{Ref: RefOf(ev), Resource: ref.Resource, Created: Trim(ev)}
		body, _ := c.ResponseBody()
		if body == nil {
			body, _ = c.Body()
		}
		if body != nil {
			if md, ok := body["metadata"].(map[string]any); ok && obj.Ref.Name == "*" {
				if n, ok := md["name"].(string); ok {
					obj.Ref.Name = n
				}
			}
			if ref.Resource == "pods" {
				obj.Pod = PodFactsOf("Pod", "v1", body)
			}
		}
		if obj.Ref.Name == "*" {
			return
		}
		if old, ok := e.objects.Get(objectKey{ref.Resource, ref.Namespace, obj.Ref.Name}); ok && ev.Verb != "create" {
			if obj.Pod == nil {
				obj.Pod = old.Pod
			}
			obj.Created = old.Created
		}
		e.remember(obj)
	}
}

// objectFromInventory remembers an object of the initial state.
func objectFromInventory(o *inventory.Object) *Object {
	resource := resourceOf(o.Ref.Kind)
	if resource == "" {
		return nil
	}
	obj := &Object{Ref: o.Ref, Resource: resource, Origin: o.Origin}
	if o.Ref.Kind == "Pod" && o.Body != nil {
		obj.Pod = PodFactsOf("Pod", o.Ref.APIVersion, o.Body)
	}
	return obj
}

func resourceOf(kind string) string {
	for r, k := range kinds {
		if k == kind {
			return r
		}
	}
	return ""
}

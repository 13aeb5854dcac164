package audit

import (
	"encoding/json"
	"strings"

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
	// Binding holds the role and subjects of a RoleBinding or ClusterRoleBinding;
	// nil for other kinds.
	Binding *BindingFacts
}

// BindingFacts are what detections ask of a binding.
type BindingFacts struct {
	// RoleKind and RoleName are its roleRef ("ClusterRole", "cluster-admin").
	RoleKind, RoleName string
	// Subjects as `palisade rbac` names them: "user:alice", "group:devs",
	// "sa:ns:name" (at most 64).
	Subjects []string
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
	// Spec is set when the pod's spec was seen (its creation, the state); without it
	// only its status (IPs) or node is known, and the host access is unknown.
	Spec bool
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
	p := &PodFacts{HostPID: h.HostPID, HostIPC: h.HostIPC, HostNetwork: h.HostNetwork, Spec: true}
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
	if kind == "Pod" {
		if st, ok := body["status"].(map[string]any); ok {
			ips, _ := st["podIPs"].([]any)
			for _, x := range ips {
				m, _ := x.(map[string]any)
				if ip, _ := m["ip"].(string); ip != "" && len(p.IPs) < maxPodIPs && !contains(p.IPs, ip) {
					p.IPs = append(p.IPs, ip)
				}
			}
			if ip, _ := st["podIP"].(string); ip != "" && len(p.IPs) == 0 {
				p.IPs = []string{ip}
			}
		}
	}
	return p
}

func (e *Engine) remember(o *Object) {
	if o == nil {
		return
	}
	e.objects.Put(objectKey{o.Resource, o.Ref.Namespace, o.Ref.Name}, o)
}

// ephemeral are resources the engine does not remember: high-churn objects no
// detection looks up (a lease renewed every few seconds, events, endpoints) and
// requests that create nothing (reviews), which would push the objects that matter
// out of the LRU.
var ephemeral = map[string]bool{
	"leases": true, "events": true, "endpoints": true, "endpointslices": true,
	"tokenreviews": true, "subjectaccessreviews": true, "selfsubjectaccessreviews": true,
	"selfsubjectrulesreviews": true, "localsubjectaccessreviews": true, "selfsubjectreviews": true,
	"componentstatuses": true, "bindings": true,
}

// update records what a completed, successful event changed, after the detectors
// ran on it (so that a detector sees the state before the event):
//
//   - create, update, patch: the object is remembered (a later event names it); a
//     pod with its facts from the response (the stored pod, after admission) or,
//     without one, the request (a patch body is not a pod: the facts stay); a
//     binding with its role and subjects. An update keeps the creating event.
//   - pods/status: the pod's IPs (the kubelet's status update or patch);
//     pods/binding: its node; pods/ephemeralcontainers: its facts again.
//   - delete: the object is forgotten (deletecollection is not followed: the
//     objects stay until the LRU drops them).
//
// Bodies are decoded only for pods and bindings, and Secret bodies never.
func (e *Engine) update(c *Context) {
	ev := c.ev
	if ev.Stage != auditlog.StageResponseComplete || ev.ObjectRef == nil || !ev.Succeeded() || ev.DryRun() {
		return
	}
	ref := ev.ObjectRef
	if ephemeral[ref.Resource] || ref.Resource == "" {
		return
	}
	if ref.Subresource != "" {
		if ref.Resource == "pods" {
			e.updatePod(c)
		}
		return
	}
	switch ev.Verb {
	case "delete":
		if ref.Name != "" {
			e.objects.Delete(objectKey{ref.Resource, ref.Namespace, ref.Name})
		}
	case "create", "update", "patch":
		name := ref.Name
		var body map[string]any
		facts := factsOf[ref.Resource]
		if facts != nil || name == "" {
			body = c.stateBody(ev.Verb != "patch")
		}
		if name == "" && body != nil {
			if md, ok := body["metadata"].(map[string]any); ok {
				name, _ = md["name"].(string)
			}
		}
		if name == "" {
			return
		}
		key := objectKey{ref.Resource, ref.Namespace, name}
		old, known := e.objects.Get(key)
		obj := &Object{Ref: RefOf(ev), Resource: ref.Resource}
		obj.Ref.Name = name
		if known && ev.Verb != "create" {
			cp := *old
			obj = &cp
		} else {
			obj.Created = Trim(ev)
		}
		if facts != nil && body != nil {
			facts(obj, body)
		}
		e.remember(obj)
	}
}

// stateBody is the object an event left stored: the response object, else (when
// whole is set: not a patch) the request object. Never for Secrets.
func (c *Context) stateBody(whole bool) map[string]any {
	if c.ev.ObjectRef != nil && c.ev.ObjectRef.Resource == "secrets" {
		return nil
	}
	if b, _ := c.ResponseBody(); b != nil && b["kind"] != "Status" {
		return b
	}
	if !whole {
		return nil
	}
	b, _ := c.Body()
	return b
}

// factsOf reads, per resource, what the engine keeps of an object's body.
var factsOf = map[string]func(o *Object, body map[string]any){
	"pods": func(o *Object, body map[string]any) {
		var ips []string
		if o.Pod != nil {
			ips = o.Pod.IPs
		}
		if p := PodFactsOf("Pod", "v1", body); p != nil {
			if len(p.IPs) == 0 {
				p.IPs = ips
			}
			o.Pod = p
		}
	},
	"rolebindings":        bindingFacts,
	"clusterrolebindings": bindingFacts,
}

func bindingFacts(o *Object, body map[string]any) {
	b := &BindingFacts{}
	if rr, ok := body["roleRef"].(map[string]any); ok {
		b.RoleKind, _ = rr["kind"].(string)
		b.RoleName, _ = rr["name"].(string)
	}
	subs, _ := body["subjects"].([]any)
	for i, x := range subs {
		if i == maxBindingSubjects {
			break
		}
		s, _ := x.(map[string]any)
		kind, _ := s["kind"].(string)
		name, _ := s["name"].(string)
		ns, _ := s["namespace"].(string)
		switch kind {
		case "ServiceAccount":
			b.Subjects = append(b.Subjects, "sa:"+ns+":"+name)
		case "User", "Group":
			b.Subjects = append(b.Subjects, strings.ToLower(kind)+":"+name)
		}
	}
	o.Binding = b
}

// maxBindingSubjects bounds the subjects kept of one binding.
const maxBindingSubjects = 64

// updatePod follows the subresources of a remembered pod that change what the
// engine knows of it.
func (e *Engine) updatePod(c *Context) {
	ev := c.ev
	ref := ev.ObjectRef
	if ref.Name == "" {
		return
	}
	key := objectKey{"pods", ref.Namespace, ref.Name}
	old, known := e.objects.Get(key)
	obj := &Object{Ref: RefOf(ev), Resource: "pods"}
	if known {
		cp := *old
		obj = &cp
	}
	var pod PodFacts
	if obj.Pod != nil {
		pod = *obj.Pod
	}
	switch {
	case ref.Subresource == "status" && (ev.Verb == "update" || ev.Verb == "patch"):
		ips := podIPs(ev.ResponseObject)
		if ips == nil {
			ips = podIPs(ev.RequestObject)
		}
		if ips == nil {
			return
		}
		pod.IPs = ips
	case ref.Subresource == "binding" && ev.Verb == "create":
		var b struct {
			Target struct {
				Name string `json:"name"`
			} `json:"target"`
		}
		if json.Unmarshal(ev.RequestObject, &b) != nil || b.Target.Name == "" {
			return
		}
		pod.Node = b.Target.Name
	case ref.Subresource == "ephemeralcontainers" && (ev.Verb == "update" || ev.Verb == "patch"):
		body := c.stateBody(ev.Verb == "update")
		p := PodFactsOf("Pod", "v1", body)
		if p == nil {
			return
		}
		if len(p.IPs) == 0 {
			p.IPs = pod.IPs
		}
		pod = *p
	default:
		return
	}
	obj.Pod = &pod
	e.remember(obj)
}

// maxPodIPs bounds the addresses kept of one pod (a pod has one per IP family).
const maxPodIPs = 4

// podIPs reads status.podIPs (or status.podIP) of a pod or of a status patch; nil
// when it names none.
func podIPs(raw []byte) []string {
	if len(raw) == 0 {
		return nil
	}
	var s struct {
		Status struct {
			PodIP  string `json:"podIP"`
			PodIPs []struct {
				IP string `json:"ip"`
			} `json:"podIPs"`
		} `json:"status"`
	}
	if json.Unmarshal(raw, &s) != nil {
		return nil
	}
	var out []string
	for _, x := range s.Status.PodIPs {
		if x.IP != "" && len(out) < maxPodIPs && !contains(out, x.IP) {
			out = append(out, x.IP)
		}
	}
	if len(out) == 0 && s.Status.PodIP != "" {
		out = []string{s.Status.PodIP}
	}
	return out
}

// objectFromInventory remembers an object of the initial state.
func objectFromInventory(o *inventory.Object) *Object {
	resource := resourceOf(o.Ref.Kind)
	if resource == "" || ephemeral[resource] || o.Ref.Name == "" {
		return nil
	}
	obj := &Object{Ref: o.Ref, Resource: resource, Origin: o.Origin}
	if f := factsOf[resource]; f != nil && o.Body != nil && resource != "secrets" {
		f(obj, o.Body)
	}
	return obj
}

var resources = func() map[string]string {
	m := map[string]string{}
	for r, k := range kinds {
		m[k] = r
	}
	return m
}()

func resourceOf(kind string) string { return resources[kind] }

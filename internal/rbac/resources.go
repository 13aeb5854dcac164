package rbac

import (
	"fmt"
	"strings"
)

// knownResource is a built-in resource: its API group, whether it is namespaced, and
// the other names kubectl accepts for it (singular, short names).
type knownResource struct {
	group      string
	namespaced bool
	aliases    []string
}

// builtinResources are the resources of the built-in API groups that can be named
// without their group, as kubectl resolves them against a standard API server.
var builtinResources = map[string]knownResource{
	"pods":                              {"", true, []string{"pod", "po"}},
	"services":                          {"", true, []string{"service", "svc"}},
	"configmaps":                        {"", true, []string{"configmap", "cm"}},
	"secrets":                           {"", true, []string{"secret"}},
	"serviceaccounts":                   {"", true, []string{"serviceaccount", "sa"}},
	"namespaces":                        {"", false, []string{"namespace", "ns"}},
	"nodes":                             {"", false, []string{"node", "no"}},
	"persistentvolumes":                 {"", false, []string{"persistentvolume", "pv"}},
	"persistentvolumeclaims":            {"", true, []string{"persistentvolumeclaim", "pvc"}},
	"endpoints":                         {"", true, []string{"ep"}},
	"events":                            {"", true, []string{"event", "ev"}},
	"replicationcontrollers":            {"", true, []string{"replicationcontroller", "rc"}},
	"limitranges":                       {"", true, []string{"limitrange", "limits"}},
	"resourcequotas":                    {"", true, []string{"resourcequota", "quota"}},
	"podtemplates":                      {"", true, []string{"podtemplate"}},
	"componentstatuses":                 {"", false, []string{"componentstatus", "cs"}},
	"deployments":                       {"apps", true, []string{"deployment", "deploy"}},
	"daemonsets":                        {"apps", true, []string{"daemonset", "ds"}},
	"statefulsets":                      {"apps", true, []string{"statefulset", "sts"}},
	"replicasets":                       {"apps", true, []string{"replicaset", "rs"}},
	"controllerrevisions":               {"apps", true, []string{"controllerrevision"}},
	"jobs":                              {"batch", true, []string{"job"}},
	"cronjobs":                          {"batch", true, []string{"cronjob", "cj"}},
	"ingresses":                         {"networking.k8s.io", true, []string{"ingress", "ing"}},
	"ingressclasses":                    {"networking.k8s.io", false, []string{"ingressclass"}},
	"networkpolicies":                   {"networking.k8s.io", true, []string{"networkpolicy", "netpol"}},
	"roles":                             {"rbac.authorization.k8s.io", true, []string{"role"}},
	"rolebindings":                      {"rbac.authorization.k8s.io", true, []string{"rolebinding"}},
	"clusterroles":                      {"rbac.authorization.k8s.io", false, []string{"clusterrole"}},
	"clusterrolebindings":               {"rbac.authorization.k8s.io", false, []string{"clusterrolebinding"}},
	"poddisruptionbudgets":              {"policy", true, []string{"poddisruptionbudget", "pdb"}},
	"horizontalpodautoscalers":          {"autoscaling", true, []string{"horizontalpodautoscaler", "hpa"}},
	"storageclasses":                    {"storage.k8s.io", false, []string{"storageclass", "sc"}},
	"csidrivers":                        {"storage.k8s.io", false, []string{"csidriver"}},
	"csinodes":                          {"storage.k8s.io", false, []string{"csinode"}},
	"volumeattachments":                 {"storage.k8s.io", false, []string{"volumeattachment"}},
	"certificatesigningrequests":        {"certificates.k8s.io", false, []string{"certificatesigningrequest", "csr"}},
	"mutatingwebhookconfigurations":     {"admissionregistration.k8s.io", false, []string{"mutatingwebhookconfiguration"}},
	"validatingwebhookconfigurations":   {"admissionregistration.k8s.io", false, []string{"validatingwebhookconfiguration"}},
	"validatingadmissionpolicies":       {"admissionregistration.k8s.io", false, []string{"validatingadmissionpolicy"}},
	"validatingadmissionpolicybindings": {"admissionregistration.k8s.io", false, []string{"validatingadmissionpolicybinding"}},
	"customresourcedefinitions":         {"apiextensions.k8s.io", false, []string{"customresourcedefinition", "crd", "crds"}},
	"leases":                            {"coordination.k8s.io", true, []string{"lease"}},
	"endpointslices":                    {"discovery.k8s.io", true, []string{"endpointslice"}},
	"priorityclasses":                   {"scheduling.k8s.io", false, []string{"priorityclass", "pc"}},
	"runtimeclasses":                    {"node.k8s.io", false, []string{"runtimeclass"}},
	"tokenreviews":                      {"authentication.k8s.io", false, []string{"tokenreview"}},
	"subjectaccessreviews":              {"authorization.k8s.io", false, []string{"subjectaccessreview"}},
	"selfsubjectaccessreviews":          {"authorization.k8s.io", false, []string{"selfsubjectaccessreview"}},
	"selfsubjectrulesreviews":           {"authorization.k8s.io", false, []string{"selfsubjectrulesreview"}},
	"localsubjectaccessreviews":         {"authorization.k8s.io", true, []string{"localsubjectaccessreview"}},
	"users":                             {"", false, nil},
	"groups":                            {"", false, nil},
}

var resourceAliases = func() map[string]string {
	m := map[string]string{}
	for name, r := range builtinResources {
		for _, a := range r.aliases {
			m[a] = name
		}
	}
	return m
}()

// Resource is a parsed RESOURCE[.GROUP][/SUBRESOURCE] argument.
type Resource struct {
	Group, Resource, Subresource string
	// Namespaced is false for the cluster-scoped built-in resources; unknown
	// resources count as namespaced.
	Namespaced bool
	// Known is false when the name is not a built-in resource and was taken as
	// written (a custom resource, or a typo).
	Known bool
}

// ParseResource reads a resource as kubectl names one: "pods", "po", "pod",
// "deployments.apps", "deploy/scale", "pods/exec", "widgets.example.com". A name
// without a group that is not a built-in resource is taken as a core resource as
// written (Known false).
func ParseResource(s string) (Resource, error) {
	s = strings.TrimSpace(s)
	name, sub, _ := strings.Cut(s, "/")
	if name == "" || strings.Contains(sub, "/") {
		return Resource{}, fmt.Errorf("resource %q: want RESOURCE[.GROUP][/SUBRESOURCE]", s)
	}
	name = strings.ToLower(name)
	var group string
	hasGroup := false
	if i := strings.IndexByte(name, '.'); i >= 0 {
		name, group, hasGroup = name[:i], name[i+1:], true
		if name == "" || group == "" {
			return Resource{}, fmt.Errorf("resource %q: want RESOURCE[.GROUP][/SUBRESOURCE]", s)
		}
	}
	if full, ok := resourceAliases[name]; ok {
		name = full
	}
	r := Resource{Group: group, Resource: name, Subresource: sub, Namespaced: true}
	if k, ok := builtinResources[name]; ok && (!hasGroup || k.group == group) {
		r.Group, r.Namespaced, r.Known = k.group, k.namespaced, true
	} else if hasGroup {
		r.Known = true // the group is explicit
	}
	return r, nil
}

// String writes the resource as RESOURCE[.GROUP][/SUBRESOURCE].
func (r Resource) String() string {
	s := r.Resource
	if r.Group != "" {
		s += "." + r.Group
	}
	if r.Subresource != "" {
		s += "/" + r.Subresource
	}
	return s
}

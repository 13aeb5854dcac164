// Package live reads a running cluster's objects through the Kubernetes API and turns
// them into the same inventory objects the file loader produces, so that every scan
// rule runs on them unchanged. Lists that fail (forbidden, timed out, not served)
// become coverage gaps: what could not be checked and why.
package live

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
)

// Origin is the File of every object's location: objects read from the API have no
// file or line.
const Origin = "cluster"

// Kind is one resource the scan lists.
type Kind struct {
	GVR        schema.GroupVersionResource
	Kind       string
	Namespaced bool
	// Secret marks Secrets, whose values are read only with IncludeSecretValues.
	Secret bool
}

// Kinds are the resources Palisade knows how to list, in listing order. Which of them a
// read lists comes from the rules (source.RuleKinds, through Select); a kind a rule
// reads that is missing here must be declared file-only (source.FileOnly), which a
// test checks.
var Kinds = []Kind{
	{schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}, "Namespace", false, false},
	{schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}, "CustomResourceDefinition", false, false},
	{schema.GroupVersionResource{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "clusterroles"}, "ClusterRole", false, false},
	{schema.GroupVersionResource{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "clusterrolebindings"}, "ClusterRoleBinding", false, false},
	{schema.GroupVersionResource{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "roles"}, "Role", true, false},
	{schema.GroupVersionResource{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "rolebindings"}, "RoleBinding", true, false},
	{schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}, "Deployment", true, false},
	{schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "daemonsets"}, "DaemonSet", true, false},
	{schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "statefulsets"}, "StatefulSet", true, false},
	{schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "replicasets"}, "ReplicaSet", true, false},
	{schema.GroupVersionResource{Version: "v1", Resource: "replicationcontrollers"}, "ReplicationController", true, false},
	{schema.GroupVersionResource{Group: "batch", Version: "v1", Resource: "cronjobs"}, "CronJob", true, false},
	{schema.GroupVersionResource{Group: "batch", Version: "v1", Resource: "jobs"}, "Job", true, false},
	{schema.GroupVersionResource{Version: "v1", Resource: "pods"}, "Pod", true, false},
	{schema.GroupVersionResource{Version: "v1", Resource: "podtemplates"}, "PodTemplate", true, false},
	{schema.GroupVersionResource{Version: "v1", Resource: "services"}, "Service", true, false},
	{schema.GroupVersionResource{Group: "networking.k8s.io", Version: "v1", Resource: "ingresses"}, "Ingress", true, false},
	{schema.GroupVersionResource{Group: "networking.k8s.io", Version: "v1", Resource: "networkpolicies"}, "NetworkPolicy", true, false},
	{schema.GroupVersionResource{Version: "v1", Resource: "resourcequotas"}, "ResourceQuota", true, false},
	{schema.GroupVersionResource{Version: "v1", Resource: "limitranges"}, "LimitRange", true, false},
	{schema.GroupVersionResource{Version: "v1", Resource: "serviceaccounts"}, "ServiceAccount", true, false},
	{schema.GroupVersionResource{Group: "node.k8s.io", Version: "v1", Resource: "runtimeclasses"}, "RuntimeClass", false, false},
	{schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}, "ConfigMap", true, false},
	{schema.GroupVersionResource{Version: "v1", Resource: "secrets"}, "Secret", true, true},
	{schema.GroupVersionResource{Group: "admissionregistration.k8s.io", Version: "v1", Resource: "validatingadmissionpolicies"}, "ValidatingAdmissionPolicy", false, false},
	{schema.GroupVersionResource{Group: "admissionregistration.k8s.io", Version: "v1", Resource: "validatingadmissionpolicybindings"}, "ValidatingAdmissionPolicyBinding", false, false},
}

// Select returns the listable kinds among kinds, in the order of Kinds, and the kinds
// it does not know.
func Select(kinds []string) (sel []Kind, unknown []string) {
	want := map[string]bool{}
	for _, k := range kinds {
		want[k] = true
	}
	for _, k := range Kinds {
		if want[k.Kind] {
			sel = append(sel, k)
			delete(want, k.Kind)
		}
	}
	for k := range want {
		unknown = append(unknown, k)
	}
	sort.Strings(unknown)
	return sel, unknown
}

// ownerKinds are the controllers whose pod template the scan reads itself: an object
// controlled by one of them is skipped, so that a Deployment is reported once and not
// once per ReplicaSet and Pod. Objects controlled by anything else (a Node for static
// pods, an operator's custom resource) are kept.
var ownerKinds = map[string]bool{
	"Deployment": true, "ReplicaSet": true, "DaemonSet": true, "StatefulSet": true,
	"Job": true, "CronJob": true, "ReplicationController": true,
}

// Options say what to read.
type Options struct {
	// Namespace limits namespaced kinds to one namespace ("" for all), and the
	// Namespace objects to that one. Other cluster-scoped kinds are always listed.
	Namespace string
	// IncludeSecretValues keeps Secrets' data and stringData; without it Secrets are
	// read as metadata and type only.
	IncludeSecretValues bool
	// Timeout bounds each list request (default 30s).
	Timeout time.Duration
	// PageSize is the limit of each list page (default 500).
	PageSize int64
	// Progress, if set, receives one line per kind listed.
	Progress io.Writer
	// Kinds overrides the kinds to list (default Kinds).
	Kinds []Kind
	// RunsPods, if set, says which custom kinds carry a pod template (see
	// workload.Finder.Lookup): the custom resources of every CRD the cluster serves
	// for such a kind are listed too, and objects they control are skipped.
	RunsPods func(apiVersion, kind string) bool
}

// Result is what a read produced.
type Result struct {
	Objects []*inventory.Object
	// Coverage lists what could not be read, and why.
	Coverage []finding.CoverageGap
	// Lists counts the successful list calls (kinds, per namespace scope).
	Lists int
	// Owned counts objects skipped because a controller's template is scanned instead.
	Owned int
	// SecretsRedacted is true when Secrets were read without their values.
	SecretsRedacted bool
}

// RESTConfig builds a client configuration with the usual kubeconfig rules: an
// explicit file, else $KUBECONFIG, else ~/.kube/config, else the in-cluster config.
func RESTConfig(kubeconfig, context string) (*rest.Config, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = kubeconfig
	overrides := &clientcmd.ConfigOverrides{CurrentContext: context}
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides).ClientConfig()
	if clientcmd.IsEmptyConfig(err) {
		return nil, &NoClusterError{Tried: tried(kubeconfig)}
	}
	if err != nil {
		return nil, fmt.Errorf("cluster connection: %w", err)
	}
	return cfg, nil
}

// NoClusterError says that no kubeconfig names a cluster and Palisade does not run in
// a pod. Tried lists each place looked at, with what was found there.
type NoClusterError struct{ Tried []string }

func (e *NoClusterError) Error() string {
	return "no cluster to connect to: tried " + strings.Join(e.Tried, ", ")
}

// tried describes the places client-go's loading rules look for a cluster, in their
// order, with what each held.
func tried(explicit string) []string {
	file := func(p string) string {
		if _, err := os.Stat(p); err != nil {
			return p + ": not found"
		}
		return p + ": no current context or cluster in it"
	}
	var out []string
	switch env := os.Getenv(clientcmd.RecommendedConfigPathEnvVar); {
	case explicit != "":
		out = append(out, "--kubeconfig ("+file(explicit)+")")
	case env != "":
		var states []string
		for _, p := range filepath.SplitList(env) {
			if p != "" {
				states = append(states, file(p))
			}
		}
		out = append(out, "$KUBECONFIG ("+strings.Join(states, "; ")+")")
	default:
		out = append(out, "$KUBECONFIG (unset)", "~/.kube/config ("+file(clientcmd.RecommendedHomeFile)+")")
	}
	inCluster := "not in a pod: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are unset"
	if os.Getenv("KUBERNETES_SERVICE_HOST") != "" && os.Getenv("KUBERNETES_SERVICE_PORT") != "" {
		if _, err := rest.InClusterConfig(); err != nil {
			inCluster = err.Error()
		}
	}
	return append(out, "the in-cluster service account ("+inCluster+")")
}

// Read lists every kind and converts the items. Only a bad configuration or the end
// of ctx (an *InterruptedError) is an error; failing lists are coverage gaps.
func Read(ctx context.Context, cfg *rest.Config, opts Options) (*Result, error) {
	c := rest.CopyConfig(cfg)
	if c.QPS == 0 {
		c.QPS, c.Burst = 50, 100
	}
	client, err := dynamic.NewForConfig(c)
	if err != nil {
		return nil, fmt.Errorf("cluster client: %w", err)
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 30 * time.Second
	}
	if opts.PageSize <= 0 {
		opts.PageSize = 500
	}
	kinds := opts.Kinds
	if kinds == nil {
		kinds = Kinds
	}
	res := &Result{}
	owners := map[string]bool{}
	for k := range ownerKinds {
		owners[k] = true
	}
	kinds = append([]Kind(nil), kinds...)
	for i := 0; i < len(kinds); i++ {
		k := kinds[i]
		ns := ""
		if k.Namespaced {
			ns = opts.Namespace
		}
		items, err := list(ctx, client, k, ns, opts)
		if err != nil && ctx.Err() != nil {
			// The command was interrupted (Ctrl-C, or its deadline): stop here
			// instead of reporting every remaining kind as a gap.
			return nil, &InterruptedError{Kind: k.Kind, Err: context.Cause(ctx)}
		}
		if err != nil {
			res.Coverage = append(res.Coverage, finding.CoverageGap{Kind: k.Kind, APIVersion: k.GVR.GroupVersion().String(), Namespace: ns, Reason: reason(err)})
			if opts.Progress != nil {
				fmt.Fprintf(opts.Progress, "palisade: %s: not listed: %s\n", k.Kind, reason(err))
			}
			continue
		}
		res.Lists++
		if k.Secret && !opts.IncludeSecretValues {
			res.SecretsRedacted = true
		}
		if opts.Progress != nil {
			fmt.Fprintf(opts.Progress, "palisade: listed %d %s\n", len(items), k.Kind)
		}
		for i := range items {
			u := &items[i]
			if k.Kind == "CustomResourceDefinition" && opts.RunsPods != nil {
				if ck, ok := customKind(u, opts.RunsPods); ok {
					kinds = append(kinds, ck)
					owners[ck.Kind] = true
				}
			}
			if k.Kind == "Namespace" && opts.Namespace != "" && u.GetName() != opts.Namespace {
				continue // with -n, only that namespace's own object is checked
			}
			if controlledBy(u, owners) {
				res.Owned++
				continue
			}
			if k.Secret && !opts.IncludeSecretValues {
				delete(u.Object, "data")
				delete(u.Object, "stringData")
			}
			res.Objects = append(res.Objects, Object(u))
		}
	}
	sort.SliceStable(res.Coverage, func(i, j int) bool { return res.Coverage[i].Kind < res.Coverage[j].Kind })
	return res, nil
}

// InterruptedError says a read stopped because its context ended (the command was
// interrupted or ran out of time) while listing Kind.
type InterruptedError struct {
	Kind string
	Err  error
}

func (e *InterruptedError) Error() string {
	return fmt.Sprintf("cluster read interrupted while listing %s: %v", e.Kind, e.Err)
}

func (e *InterruptedError) Unwrap() error { return e.Err }

func list(ctx context.Context, client dynamic.Interface, k Kind, ns string, opts Options) ([]unstructured.Unstructured, error) {
	var out []unstructured.Unstructured
	cont := ""
	for {
		lctx, cancel := context.WithTimeout(ctx, opts.Timeout)
		var ri dynamic.ResourceInterface = client.Resource(k.GVR)
		if k.Namespaced && ns != "" {
			ri = client.Resource(k.GVR).Namespace(ns)
		}
		l, err := ri.List(lctx, metav1.ListOptions{Limit: opts.PageSize, Continue: cont})
		cancel()
		if err != nil {
			return nil, err
		}
		out = append(out, l.Items...)
		cont = l.GetContinue()
		if cont == "" {
			return out, nil
		}
	}
}

func reason(err error) string {
	switch {
	case apierrors.IsForbidden(err):
		return "forbidden: " + err.Error()
	case apierrors.IsNotFound(err):
		return "not served by this cluster: " + err.Error()
	case errors.Is(err, context.DeadlineExceeded) || apierrors.IsTimeout(err) || apierrors.IsServerTimeout(err):
		return "timed out: " + err.Error()
	}
	return err.Error()
}

func controlledByWorkload(u *unstructured.Unstructured) bool { return controlledBy(u, ownerKinds) }

func controlledBy(u *unstructured.Unstructured, owners map[string]bool) bool {
	for _, r := range u.GetOwnerReferences() {
		if r.Controller != nil && *r.Controller && owners[r.Kind] {
			return true
		}
	}
	return false
}

// customKind is the resource a CRD defines, in its storage version, if that kind
// runs pods.
func customKind(crd *unstructured.Unstructured, runsPods func(apiVersion, kind string) bool) (Kind, bool) {
	group, _, _ := unstructured.NestedString(crd.Object, "spec", "group")
	kind, _, _ := unstructured.NestedString(crd.Object, "spec", "names", "kind")
	plural, _, _ := unstructured.NestedString(crd.Object, "spec", "names", "plural")
	scope, _, _ := unstructured.NestedString(crd.Object, "spec", "scope")
	versions, _, _ := unstructured.NestedSlice(crd.Object, "spec", "versions")
	version := ""
	for _, v := range versions {
		m, _ := v.(map[string]any)
		name, _ := m["name"].(string)
		served, _ := m["served"].(bool)
		storage, _ := m["storage"].(bool)
		if served && (version == "" || storage) {
			version = name
		}
	}
	if kind == "" || plural == "" || version == "" || !runsPods(group+"/"+version, kind) {
		return Kind{}, false
	}
	return Kind{GVR: schema.GroupVersionResource{Group: group, Version: version, Resource: plural}, Kind: kind, Namespaced: scope == "Namespaced"}, true
}

// Object converts one API object into an inventory object: header from metadata,
// origin "cluster" (no line numbers), body without managedFields and status noise.
func Object(u *unstructured.Unstructured) *inventory.Object {
	if md, ok := u.Object["metadata"].(map[string]any); ok {
		delete(md, "managedFields")
	}
	o := &inventory.Object{
		Ref: finding.ObjectRef{
			APIVersion: u.GetAPIVersion(), Kind: u.GetKind(),
			Namespace: u.GetNamespace(), Name: u.GetName(),
		},
		Labels:      u.GetLabels(),
		Annotations: u.GetAnnotations(),
		Origin:      finding.Location{File: Origin, Provenance: finding.FromCluster},
		Body:        u.Object,
	}
	if o.Ref.Kind == "CustomResourceDefinition" {
		group, _, _ := unstructured.NestedString(u.Object, "spec", "group")
		kind, _, _ := unstructured.NestedString(u.Object, "spec", "names", "kind")
		scope, _, _ := unstructured.NestedString(u.Object, "spec", "scope")
		if kind != "" && scope != "" {
			o.CRD = &inventory.CRDInfo{Group: group, Kind: kind, Scope: scope}
		}
	}
	return o
}

package webhook

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
)

// Cluster reads namespaces and pods for reviews through informer caches, and
// directly from the API server when the cache misses (an object created a moment
// ago). The caches keep only what reviews read: namespace labels, and the pod
// settings that make exec escalate.
type Cluster struct {
	client     kubernetes.Interface
	factory    informers.SharedInformerFactory
	namespaces corelisters.NamespaceLister
	pods       corelisters.PodLister
	synced     []cache.InformerSynced
	// Timeout bounds a direct read.
	Timeout time.Duration
}

// NewCluster prepares the caches; Start fills them.
func NewCluster(client kubernetes.Interface) *Cluster {
	f := informers.NewSharedInformerFactoryWithOptions(client, 10*time.Minute, informers.WithTransform(slim))
	c := &Cluster{client: client, factory: f, Timeout: 2 * time.Second}
	ns := f.Core().V1().Namespaces()
	pods := f.Core().V1().Pods()
	c.namespaces, c.pods = ns.Lister(), pods.Lister()
	c.synced = []cache.InformerSynced{ns.Informer().HasSynced, pods.Informer().HasSynced}
	return c
}

// Start runs the informers until ctx ends.
func (c *Cluster) Start(ctx context.Context) { c.factory.Start(ctx.Done()) }

// Synced reports whether the caches hold a first full list.
func (c *Cluster) Synced() bool {
	for _, s := range c.synced {
		if !s() {
			return false
		}
	}
	return true
}

// NamespaceLabels implements admission.Cluster.
func (c *Cluster) NamespaceLabels(ctx context.Context, name string) (map[string]string, bool, error) {
	ns, err := c.namespaces.Get(name)
	if apierrors.IsNotFound(err) {
		ctx, cancel := context.WithTimeout(ctx, c.Timeout)
		defer cancel()
		ns, err = c.client.CoreV1().Namespaces().Get(ctx, name, metav1.GetOptions{})
	}
	if apierrors.IsNotFound(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return ns.Labels, true, nil
}

// Namespace implements admission.NamespaceReader: the namespace as
// ValidatingAdmissionPolicies see it (namespaceObject: its metadata, spec and
// status, which the cache keeps).
func (c *Cluster) Namespace(ctx context.Context, name string) (*corev1.Namespace, error) {
	ns, err := c.namespaces.Get(name)
	if apierrors.IsNotFound(err) {
		ctx, cancel := context.WithTimeout(ctx, c.Timeout)
		defer cancel()
		ns, err = c.client.CoreV1().Namespaces().Get(ctx, name, metav1.GetOptions{})
		if err == nil {
			ns = slimNamespace(ns)
		}
	}
	return ns, err
}

// Pod implements admission.Cluster.
func (c *Cluster) Pod(ctx context.Context, namespace, name string) (*corev1.Pod, error) {
	p, err := c.pods.Pods(namespace).Get(name)
	if apierrors.IsNotFound(err) {
		ctx, cancel := context.WithTimeout(ctx, c.Timeout)
		defer cancel()
		return c.client.CoreV1().Pods(namespace).Get(ctx, name, metav1.GetOptions{})
	}
	return p, err
}

// slimNamespace keeps of a namespace what reviews read: what the API server hands
// ValidatingAdmissionPolicies as namespaceObject (k8s.io/apiserver's
// cel.CreateNamespaceObject: metadata without managed fields and owners, spec,
// status), labels included.
func slimNamespace(o *corev1.Namespace) *corev1.Namespace {
	return &corev1.Namespace{Spec: o.Spec, Status: o.Status, ObjectMeta: metav1.ObjectMeta{
		Name: o.Name, GenerateName: o.GenerateName, Namespace: o.Namespace, UID: o.UID,
		ResourceVersion: o.ResourceVersion, Generation: o.Generation, CreationTimestamp: o.CreationTimestamp,
		DeletionTimestamp: o.DeletionTimestamp, DeletionGracePeriodSeconds: o.DeletionGracePeriodSeconds,
		Labels: o.Labels, Annotations: o.Annotations, Finalizers: o.Finalizers,
	}}
}

// slim drops from cached objects what reviews never read, so that the caches of a
// large cluster stay small.
func slim(obj any) (any, error) {
	switch o := obj.(type) {
	case *corev1.Namespace:
		return slimNamespace(o), nil
	case *corev1.Pod:
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{
			Name: o.Name, Namespace: o.Namespace, Labels: o.Labels, ResourceVersion: o.ResourceVersion, UID: o.UID,
		}}
		p.Spec.HostPID, p.Spec.HostIPC = o.Spec.HostPID, o.Spec.HostIPC
		keep := func(cs []corev1.Container) []corev1.Container {
			out := make([]corev1.Container, len(cs))
			for i, c := range cs {
				out[i] = corev1.Container{Name: c.Name}
				if c.SecurityContext != nil && c.SecurityContext.Privileged != nil {
					out[i].SecurityContext = &corev1.SecurityContext{Privileged: c.SecurityContext.Privileged}
				}
			}
			return out
		}
		p.Spec.InitContainers, p.Spec.Containers = keep(o.Spec.InitContainers), keep(o.Spec.Containers)
		for _, ec := range o.Spec.EphemeralContainers {
			e := corev1.EphemeralContainer{}
			e.Name = ec.Name
			if ec.SecurityContext != nil && ec.SecurityContext.Privileged != nil {
				e.SecurityContext = &corev1.SecurityContext{Privileged: ec.SecurityContext.Privileged}
			}
			p.Spec.EphemeralContainers = append(p.Spec.EphemeralContainers, e)
		}
		return p, nil
	}
	return obj, nil
}

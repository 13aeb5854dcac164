package vap

// A ValidatingAdmissionPolicy does not see the manifest: it sees the object the API
// server built from it. For a CREATE, the kube-apiserver (v1.37, read from
// k8s.io/kubernetes pkg/apis/*/v1/defaults.go, pkg/registry/*/strategy.go and
// plugin/pkg/admission) does this before validating admission:
//
//  1. decodes the body into the typed object of its version (fields the type does
//     not have are dropped: fieldValidation defaults to Warn) and applies the scheme
//     defaults of that version; the conversion to the internal version and back
//     merges a Secret's stringData into its data;
//  2. sets the request's namespace, the creation timestamp and a UID
//     (rest.FillObjectMetaSystemFields);
//  3. runs the mutating admission plugins enabled by default: for a PVC,
//     StorageObjectInUseProtection (the pvc-protection finalizer); for a Pod, the
//     ServiceAccount plugin (serviceAccountName "default", the projected token
//     volume and its mounts), Priority (priority 0 and PreemptLowerPriority when no
//     PriorityClass is the global default) and DefaultTolerationSeconds (300s
//     tolerations of the not-ready and unreachable taints);
//  4. runs the registry's PrepareForCreate: status reset (a Pod's to Pending with
//     its QoS class, a Namespace's to Active with the kubernetes finalizer),
//     metadata.generation 1 for the kinds whose strategy sets it, a Job's generated
//     selector and template labels.
//
// Prepare does the same offline. What it cannot know it leaves out (documented in
// docs/DEFAULTING.md, "For ValidatingAdmissionPolicies"): managedFields (the field
// manager is the client's), the random suffixes (of a name from generateName and
// of the token volume's kube-api-access-xxxxx name: Prepare writes a fixed one), a Service's allocated
// clusterIP and nodePorts, LimitRanger's and the ServiceAccount's other effects
// (they depend on other objects). The UID is derived from the object's identity so
// that a scan's results are reproducible.

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/utils/ptr"

	"github.com/palisade-k8s/palisade/internal/apidefaults"
)

// Limits of Prepare: an object deeper or larger than this is refused (a manifest
// the API server would refuse as too large long before).
const (
	maxPrepareDepth = 100
	maxPrepareNodes = 1 << 20
)

// GeneratedNameSuffix is what Prepare appends to metadata.generateName for the
// name of an object that has none: the API server appends 5 random characters
// before admission (the request's name stays empty).
const GeneratedNameSuffix = "vapxx"

// ServiceAccountTokenVolume is the name Prepare gives the token volume the
// ServiceAccount admission plugin adds to a pod. The API server names it
// kube-api-access-<5 random characters>; no manifest can know the suffix.
const ServiceAccountTokenVolume = "kube-api-access-vapxx"

// serviceAccountMountPath is where the ServiceAccount plugin mounts the token.
const serviceAccountMountPath = "/var/run/secrets/kubernetes.io/serviceaccount"

// now is the creation timestamp Prepare sets (a variable for tests).
var now = func() time.Time { return time.Now().UTC().Truncate(time.Second) }

// Prepare returns the object the API server would hand to validating admission for
// a CREATE of this manifest: decoded into its typed form where Palisade knows the
// kind (unknown fields dropped as the API server drops them), defaulted as the
// API server's scheme defaults it (docs/DEFAULTING.md lists what is applied), with
// the fields the create sets before admission. For a kind Palisade does not know
// (a custom resource), the object is used as written and Approximate says so.
//
// namespace is the request's namespace ("" for a cluster-scoped kind); an object
// naming another namespace is an error, as in the API server. obj is not modified.
func Prepare(obj map[string]any, namespace string) (out *unstructured.Unstructured, approximate bool, err error) {
	defer func() {
		// The converters are reflection over arbitrary input: a panic there is an
		// error of this object, never a crash of the scan.
		if r := recover(); r != nil {
			out, approximate, err = nil, false, fmt.Errorf("prepare: %v", r)
		}
	}()
	if obj == nil {
		return nil, false, errors.New("prepare: no object")
	}
	cp, err := copyJSON(obj, 0, new(int))
	if err != nil {
		return nil, false, err
	}
	u := &unstructured.Unstructured{Object: cp.(map[string]any)}
	gvk := u.GroupVersionKind()
	if gvk.Kind == "" || gvk.Version == "" {
		return nil, false, errors.New("prepare: object has no apiVersion or kind")
	}
	if ns := u.GetNamespace(); ns != "" && namespace != "" && ns != namespace {
		return nil, false, fmt.Errorf("prepare: the namespace of the object (%s) does not match the namespace of the request (%s)", ns, namespace)
	}
	typed, err := scheme.Scheme.New(gvk)
	if err != nil {
		// A kind the client-go scheme does not have: a custom resource (or a
		// version Palisade does not know). Its create sets the same metadata;
		// structural-schema defaults and pruning are not applied. Its metadata
		// is coerced to ObjectMeta (unknown fields and empty maps dropped), as
		// the custom resource handler does.
		var om metav1.ObjectMeta
		if md, ok := u.Object["metadata"].(map[string]any); ok {
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(md, &om); err != nil {
				return nil, false, fmt.Errorf("prepare: decode %s metadata: %w", gvk.Kind, err)
			}
		}
		createMeta(&om, gvk, namespace)
		om.Generation = 1 // the custom resource strategy sets it
		md, err := runtime.DefaultUnstructuredConverter.ToUnstructured(&om)
		if err != nil {
			return nil, false, fmt.Errorf("prepare: encode %s metadata: %w", gvk.Kind, err)
		}
		u.Object["metadata"] = md
		return u, true, nil
	}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, typed); err != nil {
		return nil, false, fmt.Errorf("prepare: decode %s: %w", gvk.Kind, err)
	}
	typed.GetObjectKind().SetGroupVersionKind(gvk)
	m, err := meta.Accessor(typed)
	if err != nil {
		return nil, false, fmt.Errorf("prepare: %s has no metadata", gvk.Kind)
	}
	createMeta(m, gvk, namespace)
	known := defaultObject(typed, m)
	res, err := runtime.DefaultUnstructuredConverter.ToUnstructured(typed)
	if err != nil {
		return nil, false, fmt.Errorf("prepare: encode %s: %w", gvk.Kind, err)
	}
	return &unstructured.Unstructured{Object: res}, !known, nil
}

// createMeta sets what rest.FillObjectMetaSystemFields and BeforeCreate set.
func createMeta(m metav1.Object, gvk schema.GroupVersionKind, namespace string) {
	if namespace != "" {
		m.SetNamespace(namespace)
	}
	m.SetCreationTimestamp(metav1.NewTime(now()))
	m.SetUID(objectUID(gvk, m.GetNamespace(), m.GetName(), m.GetGenerateName()))
	if m.GetName() == "" && m.GetGenerateName() != "" {
		m.SetName(m.GetGenerateName() + GeneratedNameSuffix)
	}
	m.SetDeletionTimestamp(nil)
	m.SetDeletionGracePeriodSeconds(nil)
	m.SetResourceVersion("")
	m.SetManagedFields(nil)
}

// objectUID is a UUID (version 8 layout, RFC 9562) derived from the object's
// identity: the API server's is random, Palisade's is reproducible.
func objectUID(gvk schema.GroupVersionKind, ns, name, generateName string) types.UID {
	h := sha256.Sum256([]byte(gvk.String() + "\x00" + ns + "\x00" + name + "\x00" + generateName))
	h[6] = h[6]&0x0f | 0x80
	h[8] = h[8]&0x3f | 0x80
	return types.UID(fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16]))
}

// defaultObject applies the scheme defaults, the default mutating admission plugins
// and PrepareForCreate of a typed object. It reports whether the kind is one Prepare
// defaults completely (false: some defaults of the kind are not applied).
func defaultObject(obj runtime.Object, m metav1.Object) bool {
	switch o := obj.(type) {
	case *corev1.Pod:
		defaultPod(o)
		return true
	case *corev1.PodTemplate:
		o.Generation = 1
		defaultPodSpec(&o.Template.Spec)
		return true
	case *corev1.ReplicationController:
		o.Generation = 1
		o.Status = corev1.ReplicationControllerStatus{}
		if o.Spec.Template != nil {
			if l := o.Spec.Template.Labels; len(l) > 0 {
				if len(o.Spec.Selector) == 0 {
					o.Spec.Selector = l
				}
				if len(o.Labels) == 0 {
					o.Labels = l
				}
			}
			defaultPodSpec(&o.Spec.Template.Spec)
		}
		if o.Spec.Replicas == nil {
			o.Spec.Replicas = ptr.To[int32](1)
		}
		return true
	case *appsv1.Deployment:
		defaultDeployment(o)
		return true
	case *appsv1.StatefulSet:
		defaultStatefulSet(o)
		return true
	case *appsv1.DaemonSet:
		defaultDaemonSet(o)
		return true
	case *appsv1.ReplicaSet:
		o.Generation = 1
		o.Status = appsv1.ReplicaSetStatus{}
		if o.Spec.Replicas == nil {
			o.Spec.Replicas = ptr.To[int32](1)
		}
		defaultPodSpec(&o.Spec.Template.Spec)
		return true
	case *batchv1.Job:
		defaultJobSpec(&o.Spec, &o.ObjectMeta)
		o.Generation = 1
		o.Status = batchv1.JobStatus{}
		generateJobSelector(o)
		return true
	case *batchv1.CronJob:
		defaultCronJob(o)
		return true
	case *corev1.Service:
		defaultService(o)
		return true
	case *corev1.Secret:
		// The conversion to the internal version merges stringData into data
		// (stringData wins); admission sees the result converted back.
		if len(o.StringData) > 0 {
			if o.Data == nil {
				o.Data = make(map[string][]byte, len(o.StringData))
			}
			for k, v := range o.StringData {
				o.Data[k] = []byte(v)
			}
			o.StringData = nil
		}
		if o.Type == "" {
			o.Type = corev1.SecretTypeOpaque
		}
		return true
	case *corev1.ConfigMap:
		if o.Data == nil {
			o.Data = map[string]string{}
		}
		return true
	case *corev1.Namespace:
		defaultNamespace(o)
		return true
	case *corev1.PersistentVolumeClaim:
		o.Status = corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimPending}
		defaultPVCSpec(&o.Spec)
		// The StorageObjectInUseProtection admission plugin (DefaultStorageClass
		// sets nothing without a default StorageClass).
		if !slices.Contains(o.Finalizers, "kubernetes.io/pvc-protection") {
			o.Finalizers = append(o.Finalizers, "kubernetes.io/pvc-protection")
		}
		return true
	case *corev1.ServiceAccount, *corev1.ResourceQuota, *rbacv1.Role, *rbacv1.ClusterRole:
		return true // no defaults
	case *rbacv1.RoleBinding:
		defaultRoleRef(&o.RoleRef)
		defaultSubjects(o.Subjects)
		return true
	case *rbacv1.ClusterRoleBinding:
		defaultRoleRef(&o.RoleRef)
		defaultSubjects(o.Subjects)
		return true
	case *networkingv1.NetworkPolicy:
		defaultNetworkPolicy(o)
		return true
	case *networkingv1.Ingress:
		o.Generation = 1
		o.Status = networkingv1.IngressStatus{}
		return true
	case *networkingv1.IngressClass:
		o.Generation = 1
		if o.Spec.Parameters != nil && o.Spec.Parameters.Scope == nil {
			o.Spec.Parameters.Scope = ptr.To(networkingv1.IngressClassParametersReferenceScopeCluster)
		}
		return true
	}
	return false
}

func defaultDeployment(o *appsv1.Deployment) {
	o.Generation = 1
	o.Status = appsv1.DeploymentStatus{}
	if o.Spec.Replicas == nil {
		o.Spec.Replicas = ptr.To[int32](1)
	}
	s := &o.Spec.Strategy
	if s.Type == "" {
		s.Type = appsv1.RollingUpdateDeploymentStrategyType
	}
	if s.Type == appsv1.RollingUpdateDeploymentStrategyType {
		if s.RollingUpdate == nil {
			s.RollingUpdate = &appsv1.RollingUpdateDeployment{}
		}
		if s.RollingUpdate.MaxUnavailable == nil {
			s.RollingUpdate.MaxUnavailable = ptr.To(intstr.FromString("25%"))
		}
		if s.RollingUpdate.MaxSurge == nil {
			s.RollingUpdate.MaxSurge = ptr.To(intstr.FromString("25%"))
		}
	}
	if o.Spec.RevisionHistoryLimit == nil {
		o.Spec.RevisionHistoryLimit = ptr.To[int32](10)
	}
	if o.Spec.ProgressDeadlineSeconds == nil {
		o.Spec.ProgressDeadlineSeconds = ptr.To[int32](600)
	}
	defaultPodSpec(&o.Spec.Template.Spec)
}

func defaultStatefulSet(o *appsv1.StatefulSet) {
	o.Generation = 1
	o.Status = appsv1.StatefulSetStatus{}
	if o.Spec.PodManagementPolicy == "" {
		o.Spec.PodManagementPolicy = appsv1.OrderedReadyPodManagement
	}
	u := &o.Spec.UpdateStrategy
	if u.Type == "" {
		u.Type = appsv1.RollingUpdateStatefulSetStrategyType
		if u.RollingUpdate == nil {
			u.RollingUpdate = &appsv1.RollingUpdateStatefulSetStrategy{}
		}
	}
	if u.Type == appsv1.RollingUpdateStatefulSetStrategyType && u.RollingUpdate != nil {
		if u.RollingUpdate.Partition == nil {
			u.RollingUpdate.Partition = ptr.To[int32](0)
		}
		if u.RollingUpdate.MaxUnavailable == nil { // MaxUnavailableStatefulSet: on by default in v1.37
			u.RollingUpdate.MaxUnavailable = ptr.To(intstr.FromInt32(1))
		}
	}
	if o.Spec.PersistentVolumeClaimRetentionPolicy == nil {
		o.Spec.PersistentVolumeClaimRetentionPolicy = &appsv1.StatefulSetPersistentVolumeClaimRetentionPolicy{}
	}
	if p := o.Spec.PersistentVolumeClaimRetentionPolicy; p.WhenDeleted == "" {
		p.WhenDeleted = appsv1.RetainPersistentVolumeClaimRetentionPolicyType
	}
	if p := o.Spec.PersistentVolumeClaimRetentionPolicy; p.WhenScaled == "" {
		p.WhenScaled = appsv1.RetainPersistentVolumeClaimRetentionPolicyType
	}
	if o.Spec.Replicas == nil {
		o.Spec.Replicas = ptr.To[int32](1)
	}
	if o.Spec.RevisionHistoryLimit == nil {
		o.Spec.RevisionHistoryLimit = ptr.To[int32](10)
	}
	for i := range o.Spec.VolumeClaimTemplates {
		c := &o.Spec.VolumeClaimTemplates[i]
		c.APIVersion, c.Kind = "v1", "PersistentVolumeClaim"
		defaultPVCSpec(&c.Spec)
		c.Status = corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimPending}
	}
	defaultPodSpec(&o.Spec.Template.Spec)
}

func defaultDaemonSet(o *appsv1.DaemonSet) {
	o.Generation = 1
	// PrepareForCreate sets spec.templateGeneration 1, which apps/v1 carries as
	// this annotation.
	if o.Annotations == nil {
		o.Annotations = map[string]string{}
	}
	o.Annotations[appsv1.DeprecatedTemplateGeneration] = "1"
	o.Status = appsv1.DaemonSetStatus{}
	u := &o.Spec.UpdateStrategy
	if u.Type == "" {
		u.Type = appsv1.RollingUpdateDaemonSetStrategyType
	}
	if u.Type == appsv1.RollingUpdateDaemonSetStrategyType {
		if u.RollingUpdate == nil {
			u.RollingUpdate = &appsv1.RollingUpdateDaemonSet{}
		}
		if u.RollingUpdate.MaxUnavailable == nil {
			u.RollingUpdate.MaxUnavailable = ptr.To(intstr.FromInt32(1))
		}
		if u.RollingUpdate.MaxSurge == nil {
			u.RollingUpdate.MaxSurge = ptr.To(intstr.FromInt32(0))
		}
	}
	if o.Spec.RevisionHistoryLimit == nil {
		o.Spec.RevisionHistoryLimit = ptr.To[int32](10)
	}
	defaultPodSpec(&o.Spec.Template.Spec)
}

// defaultJobSpec is SetDefaults_Job, which also copies the template's labels to
// the Job's when it has none.
func defaultJobSpec(s *batchv1.JobSpec, m *metav1.ObjectMeta) {
	if s.Completions == nil && s.Parallelism == nil {
		s.Completions = ptr.To[int32](1)
		s.Parallelism = ptr.To[int32](1)
	}
	if s.Parallelism == nil {
		s.Parallelism = ptr.To[int32](1)
	}
	if s.BackoffLimit == nil {
		if s.BackoffLimitPerIndex != nil {
			s.BackoffLimit = ptr.To[int32](math.MaxInt32)
		} else {
			s.BackoffLimit = ptr.To[int32](6)
		}
	}
	if l := s.Template.Labels; l != nil && len(m.Labels) == 0 {
		m.Labels = l
	}
	if s.CompletionMode == nil {
		s.CompletionMode = ptr.To(batchv1.NonIndexedCompletion)
	}
	if s.Suspend == nil {
		s.Suspend = ptr.To(false)
	}
	if s.PodReplacementPolicy == nil {
		if s.PodFailurePolicy != nil {
			s.PodReplacementPolicy = ptr.To(batchv1.Failed)
		} else {
			s.PodReplacementPolicy = ptr.To(batchv1.TerminatingOrFailed)
		}
	}
	if s.ManualSelector == nil {
		s.ManualSelector = ptr.To(false)
	}
	if p := s.PodFailurePolicy; p != nil {
		for i := range p.Rules {
			for j := range p.Rules[i].OnPodConditions {
				if c := &p.Rules[i].OnPodConditions[j]; c.Status == "" {
					c.Status = corev1.ConditionTrue
				}
			}
		}
	}
	defaultPodSpec(&s.Template.Spec)
}

// generateJobSelector is the Job strategy's generateSelectorIfNeeded: the selector
// and template labels from the Job's UID and name, unless manualSelector.
func generateJobSelector(o *batchv1.Job) {
	if o.Spec.ManualSelector != nil && *o.Spec.ManualSelector {
		return
	}
	uid := string(o.UID)
	l := o.Spec.Template.Labels
	if l == nil {
		l = map[string]string{}
	}
	l["batch.kubernetes.io/controller-uid"] = uid
	l["controller-uid"] = uid
	l["batch.kubernetes.io/job-name"] = o.Name
	l["job-name"] = o.Name
	o.Spec.Template.Labels = l
	if o.Spec.Selector == nil {
		o.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"batch.kubernetes.io/controller-uid": uid}}
	}
}

func defaultCronJob(o *batchv1.CronJob) {
	o.Generation = 1
	o.Status = batchv1.CronJobStatus{}
	if o.Spec.ConcurrencyPolicy == "" {
		o.Spec.ConcurrencyPolicy = batchv1.AllowConcurrent
	}
	if o.Spec.Suspend == nil {
		o.Spec.Suspend = ptr.To(false)
	}
	if o.Spec.SuccessfulJobsHistoryLimit == nil {
		o.Spec.SuccessfulJobsHistoryLimit = ptr.To[int32](3)
	}
	if o.Spec.FailedJobsHistoryLimit == nil {
		o.Spec.FailedJobsHistoryLimit = ptr.To[int32](1)
	}
	// SetDefaults_Job is not applied to a CronJob's job template: only the
	// defaults of the pod template inside it.
	defaultPodSpec(&o.Spec.JobTemplate.Spec.Template.Spec)
}

func defaultService(o *corev1.Service) {
	s := &o.Spec
	if s.SessionAffinity == "" {
		s.SessionAffinity = corev1.ServiceAffinityNone
	}
	if s.SessionAffinity == corev1.ServiceAffinityNone {
		s.SessionAffinityConfig = nil
	}
	if s.SessionAffinity == corev1.ServiceAffinityClientIP {
		if c := s.SessionAffinityConfig; c == nil || c.ClientIP == nil || c.ClientIP.TimeoutSeconds == nil {
			s.SessionAffinityConfig = &corev1.SessionAffinityConfig{ClientIP: &corev1.ClientIPConfig{
				TimeoutSeconds: ptr.To(corev1.DefaultClientIPServiceAffinitySeconds)}}
		}
	}
	if s.Type == "" {
		s.Type = corev1.ServiceTypeClusterIP
	}
	for i := range s.Ports {
		p := &s.Ports[i]
		if p.Protocol == "" {
			p.Protocol = corev1.ProtocolTCP
		}
		if p.TargetPort == intstr.FromInt32(0) || p.TargetPort == intstr.FromString("") {
			p.TargetPort = intstr.FromInt32(p.Port)
		}
	}
	external := s.Type == corev1.ServiceTypeLoadBalancer || s.Type == corev1.ServiceTypeNodePort ||
		(s.Type == corev1.ServiceTypeClusterIP && len(s.ExternalIPs) > 0)
	if external && s.ExternalTrafficPolicy == "" {
		s.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyCluster
	}
	if s.InternalTrafficPolicy == nil && s.Type != corev1.ServiceTypeExternalName {
		s.InternalTrafficPolicy = ptr.To(corev1.ServiceInternalTrafficPolicyCluster)
	}
	if s.Type == corev1.ServiceTypeLoadBalancer && s.AllocateLoadBalancerNodePorts == nil {
		s.AllocateLoadBalancerNodePorts = ptr.To(true)
	}
	// The IP allocator (the Service REST storage's BeginCreate) settles the families
	// before admission; on a single-stack IPv4 cluster a service that asks for
	// nothing gets SingleStack IPv4. Headless services without selector and
	// ExternalName services get no family.
	if s.Type != corev1.ServiceTypeExternalName && s.IPFamilyPolicy == nil && len(s.IPFamilies) == 0 &&
		!(s.ClusterIP == corev1.ClusterIPNone && len(s.Selector) == 0) {
		s.IPFamilyPolicy = ptr.To(corev1.IPFamilyPolicySingleStack)
		s.IPFamilies = []corev1.IPFamily{corev1.IPv4Protocol}
	}
	if s.ClusterIP == corev1.ClusterIPNone && len(s.ClusterIPs) == 0 {
		s.ClusterIPs = []string{corev1.ClusterIPNone}
	}
	o.Status = corev1.ServiceStatus{}
}

func defaultNamespace(o *corev1.Namespace) {
	if o.Name != "" {
		if o.Labels == nil {
			o.Labels = map[string]string{}
		}
		o.Labels[corev1.LabelMetadataName] = o.Name
	}
	o.Status = corev1.NamespaceStatus{Phase: corev1.NamespaceActive}
	for _, f := range o.Spec.Finalizers {
		if f == corev1.FinalizerKubernetes {
			return
		}
	}
	o.Spec.Finalizers = append(o.Spec.Finalizers, corev1.FinalizerKubernetes)
}

func defaultNetworkPolicy(o *networkingv1.NetworkPolicy) {
	o.Generation = 1
	if len(o.Spec.PolicyTypes) == 0 {
		o.Spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}
		if len(o.Spec.Egress) != 0 {
			o.Spec.PolicyTypes = append(o.Spec.PolicyTypes, networkingv1.PolicyTypeEgress)
		}
	}
	ports := func(ps []networkingv1.NetworkPolicyPort) {
		for i := range ps {
			if ps[i].Protocol == nil {
				ps[i].Protocol = ptr.To(corev1.ProtocolTCP)
			}
		}
	}
	for i := range o.Spec.Ingress {
		ports(o.Spec.Ingress[i].Ports)
	}
	for i := range o.Spec.Egress {
		ports(o.Spec.Egress[i].Ports)
	}
}

func defaultRoleRef(r *rbacv1.RoleRef) {
	if r.APIGroup == "" {
		r.APIGroup = rbacv1.GroupName
	}
}

func defaultSubjects(ss []rbacv1.Subject) {
	for i := range ss {
		if s := &ss[i]; s.APIGroup == "" && (s.Kind == rbacv1.UserKind || s.Kind == rbacv1.GroupKind) {
			s.APIGroup = rbacv1.GroupName
		}
	}
}

func defaultPVCSpec(s *corev1.PersistentVolumeClaimSpec) {
	if s.VolumeMode == nil {
		s.VolumeMode = ptr.To(corev1.PersistentVolumeFilesystem)
	}
	apidefaults.RoundUp(s.Resources.Limits)
	apidefaults.RoundUp(s.Resources.Requests)
}

// defaultPod is what a Pod gets besides its spec's defaults: SetDefaults_Pod, the
// default mutating admission plugins and the Pod strategy's PrepareForCreate.
func defaultPod(p *corev1.Pod) {
	s := &p.Spec
	if s.TerminationGracePeriodSeconds != nil && *s.TerminationGracePeriodSeconds < 0 {
		s.TerminationGracePeriodSeconds = ptr.To[int64](1)
	}
	for _, cs := range [][]corev1.Container{s.Containers, s.InitContainers} {
		for i := range cs {
			r := &cs[i].Resources
			if r.Limits == nil {
				continue
			}
			if r.Requests == nil {
				r.Requests = corev1.ResourceList{}
			}
			for k, v := range r.Limits {
				if _, ok := r.Requests[k]; !ok {
					r.Requests[k] = v.DeepCopy()
				}
			}
		}
	}
	if s.EnableServiceLinks == nil {
		s.EnableServiceLinks = ptr.To(corev1.DefaultEnableServiceLinks)
	}
	if s.HostNetwork {
		for _, cs := range [][]corev1.Container{s.Containers, s.InitContainers} {
			for i := range cs {
				for j := range cs[i].Ports {
					if pt := &cs[i].Ports[j]; pt.HostPort == 0 {
						pt.HostPort = pt.ContainerPort
					}
				}
			}
		}
	}
	defaultPodSpec(s)
	_, mirror := p.Annotations[corev1.MirrorPodAnnotationKey]
	if !mirror {
		serviceAccountAdmission(p)
	}
	// Priority: no PriorityClass is the global default on a fresh cluster.
	if s.PriorityClassName == "" && s.Priority == nil {
		s.Priority = ptr.To[int32](0)
		if s.PreemptionPolicy == nil {
			s.PreemptionPolicy = ptr.To(corev1.PreemptLowerPriority)
		}
	}
	defaultTolerationSeconds(s)
	p.Generation = 1
	p.Status = corev1.PodStatus{Phase: corev1.PodPending}
	if len(s.SchedulingGates) > 0 {
		p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: corev1.PodReasonSchedulingGated, Message: "Scheduling is blocked due to non-empty scheduling gates"}}
	}
	p.Status.QOSClass = podQOS(p)
}

// serviceAccountAdmission is the ServiceAccount plugin's mutation for an account
// with no imagePullSecrets and no automountServiceAccountToken: false (the default
// account the test cluster and every namespace has).
func serviceAccountAdmission(p *corev1.Pod) {
	s := &p.Spec
	if s.ServiceAccountName == "" {
		s.ServiceAccountName = "default"
		s.DeprecatedServiceAccount = "default" //nolint:staticcheck // the API server keeps the alias set
	}
	if s.AutomountServiceAccountToken != nil && !*s.AutomountServiceAccountToken {
		return
	}
	name, has := ServiceAccountTokenVolume, false
	for _, v := range s.Volumes {
		if strings.HasPrefix(v.Name, "kube-api-access-") {
			name, has = v.Name, true
			break
		}
	}
	mount := corev1.VolumeMount{Name: name, ReadOnly: true, MountPath: serviceAccountMountPath}
	needs := false
	for _, cs := range [][]corev1.Container{s.InitContainers, s.Containers} {
		for i := range cs {
			mounted := false
			for _, m := range cs[i].VolumeMounts {
				if m.MountPath == serviceAccountMountPath {
					mounted = true
					break
				}
			}
			if !mounted {
				cs[i].VolumeMounts = append(cs[i].VolumeMounts, mount)
				needs = true
			}
		}
	}
	if has || !needs {
		return
	}
	s.Volumes = append(s.Volumes, corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
		DefaultMode: ptr.To(corev1.ProjectedVolumeSourceDefaultMode),
		Sources: []corev1.VolumeProjection{
			{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Path: "token", ExpirationSeconds: ptr.To[int64](3607)}},
			{ConfigMap: &corev1.ConfigMapProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "kube-root-ca.crt"},
				Items: []corev1.KeyToPath{{Key: "ca.crt", Path: "ca.crt"}}}},
			{DownwardAPI: &corev1.DownwardAPIProjection{Items: []corev1.DownwardAPIVolumeFile{{Path: "namespace",
				FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.namespace"}}}}},
		},
	}}})
}

// defaultTolerationSeconds is the DefaultTolerationSeconds plugin (300s).
func defaultTolerationSeconds(s *corev1.PodSpec) {
	notReady, unreachable := false, false
	for _, t := range s.Tolerations {
		anyEffect := t.Effect == corev1.TaintEffectNoExecute || t.Effect == ""
		if (t.Key == corev1.TaintNodeNotReady || t.Key == "") && anyEffect {
			notReady = true
		}
		if (t.Key == corev1.TaintNodeUnreachable || t.Key == "") && anyEffect {
			unreachable = true
		}
	}
	if !notReady {
		s.Tolerations = append(s.Tolerations, corev1.Toleration{Key: corev1.TaintNodeNotReady, Operator: corev1.TolerationOpExists,
			Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr.To[int64](300)})
	}
	if !unreachable {
		s.Tolerations = append(s.Tolerations, corev1.Toleration{Key: corev1.TaintNodeUnreachable, Operator: corev1.TolerationOpExists,
			Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr.To[int64](300)})
	}
}

// podQOS is qos.ComputePodQOS without pod-level resources.
func podQOS(p *corev1.Pod) corev1.PodQOSClass {
	if r := p.Spec.Resources; r != nil && (len(r.Requests) > 0 || len(r.Limits) > 0) {
		return requirementsQOS(r)
	}
	var q corev1.PodQOSClass
	for _, cs := range [][]corev1.Container{p.Spec.InitContainers, p.Spec.Containers} {
		for i := range cs {
			c := requirementsQOS(&cs[i].Resources)
			switch {
			case c == corev1.PodQOSBurstable:
				return c
			case q == "":
				q = c
			case q != c:
				return corev1.PodQOSBurstable
			}
		}
	}
	if q == "" {
		q = corev1.PodQOSBestEffort
	}
	return q
}

func requirementsQOS(r *corev1.ResourceRequirements) corev1.PodQOSClass {
	if len(r.Requests) == 0 && len(r.Limits) == 0 {
		return corev1.PodQOSBestEffort
	}
	var q corev1.PodQOSClass
	for _, n := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		req, lim := r.Requests[n], r.Limits[n]
		var c corev1.PodQOSClass
		switch {
		case !req.Equal(lim):
			return corev1.PodQOSBurstable
		case req.IsZero():
			c = corev1.PodQOSBestEffort
		default:
			c = corev1.PodQOSGuaranteed
		}
		if q == "" {
			q = c
		} else if q != c {
			return corev1.PodQOSBurstable
		}
	}
	return q
}

// defaultPodSpec is SetDefaults_PodSpec and the defaults of everything in a PodSpec
// (volumes, containers, probes, ports, env), as SetObjectDefaults_PodTemplate and
// the workload kinds apply them to a template.
func defaultPodSpec(s *corev1.PodSpec) {
	if s.ServiceAccountName == "" {
		s.ServiceAccountName = s.DeprecatedServiceAccount //nolint:staticcheck // the alias
	}
	s.DeprecatedServiceAccount = s.ServiceAccountName //nolint:staticcheck // the alias
	if s.DNSPolicy == "" {
		s.DNSPolicy = corev1.DNSClusterFirst
	}
	if s.RestartPolicy == "" {
		s.RestartPolicy = corev1.RestartPolicyAlways
	}
	if s.SecurityContext == nil {
		s.SecurityContext = &corev1.PodSecurityContext{}
	}
	if s.TerminationGracePeriodSeconds == nil {
		s.TerminationGracePeriodSeconds = ptr.To[int64](corev1.DefaultTerminationGracePeriodSeconds)
	}
	if s.SchedulerName == "" {
		s.SchedulerName = corev1.DefaultSchedulerName
	}
	for i := range s.Volumes {
		defaultVolume(&s.Volumes[i])
	}
	for i := range s.InitContainers {
		defaultContainer(&s.InitContainers[i])
	}
	for i := range s.Containers {
		defaultContainer(&s.Containers[i])
	}
	for i := range s.EphemeralContainers {
		defaultContainer((*corev1.Container)(&s.EphemeralContainers[i].EphemeralContainerCommon))
	}
	apidefaults.RoundUp(s.Overhead)
	if s.Resources != nil {
		apidefaults.RoundUp(s.Resources.Limits)
		apidefaults.RoundUp(s.Resources.Requests)
	}
}

func defaultVolume(v *corev1.Volume) {
	src := &v.VolumeSource
	if ptr.AllPtrFieldsNil(src) {
		src.EmptyDir = &corev1.EmptyDirVolumeSource{}
	}
	if src.HostPath != nil && src.HostPath.Type == nil {
		src.HostPath.Type = ptr.To(corev1.HostPathUnset)
	}
	if src.Secret != nil && src.Secret.DefaultMode == nil {
		src.Secret.DefaultMode = ptr.To(corev1.SecretVolumeSourceDefaultMode)
	}
	if src.ConfigMap != nil && src.ConfigMap.DefaultMode == nil {
		src.ConfigMap.DefaultMode = ptr.To(corev1.ConfigMapVolumeSourceDefaultMode)
	}
	if d := src.DownwardAPI; d != nil {
		if d.DefaultMode == nil {
			d.DefaultMode = ptr.To(corev1.DownwardAPIVolumeSourceDefaultMode)
		}
		for i := range d.Items {
			fieldRef(d.Items[i].FieldRef)
		}
	}
	if p := src.Projected; p != nil {
		if p.DefaultMode == nil {
			p.DefaultMode = ptr.To(corev1.ProjectedVolumeSourceDefaultMode)
		}
		for i := range p.Sources {
			if d := p.Sources[i].DownwardAPI; d != nil {
				for j := range d.Items {
					fieldRef(d.Items[j].FieldRef)
				}
			}
			if t := p.Sources[i].ServiceAccountToken; t != nil && t.ExpirationSeconds == nil {
				t.ExpirationSeconds = ptr.To[int64](3600)
			}
		}
	}
	if e := src.Ephemeral; e != nil && e.VolumeClaimTemplate != nil {
		defaultPVCSpec(&e.VolumeClaimTemplate.Spec)
	}
	if im := src.Image; im != nil && im.PullPolicy == "" {
		im.PullPolicy = apidefaults.PullPolicy(im.Reference)
	}
	if i := src.ISCSI; i != nil && i.ISCSIInterface == "" {
		i.ISCSIInterface = "default"
	}
	if r := src.RBD; r != nil {
		if r.RBDPool == "" {
			r.RBDPool = "rbd"
		}
		if r.RadosUser == "" {
			r.RadosUser = "admin"
		}
		if r.Keyring == "" {
			r.Keyring = "/etc/ceph/keyring"
		}
	}
	if a := src.AzureDisk; a != nil {
		if a.CachingMode == nil {
			a.CachingMode = ptr.To(corev1.AzureDataDiskCachingReadWrite)
		}
		if a.FSType == nil {
			a.FSType = ptr.To("ext4")
		}
		if a.ReadOnly == nil {
			a.ReadOnly = ptr.To(false)
		}
		if a.Kind == nil {
			a.Kind = ptr.To(corev1.AzureSharedBlobDisk)
		}
	}
	if sc := src.ScaleIO; sc != nil {
		if sc.StorageMode == "" {
			sc.StorageMode = "ThinProvisioned"
		}
		if sc.FSType == "" {
			sc.FSType = "xfs"
		}
	}
}

func fieldRef(f *corev1.ObjectFieldSelector) {
	if f != nil && f.APIVersion == "" {
		f.APIVersion = "v1"
	}
}

func defaultContainer(c *corev1.Container) {
	if c.ImagePullPolicy == "" {
		c.ImagePullPolicy = apidefaults.PullPolicy(c.Image)
	}
	if c.TerminationMessagePath == "" {
		c.TerminationMessagePath = corev1.TerminationMessagePathDefault
	}
	if c.TerminationMessagePolicy == "" {
		c.TerminationMessagePolicy = corev1.TerminationMessageReadFile
	}
	for i := range c.Ports {
		if c.Ports[i].Protocol == "" {
			c.Ports[i].Protocol = corev1.ProtocolTCP
		}
	}
	for i := range c.Env {
		if vf := c.Env[i].ValueFrom; vf != nil {
			fieldRef(vf.FieldRef)
			if vf.FileKeyRef != nil && vf.FileKeyRef.Optional == nil {
				vf.FileKeyRef.Optional = ptr.To(false)
			}
		}
	}
	apidefaults.RoundUp(c.Resources.Limits)
	apidefaults.RoundUp(c.Resources.Requests)
	apidefaults.Probes(c)
}

// copyJSON deep-copies a decoded JSON/YAML value, refusing values no manifest has
// and input deeper or larger than the limits.
func copyJSON(v any, depth int, nodes *int) (any, error) {
	if depth > maxPrepareDepth {
		return nil, errors.New("prepare: object nested too deeply")
	}
	if *nodes++; *nodes > maxPrepareNodes {
		return nil, errors.New("prepare: object too large")
	}
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			c, err := copyJSON(e, depth+1, nodes)
			if err != nil {
				return nil, err
			}
			m[k] = c
		}
		return m, nil
	case []any:
		l := make([]any, len(x))
		for i, e := range x {
			c, err := copyJSON(e, depth+1, nodes)
			if err != nil {
				return nil, err
			}
			l[i] = c
		}
		return l, nil
	case string, bool, nil, int64:
		return x, nil
	case float64:
		// As the API server's JSON decoder of unstructured objects: a whole number
		// is an int64.
		if x == math.Trunc(x) && x >= math.MinInt64 && x < math.MaxInt64 {
			return int64(x), nil
		}
		return x, nil
	case int:
		return int64(x), nil
	case int32:
		return int64(x), nil
	case float32:
		return copyJSON(float64(x), depth, nodes)
	case uint64:
		if x > math.MaxInt64 {
			return float64(x), nil
		}
		return int64(x), nil
	}
	return nil, fmt.Errorf("prepare: value of type %T in object", v)
}
